#!/bin/sh
# shim-tasks.sh - task throughput, latency and memory of our shim against
# containerd-shim-runc-v2, both driven by a private containerd 1.6 through
# `ctr run --rm` (create + start + wait + delete + shim start/exit per task).
#
#   bench/shim-tasks.sh [BUILD_DIR] [TASKS]     (root; default build, 100)
#
# Reports, per runtime:
#  1. sequential tasks/s with p50/p95 latency, 4 parallel workers' tasks/s,
#     and the shim's peak RSS (VmHWM) while serving one container through
#     create, start, exec and stats (containerd logging at "warn");
#  2. where one `ctr run --rm` spends its time, from the timestamps in
#     containerd's debug log (a second containerd, logging at "debug", runs
#     ours and runc alternately): the phases only ctr and containerd work
#     in, the phases bound to the shim, and the task itself.  The first sum
#     is a floor no shim can go below, so runc_p50 / floor is the best
#     speed-up any shim could show through `ctr run --rm`;
#     Also the shim side's CPU time per task (see CpuMeter), which the
#     machine's load moves far less than latencies;
#  3. memory of a WASI hello (a Wasm module sleeping in our engine, ours
#     only): the shim's and the Wasm process's VmHWM and their summed PSS
#     (the Wasm process is a fork of the shim and shares its pages).
# Prints the load average before and after: compare figures taken on a
# quiet machine only.  Not run by ctest.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-$HERE/../build}
TASKS=${2:-100}
SHIM_DIR=$(cd "$BUILD/cmd/containerd-shim-spin-v2" && pwd)
WASM_DIR=$(cd "$BUILD" && pwd)/wasm
[ -x "$SHIM_DIR/containerd-shim-spin-v2" ] || { echo "no shim in $SHIM_DIR" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root (containerd)" >&2; exit 1; }

exec python3 -u - "$HERE/../tests/fixture" "$SHIM_DIR" "$TASKS" "$WASM_DIR" <<'PY'
import datetime, os, re, shutil, statistics, subprocess, sys, tempfile, threading, time
sys.path.insert(0, sys.argv[1])
from containerd_fixture import Containerd
import images

shim_dir, tasks, wasm_dir = sys.argv[2], int(sys.argv[3]), sys.argv[4]
runtimes = [("spin (ours)", "io.containerd.spin.v2"), ("runc", "io.containerd.runc.v2")]
work = tempfile.mkdtemp(prefix="shim-bench-")
tar, image = images.busybox_image(work)
load_before = os.getloadavg()

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

class CpuMeter:
    """CPU time of everything containerd starts (shims, their start/delete
    actions, runc), less containerd's own: containerd is moved into a cgroup
    of its own, whose children inherit it, and containerd's own time comes
    from /proc.  Task processes run in their own cgroups, ctr outside, so
    the difference is what the shim side costs in CPU, a figure the load
    average moves far less than latency."""
    def __init__(self, pid):
        self.pid, self.path = pid, None
        v1 = "/sys/fs/cgroup/cpuacct"
        if os.path.isdir(v1):
            base, self.file = v1, "cpuacct.usage"
        elif os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
            base, self.file = "/sys/fs/cgroup", "cpu.stat"
        else:
            return
        path = f"{base}/shim-bench-{os.getpid()}"
        try:
            os.mkdir(path)
            with open(f"{path}/cgroup.procs", "w") as f:
                f.write(str(pid))
            self.path = path
        except OSError:
            pass

    def _group_ns(self):
        with open(f"{self.path}/{self.file}") as f:
            text = f.read()
        if self.file == "cpu.stat":
            return int(re.search(r"usage_usec (\d+)", text).group(1)) * 1000
        return int(text)

    def _containerd_ns(self):
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1e9 / os.sysconf("SC_CLK_TCK")

    def sample(self):
        return (self._group_ns(), self._containerd_ns()) if self.path else None

    @staticmethod
    def ms_between(a, b, n):
        return ((b[0] - a[0]) - (b[1] - a[1])) / 1e6 / n if a and b else None

    def remove(self):
        if self.path:
            try:
                with open(f"{self.path}/cgroup.procs") as f:
                    pids = f.read().split()
                parent = os.path.dirname(self.path)
                for p in pids:  # back to the root, so the group can go
                    with open(f"{parent}/cgroup.procs", "w") as f:
                        f.write(p)
                os.rmdir(self.path)
            except OSError:
                pass

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

def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0

def pss_kb(pid):
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0

def daemon_pids(c):
    """The shim daemons: shim_pids() also matches our containers' processes
    (forks of the shim that keep its command line), whose parent is a shim."""
    pids = c.shim_pids()
    def ppid(p):
        with open(f"/proc/{p}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    return [p for p in pids if ppid(p) not in pids]

def remove(c, name):
    c.ctr("task", "kill", "-s", "SIGKILL", name, check=False)
    time.sleep(0.3)
    c.ctr("task", "rm", name, check=False)
    c.ctr("container", "rm", name, check=False)

def peak_rss_kb(c, runtime, tag):
    name = f"{tag}-rss"
    c.ctr("run", "-d", "--null-io", "--runtime", runtime, image, name, "sleep", "1000")
    try:
        c.ctr("task", "exec", "--exec-id", "x", name, "true")
        c.ctr("task", "metrics", name)
        return status_kb(daemon_pids(c)[0], "VmHWM")
    finally:
        remove(c, name)

def wasi_memory(c):
    """Shim + a WASI module sleeping in our engine (fsops.wasm, 3 s)."""
    wasm = os.path.join(wasm_dir, "fsops.wasm")
    if not os.path.exists(wasm):
        return None
    root = os.path.join(work, "wasi-root")
    os.makedirs(root)
    shutil.copy(wasm, root)
    wtar = os.path.join(work, "wasi.tar")
    wimage = images.mkimage(root, "localhost/wasi-sleep:bench", wtar,
                            entrypoint='["/fsops.wasm"]', arch="wasm", os_="wasip1")
    c.ctr("image", "import", "--all-platforms", wtar)
    name = "wasi-rss"
    c.ctr("run", "-d", "--null-io", "--runtime", "io.containerd.spin.v2", wimage, name,
          "/fsops.wasm", "sleep", "rel", "3000")
    try:
        time.sleep(0.5)
        shim = daemon_pids(c)[0]
        task = int(c.ctr("task", "ls").stdout.split(name, 1)[1].split()[0])
        return (status_kb(shim, "VmHWM"), status_kb(task, "VmHWM"),
                pss_kb(shim) + pss_kb(task))
    finally:
        remove(c, name)

# ---- phases from containerd's debug log --------------------------------

LOG_RX = re.compile(r'time="([^"]+)" level=\w+ msg="([^"]*)"(.*)')

def log_time(s):
    day, frac = s.rstrip("Z").split(".")
    t = datetime.datetime.strptime(day, "%Y-%m-%dT%H:%M:%S")
    return t.replace(tzinfo=datetime.timezone.utc).timestamp() + float("0." + frac)

# (label, message pattern, required field) in the order they happen; the
# segment named by a row ends at its marker and starts at the previous one.
MARKERS = [
    ("ctr start-up (client)",                      r"^stat snapshot", None),
    ("containerd: snapshot prepare",               r"^get snapshot mounts", None),
    ("containerd: container create, task prep",    r"^get snapshot mounts", None),
    ("shim start + Create",                        r"^event forwarded", "tasks/create"),
    ("Start",                                      r"^event forwarded", "tasks/start"),
    ("the task runs, exits, is reaped",            r"^event forwarded", "tasks/exit"),
    ("Wait return, State, Delete",                 r"^event forwarded", "tasks/delete"),
    ("Shutdown, disconnect",                       r"^shim disconnected", None),
    ("`delete` action, containerd clean-up",       r"^remove snapshot", None),
]
FLOOR = {"ctr start-up (client)", "containerd: snapshot prepare",
         "containerd: container create, task prep", "containerd: snapshot removal, ctr exit"}
TASK = {"the task runs, exits, is reaped"}

def phases(log_lines, t0, t1):
    ev = [l for l in log_lines if t0 <= l[0] <= t1]
    marks, prev, k = [], t0, 0
    for label, pat, field in MARKERS:
        while k < len(ev) and not (re.search(pat, ev[k][1]) and
                                   (field is None or field in ev[k][2])):
            k += 1
        if k == len(ev):
            return None
        marks.append((label, (ev[k][0] - prev) * 1000))
        prev = ev[k][0]
        k += 1
    marks.append(("containerd: snapshot removal, ctr exit", (t1 - prev) * 1000))
    return marks

def phase_runs(runs):
    with Containerd(shim_dir=shim_dir, log_level="debug") as c:
        c.import_image(tar)
        spans = {rt: [] for _, rt in runtimes}
        for _, rt in runtimes:
            one(c, rt, rt.split(".")[2] + "-dwarm")
        for i in range(runs):  # alternate, so both see the same noise
            for _, rt in runtimes:
                name = f"{rt.split('.')[2]}-d{i}"
                t0 = time.time()
                r = c.ctr("run", "--rm", "--null-io", "--runtime", rt, image, name, "true",
                          check=False, timeout=120)
                t1 = time.time()
                if r.returncode != 0:
                    raise RuntimeError(f"{rt} {name}: {r.stderr}")
                spans[rt].append((t0, t1))
        time.sleep(0.2)
        lines = []
        with open(c.log_path, errors="replace") as f:
            for l in f:
                m = LOG_RX.match(l)
                if m:
                    lines.append((log_time(m.group(1)), m.group(2), m.group(3)))
        out = {}
        for _, rt in runtimes:
            per = [p for p in (phases(lines, t0, t1 + 0.02) for t0, t1 in spans[rt]) if p]
            out[rt] = per
        return out

rows = []
with Containerd(shim_dir=shim_dir, log_level="warn") as c:
    c.import_image(tar)
    meter = CpuMeter(c.proc.pid)
    try:
        for label, runtime in runtimes:
            tag = runtime.split(".")[2]
            one(c, runtime, f"{tag}-warm")
            before = meter.sample()
            seq, lat = sequential(c, runtime, tag)
            cpu = CpuMeter.ms_between(before, meter.sample(), tasks)
            par = parallel(c, runtime, tag)
            rss = peak_rss_kb(c, runtime, tag)
            lat.sort()
            rows.append((label, seq, statistics.median(lat) * 1000,
                         lat[int(len(lat) * 0.95) - 1] * 1000, par, rss, cpu))
        wasi = wasi_memory(c)
    finally:
        meter.remove()
phase_data = phase_runs(min(tasks, 30))
load_after = os.getloadavg()
subprocess.run(["rm", "-rf", work])

print(f"{tasks} tasks per run, `ctr run --rm --null-io busybox true`, containerd 1.6, "
      f"{os.cpu_count()} CPUs, load average {load_before[0]:.2f} before, "
      f"{load_after[0]:.2f} after")
print()
print(f"| runtime | seq tasks/s | p50 ms | p95 ms | 4-par tasks/s | shim VmHWM kB "
      f"| shim-side CPU ms/task |")
print(f"|---|---:|---:|---:|---:|---:|---:|")
for r in rows:
    cpu = f"{r[6]:.1f}" if r[6] is not None else "n/a"
    print(f"| {r[0]} | {r[1]:.1f} | {r[2]:.1f} | {r[3]:.1f} | {r[4]:.1f} | {r[5]} | {cpu} |")
print()
print("shim-side CPU: user + system time of everything containerd started during the "
      "sequential runs (shims, start/delete actions, runc), containerd's own excluded.")

print()
labels = [m[0] for m in MARKERS] + ["containerd: snapshot removal, ctr exit"]
med = {}
for _, rt in runtimes:
    per = phase_data[rt]
    med[rt] = {lab: statistics.median(p[i][1] for p in per) for i, lab in enumerate(labels)}
n = min(len(phase_data[rt]) for _, rt in runtimes)
print(f"Where one `ctr run --rm` goes (median ms of {n} runs each, containerd at debug level, "
      f"ours and runc alternating):")
print()
print("| phase (ends at the containerd log line of the next one) | who | spin (ours) | runc |")
print("|---|---|---:|---:|")
ours, runc = runtimes[0][1], runtimes[1][1]
for lab in labels:
    who = "ctr+containerd" if lab in FLOOR else "task" if lab in TASK else "shim-bound"
    print(f"| {lab} | {who} | {med[ours][lab]:.1f} | {med[runc][lab]:.1f} |")
def total(rt, group):
    return sum(v for lab, v in med[rt].items() if group(lab))
floor = {rt: total(rt, lambda l: l in FLOOR) for _, rt in runtimes}
bound = {rt: total(rt, lambda l: l not in FLOOR and l not in TASK) for _, rt in runtimes}
whole = {rt: total(rt, lambda l: True) for _, rt in runtimes}
print(f"| **ctr + containerd alone** | | {floor[ours]:.1f} | {floor[runc]:.1f} |")
print(f"| **shim-bound** | | {bound[ours]:.1f} | {bound[runc]:.1f} |")
print(f"| sum of medians | | {whole[ours]:.1f} | {whole[runc]:.1f} |")
print()
best = whole[runc] / min(floor.values())
print(f"Shim-bound time, runc / ours: {bound[runc] / bound[ours]:.1f}x.  "
      f"Whole task, runc / ours: {whole[runc] / whole[ours]:.1f}x.  "
      f"With a shim costing nothing, `ctr run --rm` would still take the ctr + containerd "
      f"floor of {min(floor.values()):.1f} ms: at most {best:.1f}x runc's task rate.")
if wasi:
    print()
    print(f"WASI hello (Wasm module sleeping in our engine): shim VmHWM {wasi[0]} kB, "
          f"Wasm process VmHWM {wasi[1]} kB, PSS of both together {wasi[2]} kB.")
PY
