"""test_up_trailers.py - a wasi:http component's response trailers
(outgoing-body.finish with some(trailers)) reach an HTTP/1.1 client as the
trailer section of the chunked body, through `containerd-shim-spin-v2 up`.

The component is tests/spin/guests/trailers_app.c.  The client here is a
raw socket reading RFC 9112's chunked framing itself (http.client drops
trailers), so the test sees every byte of the trailer section.  A body
with a declared Content-Length, and any body to an HTTP/1.0 client, has no
trailer section: the trailers are dropped there and the body is intact.
"""
import os
import socket
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixture"))
sys.path.insert(0, os.path.join(HERE, "..", "spinapi"))
from harness import run_tests  # noqa: E402
from test_up_spinapi import Up  # noqa: E402

WASM = os.path.join(os.environ["WASM_DIR"], "spin_trailers_app.wasm")


def write_app(tmp):
    with open(os.path.join(tmp, "spin.toml"), "w") as f:
        f.write(f"""spin_manifest_version = 2
[application]
name = "trailers"
[[trigger.http]]
route = "/..."
component = "trailers"
[component.trailers]
source = "{WASM}"
""")
    return tmp


class Reader:
    """Reads an HTTP/1.x response from a socket, byte-exact."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise AssertionError(f"connection closed; have {self.buf!r}")
        self.buf += data

    def line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("latin-1")

    def exactly(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def rest(self):
        while True:
            data = self.sock.recv(65536)
            if not data:
                data, self.buf = self.buf, b""
                return data
            self.buf += data

    def head(self):
        status = self.line()
        headers = {}
        while True:
            line = self.line()
            if line == "":
                return status, headers
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()

    def chunked(self):
        """The chunked body and its trailer fields (in order)."""
        body = b""
        while True:
            size = int(self.line().split(";")[0], 16)
            if size == 0:
                break
            body += self.exactly(size)
            assert self.exactly(2) == b"\r\n"
        trailers = []
        while True:
            line = self.line()
            if line == "":
                return body, trailers
            name, value = line.split(":", 1)
            trailers.append((name.strip().lower(), value.strip()))


def request(port, path, version="HTTP/1.1", extra=""):
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.sendall(f"GET {path} {version}\r\nHost: 127.0.0.1\r\nTE: trailers\r\n{extra}\r\n"
                 .encode())
    return sock, Reader(sock)


def test_trailers_after_a_body():
    with tempfile.TemporaryDirectory() as tmp, Up(write_app(tmp)) as up:
        sock, r = request(up.port, "/body")
        status, headers = r.head()
        assert status == "HTTP/1.1 200 OK", status
        assert headers.get("transfer-encoding") == "chunked", headers
        body, trailers = r.chunked()
        assert body == b"hello\n", body
        # content-length, a framing field, is never a trailer
        assert trailers == [("x-checksum", "abc123"), ("x-count", "2")], trailers
        # the connection is still usable: a second request on it
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        status, headers = r.head()
        assert status == "HTTP/1.1 200 OK", status
        assert r.chunked() == (b"hello\n", []), "no trailers without some(trailers)"
        sock.close()
        up.stop()


def test_trailers_without_a_body():
    with tempfile.TemporaryDirectory() as tmp, Up(write_app(tmp)) as up:
        sock, r = request(up.port, "/no-body")
        status, headers = r.head()
        assert status == "HTTP/1.1 200 OK", status
        assert headers.get("transfer-encoding") == "chunked", headers
        assert r.chunked() == (b"", [("x-checksum", "abc123"), ("x-count", "2")])
        sock.close()
        up.stop()


def test_no_trailer_section_when_not_chunked():
    with tempfile.TemporaryDirectory() as tmp, Up(write_app(tmp)) as up:
        # a declared Content-Length: the body as declared, nothing after it
        sock, r = request(up.port, "/content-length", extra="Connection: close\r\n")
        status, headers = r.head()
        assert status == "HTTP/1.1 200 OK", status
        assert headers.get("content-length") == "6", headers
        assert "transfer-encoding" not in headers, headers
        assert r.rest() == b"hello\n"
        sock.close()
        # an HTTP/1.0 client: no chunking, the body up to the close
        sock, r = request(up.port, "/body", version="HTTP/1.0")
        status, headers = r.head()
        assert status.endswith(" 200 OK"), status
        assert "transfer-encoding" not in headers, headers
        assert r.rest() == b"hello\n"
        sock.close()
        up.stop()


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
