"""test_spin_oci_pack.py - tools/spin-oci-pack writes the OCI layout
`spin registry push` writes (../shared/notes/spin-artifacts-and-host-apis.md
A.1-A.3): every blob named by its digest, index.json naming the image,
the config, the layer order and media types, inline content up to 128
bytes, de-duplicated wasm layers, the locked app last, and the archive,
legacy and wkg variants.  No Wasm runs here: the "wasm" files are bytes.
"""
import base64
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixture"))
from harness import run_tests  # noqa: E402

PACK = os.path.join(os.environ.get("SOURCE_DIR", os.path.join(HERE, "..", "..")), "tools",
                    "spin-oci-pack")
NAME = "docker.io/test/pack:v2"

MANIFEST = """spin_manifest_version = 2
[application]
name = "pack-test"
version = "0.3.0"
description = "a test app"
authors = ["A <a@example.com>"]
[application.trigger.http]
base = "/"
[variables]
token = { required = true, secret = true }
[[trigger.http]]
route = "/a/..."
component = "a"
[[trigger.http]]
id = "named"
route = "/b"
component = "b"
executor = { type = "wagi" }
[[trigger.http]]
route = "/inline"
component = { source = "a.wasm" }
[component.a]
source = "a.wasm"
description = "first"
allowed_outbound_hosts = ["https://example.com", "http://b.spin.internal"]
key_value_stores = ["default"]
environment = { Z = "1", A = "2" }
files = [{ source = "www", destination = "/" }, "top.txt"]
exclude_files = ["www/skip.txt"]
[component.a.variables]
token = "{{ token }}"
[component.b]
source = "b.wasm"
sqlite_databases = ["default"]
files = [{ source = "www/exact128.bin", destination = "/one/file.bin" }]
"""

FILES = {
    "a.wasm": b"\0asm\1\0\0\0" + b"A" * 200,
    "b.wasm": b"\0asm\1\0\0\0",  # 8 bytes: inline and still a layer
    "www/exact128.bin": b"x" * 128,  # inline, no layer
    "www/big129.bin": b"y" * 129,  # its own data layer
    "www/skip.txt": b"excluded\n",
    "www/sub/deep.txt": b"z" * 300,
    "top.txt": b"top\n",
}


def make_app(tmp):
    app = os.path.join(tmp, "app")
    for rel, data in FILES.items():
        os.makedirs(os.path.dirname(os.path.join(app, rel)), exist_ok=True)
        with open(os.path.join(app, rel), "wb") as f:
            f.write(data)
    with open(os.path.join(app, "spin.toml"), "w") as f:
        f.write(MANIFEST)
    return app


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Layout:
    """The tarball read back, every blob checked against its name."""

    def __init__(self, path):
        self.files = {}
        with tarfile.open(path) as t:
            for m in t.getmembers():
                if m.isfile():
                    self.files[m.name] = t.extractfile(m).read()
        for name, data in self.files.items():
            if name.startswith("blobs/sha256/"):
                assert sha(data) == "sha256:" + name.rsplit("/", 1)[1], name
        assert json.loads(self.files["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
        self.index = json.loads(self.files["index.json"])
        desc = self.index["manifests"][0]
        self.manifest_bytes = self.blob(desc["digest"])
        assert desc["size"] == len(self.manifest_bytes)
        self.manifest = json.loads(self.manifest_bytes)
        self.config = self.blob(self.manifest["config"]["digest"])
        for d in [self.manifest["config"]] + self.manifest["layers"]:
            assert d["size"] == len(self.blob(d["digest"])), d

    def blob(self, digest):
        return self.files["blobs/sha256/" + digest[7:]]

    def media(self):
        return [l["mediaType"] for l in self.manifest["layers"]]


def pack(tmp, *args):
    out = os.path.join(tmp, "out.tar")
    r = subprocess.run([sys.executable, PACK, "--name", NAME, "-o", out] + list(args),
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return Layout(out)


def test_index_config_and_manifest():
    with tempfile.TemporaryDirectory() as tmp:
        lay = pack(tmp, "--app", make_app(tmp))
        desc = lay.index["manifests"][0]
        assert desc["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
        assert desc["annotations"] == {"io.containerd.image.name": NAME,
                                       "org.opencontainers.image.ref.name": "v2"}
        m = lay.manifest
        assert list(m) == ["schemaVersion", "config", "layers", "annotations"], list(m)
        assert m["schemaVersion"] == 2 and "mediaType" not in m
        assert m["config"]["mediaType"] == "application/vnd.oci.image.config.v1+json"
        locked_desc = m["layers"][-1]
        assert locked_desc["mediaType"] == "application/vnd.fermyon.spin.application.v1+config"
        assert json.loads(lay.config) == {
            "architecture": "wasm", "os": "wasip1",
            "config": {"Labels": {"com.fermyon.spin.lockedAppDigest": locked_desc["digest"]}},
            "rootfs": {"type": "layers", "diff_ids": []}}
        assert m["annotations"] == {"org.opencontainers.image.title": "pack-test",
                                    "org.opencontainers.image.version": "0.3.0",
                                    "org.opencontainers.image.description": "a test app",
                                    "org.opencontainers.image.authors": "A <a@example.com>"}
        with_type = pack(tmp, "--app", make_app(tmp + "/2"), "--manifest-media-type").manifest
        assert with_type["mediaType"] == "application/vnd.oci.image.manifest.v1+json"


def test_layers_inline_and_dedup():
    with tempfile.TemporaryDirectory() as tmp:
        lay = pack(tmp, "--app", make_app(tmp))
        wasm = "application/vnd.wasm.content.layer.v1+wasm"
        data = "application/vnd.wasm.content.layer.v1+data"
        # a (its wasm, then its data files > 128 bytes: big129, sub/deep),
        # b (its tiny wasm; its 128-byte file is inline only); the inline
        # trigger component's a.wasm is the same layer as a's: once.
        assert lay.media()[:-1] == [wasm, data, data, wasm], lay.media()
        digests = [l["digest"] for l in lay.manifest["layers"]]
        assert digests[:4] == [sha(FILES["a.wasm"]), sha(FILES["www/big129.bin"]),
                               sha(FILES["www/sub/deep.txt"]), sha(FILES["b.wasm"])]


def test_locked_app():
    with tempfile.TemporaryDirectory() as tmp:
        lay = pack(tmp, "--app", make_app(tmp))
        raw = lay.blob(lay.manifest["layers"][-1]["digest"])
        assert b"\n" not in raw and b": " not in raw  # compact, as serde_json writes it
        app = json.loads(raw)
        assert list(app) == ["spin_lock_version", "must_understand", "metadata", "variables",
                             "triggers", "components"], list(app)
        assert app["spin_lock_version"] == 1
        assert app["must_understand"] == ["component_host_requirements"]
        assert app["metadata"] == {"authors": ["A <a@example.com>"], "description": "a test app",
                                   "name": "pack-test", "trigger": {"base": "/", "type": "http"},
                                   "triggers": {"http": {"base": "/"}}, "version": "0.3.0"}
        assert app["variables"] == {"token": {"secret": True}}
        ids = [(t["id"], t["trigger_config"].get("component")) for t in app["triggers"]]
        assert ids == [("a-http-trigger", "a"), ("named", "b"),
                       ("http-trigger1", "http-trigger1-component")], ids
        assert app["triggers"][1]["trigger_config"] == {
            "component": "b", "executor": {"type": "wagi"}, "route": "/b"}
        comps = {c["id"]: c for c in app["components"]}
        assert list(comps) == ["a", "b", "http-trigger1-component"]
        a = comps["a"]
        assert a["source"] == {"content_type": "application/wasm", "digest": sha(FILES["a.wasm"])}
        assert a["metadata"]["allowed_outbound_hosts"] == ["https://example.com",
                                                           "http://b.spin.internal"]
        assert a["metadata"]["key_value_stores"] == ["default"]
        assert a["env"] == {"A": "2", "Z": "1"} and list(a["env"]) == ["A", "Z"]
        assert a["config"] == {"token": "{{ token }}"}
        assert a["host_requirements"] == {"local_service_chaining": "required"}
        files = {f["path"]: f for f in a["files"]}
        assert sorted(files) == ["big129.bin", "exact128.bin", "sub/deep.txt", "top.txt"]
        unpadded = base64.b64encode(b"x" * 128).decode().rstrip("=")
        assert files["exact128.bin"] == {"inline": unpadded, "digest": sha(b"x" * 128),
                                         "path": "exact128.bin"}
        assert files["big129.bin"] == {"digest": sha(b"y" * 129), "path": "big129.bin"}
        b = comps["b"]
        assert b["source"]["inline"] == base64.b64encode(FILES["b.wasm"]).decode().rstrip("=")
        assert b["metadata"]["databases"] == ["default"]
        assert [f["path"] for f in b["files"]] == ["one/file.bin"]


def test_archive_layers():
    with tempfile.TemporaryDirectory() as tmp:
        lay = pack(tmp, "--app", make_app(tmp), "--archive")
        arc = "application/vnd.wasm.content.bundle.v1.tar+gzip"
        wasm = "application/vnd.wasm.content.layer.v1+wasm"
        assert lay.media()[:-1] == [wasm, arc, wasm, arc], lay.media()
        tar = tarfile.open(fileobj=io.BytesIO(gzip.decompress(
            lay.blob(lay.manifest["layers"][1]["digest"]))))
        files = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
        assert files == {"./big129.bin": FILES["www/big129.bin"],
                         "./exact128.bin": FILES["www/exact128.bin"],
                         "./sub/deep.txt": FILES["www/sub/deep.txt"],
                         "./top.txt": FILES["top.txt"]}, sorted(files)
        app = json.loads(lay.blob(lay.manifest["layers"][-1]["digest"]))
        paths = [f["path"] for f in app["components"][0]["files"]]
        assert paths == ["big129.bin", "exact128.bin", "sub/deep.txt", "top.txt"]


def test_legacy_format():
    with tempfile.TemporaryDirectory() as tmp:
        lay = pack(tmp, "--app", make_app(tmp), "--legacy")
        m = lay.manifest
        assert m["config"]["mediaType"] == "application/vnd.fermyon.spin.application.v1+config"
        assert json.loads(lay.config)["components"][0]["id"] == "a"
        assert "application/vnd.fermyon.spin.application.v1+config" not in lay.media()


def test_wkg_package():
    with tempfile.TemporaryDirectory() as tmp:
        wasm = os.path.join(tmp, "x.wasm")
        with open(wasm, "wb") as f:
            f.write(FILES["a.wasm"])
        lay = pack(tmp, "--wkg", wasm)
        m = lay.manifest
        assert m["config"]["mediaType"] == "application/vnd.wasm.config.v0+json"
        assert lay.media() == ["application/wasm"]
        assert m["layers"][0]["digest"] == sha(FILES["a.wasm"])
        cfg = json.loads(lay.config)
        assert cfg["architecture"] == "wasm" and cfg["layerDigests"] == [sha(FILES["a.wasm"])]


def test_unsupported_input_is_named():
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(tmp)
        with open(os.path.join(app, "spin.toml"), "a") as f:
            f.write('[component.c]\nsource = { url = "https://x/c.wasm", digest = "sha256:0" }\n')
        r = subprocess.run([sys.executable, PACK, "--app", app, "--name", NAME, "-o",
                            os.path.join(tmp, "o.tar")], capture_output=True, text=True)
        assert r.returncode == 1 and "component c: only a local file source" in r.stderr, \
            r.stderr


if __name__ == "__main__":
    run_tests(globals())
