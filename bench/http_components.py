#!/usr/bin/env python3
"""http_components.py - throughput, latency and memory of wasi:http components
served by `containerd-shim-spin-v2 up`, measured with wrk.

    bench/http_components.py [BUILD_DIR] [DURATION_S] [CONNECTIONS]

For each app (the corpus's hand-written C component c-http.wasm, and
componentize-js's hello, a 12 MB StarlingMonkey component), `up` serves it
alone at /; wrk sends GET / for DURATION seconds over CONNECTIONS
connections (every request gets a fresh store and instance, as in Spin).
Printed: requests/s, latency p50/p99, the server's resident memory after
start-up and its peak (VmHWM) after the run, and the time spent inside the
instance per request (instantiate + handle + teardown; p50 over 200
sequential requests with debug logging).  Not run by the tests (timing
varies).
"""
import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REAL = os.path.join(HERE, "..", "..", "shared", "corpora", "components", "real")
APPS = [("c-http", "c-http.wasm"), ("js-hello", "cjs023-hello-http.wasm")]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shim_path(build):
    for p in (os.path.join(build, "cmd", "containerd-shim-spin-v2", "containerd-shim-spin-v2"),
              os.path.join(build, "containerd-shim-spin-v2")):
        if os.access(p, os.X_OK):
            return p
    sys.exit(f"no containerd-shim-spin-v2 in {build} (build first)")


def write_app(tmp, wasm):
    with open(os.path.join(tmp, "spin.toml"), "w") as f:
        f.write('spin_manifest_version = 2\n[application]\nname = "bench"\n'
                '[[trigger.http]]\nroute = "/..."\ncomponent = "app"\n'
                f'[component.app]\nsource = "{os.path.abspath(wasm)}"\n')
    return tmp


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def start(shim, app, port, debug=False):
    cmd = [shim, "up", "--from", app, "--listen", f"127.0.0.1:{port}"]
    if debug:
        cmd += ["--log-level", "debug"]
    err = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
    for _ in range(300):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/.well-known/spin/health")
            if c.getresponse().status == 200:
                return proc, err
        except OSError:
            time.sleep(0.1)
    proc.kill()
    err.seek(0)
    sys.exit(f"up did not start: {err.read()}")


def stop(proc):
    proc.terminate()
    proc.wait(timeout=60)


def wrk(port, duration, conns):
    out = subprocess.run(["wrk", "-t2", f"-c{conns}", f"-d{duration}s", "--latency",
                          f"http://127.0.0.1:{port}/"], capture_output=True, text=True,
                         check=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return float(rps), lat.get("50"), lat.get("99"), int(errors.group(1)) if errors else 0


def instance_ms(shim, app):
    port = free_port()
    proc, err = start(shim, app, port, debug=True)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(200):
        c.request("GET", "/")
        c.getresponse().read()
    c.close()
    stop(proc)
    err.seek(0)
    times = sorted(float(m) for m in re.findall(r"ran in ([\d.]+) ms", err.read()))
    return times[len(times) // 2] if times else float("nan")


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    duration = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    conns = int(sys.argv[3]) if len(sys.argv) > 3 else 32
    shim = shim_path(build)
    print("| app | requests/s | p50 | p99 | non-2xx | RSS after start | peak RSS | "
          "inside the instance, p50 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, wasm in APPS:
        with tempfile.TemporaryDirectory() as tmp:
            app = write_app(tmp, os.path.join(REAL, wasm))
            port = free_port()
            proc, _ = start(shim, app, port)
            rss0 = status_kib(proc.pid, "VmRSS")
            rps, p50, p99, bad = wrk(port, duration, conns)
            peak = status_kib(proc.pid, "VmHWM")
            stop(proc)
            inside = instance_ms(shim, app)
            print(f"| {name} | {rps:,.0f} | {p50} | {p99} | {bad} | {rss0 / 1024:.1f} MiB | "
                  f"{peak / 1024:.1f} MiB | {inside:.3f} ms |")


if __name__ == "__main__":
    main()
