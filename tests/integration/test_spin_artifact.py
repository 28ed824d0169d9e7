"""test_spin_artifact.py - Spin apps published as OCI artifacts, run by our
shim under real containerd (root).

The artifacts are what `spin registry push` publishes, made from a
spin.toml app by tools/spin-oci-pack.  This machine's containerd (1.6.20)
cannot unpack artifacts or create containers from them (fixed in 1.6.25 and
1.7.7), so the test does what a fixed containerd's client does, by hand:
`ctr image import --no-unpack`, `ctr snapshots prepare <id>` (an empty
snapshot: an artifact has no rootfs layers), Containers.Create with the
image name and runtime io.containerd.spin.v2 through our own gRPC client
(tests/oci/oci_create_container), then `ctr task start`.  containerd then
starts our shim with an empty rootfs; at Task.Create the shim fetches the
layers from containerd's content store over gRPC and installs them, and
the Spin host serves the app: a wasi:http component, a static file from a
data layer (or from an archive layer), an inline one.  A layer broken in
the store fails Task.Create with an error naming it.
"""
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixture"))
from containerd_fixture import Containerd  # noqa: E402
from harness import free_port, run_tests  # noqa: E402
import images  # noqa: E402

RUNTIME = "io.containerd.spin.v2"
SHIM_DIR = os.environ["SHIM_BIN_DIR"]
WASM_DIR = os.environ["WASM_DIR"]
BUILD = os.environ["BUILD_DIR"]
PACK = os.path.join(os.environ["SOURCE_DIR"], "tools", "spin-oci-pack")
CREATE = os.path.join(BUILD, "tests", "oci", "oci_create_container")

BIG = "".join(f"line {i} of a file larger than 128 bytes\n" for i in range(20))
DEEP = "deep file in a sub-directory, " * 10 + "\n"
SMALL = "small enough to be inline\n"

MANIFEST = """spin_manifest_version = 2
[application]
name = "artifact-e2e"
version = "1.0.0"
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
[component.hello]
source = "http-hello.wasm"
"""


def make_app(work, name="app", big=BIG):
    app = os.path.join(work, name)
    os.makedirs(os.path.join(app, "assets", "sub"))
    for name in ("spin-static.wasm", "http-hello.wasm"):
        shutil.copy(os.path.join(WASM_DIR, name), app)
    for rel, text in (("big.txt", big), ("small.txt", SMALL), ("sub/deep.txt", DEEP)):
        with open(os.path.join(app, "assets", rel), "w") as f:
            f.write(text)
    with open(os.path.join(app, "spin.toml"), "w") as f:
        f.write(MANIFEST)
    return app


def pack_and_import(ctx, name, *args, app=None):
    out = os.path.join(ctx["work"], name.rsplit("/", 1)[1].replace(":", "_") + ".tar")
    subprocess.run([sys.executable, PACK, "--app", app or ctx["app"], "--name", name, "-o", out]
                   + list(args), check=True)
    ctx["c"].ctr("image", "import", "--no-unpack", out)
    with tarfile_open(out) as t:
        index = json.load(t.extractfile("index.json"))
        digest = index["manifests"][0]["digest"]
        manifest = json.load(t.extractfile("blobs/sha256/" + digest[7:]))
    return manifest


def tarfile_open(path):
    import tarfile
    return tarfile.open(path)


def spec_for(ctx, cid, port, args):
    """ctr's default spec, made to run our Spin host on the host network."""
    spec = json.loads(subprocess.run(["ctr", "oci", "spec"], capture_output=True, text=True,
                                     check=True).stdout)
    spec["process"]["args"] = list(args)
    spec["process"]["env"] = ["PATH=/usr/bin:/bin", f"SPIN_HTTP_LISTEN_ADDR=127.0.0.1:{port}"]
    spec["hostname"] = cid
    linux = spec["linux"]
    linux["namespaces"] = [n for n in linux["namespaces"] if n["type"] != "network"]
    linux.pop("resources", None)
    linux["cgroupsPath"] = f"/{ctx['c'].namespace}/{cid}"
    path = os.path.join(ctx["work"], cid + ".json")
    with open(path, "w") as f:
        json.dump(spec, f)
    return path


def create_container(ctx, cid, image, port, args=("/",)):
    c = ctx["c"]
    c.ctr("snapshots", "prepare", cid)
    spec = spec_for(ctx, cid, port, args)
    subprocess.run([CREATE, c.address, c.namespace, cid, image, RUNTIME, spec, "overlayfs", cid],
                   check=True, capture_output=True, timeout=30)


def start_task(ctx, cid):
    log = os.path.join(ctx["work"], cid + ".log")
    r = ctx["c"].ctr("task", "start", "-d", "--log-uri", "file://" + log, cid, check=False,
                     timeout=120)
    return r, log


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def wait_http(port, log, deadline=60):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            return get(port, "/component/ready")
        except OSError:
            time.sleep(0.1)
    with open(log, errors="replace") as f:
        raise AssertionError(f"the app never answered on {port}; container log:\n{f.read()}")


def stop(ctx, cid):
    c = ctx["c"]
    c.ctr("task", "kill", "-s", "SIGKILL", cid, check=False, timeout=30)
    for _ in range(100):
        if c.ctr("task", "rm", "-f", cid, check=False, timeout=30).returncode == 0:
            break
        time.sleep(0.1)
    c.ctr("containers", "rm", cid, check=False, timeout=30)
    c.ctr("snapshots", "rm", cid, check=False, timeout=30)


def serves_the_app(ctx, cid, image):
    port = free_port()
    create_container(ctx, cid, image, port)
    try:
        r, log = start_task(ctx, cid)
        assert r.returncode == 0, r.stderr
        status, body = wait_http(port, log)
        assert status == 200 and body.startswith(b"Hello from a wasi:http component"), body
        for rel, text in (("big.txt", BIG), ("small.txt", SMALL), ("sub/deep.txt", DEEP)):
            status, body = get(port, "/static/" + rel)
            assert (status, body.decode()) == (200, text), (rel, status, body)
    finally:
        stop(ctx, cid)


def blob_path(ctx, digest):
    return os.path.join(ctx["c"].root, "io.containerd.content.v1.content", "blobs", "sha256",
                        digest[7:])


def setup():
    work = tempfile.mkdtemp(prefix="spin-artifact-")
    c = Containerd(shim_dir=SHIM_DIR)
    c.__enter__()
    ctx = {"c": c, "work": work}
    ctx["app"] = make_app(work)
    ctx["data"] = pack_and_import(ctx, "docker.io/test/spin-artifact:data")
    ctx["archive"] = pack_and_import(ctx, "docker.io/test/spin-artifact:archive", "--archive",
                                     "--manifest-media-type")
    return ctx


def teardown(ctx):
    ctx["c"].__exit__(None, None, None)
    subprocess.run(["rm", "-rf", ctx["work"]])


def test_data_layers(ctx):
    m = ctx["data"]
    assert "mediaType" not in m
    assert any(layer["mediaType"].endswith("+data") for layer in m["layers"])
    serves_the_app(ctx, "art-data", "docker.io/test/spin-artifact:data")


def test_archive_layer(ctx):
    kinds = [layer["mediaType"] for layer in ctx["archive"]["layers"]]
    assert "application/vnd.wasm.content.bundle.v1.tar+gzip" in kinds, kinds
    serves_the_app(ctx, "art-archive", "docker.io/test/spin-artifact:archive")


def test_broken_layer_fails_task_create(ctx):
    """A data layer changed in the store: Task.Create fails naming it, and
    no task is left behind."""
    # an app of its own, so that no other image shares the blob changed
    app = make_app(ctx["work"], "broken-app", BIG.replace("line", "row"))
    manifest = pack_and_import(ctx, "docker.io/test/spin-artifact:broken", app=app)
    data = [layer for layer in manifest["layers"] if layer["mediaType"].endswith("+data")
            and layer["size"] == len(BIG.replace("line", "row"))][0]
    path = blob_path(ctx, data["digest"])
    os.chmod(path, 0o644)
    with open(path, "r+b") as f:
        f.write(b"X")
    cid = "art-broken"
    create_container(ctx, cid, "docker.io/test/spin-artifact:broken", free_port())
    try:
        r, _ = start_task(ctx, cid)
        assert r.returncode != 0
        assert data["digest"] in r.stderr and "digest mismatch" in r.stderr, r.stderr
        assert cid not in ctx["c"].ctr("task", "ls", "-q").stdout.split()
    finally:
        stop(ctx, cid)


def test_empty_rootfs_of_an_ordinary_image_takes_the_rootfs_path(ctx):
    """An empty rootfs whose image is not an artifact (busybox, amd64): the
    fetch says so and Create goes on as for any image, failing here on the
    missing program, not on anything about artifacts."""
    tar, name = images.busybox_image(ctx["work"])
    ctx["c"].ctr("image", "import", tar)
    cid = "not-art"
    create_container(ctx, cid, name, free_port(), args=("/bin/sh",))
    try:
        r, _ = start_task(ctx, cid)
        assert r.returncode != 0
        assert "/bin/sh: No such file or directory" in r.stderr, r.stderr
        assert "artifact" not in r.stderr and "sha256" not in r.stderr, r.stderr
    finally:
        stop(ctx, cid)


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("skipped: needs root for containerd\n0 passed, 0 failed")
        sys.exit(0)
    run_tests(globals(), setup, teardown)
