"""Node installer (deploy/node-installer.sh) on fake node roots.

For every distribution layout a temp dir plays the node's /, holding a
realistic containerd config (1.x and 2.x schemas, existing runc/nvidia
runtimes, comments).  The installer runs with NODE_ROOT, NO_RESTART=1 and
the real shim binary; then Debian's containerd 1.6 parses the result
(`config dump`) - or, for version 3 files it cannot read, Python's tomllib
does - and the runtimes must sit under the right plugin path.  A second run
must change no byte and restart nothing (fake systemctl/kubectl on PATH
record calls), --uninstall must give back the original bytes, and broken or
unknown setups must fail without touching a file.
"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from deploylib import (CONTAINERD, INSTALLER, SHIM_BIN, Node, Tally, containerd_dump, dig,  # noqa: E402
                       files_only, snapshot, toml_file)

CONFIGS = os.path.join(os.path.dirname(__file__), "configs")
VERSION = None  # asked from the binary, like the installer does
V1X = ("plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes")
V2X = ("plugins", "io.containerd.cri.v1.runtime", "containerd", "runtimes")
LABELS = None


def cfg(name):
    with open(os.path.join(CONFIGS, name), "rb") as f:
        return f.read()


def binary_version():
    out = subprocess.run([SHIM_BIN, "-v"], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.strip().startswith("Version:"):
            return line.split(":", 1)[1].strip().lstrip("v")
    raise AssertionError("shim -v printed no Version line")


def slug(v):
    return "".join(c if c.isalnum() else "-" for c in v)


def expected_runtimes(version):
    """handler -> runtime_type the installer promises for one version."""
    s = slug(version)
    major, minor = version.split(".")[:2]
    rt = f"io.containerd.spin-v{s}.v2"
    return {"spin": "io.containerd.spin.v2", f"spin-v{s}": rt,
            f"spin-v{major}-{minor}": rt, f"spin-v{major}": rt}


def expected_labels(version):
    major, minor = version.split(".")[:2]
    return ["wasmtime-spin-enabled=true", f"wasmtime-spin-v{major}=true",
            f"wasmtime-spin-v{major}-{minor}=true", f"wasmtime-spin-v{slug(version)}=true"]


def check_runtimes(t, runtimes_table, what, version, others=("runc",)):
    for handler, rt in expected_runtimes(version).items():
        t.eq(dig(runtimes_table, handler, "runtime_type"), rt, f"{what}: runtime {handler}")
    for other in others:
        t.check(dig(runtimes_table, other, "runtime_type") is not None,
                f"{what}: existing runtime {other} kept")


def check_binaries(t, node, version, bindir="/usr/local/bin"):
    with open(SHIM_BIN, "rb") as f:
        want = f.read()
    for name in ("containerd-shim-spin-v2", f"containerd-shim-spin-v{slug(version)}-v2"):
        p = node.path(f"{bindir}/{name}")
        t.check(os.path.isfile(p) and os.access(p, os.X_OK), f"{bindir}/{name} installed and executable")
        if os.path.isfile(p):
            t.check(node.read(f"{bindir}/{name}") == want, f"{bindir}/{name} is the shim binary")


def lifecycle(t, node, config_rel, validate, version_bin=None, bindir="/usr/local/bin"):
    """install -> validate -> idempotent second run -> uninstall restores."""
    before = snapshot(node.root)
    orig = node.read(config_rel) if node.exists(config_rel) else None
    r = node.run(binary=version_bin or SHIM_BIN)
    if not t.eq(r.returncode, 0, f"install on {config_rel} succeeds\n{r.stderr}"):
        return
    after = node.read(config_rel)
    if orig is not None:
        t.check(after.startswith(orig), f"{config_rel}: original bytes kept as a prefix")
    t.check(b"# BEGIN containerd-shim-spin (managed)" in after and
            b"# END containerd-shim-spin (managed)" in after, f"{config_rel}: delimited block")
    validate(node.path(config_rel))
    check_binaries(t, node, VERSION, bindir)

    snap1 = files_only(snapshot(node.root))
    r2 = node.run(binary=SHIM_BIN)
    t.eq(r2.returncode, 0, f"second run on {config_rel} succeeds\n{r2.stderr}")
    t.check(files_only(snapshot(node.root)) == snap1, f"{config_rel}: second run changes nothing")
    t.check("nothing to change" in r2.stderr, f"{config_rel}: second run says nothing to change")

    r3 = node.run("--uninstall")
    t.eq(r3.returncode, 0, f"uninstall on {config_rel} succeeds\n{r3.stderr}")
    t.check(files_only(snapshot(node.root)) == files_only(before),
            f"{config_rel}: uninstall restores the original files byte for byte")


def validate_1x(t, what, others=("runc", "nvidia")):
    def v(path):
        dump = containerd_dump(path)
        check_runtimes(t, dig(dump, *V1X), f"{what} (containerd config dump)", VERSION, others)
    return v


def validate_v3(t, what, others=("runc", "nvidia")):
    def v(path):
        check_runtimes(t, dig(toml_file(path), *V2X), f"{what} (tomllib)", VERSION, others)
        with open(path, "rb") as f:
            text = f.read()
        t.check(b"io.containerd.grpc.v1.cri\".containerd.runtimes.spin" not in text,
                f"{what}: no 1.x plugin path in a version 3 config (issue #14)")
    return v


# ------------------------------------------------------------ layouts

def test_containerd_1x_v2(t):
    node = Node()
    node.write("/etc/containerd/config.toml", cfg("containerd-1.x-v2.toml"))
    lifecycle(t, node, "/etc/containerd/config.toml", validate_1x(t, "containerd 1.x v2"))
    node.cleanup()


def test_missing_http_library_is_a_warning(t):
    node = Node()
    node.write("/etc/containerd/config.toml", cfg("containerd-1.x-v2.toml"))
    r = node.run(binary=SHIM_BIN)
    t.eq(r.returncode, 0, f"install without libmicrohttpd succeeds\n{r.stderr}")
    t.check("warning: no libmicrohttpd.so.12" in r.stderr and "libmicrohttpd12" in r.stderr,
            f"the missing HTTP library is named with its package:\n{r.stderr}")
    node.write("/usr/lib/x86_64-linux-gnu/libmicrohttpd.so.12", b"")
    r = node.run(binary=SHIM_BIN)
    t.eq(r.returncode, 0, f"second install succeeds\n{r.stderr}")
    t.check("libmicrohttpd" not in r.stderr, f"no warning once the library exists:\n{r.stderr}")
    node.cleanup()


def test_containerd_1x_v1(t):
    node = Node()
    node.write("/etc/containerd/config.toml", cfg("containerd-1.x-v1.toml"))
    lifecycle(t, node, "/etc/containerd/config.toml", validate_1x(t, "containerd 1.x v1"))
    node.cleanup()


def test_containerd_2x_v3(t):
    node = Node()
    node.write("/etc/containerd/config.toml", cfg("containerd-2.x-v3.toml"))
    lifecycle(t, node, "/etc/containerd/config.toml", validate_v3(t, "containerd 2.x v3"))
    node.cleanup()


def test_k3s_generated_only(t):
    """No template yet: the installer creates config.toml.tmpl from the
    generated config, leaves config.toml alone, and deletes the template
    again on uninstall.  Binaries go to /opt/kwasm/bin, linked from
    /usr/local/bin (containerd#11480)."""
    node = Node()
    gen = "/var/lib/rancher/k3s/agent/etc/containerd/config.toml"
    tmpl = gen + ".tmpl"
    node.write(gen, cfg("k3s-config.toml"))
    lifecycle(t, node, tmpl, validate_1x(t, "k3s template"), bindir="/opt/kwasm/bin")
    node.run(binary=SHIM_BIN)
    t.eq(node.read(gen), cfg("k3s-config.toml"), "k3s: generated config.toml untouched")
    t.check(node.read(tmpl).startswith(cfg("k3s-config.toml")), "k3s: template starts as a copy")
    for name in ("containerd-shim-spin-v2", f"containerd-shim-spin-v{slug(VERSION)}-v2"):
        link = node.path(f"/usr/local/bin/{name}")
        t.check(os.path.islink(link) and os.readlink(link) == f"/opt/kwasm/bin/{name}",
                f"k3s: /usr/local/bin/{name} -> /opt/kwasm/bin/{name}")
    text = node.read(tmpl).decode()
    t.check("/opt/kwasm" not in text, "k3s: plain runtime_type names, no absolute paths")
    node.cleanup()


def test_k3s_autodetected_spin(t):
    """k3s registers `spin` itself (quoted name) when the binary is already in
    PATH; the copy in the template must not get a second `spin` table."""
    node = Node()
    gen = "/var/lib/rancher/k3s/agent/etc/containerd/config.toml"
    node.write(gen, cfg("k3s-config.toml") + (
        b'\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes."spin"]\n'
        b'  runtime_type = "io.containerd.spin.v2"\n'))
    lifecycle(t, node, gen + ".tmpl", validate_1x(t, "k3s with auto-detected spin"), bindir="/opt/kwasm/bin")
    node.run(binary=SHIM_BIN)
    text = node.read(gen + ".tmpl").decode()
    t.eq(text.count("runtimes.spin]") + text.count('runtimes."spin"]'), 1, "exactly one `spin` table")
    node.cleanup()


def test_crlf_config(t):
    node = Node()
    node.write("/etc/containerd/config.toml", cfg("containerd-1.x-v2.toml").replace(b"\n", b"\r\n"))
    lifecycle(t, node, "/etc/containerd/config.toml", validate_1x(t, "CRLF config"))
    node.cleanup()


def test_k3s_v3_generated(t):
    node = Node()
    gen = "/var/lib/rancher/k3s/agent/etc/containerd/config.toml"
    node.write(gen, cfg("k3s-config-v3.toml"))
    d = gen.rsplit("/", 1)[0] + "/"
    lifecycle(t, node, d + "config-v3.toml.tmpl", validate_v3(t, "k3s containerd 2.x", others=("runc",)),
              bindir="/opt/kwasm/bin")
    t.check(not node.exists(d + "config.toml.tmpl"), "k3s on containerd 2.x: no config.toml.tmpl created")
    node.cleanup()


def test_k3s_v3_with_old_v2_template(t):
    """containerd 2.x k3s falls back to an existing config.toml.tmpl; that
    file is version 2, so the runtimes must use the version 2 path."""
    node = Node()
    d = "/var/lib/rancher/k3s/agent/etc/containerd/"
    node.write(d + "config.toml", cfg("k3s-config-v3.toml"))
    node.write(d + "config.toml.tmpl", cfg("k3s-config.toml"))
    lifecycle(t, node, d + "config.toml.tmpl", validate_1x(t, "k3s 2.x with a version 2 template"),
              bindir="/opt/kwasm/bin")
    t.check(not node.exists(d + "config-v3.toml.tmpl"), "no config-v3.toml.tmpl created")
    node.cleanup()


def test_k3s_v2_ignores_stale_v3_template(t):
    """containerd 1.x k3s never reads config-v3.toml.tmpl."""
    node = Node()
    d = "/var/lib/rancher/k3s/agent/etc/containerd/"
    node.write(d + "config.toml", cfg("k3s-config.toml"))
    node.write(d + "config-v3.toml.tmpl", cfg("k3s-config-v3.toml"))
    lifecycle(t, node, d + "config.toml.tmpl", validate_1x(t, "k3s 1.x next to a stale v3 template"),
              bindir="/opt/kwasm/bin")
    t.eq(node.read(d + "config-v3.toml.tmpl"), cfg("k3s-config-v3.toml"), "stale v3 template untouched")
    node.cleanup()


def test_k3s_v3_template_preferred(t):
    node = Node()
    d = "/var/lib/rancher/k3s/agent/etc/containerd/"
    node.write(d + "config.toml", cfg("k3s-config-v3.toml"))
    node.write(d + "config-v3.toml.tmpl", cfg("k3s-config-v3.toml"))
    lifecycle(t, node, d + "config-v3.toml.tmpl",
              validate_v3(t, "k3s config-v3.toml.tmpl", others=("runc",)), bindir="/opt/kwasm/bin")
    t.check(not node.exists(d + "config.toml.tmpl"), "k3s: no config.toml.tmpl next to config-v3.toml.tmpl")
    node.cleanup()


def test_k3s_base_template(t):
    """A template built on k3s's base template: k3s itself registers `spin`
    once the binary is in PATH, so only the versioned runtimes are added."""
    node = Node()
    d = "/var/lib/rancher/k3s/agent/etc/containerd/"
    node.write(d + "config.toml", cfg("k3s-config.toml"))
    node.write(d + "config.toml.tmpl", cfg("k3s-base.toml.tmpl"))

    def v(path):
        with open(path) as f:
            text = f.read()
        s = slug(VERSION)
        t.check(f'runtimes.spin-v{s}]\n  runtime_type = "io.containerd.spin-v{s}.v2"' in text,
                "k3s base template: versioned runtime added")
        t.check("runtimes.spin]" not in text, "k3s base template: `spin` left to k3s")
    lifecycle(t, node, d + "config.toml.tmpl", v, bindir="/opt/kwasm/bin")
    node.cleanup()


def test_rke2_existing_template(t):
    node = Node()
    d = "/var/lib/rancher/rke2/agent/etc/containerd/"
    node.write(d + "config.toml", cfg("rke2-config.toml"))
    node.write(d + "config.toml.tmpl", cfg("rke2-user.toml.tmpl"))
    lifecycle(t, node, d + "config.toml.tmpl", validate_1x(t, "rke2 template", others=("runc", "kata")))
    t.eq(node.read(d + "config.toml"), cfg("rke2-config.toml"), "rke2: generated config untouched")
    node.cleanup()


def test_microk8s(t):
    node = Node()
    rel = "/var/snap/microk8s/current/args/containerd-template.toml"
    node.write(rel, cfg("microk8s-containerd-template.toml"))
    lifecycle(t, node, rel, validate_1x(t, "microk8s", others=("runc", "nvidia-container-runtime")))
    node.cleanup()


def test_k0s_dropin(t):
    node = Node()
    node.write("/etc/k0s/containerd.toml", cfg("k0s-containerd.toml"))
    os.makedirs(node.path("/etc/k0s/containerd.d"))
    dropin = "/etc/k0s/containerd.d/containerd-shim-spin.toml"
    lifecycle(t, node, dropin, validate_1x(t, "k0s drop-in", others=()))
    t.check(not node.exists(dropin), "k0s: uninstall removed the drop-in")
    node.run(binary=SHIM_BIN)
    t.check(node.exists(dropin), "k0s: install created the drop-in")
    t.eq(node.read("/etc/k0s/containerd.toml"), cfg("k0s-containerd.toml"), "k0s: main config untouched")
    node.cleanup()


def test_busybox_tools(t):
    """The DaemonSet image may only have busybox: same result with busybox
    sh and only busybox applets on PATH."""
    bb = shutil.which("busybox")
    if not t.check(bb is not None, "busybox available"):
        return
    node = Node()
    tools = os.path.join(node.tmp, "bb")
    os.makedirs(tools)
    for applet in ("sh awk sed grep sort head tail cat cp mv rm ln mkdir chmod cmp od tr "
                   "wc dd cut mktemp readlink tee printf env hostname").split():
        os.symlink(bb, os.path.join(tools, applet))
    node.write("/etc/containerd/config.toml", cfg("containerd-1.x-v2.toml"))
    before = files_only(snapshot(node.root))
    r = node.run(binary=SHIM_BIN, shell=os.path.join(tools, "sh"), path_prefix=tools, containerd=False)
    t.eq(r.returncode, 0, f"busybox install succeeds\n{r.stderr}")
    dump = containerd_dump(node.path("/etc/containerd/config.toml"))
    check_runtimes(t, dig(dump, *V1X), "busybox install", VERSION, ("runc", "nvidia"))
    r = node.run("--uninstall", shell=os.path.join(tools, "sh"), path_prefix=tools, containerd=False)
    t.eq(r.returncode, 0, f"busybox uninstall succeeds\n{r.stderr}")
    t.check(files_only(snapshot(node.root)) == before, "busybox uninstall restores the files")
    node.cleanup()


# ------------------------------------------------ restart and labels

def test_restart_and_labels(t):
    node = Node()
    os.makedirs(node.path("/run/systemd/system"))
    node.write("/etc/containerd/config.toml", cfg("containerd-1.x-v2.toml"))
    r = node.run(binary=SHIM_BIN, restart=True)
    t.eq(r.returncode, 0, f"install with restart succeeds\n{r.stderr}")
    calls = node.recorded()
    t.check("systemctl restart containerd" in calls, f"containerd restarted once: {calls}")
    t.eq(calls.count("systemctl restart containerd"), 1, "exactly one restart")
    t.eq(calls[-1], "kubectl label node node-1 --overwrite " + " ".join(expected_labels(VERSION)),
         "node labelled with enabled/vX/vX-Y/vX-Y-Z")

    node.clear_calls()
    r = node.run(binary=SHIM_BIN, restart=True)
    t.eq(r.returncode, 0, "second run succeeds")
    t.check(not any(c.startswith("systemctl restart") for c in node.recorded()),
            f"second run does not restart containerd: {node.recorded()}")

    # A rebuilt binary of the same version: files change, the config does not.
    rebuilt = os.path.join(node.tmp, "rebuilt")
    with open(SHIM_BIN, "rb") as f:
        data = f.read() + b"\0rebuilt"
    with open(rebuilt, "wb") as f:
        f.write(data)
    os.chmod(rebuilt, 0o755)
    cfg_before = node.read("/etc/containerd/config.toml")
    node.clear_calls()
    r = node.run(binary=rebuilt, version=VERSION, restart=True)
    t.eq(r.returncode, 0, f"reinstall of a rebuilt binary succeeds\n{r.stderr}")
    t.eq(node.read("/usr/local/bin/containerd-shim-spin-v2"), data, "rebuilt binary installed")
    t.eq(node.read("/etc/containerd/config.toml"), cfg_before, "config unchanged by a binary-only update")
    t.check(not any(c.startswith("systemctl restart") for c in node.recorded()),
            f"binary-only update does not restart containerd: {node.recorded()}")

    node.clear_calls()
    r = node.run("--uninstall", restart=True)
    t.eq(r.returncode, 0, f"uninstall succeeds\n{r.stderr}")
    calls = node.recorded()
    t.check("systemctl restart containerd" in calls, "uninstall restarts containerd")
    major, minor = VERSION.split(".")[:2]
    t.eq(calls[-1], "kubectl label node node-1 --overwrite wasmtime-spin-enabled- "
         f"wasmtime-spin-v{major}- wasmtime-spin-v{major}-{minor}- wasmtime-spin-v{slug(VERSION)}-",
         "uninstall removes the labels")

    node.clear_calls()
    node.run(binary=SHIM_BIN)
    t.eq(node.recorded(), [], "NO_RESTART=1 neither restarts nor labels")
    node.cleanup()


def test_daemonset_mode_uses_nsenter(t):
    """With NODE_ROOT != / (a DaemonSet) host commands go through nsenter
    into PID 1's namespaces."""
    node = Node(active_units=["k3s"])
    node.write("/var/lib/rancher/k3s/agent/etc/containerd/config.toml", cfg("k3s-config.toml"))
    r = node.run(binary=SHIM_BIN, restart=True, host_exec=None)
    t.eq(r.returncode, 0, f"install succeeds\n{r.stderr}")
    t.check("nsenter --target 1 --mount --uts --ipc --net --pid -- systemctl restart k3s" in node.recorded(),
            f"k3s restarted in the host's namespaces: {node.recorded()}")
    node.cleanup()


def test_failed_restart_is_retried(t):
    node = Node()
    os.makedirs(node.path("/run/systemd/system"))
    node.write("/etc/containerd/config.toml", cfg("containerd-1.x-v2.toml"))
    open(os.path.join(node.tmp, "fail-restart"), "w").close()
    r = node.run(binary=SHIM_BIN, restart=True)
    t.check(r.returncode != 0 and "restarting containerd failed" in r.stderr,
            f"a failed restart fails the run:\n{r.stderr}")
    os.unlink(os.path.join(node.tmp, "fail-restart"))
    node.clear_calls()
    r = node.run(binary=SHIM_BIN, restart=True)
    t.eq(r.returncode, 0, f"retry succeeds\n{r.stderr}")
    t.check("systemctl restart containerd" in node.recorded(),
            f"the retry restarts containerd although the config is unchanged: {node.recorded()}")
    node.clear_calls()
    r = node.run(binary=SHIM_BIN, restart=True)
    t.check(not any(c.startswith("systemctl restart") for c in node.recorded()),
            "after a successful restart, no more restarts")
    node.cleanup()


def test_restart_per_distribution(t):
    cases = [
        ("k3s agent", ["k3s-agent"], "/var/lib/rancher/k3s/agent/etc/containerd/config.toml",
         "k3s-config.toml", "systemctl restart k3s-agent"),
        ("k3s server", ["k3s"], "/var/lib/rancher/k3s/agent/etc/containerd/config.toml",
         "k3s-config.toml", "systemctl restart k3s"),
        ("rke2 server", ["rke2-server"], "/var/lib/rancher/rke2/agent/etc/containerd/config.toml",
         "rke2-config.toml", "systemctl restart rke2-server"),
        ("microk8s", [], "/var/snap/microk8s/current/args/containerd-template.toml",
         "microk8s-containerd-template.toml", "systemctl restart snap.microk8s.daemon-containerd"),
        ("k0s worker", ["k0sworker"], "/etc/k0s/containerd.toml", "k0s-containerd.toml",
         "systemctl restart k0sworker"),
    ]
    for what, active, rel, src, want in cases:
        node = Node(active_units=active)
        node.write(rel, cfg(src))
        r = node.run(binary=SHIM_BIN, restart=True)
        t.eq(r.returncode, 0, f"{what}: install succeeds\n{r.stderr}")
        restarts = [c for c in node.recorded() if c.startswith("systemctl restart")]
        t.eq(restarts, [want], f"{what}: restart command")
        node.cleanup()


# ---------------------------------------------------- side by side

def test_side_by_side_versions(t):
    node = Node()
    node.write("/etc/containerd/config.toml", cfg("containerd-1.x-v2.toml"))
    orig = node.read("/etc/containerd/config.toml")
    newer = os.path.join(node.tmp, "shim-newer")
    with open(SHIM_BIN, "rb") as f:
        data = f.read()
    with open(newer, "wb") as f:
        f.write(data + b"\0newer")  # a different build of the same program
    os.chmod(newer, 0o755)
    major = int(VERSION.split(".")[0])
    v2 = f"{major + 1}.0.0"

    t.eq(node.run(binary=SHIM_BIN).returncode, 0, "install old version")
    r = node.run(binary=newer, version=v2)
    t.eq(r.returncode, 0, f"install newer version side by side\n{r.stderr}")
    dump = containerd_dump(node.path("/etc/containerd/config.toml"))
    rts = dig(dump, *V1X)
    for handler, rt in expected_runtimes(VERSION).items():
        if handler == "spin":
            continue
        t.eq(dig(rts, handler, "runtime_type"), rt, f"old version's runtime {handler} still there")
    for handler, rt in expected_runtimes(v2).items():
        t.eq(dig(rts, handler, "runtime_type"), rt, f"new version's runtime {handler}")
    t.eq(node.read("/usr/local/bin/containerd-shim-spin-v2"), data + b"\0newer",
         "default binary is the newest version")
    t.eq(node.read(f"/usr/local/bin/containerd-shim-spin-v{slug(VERSION)}-v2"), data,
         "old versioned binary kept")

    r = node.run("--remove-version", v2)
    t.eq(r.returncode, 0, f"remove the newer version\n{r.stderr}")
    t.eq(node.read("/usr/local/bin/containerd-shim-spin-v2"), data,
         "default binary falls back to the remaining version")
    t.check(not node.exists(f"/usr/local/bin/containerd-shim-spin-v{slug(v2)}-v2"),
            "removed version's binary deleted")
    rts = dig(containerd_dump(node.path("/etc/containerd/config.toml")), *V1X)
    t.check(dig(rts, f"spin-v{slug(v2)}") is None, "removed version's runtime gone")
    t.eq(dig(rts, "spin", "runtime_type"), "io.containerd.spin.v2", "`spin` still registered")

    r = node.run("--remove-version", v2)
    t.check(r.returncode != 0 and "not installed" in r.stderr, "removing an absent version fails clearly")
    t.eq(node.run("--uninstall").returncode, 0, "uninstall")
    t.eq(node.read("/etc/containerd/config.toml"), orig, "uninstall after upgrades restores bytes")
    node.cleanup()


def test_remove_version_labels(t):
    """Removing one version drops only the labels no remaining version has."""
    node = Node()
    os.makedirs(node.path("/run/systemd/system"))
    node.write("/etc/containerd/config.toml", cfg("containerd-1.x-v2.toml"))
    t.eq(node.run(binary=SHIM_BIN, version="1.4.0", restart=True).returncode, 0, "install 1.4.0")
    t.eq(node.run(binary=SHIM_BIN, version="1.5.2", restart=True).returncode, 0, "install 1.5.2")
    t.eq([c for c in node.recorded() if c.startswith("kubectl")][-1],
         "kubectl label node node-1 --overwrite wasmtime-spin-enabled=true wasmtime-spin-v1=true "
         "wasmtime-spin-v1-4=true wasmtime-spin-v1-4-0=true wasmtime-spin-v1-5=true wasmtime-spin-v1-5-2=true",
         "labels for both versions")
    node.clear_calls()
    r = node.run("--remove-version", "1.4.0", restart=True)
    t.eq(r.returncode, 0, f"remove 1.4.0\n{r.stderr}")
    kubectl = [c for c in node.recorded() if c.startswith("kubectl")]
    t.eq(kubectl, ["kubectl label node node-1 --overwrite wasmtime-spin-enabled=true wasmtime-spin-v1=true "
                   "wasmtime-spin-v1-5=true wasmtime-spin-v1-5-2=true",
                   "kubectl label node node-1 --overwrite wasmtime-spin-v1-4- wasmtime-spin-v1-4-0-"],
         "only 1.4's own labels removed")
    rts = dig(containerd_dump(node.path("/etc/containerd/config.toml")), *V1X)
    t.eq(dig(rts, "spin-v1", "runtime_type"), "io.containerd.spin-v1-5-2.v2", "spin-v1 -> 1.5.2")
    t.check(dig(rts, "spin-v1-4") is None and dig(rts, "spin-v1-4-0") is None, "1.4 runtimes gone")
    node.cleanup()


def test_existing_identical_spin(t):
    """A `spin` runtime someone defined the same way is left alone."""
    node = Node()
    text = cfg("containerd-1.x-v2.toml") + (
        b'\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.spin]\n'
        b'  runtime_type = "io.containerd.spin.v2"\n'
        b'  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.spin.options]\n'
        b'    SystemdCgroup = true\n')
    node.write("/etc/containerd/config.toml", text)
    lifecycle(t, node, "/etc/containerd/config.toml", validate_1x(t, "existing identical spin"))
    node.cleanup()


def test_no_trailing_newline(t):
    node = Node()
    node.write("/etc/containerd/config.toml", cfg("containerd-1.x-v2.toml").rstrip(b"\n"))
    lifecycle(t, node, "/etc/containerd/config.toml", validate_1x(t, "no trailing newline"))
    node.cleanup()


def test_operator_text_after_block_survives(t):
    """Options the operator appends after the block stay when the block is
    regenerated; --uninstall warns about them instead of deleting them."""
    node = Node()
    node.write("/etc/containerd/config.toml", cfg("containerd-1.x-v2.toml"))
    t.eq(node.run(binary=SHIM_BIN).returncode, 0, "install")
    opts = (b'[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.spin.options]\n'
            b'  SystemdCgroup = true\n')
    with open(node.path("/etc/containerd/config.toml"), "ab") as f:
        f.write(opts)
    r = node.run(binary=SHIM_BIN, version="9.9.9")
    t.eq(r.returncode, 0, f"install another version with operator options present\n{r.stderr}")
    text = node.read("/etc/containerd/config.toml")
    t.check(text.endswith(opts), "operator options kept after the block")
    dump = containerd_dump(node.path("/etc/containerd/config.toml"))
    t.eq(dig(dump, *V1X, "spin", "options", "SystemdCgroup"), True, "options reach containerd")
    r = node.run("--uninstall")
    t.eq(r.returncode, 0, "uninstall")
    t.eq(node.read("/etc/containerd/config.toml"), cfg("containerd-1.x-v2.toml") + opts,
         "uninstall removes only the block")
    t.check("still mentions runtime(s) spin" in r.stderr, "uninstall warns about leftover options")
    node.cleanup()


# ------------------------------------------------------- refusals

def refuse(t, what, setup, want_msg, run_args=(), **run_kw):
    node = Node()
    setup(node)
    before = snapshot(node.root)
    kw = {"binary": SHIM_BIN}
    kw.update(run_kw)
    r = node.run(*run_args, **kw)
    t.check(r.returncode != 0, f"{what}: non-zero exit (got {r.returncode})")
    t.check(want_msg in r.stderr, f"{what}: message mentions {want_msg!r}:\n{r.stderr}")
    t.check(snapshot(node.root) == before, f"{what}: files untouched")
    t.check(not any(c.startswith("systemctl restart") for c in node.recorded()), f"{what}: no restart")
    node.cleanup()


def with_config(text, rel="/etc/containerd/config.toml"):
    return lambda node: node.write(rel, text)


def test_refusals(t):
    base = cfg("containerd-1.x-v2.toml")
    spin_hdr = b'[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.spin]\n'
    refuse(t, "unknown layout", lambda node: node.write("/etc/hostname", "node-1\n"),
           "unknown node layout", restart=True)
    refuse(t, "duplicate tables", with_config(base + b'\n[plugins."io.containerd.grpc.v1.cri".cni]\n'),
           "duplicate table")
    refuse(t, "unterminated multi-line string", with_config(base + b'\nnote = """never closed\n'),
           "multi-line string")
    refuse(t, "unterminated array", with_config(base + b'\n[x]\nlist = [\n  "a",\n'),
           "array")
    refuse(t, "broken table header", with_config(base + b'\n[plugins."io.containerd\n'),
           "table header")
    refuse(t, "spin defined differently (old kwasm installer)",
           with_config(base + b"\n" + spin_hdr + b'  runtime_type = "/opt/kwasm/bin/containerd-shim-spin-v2"\n'),
           "/opt/kwasm/bin/containerd-shim-spin-v2")
    refuse(t, "spin via dotted keys",
           with_config(cfg("rke2-config.toml") + b'\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes]\n'
                                             b'  spin.runtime_type = "io.containerd.spin.v2"\n'),
           "dotted keys")
    refuse(t, "runtimes as inline table",
           with_config(b'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\n'
                       b'  runtimes = { runc = { runtime_type = "io.containerd.runc.v2" } }\n'),
           "inline table")
    refuse(t, "versioned runtime defined by hand",
           lambda node: node.write("/etc/containerd/config.toml", base + (
               f'\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.spin-v{slug(VERSION)}]\n'
               f'  runtime_type = "io.containerd.spin-v{slug(VERSION)}.v2"\n').encode()),
           f"spin-v{slug(VERSION)}")
    refuse(t, "unsupported config version", with_config(b"version = 4\n" + base.split(b"version = 2\n", 1)[1]),
           "unsupported config version")
    refuse(t, "marker without END", with_config(base + b"# BEGIN containerd-shim-spin (managed)\n"),
           "without its END marker")
    if CONTAINERD:
        refuse(t, "containerd rejects the config", with_config(base + b"\n[extra]\n  value = not-a-toml-value\n"),
               "containerd cannot parse")
    refuse(t, "no SHIM_BINARY", with_config(base), "SHIM_BINARY is not set", binary=None)
    refuse(t, "SHIM_BINARY missing", with_config(base), "is not an executable file", binary="/nonexistent/shim")
    refuse(t, "bad SHIM_VERSION", with_config(base), "is not MAJOR.MINOR.PATCH", version="latest")
    refuse(t, "unknown argument", with_config(base), "unknown argument", run_args=("--frobnicate",))


def test_unprivileged_refused(t):
    """Without write access to the node it stops before changing anything."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or not setpriv:
        t.check(True, "needs root and setpriv to drop privileges; not applicable")
        return
    node = Node()
    node.write("/etc/containerd/config.toml", cfg("containerd-1.x-v2.toml"))
    scratch = os.path.join(node.tmp, "scratch")
    os.makedirs(scratch)
    os.chmod(scratch, 0o1777)
    os.chmod(node.tmp, 0o755)
    # The unprivileged user may not be able to read the checkout (a clone
    # inside a 0700 directory): run copies of the installer and the binary
    # from a directory it can read, so the refusal seen is the installer's.
    readable = os.path.join(node.tmp, "readable")
    os.makedirs(readable)
    os.chmod(readable, 0o755)
    installer = shutil.copy(INSTALLER, os.path.join(readable, "node-installer.sh"))
    shim = shutil.copy(SHIM_BIN, os.path.join(readable, "containerd-shim-spin-v2"))
    os.chmod(installer, 0o755)
    os.chmod(shim, 0o755)
    before = snapshot(node.root)
    env = {"PATH": node.bin + ":" + os.environ["PATH"], "NODE_ROOT": node.root, "NO_RESTART": "1",
           "SHIM_BINARY": shim, "TMPDIR": scratch, "HOST_EXEC": ""}
    r = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "sh", installer],
                       env=env, capture_output=True, text=True, timeout=60)
    t.check(r.returncode != 0 and "cannot write to" in r.stderr, f"unprivileged run refused:\n{r.stderr}")
    t.check(snapshot(node.root) == before, "unprivileged run: files untouched")
    node.cleanup()


def test_validation_inside_node_root(t):
    """From a DaemonSet (NODE_ROOT != /) the node's own containerd validates
    the config through chroot."""
    if not CONTAINERD or os.geteuid() != 0:
        t.check(True, "needs root and containerd; not applicable")
        return
    node = Node()
    libs = subprocess.run(["ldd", CONTAINERD], capture_output=True, text=True).stdout
    paths = [CONTAINERD] + re.findall(r"(/\S+) \(0x", libs)
    for p in paths:
        dest = node.path(p)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        try:
            os.link(os.path.realpath(p), dest)
        except OSError:
            shutil.copy2(p, dest)
    if CONTAINERD != "/usr/bin/containerd":
        os.rename(node.path(CONTAINERD), node.path("/usr/bin/containerd"))
    base = cfg("containerd-1.x-v2.toml")
    node.write("/etc/containerd/config.toml", base + b"\n[extra]\n  value = not-a-toml-value\n")
    before = snapshot(node.root)
    r = node.run(binary=SHIM_BIN, containerd=False)
    t.check(r.returncode != 0 and "containerd cannot parse the current config" in r.stderr,
            f"node's containerd rejects the broken config:\n{r.stderr}")
    t.check(snapshot(node.root) == before, "broken config: files untouched")
    node.write("/etc/containerd/config.toml", base)
    r = node.run(binary=SHIM_BIN, containerd=False)
    t.eq(r.returncode, 0, f"good config installs with chroot validation\n{r.stderr}")
    t.check(not [f for f in os.listdir(node.path("/etc/containerd")) if "spin-installer" in f],
            "no temp files left next to the config")
    node.cleanup()


def test_binary_without_version(t):
    node = Node()
    node.write("/etc/containerd/config.toml", cfg("containerd-1.x-v2.toml"))
    fake = os.path.join(node.tmp, "noversion")
    with open(fake, "w") as f:
        f.write("#!/bin/sh\necho hello\n")
    os.chmod(fake, 0o755)
    before = snapshot(node.root)
    r = node.run(binary=fake)
    t.check(r.returncode != 0 and "printed no 'Version:' line" in r.stderr,
            f"binary without a Version line is refused:\n{r.stderr}")
    t.check(snapshot(node.root) == before, "files untouched")
    node.cleanup()


def main():
    global VERSION
    t = Tally()
    if not SHIM_BIN or not os.access(SHIM_BIN, os.X_OK):
        print("SHIM_BIN (the built containerd-shim-spin-v2) is required")
        t.check(False, "SHIM_BIN set")
        t.finish()
    if not CONTAINERD:
        print("note: no containerd binary; config dump checks fail")
    VERSION = binary_version()
    for fn in (test_containerd_1x_v2, test_missing_http_library_is_a_warning,
               test_containerd_1x_v1, test_containerd_2x_v3,
               test_k3s_generated_only, test_k3s_autodetected_spin, test_crlf_config, test_k3s_v3_generated, test_k3s_v3_template_preferred,
               test_k3s_v3_with_old_v2_template, test_k3s_v2_ignores_stale_v3_template,
               test_k3s_base_template, test_rke2_existing_template, test_microk8s,
               test_k0s_dropin, test_busybox_tools, test_restart_and_labels,
               test_daemonset_mode_uses_nsenter, test_failed_restart_is_retried, test_restart_per_distribution, test_side_by_side_versions,
               test_remove_version_labels, test_existing_identical_spin, test_no_trailing_newline,
               test_operator_text_after_block_survives, test_refusals, test_unprivileged_refused,
               test_validation_inside_node_root,
               test_binary_without_version):
        t.run(fn)
    t.finish()


if __name__ == "__main__":
    main()
