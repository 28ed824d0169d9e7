"""test_oci_artifact_up.py - a Spin app as an OCI artifact, without
containerd: tools/spin-oci-pack writes the layout, oci_install_layout (the
install half, src/oci) writes the layers into an empty "rootfs" directory,
and `containerd-shim-spin-v2 up --from <rootfs>/spin.json` runs the locked
app from there (src/spin's locked_app_path) and answers HTTP: a wasi:http
component, a static file from a data layer, one from an archive layer, an
inline one.  Then what loading refuses: a missing layer (named), paths that
could leave the file tree, dependencies, a legacy (pre-2.0) layout.
"""
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixture"))
sys.path.insert(0, os.path.join(HERE, "..", "spin"))
from harness import run_tests  # noqa: E402
from test_up import SHIM, Up, up_fails  # noqa: E402

BUILD = os.environ["BUILD_DIR"]
WASM_DIR = os.environ["WASM_DIR"]
PACK = os.path.join(os.environ["SOURCE_DIR"], "tools", "spin-oci-pack")
INSTALL = os.path.join(BUILD, "tests", "oci", "oci_install_layout")

BIG = "".join(f"line {i} of a file larger than 128 bytes\n" for i in range(20))
DEEP = "deep file in a sub-directory, " * 10 + "\n"
SMALL = "small enough to be inline\n"

MANIFEST = """spin_manifest_version = 2
[application]
name = "artifact-test"
version = "1.2.3"
[variables]
who = { default = "world" }
[[trigger.http]]
route = "/static/..."
component = "web"
executor = { type = "wagi" }
[[trigger.http]]
route = "/component/..."
component = "hello"
[component.web]
source = "spin-static.wasm"
files = [{ source = "assets", destination = "/" }]
[component.web.variables]
who = "{{ who }}"
[component.hello]
source = "http-hello.wasm"
"""


def make_app(tmp):
    app = os.path.join(tmp, "app")
    os.makedirs(os.path.join(app, "assets", "sub"))
    for name in ("spin-static.wasm", "http-hello.wasm"):
        shutil.copy(os.path.join(WASM_DIR, name), app)
    for rel, text in (("big.txt", BIG), ("small.txt", SMALL), ("sub/deep.txt", DEEP)):
        with open(os.path.join(app, "assets", rel), "w") as f:
            f.write(text)
    with open(os.path.join(app, "spin.toml"), "w") as f:
        f.write(MANIFEST)
    return app


def pack(tmp, *args):
    out = os.path.join(tmp, "image.tar")
    subprocess.run([sys.executable, PACK, "--name", "docker.io/test/artifact:v1", "-o", out]
                   + list(args), check=True)
    layout = os.path.join(tmp, "layout")
    shutil.rmtree(layout, ignore_errors=True)
    with tarfile.open(out) as t:
        t.extractall(layout)
    return layout


def manifest_of(layout):
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    with open(os.path.join(layout, "blobs", "sha256", index["manifests"][0]["digest"][7:])) as f:
        return json.load(f)


def install(layout, tmp):
    """Installs the manifest's layers (what fetch hands over) into a fresh
    rootfs; returns (rootfs, completed process)."""
    rootfs = os.path.join(tmp, "rootfs")
    shutil.rmtree(rootfs, ignore_errors=True)
    os.mkdir(rootfs)
    args = [INSTALL, rootfs]
    for layer in manifest_of(layout)["layers"]:
        args += [layer["mediaType"], layer["digest"],
                 os.path.join(layout, "blobs", "sha256", layer["digest"][7:])]
    return rootfs, subprocess.run(args, capture_output=True, text=True)


def installed(tmp, *pack_args):
    app = make_app(tmp)
    layout = pack(tmp, "--app", app, *pack_args)
    rootfs, r = install(layout, tmp)
    assert r.returncode == 0, r.stderr
    return rootfs, manifest_of(layout)


def check_serves(rootfs, env=None):
    with Up(app=os.path.join(rootfs, "spin.json"), env=env) as up:
        status, _, body = up.request("GET", "/component/x")
        assert status == 200 and body.startswith(b"Hello from a wasi:http component"), body
        for rel, text in (("big.txt", BIG), ("small.txt", SMALL), ("sub/deep.txt", DEEP)):
            status, _, body = up.request("GET", "/static/" + rel)
            assert (status, body.decode()) == (200, text), (rel, status, body)
        assert up.stop() == 0


def edit_locked(rootfs, edit):
    path = os.path.join(rootfs, "spin.json")
    with open(path) as f:
        app = json.load(f)
    edit(app)
    with open(path, "w") as f:
        json.dump(app, f)
    return path


# ---- tests ---------------------------------------------------------------


def test_data_layers_without_manifest_media_type():
    with tempfile.TemporaryDirectory() as tmp:
        rootfs, manifest = installed(tmp)
        assert "mediaType" not in manifest
        data = [l for l in manifest["layers"] if l["mediaType"].endswith("+data")]
        assert len(data) == 2, manifest  # big.txt and sub/deep.txt; small.txt is inline
        for layer in data:
            assert os.path.isfile(os.path.join(rootfs, ".cache/registry/data", layer["digest"]))
        check_serves(rootfs)


def test_archive_layer_with_manifest_media_type():
    with tempfile.TemporaryDirectory() as tmp:
        rootfs, manifest = installed(tmp, "--archive", "--manifest-media-type")
        assert manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
        kinds = [l["mediaType"].rsplit(".", 1)[-1] for l in manifest["layers"]]
        assert "tar+gzip" in kinds and "v1+data" not in kinds, kinds
        check_serves(rootfs)


def test_retain_and_variables_apply_as_for_spin_toml():
    with tempfile.TemporaryDirectory() as tmp:
        rootfs, _ = installed(tmp)
        with Up(app=os.path.join(rootfs, "spin.json"),
                env={"SPIN_COMPONENTS_TO_RETAIN": "hello"}) as up:
            assert up.request("GET", "/component/x")[0] == 200
            assert up.request("GET", "/static/big.txt")[0] == 404
        err = up_fails(app=os.path.join(rootfs, "spin.json"),
                       env={"SPIN_COMPONENTS_TO_RETAIN": "nope"})
        assert 'Specified component "nope" not found' in err, err


def test_wkg_single_layer():
    with tempfile.TemporaryDirectory() as tmp:
        layout = pack(tmp, "--wkg", os.path.join(WASM_DIR, "http-hello.wasm"))
        rootfs, r = install(layout, tmp)
        assert r.returncode == 0, r.stderr
        with Up(app=os.path.join(rootfs, "spin.json")) as up:
            status, _, body = up.request("GET", "/any/path")
            assert status == 200 and b"path: /any/path" in body, body


def test_missing_layer_is_named():
    with tempfile.TemporaryDirectory() as tmp:
        rootfs, manifest = installed(tmp)
        data = [l for l in manifest["layers"] if l["mediaType"].endswith("+data")][0]
        os.unlink(os.path.join(rootfs, ".cache/registry/data", data["digest"]))
        err = up_fails(app=os.path.join(rootfs, "spin.json"))
        assert "component 'web'" in err and f"its content {data['digest']} is not in the " \
            "artifact" in err, err
        wasm = [l for l in manifest["layers"] if l["mediaType"].endswith("+wasm")][1]
        os.unlink(os.path.join(rootfs, ".cache/registry/wasm", wasm["digest"]))
        err = up_fails(app=os.path.join(rootfs, "spin.json"), env={
            "SPIN_COMPONENTS_TO_RETAIN": "hello"})
        assert f"component 'hello': its source {wasm['digest']} is not in the artifact" in err, \
            err


def test_paths_that_leave_the_tree_are_refused():
    with tempfile.TemporaryDirectory() as tmp:
        rootfs, _ = installed(tmp)
        for path, why in (("/etc/passwd", "must be relative"), ("a/./b", "must be relative"),
                          ("a//b", "must be relative"), ("../x", "has a '..' component")):
            def edit(app, path=path):
                app["components"][0]["files"][0]["path"] = path
            edit_locked(rootfs, edit)
            err = up_fails(app=os.path.join(rootfs, "spin.json"))
            assert why in err and ("component 'web'" in err or "components[0]" in err), \
                (path, err)


def test_dependencies_not_supported_yet():
    with tempfile.TemporaryDirectory() as tmp:
        rootfs, _ = installed(tmp)
        dep = {"source": {"content_type": "application/wasm",
                          "digest": "sha256:" + "0" * 64}}

        def edit(app):
            app["components"][1]["dependencies"] = {"a:b/c@1.0.0": dep}
        edit_locked(rootfs, edit)
        err = up_fails(app=os.path.join(rootfs, "spin.json"))
        assert "component 'hello': component dependencies are not supported yet" in err, err


def test_legacy_layout_has_no_locked_app_layer():
    """The pre-2.0 format keeps the locked app as the config: fetch refuses
    it (s6-grpc); given its layers, install finds no locked app and writes
    nothing."""
    with tempfile.TemporaryDirectory() as tmp:
        layout = pack(tmp, "--app", make_app(tmp), "--legacy")
        manifest = manifest_of(layout)
        assert manifest["config"]["mediaType"] == \
            "application/vnd.fermyon.spin.application.v1+config"
        rootfs, r = install(layout, tmp)
        assert r.returncode == 1 and "no locked-app layer" in r.stderr, r.stderr
        assert os.listdir(rootfs) == []


if __name__ == "__main__":
    assert os.path.exists(SHIM)
    run_tests(globals())
