"""test_spin_real_apps_containerd.py - the real apps of issue #13's test
list that the other containerd tests leave out, in ONE image served by ONE
container of one private containerd (CI time): the Spin-SDK Rust fetch_rs
component, componentize-js hello and echo, Spin's 2.0-SDK test modules
for sqlite and outbound redis / postgres / mysql, and
containerd-shim-spin's outbound-redis example module (Spin 1 ABI), against
private servers on loopback (the container runs with --net-host).

Expected answers are the shared corpus's (corpora/components/README.md):
the test modules answer 200 with an empty body when every check of their
host API passed, else 500 with the failed check's text.
(test_spin_containerd.py covers c-http, runwasi's Rust hello, the itty app
and the TinyGo module; test_spin_world_modules_containerd.py the
variables and key-value modules.)
"""
import http.client
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixture"))
sys.path.insert(0, os.path.join(HERE, "..", "spin"))
sys.path.insert(0, HERE)
from containerd_fixture import Containerd  # noqa: E402
from harness import run_tests  # noqa: E402
import images  # noqa: E402
from mariadb_fixture import MariaDB  # noqa: E402
from redis_fixture import RedisServer  # noqa: E402
from test_spin_containerd import SHIM_DIR, SpinTask  # noqa: E402
from test_up_world_modules import PG_BIN, PostgresServer  # noqa: E402

REAL = os.path.join(os.environ["SHARED_DIR"], "corpora", "components", "real")
FILES = {
    "fetch.wasm": "gh-runwasi-fetch_rs.spin-rust-sdk3.wasm",
    "js-hello.wasm": "cjs023-hello-http.wasm",
    "echo.wasm": "cjs023-echo-http.wasm",
    "sqlite.wasm": "gh-spin-hist-test-sqlite.spin2rc.core.wasm",
    "redis.wasm": "gh-spin-hist-test-outbound-redis.spin2rc.core.wasm",
    "postgres.wasm": "gh-spin-hist-test-outbound-postgres.spin2rc.core.wasm",
    "mysql.wasm": "gh-spin-hist-test-outbound-mysql.spin2rc.core.wasm",
    "example-redis.wasm": "gh-shim-spin-hist-outbound-redis.spin-http.core.wasm",
}


def manifest(redis, example_redis, pg, db):
    routes = [("/fetch", "fetch"), ("/js", "js-hello"), ("/echo/...", "echo"),
              ("/sqlite", "sqlite"), ("/redis", "redis"), ("/postgres", "postgres"),
              ("/mysql", "mysql"),
              ("/outboundredis/hello", "example-redis")]
    text = 'spin_manifest_version = 2\n[application]\nname = "real-apps"\n'
    for route, comp in routes:
        text += f'[[trigger.http]]\nroute = "{route}"\ncomponent = "{comp}"\n'
    for comp in ("fetch", "js-hello", "echo"):
        text += f'[component.{comp}]\nsource = "{comp}.wasm"\n'
    text += '[component.sqlite]\nsource = "sqlite.wasm"\nsqlite_databases = ["default"]\n'
    text += (f'[component.redis]\nsource = "redis.wasm"\n'
             f'environment = {{ REDIS_ADDRESS = "{redis.url}" }}\n'
             f'allowed_outbound_hosts = ["{redis.url}"]\n')
    if pg:
        text += (f'[component.postgres]\nsource = "postgres.wasm"\n'
                 f'environment = {{ DB_URL = "postgres://postgres@127.0.0.1:{pg.port}/postgres" }}\n'
                 f'allowed_outbound_hosts = ["postgres://127.0.0.1:{pg.port}"]\n')
    else:
        text += '[component.postgres]\nsource = "postgres.wasm"\n'
    text += (f'[component.mysql]\nsource = "mysql.wasm"\n'
             f'environment = {{ DB_URL = "{db.url}" }}\n'
             f'allowed_outbound_hosts = ["mysql://127.0.0.1:{db.port}"]\n')
    text += (f'[component.example-redis]\nsource = "example-redis.wasm"\n'
             f'environment = {{ REDIS_ADDRESS = "{example_redis.url}", REDIS_CHANNEL = "foo" }}\n'
             f'allowed_outbound_hosts = ["{example_redis.url}"]\n')
    return text


def setup():
    work = tempfile.mkdtemp(prefix="integ-real-")
    ctx = {"work": work, "open": []}

    def enter(obj):
        ctx["open"].append(obj)
        return obj.__enter__()

    try:
        ctx["redis"] = enter(RedisServer())
        ctx["example_redis"] = enter(RedisServer())  # both modules write spin-example
        ctx["pg"] = enter(PostgresServer()) if os.path.exists(f"{PG_BIN}/postgres") else None
        ctx["db"] = enter(MariaDB())
        ctx["c"] = enter(Containerd(shim_dir=SHIM_DIR))
        root = os.path.join(work, "image")
        os.makedirs(root)
        for dest, src in FILES.items():
            shutil.copy(os.path.join(REAL, src), os.path.join(root, dest))
        with open(os.path.join(root, "spin.toml"), "w") as f:
            f.write(manifest(ctx["redis"], ctx["example_redis"], ctx["pg"], ctx["db"]))
        tar = root + ".tar"
        image = images.mkimage(root, "localhost/spin-real-apps:test", tar,
                               entrypoint='["/"]', arch="wasm", os_="wasip1")
        ctx["c"].import_image(tar)
        ctx["task"] = enter(SpinTask(ctx, "real-apps", image=image))
    except BaseException:
        teardown(ctx)
        raise
    return ctx


def teardown(ctx):
    for obj in reversed(ctx["open"]):
        obj.__exit__(None, None, None)
    shutil.rmtree(ctx["work"], ignore_errors=True)


def request(ctx, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", ctx["task"].port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def test_spin_rust_sdk3_fetch_component(ctx):
    status, headers, body = request(ctx, "GET", "/fetch")
    assert (status, body) == (200, b""), (status, body, ctx["task"].output())
    assert headers["content-type"].startswith("text/plain"), headers
    # its stdout reaches the container's log
    assert "Received request" in ctx["task"].output(), ctx["task"].output()


def test_componentize_js_hello_and_echo(ctx):
    status, headers, body = request(ctx, "GET", "/js")
    assert (status, body) == (200, b"hello from componentize-js\n"), (status, body)
    assert headers["content-type"].startswith("text/plain"), headers
    status, headers, body = request(ctx, "POST", "/echo/path?q=1", body=b"body-1",
                                    headers={"X-Test": "abc"})
    assert status == 200 and headers["x-echo-len"] == "6", (status, headers, body)
    assert headers["content-type"].startswith("application/json"), headers
    assert body.startswith(b'{"method":"POST","path":"/echo/path?q=1","headers":{'), body
    assert b'"x-test":"abc"' in body and body.endswith(b'"body":"body-1"}\n'), body


def test_sqlite_module(ctx):
    status, _, body = request(ctx, "GET", "/sqlite")
    assert (status, body) == (200, b""), (status, body)


def test_outbound_redis_module(ctx):
    status, _, body = request(ctx, "GET", "/redis")
    assert (status, body) == (200, b""), (status, body)
    assert ctx["redis"].command("GET", "spin-example") == b"Eureka! I've got it!"
    assert ctx["redis"].command("GET", "int-key") == b"1"


def test_outbound_redis_example_image_module(ctx):
    """containerd-shim-spin's outbound-redis example (Spin 1 ABI, legacy
    outbound-redis import), as its integration test drives it."""
    status, _, body = request(ctx, "GET", "/outboundredis/hello")
    assert status == 200, (status, body, ctx["task"].output())
    assert ctx["example_redis"].command("GET", "spin-example") == b"Eureka!"
    assert ctx["example_redis"].command("GET", "int-key") == b"1"


def test_outbound_postgres_module(ctx):
    if ctx["pg"] is None:
        print("SKIP: no PostgreSQL 15 server")
        return
    status, _, body = request(ctx, "GET", "/postgres")
    assert (status, body) == (200, b""), (status, body)


def test_outbound_mysql_module(ctx):
    status, _, body = request(ctx, "GET", "/mysql")
    assert (status, body) == (200, b""), (status, body)


if __name__ == "__main__":
    run_tests(globals(), setup, teardown)
