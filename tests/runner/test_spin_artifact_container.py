"""test_spin_artifact_container.py - the runner's spin handler on an
installed artifact inside a real container (containerd + our shim).

The fetch half (gRPC, s6-grpc) is not needed to see the container side:
the rootfs an artifact's install leaves (/spin.json and /.cache/registry,
written here by oci_install_layout from a tools/spin-oci-pack layout) is
packed as an ordinary image with NO entrypoint and run with the args the
reference's users pass: `bogus-arg` (containerd-shim-spin's conformance
harness) and "/" (Kubernetes' command).  The handler must claim it by
/spin.json and serve it: a wasi:http component, files from data layers and
inline, and SPIN_COMPONENTS_TO_RETAIN from the container env.
"""
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
for d in ("fixture", "integration", "oci"):
    sys.path.insert(0, os.path.join(HERE, "..", d))
from containerd_fixture import Containerd  # noqa: E402
from harness import run_tests  # noqa: E402
import images  # noqa: E402
from test_oci_artifact_up import BIG, SMALL, DEEP, install, make_app, pack  # noqa: E402
from test_spin_containerd import SHIM_DIR, SpinTask  # noqa: E402


def setup():
    work = tempfile.mkdtemp(prefix="runner-artifact-")
    c = Containerd(shim_dir=SHIM_DIR)
    c.__enter__()
    ctx = {"c": c, "work": work}
    try:
        layout = pack(work, "--app", make_app(work))
        rootfs, r = install(layout, work)
        assert r.returncode == 0, r.stderr
        tar = os.path.join(work, "installed.tar")
        ctx["app"] = images.mkimage(rootfs, "localhost/installed-artifact:test", tar,
                                    arch="wasm", os_="wasip1")
        c.import_image(tar)
    except BaseException:
        teardown(ctx)
        raise
    return ctx


def teardown(ctx):
    ctx["c"].__exit__(None, None, None)
    shutil.rmtree(ctx["work"], ignore_errors=True)


class ArtifactTask(SpinTask):
    """SpinTask with process args after the container id (the image has no
    entrypoint, as an artifact has none)."""

    def __init__(self, ctx, cid, args, env=()):
        c = ctx["c"]
        real_popen = c.ctr_popen

        def popen_with_args(*ctr_args, **kw):
            return real_popen(*ctr_args, *args, **kw)
        c.ctr_popen = popen_with_args
        try:
            super().__init__(ctx, cid, env=env)
        finally:
            c.ctr_popen = real_popen


def check_serves(t):
    status, body = t.request("GET", "/component/in-a-container")
    assert status == 200 and b"path: /component/in-a-container" in body, (status, body,
                                                                         t.output())
    for rel, text in (("big.txt", BIG), ("small.txt", SMALL), ("sub/deep.txt", DEEP)):
        status, body = t.request("GET", "/static/" + rel)
        assert (status, body.decode()) == (200, text), (rel, status, body, t.output())


def test_bogus_arg_runs_the_installed_artifact(ctx):
    with ArtifactTask(ctx, "art-bogus", ["bogus-arg"]) as t:
        check_serves(t)


def test_kubernetes_command_runs_it_too(ctx):
    with ArtifactTask(ctx, "art-root", ["/"], env=("SPIN_COMPONENTS_TO_RETAIN=hello",)) as t:
        assert t.request("GET", "/component/x")[0] == 200
        assert t.request("GET", "/static/big.txt")[0] == 404


if __name__ == "__main__":
    run_tests(globals(), setup, teardown)
