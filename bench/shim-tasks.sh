#!/bin/sh
# shim-tasks.sh - task throughput, latency and memory of our shim against
# containerd-shim-runc-v2, both driven by a private containerd 1.6 through
# `ctr run --rm` (create + start + wait + delete + shim start/exit per task).
#
#   bench/shim-tasks.sh [BUILD_DIR] [TASKS]     (root; default build, 100)
#
# Reports, per runtime: sequential tasks/s with p50/p95 latency, 4 parallel
# workers' tasks/s, and the shim's peak RSS (VmHWM) while serving one
# container through create, start, exec and stats.  Not run by ctest.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-$HERE/../build}
TASKS=${2:-100}
SHIM_DIR=$(cd "$BUILD/cmd/containerd-shim-spin-v2" && pwd)
[ -x "$SHIM_DIR/containerd-shim-spin-v2" ] || { echo "no shim in $SHIM_DIR" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root (containerd)" >&2; exit 1; }

exec python3 -u - "$HERE/../tests/fixture" "$SHIM_DIR" "$TASKS" <<'PY'
import os, statistics, subprocess, sys, tempfile, threading, time
sys.path.insert(0, sys.argv[1])
from containerd_fixture import Containerd
import images

shim_dir, tasks = sys.argv[2], int(sys.argv[3])
runtimes = [("spin (ours)", "io.containerd.spin.v2"), ("runc", "io.containerd.runc.v2")]
work = tempfile.mkdtemp(prefix="shim-bench-")
tar, image = images.busybox_image(work)

def one(c, runtime, name):
    t0 = time.monotonic()
    r = c.ctr("run", "--rm", "--null-io", "--runtime", runtime, image, name, "true",
              check=False, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"{runtime} {name}: {r.stderr}")
    return time.monotonic() - t0

def sequential(c, runtime, tag):
    lat = [one(c, runtime, f"{tag}-s{i}") for i in range(tasks)]
    return tasks / sum(lat), lat

def parallel(c, runtime, tag, workers=4):
    per = tasks // workers
    errors = []
    def work_(w):
        try:
            for i in range(per):
                one(c, runtime, f"{tag}-p{w}-{i}")
        except Exception as e:  # noqa: BLE001
            errors.append(e)
    ts = [threading.Thread(target=work_, args=(w,)) for w in range(workers)]
    t0 = time.monotonic()
    for t in ts: t.start()
    for t in ts: t.join()
    if errors:
        raise errors[0]
    return per * workers / (time.monotonic() - t0)

def peak_rss_kb(c, runtime, tag):
    name = f"{tag}-rss"
    c.ctr("run", "-d", "--null-io", "--runtime", runtime, image, name, "sleep", "1000")
    try:
        c.ctr("task", "exec", "--exec-id", "x", name, "true")
        c.ctr("task", "metrics", name)
        pids = c.shim_pids()
        with open(f"/proc/{pids[0]}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    finally:
        c.ctr("task", "kill", "-s", "SIGKILL", name, check=False)
        time.sleep(0.3)
        c.ctr("task", "rm", name, check=False)
        c.ctr("container", "rm", name, check=False)

rows = []
with Containerd(shim_dir=shim_dir, log_level="warn") as c:
    c.import_image(tar)
    for label, runtime in runtimes:
        tag = runtime.split(".")[2]
        one(c, runtime, f"{tag}-warm")
        seq, lat = sequential(c, runtime, tag)
        par = parallel(c, runtime, tag)
        rss = peak_rss_kb(c, runtime, tag)
        lat.sort()
        rows.append((label, seq, statistics.median(lat) * 1000,
                     lat[int(len(lat) * 0.95) - 1] * 1000, par, rss))
subprocess.run(["rm", "-rf", work])
print(f"{tasks} tasks per run, `ctr run --rm --null-io busybox true`, containerd 1.6, "
      f"{os.cpu_count()} CPUs")
print(f"{'runtime':<14} {'seq tasks/s':>11} {'p50 ms':>8} {'p95 ms':>8} "
      f"{'4-par tasks/s':>13} {'shim VmHWM kB':>14}")
for r in rows:
    print(f"{r[0]:<14} {r[1]:>11.1f} {r[2]:>8.1f} {r[3]:>8.1f} {r[4]:>13.1f} {r[5]:>14}")
PY
