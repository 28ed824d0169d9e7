"""test_cri_pod.py - a Kubernetes-style pod through containerd's CRI plugin.

This test plays the kubelet: it speaks CRI (runtime.v1, the subset in
proto/cri.proto, compiled to Python stubs at test time) over gRPC to a
private containerd whose CRI plugin maps runtime handler `spin` to
io.containerd.spin.v2, i.e. our shim.  The pod has
  - the sandbox ("pause") container, a static program of ours (pause.c),
  - a busybox sidecar (native, execve'd by our shim),
  - a Spin app container (the example app image, entrypoint ["/"]),
all with host networking so no CNI plugin is needed.  It checks what a
cluster depends on: the pod becomes ready, containers run, ExecSync and
ContainerStats work, the app answers HTTP, its output lands in the CRI
log (kubectl logs), stop/remove succeed, and nothing is left behind.
"""
import os
import sys

# Debian's grpcio/protobuf live in the system interpreter; a Python from
# elsewhere on PATH (pyenv, venv) may lack them.
try:
    import grpc
except ImportError:
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != \
            os.path.realpath("/usr/bin/python3") and not os.environ.get("CRI_TEST_REEXEC"):
        os.environ["CRI_TEST_REEXEC"] = "1"
        os.execv("/usr/bin/python3", ["/usr/bin/python3", "-u"] + sys.argv)
    raise

import http.client  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixture"))
from containerd_fixture import Containerd  # noqa: E402
from harness import free_port, run_tests  # noqa: E402
import images  # noqa: E402

SHIM_DIR = os.environ["SHIM_BIN_DIR"]
APP = os.path.join(os.environ["BUILD_DIR"], "apps", "spin-wagi")
K8S = "k8s.io"
PAUSE_IMAGE = "localhost/pause:test"  # the fixture's sandbox_image


def gen_stubs(out):
    """Compiles proto/cri.proto into out/ and imports the modules."""
    os.makedirs(out)
    r = subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I",
                        os.path.join(HERE, "proto"), f"--python_out={out}",
                        f"--grpc_python_out={out}", "cri.proto"], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"grpc_tools.protoc failed: {r.stderr}")
    sys.path.insert(0, out)
    import cri_pb2
    import cri_pb2_grpc
    return cri_pb2, cri_pb2_grpc


def build_images(work):
    """Returns {role: (tarball, name)} for pause, busybox and the Spin app."""
    out = {}
    root = os.path.join(work, "pause-rootfs")
    os.makedirs(root)
    subprocess.run(["gcc", "-static", "-O2", "-std=c17", "-o", os.path.join(root, "pause"),
                    os.path.join(HERE, "pause.c")], check=True)
    tar = os.path.join(work, "pause.tar")
    out["pause"] = (tar, images.mkimage(root, PAUSE_IMAGE, tar, entrypoint='["/pause"]'))
    out["busybox"] = images.busybox_image(work, "localhost/busybox:cri")
    root = os.path.join(work, "spin-rootfs")
    shutil.copytree(APP, root)
    tar = os.path.join(work, "spin.tar")
    out["spin"] = (tar, images.mkimage(root, "localhost/spin-wagi:cri", tar,
                                       entrypoint='["/"]', arch="wasm", os_="wasip1"))
    return out


def setup():
    work = tempfile.mkdtemp(prefix="integ-cri-")
    ctx = {"work": work}
    try:
        ctx["pb"], grpc_mod = gen_stubs(os.path.join(work, "stubs"))
        imgs = build_images(work)
        c = Containerd(shim_dir=SHIM_DIR, cri=True)
        c.__enter__()
        ctx["c"] = c
        for tar, _ in imgs.values():
            c.import_image(tar, namespace=K8S)
        ctx["images"] = {k: name for k, (_, name) in imgs.items()}
        install_cni(c)
        ctx["chan"] = grpc.insecure_channel("unix://" + c.address)
        ctx["rt"] = grpc_mod.RuntimeServiceStub(ctx["chan"])
        ctx["img"] = grpc_mod.ImageServiceStub(ctx["chan"])
        ctx["logs"] = os.path.join(work, "pod-logs")
        os.makedirs(ctx["logs"])
    except BaseException:
        teardown(ctx)
        raise
    return ctx


def install_cni(c):
    """Our test CNI plugin (cni-tap.sh) as `loopback` and `integ-tap`, and a
    network config naming it; CRI picks the config up as it appears."""
    for name in ("loopback", "integ-tap"):
        dst = os.path.join(c.tmp, "cni-bin", name)
        shutil.copy2(os.path.join(HERE, "cni-tap.sh"), dst)
        os.chmod(dst, 0o755)
    with open(os.path.join(c.tmp, "cni-conf", "10-integ.conf"), "w") as f:
        f.write('{"cniVersion": "0.4.0", "name": "integ", "type": "integ-tap"}\n')


def teardown(ctx):
    if "chan" in ctx:
        ctx["chan"].close()
    if "c" in ctx:
        ctx["c"].__exit__(None, None, None)
    shutil.rmtree(ctx["work"], ignore_errors=True)


def our_shims(c):
    """Our shim daemons serving c (not the containers they forked)."""
    pids = set(p for p in c.shim_pids()
               if os.path.basename(_cmdline(p)[0]) == "containerd-shim-spin-v2")
    return sorted(p for p in pids if _ppid(p) not in pids)


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode() for a in f.read().split(b"\0") if a] or [""]
    except OSError:
        return [""]


def _ppid(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return 0


def cgroup_roots():
    base = "/sys/fs/cgroup"
    if os.path.exists(os.path.join(base, "cgroup.controllers")):
        return [base]
    return [os.path.join(base, n) for n in os.listdir(base)
            if os.path.isdir(os.path.join(base, n)) and not os.path.islink(os.path.join(base, n))]


def wait_for(pred, timeout=30, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def sandbox_config(ctx, host_network=True, name="spin-pod"):
    pb = ctx["pb"]
    c = ctx["c"]
    uid = uuid.uuid4().hex
    return pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name=name, uid=uid, namespace="default"),
        # like the kubelet: no hostname for a host-network pod (it keeps the
        # host's UTS namespace, where setting one is refused, as runc does)
        hostname="" if host_network else name,
        log_directory=ctx["logs"],
        labels={"app": "spin-pod"},
        annotations={"spin.example/component": "hello"},
        linux=pb.LinuxPodSandboxConfig(
            # under the fixture's own cgroup so its teardown finds leftovers
            cgroup_parent=f"/{c.namespace}/pod{uid}",
            security_context=pb.LinuxSandboxSecurityContext(
                # the kubelet's defaults for a hostNetwork pod without
                # shareProcessNamespace: each container has its own pid ns
                namespace_options=pb.NamespaceOption(
                    network=pb.NODE if host_network else pb.POD, pid=pb.CONTAINER,
                    ipc=pb.POD))))


def create_and_start(ctx, name, image, command=(), envs=(), pod="pod"):
    pb = ctx["pb"]
    cfg = pb.ContainerConfig(
        metadata=pb.ContainerMetadata(name=name),
        image=pb.ImageSpec(image=image),
        command=list(command),
        envs=[pb.KeyValue(key=k, value=v) for k, v in envs],
        log_path=f"{name}.log",
        # what the kubelet sends for a pod with limits (cpu 500m, 128Mi)
        linux=pb.LinuxContainerConfig(
            resources=pb.LinuxContainerResources(
                cpu_period=100000, cpu_quota=50000, cpu_shares=512,
                memory_limit_in_bytes=128 << 20, memory_swap_limit_in_bytes=128 << 20,
                oom_score_adj=1000),
            security_context=pb.LinuxContainerSecurityContext(
                namespace_options=pb.NamespaceOption(
                    network=ctx[pod + "_config"].linux.security_context.namespace_options.network,
                    pid=pb.CONTAINER, ipc=pb.POD))))
    cid = ctx["rt"].CreateContainer(pb.CreateContainerRequest(
        pod_sandbox_id=ctx[pod], config=cfg, sandbox_config=ctx[pod + "_config"]),
        timeout=60).container_id
    ctx["rt"].StartContainer(pb.StartContainerRequest(container_id=cid), timeout=60)
    return cid


def status(ctx, cid):
    pb = ctx["pb"]
    return ctx["rt"].ContainerStatus(pb.ContainerStatusRequest(container_id=cid),
                                     timeout=30).status


def http_get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def read_log(ctx, name):
    try:
        with open(os.path.join(ctx["logs"], f"{name}.log"), errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


# ---- tests (in order: they build up and tear down one pod) ----------------

def test_cri_is_up_and_sees_the_imported_images(ctx):
    pb = ctx["pb"]
    v = ctx["rt"].Version(pb.VersionRequest(version="v1"), timeout=30)
    assert v.runtime_name == "containerd", v
    for name in ctx["images"].values():
        r = ctx["img"].ImageStatus(pb.ImageStatusRequest(image=pb.ImageSpec(image=name)),
                                   timeout=30)
        assert r.image.id.startswith("sha256:"), (name, r)


def test_run_pod_sandbox_with_spin_handler(ctx):
    pb = ctx["pb"]
    c = ctx["c"]
    ctx["pod_config"] = sandbox_config(ctx)
    ctx["pod"] = ctx["rt"].RunPodSandbox(pb.RunPodSandboxRequest(
        config=ctx["pod_config"], runtime_handler="spin"), timeout=120).pod_sandbox_id
    st = ctx["rt"].PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=ctx["pod"]),
                                    timeout=30).status
    assert st.state == pb.SANDBOX_READY, st
    # the sandbox runs under our shim, as a real process (pause)
    assert len(our_shims(c)) == 1, c.shim_pids()
    tasks = c.ctr("task", "ls", namespace=K8S).stdout
    assert ctx["pod"] in tasks and "RUNNING" in tasks, tasks


def test_busybox_sidecar_runs_and_execsync_works(ctx):
    pb = ctx["pb"]
    ctx["busybox"] = cid = create_and_start(
        ctx, "sidecar", ctx["images"]["busybox"],
        command=["/bin/sh", "-c", "echo sidecar up; exec sleep 100000"])
    wait_for(lambda: status(ctx, cid).state == pb.CONTAINER_RUNNING, what="sidecar running")
    r = ctx["rt"].ExecSync(pb.ExecSyncRequest(
        container_id=cid, cmd=["/bin/sh", "-c", "echo out; echo err >&2; cat /proc/1/cmdline; "
                               "exit 3"], timeout=30), timeout=60)
    assert r.exit_code == 3, r
    assert r.stdout == b"out\nsleep\x00100000\x00", r.stdout
    assert r.stderr == b"err\n", r.stderr
    # host network (NamespaceOption NODE): the sidecar sees the host's netns
    r = ctx["rt"].ExecSync(pb.ExecSyncRequest(container_id=cid, cmd=["ls", "-l", "/proc/self/ns/"],
                                              timeout=30), timeout=60)
    assert r.exit_code == 0, r
    assert os.readlink("/proc/self/ns/net") in r.stdout.decode(), r.stdout
    # ... but its own pid namespace (pid=CONTAINER)
    assert os.readlink("/proc/self/ns/pid") not in r.stdout.decode(), r.stdout
    wait_for(lambda: "sidecar up" in read_log(ctx, "sidecar"), what="sidecar log")
    # all in the pod's one shim
    assert len(our_shims(ctx["c"])) == 1, ctx["c"].shim_pids()


def test_container_stats_has_cgroup_data(ctx):
    pb = ctx["pb"]
    cid = ctx["busybox"]
    s = ctx["rt"].ContainerStats(pb.ContainerStatsRequest(container_id=cid), timeout=30).stats
    assert s.attributes.id == cid, s
    assert s.memory.timestamp > 0 and s.memory.working_set_bytes.value > 0, s
    assert s.cpu.timestamp > 0 and s.cpu.HasField("usage_core_nano_seconds"), s


def test_spin_app_container_serves_http(ctx):
    pb = ctx["pb"]
    port = free_port()
    ctx["spin_port"] = port
    ctx["spin"] = cid = create_and_start(
        ctx, "spin-app", ctx["images"]["spin"],
        envs=[("SPIN_HTTP_LISTEN_ADDR", f"127.0.0.1:{port}"), ("LEAKY", "secret")])

    def serving():
        try:
            return http_get(port, "/hello")[0] == 200
        except OSError:
            return False
    wait_for(serving, what=f"the Spin app on port {port} (log: {read_log(ctx, 'spin-app')})")
    assert status(ctx, cid).state == pb.CONTAINER_RUNNING
    code, body = http_get(port, "/hello")
    assert body.startswith(b"Hello from Wagi!"), body
    assert http_get(port, "/api/env/LEAKY") == (200, b"(unset)\n")
    assert http_get(port, "/nope")[0] == 404
    # the app's banner reaches the CRI log (what `kubectl logs` shows)
    wait_for(lambda: f"127.0.0.1:{port}" in read_log(ctx, "spin-app"), what="spin log")
    s = ctx["rt"].ContainerStats(pb.ContainerStatsRequest(container_id=cid), timeout=30).stats
    assert s.memory.working_set_bytes.value > 0, s
    assert len(our_shims(ctx["c"])) == 1, ctx["c"].shim_pids()


def test_stop_and_remove_containers(ctx):
    pb = ctx["pb"]
    rt = ctx["rt"]
    start = time.monotonic()
    rt.StopContainer(pb.StopContainerRequest(container_id=ctx["spin"], timeout=30), timeout=60)
    print(f"     StopContainer(spin) took {time.monotonic() - start:.3f} s")
    st = status(ctx, ctx["spin"])
    # SIGTERM is a graceful stop for Spin: exit status 0, not a SIGKILL
    assert st.state == pb.CONTAINER_EXITED and st.exit_code == 0, st
    try:
        http_get(ctx["spin_port"], "/hello")
        raise AssertionError("the Spin app still answers after StopContainer")
    except OSError:
        pass
    rt.StopContainer(pb.StopContainerRequest(container_id=ctx["busybox"], timeout=2),
                     timeout=60)
    st = status(ctx, ctx["busybox"])
    assert st.state == pb.CONTAINER_EXITED, st
    for cid in (ctx["spin"], ctx["busybox"]):
        rt.RemoveContainer(pb.RemoveContainerRequest(container_id=cid), timeout=60)
    tasks = ctx["c"].ctr("task", "ls", "-q", namespace=K8S).stdout.split()
    assert tasks == [ctx["pod"]], tasks


def test_spin_start_up_error_is_in_the_container_log(ctx):
    # an app that cannot start (here: SPIN_COMPONENTS_TO_RETAIN names no
    # component) exits non-zero and says why in its log
    pb = ctx["pb"]
    cid = create_and_start(ctx, "spin-bad", ctx["images"]["spin"],
                           envs=[("SPIN_HTTP_LISTEN_ADDR", f"127.0.0.1:{free_port()}"),
                                 ("SPIN_COMPONENTS_TO_RETAIN", "no-such-component")])
    try:
        wait_for(lambda: status(ctx, cid).state == pb.CONTAINER_EXITED, what="spin-bad exit")
        st = status(ctx, cid)
        assert st.exit_code != 0, st
        wait_for(lambda: "no-such-component" in read_log(ctx, "spin-bad"),
                 what="the error in the log: " + read_log(ctx, "spin-bad"))
    finally:
        ctx["rt"].RemoveContainer(pb.RemoveContainerRequest(container_id=cid), timeout=60)


def test_stop_and_remove_pod_leaves_nothing_behind(ctx):
    pb = ctx["pb"]
    rt = ctx["rt"]
    c = ctx["c"]
    rt.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=ctx["pod"]), timeout=60)
    st = rt.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=ctx["pod"]),
                             timeout=30).status
    assert st.state == pb.SANDBOX_NOTREADY, st
    rt.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=ctx["pod"]), timeout=60)
    assert c.ctr("task", "ls", "-q", namespace=K8S).stdout.split() == []
    assert c.ctr("container", "ls", "-q", namespace=K8S).stdout.split() == []
    wait_for(lambda: not c.shim_pids(), what="every shim (and container) process to exit")
    with open("/proc/self/mountinfo") as f:
        left = [line.split()[4] for line in f if line.split()[4].startswith(c.tmp + "/")]
    assert left == [], left
    # the shim removed the containers' cgroups (cgroup_parent/<id>)
    parent = ctx["pod_config"].linux.cgroup_parent.lstrip("/")
    ids = [ctx[k] for k in ("pod", "busybox", "spin") if k in ctx]
    left = [os.path.join(root, parent, i) for root in cgroup_roots() for i in ids
            if os.path.isdir(os.path.join(root, parent, i))]
    assert left == [], left



def test_pod_network_spin_app_on_pod_ip(ctx):
    # A pod with its own network namespace (CNI: our cni-tap.sh), as in a
    # cluster: the Spin app listens on the default 0.0.0.0:80 of the pod
    # network and the sidecar reaches it by the pod IP and by 127.0.0.1.
    pb = ctx["pb"]
    rt = ctx["rt"]
    c = ctx["c"]
    ctx["netpod_config"] = sandbox_config(ctx, host_network=False, name="spin-netpod")
    deadline = time.monotonic() + 30
    while True:  # CRI loads the CNI config asynchronously after start
        try:
            ctx["netpod"] = rt.RunPodSandbox(pb.RunPodSandboxRequest(
                config=ctx["netpod_config"], runtime_handler="spin"), timeout=120).pod_sandbox_id
            break
        except grpc.RpcError as e:
            if "cni" not in str(e.details()).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    ids = [ctx["netpod"]]
    try:
        st = rt.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=ctx["netpod"]),
                                 timeout=30).status
        assert st.state == pb.SANDBOX_READY and st.network.ip == "10.250.0.2", st
        side = create_and_start(ctx, "net-sidecar", ctx["images"]["busybox"],
                                command=["sleep", "100000"], pod="netpod")
        ids.append(side)
        app = create_and_start(ctx, "net-spin", ctx["images"]["spin"], pod="netpod")
        ids.append(app)

        def get(host):
            req = "GET /hello HTTP/1.0\\r\\nHost: pod\\r\\n\\r\\n"
            r = rt.ExecSync(pb.ExecSyncRequest(container_id=side, cmd=[
                "/bin/sh", "-c", f"printf '{req}' | nc {host} 80"], timeout=30), timeout=60)
            return r.stdout.decode(errors="replace")
        wait_for(lambda: "200 OK" in get("10.250.0.2"),
                 what="the Spin app on the pod IP: " + read_log(ctx, "net-spin"))
        assert "Hello from Wagi!" in get("10.250.0.2")
        assert "Hello from Wagi!" in get("127.0.0.1")
        assert "0.0.0.0:80" in read_log(ctx, "net-spin")
        r = rt.ExecSync(pb.ExecSyncRequest(container_id=side, cmd=["hostname"], timeout=30),
                        timeout=60)
        assert r.stdout == b"spin-netpod\n", r
        r = rt.ExecSync(pb.ExecSyncRequest(container_id=side, cmd=["ls", "-l", "/proc/self/ns/"],
                                           timeout=30), timeout=60)
        assert os.readlink("/proc/self/ns/net") not in r.stdout.decode(), r.stdout
        assert len(our_shims(c)) == 1, c.shim_pids()
        rt.StopContainer(pb.StopContainerRequest(container_id=app, timeout=30), timeout=60)
        assert status(ctx, app).exit_code == 0, status(ctx, app)
    finally:
        for cid in ids[1:]:
            rt.StopContainer(pb.StopContainerRequest(container_id=cid, timeout=2), timeout=60)
            rt.RemoveContainer(pb.RemoveContainerRequest(container_id=cid), timeout=60)
        rt.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=ctx["netpod"]), timeout=60)
        rt.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=ctx["netpod"]), timeout=60)
    wait_for(lambda: not c.shim_pids(), what="every shim (and container) process to exit")
    with open("/proc/self/mountinfo") as f:
        left = [line.split()[4] for line in f if line.split()[4].startswith(c.tmp + "/")]
    assert left == [], left  # the pod's netns bind mount included


if __name__ == "__main__":
    run_tests(globals(), setup, teardown)
