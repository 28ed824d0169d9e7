"""test_up_js_apps.py - a Spin JS app built here with componentize-js
(tests/spin/js/spin_apis.js) through `containerd-shim-spin-v2 up`: Spin's
key-value store (a get/set round trip, persisted in the app's
.spin/sqlite_key_value.db across a restart), variables from
SPIN_VARIABLE_*, and outbound HTTP to a local server following
fermyon/conformance-tests' outbound-wasi-http-v0.2.0 case and its
-no-perms twin (POST "Hello, world!", the answer copied back; without
allowed_outbound_hosts the request is refused and never sent).
"""
import http.client
import http.server
import os
import sqlite3
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixture"))
sys.path.insert(0, os.path.join(HERE, "..", "spinapi"))
from harness import run_tests  # noqa: E402
from test_up_spinapi import Up  # noqa: E402

WASM = os.path.join(os.environ["WASM_DIR"], "spin_apis_js.wasm")


def write_app(tmp, allowed="[]"):
    with open(os.path.join(tmp, "spin.toml"), "w") as f:
        f.write(f"""spin_manifest_version = 2
[application]
name = "spin-js"
[variables]
app_greeting = {{ required = true }}
[[trigger.http]]
route = "/..."
component = "js"
[component.js]
source = "{WASM}"
key_value_stores = ["default"]
allowed_outbound_hosts = {allowed}
[component.js.variables]
greeting = "{{{{ app_greeting }}}}"
""")
    return tmp


def call(up, method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", up.port, timeout=120)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    text = r.read().decode()
    c.close()
    return r.status, text


ENV = {"SPIN_VARIABLE_APP_GREETING": "hello from the environment"}


def test_key_value_round_trip_persists():
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp)
        with Up(app, env=ENV) as up:
            assert call(up, "GET", "/kv/greeting") == (404, "no greeting\n")
            assert call(up, "PUT", "/kv/greeting", body=b"bonjour") == (200, "stored greeting\n")
            assert call(up, "PUT", "/kv/other", body=b"x") == (200, "stored other\n")
            assert call(up, "GET", "/kv/greeting") == (200, "bonjour")
            assert call(up, "GET", "/kv") == (200, "greeting\nother\n")
            up.stop()
        db = os.path.join(tmp, ".spin", "sqlite_key_value.db")
        rows = sqlite3.connect(db).execute(
            "SELECT store, key, value FROM spin_key_value ORDER BY key").fetchall()
        assert rows == [("default", "greeting", b"bonjour"), ("default", "other", b"x")], rows
        with Up(app, env=ENV) as up:  # a new process reads what the last one stored
            assert call(up, "GET", "/kv/greeting") == (200, "bonjour")
            up.stop()


def test_variables_from_the_environment():
    with tempfile.TemporaryDirectory() as tmp:
        with Up(write_app(tmp), env=ENV) as up:
            assert call(up, "GET", "/var/greeting") == (200, "hello from the environment")
            status, body = call(up, "GET", "/var/nothing_here")
            assert status == 500 and body.startswith("error: undefined"), (status, body)
            status, body = call(up, "GET", "/var/Bad-Name")
            assert status == 500 and body.startswith("error: invalid-name"), (status, body)
            up.stop()


class Echo(http.server.BaseHTTPRequestHandler):
    """The conformance environment's http-echo: answers a request with its body."""
    seen = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Echo.seen.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def echo_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_outbound_http_allowed():
    server = echo_server()
    port = server.server_address[1]
    Echo.seen = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = write_app(tmp, allowed=f'["http://127.0.0.1:{port}"]')
            with Up(app, env=ENV) as up:
                assert call(up, "POST", "/fetch", headers={"url": f"http://127.0.0.1:{port}/echo"}) \
                    == (200, "Hello, world!")
                up.stop()
        assert Echo.seen == [("/echo", b"Hello, world!")], Echo.seen
    finally:
        server.shutdown()


def test_outbound_http_not_allowed():
    server = echo_server()
    port = server.server_address[1]
    Echo.seen = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            with Up(write_app(tmp), env=ENV) as up:
                status, body = call(up, "POST", "/fetch",
                                    headers={"url": f"http://127.0.0.1:{port}/echo"})
                up.stop()
        assert status == 500 and body.startswith("error:"), (status, body)
        assert Echo.seen == [], "a refused request never reaches the server"
    finally:
        server.shutdown()


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
