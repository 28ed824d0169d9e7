#!/bin/sh
# http-wagi.sh - throughput and latency of the Wagi hello app served by
# `containerd-shim-spin-v2 up`, measured with wrk.
#
#   bench/http-wagi.sh [BUILD_DIR] [DURATION_S] [CONNECTIONS]
#
# Prints requests/s and latency percentiles for GET /hello (one fresh Wasm
# instance per request), then the time one request spends in its instance
# (instantiate + run _start + tear down), from 200 sequential requests
# served with debug logging on.  Not run by the tests (timing varies).
set -eu

BUILD_DIR=${1:-build}
DURATION=${2:-10}
CONNS=${3:-32}
SHIM="$BUILD_DIR/cmd/containerd-shim-spin-v2/containerd-shim-spin-v2"
[ -x "$SHIM" ] || SHIM="$BUILD_DIR/containerd-shim-spin-v2"
APP="$BUILD_DIR/apps/spin-wagi"
[ -x "$SHIM" ] || { echo "no containerd-shim-spin-v2 in $BUILD_DIR (build first)" >&2; exit 1; }
[ -f "$APP/spin.toml" ] || { echo "no $APP/spin.toml (build first)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
tmp=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

wait_ready() {
    i=0
    until curl -sf "http://127.0.0.1:$port/.well-known/spin/health" >/dev/null; do
        i=$((i + 1)); [ $i -lt 100 ] || { echo "server did not start" >&2; cat "$tmp/err" >&2; exit 1; }
        sleep 0.1
    done
}

echo "== wrk: GET /hello, $CONNS connections, ${DURATION}s, 2 threads"
"$SHIM" up --from "$APP" --listen "127.0.0.1:$port" >"$tmp/out" 2>"$tmp/err" &
pid=$!
wait_ready
curl -s "http://127.0.0.1:$port/hello" | head -1
wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$port/hello" | tee "$tmp/wrk"
kill -TERM "$pid"; wait "$pid" || true; pid=""
echo
echo "requests/s:  $(awk '/Requests\/sec/ {print $2}' "$tmp/wrk")"
echo "latency p50: $(awk '$1=="50%" {print $2}' "$tmp/wrk")  p90: $(awk '$1=="90%" {print $2}' "$tmp/wrk")  p99: $(awk '$1=="99%" {print $2}' "$tmp/wrk")"

echo
echo "== per-request instance time (200 sequential requests, debug log)"
"$SHIM" up --from "$APP" --listen "127.0.0.1:$port" --log-level debug >"$tmp/out" 2>"$tmp/err" &
pid=$!
wait_ready
python3 - "$port" <<'PY'
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
for _ in range(200):
    c.request("GET", "/hello"); c.getresponse().read()
PY
kill -TERM "$pid"; wait "$pid" || true; pid=""
grep -o "ran in [0-9.]* ms" "$tmp/err" | awk '{print $3}' | sort -n | awk '
    { v[NR] = $1; s += $1 }
    END {
        if (NR == 0) { print "no timing lines found"; exit 1 }
        p50 = int(NR * 0.50) + 1; if (p50 > NR) p50 = NR
        p99 = int(NR * 0.99) + 1; if (p99 > NR) p99 = NR
        printf "instances: %d  mean: %.3f ms  p50: %.3f ms  p99: %.3f ms\n", NR, s / NR, v[p50], v[p99]
    }'
