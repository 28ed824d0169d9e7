"""test_up_rdbms.py - `containerd-shim-spin-v2 up` gives components Spin's
MySQL and MQTT interfaces against real servers (tests/fixture: a private
MariaDB and a private mosquitto on loopback ports).

The components are C against the canonical ABI (tests/spinapi/guests):
mysql_app inserts a row with bound parameters of each kind and reads it
back, which the test then also finds in MariaDB; mqtt_app publishes at
QoS 1, which a subscriber in the test receives.  Both are refused a host
their allowed_outbound_hosts do not list, with Spin's error values.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixture"))
sys.path.insert(0, HERE)
from harness import run_tests  # noqa: E402
from mariadb_fixture import MariaDB  # noqa: E402
from mosquitto_fixture import Mosquitto, Subscriber  # noqa: E402
from test_up_spinapi import Up  # noqa: E402
import tempfile  # noqa: E402

WASM_DIR = os.environ["WASM_DIR"]


def write_app(tmp, component, wasm, variable, value, allowed):
    with open(os.path.join(tmp, "spin.toml"), "w") as f:
        f.write(f"""spin_manifest_version = 2
[application]
name = "{component}"
[[trigger.http]]
route = "/..."
component = "{component}"
[component.{component}]
source = "{os.path.join(WASM_DIR, wasm)}"
allowed_outbound_hosts = {allowed}
[component.{component}.variables]
{variable} = "{value}"
""")
    return tmp


def test_mysql_component():
    with MariaDB() as db, tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp, "mysql", "spinapi_mysql_app.wasm", "db_url", db.url,
                        f'["mysql://127.0.0.1:{db.port}"]')
        with Up(app) as up:
            status, body = up.get()
            up.stop()
        assert status == 200, body
        lines = body.splitlines()
        assert lines[0] == "rows=1", body
        assert lines[1] == "id=7 name=Rover weight_x10=125 photo=3 owner=null", body
        # int32, str, floating64, binary, str (rdbms-types' db-data-type cases)
        assert lines[2] == "types=3 11 10 12 11", body
        assert lines[3] == "bad sql: 2", body  # query-failed
        assert lines[4] == ("denied: 0 address mysql://spin:spin-pass@203.0.113.9/spin"
                            " is not permitted"), body  # connection-failed
        # The row is in MariaDB, every value as bound.
        assert db.sql("SELECT id, name, weight, HEX(photo), owner IS NULL FROM spin.pets") == \
            "7\tRover\t12.5\t000102\t1\n"


def test_mysql_component_not_allowed():
    with MariaDB() as db, tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp, "mysql", "spinapi_mysql_app.wasm", "db_url", db.url, "[]")
        with Up(app) as up:
            status, body = up.get()
            up.stop()
        assert status == 200, body
        assert body == f"open: 0 address {db.url} is not permitted\n", body


def test_mqtt_component():
    with Mosquitto() as broker, tempfile.TemporaryDirectory() as tmp:
        url = f"mqtt://127.0.0.1:{broker.port}?client_id=spin-up-test"
        app = write_app(tmp, "mqtt", "spinapi_mqtt_app.wasm", "mqtt_url", url,
                        f'["mqtt://127.0.0.1:{broker.port}"]')
        with Subscriber(broker.port, "spin/#") as sub, Up(app) as up:
            status, body = up.get()
            topic, payload = sub.next_message(timeout=20)
            up.stop()
        assert status == 200, body
        assert body == ("published\n"
                        "denied: 2 address mqtt://203.0.113.9?client_id=x is not permitted\n"), body
        assert (topic, payload) == ("spin/up", b"hello from a component")


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
