"""test_shim_options.py - shim options reach a shim started by real containerd.

containerd 1.6 (Debian's) hands a non-runc runtime only the ConfigPath of
its options table; `ctr run --runtime-config-path FILE` sends exactly that
runtimeoptions.v1.Options, to `start` on stdin and in CreateTaskRequest.
containerd copies the shim's log FIFO into its own output, so what the
options change is visible in containerd's log: the shim's debug lines appear
only with LogLevel = "debug", and each mistake in the file is reported once.
"""
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixture"))
from containerd_fixture import Containerd  # noqa: E402
from harness import run_tests  # noqa: E402
import images  # noqa: E402

RUNTIME = "io.containerd.spin.v2"
SHIM_DIR = os.environ["SHIM_BIN_DIR"]
WASM_DIR = os.environ["WASM_DIR"]

# Lines only our shim writes, at debug level.
SHIM_DEBUG_MARKS = ("level=debug msg=\"serving ", "level=debug msg=\"rpc Create\"")


def setup():
    work = tempfile.mkdtemp(prefix="integ-options-")
    c = Containerd(shim_dir=SHIM_DIR)
    c.__enter__()
    ctx = {"c": c, "work": work}
    try:
        root = os.path.join(work, "hello")
        os.makedirs(root)
        shutil.copy(os.path.join(WASM_DIR, "hello.wasm"), os.path.join(root, "hello.wasm"))
        tar = os.path.join(work, "hello.tar")
        ctx["image"] = images.mkimage(root, "localhost/hello-wasm:test", tar,
                                      entrypoint='["/hello.wasm"]', arch="wasm", os_="wasip1")
        c.import_image(tar)
    except BaseException:
        teardown(ctx)
        raise
    return ctx


def teardown(ctx):
    ctx["c"].__exit__(None, None, None)
    shutil.rmtree(ctx["work"], ignore_errors=True)


def write_options(ctx, name, text):
    path = os.path.join(ctx["work"], name)
    with open(path, "w") as f:
        f.write(text)
    return path


def run_hello(ctx, cid, config_path=None):
    """Runs the WASI hello task to its end; returns the part of containerd's
    log written meanwhile (the shim's lines included)."""
    c = ctx["c"]
    before = len(c.log())
    args = ["run", "--rm", "--runtime", RUNTIME]
    if config_path:
        args += ["--runtime-config-path", config_path]
    r = c.ctr(*args, ctx["image"], cid, "/hello.wasm", "opt", check=False)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    assert "hello" in r.stdout.lower(), r.stdout
    return c.log()[before:]


def test_default_level_keeps_the_shim_quiet(ctx):
    log = run_hello(ctx, "quiet1")
    for mark in SHIM_DEBUG_MARKS:
        assert mark not in log, (mark, log)


def test_config_path_log_level_debug_applies(ctx):
    path = write_options(ctx, "debug.toml", 'LogLevel = "debug"\nSystemdCgroup = false\n')
    log = run_hello(ctx, "debug1", path)
    for mark in SHIM_DEBUG_MARKS:
        assert mark in log, (mark, log)
    # the values in effect, as the daemon and the task's Create saw them
    assert f"start: options config_path={path} SystemdCgroup=false" in log, log
    assert "debug1: options config_path=" in log, log
    assert "LogLevel=debug" in log, log


def test_documented_sample_file_is_accepted_whole(ctx):
    sample = os.path.join(os.environ["SOURCE_DIR"], "deploy", "config", "spin-shim.toml")
    log = run_hello(ctx, "sample1", sample)
    assert "options:" not in log, log


def test_unknown_key_is_reported_once(ctx):
    path = write_options(ctx, "unknown.toml", 'SystemdCgroup = false\nNoSuchKey = "x"\n')
    log = run_hello(ctx, "unknown1", path)
    # seen by `start` and by Create, reported once, at the quiet default level
    assert log.count("options: unknown key NoSuchKey") == 1, log
    assert f"({path} line 2)" in log, log
    for mark in SHIM_DEBUG_MARKS:
        assert mark not in log, (mark, log)


def test_mistakes_never_fail_the_task(ctx):
    path = write_options(ctx, "wrong.toml", 'SystemdCgroup = "yes"\nLogLevel = = \n')
    log = run_hello(ctx, "wrong1", path)
    assert f"options: {path} is not valid TOML" in log, log
    missing = os.path.join(ctx["work"], "absent.toml")
    log = run_hello(ctx, "missing1", missing)
    assert f"cannot read ConfigPath {missing}" in log, log


if __name__ == "__main__":
    run_tests(globals(), setup=setup, teardown=teardown)
