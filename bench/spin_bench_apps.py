"""spin_bench_apps.py - the three hello apps the Spin benchmarks compare
(bench/instantiate.py, bench/coldstart.py), and starting them under `up`.

Each app is a directory with one component and a spin.toml, as a Spin app
image lays it out (spin.toml at the root, the .wasm beside it), so the same
directory is served by `up` and packed as an OCI image for containerd:

  wagi     examples/wagi-hello, a preview-1 module run by the Wagi executor
  c-http   examples/http-hello, a wasi:http component in C
  js       componentize-js's hello (shared corpus cjs023-hello-http.wasm, 12 MB)
"""
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REAL = os.path.join(HERE, "..", "..", "shared", "corpora", "components", "real")

# name -> (wasm source relative to <build>/apps/spin-wagi or the corpus, route, path, wagi?)
APPS = {
    "wagi": ("wagi-hello.wasm", "/hello", "/hello", True),
    "c-http": ("http-hello.wasm", "/...", "/", False),
    "js": (os.path.join(REAL, "cjs023-hello-http.wasm"), "/...", "/", False),
}


def shim_path(build):
    for p in (os.path.join(build, "cmd", "containerd-shim-spin-v2", "containerd-shim-spin-v2"),
              os.path.join(build, "containerd-shim-spin-v2")):
        if os.access(p, os.X_OK):
            return os.path.abspath(p)
    sys.exit(f"no containerd-shim-spin-v2 in {build} (build first)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_app(build, name, dest):
    """Writes app `name` into directory dest (created); returns (dest, path)."""
    src, route, path, wagi = APPS[name]
    if not os.path.isabs(src):
        src = os.path.join(build, "apps", "spin-wagi", src)
    if not os.path.exists(src):
        sys.exit(f"{src} is missing (build first; the JS app needs ../shared)")
    os.makedirs(dest, exist_ok=True)
    shutil.copy(src, os.path.join(dest, "app.wasm"))
    executor = '\nexecutor = { type = "wagi" }' if wagi else ""
    with open(os.path.join(dest, "spin.toml"), "w") as f:
        f.write('spin_manifest_version = 2\n[application]\nname = "bench"\n'
                f'[[trigger.http]]\nroute = "{route}"\ncomponent = "app"{executor}\n'
                '[component.app]\nsource = "app.wasm"\n')
    return dest, path


def get_status(port, path, timeout=5):
    """The status of GET path, or None while nothing listens."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        c.close()
        return r.status
    except OSError:
        return None


def wait_200(port, path, deadline_s=60, proc=None, poll_s=0.001):
    """Polls until GET path answers 200; returns time.monotonic_ns() then."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if get_status(port, path) == 200:
            return time.monotonic_ns()
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"exited ({proc.returncode}) before answering")
        time.sleep(poll_s)
    raise RuntimeError(f"no 200 on {path} within {deadline_s} s")


def start_up(shim, app, port, debug=False, env=None):
    """`up` serving app on port; returns (proc, stderr file)."""
    cmd = [shim, "up", "--from", app, "--listen", f"127.0.0.1:{port}"]
    if debug:
        cmd += ["--log-level", "debug"]
    err = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err,
                            env=env if env is not None else os.environ)
    return proc, err


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def proc_status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def pct(sorted_vals, q):
    if not sorted_vals:
        return float("nan")
    return sorted_vals[min(len(sorted_vals) - 1, int(len(sorted_vals) * q))]


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])
