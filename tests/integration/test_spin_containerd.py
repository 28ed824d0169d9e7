"""test_spin_containerd.py - Spin app images served through real containerd.

The image is what `spin registry push` / a `FROM scratch` Dockerfile makes:
spin.toml at the root beside the .wasm files it names, entrypoint ["/"].
It comes from the build tree's example app (<build>/apps/spin-wagi), and is
run the way the README tells users to: `ctr run --net-host --runtime
io.containerd.spin.v2 --env SPIN_HTTP_LISTEN_ADDR=...`, so containerd starts
our shim, which runs the Spin host inside the container.

What the in-process `up` tests (tests/spin/test_up.py) cannot show is what
this file checks: that the container's env, stdio, exit status and signals
are wired to the Spin host the way Kubernetes users rely on.
"""
import http.client
import http.server
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixture"))
from containerd_fixture import Containerd  # noqa: E402
from harness import free_port, run_tests  # noqa: E402
import images  # noqa: E402

RUNTIME = "io.containerd.spin.v2"
SHIM_DIR = os.environ["SHIM_BIN_DIR"]
APP = os.path.join(os.environ["BUILD_DIR"], "apps", "spin-wagi")

# A required variable: the app must not start unless the container env
# provides it (as API_TOKEN or SPIN_VARIABLE_API_TOKEN).
REQUIRED_VAR_MANIFEST = """spin_manifest_version = 2
[application]
name = "needs-token"
[variables]
api_token = { required = true }
[[trigger.http]]
route = "/..."
component = "c"
executor = { type = "wagi" }
[component.c]
source = "wagi-hello.wasm"
[component.c.variables]
token = "{{ api_token }}"
"""

# wasi:http components from the shared corpus (README.md there says what
# each answers), packed as an app image of their own.
REAL = os.path.join(os.environ["SHARED_DIR"], "corpora", "components", "real")
COMPONENTS_MANIFEST = """spin_manifest_version = 2
[application]
name = "components"
[[trigger.http]]
route = "/c/..."
component = "c-http"
[[trigger.http]]
route = "/rust"
component = "rust-hello"
[[trigger.http]]
route = "/..."
component = "itty"
[component.c-http]
source = "c-http.wasm"
[component.rust-hello]
source = "hello_wasi_http.wasm"
[component.itty]
source = "itty.wasm"
"""


def make_component_image(work, c, name):
    return make_wasm_image(work, c, name, {
        "c-http.wasm": os.path.join(REAL, "c-http.wasm"),
        "hello_wasi_http.wasm": os.path.join(REAL, "gh-runwasi-hello_wasi_http.rust.wasm"),
        "itty.wasm": os.path.join(REAL, "spin-http-js-itty.wasm"),
    }, COMPONENTS_MANIFEST)


def make_image(work, c, name, manifest=None):
    """Packs the example app (optionally with another spin.toml) as an image
    and imports it; returns the image name."""
    root = os.path.join(work, name.replace("/", "_").replace(":", "_"))
    shutil.copytree(APP, root)
    if manifest is not None:
        with open(os.path.join(root, "spin.toml"), "w") as f:
            f.write(manifest)
    tar = root + ".tar"
    full = images.mkimage(root, name, tar, entrypoint='["/"]', arch="wasm", os_="wasip1")
    c.import_image(tar)
    return full


# The containerd-shim-spin example image images/spin/go-hello (TinyGo, Spin
# Go SDK v2: a Spin 1 ABI core module), laid out as its Dockerfile does:
# /spin.toml and /go-hello/spin_go_hello.wasm (its Rust component left out).
GO_HELLO_WASM = os.path.join(os.environ["SHARED_DIR"], "corpora", "components", "real",
                             "gh-shim-spin-go-hello.tinygo-spin-http.core.wasm")
GO_HELLO_MANIFEST = """spin_manifest_version = 2

[application]
authors = ["SpinKube Engineering Team"]
description = "A simple spin hello world"
name = "spin-hello"
version = "1.0.0"

[[trigger.http]]
route = "/go-hello"
component = "go-hello"

[component.go-hello]
source = "go-hello/spin_go_hello.wasm"
"""


def make_go_hello_image(work, c, name="localhost/spin-go-hello:test"):
    return make_wasm_image(work, c, name, {"go-hello/spin_go_hello.wasm": GO_HELLO_WASM},
                           GO_HELLO_MANIFEST)


# An outgoing request from inside the container: tests/wasi2's JS
# component (fetch-http.js, componentize-js) POSTs "ping" to the URL in
# x-target; loopback is the host's (--net-host), any port allowed.
WASM_DIR = os.environ["WASM_DIR"]
FETCH_JS = os.path.join(WASM_DIR, "fetch_http_js.wasm")
FETCH_MANIFEST = """spin_manifest_version = 2
[application]
name = "outbound"
[[trigger.http]]
route = "/..."
component = "fetch"
[component.fetch]
source = "fetch.wasm"
allowed_outbound_hosts = ["http://127.0.0.1:*"]
"""
# The same component allowed nowhere: the shim loads no HTTP client for it.
FETCH_NOWHERE_MANIFEST = FETCH_MANIFEST.replace(
    'allowed_outbound_hosts = ["http://127.0.0.1:*"]\n', "")

# Key-value from inside the container: tests/spinapi's Wagi component
# (wat/kv_counter.wat) counts in the "default" store, which lives in the
# container at /.spin/sqlite_key_value.db.
KV_COUNTER = os.path.join(WASM_DIR, "spinapi_kv_counter.wasm")
KV_MANIFEST = """spin_manifest_version = 2
[application]
name = "kv-counter"
[variables]
who = { default = "container" }
[[trigger.http]]
route = "/..."
component = "counter"
executor = { type = "wagi" }
[component.counter]
source = "counter.wasm"
key_value_stores = ["default"]
[component.counter.variables]
message = "hello, {{ who }}"
"""


def make_wasm_image(work, c, name, files, manifest):
    """An app image of `files` (name in the image -> path) and `manifest`."""
    root = os.path.join(work, name.replace("/", "_").replace(":", "_"))
    os.makedirs(root)
    for dst, src in files.items():
        os.makedirs(os.path.dirname(os.path.join(root, dst)), exist_ok=True)
        shutil.copy(src, os.path.join(root, dst))
    with open(os.path.join(root, "spin.toml"), "w") as f:
        f.write(manifest)
    tar = root + ".tar"
    full = images.mkimage(root, name, tar, entrypoint='["/"]', arch="wasm", os_="wasip1")
    c.import_image(tar)
    return full


def setup():
    work = tempfile.mkdtemp(prefix="integ-spin-")
    c = Containerd(shim_dir=SHIM_DIR)
    c.__enter__()
    ctx = {"c": c, "work": work}
    try:
        ctx["app"] = make_image(work, c, "localhost/spin-wagi:test")
        tar, ctx["busybox"] = images.busybox_image(work)
        c.import_image(tar)
        ctx["needs_token"] = make_image(work, c, "localhost/needs-token:test",
                                        REQUIRED_VAR_MANIFEST)
        ctx["malformed"] = make_image(work, c, "localhost/malformed:test",
                                      "spin_manifest_version = 2\n[application\nname = 1\n")
        ctx["go_hello"] = make_go_hello_image(work, c)
        ctx["components"] = make_component_image(work, c, "localhost/spin-components:test")
        if os.path.exists(FETCH_JS):
            ctx["outbound"] = make_wasm_image(work, c, "localhost/spin-outbound:test",
                                              {"fetch.wasm": FETCH_JS}, FETCH_MANIFEST)
            ctx["nowhere"] = make_wasm_image(work, c, "localhost/spin-nowhere:test",
                                             {"fetch.wasm": FETCH_JS}, FETCH_NOWHERE_MANIFEST)
        ctx["kv"] = make_wasm_image(work, c, "localhost/spin-kv:test",
                                    {"counter.wasm": KV_COUNTER}, KV_MANIFEST)
    except BaseException:
        teardown(ctx)
        raise
    return ctx


def teardown(ctx):
    ctx["c"].__exit__(None, None, None)
    shutil.rmtree(ctx["work"], ignore_errors=True)


class SpinTask:
    """`ctr run` of a Spin image in the background, serving on its own port."""

    def __init__(self, ctx, cid, image=None, env=(), port=None, extra=()):
        self.c = ctx["c"]
        self.cid = cid
        self.port = port or free_port()
        self.out = tempfile.TemporaryFile(mode="w+")
        args = ["run", "--rm", "--net-host", "--runtime", RUNTIME,
                "--env", f"SPIN_HTTP_LISTEN_ADDR=127.0.0.1:{self.port}"]
        for kv in env:
            args += ["--env", kv]
        args += list(extra) + [image or ctx["app"], cid]
        self.proc = self.c.ctr_popen(*args, stdout=self.out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{cid} exited ({self.proc.returncode}) before "
                                     f"listening:\n{self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.close()
        raise AssertionError(f"{cid} did not listen on {self.port}:\n{self.output()}")

    def output(self):
        self.out.seek(0)
        return self.out.read()

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def close(self):
        if self.proc.poll() is None:
            self.c.ctr("task", "kill", "-s", "SIGKILL", self.cid, check=False)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.c.ctr("container", "rm", self.cid, check=False)
        self.out.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run_to_exit(ctx, cid, image, env=()):
    args = ["run", "--rm", "--net-host", "--runtime", RUNTIME,
            "--env", f"SPIN_HTTP_LISTEN_ADDR=127.0.0.1:{free_port()}"]
    for kv in env:
        args += ["--env", kv]
    return ctx["c"].ctr(*args, image, cid, check=False, timeout=60)


def ppid(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def shim_daemons(c):
    """Shim processes serving c, without the containers they forked: a Spin
    container is a fork of the shim running the Spin host in-process, so it
    carries the shim's command line too."""
    pids = set(c.shim_pids())
    return sorted(p for p in pids if ppid(p) not in pids)


def wait_for(pred, timeout=20, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


# ---- tests ----------------------------------------------------------------

def test_routes_answer_and_unknown_path_is_404(ctx):
    with SpinTask(ctx, "routes") as t:
        status, body = t.request("GET", "/hello")
        assert status == 200, (status, body)
        assert body.startswith(b"Hello from Wagi!\nroute=/hello"), body
        status, body = t.request("GET", "/static/data/answer.json")
        assert (status, body) == (200, b'{"answer": 42}\n'), (status, body)
        status, body = t.request("GET", "/static/index.html")
        assert status == 200 and b"Served by a Wagi component" in body, (status, body)
        status, body = t.request("GET", "/nowhere")
        assert status == 404, (status, body)
        status, body = t.request("GET", "/api/status/418")
        assert status == 418, (status, body)
        # the example's wasi:http component, beside its Wagi programs
        status, body = t.request("GET", "/component/hi?lang=c")
        assert (status, body) == (200, b"Hello from a wasi:http component in C!\n"
                                       b"method: GET\npath: /component/hi?lang=c\n"), (status, body)


def test_wasi_http_components_answer(ctx):
    with SpinTask(ctx, "components", image=ctx["components"]) as t:
        status, body = t.request("GET", "/c/in/a/container?x=1")
        assert (status, body) == (200, b"hello from C wasi:http\nmethod: GET\n"
                                       b"path: /c/in/a/container?x=1\n"), (status, body,
                                                                           t.output())
        status, body = t.request("GET", "/rust")
        assert (status, body) == (200, b"Hello, this is your first wasi:http/proxy world!\n")
        # Spin's http-js template app (itty router), a fresh instance each.
        for _ in range(2):
            status, body = t.request("GET", "/")
            assert (status, body) == (200, b"Hello, Spin!"), (status, body, t.output())
        status, body = t.request("GET", "/hello/world")
        assert (status, body) == (200, b'"Hello, world!"'), (status, body)
        status, body = t.request("GET", "/nowhere")
        assert (status, body) == (404, b'{"status":404,"error":"Not Found"}'), (status, body)


class EchoServer:
    """A loopback HTTP server answering a POST with x-test: yes and
    "<method> <x-req> <body>"."""

    def __init__(self):
        echo = self
        self.hits = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                echo.hits += 1
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                text = f"POST {self.headers.get('x-req')} {body.decode()}".encode()
                self.send_response(200)
                self.send_header("x-test", "yes")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_outbound_http_from_inside_the_container(ctx):
    """The component's fetch() leaves the container for a server on the
    host's loopback; a host allowed_outbound_hosts does not name is
    refused with an error the guest handles (502 from its catch)."""
    if "outbound" not in ctx:
        print("SKIP: no fetch_http_js.wasm (node/componentize-js not in .tools)")
        return
    with EchoServer() as echo, SpinTask(ctx, "outbound", image=ctx["outbound"]) as t:
        status, body = t.request("GET", "/", headers={
            "x-target": f"http://127.0.0.1:{echo.port}/echo"})
        assert (status, body) == (200, b"200 yes POST js ping"), (status, body, t.output())
        status, body = t.request("GET", "/", headers={
            "x-target": f"http://localhost:{echo.port}/echo"})
        assert status == 502 and body.startswith(b"fetch failed:"), (status, body)


def task_pid(ctx, cid):
    for line in ctx["c"].ctr("task", "ls").stdout.splitlines()[1:]:
        fields = line.split()
        if fields and fields[0] == cid:
            return int(fields[1])
    raise AssertionError(f"no task {cid}")


CLIENT_LIBRARIES = ("libmicrohttpd", "libcurl", "libpq", "libmariadb", "libmosquitto")


def libraries_mapped(ctx, cid):
    """Which of CLIENT_LIBRARIES the container process has mapped."""
    with open(f"/proc/{task_pid(ctx, cid)}/maps") as f:
        maps = f.read()
    return sorted(lib for lib in CLIENT_LIBRARIES if f"/{lib}" in maps)


def test_only_the_libraries_the_manifest_asks_for_are_loaded(ctx):
    """Create loads libmicrohttpd for an http trigger and a client only for
    the schemes allowed_outbound_hosts names: a Wagi hello maps no client
    library, an app allowed http://127.0.0.1 maps libcurl (and reaches the
    host through it after pivot_root), the same app allowed nowhere maps
    none and its fetch() is refused by the policy, as Spin refuses it,
    reaching no server."""
    with SpinTask(ctx, "libs-hello") as t:
        assert t.request("GET", "/hello")[0] == 200
        assert libraries_mapped(ctx, "libs-hello") == ["libmicrohttpd"]
    if "outbound" not in ctx:
        print("SKIP (fetch part): no fetch_http_js.wasm")
        return
    with EchoServer() as echo, SpinTask(ctx, "libs-out", image=ctx["outbound"]) as t:
        status, body = t.request("GET", "/", headers={
            "x-target": f"http://127.0.0.1:{echo.port}/echo"})
        assert (status, body) == (200, b"200 yes POST js ping"), (status, body, t.output())
        assert libraries_mapped(ctx, "libs-out") == ["libcurl", "libmicrohttpd"]
    with EchoServer() as echo, SpinTask(ctx, "libs-nowhere", image=ctx["nowhere"]) as t:
        status, body = t.request("GET", "/", headers={
            "x-target": f"http://127.0.0.1:{echo.port}/echo"})
        assert status == 502 and body.startswith(b"fetch failed:"), (status, body)
        assert echo.hits == 0
        assert libraries_mapped(ctx, "libs-nowhere") == ["libmicrohttpd"]
        assert "was not loaded" not in t.output(), t.output()
def test_traces_leave_the_container(ctx):
    """OTEL_* in the container's env: the request's server span (the
    incoming traceparent its parent) and the fetch's client span reach an
    OTLP receiver on the host's loopback, with the service name given."""
    if "outbound" not in ctx:
        print("SKIP: no fetch_http_js.wasm (node/componentize-js not in .tools)")
        return
    from otlp_receiver import Receiver
    trace, parent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    with Receiver() as rx, EchoServer() as echo, SpinTask(
            ctx, "traced", image=ctx["outbound"],
            env=(f"OTEL_EXPORTER_OTLP_ENDPOINT={rx.url}", "OTEL_BSP_SCHEDULE_DELAY=100",
                 "OTEL_SERVICE_NAME=in-container")) as t:
        status, body = t.request("GET", "/", headers={
            "x-target": f"http://127.0.0.1:{echo.port}/echo",
            "traceparent": f"00-{trace}-{parent}-01"})
        assert (status, body) == (200, b"200 yes POST js ping"), (status, body, t.output())
        spans = rx.wait_spans(2)
    server = [s for s in spans if s["kind"] == 2]
    client = [s for s in spans if s["kind"] == 3]
    assert len(server) == 1 and len(client) == 1, spans
    assert server[0]["name"] == "GET /..." and server[0]["parent_span_id"] == parent, server
    assert server[0]["trace_id"] == trace, server
    assert client[0]["parent_span_id"] == server[0]["span_id"], (client, server)
    assert server[0]["resource"]["service.name"] == "in-container", server


def test_traces_of_an_app_without_outbound_hosts(ctx):
    """An app that may reach no host still exports: Create loads libcurl
    for the exporter when the container's env names an OTLP endpoint
    (nothing can be loaded after pivot_root)."""
    from otlp_receiver import Receiver
    with Receiver() as rx, SpinTask(
            ctx, "traced-hello",
            env=(f"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT={rx.url}/v1/traces",
                 "OTEL_BSP_SCHEDULE_DELAY=100")) as t:
        assert t.request("GET", "/hello")[0] == 200
        spans = rx.wait_spans(1)
        assert "was not loaded" not in t.output(), t.output()
    assert [s["kind"] for s in spans] == [2], spans
    assert spans[0]["name"].startswith("GET "), spans


def test_key_value_store_lives_in_the_container(ctx):
    """The default store is /.spin/sqlite_key_value.db inside the
    container: the count goes on across requests and the file is in the
    container's root (seen from the host through the task's bundle)."""
    with SpinTask(ctx, "kv", image=ctx["kv"]) as t:
        status, body = t.request("GET", "/")
        assert (status, body) == (200, b"hello, container denied\ncount=1\n"), \
            (status, body, t.output())
        status, body = t.request("GET", "/")
        assert body.endswith(b"count=2\n"), body
        c = ctx["c"]
        db = os.path.join(c.state, "io.containerd.runtime.v2.task", c.namespace, "kv",
                          "rootfs", ".spin", "sqlite_key_value.db")
        assert os.path.exists(db), (db, t.output())
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        rows = con.execute("SELECT store, key, value FROM spin_key_value").fetchall()
        con.close()
        assert rows == [("default", "count", bytes([2]))], rows


def test_refused_requests_reach_the_container_log(ctx):
    """The app's log (what `kubectl logs` shows) names a request the server
    refused, although the shim itself logs only errors by default."""
    with SpinTask(ctx, "refusals") as t:
        with socket.create_connection(("127.0.0.1", t.port), timeout=10) as s:
            s.sendall(b"GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
            reply = s.recv(4096)
        assert reply.startswith(b"HTTP/1.1 400"), reply
        wait_for(lambda: "refused a request from 127.0.0.1" in t.output(), what="the log line")


def test_query_string_and_body_reach_the_component(ctx):
    with SpinTask(ctx, "echo") as t:
        payload = b"line one\nline two \x00\xff binary\n" * 100
        status, body = t.request("POST", "/api/echo?a=1&b=two%20words", body=payload,
                                 headers={"Content-Type": "application/octet-stream"})
        assert status == 200, (status, body[:200])
        assert body == b"method=POST query=a=1&b=two%20words\n" + payload, body[:200]


def test_container_env_maps_to_variables_and_does_not_leak(ctx):
    # GREETING is named like the manifest variable `greeting`: it feeds the
    # variable, but the component's own environment keeps the manifest's
    # GREETING; LEAKY and the image's PATH reach no component.
    with SpinTask(ctx, "envs", env=("GREETING=from-container", "LEAKY=secret",
                                    "SPIN_VARIABLE_GREETING=x")) as t:
        assert t.request("GET", "/api/env/GREETING") == (200, b"hi from the manifest\n")
        assert t.request("GET", "/api/env/APP_MODE") == (200, b"demo\n")
        for name in ("LEAKY", "SPIN_VARIABLE_GREETING", "SPIN_HTTP_LISTEN_ADDR", "PATH"):
            assert t.request("GET", f"/api/env/{name}") == (200, b"(unset)\n"), name


def test_required_variable_from_container_env(ctx):
    # plain upper-cased name and the SPIN_VARIABLE_ prefix both satisfy it
    for n, kv in enumerate(("API_TOKEN=t0k3n", "SPIN_VARIABLE_API_TOKEN=t0k3n")):
        with SpinTask(ctx, f"token{n}", image=ctx["needs_token"], env=(kv,)) as t:
            status, body = t.request("GET", "/x")
            assert status == 200 and body.startswith(b"Hello from Wagi!"), (kv, status, body)
    # an unrelated env var does not
    r = run_to_exit(ctx, "token-missing", ctx["needs_token"], env=("API_TOKENX=t",))
    out = r.stdout + r.stderr
    assert r.returncode != 0, (r.returncode, out)
    assert "api_token" in out, out


def test_listen_address_is_honoured(ctx):
    port = free_port()
    with SpinTask(ctx, "listen", port=port) as t:
        assert t.port == port
        assert t.request("GET", "/hello")[0] == 200
        # the banner names the address it serves on
        wait_for(lambda: f"127.0.0.1:{port}" in t.output(), what="the banner")


def test_two_spin_apps_in_one_shim_on_different_ports(ctx):
    # containerd-shim-spin issue #52: two apps grouped into one shim (same
    # sandbox id, as in a pod) must each serve on their own port.
    c = ctx["c"]
    ann = ("--annotation", "io.kubernetes.cri.sandbox-id=spinpod")
    with SpinTask(ctx, "spinpod-a", extra=ann) as a:
        with SpinTask(ctx, "spinpod-b", extra=ann) as b:
            assert a.port != b.port
            assert len(shim_daemons(c)) == 1, c.shim_pids()
            assert a.request("GET", "/hello")[0] == 200
            assert b.request("GET", "/hello")[0] == 200
            assert b.request("GET", "/api/echo?who=b")[1] == b"method=GET query=who=b\n"
            assert a.request("GET", "/api/echo?who=a")[1] == b"method=GET query=who=a\n"
        # stopping b leaves a serving
        assert a.request("GET", "/hello")[0] == 200
    wait_for(lambda: not c.shim_pids(), what="the shim to exit")


def test_default_listen_address_in_a_pod_network_namespace(ctx):
    # Without SPIN_HTTP_LISTEN_ADDR the app listens on 0.0.0.0:80, like Spin
    # under Kubernetes; a sidecar in the same pod network namespace reaches
    # it over the pod's loopback (which the runtime must bring up, as runc
    # does for a new network namespace).
    c = ctx["c"]
    ann = ("--annotation", "io.kubernetes.cri.sandbox-id=netpod")
    c.ctr("run", "-d", "--runtime", RUNTIME, *ann, ctx["busybox"], "netpod-sandbox",
          "sleep", "100000")
    try:
        wait_for(lambda: "netpod-sandbox" in c.ctr("task", "ls", "-q").stdout, what="sandbox")
        pid = next(int(line.split()[1]) for line in c.ctr("task", "ls").stdout.splitlines()[1:]
                   if line.split()[0] == "netpod-sandbox")
        out = tempfile.TemporaryFile(mode="w+")
        app = c.ctr_popen("run", "--rm", "--runtime", RUNTIME, *ann,
                          "--with-ns", f"network:/proc/{pid}/ns/net", ctx["app"], "netpod-app",
                          stdout=out, stderr=subprocess.STDOUT)
        try:
            def fetch():
                r = c.ctr("task", "exec", "--exec-id", f"nc{time.monotonic_ns()}",
                          "netpod-sandbox", "/bin/sh", "-c",
                          "printf 'GET /api/echo?from=sidecar HTTP/1.0\r\nHost: x\r\n\r\n'"
                          " | nc 127.0.0.1 80", check=False)
                return r.stdout
            wait_for(lambda: "200 OK" in fetch(), what="the app on the pod's 127.0.0.1:80")
            answer = fetch()
            body = answer.replace("\r\n", "\n").split("\n\n", 1)[1]
            assert body == "method=GET query=from=sidecar\n", answer
            out.seek(0)
            assert "0.0.0.0:80" in out.read()
        finally:
            c.ctr("task", "kill", "-s", "SIGTERM", "netpod-app", check=False)
            assert app.wait(timeout=30) == 0
            out.close()
    finally:
        c.ctr("task", "kill", "-s", "SIGKILL", "netpod-sandbox", check=False)
        wait_for(lambda: "RUNNING" not in c.ctr("task", "ls").stdout, what="sandbox stop")
        c.ctr("task", "rm", "netpod-sandbox", check=False)
        c.ctr("container", "rm", "netpod-sandbox", check=False)


def test_sigterm_stops_gracefully_with_status_0(ctx):
    c = ctx["c"]
    t = SpinTask(ctx, "term")
    try:
        assert t.request("GET", "/hello")[0] == 200
        start = time.monotonic()
        c.ctr("task", "kill", "-s", "SIGTERM", "term")
        rc = t.proc.wait(timeout=30)
        took = time.monotonic() - start
        print(f"     SIGTERM -> exit took {took:.3f} s")
        assert rc == 0, (rc, t.output())
        # Kubernetes' grace period: Spin stops within 2 s; bound with margin
        assert took < 5, took
    finally:
        t.close()


def test_malformed_manifest_is_reported_and_fails(ctx):
    r = run_to_exit(ctx, "bad-manifest", ctx["malformed"])
    out = r.stdout + r.stderr
    assert r.returncode != 0, (r.returncode, out)
    assert "spin.toml" in out, out


def test_tinygo_spin1_module_image_answers(ctx):
    """The go-hello example image: a Spin 1 ABI module served directly."""
    with SpinTask(ctx, "go-hello", image=ctx["go_hello"]) as t:
        status, body = t.request("GET", "/go-hello")
        assert status == 200, (status, body)
        text = body.decode()
        assert text.startswith("== REQUEST ==\n"), text
        assert f"URL:     http://127.0.0.1:{t.port}/go-hello\n" in text, text
        assert "Method:  GET\n" in text, text
        assert text.endswith("== RESPONSE ==\nHello Spin Shim!\n"), text
        status, body = t.request("POST", "/go-hello", body=b"from containerd")
        assert status == 200 and b"Body:    from containerd\n" in body, (status, body)


if __name__ == "__main__":
    run_tests(globals(), setup, teardown)
