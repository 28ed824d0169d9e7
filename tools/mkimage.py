#!/usr/bin/env python3
"""mkimage.py - turn a directory into an OCI image-layout tarball.

No registry is reachable from our build and test machines, so images for
tests and examples are made here and loaded with `ctr image import`.  The
image has exactly one uncompressed layer holding DIR, and a config carrying
Entrypoint, Cmd, Env and WorkingDir, like a `FROM scratch` Dockerfile.

The output is reproducible: file order, timestamps and ownership inside the
layer are fixed, so the same directory always gives the same digests.

    mkimage.py --dir ROOTFS --name example.com/app:v1 \
        [--entrypoint '["/"]'] [--cmd '["a","b"]'] [--env K=V]... \
        [--workdir /] [--arch amd64] [--os linux] -o app.tar
"""
import argparse
import hashlib
import io
import json
import os
import stat
import sys
import tarfile

LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar"
CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json"
MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json"


def layer_from_dir(root):
    """Returns the bytes of a deterministic tar of everything under root."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames.sort()
            entries = sorted(dirnames + filenames)
            for name in entries:
                path = os.path.join(dirpath, name)
                arcname = os.path.relpath(path, root)
                info = tar.gettarinfo(path, arcname)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mtime = 0
                if info.isfile():
                    with open(path, "rb") as f:
                        tar.addfile(info, f)
                else:
                    tar.addfile(info)
    return buf.getvalue()


def blob(data):
    return "sha256:" + hashlib.sha256(data).hexdigest(), data


def json_bytes(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def normalise_name(name):
    """ctr expects a full reference: add docker.io/library/ and :latest as docker does."""
    if ":" not in name.rsplit("/", 1)[-1]:
        name += ":latest"
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = "docker.io/library/" + name
    elif "." not in first and ":" not in first and first != "localhost":
        name = "docker.io/" + name
    return name


def build_image(args):
    if not os.path.isdir(args.dir):
        raise SystemExit(f"mkimage: --dir {args.dir}: not a directory")
    for opt in ("entrypoint", "cmd"):
        value = getattr(args, opt)
        if value is not None:
            parsed = json.loads(value)
            if not isinstance(parsed, list) or not all(isinstance(s, str) for s in parsed):
                raise SystemExit(f"mkimage: --{opt} must be a JSON array of strings")
            setattr(args, opt, parsed)

    layer_digest, layer = blob(layer_from_dir(args.dir))
    container_config = {"Env": args.env or [], "WorkingDir": args.workdir}
    if args.entrypoint is not None:
        container_config["Entrypoint"] = args.entrypoint
    if args.cmd is not None:
        container_config["Cmd"] = args.cmd
    config = {
        "architecture": args.arch,
        "os": args.os,
        "config": container_config,
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
        "history": [{"created_by": "mkimage.py", "empty_layer": False}],
    }
    config_digest, config_bytes = blob(json_bytes(config))
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": {"mediaType": CONFIG_MEDIA_TYPE, "digest": config_digest,
                   "size": len(config_bytes)},
        "layers": [{"mediaType": LAYER_MEDIA_TYPE, "digest": layer_digest,
                    "size": len(layer)}],
    }
    manifest_digest, manifest_bytes = blob(json_bytes(manifest))
    full_name = normalise_name(args.name)
    index = {
        "schemaVersion": 2,
        "mediaType": INDEX_MEDIA_TYPE,
        "manifests": [{
            "mediaType": MANIFEST_MEDIA_TYPE,
            "digest": manifest_digest,
            "size": len(manifest_bytes),
            "annotations": {
                "io.containerd.image.name": full_name,
                "org.opencontainers.image.ref.name": full_name.rsplit(":", 1)[1],
            },
        }],
    }
    files = [
        ("oci-layout", json_bytes({"imageLayoutVersion": "1.0.0"})),
        ("index.json", json_bytes(index)),
    ]
    for digest, data in ((layer_digest, layer), (config_digest, config_bytes),
                         (manifest_digest, manifest_bytes)):
        files.append(("blobs/sha256/" + digest.split(":", 1)[1], data))

    with tarfile.open(args.output, "w", format=tarfile.PAX_FORMAT) as out:
        for d in ("blobs", "blobs/sha256"):
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            out.addfile(info)
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            out.addfile(info, io.BytesIO(data))
    return full_name


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dir", required=True, help="directory that becomes the image's only layer")
    p.add_argument("--name", required=True, help="image reference, e.g. example.com/app:v1")
    p.add_argument("--entrypoint", help="JSON array")
    p.add_argument("--cmd", help="JSON array")
    p.add_argument("--env", action="append", help="K=V, repeatable")
    p.add_argument("--workdir", default="/")
    p.add_argument("--arch", default="amd64")
    p.add_argument("--os", default="linux")
    p.add_argument("-o", "--output", required=True)
    args = p.parse_args(argv)
    for kv in args.env or []:
        if "=" not in kv:
            raise SystemExit(f"mkimage: --env {kv}: expected K=V")
    name = build_image(args)
    print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
