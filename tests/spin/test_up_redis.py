"""test_up_redis.py - the redis trigger through `up` against a private
redis-server (tests/fixture/redis_fixture.py).

Guests: wat/spin1_redis_handler.wat, a Spin 1 ABI module exporting
handle-redis-message that prints "redis message: M" on stdout, and
guests/redis_handler.c, a component exporting fermyon:spin/inbound-redis
that sets got:M to M through fermyon:spin/redis@2.0.0.  Both trap on
"trap" and return error::error on "fail".

Checked: Spin's "Active Channels" banner; every message published reaches
a fresh instance; a trap or an error result is logged and the next message
is still handled; the address and channel may come from
[application.trigger.redis] and be variable templates; when the server goes
away and comes back on the same address the trigger reconnects and
handles what is published afterwards; an app with several trigger types
(http and redis) serves both; configuration mistakes and an unreachable
server are start-up errors naming the trigger or the address.
"""
import http.client
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixture"))
from harness import free_port, run_tests  # noqa: E402
from redis_fixture import RedisServer  # noqa: E402
from test_up import SHIM  # noqa: E402

WASM_DIR = os.environ["WASM_DIR"]
MODULE = os.path.join(WASM_DIR, "spin1_redis_handler.wasm")
COMPONENT = os.path.join(WASM_DIR, "spin_redis_handler.wasm")

MODULE_APP = """spin_manifest_version = 2

[application]
name = "redis-app"

[[trigger.redis]]
address = "@URL@"
channel = "messages"
component = "printer"

[component.printer]
source = "@MODULE@"
"""

COMPONENT_APP = """spin_manifest_version = 2

[application]
name = "redis-app"

[application.trigger.redis]
address = "{{ redis_address }}"

[variables]
redis_address = { required = true }
channel = { default = "jobs" }

[[trigger.redis]]
channel = "{{ channel }}"
component = "storer"

[component.storer]
source = "@COMPONENT@"
allowed_outbound_hosts = ["redis://127.0.0.1:*"]

[component.storer.variables]
redis_address = "{{ redis_address }}"
"""


class RedisUp:
    """A running `up` of a redis app; waits for the Active Channels banner."""

    def __init__(self, app, env=None, wait_for="Active Channels on", listen=None):
        full_env = dict(os.environ)
        full_env.update(env or {})
        cmd = [SHIM, "up", "--from", app]
        if listen:
            cmd += ["--listen", listen]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=full_env)
        self.lines = queue.Queue()
        self.stdout = []
        self.stderr = []
        threading.Thread(target=self._drain, args=(self.proc.stdout, self.stdout, True),
                         daemon=True).start()
        threading.Thread(target=self._drain, args=(self.proc.stderr, self.stderr, False),
                         daemon=True).start()
        self.wait_line(wait_for)

    def _drain(self, f, into, queued):
        for line in f:
            into.append(line)
            if queued:
                self.lines.put(line)
        if queued:
            self.lines.put(None)

    def wait_line(self, text, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError("up ended (rc=%s) waiting for %r:\n%s" %
                                     (self.proc.poll(), text, "".join(self.stderr)))
            if text in line:
                return line
        raise AssertionError("no %r in time; stdout:\n%s\nstderr:\n%s" %
                             (text, "".join(self.stdout), "".join(self.stderr)))

    def wait_stderr(self, *texts, timeout=30):
        """Waits until stderr holds every text (its reader runs apart from
        stdout's, so a line may trail what stdout already showed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            errs = "".join(self.stderr)
            if all(t in errs for t in texts):
                return errs
            time.sleep(0.05)
        raise AssertionError("stderr lacks %r:\n%s" % (texts, "".join(self.stderr)))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def write(tmp, text):
    with open(os.path.join(tmp, "spin.toml"), "w") as f:
        f.write(text.replace("@MODULE@", MODULE).replace("@COMPONENT@", COMPONENT))
    return tmp


def publish(redis, channel, msg):
    """Publishes until a subscriber is there (1 receiver), then returns."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if redis.command("PUBLISH", channel, msg) == 1:
            return
        time.sleep(0.05)
    raise AssertionError("nobody subscribed to %s" % channel)


def wait_key(redis, key, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = redis.command("GET", key)
        if v is not None:
            return v
        time.sleep(0.05)
    raise AssertionError("%s never set" % key)


def test_module_gets_every_message_and_a_trap_does_not_stop_it():
    with RedisServer() as redis, tempfile.TemporaryDirectory() as tmp:
        app = write(tmp, MODULE_APP.replace("@URL@", redis.url))
        with RedisUp(app) as up:
            where = "127.0.0.1:%d" % redis.port
            assert up.stdout[0] == "Active Channels on %s:\n" % where, up.stdout
            up.wait_line("\t%s/messages: [printer]" % where)
            for msg in ("hello", "trap", "fail", "world"):
                publish(redis, "messages", msg)
            up.wait_line("redis message: hello")
            up.wait_line("redis message: world")
            assert up.proc.poll() is None
            up.wait_stderr("component 'printer'", "trapped", "returned an error")


def test_component_with_app_address_and_templated_channel():
    with RedisServer() as redis, tempfile.TemporaryDirectory() as tmp:
        app = write(tmp, COMPONENT_APP)
        env = {"SPIN_VARIABLE_REDIS_ADDRESS": redis.url}
        with RedisUp(app, env=env) as up:
            up.wait_line("/jobs: [storer]")
            publish(redis, "jobs", "one")
            assert wait_key(redis, "got:one") == b"one"
            publish(redis, "jobs", "trap")
            publish(redis, "jobs", "two")
            assert wait_key(redis, "got:two") == b"two"
            up.wait_stderr("trapped")


V1_APP = """spin_manifest_version = "1"
name = "redis-v1"
version = "1.0.0"
trigger = { type = "redis", address = "@URL@" }

[[component]]
id = "printer"
source = "@MODULE@"
[component.trigger]
channel = "messages"
"""


def test_spin_1_manifest_with_the_app_wide_redis_trigger():
    with RedisServer() as redis, tempfile.TemporaryDirectory() as tmp:
        app = write(tmp, V1_APP.replace("@URL@", redis.url))
        with RedisUp(app) as up:
            up.wait_line("/messages: [printer]")
            publish(redis, "messages", "v1")
            up.wait_line("redis message: v1")


def test_reconnects_after_the_server_restarts():
    with RedisServer() as redis, tempfile.TemporaryDirectory() as tmp:
        app = write(tmp, MODULE_APP.replace("@URL@", redis.url))
        with RedisUp(app) as up:
            publish(redis, "messages", "before")
            up.wait_line("redis message: before")
            redis.restart()
            # Published once the trigger has subscribed again (PUBLISH
            # answers 1 only then).
            publish(redis, "messages", "after")
            up.wait_line("redis message: after")
            up.wait_stderr("lost the connection", "reconnected")


def test_http_and_redis_triggers_run_together():
    port = free_port()
    wagi = os.path.join(WASM_DIR, "wagi-hello.wasm")
    with RedisServer() as redis, tempfile.TemporaryDirectory() as tmp:
        app = write(tmp, MODULE_APP.replace("@URL@", redis.url) + """
[[trigger.http]]
route = "/hello"
component = "web"
executor = { type = "wagi" }

[component.web]
source = "%s"
""" % wagi)
        with RedisUp(app, wait_for="Available Routes:", listen="127.0.0.1:%d" % port) as up:
            assert any(x.startswith("Active Channels on") for x in up.stdout), up.stdout
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("GET", "/hello")
            assert c.getresponse().status == 200
            c.close()
            publish(redis, "messages", "both")
            up.wait_line("redis message: both")
            # SIGTERM stops both trigger types gracefully.
            up.proc.terminate()
            assert up.proc.wait(timeout=30) == 0, "".join(up.stderr)


def up_error(app, env=None):
    full_env = dict(os.environ)
    full_env.update(env or {})
    r = subprocess.run([SHIM, "up", "--from", app], capture_output=True, text=True,
                       env=full_env, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    return r.stderr


def test_start_up_errors_name_what_is_wrong():
    with tempfile.TemporaryDirectory() as tmp:
        base = MODULE_APP.replace("@URL@", "redis://127.0.0.1:%d" % free_port())
        # nothing listens there
        err = up_error(write(tmp, base))
        assert "redis trigger" in err and "127.0.0.1" in err and "connecting" in err, err
        err = up_error(write(tmp, base.replace('address = "redis', 'adress = "redis')))
        assert "unknown redis trigger field 'adress'" in err, err
        err = up_error(write(tmp, base.replace('address = "redis', '# "redis')))
        assert "no redis address" in err, err
        err = up_error(write(tmp, base.replace('channel = "messages"',
                                               'channel = "{{ nosuch }}"')))
        assert "channel" in err and "nosuch" in err, err
        # a module exporting no redis handler
        fresh = os.path.join(WASM_DIR, "spin1_fresh.wasm")
        err = up_error(write(tmp, base.replace("@MODULE@", fresh)))
        assert "handle-redis-message" in err, err


if __name__ == "__main__":
    run_tests(globals())
