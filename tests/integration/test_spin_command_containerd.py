"""test_spin_command_containerd.py - Spin apps with a command trigger run
through real containerd: the container runs the guest once and exits with
its status.  As containerd-shim-spin, the guest's argv is the component id
followed by every process arg ("/" included), its stdin the container's,
which the guest reads to EOF (reached when ctr closes its end and sends
CloseIO).

The image holds two apps: /spin.toml runs tests/spin/programs/command_guest.c
as a preview-1 module, and a second image the real Spin test-command
component (shared corpus: prints "Hello, world!", exit 0).
"""
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixture"))
sys.path.insert(0, HERE)
from containerd_fixture import Containerd  # noqa: E402
from harness import run_tests  # noqa: E402
import images  # noqa: E402
from test_spin_containerd import RUNTIME, SHIM_DIR  # noqa: E402

WASM_DIR = os.environ["WASM_DIR"]
REAL = os.path.join(os.environ["SHARED_DIR"], "corpora", "components", "real",
                    "gh-spin-test-command.rust-cmd.wasm")
MANIFEST = """spin_manifest_version = 2
[application]
name = "command"
[[trigger.command]]
component = "runner"
[component.runner]
source = "runner.wasm"
environment = { WHO = "containerd" }
"""


def make_image(ctx, name, wasm):
    root = os.path.join(ctx["work"], name)
    os.makedirs(root)
    shutil.copy(wasm, os.path.join(root, "runner.wasm"))
    with open(os.path.join(root, "spin.toml"), "w") as f:
        f.write(MANIFEST)
    tar = root + ".tar"
    image = images.mkimage(root, f"localhost/spin-command-{name}:test", tar,
                           entrypoint='["/"]', arch="wasm", os_="wasip1")
    ctx["c"].import_image(tar)
    return image


def setup():
    work = tempfile.mkdtemp(prefix="integ-command-")
    c = Containerd(shim_dir=SHIM_DIR)
    c.__enter__()
    ctx = {"c": c, "work": work}
    try:
        ctx["guest"] = make_image(ctx, "guest", os.path.join(WASM_DIR, "command_guest.wasm"))
        ctx["real"] = make_image(ctx, "real", REAL)
    except BaseException:
        teardown(ctx)
        raise
    return ctx


def teardown(ctx):
    ctx["c"].__exit__(None, None, None)
    shutil.rmtree(ctx["work"], ignore_errors=True)


def ctr_run(ctx, image, cid, *args, stdin=""):
    return ctx["c"].ctr("run", "--rm", "--runtime", RUNTIME, image, cid, *args, check=False,
                        timeout=120, input=stdin)


def test_real_test_command_component_prints_and_exits_0(ctx):
    r = ctr_run(ctx, ctx["real"], "cmd-real")
    assert (r.returncode, r.stdout) == (0, "Hello, world!\n"), (r.returncode, r.stdout, r.stderr)


def test_guest_gets_the_process_args_and_its_status_is_the_containers(ctx):
    r = ctr_run(ctx, ctx["guest"], "cmd-exit", "/", "one", "exit=7",
                stdin="piped\nsecond line\n")
    assert r.returncode == 7, (r.returncode, r.stdout, r.stderr)
    assert r.stdout == ("argc=4 [runner] [/] [one] [exit=7]\nwho=containerd\n"
                        "stdin=piped|second line| bytes=18\n"), r.stdout


def test_a_trap_ends_the_container_with_134(ctx):
    r = ctr_run(ctx, ctx["guest"], "cmd-trap", "/", "trap", stdin="\n")
    assert r.returncode == 134, (r.returncode, r.stdout, r.stderr)
    assert "component 'runner'" in r.stdout + r.stderr, (r.stdout, r.stderr)


if __name__ == "__main__":
    run_tests(globals(), setup, teardown)
