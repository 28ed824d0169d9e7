#!/usr/bin/env python3
"""coldstart.py - from process start to the first HTTP 200 (issue #18), for
the Wagi hello, the C wasi:http hello and the Spin JS hello, side by side
in one run:

  up    `containerd-shim-spin-v2 up` of the app directory, from just before
        the exec to the first 200 of GET on its route;
  ctr   `ctr run -d --net-host --runtime io.containerd.spin.v2` of the app
        packed as an OCI image (tests/fixture/images.py) on a private
        containerd 1.6 at debug level (tests/fixture), to the first 200.
        Needs root; skipped with a note otherwise or with --no-containerd.

Each run is split into phases by the trace points of our binary
(util_trace_mark, enabled with SPIN_TRACE_STARTUP=1, which this script
sets: shim-serving, shim-create, spin-libraries-loaded (the shim's
preload in Create), shim-start, up-main (`up` only), spin-app-run,
manifest-loaded, files-staged, module-read, module-compiled,
http-server-started, app-ready, first-request, first-request-handled) and,
for ctr, containerd's own debug lines (ctr's first call "stat snapshot",
the last "get snapshot mounts" before the shim starts, the tasks/create and
tasks/start events) and the moment `ctr run -d` exits.  The Spin host's
marks come from the container's stderr (`ctr run --log-uri file://...`).  Each phase is printed as the
median time since the start (cumulative) and the median step from the
previous phase; total first-200 times as median, min and max.

    bench/coldstart.py --build build/gcc [--runs 5] [--quick] [--no-containerd]

--quick: 2 runs of each, to check that everything works.  The apps run
interleaved (wagi, c-http, js, wagi, ...) so they see the same load.
Not a test: no timing is asserted.
"""
import argparse
import datetime
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "fixture"))
import spin_bench_apps as apps  # noqa: E402

ORDER = ["wagi", "c-http", "js"]
TRACE_RX = re.compile(r"trace phase=(\S+) mono_us=(\d+) real_us=(\d+)")
CTR_EXIT = "ctr run -d exited"
# The order the phases happen in (containerd's, the shim's, the Spin host's).
PHASES = [
    "containerd: ctr's first call (stat snapshot)",
    "containerd: rootfs mounts ready, shim about to start",
    "shim-serving", "shim-create", "spin-libraries-loaded",
    "containerd: Create returned (tasks/create event)",
    "shim-start",
    "containerd: Start returned (tasks/start event)",
    "up-main", "spin-app-run", "manifest-loaded", "files-staged", "module-read",
    "module-compiled",
    "http-server-started", "app-ready", "first-request", "first-request-handled",
    "first 200 at the client",
]
LOG_RX = re.compile(r'time="([^"]+)" level=\w+ msg="([^"]*)"(.*)')


# ---- up --------------------------------------------------------------------

def trace_marks(text, clock, lo=None, hi=None):
    """{phase: seconds} of the first mark of each phase (within [lo, hi] when
    given); clock 'mono' or 'real'."""
    marks = {}
    for m in TRACE_RX.finditer(text):
        t = int(m.group(2) if clock == "mono" else m.group(3)) / 1e6
        if (lo is None or t >= lo) and (hi is None or t <= hi):
            marks.setdefault(m.group(1), t)
    return marks


def up_once(shim, app_dir, path):
    port = apps.free_port()
    env = dict(os.environ, SPIN_TRACE_STARTUP="1")
    t0 = time.monotonic_ns()
    proc, err = apps.start_up(shim, app_dir, port, env=env)
    try:
        t1 = apps.wait_200(port, path, proc=proc)
    finally:
        apps.stop(proc)
    err.seek(0)
    marks = {k: (v - t0 / 1e9) * 1000 for k, v in trace_marks(err.read(), "mono").items()}
    marks["first 200 at the client"] = (t1 - t0) / 1e6
    return marks


# ---- ctr -------------------------------------------------------------------

def log_time(s):
    day, frac = s.rstrip("Z").split(".")
    t = datetime.datetime.strptime(day, "%Y-%m-%dT%H:%M:%S")
    return t.replace(tzinfo=datetime.timezone.utc).timestamp() + float("0." + frac)


def containerd_marks(log_text, t0, t1):
    """Phases from containerd's own debug lines between t0 and t1 (real seconds)."""
    marks = {}
    for line in log_text.splitlines():
        m = LOG_RX.match(line)
        if not m:
            continue
        t = log_time(m.group(1))
        if not (t0 <= t <= t1):
            continue
        msg, rest = m.group(2), m.group(3)
        if msg.startswith("trace phase="):
            continue
        if msg.startswith("stat snapshot"):
            marks.setdefault("containerd: ctr's first call (stat snapshot)", t)
        created = "containerd: Create returned (tasks/create event)"
        if msg.startswith("get snapshot mounts") and created not in marks:
            marks["containerd: rootfs mounts ready, shim about to start"] = t
        if msg.startswith("event forwarded") and "tasks/create" in rest:
            marks.setdefault(created, t)
        if msg.startswith("event forwarded") and "tasks/start" in rest:
            marks.setdefault("containerd: Start returned (tasks/start event)", t)
    return marks


def ctr_runs(shim, build, names, runs, tmp):
    import images  # noqa: E402
    from containerd_fixture import Containerd  # noqa: E402
    shim_dir = os.path.dirname(shim)
    results = {n: [] for n in names}
    old = os.environ.get("SPIN_TRACE_STARTUP")
    os.environ["SPIN_TRACE_STARTUP"] = "1"  # containerd passes it to the shims
    try:
        with Containerd(shim_dir=shim_dir, log_level="debug") as c:
            image = {}
            for n in names:
                root, path = apps.make_app(build, n, os.path.join(tmp, "img-" + n))
                tar = root + ".tar"
                image[n] = (images.mkimage(root, f"localhost/bench-{n}:cold", tar,
                                           entrypoint='["/"]', arch="wasm", os_="wasip1"), path)
                c.import_image(tar)
            for i in range(runs):
                for n in names:
                    results[n].append(ctr_once(c, image[n][0], image[n][1], f"{n}-{i}", tmp))
    finally:
        if old is None:
            os.environ.pop("SPIN_TRACE_STARTUP", None)
        else:
            os.environ["SPIN_TRACE_STARTUP"] = old
    return results


def ctr_once(c, image, path, cid, tmp):
    port = apps.free_port()
    t0 = time.time()
    m0 = time.monotonic_ns()
    ctr_log = os.path.join(tmp, cid + ".log")  # the container's stderr: the Spin host's marks
    proc = c.ctr_popen("run", "-d", "--net-host", "--log-uri", f"file://{ctr_log}",
                       "--runtime", "io.containerd.spin.v2",
                       "--env", f"SPIN_HTTP_LISTEN_ADDR=127.0.0.1:{port}", image, cid,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ctr_exit = None
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end:
            if ctr_exit is None and proc.poll() is not None:
                ctr_exit = (time.monotonic_ns() - m0) / 1e6
                if proc.returncode != 0:
                    raise RuntimeError(f"ctr run failed: {proc.stderr.read().decode()}")
            if apps.get_status(port, path) == 200:
                break
            time.sleep(0.001)
        else:
            raise RuntimeError(f"{cid}: no 200 within 60 s")
        t1 = time.time()
        first200 = (time.monotonic_ns() - m0) / 1e6
        proc.wait(timeout=30)
        if ctr_exit is None:
            ctr_exit = first200
    finally:
        c.ctr("task", "kill", "-s", "SIGKILL", cid, check=False)
        for _ in range(100):
            if c.ctr("task", "rm", cid, check=False).returncode == 0:
                break
            time.sleep(0.05)
        c.ctr("container", "rm", cid, check=False)
    time.sleep(0.05)  # let containerd flush the shim's log lines
    with open(c.log_path, errors="replace") as f:
        text = f.read()
    marks = {k: (v - t0) * 1000 for k, v in containerd_marks(text, t0, t1 + 0.01).items()}
    if os.path.exists(ctr_log):
        with open(ctr_log, errors="replace") as f:
            text += f.read()
    for k, v in trace_marks(text, "real", t0, t1 + 0.01).items():
        marks[k] = (v - t0) * 1000
    marks[CTR_EXIT] = ctr_exit
    marks["first 200 at the client"] = first200
    return marks


# ---- the tables ------------------------------------------------------------

def table(title, names, results):
    print(f"### {title}")
    print()
    print("| app | runs | first 200, median ms | min | max |")
    print("|---|---:|---:|---:|---:|")
    for n in names:
        t = [r["first 200 at the client"] for r in results[n]]
        print(f"| {n} | {len(t)} | {statistics.median(t):.1f} | {min(t):.1f} | {max(t):.1f} |")
    print()
    med = {n: {} for n in names}
    for n in names:
        phases = {k for r in results[n] for k in r}
        for k in phases:
            vals = [r[k] for r in results[n] if k in r]
            med[n][k] = statistics.median(vals)
    known = [k for k in PHASES if any(k in med[n] for n in names)]
    order = known + sorted({k for n in names for k in med[n]} - set(known) - {CTR_EXIT})
    print("Phases: median ms since the start (cumulative) / step from the phase above "
          "(phases of one process run in this order; containerd's lines interleave).")
    print()
    print("| phase | " + " | ".join(f"{n} at | {n} step" for n in names) + " |")
    print("|---|" + "---:|---:|" * len(names))
    prev = {n: 0.0 for n in names}
    has_exit = any(CTR_EXIT in med[n] for n in names)
    for k in order + ([CTR_EXIT] if has_exit else []):
        cells = []
        for n in names:
            if k in med[n]:
                step = "" if k == CTR_EXIT else f"{med[n][k] - prev[n]:.1f}"
                cells += [f"{med[n][k]:.1f}", step]
                if k != CTR_EXIT:
                    prev[n] = med[n][k]
            else:
                cells += ["", ""]
        print(f"| {k} | " + " | ".join(cells) + " |")
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="2 runs of each: checks it all works")
    ap.add_argument("--no-containerd", action="store_true")
    ap.add_argument("--apps", default=",".join(ORDER))
    args = ap.parse_args()
    if args.quick:
        args.runs = 2
    shim = apps.shim_path(args.build)
    names = args.apps.split(",")
    print(f"load average before: {apps.loadavg()}; {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp:
        up = {n: [] for n in names}
        dirs = {n: apps.make_app(args.build, n, os.path.join(tmp, n)) for n in names}
        for _ in range(args.runs):
            for n in names:
                up[n].append(up_once(shim, *dirs[n]))
        ctr = None
        if args.no_containerd:
            pass
        elif os.geteuid() != 0:
            print("(ctr part skipped: needs root)")
        else:
            ctr = ctr_runs(shim, args.build, names, args.runs, tmp)
    print(f"load average after: {apps.loadavg()}")
    print()
    table("`up` to the first 200", names, up)
    if ctr:
        table("`ctr run -d` to the first 200 (private containerd, debug log)", names, ctr)


if __name__ == "__main__":
    main()
