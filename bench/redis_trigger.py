#!/usr/bin/env python3
"""redis_trigger.py - messages per second through the redis trigger of
`up`, each message handled by a fresh instance (as Spin does).

Starts a private redis-server (tests/fixture/redis_fixture.py) and `up` with
one redis trigger whose component is a Spin 1 ABI module or a component,
then publishes N messages as fast as one pipelined connection sends them
and waits until the handler has seen all of them; the rate is N over the
time from the first publish to the last message handled.  Guests (built by
the test build):
  module     wasm/spin1_redis_handler.wasm: prints "redis message: M" to its
             stdout (a log file under SPIN_LOG_DIR, counted here)
  component  wasm/spin_redis_handler.wasm: sets got:M through
             fermyon:spin/redis@2.0.0 (one connection per message, counted
             with DBSIZE)

    bench/redis_trigger.py --build build/gcc [--messages 2000] [--reps 3]
"""
import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "fixture"))
from redis_fixture import RedisServer, _encode  # noqa: E402

APP = """spin_manifest_version = 2
[application]
name = "redis-bench"
[variables]
redis_address = { default = "@URL@" }
[[trigger.redis]]
address = "@URL@"
channel = "bench"
component = "handler"
[component.handler]
source = "@WASM@"
allowed_outbound_hosts = ["redis://127.0.0.1:*"]
[component.handler.variables]
redis_address = "{{ redis_address }}"
"""


def publish_all(port, n):
    """PUBLISH bench 0..n-1 pipelined on one connection; returns when every
    reply is in (so every message is in the server's output buffers)."""
    payload = b"".join(_encode(["PUBLISH", "bench", "m%d" % i]) for i in range(n))
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(payload)
        got = b""
        while got.count(b"\r\n") < n:
            chunk = s.recv(65536)
            if not chunk:
                raise RuntimeError("redis closed the connection")
            got += chunk
    return got


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except OSError:
        return 0


def run_once(shim, wasm, kind, n):
    with RedisServer() as redis, tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "spin.toml"), "w") as f:
            f.write(APP.replace("@URL@", redis.url).replace("@WASM@", wasm))
        logs = os.path.join(tmp, "logs")
        os.mkdir(logs)
        up = subprocess.Popen([shim, "up", "--from", tmp, "--log-dir", logs],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
        try:
            while "Active Channels" not in (up.stdout.readline() or "Active Channels"):
                pass
            while redis.command("PUBLISH", "bench", "warm") != 1:
                time.sleep(0.05)
            out = os.path.join(logs, "handler_stdout.txt")

            def handled():
                if kind == "module":
                    return count_lines(out) - 1  # the warm-up message
                return redis.command("DBSIZE") - (1 if redis.command("EXISTS", "got:warm") else 0)

            time.sleep(0.5)
            start = time.monotonic()
            publish_all(redis.port, n)
            while handled() < n:
                if time.monotonic() - start > 300:
                    raise RuntimeError("only %d of %d messages handled" % (handled(), n))
                time.sleep(0.01)
            return n / (time.monotonic() - start)
        finally:
            up.terminate()
            up.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build/gcc")
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    shim = os.path.join(a.build, "cmd", "containerd-shim-spin-v2", "containerd-shim-spin-v2")
    guests = [("module", os.path.join(a.build, "wasm", "spin1_redis_handler.wasm")),
              ("component", os.path.join(a.build, "wasm", "spin_redis_handler.wasm"))]
    print("load average: %.2f" % os.getloadavg()[0])
    print("| guest | messages | messages/s (best of %d) | all runs |" % a.reps)
    print("|---|---:|---:|---|")
    for kind, wasm in guests:
        rates = [run_once(shim, os.path.abspath(wasm), kind, a.messages) for _ in range(a.reps)]
        print("| %s | %d | %.0f | %s |" % (kind, a.messages, max(rates),
                                          ", ".join("%.0f" % r for r in rates)))


if __name__ == "__main__":
    main()
