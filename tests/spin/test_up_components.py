"""test_up_components.py - `containerd-shim-spin-v2 up` serves Spin apps whose
components are WebAssembly components exporting wasi:http/incoming-handler,
the way `spin up` serves them: each real app of the shared corpus
(../shared/corpora/components/real, README.md there says what each must
answer) behind a route, a fresh instance per request, the spin-* headers
given to the guest, and a guest that fails (traps, never answers, loops)
answered 500 / 504 while the server keeps serving.

The failing guests are tiny components written as text
(tests/spin/wat/http_*.wat, built with `jco parse`).
"""
import http.client
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
WASM_DIR = os.environ["WASM_DIR"]
REAL = os.path.join(os.environ["SHARED_DIR"], "corpora", "components", "real")


def real(name):
    return os.path.join(REAL, name)


def built(name):
    return os.path.join(WASM_DIR, name)


class Up:
    """A running `up` process whose stdout and stderr are both drained."""

    def __init__(self, app, args=(), env=None):
        self.port = free_port()
        cmd = [SHIM, "up", "--from", app, "--listen", f"127.0.0.1:{self.port}"] + list(args)
        full_env = dict(os.environ)
        full_env.pop("SPIN_HTTP_LISTEN_ADDR", None)
        full_env.pop("SPIN_HTTP_REQUEST_TIMEOUT", None)
        full_env.update(env or {})
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=full_env, text=True)
        self.out, self.err = [], []
        self._lines = queue.Queue()
        for stream, sink, signal_lines in ((self.proc.stdout, self.out, True),
                                           (self.proc.stderr, self.err, False)):
            threading.Thread(target=self._drain, args=(stream, sink, signal_lines),
                             daemon=True).start()
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
                time.sleep(0.05)
                return
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        time.sleep(0.1)
        raise AssertionError(f"up did not start (rc={self.proc.returncode}): "
                             f"{''.join(self.err)}")

    def _drain(self, stream, sink, signal_lines):
        for line in stream:
            sink.append(line)
            if signal_lines:
                self._lines.put(line)
        if signal_lines:
            self._lines.put(None)

    def request(self, method, path, body=None, headers=None, conn=None, timeout=60):
        c = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        if conn is None:
            c.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError("up did not exit after SIGTERM")
        time.sleep(0.1)  # the drain threads read the last lines
        err = "".join(self.err)
        # Under the sanitizer build, a report fails the test that made it.
        assert "Sanitizer" not in err and "runtime error:" not in err, err
        return rc

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def write_app(tmp, components):
    """A spin.toml with one HTTP trigger per (id, route, source, extra) and
    the component sections."""
    lines = ['spin_manifest_version = 2', '[application]', 'name = "components"', '']
    for cid, route, source, extra in components:
        lines += ['[[trigger.http]]', f'route = "{route}"', f'component = "{cid}"']
        if extra.get("executor"):
            lines.append(f'executor = {extra["executor"]}')
        lines += ['', f'[component.{cid}]', f'source = "{source}"']
        for key, value in extra.items():
            if key != "executor":
                lines.append(f"{key} = {value}")
        lines.append('')
    with open(os.path.join(tmp, "spin.toml"), "w") as f:
        f.write("\n".join(lines))
    return tmp


def up_fails(app):
    r = subprocess.run([SHIM, "up", "--from", app, "--listen", f"127.0.0.1:{free_port()}"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0, f"expected a start-up error, got rc=0: {r.stdout}"
    assert "Sanitizer" not in r.stderr and "runtime error:" not in r.stderr, r.stderr
    return r.stderr


REAL_APPS = [
    ("c-http", "/c/...", real("c-http.wasm"), {}),
    ("rust-hello", "/rust", real("gh-runwasi-hello_wasi_http.rust.wasm"), {}),
    ("rust-sdk3", "/fetch", real("gh-runwasi-fetch_rs.spin-rust-sdk3.wasm"), {}),
    ("js-hello", "/js", real("cjs023-hello-http.wasm"), {}),
    ("echo", "/echo/...", real("cjs023-echo-http.wasm"), {}),
    ("itty", "/...", real("spin-http-js-itty.wasm"), {}),
]


# ---- tests ---------------------------------------------------------------


def test_real_http_components_answer_as_the_corpus_says():
    with tempfile.TemporaryDirectory() as tmp, Up(write_app(tmp, REAL_APPS)) as up:
        status, headers, body = up.request("GET", "/c/some/path?q=1")
        assert status == 200, (status, body, "".join(up.err))
        assert headers["content-type"] == "text/plain", headers
        assert headers["x-wasm-lang"] == "C", headers
        assert body == b"hello from C wasi:http\nmethod: GET\npath: /c/some/path?q=1\n", body

        status, _, body = up.request("POST", "/c", body=b"ignored body")
        assert (status, body) == (200, b"hello from C wasi:http\nmethod: POST\npath: /c\n")

        status, _, body = up.request("GET", "/rust")
        assert (status, body) == (200, b"Hello, this is your first wasi:http/proxy world!\n")

        status, headers, body = up.request("GET", "/js")
        assert (status, body) == (200, b"hello from componentize-js\n"), (status, body)
        assert headers["content-type"].startswith("text/plain"), headers

        status, headers, body = up.request("GET", "/fetch")
        assert (status, body) == (200, b""), (status, body)
        assert headers["content-type"].startswith("text/plain"), headers
        assert up.stop() == 0
        assert "Received request\n" in up.out, up.out

    # Each app appears under its route in the banner.
    banner = "".join(up.out)
    assert f"c-http: http://127.0.0.1:{up.port}/c (wildcard)" in banner, banner
    assert f"rust-hello: http://127.0.0.1:{up.port}/rust" in banner, banner
    assert f"js-hello: http://127.0.0.1:{up.port}/js" in banner, banner


def test_js_components_get_a_fresh_instance_per_request():
    """StarlingMonkey's respondWith answers once per instance: the itty
    router's app (Spin's http-js template) answers every request only if
    each gets its own instance, as in Spin."""
    with tempfile.TemporaryDirectory() as tmp, Up(write_app(tmp, REAL_APPS)) as up:
        for _ in range(3):
            status, headers, body = up.request("GET", "/")
            assert (status, body) == (200, b"Hello, Spin!"), (status, body, "".join(up.err))
            assert headers["content-type"] == "text/plain;charset=UTF-8", headers
        status, headers, body = up.request("GET", "/hello/world")
        assert (status, body) == (200, b'"Hello, world!"'), (status, body)
        assert headers["content-type"] == "application/json; charset=utf-8", headers
        status, _, body = up.request("GET", "/no/such/page")
        assert (status, body) == (404, b'{"status":404,"error":"Not Found"}'), (status, body)
        up.stop()


def test_the_guest_sees_the_request_and_the_spin_headers():
    import json
    with tempfile.TemporaryDirectory() as tmp, Up(write_app(tmp, REAL_APPS)) as up:
        status, headers, body = up.request(
            "POST", "/echo/path/more?q=1", body=b"body-1",
            headers={"X-Test": "abc", "Content-Type": "text/plain", "Connection": "keep-alive"})
        assert status == 200, (status, body, "".join(up.err))
        assert headers["x-echo-len"] == "6", headers
        seen = json.loads(body)
        assert (seen["method"], seen["path"], seen["body"]) == ("POST", "/echo/path/more?q=1",
                                                                "body-1"), seen
        h = seen["headers"]
        # The client's headers, lower-cased; Connection is this hop's only.
        assert h["x-test"] == "abc" and h["content-type"] == "text/plain", h
        assert h["content-length"] == "6" and "connection" not in h, h
        # What Spin adds for a wasi:http component (crates/trigger-http,
        # headers.rs: compute_default_headers).
        spin = {k: v for k, v in h.items() if k.startswith("spin-")}
        client = spin.pop("spin-client-addr")
        assert client.startswith("127.0.0.1:") and int(client.split(":")[1]) > 0, client
        assert spin == {
            "spin-full-url": f"http://127.0.0.1:{up.port}/echo/path/more?q=1",
            "spin-path-info": "/path/more",
            "spin-matched-route": "/echo/...",
            "spin-raw-component-route": "/echo/...",
            "spin-component-route": "/echo",
            "spin-base-path": "/",
        }, spin
        # A bigger body, sent chunked, arrives whole.
        c = http.client.HTTPConnection("127.0.0.1", up.port, timeout=60)
        c.request("PUT", "/echo/", body=iter([b"x" * 70000, b"y" * 5]), encode_chunked=True)
        r = c.getresponse()
        seen = json.loads(r.read())
        c.close()
        assert r.status == 200 and seen["body"] == "x" * 70000 + "y" * 5, r.status
        up.stop()


def test_many_requests_on_one_connection_and_in_parallel():
    with tempfile.TemporaryDirectory() as tmp, Up(write_app(tmp, REAL_APPS)) as up:
        c = http.client.HTTPConnection("127.0.0.1", up.port, timeout=60)
        for i in range(25):
            status, _, body = up.request("GET", f"/c/n?i={i}", conn=c)
            assert (status, body) == (200, f"hello from C wasi:http\nmethod: GET\n"
                                      f"path: /c/n?i={i}\n".encode()), (i, status, body)
        c.close()
        results = []

        def worker(n):
            for i in range(5):
                s, _, b = up.request("GET", "/rust" if i % 2 else f"/c/w{n}")
                results.append(s == 200 and (b"proxy world" in b or f"/c/w{n}".encode() in b))

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert len(results) == 40 and all(results), results
        up.stop()


def test_failing_guests_get_500_and_the_server_keeps_serving():
    app = [
        ("trap", "/trap", built("spin_http_trap.wasm"), {}),
        ("silent", "/silent", built("spin_http_noanswer.wasm"), {}),
        ("c-http", "/ok", real("c-http.wasm"), {}),
    ]
    with tempfile.TemporaryDirectory() as tmp, Up(write_app(tmp, app)) as up:
        for _ in range(3):
            status, _, body = up.request("GET", "/trap")
            assert status == 500, (status, body)
            status, _, body = up.request("GET", "/ok")
            assert status == 200 and body.startswith(b"hello from C"), (status, body)
        status, _, body = up.request("GET", "/silent")
        assert status == 500, (status, body)
        assert up.request("GET", "/ok")[0] == 200
        up.stop()
    err = "".join(up.err)
    assert "Error processing request for component 'trap'" in err, err
    assert "trapped" in err and "unreachable" in err, err
    assert "guest failed to produce a response" in err, err


def test_a_guest_past_the_request_deadline_gets_504():
    app = [
        ("loop", "/loop", built("spin_http_loop.wasm"), {}),
        ("c-http", "/ok", real("c-http.wasm"), {}),
    ]
    with tempfile.TemporaryDirectory() as tmp, \
            Up(write_app(tmp, app), env={"SPIN_HTTP_REQUEST_TIMEOUT": "1500ms"}) as up:
        status, _, _ = up.request("GET", "/loop", timeout=90)
        assert status == 504, status
        assert up.request("GET", "/ok")[0] == 200
        up.stop()
    assert "Component 'loop' (route /loop) did not answer GET /loop" in "".join(up.err)


def test_max_instance_memory_caps_each_instance():
    """The JS hello needs tens of MiB of linear memory, c-http one page: with
    SPIN_MAX_INSTANCE_MEMORY at 4 MiB the one cannot start (500, the
    setting named in the log) and the other serves."""
    app = [("js-hello", "/js", real("cjs023-hello-http.wasm"), {}),
           ("c-http", "/ok", real("c-http.wasm"), {})]
    with tempfile.TemporaryDirectory() as tmp, \
            Up(write_app(tmp, app), env={"SPIN_MAX_INSTANCE_MEMORY": str(4 << 20)}) as up:
        assert up.request("GET", "/js")[0] == 500
        assert up.request("GET", "/ok")[0] == 200
        up.stop()
    err = "".join(up.err)
    assert "component 'js-hello'" in err and "SPIN_MAX_INSTANCE_MEMORY" in err, err


def test_the_guest_of_a_client_that_went_away_is_stopped():
    """With an hour's deadline, only the request's cancel hook can stop a
    looping guest: once every worker's client hung up, the workers must be
    free again for the next request."""
    workers = 2
    app = [
        ("loop", "/loop", built("spin_http_loop.wasm"), {}),
        ("c-http", "/ok", real("c-http.wasm"), {}),
    ]
    with tempfile.TemporaryDirectory() as tmp, \
            Up(write_app(tmp, app), args=["--log-level", "info", "--workers", str(workers)],
               env={"SPIN_HTTP_REQUEST_TIMEOUT": "3600"}) as up:
        socks = []
        for _ in range(workers):
            s = socket.create_connection(("127.0.0.1", up.port))
            s.sendall(b"GET /loop HTTP/1.1\r\nHost: t\r\n\r\n")
            socks.append(s)
        time.sleep(1)  # let the guests start (no assertion on time)
        for s in socks:
            s.close()
        status, _, body = up.request("GET", "/ok", timeout=120)
        assert status == 200 and body.startswith(b"hello from C"), (status, body)
        assert up.stop() == 0
    gone = [l for l in up.err if "GET /loop went away" in l]
    assert len(gone) == workers, "".join(up.err)


def without_component_type_sections(data):
    """A core module's bytes without its component-type custom sections."""
    out, i = bytearray(data[:8]), 8
    while i < len(data):
        start, sid = i, data[i]
        i += 1
        size = shift = 0
        while True:
            b = data[i]
            i += 1
            size |= (b & 0x7f) << shift
            shift += 7
            if b < 0x80:
                break
        end = i + size
        if not (sid == 0 and data[i + 1:i + 1 + 14] == b"component-type"):
            out += data[start:end]
        i = end
    return bytes(out)


def test_components_that_cannot_serve_http_fail_at_start():
    with tempfile.TemporaryDirectory() as tmp:
        # A WASI command exports no handler: Spin's message.
        err = up_fails(write_app(tmp, [("cmd", "/", real("c-hello-cmd.wasm"), {})]))
        assert "component 'cmd'" in err and "Expected component to export one of" in err, err
        # A core module without handle-http-request, under the default executor.
        err = up_fails(write_app(tmp, [("core", "/", real("gh-runwasi-hello_world.core.wasm"),
                                        {})]))
        assert "component 'core'" in err and "Expected component to export one of" in err, err
        # A Spin 2.0 SDK core module stripped of the component-type sections
        # that say how to make it a component (test_up_world_modules.py runs
        # the whole ones).
        stripped = os.path.join(tmp, "stripped.wasm")
        with open(real("gh-spin-hist-test-variables.spin2rc.core.wasm"), "rb") as f:
            data = f.read()
        with open(stripped, "wb") as f:
            f.write(without_component_type_sections(data))
        err = up_fails(write_app(tmp, [("rc", "/", stripped, {})]))
        assert ("component 'rc' is a core module exporting "
                "wasi:http/incoming-handler@0.2.0-rc-2023-10-18#handle") in err, err
        assert "component-type" in err, err
        # An import the host does not have: named with the component.
        err = up_fails(write_app(tmp, [("odd", "/", built("spin_http_badimport.wasm"), {})]))
        assert "component 'odd'" in err and "acme:missing/api@1.0.0" in err, err
        # allowed_outbound_hosts templates are rendered, and checked, at load.
        write_app(tmp, [("c", "/", real("c-http.wasm"),
                         {"allowed_outbound_hosts": '["http://{{ peer }}"]'})])
        with open(os.path.join(tmp, "spin.toml"), "a") as f:
            f.write('\n[variables]\npeer = { default = "h:notaport" }\n')
        err = up_fails(tmp)
        assert "component 'c': allowed_outbound_hosts" in err and "notaport" in err, err


def test_wagi_runs_a_component_command():
    app = [("wagi", "/w/...", built("spin_wagi_component.wasm"),
            {"executor": '{ type = "wagi" }', "environment": '{ WHO = "tester" }'}),
           ]
    with tempfile.TemporaryDirectory() as tmp, Up(write_app(tmp, app)) as up:
        status, headers, body = up.request("POST", "/w/x?a=1&b=2", body=b"the body")
        assert status == 200, (status, body, "".join(up.err))
        assert headers["content-type"] == "text/plain", headers
        assert body == b"argc=3 [/w/x] [a=1] [b=2]\nquery=a=1&b=2 who=tester\nstdin=the body\n", body
        # A non-zero exit is a 500; the next request is served.
        assert up.request("GET", "/w/x?fail")[0] == 500
        assert up.request("GET", "/w/again")[0] == 200
        # Output past the 256 MiB limit fails in the guest and is a 500.
        assert up.request("GET", "/w/x?flood", timeout=120)[0] == 500
        assert up.request("GET", "/w/again")[0] == 200
        up.stop()
    assert "exceeds the 256 MiB limit" in "".join(up.err), up.err
    # ... and the host never held more than the limit: the writes past it failed.
    flood = [l for l in up.err if l.startswith("flood: ")]
    assert len(flood) == 1 and int(flood[0].split()[1]) < 256, flood
    # (The preview1 adapter turns exit(3) into wasi:cli/exit(err), code 1.)
    assert "the guest exited with code 1" in "".join(up.err), up.err


def test_wagi_refuses_a_component_that_is_no_command():
    with tempfile.TemporaryDirectory() as tmp:
        err = up_fails(write_app(tmp, [("h", "/", real("gh-runwasi-simple_component.wasm"),
                                        {"executor": '{ type = "wagi" }'})]))
        assert "component 'h': failed to find wasi command interface for wagi" in err, err


if __name__ == "__main__":
    run_tests(globals())
