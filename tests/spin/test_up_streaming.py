"""test_up_streaming.py - `up` streams wasi:http bodies both ways and
bounds request bodies.

The guest (js/stream.js, componentize-js) tells a "gate" server of this
test how far it got, so each test can check, without timing, that the
guest ran while the client was still mid-request or mid-response:
- upload: the guest has read the first chunk of a chunked request body
  (and called the gate) before the client sends the rest; a server that
  buffers the whole body first never runs the guest that early;
- download: the client receives the first part of the response body while
  the guest still waits for the gate, which answers only after the client
  saw that part; a server that buffers the whole response sends nothing
  until the guest returns.
Request bodies over SPIN_HTTP_MAX_REQUEST_BODY_BYTES get 413 (announced
or chunked), a bad value of it stops `up` with a message naming it.
"""
import http.server
import os
import socket
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_up_components import Up, built  # noqa: E402
from harness import run_tests  # noqa: E402

STREAM = built("stream_http_js.wasm")
CORNERS = built("wasi2_http_corners.wasm")  # tests/wasi2/wat/http_corners.wat
WAIT = 30  # generous bound for each step (seconds); the steps end far sooner


class Gate:
    """An HTTP server on loopback: records each path asked for; /sent-first
    is answered only once release() was called."""

    def __init__(self):
        self.seen = {}
        self.released = threading.Event()
        gate = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                gate.seen.setdefault(self.path, threading.Event()).set()
                if self.path == "/sent-first":
                    gate.released.wait(WAIT)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, path):
        return self.seen.setdefault(path, threading.Event()).wait(WAIT)

    def close(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


def write_app(tmp, gate_port):
    text = f"""spin_manifest_version = 2
[application]
name = "streaming"

[[trigger.http]]
route = "/..."
component = "stream"

[component.stream]
source = "{STREAM}"
allowed_outbound_hosts = ["http://127.0.0.1:{gate_port}"]
"""
    with open(os.path.join(tmp, "spin.toml"), "w") as f:
        f.write(text)
    return tmp


def connect(up):
    s = socket.create_connection(("127.0.0.1", up.port), timeout=WAIT)
    return s


def read_until(sock, buf, marker):
    """Reads until `marker` is in buf; returns the new buf."""
    while marker not in buf:
        data = sock.recv(65536)
        if not data:
            raise AssertionError(f"connection closed before {marker!r}: {buf!r}")
        buf += data
    return buf


def chunk(data):
    return b"%x\r\n" % len(data) + data + b"\r\n"


def test_the_guest_reads_the_request_body_as_it_arrives():
    gate = Gate()
    try:
        with tempfile.TemporaryDirectory() as tmp, Up(write_app(tmp, gate.port)) as up:
            s = connect(up)
            s.sendall(b"POST /up HTTP/1.1\r\nHost: localhost\r\nx-mode: upload\r\n"
                      b"x-gate: http://127.0.0.1:%d\r\nTransfer-Encoding: chunked\r\n\r\n"
                      % gate.port + chunk(b"a" * 1000))
            # the rest of the body is not sent yet: the guest must run now
            assert gate.wait_for("/got-first"), "the guest did not see the body's first chunk"
            s.sendall(chunk(b"b" * 2000) + chunk(b"c" * 70000) + b"0\r\n\r\n")
            buf = read_until(s, b"", b"read 73000 bytes")
            assert buf.startswith(b"HTTP/1.1 200"), buf
            s.close()
            assert up.stop() == 0
    finally:
        gate.close()


def test_the_client_gets_the_response_body_as_it_is_written():
    gate = Gate()
    try:
        with tempfile.TemporaryDirectory() as tmp, Up(write_app(tmp, gate.port)) as up:
            s = connect(up)
            s.sendall(b"GET /down HTTP/1.1\r\nHost: localhost\r\nx-mode: download\r\n"
                      b"x-gate: http://127.0.0.1:%d\r\n\r\n" % gate.port)
            # the guest now waits for the gate, which waits for us
            buf = read_until(s, b"", b"first\n")
            head = buf.split(b"\r\n\r\n", 1)[0].lower()
            assert head.startswith(b"http/1.1 200"), buf
            assert b"transfer-encoding: chunked" in head, head
            assert b"x-streamed: yes" in head, head
            assert not gate.released.is_set()
            gate.released.set()
            buf = read_until(s, buf, b"second\n")
            buf = read_until(s, buf, b"\r\n0\r\n\r\n")  # the last chunk: complete
            s.close()
            assert up.stop() == 0
    finally:
        gate.close()


def test_a_guest_echoing_a_large_body_as_it_reads_it_is_not_stuck():
    """The response cannot go out before the request is complete (the
    library answers then): the guest's writes are taken meanwhile."""
    gate = Gate()
    try:
        with tempfile.TemporaryDirectory() as tmp, Up(write_app(tmp, gate.port)) as up:
            body = bytes(range(256)) * (12 << 10)  # 3 MiB
            status, _, got = up.request("POST", "/echo", body=body, headers={"x-mode": "echo"})
            assert status == 200, status
            assert got == body, (len(got), len(body))
            assert up.stop() == 0
    finally:
        gate.close()


def test_request_bodies_over_the_limit_get_413():
    gate = Gate()
    try:
        env = {"SPIN_HTTP_MAX_REQUEST_BODY_BYTES": "4096"}
        with tempfile.TemporaryDirectory() as tmp, \
                Up(write_app(tmp, gate.port), env=env) as up:
            hdrs = {"x-mode": "upload", "x-gate": f"http://127.0.0.1:{gate.port}"}
            status, _, body = up.request("POST", "/small", body=b"x" * 4096, headers=hdrs)
            assert (status, body) == (200, b"read 4096 bytes"), (status, body)
            status, _, _ = up.request("POST", "/big", body=b"x" * 5000, headers=hdrs)
            assert status == 413, status
            # chunked, so the size is known only as it arrives
            s = connect(up)
            s.sendall(b"POST /chunked HTTP/1.1\r\nHost: localhost\r\nx-mode: upload\r\n"
                      b"x-gate: http://127.0.0.1:%d\r\nTransfer-Encoding: chunked\r\n\r\n"
                      % gate.port + chunk(b"y" * 3000) + chunk(b"z" * 3000) + b"0\r\n\r\n")
            buf = read_until(s, b"", b"\r\n\r\n")
            assert buf.startswith(b"HTTP/1.1 413"), buf
            s.close()
            # the server goes on serving
            status, _, body = up.request("POST", "/again", body=b"x" * 10, headers=hdrs)
            assert (status, body) == (200, b"read 10 bytes"), (status, body)
            assert up.stop() == 0
    finally:
        gate.close()


def write_corners_app(tmp):
    with open(os.path.join(tmp, "spin.toml"), "w") as f:
        f.write(f"""spin_manifest_version = 2
[application]
name = "corners"

[[trigger.http]]
route = "/..."
component = "corners"

[component.corners]
source = "{CORNERS}"
""")
    return tmp


def test_content_length_and_broken_bodies_through_the_stream():
    """The head goes out with the body's first bytes: a first write past
    the declared length is still a 500; a body that breaks once bytes went
    out ends the connection mid-body (as Spin aborts it), never as a
    complete response."""
    with tempfile.TemporaryDirectory() as tmp, Up(write_corners_app(tmp)) as up:
        status, h, body = up.request("GET", "/x")
        assert (status, h.get("content-length"), body) == (200, "5", b"hello"), (status, h, body)
        status, _, body = up.request("GET", "/w")  # written and finished before set
        assert (status, body) == (200, b"early"), (status, body)
        status, _, _ = up.request("GET", "/l")  # more than content-length
        assert status == 500, status
        for path, sent in (("/s", b"hi"), ("/d", b"partial")):  # short, dropped
            s = connect(up)
            s.sendall(b"GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % path.encode())
            buf = b""
            while True:
                data = s.recv(65536)
                if not data:
                    break
                buf += data
            s.close()
            assert buf.startswith(b"HTTP/1.1 200"), buf
            assert sent in buf, buf
            head, _, rest = buf.partition(b"\r\n\r\n")
            if b"content-length: 5" in head.lower():
                assert len(rest) < 5, buf
            else:
                assert not rest.endswith(b"0\r\n\r\n"), buf  # no last chunk
        status, _, body = up.request("GET", "/x")  # and it goes on serving
        assert (status, body) == (200, b"hello"), (status, body)
        assert up.stop() == 0


def test_a_bad_limit_is_refused_at_start():
    with tempfile.TemporaryDirectory() as tmp:
        try:
            Up(write_app(tmp, 1), env={"SPIN_HTTP_MAX_REQUEST_BODY_BYTES": "lots"})
        except AssertionError as e:
            assert "SPIN_HTTP_MAX_REQUEST_BODY_BYTES='lots'" in str(e), str(e)
        else:
            raise AssertionError("up started with a bad SPIN_HTTP_MAX_REQUEST_BODY_BYTES")


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
