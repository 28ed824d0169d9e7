"""RuntimeClasses, DaemonSets, the example app and the shim-options snippets
under deploy/ agree with each other and with what the node installer does.

The key promise: every RuntimeClass's nodeSelector is a label the installer
really puts on the node (read from the fake kubectl's recorded call), and
its handler is a runtime the installer really registered (read back through
containerd's `config dump`) - for the committed YAML and for the generator
at another version.
"""
import os
import re
import shutil
import subprocess
import sys

import yaml

sys.path.insert(0, os.path.dirname(__file__))
from deploylib import CONTAINERD, DEPLOY, SHIM_BIN, Node, Tally, containerd_dump, dig, toml_file  # noqa: E402

GEN = os.path.join(DEPLOY, "gen-runtimeclasses.sh")
CONFIGS = os.path.join(os.path.dirname(__file__), "configs")
V1X = ("plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes")


def load_all(rel):
    with open(os.path.join(DEPLOY, rel)) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def project_version():
    with open(os.path.join(DEPLOY, "..", "CMakeLists.txt")) as f:
        return re.search(r"project\([^)]*VERSION (\d+\.\d+\.\d+)", f.read()).group(1)


def installed_node(version):
    """Installs `version` on a fake node; returns (labels set, runtimes)."""
    node = Node()
    try:
        with open(os.path.join(CONFIGS, "containerd-1.x-v2.toml"), "rb") as f:
            node.write("/etc/containerd/config.toml", f.read())
        os.makedirs(node.path("/run/systemd/system"))
        r = node.run(binary=SHIM_BIN, version=version, restart=True)
        if r.returncode != 0:
            raise AssertionError(f"installer failed: {r.stderr}")
        labels = set()
        for call in node.recorded():
            if call.startswith("kubectl label node"):
                labels.update(a for a in call.split()[4:] if "=" in a)
        runtimes = dig(containerd_dump(node.path("/etc/containerd/config.toml")), *V1X)
        return labels, runtimes
    finally:
        node.cleanup()


def check_classes(t, docs, version, what):
    major, minor = version.split(".")[:2]
    full = "".join(c if c.isalnum() else "-" for c in version)
    want = {"wasmtime-spin-v2": "spin", "wasmtime-spin": "spin",
            f"wasmtime-spin-v{major}": f"spin-v{major}",
            f"wasmtime-spin-v{major}-{minor}": f"spin-v{major}-{minor}",
            f"wasmtime-spin-v{full}": f"spin-v{full}"}
    got = {}
    for d in docs:
        t.eq((d.get("apiVersion"), d.get("kind")), ("node.k8s.io/v1", "RuntimeClass"), f"{what}: kind")
        got[dig(d, "metadata", "name")] = d.get("handler")
    t.eq(got, want, f"{what}: class names and handlers")

    labels, runtimes = installed_node(version)
    for d in docs:
        name = dig(d, "metadata", "name")
        sel = dig(d, "scheduling", "nodeSelector") or {}
        t.check(len(sel) == 1, f"{what}: {name} has one nodeSelector label")
        for k, v in sel.items():
            t.check(isinstance(v, str) and v == "true", f"{what}: {name} selector value is the string \"true\"")
            t.check(f"{k}={v}" in labels,
                    f"{what}: {name} selects {k}={v}, a label the installer sets ({sorted(labels)})")
        t.check(d.get("handler") in (runtimes or {}),
                f"{what}: {name} handler {d.get('handler')} is a runtime the installer registered")


def test_committed_runtimeclasses(t):
    with open(os.path.join(DEPLOY, "runtimeclasses.yaml")) as f:
        committed = f.read()
    gen = subprocess.run(["sh", GEN], capture_output=True, text=True)
    t.eq(gen.returncode, 0, f"generator runs: {gen.stderr}")
    t.eq(committed, gen.stdout, "deploy/runtimeclasses.yaml is the generator's output for the project version")
    check_classes(t, load_all("runtimeclasses.yaml"), project_version(), "committed RuntimeClasses")


def test_generator_other_version(t):
    gen = subprocess.run(["sh", GEN, "v3.14.2"], capture_output=True, text=True)
    t.eq(gen.returncode, 0, f"generator for 3.14.2: {gen.stderr}")
    check_classes(t, [d for d in yaml.safe_load_all(gen.stdout) if d], "3.14.2", "generated 3.14.2")
    bad = subprocess.run(["sh", GEN, "latest"], capture_output=True, text=True)
    t.check(bad.returncode != 0 and "not MAJOR.MINOR.PATCH" in bad.stderr, "generator rejects a bad version")


def daemonset_checks(t, rel, want_args):
    docs = load_all(rel)
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    ds = by_kind["DaemonSet"][0]
    spec = ds["spec"]["template"]["spec"]
    t.eq(ds["spec"]["selector"]["matchLabels"], {k: v for k, v in ds["spec"]["template"]["metadata"]["labels"].items()
                                                if k in ds["spec"]["selector"]["matchLabels"]},
         f"{rel}: selector matches the pod labels")
    t.check(spec.get("hostPID") is True, f"{rel}: hostPID (nsenter into PID 1 to restart containerd)")
    init = spec["initContainers"][0]
    env = {e["name"]: e for e in init.get("env", [])}
    t.check(dig(init, "securityContext", "privileged") is True, f"{rel}: privileged")
    root = env.get("NODE_ROOT", {}).get("value")
    mounts = {m["mountPath"]: m["name"] for m in init.get("volumeMounts", [])}
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    t.check(root in mounts and dig(vols.get(mounts.get(root), {}), "hostPath", "path") == "/",
            f"{rel}: the host's / is mounted at NODE_ROOT={root}")
    t.eq(dig(env.get("NODE_NAME", {}), "valueFrom", "fieldRef", "fieldPath"), "spec.nodeName",
         f"{rel}: NODE_NAME from the downward API")
    t.check("NO_RESTART" not in env, f"{rel}: restarts and labels (no NO_RESTART)")
    cmd = init.get("command", []) + init.get("args", [])
    t.eq(cmd, ["/bin/sh", "/installer/node-installer.sh"] + want_args, f"{rel}: runs the installer")
    sa = spec.get("serviceAccountName")
    ns = ds["metadata"]["namespace"]
    t.check(any(d["metadata"]["name"] == sa and d["metadata"].get("namespace") == ns
                for d in by_kind.get("ServiceAccount", [])), f"{rel}: service account {sa} defined")
    role = by_kind["ClusterRole"][0]
    rules = [r for r in role["rules"] if "nodes" in r.get("resources", [])]
    t.check(rules and {"get", "patch"} <= set(rules[0]["verbs"]), f"{rel}: may get and patch nodes")
    binding = by_kind["ClusterRoleBinding"][0]
    t.eq(binding["roleRef"]["name"], role["metadata"]["name"], f"{rel}: binding refers to the role")
    t.check({"kind": "ServiceAccount", "name": sa, "namespace": ns} in binding["subjects"],
            f"{rel}: binding names the service account")
    nsdoc = by_kind["Namespace"][0]
    t.eq(nsdoc["metadata"]["name"], ns, f"{rel}: namespace defined")
    t.eq(dig(nsdoc, "metadata", "labels", "pod-security.kubernetes.io/enforce"), "privileged",
         f"{rel}: namespace admits privileged pods")
    return init, env


def test_daemonsets(t):
    init, env = daemonset_checks(t, "node-installer-daemonset.yaml", [])
    daemonset_checks(t, "node-uninstaller-daemonset.yaml", ["--uninstall"])
    with open(os.path.join(DEPLOY, "Containerfile")) as f:
        cf = f.read()
    t.check(re.search(r"^COPY deploy/node-installer.sh /installer/node-installer.sh$", cf, re.M) is not None,
            "Containerfile puts the installer where the DaemonSet runs it")
    t.check(re.search(r"^COPY \S+/containerd-shim-spin-v2 " + re.escape(env["SHIM_BINARY"]["value"]) + "$",
                      cf, re.M) is not None, "Containerfile puts the shim at SHIM_BINARY")


def test_example_app(t):
    docs = load_all("examples/spin-hello.yaml")
    dep = next(d for d in docs if d["kind"] == "Deployment")
    svc = next(d for d in docs if d["kind"] == "Service")
    pod = dep["spec"]["template"]
    t.eq(pod["spec"].get("runtimeClassName"), "wasmtime-spin-v2", "example uses wasmtime-spin-v2")
    names = {dig(d, "metadata", "name") for d in load_all("runtimeclasses.yaml")}
    t.check(pod["spec"]["runtimeClassName"] in names, "example's RuntimeClass is shipped")
    t.eq(dep["spec"]["selector"]["matchLabels"],
         {k: pod["metadata"]["labels"][k] for k in dep["spec"]["selector"]["matchLabels"]},
         "Deployment selector matches its pods")
    t.check(all(pod["metadata"]["labels"].get(k) == v for k, v in svc["spec"]["selector"].items()),
            "Service selects the Deployment's pods")
    c = pod["spec"]["containers"][0]
    ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
    for p in svc["spec"]["ports"]:
        tp = p["targetPort"]
        t.check(tp in ports or tp in ports.values(), f"Service targetPort {tp} is a container port")
    t.check(c.get("command"), "container has a command (CRI needs one; Spin images have none)")
    listen = {e["name"]: e.get("value") for e in c.get("env", [])}.get("SPIN_HTTP_LISTEN_ADDR", "0.0.0.0:80")
    t.check(int(listen.rsplit(":", 1)[1]) in ports.values(), "Spin listens on the declared container port")
    t.eq(dig(c, "readinessProbe", "httpGet", "path"), "/.well-known/spin/health", "probe on Spin's health route")


OPTION_KEYS = {"SystemdCgroup": bool, "DISABLE_PRECOMPILATION": bool,
               "GRPC_MAX_WRITE_CHUNK_SIZE_BYTES": int, "LogLevel": str}


def test_option_snippets(t):
    cfgdir = os.path.join(DEPLOY, "config")
    d17 = containerd_dump(os.path.join(cfgdir, "spin-options-containerd-1.7.toml"))
    opts = dig(d17, *V1X, "spin", "options") or {}
    for k, ty in OPTION_KEYS.items():
        t.check(isinstance(opts.get(k), ty), f"1.7 snippet: containerd passes {k} ({ty.__name__})")
    d16 = containerd_dump(os.path.join(cfgdir, "spin-options-containerd-1.6.toml"))
    t.eq(dig(d16, *V1X, "spin", "options"), {"ConfigPath": "/etc/containerd/spin-shim.toml"},
         "1.6 snippet: only ConfigPath")
    v3 = toml_file(os.path.join(cfgdir, "spin-options-containerd-2.x.toml"))
    t.eq(v3.get("version"), 3, "2.x snippet is a version 3 config")
    opts = dig(v3, "plugins", "io.containerd.cri.v1.runtime", "containerd", "runtimes", "spin", "options") or {}
    for k, ty in OPTION_KEYS.items():
        t.check(isinstance(opts.get(k), ty), f"2.x snippet: {k} ({ty.__name__}) under io.containerd.cri.v1.runtime")
    shim = toml_file(os.path.join(cfgdir, "spin-shim.toml"))
    for k, ty in OPTION_KEYS.items():
        t.check(isinstance(shim.get(k), ty), f"spin-shim.toml: {k} ({ty.__name__})")
    with open(os.path.join(DEPLOY, "README.md")) as f:
        readme = f.read()
    for k in list(OPTION_KEYS) + ["config_body", "ConfigPath", "/etc/containerd/spin-shim.toml",
                                  "runtimes.spin.options"]:
        t.check(k in readme, f"deploy/README.md documents {k}")


def test_shellcheck(t):
    sc = shutil.which("shellcheck")
    if not t.check(sc is not None, "shellcheck installed (scripts/install-deps.sh)"):
        return
    for script in ("node-installer.sh", "gen-runtimeclasses.sh"):
        r = subprocess.run([sc, "-s", "sh", os.path.join(DEPLOY, script)], capture_output=True, text=True)
        t.eq(r.returncode, 0, f"shellcheck {script} (POSIX sh)\n{r.stdout}")


def main():
    t = Tally()
    if not SHIM_BIN or not CONTAINERD:
        t.check(False, "SHIM_BIN and containerd available")
        t.finish()
    for fn in (test_committed_runtimeclasses, test_generator_other_version, test_daemonsets,
               test_example_app, test_option_snippets, test_shellcheck):
        t.run(fn)
    t.finish()


if __name__ == "__main__":
    main()
