"""test_spin_inbound_http_redis_up.py - `up` serves containerd-shim-spin's
outbound-redis example (a Spin 1 ABI Rust module importing the legacy
outbound-redis publish/get/set/incr) against a real redis-server from
tests/fixture/redis_fixture.py.

The module reads REDIS_ADDRESS and REDIS_CHANNEL from its environment (its
strings name both), sets spin-example to "Eureka!", reads it back,
increments int-key and publishes; GET /outboundredis/hello answers 200
and redis then holds both keys.  An address outside the component's
allowed_outbound_hosts is refused (error::error to the guest, which answers
500) and redis stays untouched.
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixture"))
from harness import run_tests  # noqa: E402
from redis_fixture import RedisServer  # noqa: E402
from test_up import Up  # noqa: E402

SHARED = os.environ["SHARED_DIR"]
MODULE = os.path.join(SHARED, "corpora", "components", "real",
                      "gh-shim-spin-hist-outbound-redis.spin-http.core.wasm")

MANIFEST = """spin_manifest_version = 2

[application]
name = "spin-outbound-redis"

[[trigger.http]]
route = "/outboundredis/hello"
component = "hello"

[component.hello]
source = "@MODULE@"
environment = { REDIS_ADDRESS = "@ADDRESS@", REDIS_CHANNEL = "foo" }
allowed_outbound_hosts = ["@ALLOWED@"]
"""


def write_app(tmp, address, allowed):
    with open(os.path.join(tmp, "spin.toml"), "w") as f:
        f.write(MANIFEST.replace("@MODULE@", MODULE).replace("@ADDRESS@", address)
                .replace("@ALLOWED@", allowed))
    return tmp


def test_outbound_redis_example_sets_and_increments():
    with RedisServer() as redis, tempfile.TemporaryDirectory() as tmp:
        with Up(app=write_app(tmp, redis.url, redis.url)) as up:
            status, _, body = up.request("GET", "/outboundredis/hello")
            assert status == 200, (status, body)
        assert redis.command("GET", "spin-example") == b"Eureka!"
        assert redis.command("GET", "int-key") == b"1"


def test_address_not_allowed_is_refused():
    with RedisServer() as redis, tempfile.TemporaryDirectory() as tmp:
        other = "redis://127.0.0.1:%d" % (redis.port + 1 if redis.port < 65535 else 1)
        with Up(app=write_app(tmp, redis.url, other)) as up:
            status, _, body = up.request("GET", "/outboundredis/hello")
            assert status == 500, (status, body)
        assert redis.command("EXISTS", "spin-example") == 0


if __name__ == "__main__":
    run_tests(globals())
