"""test_up.py - `containerd-shim-spin-v2 up` serves a Spin app of Wagi
components the way `spin up` / the Spin shim would.

Each test starts the binary on a free loopback port with the spin-wagi
example (<build>/apps/spin-wagi, wagi-hello.wasm behind /hello and /api/...)
or a manifest written for the test, talks HTTP to it, and stops it with a
signal.
"""
import http.client
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixture"))
from harness import free_port, run_tests  # noqa: E402

SHIM = os.environ["SHIM_BIN"]
BUILD = os.environ["BUILD_DIR"]
APP = os.path.join(BUILD, "apps", "spin-wagi")
WASM = os.path.join(os.environ["WASM_DIR"], "wagi-hello.wasm")


class Up:
    """A running `up` process; use as a context manager."""

    def __init__(self, args=(), env=None, app=APP, listen=True):
        self.port = free_port()
        cmd = [SHIM, "up", "--from", app]
        if listen:
            cmd += ["--listen", f"127.0.0.1:{self.port}"]
        cmd += list(args)
        full_env = dict(os.environ)
        full_env.pop("SPIN_HTTP_LISTEN_ADDR", None)
        full_env.update(env or {})
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=full_env, text=True)
        self.stdout = []
        self._lines = queue.Queue()
        threading.Thread(target=self._drain, daemon=True).start()
        # Wait for the "Available Routes:" banner (or an early exit).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            if line is None:
                break
            if line.startswith("Available Routes:"):
                time.sleep(0.05)  # the route lines follow at once
                return
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        raise AssertionError(f"up did not start (rc={self.proc.returncode}): "
                             f"{self.proc.stderr.read()}")

    def _drain(self):
        for line in self.proc.stdout:
            self.stdout.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def request(self, method, path, body=None, headers=None, conn=None):
        c = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        if conn is None:
            c.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError("up did not exit after the signal")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def up_fails(args=(), env=None, app=APP):
    full_env = dict(os.environ)
    full_env.update(env or {})
    r = subprocess.run([SHIM, "up", "--from", app, "--listen", f"127.0.0.1:{free_port()}"]
                       + list(args), capture_output=True, text=True, env=full_env, timeout=30)
    assert r.returncode != 0, f"expected a start-up error, got rc=0: {r.stdout}"
    return r.stderr


def write_app(tmp, manifest):
    with open(os.path.join(tmp, "spin.toml"), "w") as f:
        f.write(manifest.replace("@WASM@", WASM))
    return tmp


# ---- tests ---------------------------------------------------------------


def test_two_routes_and_their_cgi_view():
    with Up() as up:
        status, headers, body = up.request("GET", "/hello")
        assert status == 200, (status, body)
        assert headers["content-type"] == "text/plain"
        text = body.decode()
        assert text.startswith("Hello from Wagi!\n"), text
        assert "route=/hello path_info= " in text, text
        assert f"url=http://127.0.0.1:{up.port}/hello" in text, text

        status, _, body = up.request("GET", "/api/env/X_MATCHED_ROUTE")
        assert (status, body) == (200, b"/api/...\n")
        status, _, body = up.request("GET", "/api/env/PATH_INFO")
        assert body == b"/env/PATH_INFO\n"
        status, _, body = up.request("GET", "/api/env/SCRIPT_NAME")
        assert body == b"/api\n"
        status, _, body = up.request("GET", "/api/env/SERVER_PROTOCOL")
        assert body == b"HTTP/1.1\n"
        status, _, body = up.request("GET", "/api/env/HTTP_X_TRACE", headers={"X-Trace": "t1"})
        assert body == b"t1\n"
        status, _, body = up.request("GET", "/api/env/REMOTE_ADDR")
        assert body == b"127.0.0.1\n"
        assert up.stop() == 0


def test_unrouted_paths_are_404_and_private_components_unlisted():
    with Up() as up:
        for path in ("/", "/nope", "/hello/extra", "/apix"):
            status, _, body = up.request("GET", path)
            assert (status, body) == (404, b""), (path, status, body)
        banner = "".join(up.stdout)
        assert f"hello: http://127.0.0.1:{up.port}/hello" in banner, banner
        assert f"api: http://127.0.0.1:{up.port}/api (wildcard)" in banner, banner
        assert "internal" not in banner, banner
        up.stop()


def test_query_strings_and_post_bodies():
    with Up() as up:
        status, _, body = up.request("POST", "/api/echo?a=1&b=two", body=b"payload bytes")
        assert status == 200
        assert body == b"method=POST query=a=1&b=two\npayload bytes", body

        # A chunked request body arrives whole on stdin.
        c = http.client.HTTPConnection("127.0.0.1", up.port, timeout=30)
        c.request("PUT", "/api/echo", body=iter([b"part one, ", b"part two"]),
                  encode_chunked=True)
        r = c.getresponse()
        assert r.read() == b"method=PUT query=\npart one, part two"
        c.close()

        big = os.urandom(3 * 1024 * 1024)
        status, _, body = up.request("POST", "/api/echo", body=big)
        assert status == 200 and body == b"method=POST query=\n" + big
        up.stop()


def test_keep_alive_connection_serves_many_requests():
    with Up() as up:
        c = http.client.HTTPConnection("127.0.0.1", up.port, timeout=30)
        for i in range(20):
            status, _, body = up.request("GET", f"/api/echo?n={i}", conn=c)
            assert status == 200 and f"query=n={i}".encode() in body
        c.close()
        up.stop()


def test_concurrent_requests():
    with Up() as up:
        results = []

        def worker(n):
            for i in range(10):
                s, _, b = up.request("GET", f"/api/echo?w={n}&i={i}")
                results.append(s == 200 and f"query=w={n}&i={i}".encode() in b)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(results) == 160 and all(results)
        up.stop()


def test_status_and_location_from_cgi_output():
    with Up() as up:
        status, _, body = up.request("GET", "/api/status/418")
        assert status == 418 and body == b""
        status, headers, _ = up.request("GET", "/api/redirect")
        assert status == 302 and headers["location"] == "/hello"
        up.stop()


def test_component_environment_and_no_host_env_leak():
    with Up(args=["--env", "FROM_FLAG=flagged"],
            env={"LEAKY_HOST_VAR": "secret", "SPIN_VARIABLE_GREETING": "x"}) as up:
        assert up.request("GET", "/api/env/GREETING")[2] == b"hi from the manifest\n"
        assert up.request("GET", "/api/env/APP_MODE")[2] == b"demo\n"
        assert up.request("GET", "/api/env/FROM_FLAG")[2] == b"flagged\n"
        for name in ("LEAKY_HOST_VAR", "HOME", "PATH", "SPIN_VARIABLE_GREETING"):
            assert up.request("GET", f"/api/env/{name}")[2] == b"(unset)\n", name
        up.stop()


def test_files_component_sees_its_mounted_files_read_only():
    with Up() as up:
        status, headers, body = up.request("GET", "/static/")
        assert status == 200 and headers["content-type"] == "text/html", (status, body)
        assert b"Served by a Wagi component" in body
        status, _, body = up.request("GET", "/static/data/answer.json")
        assert (status, body) == (200, b'{"answer": 42}\n')
        assert up.request("GET", "/static/missing.txt")[0] == 404
        # Nothing outside the mounted directory is reachable.
        status, _, body = up.request("GET", "/static/../spin.toml")
        assert status == 404, body
        assert up.request("GET", "/static/_write")[2] == b"write refused\n"
        # argv follows the trigger's `argv` template.
        status, _, body = up.request("GET", "/static/_argv?a=1&b=2")
        assert body == b"static.wasm|/static/_argv|a=1|b=2\n", body
        up.stop()


def test_individual_files_are_placed_where_the_manifest_says():
    static_wasm = os.path.join(APP, "spin-static.wasm")
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "site", "sub"))
        for rel, text in (("site/index.html", "<p>index</p>\n"), ("site/sub/b.txt", "b\n"),
                          ("site/sub/skip.log", "no\n"), ("conf.json", "{}\n")):
            with open(os.path.join(tmp, rel), "w") as f:
                f.write(text)
        write_app(tmp, f"""
spin_manifest_version = 2
[application]
name = "placed"
[[trigger.http]]
route = "/..."
component = "c"
executor = {{ type = "wagi" }}
[component.c]
source = "{static_wasm}"
files = ["site/**/*", {{ source = "conf.json", destination = "/etc/app/conf.json" }}]
exclude_files = ["**/*.log"]
""")
        # No usable TMPDIR: staging falls back to the app's .spin directory.
        with Up(app=tmp, env={"TMPDIR": "/nonexistent"}) as up:
            assert up.request("GET", "/site/index.html")[2] == b"<p>index</p>\n"
            assert up.request("GET", "/site/sub/b.txt")[2] == b"b\n"
            assert up.request("GET", "/etc/app/conf.json")[2] == b"{}\n"
            assert up.request("GET", "/site/sub/skip.log")[0] == 404
            assert up.request("GET", "/conf.json")[0] == 404
            assert up.stop() == 0
        left = os.listdir(os.path.join(tmp, ".spin"))
        assert left == [], left


def test_failing_guests_get_500_and_a_log_line():
    with Up() as up:
        for probe, log in (("_trap", "unreachable"), ("_exit", "exited with code 3"),
                           ("_garbage", "'location' or 'content-type'"),
                           ("_silent", "did not write to stdout")):
            status, _, body = up.request("GET", f"/static/{probe}")
            assert status == 500, (probe, status, body)
            # Guest output never leaks into an error response.
            assert b"about to fail" not in body and b"not a CGI" not in body, (probe, body)
        # The server keeps serving afterwards.
        assert up.request("GET", "/hello")[0] == 200
        up.stop()
        err = up.proc.stderr.read()
        for probe, log in (("_trap", "unreachable"), ("_exit", "exited with code 3"),
                           ("_garbage", "'location' or 'content-type'"),
                           ("_silent", "did not write to stdout")):
            assert log in err, (probe, err)
        assert "component 'files'" in err, err


def test_guests_never_see_earlier_responses_in_their_stdout():
    # Secrets served concurrently, so every worker thread has just answered
    # one; then probes, which run on those same threads.
    with Up() as up:
        def secret(i):
            status, _, body = up.request("GET", f"/static/_secret?user{i}")
            results[i] = status == 200 and body.startswith(f"secret-user{i}\n".encode())
        results = [False] * 16
        threads = [threading.Thread(target=secret, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(results), results
        for _ in range(16):
            status, _, body = up.request("GET", "/static/_peek")
            assert status == 200, (status, body)
            assert body == b"held=0 read=nothing\n", body
        up.stop()


def test_a_guest_cannot_seek_its_stdout_far_ahead_and_the_server_lives():
    # stdout is write-only for guests (no seek/tell): the 1 TiB seek fails,
    # the byte lands right after the body, the host reads no huge file
    with Up() as up:
        status, _, body = up.request("GET", "/static/_seek")
        assert status == 200, (status, body[:80])
        assert body == b"far away\nx", body[:80]
        assert up.request("GET", "/hello")[0] == 200
        up.stop()
        err = up.proc.stderr.read()
        assert "exceeds the 256 MiB limit" not in err, err


def test_max_instance_memory_caps_guests():
    with Up() as up:
        assert up.request("GET", "/static/_alloc")[2] == b"allocated\n"
        up.stop()
    with Up(env={"SPIN_MAX_INSTANCE_MEMORY": str(16 << 20)}) as up:
        assert up.request("GET", "/static/_alloc")[2] == b"allocation failed\n"
        assert up.request("GET", "/hello")[0] == 200
        up.stop()


def test_ipv6_and_localhost_listen_addresses():
    for host in ("[::1]", "localhost"):
        if host == "[::1]" and not socket.has_ipv6:
            continue
        port = free_port()
        with Up(listen=False, args=["--listen", f"{host}:{port}"]) as up:
            banner = "".join(up.stdout)
            addr = banner.split("Serving http://")[1].split()[0]
            h, p = addr.rsplit(":", 1)
            c = http.client.HTTPConnection(h.strip("[]"), int(p), timeout=30)
            c.request("GET", "/hello")
            assert c.getresponse().status == 200
            c.close()
            up.stop()


def test_health_and_info_endpoints():
    with Up() as up:
        assert up.request("GET", "/.well-known/spin/health")[:3:2] == (200, b"OK")
        status, headers, body = up.request("GET", "/.well-known/spin/info")
        assert status == 200 and headers["content-type"] == "application/json"
        assert json.loads(body) == {"name": "spin-wagi", "version": "0.1.0"}
        assert up.request("GET", "/.well-known/spin/other")[0] == 404
        up.stop()


def test_listen_address_from_environment():
    port = free_port()
    with Up(listen=False, env={"SPIN_HTTP_LISTEN_ADDR": f"127.0.0.1:{port}"}) as up:
        up.port = port
        assert up.request("GET", "/hello")[0] == 200
        assert f"Serving http://127.0.0.1:{port}" in "".join(up.stdout)
        up.stop()


def test_signals_stop_gracefully_with_status_0():
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        with Up() as up:
            assert up.request("GET", "/hello")[0] == 200
            t0 = time.monotonic()
            assert up.stop(sig) == 0, sig
            assert time.monotonic() - t0 < 10
            # The port is released.
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", up.port))
            s.close()


def test_sigterm_under_load_still_exits_0():
    with Up() as up:
        stop = threading.Event()
        statuses = []

        def hammer():
            c = http.client.HTTPConnection("127.0.0.1", up.port, timeout=30)
            while not stop.is_set():
                try:
                    c.request("GET", "/hello")
                    r = c.getresponse()
                    r.read()
                    statuses.append(r.status)
                except (OSError, http.client.HTTPException):
                    return

        threads = [threading.Thread(target=hammer) for _ in range(8)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while len(statuses) < 50 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(statuses) >= 50, statuses
        assert up.stop() == 0
        stop.set()
        for t in threads:
            t.join()
        # Requests in progress were answered; later ones refused politely.
        assert set(statuses) <= {200, 503}, set(statuses)


def test_required_variables():
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp, """
spin_manifest_version = 2
[application]
name = "vars"
[variables]
api_token = { required = true }
mode = { default = "dev" }
[[trigger.http]]
route = "/..."
component = "c"
executor = { type = "wagi" }
[component.c]
source = "@WASM@"
[component.c.variables]
token = "{{ api_token }}"
""")
        err = up_fails(app=app)
        assert "api_token" in err, err
        for env in ({"SPIN_VARIABLE_API_TOKEN": "t"}, {"API_TOKEN": "t"}):
            with Up(app=app, env=env) as up:
                assert up.request("GET", "/hello")[0] == 200
                up.stop()


def test_static_response_triggers():
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp, """
spin_manifest_version = 2
[application]
name = "static"
[[trigger.http]]
route = "/teapot"
static_response = { status_code = 418, headers = { x-kind = "teapot" }, body = "short and stout" }
[[trigger.http]]
route = "/..."
component = "c"
executor = { type = "wagi" }
[component.c]
source = "@WASM@"
""")
        with Up(app=app) as up:
            status, headers, body = up.request("GET", "/teapot")
            assert (status, headers["x-kind"], body) == (418, "teapot", b"short and stout")
            assert up.request("GET", "/hello")[0] == 200
            up.stop()


def test_components_to_retain():
    with Up(env={"SPIN_COMPONENTS_TO_RETAIN": "hello"}) as up:
        assert up.request("GET", "/hello")[0] == 200
        assert up.request("GET", "/api/echo")[0] == 404
        up.stop()
    err = up_fails(env={"SPIN_COMPONENTS_TO_RETAIN": "hello,nope"})
    assert 'Specified component "nope" not found' in err, err


def test_log_dir_gets_component_files():
    with tempfile.TemporaryDirectory() as tmp:
        logs = os.path.join(tmp, "logs")
        with Up(env={"SPIN_LOG_DIR": logs}) as up:
            assert up.request("GET", "/hello")[0] == 200
            up.stop()
        names = sorted(os.listdir(logs))
        assert "hello_stderr.txt" in names and "api_stdout.txt" in names, names


def test_refused_requests_are_logged_at_the_default_level():
    """A request the server refuses (RFC 9112 framing) leaves a line on
    stderr without any --log-level: the operator sees who was refused."""
    with Up() as up:
        with socket.create_connection(("127.0.0.1", up.port), timeout=10) as s:
            s.sendall(b"POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                      b"Content-Length: 2\r\n\r\nab")
            reply = s.recv(4096)
        assert reply.startswith(b"HTTP/1.1 400"), reply
        assert up.request("GET", "/hello")[0] == 200
        up.stop()
        err = up.proc.stderr.read()
        assert "refused a request from 127.0.0.1" in err and "Content-Length" in err, err


def test_startup_errors_are_reported():
    with tempfile.TemporaryDirectory() as tmp:
        err = up_fails(app=tmp)
        assert "spin.toml" in err, err
        write_app(tmp, """
spin_manifest_version = 2
[application]
name = "bad"
[[trigger.http]]
route = "/x"
component = "c"
executor = { type = "wagi" }
[component.c]
source = "missing.wasm"
""")
        err = up_fails(app=tmp)
        assert "missing.wasm" in err and "'c'" in err, err

        rc_file = os.path.join(tmp, "rc.toml")
        with open(rc_file, "w") as f:
            f.write("no_such_setting = 1\n")
        err = up_fails(args=["--runtime-config-file", rc_file])
        assert "no_such_setting" in err, err

    # The port is taken.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    r = subprocess.run([SHIM, "up", "--from", APP, "--listen", f"127.0.0.1:{port}"],
                       capture_output=True, text=True, timeout=30)
    s.close()
    assert r.returncode != 0 and "already in use" in r.stderr, r.stderr


if __name__ == "__main__":
    run_tests(globals())
