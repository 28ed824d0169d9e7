"""Helpers for the deploy/ tests: fake node roots, a recording systemctl and
kubectl, a runner for the node installer, and a tiny pass/fail tally that
ends with the project's "N passed, N failed" line.

A fake node root is a temp dir laid out like a node's / (only the files the
installer looks at).  Snapshots of a whole root (bytes, modes, symlinks) let
tests assert "nothing changed" and "uninstall gave back the original bytes"
exactly.
"""
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import traceback

SOURCE_DIR = os.environ.get(
    "SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
DEPLOY = os.path.join(SOURCE_DIR, "deploy")
INSTALLER = os.path.join(DEPLOY, "node-installer.sh")
SHIM_BIN = os.environ.get("SHIM_BIN", "")
CONTAINERD = shutil.which("containerd")


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {what}", flush=True)
        return cond

    def eq(self, got, want, what):
        ok = got == want
        if not ok:
            print(f"FAIL: {what}\n  got:  {got!r}\n  want: {want!r}", flush=True)
            self.failed += 1
        else:
            self.passed += 1
        return ok

    def run(self, fn):
        """Runs one scenario; an exception counts as one failure."""
        print(f"-- {fn.__name__}", flush=True)
        try:
            fn(self)
        except Exception:  # noqa: BLE001 - report and keep going
            self.failed += 1
            print(f"FAIL: {fn.__name__} raised:\n{traceback.format_exc()}", flush=True)

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        sys.exit(1 if self.failed else 0)


def write(root, rel, text, mode=0o644):
    path = os.path.join(root, rel.lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(text.encode() if isinstance(text, str) else text)
    os.chmod(path, mode)
    return path


def read(root, rel):
    with open(os.path.join(root, rel.lstrip("/")), "rb") as f:
        return f.read()


def snapshot(root):
    """{relative path: (kind, bytes or link target, mode)} for a whole tree."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(p), 0)
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", b"", stat.S_IMODE(st.st_mode))
            else:
                with open(p, "rb") as f:
                    out[rel] = ("file", f.read(), stat.S_IMODE(st.st_mode))
    return out


def files_only(snap):
    return {k: v for k, v in snap.items() if v[0] != "dir"}


class Node:
    """A fake node root plus fake systemctl/kubectl that record their calls."""

    def __init__(self, active_units=()):
        self.tmp = tempfile.mkdtemp(prefix="spin-deploy-test.")
        self.root = os.path.join(self.tmp, "root")
        os.makedirs(self.root)
        self.bin = os.path.join(self.tmp, "fakebin")
        os.makedirs(self.bin)
        self.calls = os.path.join(self.tmp, "calls")
        open(self.calls, "w").close()
        active = " ".join(active_units)
        # is-active answers from ACTIVE; everything else just gets recorded.
        write(self.bin, "systemctl",
              "#!/bin/sh\n"
              f"echo \"systemctl $*\" >> '{self.calls}'\n"
              "if [ \"$1\" = is-active ]; then\n"
              "  for u in " + (active or "__none__") + "; do\n"
              "    for a; do [ \"$a\" = \"$u\" ] && exit 0; done\n"
              "  done\n"
              "  exit 3\n"
              "fi\n"
              f"if [ \"$1\" = restart ] && [ -e '{self.tmp}/fail-restart' ]; then exit 1; fi\n"
              "exit 0\n", 0o755)
        # nsenter: records how it was asked to reach the host, then runs the
        # command here (where the fake systemctl answers).
        write(self.bin, "nsenter",
              "#!/bin/sh\n"
              f"echo \"nsenter $*\" >> '{self.calls}'\n"
              "while [ $# -gt 0 ] && [ \"$1\" != -- ]; do shift; done\n"
              "shift\n"
              "exec \"$@\"\n", 0o755)
        write(self.bin, "kubectl",
              f"#!/bin/sh\necho \"kubectl $*\" >> '{self.calls}'\nexit 0\n", 0o755)

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, rel):
        return os.path.join(self.root, rel.lstrip("/"))

    def write(self, rel, text, mode=0o644):
        return write(self.root, rel, text, mode)

    def read(self, rel):
        return read(self.root, rel)

    def exists(self, rel):
        return os.path.lexists(self.path(rel))

    def recorded(self):
        with open(self.calls) as f:
            return [line.rstrip("\n") for line in f if line.strip()]

    def clear_calls(self):
        open(self.calls, "w").close()

    def run(self, *args, binary=None, version=None, restart=False,
            containerd=True, shell="sh", path_prefix=None, extra_env=None, host_exec=""):
        """Runs the installer on this root; returns CompletedProcess."""
        env = {
            "PATH": (path_prefix + ":" if path_prefix else "") + self.bin + ":" + os.environ["PATH"],
            "NODE_ROOT": self.root,
            "NODE_NAME": "node-1",
            "HOME": self.tmp,
            "TMPDIR": self.tmp,
        }
        if path_prefix:
            env["PATH"] = path_prefix + ":" + self.bin
        if host_exec is not None:
            env["HOST_EXEC"] = host_exec
        if not restart:
            env["NO_RESTART"] = "1"
        if binary is not None:
            env["SHIM_BINARY"] = binary
        if version is not None:
            env["SHIM_VERSION"] = version
        if containerd and CONTAINERD:
            env["CONTAINERD_BIN"] = CONTAINERD
        if extra_env:
            env.update(extra_env)
        return subprocess.run([shell, INSTALLER, *args], env=env, capture_output=True,
                              text=True, timeout=120)


def containerd_dump(config_path):
    """Debian's containerd parses the file; returns the dump as a dict."""
    import tomllib
    r = subprocess.run([CONTAINERD, "--config", config_path, "config", "dump"],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"containerd rejected {config_path}: {r.stderr.strip()}")
    return tomllib.loads(r.stdout)


def toml_file(path):
    import tomllib
    with open(path, "rb") as f:
        return tomllib.load(f)


def dig(d, *keys):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d
