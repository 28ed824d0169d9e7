"""test_cli.py - the binary's command-line contract outside the shim protocol.

containerd and operators run `containerd-shim-spin-v2 -v` to see which build a
node has (the installer parses it for the version); unknown usage must fail
with a message instead of doing something.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixture"))
from harness import run_tests  # noqa: E402

SHIM = os.environ["SHIM_BIN"]


def test_version_flag_prints_name_version_and_build():
    for flag in ("-v", "--version"):
        r = subprocess.run([SHIM, flag], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert lines[0] == "containerd-shim-spin-v2:", lines
        assert re.match(r"^  Version:  \d+\.\d+\.\d+", lines[1]), lines
        assert lines[2].startswith("  Revision: ") and len(lines[2]) > len("  Revision: ")
        assert lines[3].startswith("  Build:    "), lines


def test_version_uses_the_invoked_name():
    # Versioned installs copy the binary as containerd-shim-spin-vX-Y-Z-v2.
    link = os.path.join(os.environ.get("BUILD_DIR", "/tmp"), "containerd-shim-spin-v9-9-9-v2")
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(SHIM, link)
    try:
        r = subprocess.run([link, "-v"], capture_output=True, text=True)
        assert r.stdout.splitlines()[0] == "containerd-shim-spin-v9-9-9-v2:"
    finally:
        os.unlink(link)


def test_help_lists_the_commands():
    r = subprocess.run([SHIM, "--help"], capture_output=True, text=True)
    assert r.returncode == 0
    for word in (" run ", " up ", "start|delete"):
        assert word in r.stderr, word


if __name__ == "__main__":
    run_tests(globals())
