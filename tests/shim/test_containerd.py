"""test_containerd.py - our shim under a real containerd 1.6 (root).

Everything goes through `ctr` against the private containerd of
tests/fixture, selecting the shim with --runtime io.containerd.spin.v2, so
containerd itself starts the binary (`start`), talks ttrpc to it, receives
its events and runs `delete` afterwards - the same contract kubelet's CRI
path uses.
"""
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixture"))
from containerd_fixture import Containerd  # noqa: E402
from harness import run_tests  # noqa: E402
import images  # noqa: E402

RUNTIME = "io.containerd.spin.v2"
SHIM_DIR = os.environ.get("SHIM_BIN_DIR")
WASM_DIR = os.environ.get("WASM_DIR")
CYCLES = int(os.environ.get("SHIM_CYCLES", "200"))
SOCKET_DIR = "/run/containerd/s"


def sockets():
    try:
        return set(os.listdir(SOCKET_DIR))
    except FileNotFoundError:
        return set()


def setup():
    work = tempfile.mkdtemp(prefix="shim-ctrd-")
    tar, name = images.busybox_image(work)
    c = Containerd(shim_dir=SHIM_DIR)
    c.__enter__()
    c.import_image(tar)
    ctx = {"c": c, "image": name, "work": work}
    if WASM_DIR and os.path.exists(os.path.join(WASM_DIR, "hello.wasm")):
        root = os.path.join(work, "wasm-rootfs")
        os.makedirs(root)
        with open(os.path.join(WASM_DIR, "hello.wasm"), "rb") as src, \
                open(os.path.join(root, "hello.wasm"), "wb") as dst:
            dst.write(src.read())
        wtar = os.path.join(work, "hello.tar")
        ctx["wasm_image"] = images.mkimage(root, "localhost/hello-wasm:test", wtar,
                                           entrypoint='["/hello.wasm"]', arch="wasm",
                                           os_="wasip1")
        c.import_image(wtar)
    return ctx


def teardown(ctx):
    ctx["c"].__exit__(None, None, None)
    subprocess.run(["rm", "-rf", ctx["work"]])


def run(ctx, *args, timeout=60, check=False):
    return ctx["c"].ctr("run", "--runtime", RUNTIME, *args, timeout=timeout, check=check)


def task_pid(ctx, cid):
    out = ctx["c"].ctr("task", "ls").stdout
    for line in out.splitlines()[1:]:
        f = line.split()
        if f and f[0] == cid:
            return int(f[1])
    raise AssertionError(f"task {cid} not in:\n{out}")


def task_status(ctx, cid):
    out = ctx["c"].ctr("task", "ls").stdout
    for line in out.splitlines()[1:]:
        f = line.split()
        if f and f[0] == cid:
            return f[2]
    return None


def wait_for(pred, timeout=20, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def remove(ctx, cid):
    c = ctx["c"]
    c.ctr("task", "kill", "-s", "SIGKILL", cid, check=False)
    wait_for(lambda: task_status(ctx, cid) in (None, "STOPPED"), what=f"{cid} to stop")
    c.ctr("task", "rm", cid, check=False)
    c.ctr("container", "rm", cid, check=False)


# ---- tests ----------------------------------------------------------------

def test_run_prints_output_and_exit_code(ctx):
    r = run(ctx, "--rm", ctx["image"], "out1", "/bin/sh", "-c", "echo hello from busybox; exit 3")
    assert r.returncode == 3, (r.returncode, r.stdout, r.stderr)
    assert r.stdout == "hello from busybox\n", repr(r.stdout)
    # the container is gone (--rm) and so is its shim
    assert ctx["c"].ctr("task", "ls", "-q").stdout.strip() == ""
    wait_for(lambda: not ctx["c"].shim_pids(), what="the shim to exit")


def test_kill_sigterm_and_sigkill_exit_codes(ctx):
    c = ctx["c"]
    # pid 1 ignores unhandled SIGTERM, so the script handles it itself
    p = c.ctr_popen("run", "--rm", "--runtime", RUNTIME, ctx["image"], "term1", "/bin/sh", "-c",
                    "trap 'exit 143' TERM; while true; do sleep 0.1; done",
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(lambda: task_status(ctx, "term1") == "RUNNING", what="term1 running")
    c.ctr("task", "kill", "-s", "SIGTERM", "term1")
    assert p.wait(timeout=30) == 143
    p = c.ctr_popen("run", "--rm", "--runtime", RUNTIME, ctx["image"], "kill1", "sleep", "1000",
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(lambda: task_status(ctx, "kill1") == "RUNNING", what="kill1 running")
    c.ctr("task", "kill", "-s", "SIGKILL", "kill1")
    assert p.wait(timeout=30) == 137


def test_exec_ps_metrics_pause(ctx):
    c = ctx["c"]
    run(ctx, "-d", ctx["image"], "busy", "sleep", "1000", check=True)
    try:
        wait_for(lambda: task_status(ctx, "busy") == "RUNNING", what="busy running")
        pid = task_pid(ctx, "busy")
        r = c.ctr("task", "exec", "--exec-id", "e1", "busy", "/bin/sh", "-c",
                  "echo in-exec; cat /proc/1/cmdline; exit 4", check=False)
        assert r.returncode == 4, (r.returncode, r.stdout, r.stderr)
        assert r.stdout.startswith("in-exec\nsleep"), repr(r.stdout)
        # the exec ran inside the container's pid namespace: its pid 1 is sleep
        ps = c.ctr("task", "ps", "busy").stdout
        assert str(pid) in ps.split(), ps
        m = c.ctr("task", "metrics", "busy").stdout
        assert re.search(r"memory\.usage", m), m
        c.ctr("task", "pause", "busy")
        assert task_status(ctx, "busy") == "PAUSED"
        c.ctr("task", "resume", "busy")
        assert task_status(ctx, "busy") == "RUNNING"
    finally:
        remove(ctx, "busy")


def test_two_containers_share_one_shim_and_netns(ctx):
    c = ctx["c"]
    ann = "io.kubernetes.cri.sandbox-id=podA"
    run(ctx, "-d", "--annotation", ann, ctx["image"], "podA-sandbox", "sleep", "1000", check=True)
    try:
        wait_for(lambda: task_status(ctx, "podA-sandbox") == "RUNNING", what="sandbox")
        spid = task_pid(ctx, "podA-sandbox")
        run(ctx, "-d", "--annotation", ann, "--with-ns", f"network:/proc/{spid}/ns/net",
            ctx["image"], "podA-app", "sleep", "1000", check=True)
        wait_for(lambda: task_status(ctx, "podA-app") == "RUNNING", what="app")
        apid = task_pid(ctx, "podA-app")
        assert len(c.shim_pids()) == 1, c.shim_pids()
        assert os.readlink(f"/proc/{apid}/ns/net") == os.readlink(f"/proc/{spid}/ns/net")
        assert os.readlink(f"/proc/{apid}/ns/net") != os.readlink("/proc/self/ns/net")
        # removing the app keeps the pod's shim for the sandbox
        remove(ctx, "podA-app")
        assert task_status(ctx, "podA-sandbox") == "RUNNING"
        assert len(c.shim_pids()) == 1
    finally:
        remove(ctx, "podA-app")
        remove(ctx, "podA-sandbox")
    wait_for(lambda: not c.shim_pids(), what="the pod's shim to exit")


def test_wasi_hello_through_containerd(ctx):
    if "wasm_image" not in ctx:
        raise AssertionError("hello.wasm was not built (WASM_DIR)")
    r = run(ctx, "--rm", ctx["wasm_image"], "wasi1", "/hello.wasm", "--exit", "5", timeout=120)
    assert r.returncode == 5, (r.returncode, r.stdout, r.stderr)
    assert "Hello" in r.stdout or "hello" in r.stdout, repr(r.stdout)


def run_with_stdin(ctx, cid, stdin, *args):
    """`ctr run` with `stdin` piped in (ctr closes its end at EOF and sends
    CloseIO); a process that waits for an EOF that never comes fails the test
    at the timeout instead of hanging it."""
    try:
        return ctx["c"].ctr("run", "--runtime", RUNTIME, *args, timeout=60, check=False,
                            input=stdin)
    except subprocess.TimeoutExpired:
        remove(ctx, cid)
        raise AssertionError(f"{cid}: no EOF on the container's stdin (ctr run timed out)")


def test_wasi_reads_stdin_to_eof_through_containerd(ctx):
    if "wasm_image" not in ctx:
        raise AssertionError("hello.wasm was not built (WASM_DIR)")
    # more than a pipe buffer (64 KiB), several lines, no final newline
    payload = "".join(f"line {i:06d}\n" for i in range(8000)) + "tail"
    r = run_with_stdin(ctx, "wasi-stdin", payload, "--rm", ctx["wasm_image"], "wasi-stdin",
                       "/hello.wasm", "--stdin", "--exit", "4")
    assert r.returncode == 4, (r.returncode, r.stdout[-200:], r.stderr)
    assert "stdin: " + payload in r.stdout, (len(r.stdout), r.stdout[-200:])


def test_wasi_short_and_empty_stdin_reach_eof(ctx):
    # ctr may read EOF before it can send CloseIO: closing its end must do
    if "wasm_image" not in ctx:
        raise AssertionError("hello.wasm was not built (WASM_DIR)")
    for cid, data in (("wasi-short", "hi\n"), ("wasi-empty", "")):
        r = run_with_stdin(ctx, cid, data, "--rm", ctx["wasm_image"], cid, "/hello.wasm",
                           "--stdin")
        assert r.returncode == 0, (cid, r.returncode, r.stdout, r.stderr)
        assert "stdin: " + data + "\n" in r.stdout, (cid, r.stdout)


def test_exec_reads_stdin_to_eof(ctx):
    c = ctx["c"]
    c.ctr("run", "-d", "--runtime", RUNTIME, ctx["image"], "stdin-exec", "sleep", "600")
    try:
        r = c.ctr("task", "exec", "--exec-id", "wc1", "stdin-exec", "/bin/sh", "-c",
                  "wc -c; exit 6", input="x" * 100000, timeout=60, check=False)
        assert r.returncode == 6, (r.returncode, r.stdout, r.stderr)
        assert r.stdout.strip() == "100000", repr(r.stdout)
    except subprocess.TimeoutExpired:
        raise AssertionError("exec: no EOF on the exec's stdin (ctr task exec timed out)")
    finally:
        remove(ctx, "stdin-exec")


def task_events(ctx, fn):
    """Runs fn() while `ctr events` listens; returns [(topic, payload)] of
    this namespace's /tasks/ events."""
    c = ctx["c"]
    ev = c.ctr_popen("events", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)  # let the subscription start
        fn()
        time.sleep(0.5)  # events are delivered asynchronously
    finally:
        ev.terminate()
        out, _ = ev.communicate(timeout=10)
    got = []
    for line in out.splitlines():
        f = line.split(" ", 6)
        if len(f) == 7 and f[4] == c.namespace and f[5].startswith("/tasks/"):
            got.append((f[5], f[6]))
    return got


def test_events_reach_containerd_in_order(ctx):
    def go():
        r = run(ctx, "--rm", ctx["image"], "ev1", "/bin/sh", "-c", "exit 2")
        assert r.returncode == 2
    got = task_events(ctx, go)
    assert [t for t, _ in got] == ["/tasks/create", "/tasks/start", "/tasks/exit",
                                   "/tasks/delete"], got
    assert '"exit_status":2' in got[2][1], got[2]
    assert '"container_id":"ev1"' in got[0][1], got[0]


def test_oom_kill_is_reported(ctx):
    def go():
        # 32 MiB limit; the shell (the container's init) grows past it
        r = run(ctx, "--rm", "--memory-limit", str(32 << 20), ctx["image"], "oom1", "/bin/sh",
                "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived")
        assert r.returncode == 137, (r.returncode, r.stdout, r.stderr)
        assert "survived" not in r.stdout
    got = [t for t, _ in task_events(ctx, go)]
    assert got == ["/tasks/create", "/tasks/start", "/tasks/oom", "/tasks/exit",
                   "/tasks/delete"], got


def test_runtime_options_never_fail_a_task(ctx):
    # ctr sends runtimeoptions.v1.Options{config_path} for non-runc runtimes
    r = run(ctx, "--rm", "--runtime-config-path", "/nonexistent/options.toml", ctx["image"],
            "opt1", "/bin/sh", "-c", "echo ok")
    assert r.returncode == 0, (r.returncode, r.stderr)
    assert r.stdout == "ok\n"


def test_debug_logs_reach_containerd_log(ctx):
    # a containerd at debug level runs shims with -debug; our log lines go
    # through the bundle's log FIFO into containerd's own log
    work = tempfile.mkdtemp(prefix="shim-dbg-")
    try:
        tar, name = images.busybox_image(work, "localhost/busybox:dbg")
        with Containerd(shim_dir=SHIM_DIR, log_level="debug") as c:
            c.import_image(tar)
            r = c.ctr("run", "--rm", "--runtime", RUNTIME, name, "dbg1", "true", check=False)
            assert r.returncode == 0, r.stderr
            log = c.log()
            assert 'msg="rpc Create"' in log and 'msg="rpc Shutdown"' in log, log[-2000:]
    finally:
        subprocess.run(["rm", "-rf", work])
    # ... and at the default level the shim says nothing per request
    before = ctx["c"].log()
    run(ctx, "--rm", ctx["image"], "quiet1", "true", check=True)
    assert 'msg="rpc ' not in ctx["c"].log()[len(before):]


def test_tasks_survive_a_containerd_restart(ctx):
    # containerd re-reads each bundle's `address`, reconnects and goes on
    c = ctx["c"]
    run(ctx, "-d", ctx["image"], "survivor", "sleep", "1000", check=True)
    try:
        wait_for(lambda: task_status(ctx, "survivor") == "RUNNING", what="survivor")
        pid = task_pid(ctx, "survivor")
        shims = c.shim_pids()
        assert len(shims) == 1
        c.proc.terminate()
        c.proc.wait(timeout=30)
        assert os.path.exists(f"/proc/{shims[0]}") and os.path.exists(f"/proc/{pid}")
        env = dict(os.environ)
        env["PATH"] = c.shim_dir + ":" + env.get("PATH", "/usr/bin:/bin")
        c.proc = subprocess.Popen(["containerd", "--config", c.config_path], stdout=c._log,
                                  stderr=subprocess.STDOUT, env=env, start_new_session=True)
        wait_for(lambda: c.ctr("version", check=False, timeout=5).returncode == 0,
                 what="containerd to come back")
        assert task_status(ctx, "survivor") == "RUNNING"
        assert task_pid(ctx, "survivor") == pid
        assert c.shim_pids() == shims
        # the exit still reaches the new containerd (as an event)
        c.ctr("task", "kill", "-s", "SIGKILL", "survivor")
        wait_for(lambda: task_status(ctx, "survivor") == "STOPPED", what="survivor to stop")
    finally:
        remove(ctx, "survivor")
    wait_for(lambda: not c.shim_pids(), what="the shim to exit")


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_many_cycles_leave_nothing_behind(ctx):
    c = ctx["c"]
    ann = "io.kubernetes.cri.sandbox-id=cyclepod"
    # a long-lived member of the group keeps one shim alive across cycles,
    # so leaks inside that shim (fds, threads) show up
    run(ctx, "-d", "--annotation", ann, ctx["image"], "anchor", "sleep", "1000", check=True)
    wait_for(lambda: task_status(ctx, "anchor") == "RUNNING", what="anchor")
    shim = c.shim_pids()
    assert len(shim) == 1, shim
    shim = shim[0]
    # warm up once so lazily opened fds (events connection) exist
    run(ctx, "--rm", "--annotation", ann, ctx["image"], "warm", "true", check=True)
    fds_before = fd_count(shim)
    threads_before = len(os.listdir(f"/proc/{shim}/task"))
    for i in range(CYCLES):
        r = run(ctx, "--rm", "--annotation", ann, ctx["image"], f"cyc{i}", "/bin/sh", "-c",
                f"exit {i % 7}")
        assert r.returncode == i % 7, (i, r.returncode, r.stderr)
    assert c.shim_pids() == [shim]
    assert fd_count(shim) == fds_before, (fds_before, fd_count(shim))
    # request threads are transient; allow a moment for them to finish
    wait_for(lambda: len(os.listdir(f"/proc/{shim}/task")) <= threads_before,
             what="request threads to finish")
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(shim)], capture_output=True,
                              text=True).stdout.split()
    assert children == [str(task_pid(ctx, "anchor"))], children
    remove(ctx, "anchor")
    wait_for(lambda: not c.shim_pids(), what="the shim to exit")
    # no mounts of the cycled containers, no cgroups, no socket left (only
    # this containerd's: other runs may share the machine)
    with open("/proc/self/mountinfo") as f:
        leftover = [ln for ln in f if ln.split()[4].startswith(c.tmp + "/")]
    assert not leftover, leftover
    for top in ("/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids", "/sys/fs/cgroup"):
        d = os.path.join(top, c.namespace)
        if os.path.isdir(d):
            left = [x for x in os.listdir(d) if x.startswith("cyc") or x == "anchor"]
            assert not left, (d, left)
    ours = hashlib.sha256(f"{c.address}/{c.namespace}/cyclepod".encode()).hexdigest()
    assert ours not in sockets(), ours


if __name__ == "__main__":
    run_tests(globals(), setup=setup, teardown=teardown)
