#!/usr/bin/env python3
"""http_otel.py - HTTP requests/s of `up` with OpenTelemetry tracing off
and on (a private OTLP/HTTP receiver taking every export), interleaved.

    bench/http_otel.py [BUILD_DIR] [DURATION_S] [CONNECTIONS] [ROUNDS]

The app is the corpus's c-http.wasm at /... (a fresh instance per request);
wrk sends GET / (see http_components.py).  "on" exports one server span
per request (OTEL_EXPORTER_OTLP_ENDPOINT at the receiver, the default
5 s batch delay, batches of up to 512 spans).  Not run by the tests.
"""
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "fixture"))
from http_components import REAL, free_port, shim_path, start, stop, write_app, wrk  # noqa
from otlp_receiver import Receiver  # noqa: E402


def run(shim, app, env, duration, conns):
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        port = free_port()
        proc, _ = start(shim, app, port)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    result = wrk(port, duration, conns)
    stop(proc)
    return result


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    duration = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    conns = int(sys.argv[3]) if len(sys.argv) > 3 else 32
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    shim = shim_path(build)
    print("| tracing | requests/s | p50 | p99 | non-2xx | spans received |")
    print("|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp, Receiver() as rx:
        app = write_app(tmp, os.path.join(REAL, "c-http.wasm"))
        for _ in range(rounds):
            for name, env in (("off", {}),
                              ("on", {"OTEL_EXPORTER_OTLP_ENDPOINT": rx.url})):
                before = len(rx.spans)
                rps, p50, p99, bad = run(shim, app, env, duration, conns)
                got = len(rx.spans) - before
                print(f"| {name} | {rps:,.0f} | {p50} | {p99} | {bad} | "
                      f"{got if name == 'on' else '-'} |", flush=True)


if __name__ == "__main__":
    main()
