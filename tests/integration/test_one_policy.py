"""test_one_policy.py - one policy for running a Wasm program (issue #11):
the same modules through the three paths that run a WASI command, which
must agree on features, exit status and messages.

  run        `containerd-shim-spin-v2 run FILE`
  container  a WASI image (entrypoint a .wasm) run by real containerd
             (tests/fixture, root), our shim as its runtime
  Spin       `containerd-shim-spin-v2 up` serving the module as a Wagi
             component

tailcall.wasm (tests/wasi/programs/tailcall.c, built with -mtail-call)
hands over between two functions with return_call millions of times, so
it only prints "tail calls: N" where tail calls are both accepted and real.
Containers used to compile without them and refused it.
"""
import http.client
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixture"))
from containerd_fixture import Containerd  # noqa: E402
from harness import run_tests  # noqa: E402
import images  # noqa: E402

RUNTIME = "io.containerd.spin.v2"
SHIM = os.environ["SHIM_BIN"]
SHIM_DIR = os.environ["SHIM_BIN_DIR"]
WASM = os.environ["WASM_DIR"]
TAILCALL = os.path.join(WASM, "tailcall.wasm")
HELLO = os.path.join(WASM, "hello.wasm")
REAL = os.path.join(os.environ["SHARED_DIR"], "corpora", "components", "real")
C_HELLO_CMD = os.path.join(REAL, "c-hello-cmd.wasm")
RUST_HELLO_CMD = os.path.join(REAL, "gh-runwasi-component-hello-world.rust-cmd.wasm")
DEPTH = "2000000"  # far deeper than any call stack: only real tail calls get through
# (module) with a section id that does not exist: malformed wherever it is read
BROKEN = b"\0asm\x01\0\0\0\x7f\x00"

MANIFEST = """spin_manifest_version = 2
[application]
name = "one-policy"
[[trigger.http]]
route = "/..."
component = "guest"
executor = { type = "wagi" }
[component.guest]
source = "%s"
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def shim_run(*args):
    return subprocess.run([SHIM, "run", *args], capture_output=True, text=True, timeout=120)


class Up:
    """`up` serving one Wagi component (the module at `wasm`)."""

    def __init__(self, work, wasm):
        app = tempfile.mkdtemp(dir=work)
        with open(os.path.join(app, "spin.toml"), "w") as f:
            f.write(MANIFEST % wasm)
        self.port = free_port()
        env = dict(os.environ)
        env.pop("SPIN_HTTP_LISTEN_ADDR", None)
        self.proc = subprocess.Popen([SHIM, "up", "--from", app, "--listen",
                                      f"127.0.0.1:{self.port}"], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        self.err = []
        lines = queue.Queue()
        self.threads = [threading.Thread(target=self._drain, args=(self.proc.stdout, lines),
                                         daemon=True),
                        threading.Thread(target=self._drain, args=(self.proc.stderr, self.err),
                                         daemon=True)]
        for t in self.threads:
            t.start()
        self.started = False
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not self.started:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            self.started = line.startswith("Available Routes:")

    @staticmethod
    def _drain(stream, into):
        for line in stream:
            into.put(line) if isinstance(into, queue.Queue) else into.append(line)

    def get(self, path):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, r.read().decode()
        finally:
            c.close()

    def stop(self):
        """Ends `up`; returns (exit status, stderr)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        for t in self.threads:
            t.join(timeout=10)
        return rc, "".join(self.err)


def wasi_image(ctx, name, files):
    """Imports an image whose rootfs holds `files` ({name: bytes})."""
    root = os.path.join(ctx["work"], name)
    os.makedirs(root)
    for fname, data in files.items():
        with open(os.path.join(root, fname), "wb") as f:
            f.write(data)
    tar = root + ".tar"
    full = images.mkimage(root, f"localhost/{name}:test", tar, arch="wasm", os_="wasip1",
                          entrypoint='["/%s"]' % next(iter(files)))
    ctx["c"].import_image(tar)
    return full


def read(path):
    with open(path, "rb") as f:
        return f.read()


def setup():
    work = tempfile.mkdtemp(prefix="one-policy-")
    c = Containerd(shim_dir=SHIM_DIR)
    c.__enter__()
    ctx = {"c": c, "work": work}
    ctx["tailcall"] = wasi_image(ctx, "tailcall", {"tailcall.wasm": read(TAILCALL)})
    ctx["hello"] = wasi_image(ctx, "hello", {"hello.wasm": read(HELLO)})
    ctx["broken"] = wasi_image(ctx, "broken", {"broken.wasm": BROKEN})
    ctx["c_hello_cmd"] = wasi_image(ctx, "c-hello-cmd", {"c-hello-cmd.wasm": read(C_HELLO_CMD)})
    ctx["rust_hello_cmd"] = wasi_image(ctx, "rust-hello-cmd", {"hello.wasm": read(RUST_HELLO_CMD)})
    return ctx


def teardown(ctx):
    ctx["c"].__exit__(None, None, None)
    shutil.rmtree(ctx["work"], ignore_errors=True)


def ctr_run(ctx, image, cid, *args):
    return ctx["c"].ctr("run", "--rm", "--runtime", RUNTIME, image, cid, *args, check=False,
                        timeout=120)


# ---- tail calls, everywhere -----------------------------------------------

def test_tail_calls_through_run():
    r = shim_run(TAILCALL, DEPTH)
    assert (r.returncode, r.stdout) == (0, f"tail calls: {DEPTH}\n"), (r.returncode, r.stderr)


def test_tail_calls_through_a_wasi_container(ctx):
    r = ctr_run(ctx, ctx["tailcall"], "tc1", "/tailcall.wasm", DEPTH)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    assert r.stdout == f"tail calls: {DEPTH}\n", (r.stdout, r.stderr)


def test_tail_calls_through_spin(ctx):
    up = Up(ctx["work"], TAILCALL)
    try:
        assert up.started, up.stop()
        assert up.get("/tail?" + DEPTH) == (200, f"tail calls: {DEPTH}\n")
    finally:
        rc, err = up.stop()
    assert rc == 0, (rc, err)


# ---- one outcome, one text -------------------------------------------------

def test_a_trap_is_134_and_the_same_message(ctx):
    r = shim_run(HELLO, "--trap")
    assert r.returncode == 134, (r.returncode, r.stderr)
    assert r.stderr.startswith("Error: the guest trapped: unreachable\nbacktrace:\n"), r.stderr
    r = ctr_run(ctx, ctx["hello"], "trap1", "/hello.wasm", "--trap")
    assert r.returncode == 134, (r.returncode, r.stdout, r.stderr)
    text = r.stdout + r.stderr
    assert "/hello.wasm: the guest trapped: unreachable\nbacktrace:\n" in text, text
    up = Up(ctx["work"], HELLO)
    try:
        assert up.started, up.stop()
        assert up.get("/x?--trap")[0] == 500
    finally:
        rc, err = up.stop()
    assert "the guest trapped: unreachable" in err, err
    assert "backtrace" not in err, err  # the frames are for debug level


def test_a_module_that_cannot_load_is_1_with_the_same_text(ctx):
    path = os.path.join(ctx["work"], "broken.wasm")
    with open(path, "wb") as f:
        f.write(BROKEN)
    r = shim_run(path)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert r.stderr.startswith(f"Error: {path}: malformed module: "), r.stderr
    why = r.stderr.split(": malformed module: ", 1)[1].strip()
    # a container: refused at Create, naming the file as the container sees it
    r = ctr_run(ctx, ctx["broken"], "broken1", "/broken.wasm")
    assert r.returncode != 0, (r.returncode, r.stdout, r.stderr)
    assert f"/broken.wasm: malformed module: {why}" in r.stderr, r.stderr
    # Spin: refused at start-up, naming the component
    up = Up(ctx["work"], path)
    rc, err = up.stop()
    assert not up.started and rc != 0, (rc, err)
    assert f"component 'guest': {path}: malformed module: {why}" in err, err


# ---- components: the same paths, the same outcomes -------------------------

def test_a_component_command_through_run_and_a_wasi_container(ctx):
    want = ("hello from C (clang-14 + wasi-libc), argc=3\n"
            "  argv[0]=/c-hello-cmd.wasm\n"
            "  argv[1]=x\n"
            "  argv[2]=y\n"
            "  WHO=tester\n"
            "  realtime ok: 1\n")
    r = shim_run("--env", "WHO=tester", "--argv0", "/c-hello-cmd.wasm", C_HELLO_CMD, "x", "y")
    assert (r.returncode, r.stdout, r.stderr) == (0, want, "to stderr\n"), (r.returncode,
                                                                           r.stderr)
    r = ctx["c"].ctr("run", "--rm", "--runtime", RUNTIME, "--env", "WHO=tester",
                     ctx["c_hello_cmd"], "comp1", "/c-hello-cmd.wasm", "x", "y", check=False,
                     timeout=120)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    assert r.stdout.replace("\r\n", "\n").startswith(want), (r.stdout, r.stderr)
    r = ctr_run(ctx, ctx["rust_hello_cmd"], "comp2", "/hello.wasm")
    assert (r.returncode, r.stdout) == (0, "Hello, world!\n"), (r.returncode, r.stdout,
                                                               r.stderr)


def test_a_component_exit_is_the_same_status(ctx):
    # exit(42) in C becomes wasi:cli/exit(err) through the adapter: 1
    assert shim_run(C_HELLO_CMD, "fail").returncode == 1
    r = ctr_run(ctx, ctx["c_hello_cmd"], "comp3", "/c-hello-cmd.wasm", "fail")
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)


if __name__ == "__main__":
    run_tests(globals(), setup=setup, teardown=teardown)
