"""test_conformance_cases.py - fermyon/conformance-tests' cases, followed
through `containerd-shim-spin-v2 up` with apps we can build.

Each case of github.com/fermyon/conformance-tests is a spin.toml, a Rust
component and a test.json5 naming the request and the exact response (its
status, body, and every header: any header it does not list fails the
case).  Their Rust components cannot be built here, so the component is
tests/spin/guests/conformance_app.c (the component variable `case` picks
the sequence) or a componentize-js app of tests/spin/js; the manifests,
requests and expected responses are the cases' own.  `check` compares a
response as the cases' runner does.

| conformance case                      | here                                  |
|---------------------------------------|---------------------------------------|
| request-shape                         | test_request_shape (the guest echoes what it saw; the checks the case's guest makes are made here) |
| key-value                             | test_key_value                        |
| key-value-no-permission               | test_key_value_no_permission          |
| variables                             | test_variables                        |
| sqlite                                | test_sqlite                           |
| sqlite-no-permission                  | test_sqlite_no_permission             |
| outbound-redis                        | test_outbound_redis                   |
| outbound-redis-no-permission          | test_outbound_redis_no_permission     |
| outbound-redis-variable-permission    | test_outbound_redis_variable_permission |
| outbound-mqtt                         | test_outbound_mqtt (a subscriber gets the message) |
| outbound-mqtt-no-permission           | test_outbound_mqtt_no_permission      |
| tcp-sockets                           | test_tcp_sockets                      |
| tcp-sockets-ip-range                  | test_tcp_sockets_ip_range             |
| tcp-sockets-ip-range-variable-permission | test_tcp_sockets_ip_range_variable_permission |
| tcp-sockets-no-ip-permission          | test_tcp_sockets_no_ip_permission     |
| tcp-sockets-no-port-permission        | test_tcp_sockets_no_port_permission   |
| outbound-wasi-http-v0.2.0 (+no-perms) | tests/spin/test_up_js_apps.py (JS)    |
"""
import http.client
import ipaddress
import socket
import os
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixture"))
sys.path.insert(0, os.path.join(HERE, "..", "spinapi"))
from harness import run_tests  # noqa: E402
from mosquitto_fixture import Mosquitto, Subscriber  # noqa: E402
from redis_fixture import RedisServer  # noqa: E402
from test_up_spinapi import Up  # noqa: E402

WASM = os.path.join(os.environ["WASM_DIR"], "spin_conformance_app.wasm")


def write_app(tmp, case, route="/...", component_extra="", app_extra="", variables=None):
    """The case's spin.toml, its source our component and `case` set."""
    values = {"case": case}
    values.update(variables or {})
    var_lines = "\n".join(f'{k} = "{v}"' for k, v in values.items())
    with open(os.path.join(tmp, "spin.toml"), "w") as f:
        f.write(f"""spin_manifest_version = 2
[application]
name = "{case}"
version = "0.1.0"
{app_extra}
[[trigger.http]]
route = "{route}"
component = "test"
[component.test]
source = "{WASM}"
{component_extra}
[component.test.variables]
{var_lines}
""")
    return tmp


def send(port, path, headers):
    """The case's request: GET, its path and headers (no others: Host too
    comes from the case)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
    for name, value in headers:
        c.putheader(name, value)
    c.endheaders()
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, [(k.lower(), v) for k, v in r.getheaders()], body.decode()


def check(response, status=200, body="", headers=()):
    """The cases' runner: status, then body, then every header: a listed
    one must be there with its value (unless optional: then it may be
    missing, and a value given must match), and no other may be."""
    got_status, got_headers, got_body = response
    assert got_status == status, f"status {got_status} != {status}: {got_body}"
    assert got_body == body, f"body {got_body!r} != {body!r}"
    left = dict(got_headers)
    assert len(left) == len(got_headers), f"repeated headers: {got_headers}"
    for name, value, optional in headers:
        actual = left.pop(name.lower(), None)
        if actual is None:
            assert optional, f"header {name} missing: {got_headers}"
        elif value is not None:
            assert actual == value, f"header {name}: {actual!r} != {value!r}"
    assert not left, f"unexpected headers: {left}"


HOST = [("Host", "example.com")]
OK_EMPTY = [("Content-Length", "0", False), ("Date", None, True)]


def run_case(app, path, headers, env=None):
    with Up(app, env=env) as up:
        response = send(up.port, path, headers)
        up.stop()
    return response


def test_request_shape():
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp, "request-shape", route="/base/:path_segment/:path_end/...")
        status, headers, body = run_case(app, "/base/path/end/rest?key=value", [
            ("User-Agent", "my-agent"), ("Accept", "*/*"), ("Host", "example.com")])
    assert status == 200, body
    lines = body.splitlines()
    assert lines[:4] == ["method=GET", "authority=example.com",
                         "path=/base/path/end/rest?key=value", "scheme=http"], body
    seen = {}
    for line in lines[4:]:
        name, value = line.split(": ", 1)
        seen.setdefault(name, []).append(value)
    expected = {
        "spin-raw-component-route": "/base/:path_segment/:path_end/...",
        "spin-full-url": "http://example.com/base/path/end/rest?key=value",
        "spin-path-info": "/rest",
        "spin-base-path": "/",
        "spin-component-route": "/base/:path_segment/:path_end",
        "spin-path-match-path-segment": "path",
        "spin-path-match-path-end": "end",
        "spin-matched-route": "/base/:path_segment/:path_end/...",
    }
    for name, value in expected.items():
        assert seen.pop(name, None) == [value], (name, body)
    # spin-client-addr, if there, is one socket address
    addr = seen.pop("spin-client-addr", None)
    if addr is not None:
        assert len(addr) == 1, body
        host, port = addr[0].rsplit(":", 1)
        ipaddress.ip_address(host.strip("[]"))  # raises unless an address
        assert 0 < int(port) < 65536, body
    assert not [n for n in seen if n.startswith(("spin-", "spin_"))], \
        f"unexpected spin-* headers: {seen}"
    assert seen.get("user-agent") == ["my-agent"] and seen.get("accept") == ["*/*"], body


def test_key_value():
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp, "key-value", component_extra='key_value_stores = ["default"]')
        check(run_case(app, "/", HOST), headers=OK_EMPTY)


def test_key_value_no_permission():
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp, "key-value")
        check(run_case(app, "/", HOST), status=500, body="Error::AccessDenied",
              headers=[("transfer-encoding", "chunked", True), ("content-length", "19", True),
                       ("Date", None, True)])


def test_variables():
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp, "variables", variables={"variable": "value"})
        check(run_case(app, "/", HOST), headers=OK_EMPTY)


SQLITE_HEADERS = [("transfer-encoding", None, True), ("content-length", None, True),
                  ("Date", None, True)]


def test_sqlite():
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp, "sqlite", route="/", component_extra='sqlite_databases = ["default"]')
        check(run_case(app, "/", HOST), headers=SQLITE_HEADERS)


def test_sqlite_no_permission():
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp, "sqlite", route="/")
        check(run_case(app, "/", HOST), status=500, body="Error::AccessDenied",
              headers=SQLITE_HEADERS)


def redis_request(redis):
    return HOST + [("redis_address", f"redis://localhost:{redis.port}")]


def test_outbound_redis():
    with RedisServer() as redis, tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp, "outbound-redis", route="/", component_extra=(
            f'allowed_outbound_hosts = ["redis://localhost:{redis.port}"]'))
        check(run_case(app, "/", redis_request(redis)), headers=OK_EMPTY)
        # what the sequence left in redis
        assert redis.command("GET", "spin-example") == b"Eureka! I've got it!"
        assert redis.command("EXISTS", "spin-example-get-set") == 0


def test_outbound_redis_no_permission():
    with RedisServer() as redis, tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp, "outbound-redis", route="/", component_extra=(
            'environment = { REDIS_ADDRESS = "redis://localhost:6379" }'))
        check(run_case(app, "/", redis_request(redis)), status=500,
              body="Error::InvalidAddress",
              headers=[("Content-Length", None, True), ("transfer-encoding", None, True),
                       ("Date", None, True)])
        assert redis.command("EXISTS", "spin-example-get-set") == 0


def test_outbound_redis_variable_permission():
    with RedisServer() as redis, tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp, "outbound-redis", route="/",
                        app_extra='[variables]\nredis_host = { default = "localhost" }',
                        component_extra=(
                            f'environment = {{ REDIS_ADDRESS = "redis://localhost:{redis.port}" }}\n'
                            f'allowed_outbound_hosts = ["redis://{{{{ redis_host }}}}:{redis.port}"]'))
        check(run_case(app, "/", redis_request(redis)), headers=OK_EMPTY)
        assert redis.command("GET", "spin-example") == b"Eureka! I've got it!"


def mqtt_request(port):
    return HOST + [("MQTT_ADDRESS", f"mqtt://localhost:{port}?client_id=spintest"),
                   ("MQTT_USERNAME", "user"), ("MQTT_PASSWORD", "password")]


def test_outbound_mqtt():
    with Mosquitto() as broker, tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp, "outbound-mqtt", route="/", component_extra=(
            f'allowed_outbound_hosts = ["mqtt://localhost:{broker.port}"]\n'
            f'environment = {{ MQTT_ADDRESS = "mqtt://localhost:{broker.port}?client_id=spintest" }}'))
        with Subscriber(broker.port, "telemetry-topic") as sub:
            check(run_case(app, "/", mqtt_request(broker.port)), headers=OK_EMPTY)
            assert sub.next_message(timeout=20) == ("telemetry-topic", b"Eureka!")


def test_outbound_mqtt_no_permission():
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp, "outbound-mqtt", route="/")
        check(run_case(app, "/", mqtt_request(1883)), status=500,
              body=('Error::ConnectionFailed("address mqtt://localhost:1883?client_id=spintest'
                    ' is not permitted")'),
              headers=[("transfer-encoding", None, True), ("content-length", None, True),
                       ("Date", None, True)])


class TcpEcho:
    """The cases' tcp-echo service: echoes what each connection sends."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn):
        with conn:
            while data := conn.recv(4096):
                conn.sendall(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()


TCP_HEADERS = [("transfer-encoding", None, True), ("content-length", None, True),
               ("Date", None, True)]


def tcp_case(allowed, address, app_extra="", **expect):
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp, "tcp-sockets", route="/", app_extra=app_extra, component_extra=(
            f'allowed_outbound_hosts = ["{allowed}"]\n'
            f'environment = {{ ADDRESS = "{address}" }}'))
        check(run_case(app, "/", HOST + [("address", address)]), headers=TCP_HEADERS, **expect)


def test_tcp_sockets():
    with TcpEcho() as echo:
        tcp_case(f"*://127.0.0.1:{echo.port}", f"127.0.0.1:{echo.port}")
        assert echo.connections == 1


def test_tcp_sockets_ip_range():
    with TcpEcho() as echo:
        tcp_case(f"*://127.0.0.0/24:{echo.port}", f"127.0.0.1:{echo.port}")
        assert echo.connections == 1


def test_tcp_sockets_ip_range_variable_permission():
    with TcpEcho() as echo:
        tcp_case(f"*://{{{{ addr_prefix }}}}/{{{{ prefix_len }}}}:{echo.port}",
                 f"127.0.0.1:{echo.port}",
                 app_extra=('[variables]\naddr_prefix = { default = "127.0.0.0" }\n'
                            'prefix_len = { default = "24" }'))
        assert echo.connections == 1


def test_tcp_sockets_no_ip_permission():
    # the case allows only 127.0.0.2; here the address it asks for has a
    # listener, so only the policy can stop it
    with TcpEcho() as echo:
        tcp_case(f"*://127.0.0.2:{echo.port}", f"127.0.0.1:{echo.port}",
                 status=500, body="access-denied (error 1)")
        assert echo.connections == 0


def test_tcp_sockets_no_port_permission():
    with TcpEcho() as echo:
        tcp_case(f"*://127.0.0.1:{echo.port + 1}", f"127.0.0.1:{echo.port}",
                 status=500, body="access-denied (error 1)")
        assert echo.connections == 0


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
