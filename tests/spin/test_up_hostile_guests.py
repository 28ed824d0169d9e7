"""test_up_hostile_guests.py - `containerd-shim-spin-v2 up` against guests
that never answer, answer far too much, crash, or whose clients leave.

The guest is tests/spin/programs/hostile.c (<build>/wasm/hostile.wasm),
routed at /guest/...; PATH_INFO picks the misbehaviour (/loop, /sleep,
/flood, /trap, /hello).  Each test writes its own spin.toml in a temporary
directory, starts `up` on a free loopback port and talks HTTP to it.  No
assertion is about how fast something happens: deadlines are checked by
things ending (within generous bounds) and by what the server says.
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
HOSTILE = os.path.join(os.environ["WASM_DIR"], "hostile.wasm")

# The server's default worker count (twice the CPUs, at least 4).
DEFAULT_WORKERS = max(4, 2 * (os.cpu_count() or 1))

APP = """
spin_manifest_version = 2
[application]
name = "hostile"
[[trigger.http]]
route = "/guest/..."
component = "hostile"
executor = { type = "wagi" }
[[trigger.http]]
route = "/teapot"
static_response = { status_code = 418, body = "short and stout" }
[component.hostile]
source = "@WASM@"
"""


def write_app(tmp, manifest=APP):
    with open(os.path.join(tmp, "spin.toml"), "w") as f:
        f.write(manifest.replace("@WASM@", HOSTILE))
    return tmp


class Up:
    """A running `up` process with both output streams drained."""

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
        self._threads = [threading.Thread(target=self._drain, args=(self.proc.stdout, self.out,
                                                                    True), daemon=True),
                         threading.Thread(target=self._drain, args=(self.proc.stderr, self.err,
                                                                    False), daemon=True)]
        for t in self._threads:
            t.start()
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
                return
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        raise AssertionError(f"up did not start (rc={self.proc.returncode}): {self.stderr()}")

    def _drain(self, stream, into, announce):
        for line in stream:
            into.append(line)
            if announce:
                self._lines.put(line)
        if announce:
            self._lines.put(None)

    def stderr(self):
        """All of stderr; complete once the process has exited."""
        if self.proc.poll() is not None:
            for t in self._threads:
                t.join(timeout=10)
        return "".join(self.err)

    def request(self, path, timeout=30, method="GET", body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body)
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def stop(self, sig=signal.SIGTERM, timeout=30):
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError("up did not exit after the signal")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def send_requests(port, path, n):
    """Opens n connections and sends a whole request on each."""
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        socks.append(s)
    return socks


def in_threads(fn, args_list):
    results = [None] * len(args_list)

    def run(i, args):
        try:
            results[i] = fn(*args)
        except Exception as e:  # noqa: BLE001 - the result says what happened
            results[i] = e

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(args_list)]
    for t in threads:
        t.start()
    return threads, results


# ---- tests ---------------------------------------------------------------


def test_looping_guests_get_504_and_never_block_health_404_or_static_responses():
    with tempfile.TemporaryDirectory() as tmp:
        # More loopers than workers: every worker is stuck and some wait.
        n = DEFAULT_WORKERS + 2
        with Up(write_app(tmp), env={"SPIN_HTTP_REQUEST_TIMEOUT": "4s"}) as up:
            threads, results = in_threads(lambda: up.request("/guest/loop", timeout=90),
                                          [()] * n)
            time.sleep(1)  # let them reach the workers (no assertion on time)
            # None of these needs a guest: they are answered at once.
            assert up.request("/.well-known/spin/health", timeout=10) == (200, b"OK")
            status, body = up.request("/.well-known/spin/info", timeout=10)
            assert status == 200 and b'"hostile"' in body, (status, body)
            assert up.request("/nothing/here", timeout=10) == (404, b"")
            assert up.request("/teapot", timeout=10) == (418, b"short and stout")
            for t in threads:
                t.join(timeout=90)
            assert results == [(504, b"")] * n, results
            # The workers are free again.
            assert up.request("/guest/hello") == (200, b"hello\n")
            assert up.stop() == 0
        err = up.stderr()
        timeouts = [l for l in err.splitlines() if "did not answer GET /guest/loop" in l]
        assert len(timeouts) == n, err
        assert all("Component 'hostile'" in l and "4000 ms" in l for l in timeouts), err


def test_a_sleeping_guest_is_stopped_at_the_deadline_too():
    with tempfile.TemporaryDirectory() as tmp:
        with Up(write_app(tmp), args=["--request-timeout", "1500ms"]) as up:
            assert up.request("/guest/sleep", timeout=60) == (504, b"")
            assert up.request("/guest/hello") == (200, b"hello\n")
            up.stop()


def test_request_timeout_from_flag_and_environment():
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp)
        # Plain seconds, and the flag wins over the environment.
        for args, env in ((["--request-timeout", "1"], {}),
                          (["--request-timeout=1s"], {"SPIN_HTTP_REQUEST_TIMEOUT": "3600"}),
                          ([], {"SPIN_HTTP_REQUEST_TIMEOUT": "1000ms"})):
            with Up(app, args=args, env=env) as up:
                assert up.request("/guest/loop", timeout=60) == (504, b""), (args, env)
                up.stop()
        # Bad values are refused at start-up, naming where they came from.
        r = subprocess.run([SHIM, "up", "--from", app, "--request-timeout", "soon"],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 2 and "--request-timeout" in r.stderr, r.stderr
        assert "'soon' is not a duration" in r.stderr, r.stderr
        env = dict(os.environ, SPIN_HTTP_REQUEST_TIMEOUT="2h")
        r = subprocess.run([SHIM, "up", "--from", app, "--listen", f"127.0.0.1:{free_port()}"],
                           capture_output=True, text=True, timeout=30, env=env)
        assert r.returncode == 1, r.stderr
        assert "SPIN_HTTP_REQUEST_TIMEOUT" in r.stderr and "'2h'" in r.stderr, r.stderr
        for bad in ("0", "-3", "many"):
            r = subprocess.run([SHIM, "up", "--from", app, "--workers", bad],
                               capture_output=True, text=True, timeout=30)
            assert r.returncode == 2 and "--workers" in r.stderr, (bad, r.stderr)


def test_the_guest_of_a_client_that_went_away_is_stopped():
    with tempfile.TemporaryDirectory() as tmp:
        # The deadline is an hour: only noticing the hang-up frees the workers.
        with Up(write_app(tmp), args=["--log-level", "info"],
                env={"SPIN_HTTP_REQUEST_TIMEOUT": "3600"}) as up:
            socks = send_requests(up.port, "/guest/loop", DEFAULT_WORKERS)
            time.sleep(1)  # let the guests start (no assertion on time)
            for s in socks:
                s.close()  # hang up without reading the answer
            assert up.request("/guest/hello", timeout=60) == (200, b"hello\n")
            up.stop()
        err = up.stderr()
        gone = [l for l in err.splitlines() if "GET /guest/loop went away" in l]
        assert len(gone) == DEFAULT_WORKERS, err


def test_worker_count_flag_bounds_concurrent_guests():
    with tempfile.TemporaryDirectory() as tmp:
        # One worker, busy with a guest that loops: a second request waits
        # for it (a stop then reports it as never started), while requests
        # that need no guest are still answered.
        with Up(write_app(tmp), args=["--workers", "1"],
                env={"SPIN_HTTP_REQUEST_TIMEOUT": "3600"}) as up:
            threads, results = in_threads(lambda p: up.request(p, timeout=120),
                                          [("/guest/loop",)])
            time.sleep(1)  # the loop has the worker (no assertion on time)
            more, _ = in_threads(lambda p: up.request(p, timeout=120), [("/guest/hello",)])
            time.sleep(1)
            assert up.request("/.well-known/spin/health", timeout=10) == (200, b"OK")
            assert up.stop(timeout=60) == 0
            for t in threads + more:
                t.join(timeout=60)
        err = up.stderr()
        assert "GET /guest/hello was still waiting for a worker" in err, err
        assert "GET /guest/loop (component 'hostile') still running" in err, err


def test_sigterm_logs_and_interrupts_what_is_still_running_and_removes_staging():
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "data.txt"), "w") as f:
            f.write("staged\n")
        staging_base = os.path.join(tmp, "tmpdir")
        os.mkdir(staging_base)
        # A single file placed at a path of its own needs a staging copy.
        write_app(tmp, APP + 'files = [{ source = "data.txt", destination = "/etc/data.txt" }]\n')
        with Up(tmp, env={"TMPDIR": staging_base, "SPIN_HTTP_REQUEST_TIMEOUT": "3600"}) as up:
            assert len(os.listdir(staging_base)) == 1, os.listdir(staging_base)
            threads, _ = in_threads(lambda: up.request("/guest/loop", timeout=120), [()])
            time.sleep(1)  # let it start running (no assertion on time)
            assert up.stop(timeout=60) == 0
            for t in threads:
                t.join(timeout=60)
        err = up.stderr()
        line = [l for l in err.splitlines() if "GET /guest/loop" in l and "still running" in l]
        assert len(line) == 1, err
        assert "component 'hostile'" in line[0] and "interrupting it" in line[0], line
        assert os.listdir(staging_base) == [], os.listdir(staging_base)


def test_a_guest_flooding_stdout_is_stopped_at_the_limit():
    with tempfile.TemporaryDirectory() as tmp:
        with Up(write_app(tmp)) as up:
            status, body = up.request("/guest/flood?300", timeout=120)
            assert (status, body) == (500, b""), (status, body[:80])
            assert up.request("/guest/hello") == (200, b"hello\n")
            up.stop()
        err = up.stderr()
        # The write that would pass 256 MiB failed: the guest never got to
        # the end of its 300 MiB.
        assert "stdout limit of 268435456 bytes exceeded" in err, err
        assert "flood finished" not in err, err


def test_a_trap_is_one_log_line_and_its_backtrace_is_for_debug_level():
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp)
        with Up(app) as up:
            assert up.request("/guest/trap") == (500, b"")
            up.stop()
        lines = [l for l in up.stderr().splitlines() if l.strip()]
        assert len(lines) == 1, lines
        assert "component 'hostile'" in lines[0] and "unreachable" in lines[0], lines
        with Up(app, args=["--log-level", "debug"]) as up:
            assert up.request("/guest/trap") == (500, b"")
            up.stop()
        err = up.stderr()
        assert "backtrace" in err and "#0" in err and "#3" in err, err


if __name__ == "__main__":
    run_tests(globals())
