"""test_spin_world_modules_containerd.py - a Spin app image whose spin.toml
names Spin 2.0-SDK core modules (wit-bindgen modules carrying their WIT
world in component-type sections), served through real containerd: the
shim makes each a component at load (src/component/componentize.c) and
serves its preview-1 imports in the container (src/spin/world_module.c).

The modules are Spin's test components of that era from the shared corpus
(README.md there): 200 with an empty body when every check passed, else
500 with the failed check's text.  The key-value one writes Spin's default
store under the container's state dir (/.spin).  The tcp-sockets one
connects from the container (host network) to an echo server on
127.0.0.1:5001 (tests/fixture/echo_fixture.py) where allowed_outbound_hosts
allows it, and is refused access where it does not.
"""
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixture"))
sys.path.insert(0, HERE)
from containerd_fixture import Containerd  # noqa: E402
from echo_fixture import EchoServer  # noqa: E402
from harness import run_tests  # noqa: E402
import images  # noqa: E402
from test_spin_containerd import SHIM_DIR, SpinTask  # noqa: E402

REAL = os.path.join(os.environ["SHARED_DIR"], "corpora", "components", "real")
MANIFEST = """spin_manifest_version = 2
[application]
name = "world-modules"
[variables]
variable = { default = "value" }
[[trigger.http]]
route = "/variables"
component = "variables"
[[trigger.http]]
route = "/key-value"
component = "key-value"
[[trigger.http]]
route = "/wrong"
component = "wrong"
[component.variables]
source = "variables.wasm"
[component.variables.variables]
variable = "{{ variable }}"
[component.key-value]
source = "key-value.wasm"
key_value_stores = ["default"]
[component.wrong]
source = "variables.wasm"
[component.wrong.variables]
variable = "not the value"
[[trigger.http]]
route = "/tcp"
component = "tcp"
[component.tcp]
source = "tcp-sockets.wasm"
allowed_outbound_hosts = ["*://127.0.0.1:5001"]
[[trigger.http]]
route = "/tcp-denied"
component = "tcp-denied"
[component.tcp-denied]
source = "tcp-sockets.wasm"
allowed_outbound_hosts = ["*://127.0.0.2:5001"]
"""


def setup():
    work = tempfile.mkdtemp(prefix="integ-world-")
    c = Containerd(shim_dir=SHIM_DIR)
    c.__enter__()
    ctx = {"c": c, "work": work}
    try:
        root = os.path.join(work, "image")
        os.makedirs(root)
        for name in ("variables", "key-value", "tcp-sockets"):
            shutil.copy(os.path.join(REAL, f"gh-spin-hist-test-{name}.spin2rc.core.wasm"),
                        os.path.join(root, f"{name}.wasm"))
        with open(os.path.join(root, "spin.toml"), "w") as f:
            f.write(MANIFEST)
        tar = root + ".tar"
        ctx["image"] = images.mkimage(root, "localhost/spin-world-modules:test", tar,
                                      entrypoint='["/"]', arch="wasm", os_="wasip1")
        c.import_image(tar)
    except BaseException:
        teardown(ctx)
        raise
    return ctx


def teardown(ctx):
    ctx["c"].__exit__(None, None, None)
    shutil.rmtree(ctx["work"], ignore_errors=True)


def test_spin_sdk_modules_answer_through_the_shim(ctx):
    with SpinTask(ctx, "world-modules", image=ctx["image"]) as t:
        status, body = t.request("GET", "/variables")
        assert (status, body) == (200, b""), (status, body, t.output())
        status, body = t.request("GET", "/key-value")
        assert (status, body) == (200, b""), (status, body, t.output())
        status, body = t.request("GET", "/wrong")
        assert status == 500 and b'Ok("not the value")' in body, (status, body)
        with EchoServer() as echo:
            status, body = t.request("GET", "/tcp")
            assert (status, body) == (200, b""), (status, body, t.output())
            status, body = t.request("GET", "/tcp-denied")
            assert status == 500 and b"access-denied" in body, (status, body)
            assert echo.accepted == 1, echo.accepted


if __name__ == "__main__":
    run_tests(globals(), setup, teardown)
