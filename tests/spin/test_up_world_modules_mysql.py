"""test_up_world_modules_mysql.py - the Spin 2.0-SDK outbound-mysql test
module of the shared corpus (which test_up_world_modules.py leaves out),
through `up`, against a private MariaDB (tests/fixture/mariadb_fixture.py).

Its contract (corpus README.md and Spin's test-components sources at
d41deb9e): 200 with an empty body when every check passed, else 500 with
the failed check's text.  outbound-mysql opens env DB_URL and expects
"hello" and "localhost:10000" to fail with ConnectionFailed, then checks
numeric and character column types.
"""
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixture"))
from harness import run_tests  # noqa: E402
from mariadb_fixture import MariaDB  # noqa: E402
from test_up_world_modules import get, module, write_manifest  # noqa: E402


def test_outbound_mysql_module_against_a_real_server():
    with MariaDB() as db, tempfile.TemporaryDirectory() as tmp:
        app = write_manifest(tmp, [f'source = "{module("outbound-mysql")}"',
                                   f'environment = {{ DB_URL = "{db.url}" }}',
                                   f'allowed_outbound_hosts = ["mysql://127.0.0.1:{db.port}"]'])
        status, body = get(app)
        assert (status, body) == (200, ""), (status, body)


def test_outbound_mysql_module_not_allowed_its_server_gets_500():
    with MariaDB() as db, tempfile.TemporaryDirectory() as tmp:
        app = write_manifest(tmp, [f'source = "{module("outbound-mysql")}"',
                                   f'environment = {{ DB_URL = "{db.url}" }}'])
        status, body = get(app)
        assert status == 500 and "Connection::open(&address)" in body, (status, body)


if __name__ == "__main__":
    run_tests(globals())
