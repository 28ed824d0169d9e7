"""test_fake_server.py - the fetch's gRPC client against a fake containerd.

A real containerd answers only what a healthy store holds; this server
(python3-grpcio, raw bytes, messages encoded by hand with containerd's
field numbers) answers what a broken or hostile one could: error statuses
with percent-encoded messages in trailers-only answers, chunks out of
order, more bytes than a descriptor declares, a stream that fails half-way,
a layer that never finishes.  It also checks that every call carries the
`containerd-namespace` header.  oci_fetch_probe runs the fetch.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

try:
    import grpc
except ImportError:
    # Debian's grpcio lives in the system interpreter
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != \
            os.path.realpath("/usr/bin/python3") and not os.environ.get("OCI_TEST_REEXEC"):
        os.environ["OCI_TEST_REEXEC"] = "1"
        os.execv("/usr/bin/python3", ["/usr/bin/python3", "-u"] + sys.argv)
    raise
from concurrent import futures  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixture"))
from harness import run_tests  # noqa: E402

PROBE = os.path.join(os.environ["OCI_TOOLS_DIR"], "oci_fetch_probe")
NS = "fake-ns"
WASM = "application/vnd.wasm.content.layer.v1+wasm"
DATA = "application/vnd.wasm.content.layer.v1+data"
LOCKED = "application/vnd.fermyon.spin.application.v1+config"


# ---- protobuf by hand --------------------------------------------------------

def varint(n):
    out = b""
    while True:
        b, n = n & 0x7f, n >> 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field_bytes(num, data):
    if isinstance(data, str):
        data = data.encode()
    return varint(num << 3 | 2) + varint(len(data)) + data


def field_int(num, n):
    return varint(num << 3) + varint(n)


def first_string(msg):
    """Field 1 of a request (id, name or digest)."""
    assert msg[0] == 0x0a, msg
    n, i, shift = 0, 1, 0
    while True:
        b = msg[i]
        n |= (b & 0x7f) << shift
        i += 1
        shift += 7
        if not b & 0x80:
            break
    return msg[i:i + n].decode()


def digest(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


# ---- the fake store ------------------------------------------------------------

class Store:
    def __init__(self):
        self.blobs = {}
        self.images = {}      # name -> manifest digest
        self.containers = {}  # id -> image name
        self.read_hook = {}   # digest -> fn(blob, context) yielding responses

    def blob(self, b):
        d = digest(b)
        self.blobs[d] = b
        return d

    def add_app(self, cid, image, layers):
        cfg = json.dumps({"architecture": "wasm", "os": "wasip1"}).encode()
        man = {"schemaVersion": 2,
               "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                          "digest": self.blob(cfg), "size": len(cfg)},
               "layers": [{"mediaType": mt, "digest": self.blob(b), "size": len(b)}
                          for mt, b in layers]}
        mb = json.dumps(man).encode()
        self.images[image] = self.blob(mb)
        self.containers[cid] = image
        return man


def read_chunks(blob, size=4096):
    for off in range(0, max(len(blob), 1), size):
        yield field_int(1, off) + field_bytes(2, blob[off:off + size])


class Handler(grpc.GenericRpcHandler):
    def __init__(self, store):
        self.store = store

    def service(self, details):
        m = details.method
        if m == "/containerd.services.containers.v1.Containers/Get":
            return grpc.unary_unary_rpc_method_handler(self.get_container)
        if m == "/containerd.services.images.v1.Images/Get":
            return grpc.unary_unary_rpc_method_handler(self.get_image)
        if m == "/containerd.services.content.v1.Content/Read":
            return grpc.unary_stream_rpc_method_handler(self.read)
        return None

    def check_ns(self, context):
        md = dict(context.invocation_metadata())
        if md.get("containerd-namespace") != NS:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                          f"namespace {md.get('containerd-namespace')!r}: not ours")

    def get_container(self, req, context):
        self.check_ns(context)
        cid = first_string(req)
        if cid not in self.store.containers:
            # non-ASCII: grpc-message carries it percent-encoded
            context.abort(grpc.StatusCode.NOT_FOUND, f'container "{cid}": not found \u2717')
        return field_bytes(1, field_bytes(1, cid) + field_bytes(3, self.store.containers[cid]))

    def get_image(self, req, context):
        self.check_ns(context)
        name = first_string(req)
        d = self.store.images[name]
        target = field_bytes(1, "application/vnd.oci.image.manifest.v1+json") + \
            field_bytes(2, d) + field_int(3, len(self.store.blobs[d]))
        return field_bytes(1, field_bytes(1, name) + field_bytes(3, target))

    def read(self, req, context):
        self.check_ns(context)
        d = first_string(req)
        if d not in self.store.blobs:
            context.abort(grpc.StatusCode.NOT_FOUND, f"content digest {d}: not found")
        hook = self.store.read_hook.get(d)
        if hook:
            yield from hook(self.store.blobs[d], context)
        else:
            yield from read_chunks(self.store.blobs[d])


# ---- the tests ---------------------------------------------------------------

def setup():
    work = tempfile.mkdtemp(prefix="oci-fake-")
    store = Store()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((Handler(store),))
    sock = os.path.join(work, "fake.sock")
    server.add_insecure_port("unix:" + sock)
    server.start()
    return {"work": work, "store": store, "server": server, "sock": sock}


def teardown(ctx):
    ctx["server"].stop(0)
    subprocess.run(["rm", "-rf", ctx["work"]])


def probe(ctx, cid, ns=NS, timeout_ms=None):
    out = tempfile.mkdtemp(dir=ctx["work"])
    args = [PROBE, ctx["sock"], ns, cid, out]
    if timeout_ms is not None:
        args.append(str(timeout_ms))
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    return r, out


def app(ctx, cid, wasm=b"\x00asm\x01\x00\x00\x00" * 2000, data=b"x" * 10000):
    layers = [(WASM, wasm), (DATA, data), (LOCKED, b"{}")]
    man = ctx["store"].add_app(cid, "docker.io/fake/" + cid + ":1", layers)
    return layers, [layer["digest"] for layer in man["layers"]]


def test_fetch_in_many_small_chunks(ctx):
    layers, _ = app(ctx, "ok")
    r, out = probe(ctx, "ok")
    assert r.returncode == 0 and r.stdout.startswith("artifact docker.io/fake/ok:1"), r.stderr
    for i, (_, b) in enumerate(layers):
        with open(os.path.join(out, str(i)), "rb") as f:
            assert f.read() == b


def test_namespace_header_is_sent(ctx):
    app(ctx, "ns")
    r, _ = probe(ctx, "ns", ns="other-ns")
    assert (r.returncode, r.stdout) == (0, "not an artifact\n"), r.stderr
    # the server's refusal, read from a trailers-only answer
    assert "FailedPrecondition" in r.stderr and "namespace 'other-ns': not ours" in r.stderr


def test_error_message_is_percent_decoded(ctx):
    r, _ = probe(ctx, "no-such")
    assert (r.returncode, r.stdout) == (0, "not an artifact\n"), r.stderr
    assert 'NotFound (5): container "no-such": not found \u2717' in r.stderr, r.stderr


def test_chunks_out_of_order(ctx):
    _, digests = app(ctx, "gap", data=b"g" * 10000)

    def gap(blob, context):
        yield field_int(1, 0) + field_bytes(2, blob[:100])
        yield field_int(1, 200) + field_bytes(2, blob[200:])
    ctx["store"].read_hook[digests[1]] = gap
    r, _ = probe(ctx, "gap")
    assert r.returncode == 1
    assert digests[1] in r.stderr and "a chunk at offset 200, expected 100" in r.stderr, r.stderr


def test_more_bytes_than_declared(ctx):
    _, digests = app(ctx, "long", data=b"l" * 10000)

    def longer(blob, context):
        yield from read_chunks(blob)
        yield field_int(1, len(blob)) + field_bytes(2, b"extra")
    ctx["store"].read_hook[digests[1]] = longer
    r, _ = probe(ctx, "long")
    assert r.returncode == 1
    assert digests[1] in r.stderr and "more than the 10000 bytes expected" in r.stderr, r.stderr


def test_stream_failing_half_way(ctx):
    _, digests = app(ctx, "half", data=b"h" * 10000)

    def half(blob, context):
        yield field_int(1, 0) + field_bytes(2, blob[:5000])
        context.abort(grpc.StatusCode.DATA_LOSS, "disk went away")
    ctx["store"].read_hook[digests[1]] = half
    r, _ = probe(ctx, "half")
    assert r.returncode == 1
    assert digests[1] in r.stderr and "DataLoss (15): disk went away" in r.stderr, r.stderr


def test_layer_that_never_finishes_times_out(ctx):
    _, digests = app(ctx, "slow", data=b"s" * 10000)
    release = threading.Event()

    def stall(blob, context):
        yield field_int(1, 0) + field_bytes(2, blob[:100])
        release.wait(60)
    ctx["store"].read_hook[digests[1]] = stall
    try:
        t0 = time.monotonic()
        r, _ = probe(ctx, "slow", timeout_ms=500)
        assert r.returncode == 1
        assert digests[1] in r.stderr and "no complete answer within 501 ms" in r.stderr, \
            r.stderr
        assert time.monotonic() - t0 < 30
    finally:
        release.set()


if __name__ == "__main__":
    run_tests(globals(), setup, teardown)
