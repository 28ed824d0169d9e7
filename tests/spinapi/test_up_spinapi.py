"""test_up_spinapi.py - `containerd-shim-spin-v2 up` gives components Spin's
host APIs: a Wagi component written as text (wat/kv_counter.wat) reads its
rendered variable, is refused a store it does not list, and counts in the
"default" key-value store, which lives in <app>/.spin/sqlite_key_value.db
(as with `spin up`) with Spin's table layout and survives a restart; a
runtime config moves the store; a store label nobody defines stops the app
at start with Spin's message.  A real Rust component (Spin's historical
sqlite test, wasi:http rc-2023-10-18 + fermyon:spin/sqlite@2.0.0) runs its
checks against <app>/.spin/sqlite_db.db through the wasi:http executor.
"""
import http.client
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixture"))
from harness import free_port, run_tests  # noqa: E402

SHIM = os.environ["SHIM_BIN"]
COUNTER = os.path.join(os.environ["WASM_DIR"], "spinapi_kv_counter.wasm")
SQLITE_RC = os.path.join(os.environ["SHARED_DIR"], "corpora", "components", "real",
                         "gh-spin-hist-test-sqlite.http-rc20231018.wasm")


def write_app(tmp, stores='["default"]'):
    with open(os.path.join(tmp, "spin.toml"), "w") as f:
        f.write(f"""spin_manifest_version = 2
[application]
name = "kv-counter"
[variables]
who = {{ default = "world" }}
[[trigger.http]]
route = "/..."
component = "counter"
executor = {{ type = "wagi" }}
[component.counter]
source = "{COUNTER}"
key_value_stores = {stores}
[component.counter.variables]
message = "hello, {{{{ who }}}}"
""")
    return tmp


class Up:
    def __init__(self, app, env=None):
        self.port = free_port()
        full_env = dict(os.environ)
        full_env.pop("SPIN_HTTP_LISTEN_ADDR", None)
        full_env.update(env or {})
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(
            [SHIM, "up", "--from", app, "--listen", f"127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT, env=full_env, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise AssertionError(f"up exited: {self.log.read()}")
            try:
                http.client.HTTPConnection("127.0.0.1", self.port, timeout=5).connect()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("up did not start listening")

    def get(self, path="/"):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        c.request("GET", path)
        r = c.getresponse()
        body = r.read().decode()
        c.close()
        return r.status, body

    def stop(self):
        """Stops the server; a sanitizer report in its output (ASan build)
        fails the test."""
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.seek(0)
        out = self.log.read()
        for mark in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            assert mark not in out, out

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def test_variables_and_default_store_survive_restart():
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp)
        with Up(app) as up:
            assert up.get() == (200, "hello, world denied\ncount=1\n")
            status, body = up.get()
            assert body.endswith("count=2\n"), body
            up.stop()
        db = os.path.join(tmp, ".spin", "sqlite_key_value.db")
        assert os.path.exists(db), os.listdir(tmp)
        con = sqlite3.connect(db)
        rows = con.execute("SELECT store, key, value FROM spin_key_value").fetchall()
        con.close()
        assert rows == [("default", "count", bytes([2]))], rows
        with Up(app, env={"SPIN_VARIABLE_WHO": "again"}) as up:
            assert up.get() == (200, "hello, again denied\ncount=3\n")
            up.stop()


def test_runtime_config_moves_the_store():
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp)
        rc = os.path.join(tmp, "rc", "runtime-config.toml")
        os.makedirs(os.path.dirname(rc))
        with open(rc, "w") as f:
            f.write('[key_value_store.default]\ntype = "spin"\npath = "data/kv.db"\n')
        with Up(app, env={"SPIN_RUNTIME_CONFIG_FILE": rc}) as up:
            assert up.get()[1].endswith("count=1\n")
            up.stop()
        assert os.path.exists(os.path.join(tmp, "rc", "data", "kv.db"))
        assert not os.path.exists(os.path.join(tmp, ".spin", "sqlite_key_value.db"))


def test_undefined_store_label_refused_at_start():
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp, stores='["default", "cache"]')
        r = subprocess.run([SHIM, "up", "--from", app, "--listen", f"127.0.0.1:{free_port()}"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode != 0
        assert 'unknown key_value_stores label "cache" for component "counter"' in r.stderr, \
            r.stderr


def test_bad_runtime_config_refused_at_start():
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp)
        rc = os.path.join(tmp, "runtime-config.toml")
        with open(rc, "w") as f:
            f.write('[key_value_store.default]\ntype = "spin"\npaht = "x.db"\n')
        r = subprocess.run([SHIM, "up", "--from", app, "--listen", f"127.0.0.1:{free_port()}"],
                           capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, SPIN_RUNTIME_CONFIG_FILE=rc))
        assert r.returncode != 0
        assert f"{rc}:3: [key_value_store.default] unknown key 'paht'" in r.stderr, r.stderr


def test_real_sqlite_component():
    """The component checks: open("forbidden") is access-denied, open("default")
    works, `SELECT * FROM testdata WHERE key = ?` with "my_key" gives one row of
    two columns; then it asserts the key column is "hello", which no row with
    key "my_key" can satisfy (the test as Spin shipped it), so it panics there:
    reaching that assertion is what proves the steps before it."""
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "spin.toml"), "w") as f:
            f.write(f"""spin_manifest_version = 2
[application]
name = "sqlite-rc"
[[trigger.http]]
route = "/..."
component = "sqlite"
[component.sqlite]
source = "{SQLITE_RC}"
sqlite_databases = ["default"]
""")
        with Up(tmp) as up:
            status, body = up.get()
            assert status == 500 and 'Error::Io("no such table: testdata")' in body, body
            up.stop()
        db = os.path.join(tmp, ".spin", "sqlite_db.db")
        con = sqlite3.connect(db)
        con.execute("CREATE TABLE testdata(key TEXT NOT NULL, value TEXT NOT NULL)")
        con.execute("INSERT INTO testdata VALUES ('my_key', 'my_value'), ('other', 'x')")
        con.commit()
        con.close()
        with Up(tmp) as up:
            status, _ = up.get()
            up.stop()
            up.log.seek(0)
            log = up.log.read()
        assert status == 500
        assert 'assertion failed: matches!(fetched_key, Value :: Text(t) if t == \\"hello\\")' \
            in log, log


if __name__ == "__main__":
    run_tests(globals())
