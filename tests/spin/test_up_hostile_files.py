"""test_up_hostile_files.py - `containerd-shim-spin-v2 up` against apps that try
to reach the host through their component `files`, or that cannot be linked.

Each app is built in a temporary directory: a `files` destination climbing
out with "..", a files directory full of symbolic links (to a secret beside
the app, to "/", to /etc/passwd, dangling, looping) and a FIFO; and a
module importing a function the host does not have.  The files are served
by the spin-static example component (it answers the bytes of any path
below its "/", or 404), so a test sees exactly what a guest can read.
"""
import http.client
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixture"))
from harness import free_port, run_tests  # noqa: E402

SHIM = os.environ["SHIM_BIN"]
STATIC_WASM = os.path.join(os.environ["BUILD_DIR"], "apps", "spin-wagi", "spin-static.wasm")

APP = """
spin_manifest_version = 2
[application]
name = "hostile"
[[trigger.http]]
route = "/..."
component = "web"
executor = {{ type = "wagi" }}
[component.web]
source = "{source}"
files = [{files}]
"""


def write_app(app, files, source=STATIC_WASM):
    with open(os.path.join(app, "spin.toml"), "w") as f:
        f.write(APP.format(source=source, files=files))


def check(app):
    return subprocess.run([SHIM, "up", "--from", app, "--check"], capture_output=True,
                          text=True, timeout=60)


class Up:
    """A running `up` on a free port (context manager); stderr kept for logs."""

    def __init__(self, app):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [SHIM, "up", "--from", app, "--listen", f"127.0.0.1:{self.port}",
             "--log-level", "warn"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = queue.Queue()

        def drain():
            for line in self.proc.stdout:
                lines.put(line)
            lines.put(None)
        threading.Thread(target=drain, daemon=True).start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                break
            if line.startswith("Available Routes:"):
                return
        self.proc.kill()
        self.proc.wait()
        raise AssertionError(f"up did not start: {self.proc.stderr.read()}")

    def get(self, path):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, body

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=20)
        return self.proc.stderr.read()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def hostile_site(app, outside):
    """site/ with two real files and every kind of entry the host must skip."""
    site = os.path.join(app, "site")
    os.makedirs(os.path.join(app, "shared"))
    os.makedirs(site)
    with open(os.path.join(site, "index.html"), "w") as f:
        f.write("<p>index</p>\n")
    with open(os.path.join(app, "shared", "s.txt"), "w") as f:
        f.write("shared\n")
    with open(os.path.join(outside, "secret.txt"), "w") as f:
        f.write("TOP SECRET\n")
    os.symlink("index.html", os.path.join(site, "alias.html"))
    os.symlink("../shared", os.path.join(site, "shared"))
    os.symlink(outside, os.path.join(site, "secret-dir"))
    os.symlink(os.path.relpath(outside, site), os.path.join(site, "up"))
    os.symlink("/", os.path.join(site, "root"))
    os.symlink("/etc/passwd", os.path.join(site, "passwd"))
    os.symlink("nowhere", os.path.join(site, "dangling"))
    os.symlink(".", os.path.join(site, "loop"))
    os.mkfifo(os.path.join(site, "fifo"))


# ---- tests ---------------------------------------------------------------


def test_check_refuses_a_destination_climbing_out():
    with tempfile.TemporaryDirectory() as app, tempfile.TemporaryDirectory() as victim:
        with open(os.path.join(app, "a.txt"), "w") as f:
            f.write("planted\n")
        # From any staging directory, enough ".." reach "/" and then victim.
        escape = "/.." * 16 + os.path.join(victim, "planted.txt")
        write_app(app, f'{{ source = "a.txt", destination = "{escape}" }}')
        r = check(app)
        assert r.returncode != 0, r.stdout
        assert "[component.web]: files[0]: destination" in r.stderr, r.stderr
        assert escape in r.stderr and "'..'" in r.stderr, r.stderr
        assert os.listdir(victim) == [], os.listdir(victim)


def start_and_probe(app, guest_prefix):
    """Starts `up` on the hostile app; returns (responses, stderr)."""
    probes = ["index.html", "alias.html", "shared/s.txt", "secret-dir/secret.txt",
              "up/secret.txt", "root/etc/passwd", "passwd", "dangling", "fifo",
              "loop/index.html"]
    with Up(app) as up:
        got = {p: up.get(guest_prefix + p) for p in probes}
        err = up.stop()
    return got, err


def assert_only_files_inside(got, err):
    assert got["index.html"] == (200, b"<p>index</p>\n"), got["index.html"]
    assert got["alias.html"] == (200, b"<p>index</p>\n"), got["alias.html"]
    assert got["shared/s.txt"] == (200, b"shared\n"), got["shared/s.txt"]
    for p in ("secret-dir/secret.txt", "up/secret.txt", "root/etc/passwd", "passwd",
              "dangling", "fifo", "loop/index.html"):
        assert got[p][0] == 404, (p, got[p])
        assert b"SECRET" not in got[p][1] and b"root:" not in got[p][1], (p, got[p])
    for name, why in (("secret-dir", "leading outside the application directory"),
                      ("root", "leading outside the application directory"),
                      ("dangling", "a dangling symbolic link"),
                      ("fifo", "not a regular file or directory"),
                      ("loop", "a directory that contains it")):
        assert f"skipped site/{name}: " in err and why in err, (name, err)


def test_links_out_of_the_app_are_skipped_below_a_destination():
    with tempfile.TemporaryDirectory() as app, tempfile.TemporaryDirectory() as outside:
        hostile_site(app, outside)
        write_app(app, '{ source = "site", destination = "/www" }')
        got, err = start_and_probe(app, "/www/")
        assert_only_files_inside(got, err)


def test_links_out_of_the_app_are_skipped_at_the_root_too():
    with tempfile.TemporaryDirectory() as app, tempfile.TemporaryDirectory() as outside:
        hostile_site(app, outside)
        write_app(app, '{ source = "site", destination = "/" }')
        got, err = start_and_probe(app, "/")
        assert_only_files_inside(got, err)


def test_a_source_that_is_a_link_out_is_an_error():
    with tempfile.TemporaryDirectory() as app, tempfile.TemporaryDirectory() as outside:
        hostile_site(app, outside)
        write_app(app, '{ source = "site/secret-dir", destination = "/" }')
        r = check(app)
        assert r.returncode != 0, r.stdout
        assert "file source 'site/secret-dir' leads outside the application directory" \
            in r.stderr, r.stderr


def unlinkable_module(path):
    """A WASI command importing env::foo (func (param i32) (result i32))."""
    def sec(n, body):
        return bytes([n, len(body)]) + body

    def name(s):
        return bytes([len(s)]) + s.encode()
    types = sec(1, b"\x02\x60\x01\x7f\x01\x7f\x60\x00\x00")
    imports = sec(2, b"\x01" + name("env") + name("foo") + b"\x00\x00")
    funcs = sec(3, b"\x01\x01")
    exports = sec(7, b"\x01" + name("_start") + b"\x00\x01")
    code = sec(10, b"\x01\x02\x00\x0b")
    with open(path, "wb") as f:
        f.write(b"\x00asm\x01\x00\x00\x00" + types + imports + funcs + exports + code)


def test_an_unlinkable_module_fails_check_and_start_up():
    with tempfile.TemporaryDirectory() as app:
        unlinkable_module(os.path.join(app, "m.wasm"))
        with open(os.path.join(app, "spin.toml"), "w") as f:
            f.write(APP.format(source="m.wasm", files="").replace("files = []\n", ""))
        want = ("component 'web': cannot link its module: import env::foo "
                "(func (param i32) (result i32)) is not provided by the host")
        r = check(app)
        assert r.returncode != 0 and want in r.stderr, (r.returncode, r.stderr)
        r = subprocess.run([SHIM, "up", "--from", app, "--listen", f"127.0.0.1:{free_port()}"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode != 0 and want in r.stderr, (r.returncode, r.stderr)
        assert "Available Routes" not in r.stdout, r.stdout


if __name__ == "__main__":
    run_tests(globals())
