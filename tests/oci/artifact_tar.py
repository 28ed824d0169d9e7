"""artifact_tar.py - OCI image layout tarballs shaped like Spin artifacts,
for the fetch tests (`ctr image import --no-unpack` reads them).

Not the artifact builder of tools/ (that one turns a spin.toml app into
what `spin registry push` publishes): here each test names its layers and
config bytes directly, so it can also build the odd shapes the fetch must
refuse or skip (pre-2.0 config, two wkg layers, no Spin layer).
"""
import hashlib
import io
import json
import tarfile

WASM = "application/vnd.wasm.content.layer.v1+wasm"
DATA = "application/vnd.wasm.content.layer.v1+data"
ARCHIVE = "application/vnd.wasm.content.bundle.v1.tar+gzip"
LOCKED = "application/vnd.fermyon.spin.application.v1+config"
WKG = "application/wasm"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def compact(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def wasm_config(locked_digest=None, arch="wasm"):
    cfg = {"architecture": arch, "os": "wasip1", "rootfs": {"type": "layers", "diff_ids": []}}
    if locked_digest:
        cfg["config"] = {"Labels": {"com.fermyon.spin.lockedAppDigest": locked_digest}}
    return compact(cfg)


def build(out, name, layers, config, config_media_type=OCI_CONFIG, manifest_media_type=None):
    """Writes the layout to `out`; layers = [(media_type, bytes)], config =
    bytes.  Returns {"manifest": digest, "config": digest, "layers":
    [digest...]}.  manifest_media_type None leaves mediaType out of the
    manifest JSON, as `spin registry push` does."""
    blobs = {}

    def blob(b):
        d = digest(b)
        blobs[d] = b
        return d

    layer_descs = [{"mediaType": mt, "digest": blob(b), "size": len(b)} for mt, b in layers]
    manifest = {"schemaVersion": 2}
    if manifest_media_type:
        manifest["mediaType"] = manifest_media_type
    manifest["config"] = {"mediaType": config_media_type, "digest": blob(config),
                          "size": len(config)}
    manifest["layers"] = layer_descs
    mb = compact(manifest)
    md = blob(mb)
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType": OCI_MANIFEST, "digest": md, "size": len(mb),
                            "annotations": {"io.containerd.image.name": name,
                                            "org.opencontainers.image.ref.name":
                                                name.rsplit(":", 1)[1]}}]}

    def add(t, path, data):
        info = tarfile.TarInfo(path)
        info.size = len(data)
        info.mode = 0o444
        t.addfile(info, io.BytesIO(data))

    with tarfile.open(out, "w") as t:
        add(t, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add(t, "index.json", compact(index))
        for d, b in blobs.items():
            add(t, "blobs/sha256/" + d[7:], b)
    return {"manifest": md, "config": digest(config), "layers": [d["digest"] for d in layer_descs]}
