#!/usr/bin/env python3
"""instantiate.py - the cost of a fresh instance per request (issue #15),
for the Wagi hello, the C wasi:http hello and the Spin JS hello, side by
side in one run:

  1. in-process (bench/instantiate_bench.c, target instantiate-bench):
     instantiate + call + drop, p50 / p99 / mean microseconds, through the
     calls the Spin executors make;
  2. through `up` (the whole server, 2 wrk threads on this machine's
     cores): wrk requests/s and latency of GET on each app, beside the
     bare server's rate (GET /.well-known/spin/health, which the HTTP
     server answers without any instance);
  3. growth: the server's RSS and open fds after a warm-up and again after
     N more sequential requests (#15's "nothing grows over 100,000
     requests" is --requests 100000; the default is smaller).

    bench/instantiate.py --build build/gcc [--runs 2000] [--duration 10]
                         [--connections 32] [--requests 5000] [--quick]

--quick (about half a minute) checks that everything runs: 50 in-process
runs, 1 s of wrk, 300 growth requests.  Not a test: nothing is asserted
about timings; a wrong answer (not 200) stops the run.
"""
import argparse
import http.client
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import spin_bench_apps as apps  # noqa: E402

ORDER = ["wagi", "c-http", "js"]


def in_process(build, name, app_dir, runs):
    exe = os.path.join(build, "bench", "instantiate-bench")
    if not os.access(exe, os.X_OK):
        sys.exit(f"{exe} is missing (build the instantiate-bench target)")
    mode = "wagi" if apps.APPS[name][3] else "http"
    r = subprocess.run([exe, mode, os.path.join(app_dir, "app.wasm"), str(runs)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"instantiate-bench {mode} {name} failed:\n{r.stderr}")
    m = re.search(r"p50=([\d.]+) us p99=([\d.]+) us mean=([\d.]+) us", r.stdout)
    return tuple(float(x) for x in m.groups())


def wrk(port, path, duration, conns):
    out = subprocess.run(["wrk", "-t2", f"-c{conns}", f"-d{duration}s", "--latency",
                          f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True,
                         check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: (.*)", out)
    return rps, lat.get("50"), lat.get("99"), int(bad.group(1)) if bad else 0, \
        errs.group(1) if errs else ""


def sequential(port, path, n):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for _ in range(n):
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        if r.status != 200:
            sys.exit(f"GET {path} answered {r.status}")
    c.close()


def through_up(shim, app_dir, path, args, bare):
    port = apps.free_port()
    proc, err = apps.start_up(shim, app_dir, port)
    try:
        apps.wait_200(port, path, proc=proc)
        sequential(port, path, args.warmup)
        rss0, fd0 = apps.proc_status_kib(proc.pid, "VmRSS"), apps.fd_count(proc.pid)
        sequential(port, path, args.requests)
        rss1, fd1 = apps.proc_status_kib(proc.pid, "VmRSS"), apps.fd_count(proc.pid)
        rate = wrk(port, path, args.duration, args.connections)
        bare_rate = wrk(port, "/.well-known/spin/health", args.duration,
                        args.connections) if bare else None
        return rate, bare_rate, (rss0, rss1, fd0, fd1)
    finally:
        apps.stop(proc)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=2000, help="in-process runs per app")
    ap.add_argument("--duration", type=int, default=10, help="seconds of wrk per app")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--requests", type=int, default=5000,
                    help="sequential requests between the two RSS/fd samples")
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="a short run that checks it all works")
    ap.add_argument("--apps", default=",".join(ORDER))
    args = ap.parse_args()
    if args.quick:
        args.runs, args.duration, args.requests, args.warmup = 50, 1, 300, 20
    shim = apps.shim_path(args.build)
    names = args.apps.split(",")
    print(f"load average before: {apps.loadavg()}; {os.cpu_count()} CPUs")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-inst-") as tmp:
        for i, name in enumerate(names):
            app_dir, path = apps.make_app(args.build, name, os.path.join(tmp, name))
            # the JS app takes ~0.1 s a request today: fewer in-process runs
            runs = max(20, args.runs // 20) if name == "js" else args.runs
            requests = max(50, args.requests // 20) if name == "js" else args.requests
            a = argparse.Namespace(**{**vars(args), "requests": requests})
            inproc = in_process(args.build, name, app_dir, runs)
            rate, bare, growth = through_up(shim, app_dir, path, a, bare=(i == 0))
            rows.append((name, runs, inproc, rate, bare, growth, requests))
    print(f"load average after: {apps.loadavg()}")
    print()
    print("| app | in-process runs | p50 µs | p99 µs | mean µs | `up` req/s | p50 | p99 | "
          "non-2xx | × bare server |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    bare_rps = next(r[4][0] for r in rows if r[4])
    for name, runs, (p50, p99, mean), rate, _, _, _ in rows:
        print(f"| {name} | {runs} | {p50:.1f} | {p99:.1f} | {mean:.1f} | {rate[0]:,.0f} | "
              f"{rate[1]} | {rate[2]} | {rate[3]} | {rate[0] / bare_rps:.3f} |")
    bare = next(r[4] for r in rows if r[4])
    print(f"| bare server (health, no instance) | | | | | {bare[0]:,.0f} | {bare[1]} | "
          f"{bare[2]} | {bare[3]} | 1.000 |")
    print()
    print("| app | requests between samples | RSS before | RSS after | fds before | fds after |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, _, _, _, _, (rss0, rss1, fd0, fd1), requests in rows:
        print(f"| {name} | {requests:,} | {rss0 / 1024:.1f} MiB | {rss1 / 1024:.1f} MiB | "
              f"{fd0} | {fd1} |")


if __name__ == "__main__":
    main()
