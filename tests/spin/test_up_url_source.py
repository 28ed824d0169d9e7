"""test_up_url_source.py - a spin.toml component whose source is
{ url, digest } (Spin's form for a published wasm, e.g. spin-fileserver):
`up` downloads it, checks its sha256 digest and keeps it in Spin's cache
($XDG_CACHE_HOME/spin/registry/wasm/sha256:<hex>), so a later start needs
no network.  A wrong digest or a failed download is a start-up error
naming the component, the URL and what went wrong, and caches nothing.

The wasm is the build's wagi-hello.wasm, served by a private http.server
on a free loopback port; every test uses its own XDG_CACHE_HOME and HOME.
"""
import functools
import hashlib
import http.server
import os
import shutil
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixture"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import run_tests  # noqa: E402
from test_up import WASM, Up, up_fails, write_app  # noqa: E402

with open(WASM, "rb") as _f:
    DIGEST = "sha256:" + hashlib.sha256(_f.read()).hexdigest()


class Server:
    """A private static file server for `root` on 127.0.0.1."""

    def __init__(self, root):
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
        handler.log_message = lambda *a: None
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name):
        return f"http://127.0.0.1:{self.port}/{name}"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


def manifest(url, digest):
    return f"""
spin_manifest_version = 2
[application]
name = "by-url"
[[trigger.http]]
route = "/..."
component = "c"
executor = {{ type = "wagi" }}
[component.c]
source = {{ url = "{url}", digest = "{digest}" }}
"""


class Env:
    """A temporary app dir, cache dir, HOME and served dir."""

    def __enter__(self):
        self.tmp = tempfile.mkdtemp()
        for d in ("app", "cache", "home", "www"):
            os.makedirs(os.path.join(self.tmp, d))
        shutil.copy(WASM, os.path.join(self.tmp, "www", "hello.wasm"))
        self.app = os.path.join(self.tmp, "app")
        self.env = {"XDG_CACHE_HOME": os.path.join(self.tmp, "cache"),
                    "HOME": os.path.join(self.tmp, "home")}
        self.wasm_cache = os.path.join(self.tmp, "cache", "spin", "registry", "wasm")
        self.server = Server(os.path.join(self.tmp, "www"))
        return self

    def cached(self):
        if not os.path.isdir(self.wasm_cache):
            return []
        return sorted(os.listdir(self.wasm_cache))

    def __exit__(self, *exc):
        self.server.stop()
        shutil.rmtree(self.tmp)


def serves_hello(e):
    with Up(app=e.app, env=e.env) as up:
        status, _, body = up.request("GET", "/hello")
        assert status == 200 and body.startswith(b"Hello from Wagi!\n"), (status, body)
        assert up.stop() == 0


def test_url_source_is_downloaded_verified_and_cached():
    with Env() as e:
        write_app(e.app, manifest(e.server.url("hello.wasm"), DIGEST))
        serves_hello(e)
        assert e.cached() == [DIGEST], e.cached()
        with open(os.path.join(e.wasm_cache, DIGEST), "rb") as f, open(WASM, "rb") as w:
            assert f.read() == w.read()
        # The second start reads the cache: the server is gone.
        e.server.stop()
        e.server = Server(os.path.join(e.tmp, "home"))  # serves nothing useful
        serves_hello(e)


def test_home_cache_when_no_xdg_cache_home():
    with Env() as e:
        write_app(e.app, manifest(e.server.url("hello.wasm"), DIGEST))
        del e.env["XDG_CACHE_HOME"]
        env = dict(e.env)
        saved = os.environ.pop("XDG_CACHE_HOME", None)
        try:
            with Up(app=e.app, env=env) as up:
                assert up.request("GET", "/hello")[0] == 200
                assert up.stop() == 0
        finally:
            if saved is not None:
                os.environ["XDG_CACHE_HOME"] = saved
        home_cache = os.path.join(e.tmp, "home", ".cache", "spin", "registry", "wasm")
        assert os.listdir(home_cache) == [DIGEST]


def test_corrupt_cache_entry_is_fetched_again():
    with Env() as e:
        write_app(e.app, manifest(e.server.url("hello.wasm"), DIGEST))
        os.makedirs(e.wasm_cache)
        with open(os.path.join(e.wasm_cache, DIGEST), "wb") as f:
            f.write(b"\0asm truncated")
        serves_hello(e)
        with open(os.path.join(e.wasm_cache, DIGEST), "rb") as f, open(WASM, "rb") as w:
            assert f.read() == w.read()


def test_wrong_digest_fails_clearly_and_caches_nothing():
    with Env() as e:
        wrong = "sha256:" + "0" * 64
        url = e.server.url("hello.wasm")
        write_app(e.app, manifest(url, wrong))
        err = up_fails(app=e.app, env=e.env)
        assert "component 'c'" in err and url in err, err
        assert "digest mismatch" in err and wrong in err and DIGEST in err, err
        assert e.cached() == [], e.cached()


def test_missing_file_fails_clearly():
    with Env() as e:
        url = e.server.url("nope.wasm")
        write_app(e.app, manifest(url, DIGEST))
        err = up_fails(app=e.app, env=e.env)
        assert "component 'c'" in err and url in err and "404" in err, err
        assert e.cached() == [], e.cached()


def test_unreachable_server_fails_clearly():
    with Env() as e:
        url = e.server.url("hello.wasm")
        e.server.stop()
        e.server = Server(os.path.join(e.tmp, "www"))
        write_app(e.app, manifest(url, DIGEST))  # the old port: nothing listens
        err = up_fails(app=e.app, env=e.env)
        assert "component 'c'" in err and url in err and "download failed" in err, err


if __name__ == "__main__":
    run_tests(globals())
