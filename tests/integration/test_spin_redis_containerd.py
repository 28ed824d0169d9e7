"""test_spin_redis_containerd.py - a Spin app with an HTTP and a redis
trigger (the shape of containerd-shim-spin's spin-multi-trigger-app) run
through real containerd: both trigger types serve in one container; the
redis address and channel are app variables set from the container's
environment (the plain upper-case names, as the shim maps them), and every
message published reaches a fresh instance of the Spin 1 ABI handler
(tests/spin/wat/spin1_redis_handler.wat), whose stdout is the container's.
"""
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixture"))
sys.path.insert(0, HERE)
from containerd_fixture import Containerd  # noqa: E402
from harness import run_tests  # noqa: E402
from redis_fixture import RedisServer  # noqa: E402
import images  # noqa: E402
from test_spin_containerd import SHIM_DIR, SpinTask  # noqa: E402

WASM_DIR = os.environ["WASM_DIR"]
MANIFEST = """spin_manifest_version = 2
[application]
name = "multi-trigger"
[variables]
redis_address = { required = true }
redis_channel = { required = true }
[[trigger.http]]
route = "/..."
component = "web"
executor = { type = "wagi" }
[component.web]
source = "web.wasm"
[[trigger.redis]]
channel = "{{ redis_channel }}"
address = "{{ redis_address }}"
component = "printer"
[component.printer]
source = "printer.wasm"
"""


def setup():
    work = tempfile.mkdtemp(prefix="integ-redis-")
    c = Containerd(shim_dir=SHIM_DIR)
    c.__enter__()
    ctx = {"c": c, "work": work}
    try:
        root = os.path.join(work, "image")
        os.makedirs(root)
        shutil.copy(os.path.join(WASM_DIR, "wagi-hello.wasm"), os.path.join(root, "web.wasm"))
        shutil.copy(os.path.join(WASM_DIR, "spin1_redis_handler.wasm"),
                    os.path.join(root, "printer.wasm"))
        with open(os.path.join(root, "spin.toml"), "w") as f:
            f.write(MANIFEST)
        tar = root + ".tar"
        ctx["image"] = images.mkimage(root, "localhost/spin-multi-trigger:test", tar,
                                      entrypoint='["/"]', arch="wasm", os_="wasip1")
        c.import_image(tar)
        ctx["redis"] = RedisServer().__enter__()
    except BaseException:
        teardown(ctx)
        raise
    return ctx


def teardown(ctx):
    if "redis" in ctx:
        ctx["redis"].__exit__(None, None, None)
    ctx["c"].__exit__(None, None, None)
    shutil.rmtree(ctx["work"], ignore_errors=True)


def test_http_and_redis_triggers_in_one_container(ctx):
    redis = ctx["redis"]
    env = ["REDIS_ADDRESS=" + redis.url, "REDIS_CHANNEL=jobs"]
    with SpinTask(ctx, "multi-trigger", image=ctx["image"], env=env) as t:
        status, _ = t.request("GET", "/hello")
        assert status == 200, (status, t.output())
        deadline = time.monotonic() + 30
        while redis.command("PUBLISH", "jobs", "from-the-test") != 1:
            assert time.monotonic() < deadline, t.output()
            time.sleep(0.05)
        while "redis message: from-the-test" not in t.output():
            assert time.monotonic() < deadline, t.output()
            time.sleep(0.05)
        assert "Active Channels on 127.0.0.1:%d:" % redis.port in t.output(), t.output()


if __name__ == "__main__":
    run_tests(globals(), setup, teardown)
