"""test_up_otel.py - OpenTelemetry traces through `containerd-shim-spin-v2 up`.

The app is the JS component of test_up_js_apps.py (POST /fetch with a
`url` header makes an outbound wasi:http request).  A private OTLP/HTTP
receiver (tests/fixture/otlp_receiver.py) decodes what the shim exports;
a local echo server records the traceparent the outbound request carried.
Checked: the request's server span (name "POST /...", Spin's attributes,
the incoming traceparent as its parent), the outbound client span as its
child with that span's traceparent seen by the echo server, the
resource's service.name and OTEL_RESOURCE_ATTRIBUTES (percent-decoded);
an unreachable collector leaves requests answering; without the
variables, with an unsupported protocol or the always_off sampler the
receiver gets nothing.
"""
import http.client
import http.server
import os
import socket
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixture"))
sys.path.insert(0, os.path.join(HERE, "..", "spinapi"))
from harness import run_tests  # noqa: E402
from otlp_receiver import Receiver  # noqa: E402
from test_up_spinapi import Up  # noqa: E402

WASM = os.path.join(os.environ["WASM_DIR"], "spin_apis_js.wasm")
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


def write_app(tmp, port):
    with open(os.path.join(tmp, "spin.toml"), "w") as f:
        f.write(f"""spin_manifest_version = 2
[application]
name = "otel-app"
[variables]
app_greeting = {{ default = "hi" }}
[[trigger.http]]
route = "/..."
component = "js"
[component.js]
source = "{WASM}"
key_value_stores = ["default"]
allowed_outbound_hosts = ["http://127.0.0.1:{port}"]
[component.js.variables]
greeting = "{{{{ app_greeting }}}}"
""")
    return tmp


class Echo(http.server.BaseHTTPRequestHandler):
    seen = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Echo.seen.append((self.path, self.headers.get("traceparent"),
                          self.headers.get("tracestate")))
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def echo_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Echo.seen = []
    return server


def fetch(up, echo_port, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", up.port, timeout=120)
    h = {"url": f"http://127.0.0.1:{echo_port}/echo"}
    h.update(headers or {})
    c.request("POST", "/fetch?x=1", headers=h)
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    return r.status, body


def otel_env(endpoint, **extra):
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"}
    env.update(extra)
    return env


def test_spans_parent_links_and_attributes():
    echo = echo_server()
    try:
        with Receiver() as rx, tempfile.TemporaryDirectory() as tmp:
            app = write_app(tmp, echo.server_address[1])
            env = otel_env(rx.url, OTEL_SERVICE_NAME="otel-test",
                           OTEL_RESOURCE_ATTRIBUTES="deployment.environment=te%20st,team=a%2Cb")
            with Up(app, env=env) as up:
                assert fetch(up, echo.server_address[1], {
                    "traceparent": f"00-{TRACE}-{PARENT}-01",
                    "tracestate": "vendor=x"}) == (200, "Hello, world!")
                up.stop()
            spans = rx.wait_spans(2)
            assert all(p == "/v1/traces" and t == "application/x-protobuf"
                       for p, t in rx.requests), rx.requests
        server = [s for s in spans if s["kind"] == 2]
        client = [s for s in spans if s["kind"] == 3]
        assert len(server) == 1 and len(client) == 1, spans
        s, c = server[0], client[0]
        assert s["name"] == "POST /...", s
        assert s["trace_id"] == TRACE and s["parent_span_id"] == PARENT, s
        assert s["trace_state"] == "vendor=x", s
        a = s["attributes"]
        assert a["http.request.method"] == "POST" and a["url.path"] == "/fetch", a
        assert a["url.query"] == "x=1" and a["http.route"] == "/...", a
        assert a["http.response.status_code"] == 200, a
        assert a["network.peer.address"] == "127.0.0.1", a
        assert s["resource"]["service.name"] == "otel-test", s["resource"]
        assert s["resource"]["deployment.environment"] == "te st", s["resource"]
        assert s["resource"]["team"] == "a,b", s["resource"]
        # the outbound request: a child of the request span, its context sent
        assert c["trace_id"] == TRACE and c["parent_span_id"] == s["span_id"], (c, s)
        assert c["name"] == "POST", c
        assert c["attributes"]["http.response.status_code"] == 200, c
        assert c["attributes"]["server.address"] == "127.0.0.1", c
        assert c["attributes"]["url.full"].endswith("/echo"), c
        assert Echo.seen == [("/echo", f"00-{TRACE}-{c['span_id']}-01", "vendor=x")], Echo.seen
    finally:
        echo.shutdown()


def test_new_trace_without_traceparent_and_default_service():
    echo = echo_server()
    try:
        with Receiver() as rx, tempfile.TemporaryDirectory() as tmp:
            app = write_app(tmp, echo.server_address[1])
            with Up(app, env=otel_env(rx.url)) as up:
                assert fetch(up, echo.server_address[1],
                             {"traceparent": "garbage"}) == (200, "Hello, world!")
                up.stop()
            spans = rx.wait_spans(2)
        s = [x for x in spans if x["kind"] == 2][0]
        assert s["parent_span_id"] == "" and len(s["trace_id"]) == 32, s
        assert s["trace_id"] != TRACE, s
        assert s["resource"]["service.name"] == "spin", s["resource"]
        assert Echo.seen[0][1].startswith(f"00-{s['trace_id']}-"), Echo.seen
    finally:
        echo.shutdown()


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_unreachable_collector_does_not_fail_requests():
    echo = echo_server()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = write_app(tmp, echo.server_address[1])
            env = otel_env(f"http://127.0.0.1:{closed_port()}")
            with Up(app, env=env) as up:
                for _ in range(5):
                    assert fetch(up, echo.server_address[1]) == (200, "Hello, world!")
                up.stop()
        assert len(Echo.seen) == 5 and all(tp for _, tp, _ in Echo.seen), Echo.seen
    finally:
        echo.shutdown()


def no_export(env, log_has=None):
    echo = echo_server()
    try:
        with Receiver() as rx, tempfile.TemporaryDirectory() as tmp:
            app = write_app(tmp, echo.server_address[1])
            with Up(app, env=env(rx.url)) as up:
                assert fetch(up, echo.server_address[1], {
                    "traceparent": f"00-{TRACE}-{PARENT}-01"}) == (200, "Hello, world!")
                up.stop()
                up.log.seek(0)
                log = up.log.read()
            assert rx.requests == [] and rx.spans == [], rx.spans
        if log_has:
            assert log_has in log, log
        return Echo.seen
    finally:
        echo.shutdown()


def test_no_variables_nothing_exported():
    seen = no_export(lambda url: {"OTEL_SERVICE_NAME": "x"})
    assert seen == [("/echo", None, None)], seen  # no context is made up


def test_unsupported_protocol_warns_and_exports_nothing():
    no_export(lambda url: otel_env(url, OTEL_EXPORTER_OTLP_PROTOCOL="grpc"),
              log_has="OTEL_EXPORTER_OTLP_PROTOCOL='grpc' is not supported")


def test_always_off_sampler_exports_nothing_but_propagates():
    seen = no_export(lambda url: otel_env(url, OTEL_TRACES_SAMPLER="always_off"))
    # parent-based is not asked for: the trace id goes on, unsampled
    assert seen[0][1].startswith(f"00-{TRACE}-") and seen[0][1].endswith("-00"), seen


def test_traces_endpoint_used_as_is():
    echo = echo_server()
    try:
        with Receiver() as rx, tempfile.TemporaryDirectory() as tmp:
            app = write_app(tmp, echo.server_address[1])
            env = {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"{rx.url}/custom/path",
                   "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1",
                   "OTEL_BSP_SCHEDULE_DELAY": "100"}
            with Up(app, env=env) as up:
                assert fetch(up, echo.server_address[1]) == (200, "Hello, world!")
                up.stop()
            rx.wait_spans(2)
            assert rx.requests and all(p == "/custom/path" for p, _ in rx.requests), rx.requests
    finally:
        echo.shutdown()


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
