"""test_up_world_modules.py - `up` serves core modules that carry their WIT
world in component-type custom sections (Spin 2.0's Rust SDK: wit-bindgen
exports `wasi:http/incoming-handler@0.2.0-rc-2023-10-18#handle`), which
Spin turns into components at load (crates/componentize) and this host
makes components from directly (src/component/componentize.c,
src/spin/world_module.c).

The modules are Spin's own test components of that era from the shared
corpus (README.md there): each answers 200 with an empty body when every
check of its host API passed, else 500 with the failed check's text.
Redis and PostgreSQL run as private servers: tests/fixture/redis_fixture.py
and the PostgreSQL 15 server below (initdb + postgres as the `postgres`
user, as tests/spinapi/pg_fixture.h starts it for the C tests).
"""
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixture"))
from harness import free_port, run_tests  # noqa: E402
from echo_fixture import ECHO_PORT, EchoServer  # noqa: E402
from redis_fixture import RedisServer  # noqa: E402
from test_up_components import Up, up_fails  # noqa: E402

REAL = os.path.join(os.environ["SHARED_DIR"], "corpora", "components", "real")
PG_BIN = "/usr/lib/postgresql/15/bin"


def module(name):
    return os.path.join(REAL, f"gh-spin-hist-test-{name}.spin2rc.core.wasm")


def write_manifest(tmp, component_lines, variables=()):
    lines = ['spin_manifest_version = 2', '[application]', 'name = "world-modules"', '']
    if variables:
        lines.append('[variables]')
        lines += [f'{k} = {{ default = "{v}" }}' for k, v in variables]
        lines.append('')
    lines += ['[[trigger.http]]', 'route = "/..."', 'component = "m"', '', '[component.m]']
    lines += component_lines
    with open(os.path.join(tmp, "spin.toml"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return tmp


def get(app, env=None):
    with Up(app, env=env) as up:
        status, _, body = up.request("GET", "/")
        rc = up.stop()
    assert rc == 0, rc
    return status, body.decode(errors="replace")


def test_variables_module_reads_its_variable():
    with tempfile.TemporaryDirectory() as tmp:
        app = write_manifest(tmp, [f'source = "{module("variables")}"',
                                   'variables = { variable = "{{ variable }}" }'],
                             variables=[("variable", "value")])
        status, body = get(app)
        assert (status, body) == (200, ""), (status, body)


def test_a_module_that_fails_its_contract_gets_500_with_its_text():
    with tempfile.TemporaryDirectory() as tmp:
        app = write_manifest(tmp, [f'source = "{module("variables")}"',
                                   'variables = { variable = "{{ variable }}" }'],
                             variables=[("variable", "other")])
        status, body = get(app)
        assert status == 500, (status, body)
        assert 'Ok("other")' in body and 'val == "value"' in body, body


def test_key_value_module_default_allowed_forbidden_denied():
    with tempfile.TemporaryDirectory() as tmp:
        app = write_manifest(tmp, [f'source = "{module("key-value")}"',
                                   'key_value_stores = ["default"]'])
        status, body = get(app)
        assert (status, body) == (200, ""), (status, body)
        # the store it opened is Spin's file under the state dir
        assert os.path.exists(os.path.join(tmp, ".spin", "sqlite_key_value.db"))


def test_key_value_module_without_the_default_store_is_refused():
    with tempfile.TemporaryDirectory() as tmp:
        app = write_manifest(tmp, [f'source = "{module("key-value")}"'])
        status, body = get(app)
        assert status == 500, (status, body)
        assert 'Store::open("default")' in body and "AccessDenied" in body, body


def test_sqlite_module_default_allowed_forbidden_denied():
    with tempfile.TemporaryDirectory() as tmp:
        app = write_manifest(tmp, [f'source = "{module("sqlite")}"',
                                   'sqlite_databases = ["default"]'])
        status, body = get(app)
        assert (status, body) == (200, ""), (status, body)


def test_outbound_redis_module_against_a_real_server():
    with RedisServer() as redis, tempfile.TemporaryDirectory() as tmp:
        app = write_manifest(tmp, [f'source = "{module("outbound-redis")}"',
                                   f'environment = {{ REDIS_ADDRESS = "{redis.url}" }}',
                                   f'allowed_outbound_hosts = ["{redis.url}"]'])
        status, body = get(app)
        assert (status, body) == (200, ""), (status, body)
        # what its checks leave behind: a string, a counter and a set
        assert redis.command("GET", "spin-example") == b"Eureka! I've got it!"
        assert redis.command("GET", "int-key") == b"1"
        assert redis.command("SMEMBERS", "foo") == [b"bar"]


def test_outbound_redis_module_not_allowed_its_server_gets_500():
    with RedisServer() as redis, tempfile.TemporaryDirectory() as tmp:
        app = write_manifest(tmp, [f'source = "{module("outbound-redis")}"',
                                   f'environment = {{ REDIS_ADDRESS = "{redis.url}" }}'])
        status, body = get(app)
        assert status == 500, (status, body)
        assert redis.command("KEYS", "*") == []


class PostgresServer:
    """PostgreSQL 15 on a free loopback port, data and socket in a
    temporary directory owned by `postgres` (the server refuses root)."""

    def __enter__(self):
        pw = pwd.getpwnam("postgres")
        self.dir = tempfile.mkdtemp(prefix="pgfix-")
        os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self.port = free_port()

        def as_postgres():
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)

        data = os.path.join(self.dir, "data")
        subprocess.run([f"{PG_BIN}/initdb", "-D", data, "-A", "trust", "-U", "postgres"],
                       preexec_fn=as_postgres, check=True, capture_output=True, timeout=120)
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen(
            [f"{PG_BIN}/postgres", "-D", data, "-p", str(self.port), "-k", self.dir,
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
            preexec_fn=as_postgres, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                if subprocess.run([f"{PG_BIN}/pg_isready", "-q", "-h", "127.0.0.1", "-p",
                                   str(self.port)]).returncode == 0:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise AssertionError("postgres did not start")

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def test_outbound_postgres_module_against_a_real_server():
    if not os.path.exists(f"{PG_BIN}/postgres"):
        print("SKIP: no PostgreSQL 15 server")
        return
    with PostgresServer() as pg, tempfile.TemporaryDirectory() as tmp:
        url = f"postgres://postgres@127.0.0.1:{pg.port}/postgres"
        app = write_manifest(tmp, [f'source = "{module("outbound-postgres")}"',
                                   f'environment = {{ DB_URL = "{url}" }}',
                                   f'allowed_outbound_hosts = ["postgres://127.0.0.1:{pg.port}"]'])
        status, body = get(app)
        assert (status, body) == (200, ""), (status, body)


def test_tcp_sockets_module_echoes_through_an_allowed_host():
    # wasi:sockets@0.2.0-rc-2023-10-18: create, connect, write, read back.
    # Spin checks a TCP connect as a "tcp" URL: `*://` (its runtime test's
    # entry) and `tcp://` entries allow it.
    with EchoServer() as echo, tempfile.TemporaryDirectory() as tmp:
        for allowed in (f"*://127.0.0.1:{ECHO_PORT}", f"tcp://127.0.0.1:{ECHO_PORT}"):
            app = write_manifest(tmp, [f'source = "{module("tcp-sockets")}"',
                                       f'allowed_outbound_hosts = ["{allowed}"]'])
            status, body = get(app)
            assert (status, body) == (200, ""), (allowed, status, body)
        assert echo.accepted == 2, echo.accepted


def test_tcp_sockets_module_denied_another_host_or_port():
    # Spin's tcp-sockets-no-ip-permission / -no-port-permission (and an
    # http:// entry, which is no TCP permission): the connect answers
    # access-denied, the module reports it, nothing reaches the server.
    with EchoServer() as echo, tempfile.TemporaryDirectory() as tmp:
        for allowed in (f"*://127.0.0.2:{ECHO_PORT}", "*://127.0.0.1:5002",
                        f"http://127.0.0.1:{ECHO_PORT}"):
            app = write_manifest(tmp, [f'source = "{module("tcp-sockets")}"',
                                       f'allowed_outbound_hosts = ["{allowed}"]'])
            status, body = get(app)
            assert status == 500 and "start_connect" in body and "access-denied" in body, \
                (allowed, status, body)
        assert echo.accepted == 0, echo.accepted


def test_a_module_importing_what_its_world_lacks_fails_at_load():
    # a world module with an import renamed: the load names it
    with open(module("variables"), "rb") as f:
        data = f.read()
    bad = data.replace(b"fermyon:spin/variables@2.0.0\x03get",
                       b"fermyon:spin/variables@2.0.0\x03got")
    assert bad != data
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bad.wasm")
        with open(path, "wb") as f:
            f.write(bad)
        err = up_fails(write_manifest(tmp, [f'source = "{path}"']))
        assert "fermyon:spin/variables@2.0.0 got" in err and "has no function got" in err, err


if __name__ == "__main__":
    run_tests(globals())
