"""A real containerd finds the binaries the installer put in place.

The installer registers plain runtime_type names (io.containerd.spin.v2,
io.containerd.spin-vX-Y-Z.v2) and relies on containerd turning them into
binary names looked up in PATH (containerd-shim-spin-v2,
containerd-shim-spin-vX-Y-Z-v2) - the containerd#11480 work-around.  Here a
private containerd (tests/fixture) gets the fake node's /usr/local/bin on
its PATH and `ctr run --runtime` must start exactly the binary the installer
wrote for each runtime_type.  The installed "shim" is a probe script that
records its name and refuses to start, so this does not depend on the real
shim's behaviour.
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "fixture"))
from containerd_fixture import Containerd  # noqa: E402
from deploylib import Node, Tally  # noqa: E402
import images  # noqa: E402

CONFIG = os.path.join(HERE, "configs", "containerd-1.x-v2.toml")


def main():
    t = Tally()
    node = Node()
    work = tempfile.mkdtemp(prefix="deploy-resolve-")
    try:
        log = os.path.join(node.tmp, "probe.log")
        probe = os.path.join(node.tmp, "probe-shim")
        with open(probe, "w") as f:
            f.write("#!/bin/sh\n"
                    f"echo \"${{0##*/}} $*\" >> '{log}'\n"
                    "echo 'probe shim: not a real shim' >&2\n"
                    "exit 1\n")
        os.chmod(probe, 0o755)
        with open(CONFIG, "rb") as f:
            node.write("/etc/containerd/config.toml", f.read())
        r = node.run(binary=probe, version="1.2.3")
        t.eq(r.returncode, 0, f"installer succeeds\n{r.stderr}")

        tar, image = images.busybox_image(work)
        with Containerd(shim_dir=node.path("/usr/local/bin")) as c:
            c.import_image(tar)
            cases = [("io.containerd.spin.v2", "containerd-shim-spin-v2"),
                     ("io.containerd.spin-v1-2-3.v2", "containerd-shim-spin-v1-2-3-v2")]
            for i, (runtime, binary) in enumerate(cases):
                open(log, "w").close()
                r = c.ctr("run", "--rm", "--runtime", runtime, image, f"resolve{i}", "/bin/true",
                          check=False, timeout=60)
                t.check(r.returncode != 0, f"{runtime}: the probe refuses to start")
                print(f"{runtime}: ctr says: {(r.stdout + r.stderr).strip()[:200]}", flush=True)
                with open(log) as f:
                    calls = f.read().splitlines()
                t.check(any(line.startswith(binary + " ") and line.endswith(" start") for line in calls),
                        f"{runtime}: containerd started {binary} from PATH: {calls}")
                t.check(all(line.startswith(binary + " ") for line in calls),
                        f"{runtime}: no other binary started: {calls}")

            # Control: a version that was never installed has no binary.
            open(log, "w").close()
            r = c.ctr("run", "--rm", "--runtime", "io.containerd.spin-v9-9-9.v2", image, "resolve9",
                      "/bin/true", check=False, timeout=60)
            out = r.stdout + r.stderr
            t.check(r.returncode != 0 and "containerd-shim-spin-v9-9-9-v2" in out,
                    f"uninstalled version: containerd names the missing binary: {out.strip()}")
            with open(log) as f:
                t.eq(f.read(), "", "uninstalled version: no probe started")
    finally:
        node.cleanup()
        subprocess.run(["rm", "-rf", work])
    t.finish()


if __name__ == "__main__":
    main()
