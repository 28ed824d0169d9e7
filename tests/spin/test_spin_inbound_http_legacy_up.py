"""test_spin_inbound_http_legacy_up.py - `up` serves a Spin 1 ABI module
(tests/spin/programs/spin1_legacy.c, the wit-bindgen 0.2 flat ABI written by
hand) that calls the legacy imports key-value, sqlite, llm, outbound-pg,
outbound-mysql and wasi-outbound-http.  The module answers with one line per call, so each
assertion reads what the host returned through the old ABI: values,
handles, error cases (the legacy enums' numbers) and their texts.

The stores and databases are src/spinapi's: the key-value store and the
SQLite database are the files Spin uses under <app>/.spin, so a second run
of `up` sees what the first wrote, and a label the component does not list
is access-denied.  A runtime config may put the default store in redis
(tests/fixture/redis_fixture.py starts a private redis-server).
"""
import http.server
import os
import sqlite3
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixture"))
from harness import run_tests  # noqa: E402
from redis_fixture import RedisServer  # noqa: E402
from test_up import Up  # noqa: E402

WASM_DIR = os.environ["WASM_DIR"]
MODULE = os.path.join(WASM_DIR, "spin1_legacy.wasm")

MANIFEST = """spin_manifest_version = 2
[application]
name = "legacy"
[[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = "@MODULE@"
key_value_stores = ["default"]
sqlite_databases = ["default"]
ai_models = ["llama2-chat"]
allowed_outbound_hosts = ["postgres://127.0.0.1:1", "http://127.0.0.1:1", @HTTP@]
environment = { PG_ADDRESS = "@PG@" }
"""


def write_app(tmp, pg="postgres://127.0.0.1:1/db", http=()):
    with open(os.path.join(tmp, "spin.toml"), "w") as f:
        f.write(MANIFEST.replace("@MODULE@", MODULE).replace("@PG@", pg)
                .replace("@HTTP@", ", ".join('"%s"' % h for h in http)))
    return tmp


def lines(up, path, body=None):
    status, _, data = up.request("POST", path, body=body)
    assert status == 200, (status, data)
    return data.decode().splitlines()


def test_key_value_through_the_old_abi():
    with tempfile.TemporaryDirectory() as tmp:
        # The default store is Spin's table in <app>/.spin/sqlite_key_value.db,
        # shared with components: a key already there is listed.
        os.mkdir(os.path.join(tmp, ".spin"))
        db = sqlite3.connect(os.path.join(tmp, ".spin", "sqlite_key_value.db"))
        db.execute("CREATE TABLE spin_key_value (store TEXT NOT NULL, key TEXT NOT NULL, "
                   "value BLOB NOT NULL, PRIMARY KEY (store, key))")
        db.execute("INSERT INTO spin_key_value VALUES ('default', 'a-pre', x'00')")
        db.commit()
        db.close()
        with Up(app=write_app(tmp)) as up:
            got = lines(up, "/kv", body=b"v1")
            assert got == [
                "open=ok",
                "exists=0",
                "set=ok",
                "get=v1",
                "keys=2 a-pre k",
                "delete=ok",
                "get-after-delete=err4",   # no-such-key
                "get-closed=err3",         # invalid-store
                "open-forbidden=err2",     # access-denied
            ], got
        db = sqlite3.connect(os.path.join(tmp, ".spin", "sqlite_key_value.db"))
        assert db.execute("SELECT store, key FROM spin_key_value").fetchall() == [
            ("default", "a-pre")]
        db.close()


def test_an_import_called_from_canonical_abi_realloc_traps():
    # While the host stores get-keys' list it calls the guest's
    # canonical_abi_realloc, which calls key-value get: the host's result
    # must not be reused under it, so the inner call traps (the canonical
    # ABI's may_leave rule) and the request is a 500; the server lives.
    with tempfile.TemporaryDirectory() as tmp:
        with Up(app=write_app(tmp)) as up:
            status, _, body = up.request("POST", "/reenter")
            assert status == 500, (status, body)
            assert lines(up, "/kv", body=b"v1")[0] == "open=ok"
            up.stop()
            err = up.proc.stderr.read()
            assert "called from canonical_abi_realloc" in err, err


def test_key_value_on_a_redis_store_from_the_runtime_config():
    # [key_value_store.default] type = "redis": the same guest's calls land
    # in redis, on plain keys, as Spin's key-value-redis keeps them.
    with RedisServer() as redis, tempfile.TemporaryDirectory() as tmp:
        redis.command("SET", "a-pre", "x")
        config = os.path.join(tmp, "runtime-config.toml")
        with open(config, "w") as f:
            f.write('[key_value_store.default]\ntype = "redis"\nurl = "%s"\n' % redis.url)
        with Up(app=write_app(tmp), args=("--runtime-config-file", config)) as up:
            got = lines(up, "/kv", body=b"v2")
        assert got[:4] == ["open=ok", "exists=0", "set=ok", "get=v2"], got
        assert got[4].startswith("keys=2 ") and sorted(got[4].split()[1:]) == ["a-pre", "k"], got
        assert got[5:] == ["delete=ok", "get-after-delete=err4", "get-closed=err3",
                           "open-forbidden=err2"], got
        assert redis.command("GET", "a-pre") == b"x"
        assert redis.command("EXISTS", "k") == 0   # the guest deleted it
        assert not os.path.exists(os.path.join(tmp, ".spin", "sqlite_key_value.db"))


def test_sqlite_through_the_old_abi():
    with tempfile.TemporaryDirectory() as tmp:
        with Up(app=write_app(tmp)) as up:
            got = lines(up, "/sqlite")
            assert got[:5] == ["open=ok", "create=ok", "insert=ok", "columns=x,s", "row=42,hi"], got
            assert got[5].startswith("bad-sql=err4(") and "syntax error" in got[5], got
            assert got[6] == "open-forbidden=err1", got   # access-denied
        db = sqlite3.connect(os.path.join(tmp, ".spin", "sqlite_db.db"))
        assert db.execute("SELECT x, s FROM t").fetchall() == [(42, "hi")]
        db.close()


def test_llm_answers_as_the_reference_shim():
    noop = "Local LLM operations are not supported in this version of Spin."
    with tempfile.TemporaryDirectory() as tmp:
        with Up(app=write_app(tmp)) as up:
            got = lines(up, "/llm")
    assert got == [
        "infer=err1(%s)" % noop,
        "infer-params=err1(%s)" % noop,
        "embed=err2(The component does not have access to use 'other-model'. To give the "
        "component access, add 'other-model' to the 'ai_models' key for the component in "
        "your spin.toml manifest)",
    ], got


def test_outbound_pg_and_mysql_errors_use_the_legacy_enums():
    with tempfile.TemporaryDirectory() as tmp:
        # An address the component may not reach: connection-failed (case 1
        # of pg-error, whose case 0 is `success`).
        with Up(app=write_app(tmp, pg="postgres://10.1.2.3/db")) as up:
            got = lines(up, "/pg")
            assert got[0] == "query=err1(address postgres://10.1.2.3 is not permitted)", got
            assert got[1] == "execute=err1(address postgres://10.1.2.3 is not permitted)", got
            # Allowed but nobody listens: connection-failed too.
        with Up(app=write_app(tmp)) as up:
            got = lines(up, "/pg")
            assert got[0].startswith("query=err1("), got
            # MySQL (src/spinapi/mysql.c) answers through the same enum:
            # allowed, nobody listening -> connection-failed (case 1).
            got = lines(up, "/mysql")
            assert len(got) == 1 and got[0].startswith("mysql=err1("), got


class _Origin(http.server.BaseHTTPRequestHandler):
    """The outbound requests' destination: GET /hello answers a fixed body,
    POST /echo the request's body and its x-from header."""

    def _answer(self, body, extra):
        self.send_response(200)
        self.send_header("x-test", "yes")
        for k, v in extra.items():
            self.send_header(k, v)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/hello":
            self._answer(b"hello from the origin", {})
        else:
            self.send_error(404)

    def do_POST(self):
        n = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(n)
        self._answer(b"echo:" + body, {"x-got-from": self.headers.get("x-from", "")})

    def log_message(self, *args):
        pass


class Origin:
    def __enter__(self):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Origin)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_wasi_outbound_http_reaches_an_allowed_server():
    with Origin() as origin, tempfile.TemporaryDirectory() as tmp:
        allowed = "http://127.0.0.1:%d" % origin.port
        with Up(app=write_app(tmp, http=[allowed])) as up:
            got = lines(up, "/http", body=("GET %s/hello" % allowed).encode())
            assert got == ["status=200", "header x-test=yes", "body=hello from the origin"], got
            # A body and a header go out, the server's answer comes back.
            got = lines(up, "/http", body=("POST %s/echo" % allowed).encode())
            assert got == ["status=200", "header x-test=yes", "header x-got-from=legacy",
                           "body=echo:ping"], got
            # Not found is a response, not an error.
            got = lines(up, "/http", body=("GET %s/missing" % allowed).encode())
            assert got[0] == "status=404", got


def test_wasi_outbound_http_errors_use_the_legacy_enum():
    with Origin() as origin, tempfile.TemporaryDirectory() as tmp:
        with Up(app=write_app(tmp)) as up:
            # Not in allowed_outbound_hosts: destination-not-allowed (1),
            # and no byte reaches the server.
            got = lines(up, "/http", body=("GET http://127.0.0.1:%d/hello" % origin.port).encode())
            assert got == ["http=err1"], got
            # A URL no host can be read from: not allowed either (Spin's
            # check_url cannot parse it).
            assert lines(up, "/http", body=b"GET http://[::1/x") == ["http=err1"]
            # Allowed, but a space in the path is no URI: invalid-url (2).
            got = lines(up, "/http", body=b"GET http://127.0.0.1:1/a b")
            assert got == ["http=err2"], got
            # Relative without `self` allowed: destination-not-allowed.
            assert lines(up, "/http", body=b"GET /llm") == ["http=err1"]
            # Allowed, nobody listening: runtime-error (4), as Spin maps
            # every failure of the client.
            assert lines(up, "/http", body=b"GET http://127.0.0.1:1/") == ["http=err4"]
            up.stop()
            err = up.proc.stderr.read()
            assert "outbound HTTP GET http://127.0.0.1:1/" in err, err


def test_wasi_outbound_http_to_the_app_itself_is_served_in_process():
    # A relative URL with `self` allowed goes through the app's router,
    # on the same thread, into a fresh instance of this component.
    with tempfile.TemporaryDirectory() as tmp:
        with Up(app=write_app(tmp, http=["http://self"])) as up:
            got = lines(up, "/http", body=b"GET /nowhere")
            assert got == ["status=200", "body=no route /nowhere", ""], got


if __name__ == "__main__":
    run_tests(globals())
