#!/bin/sh
# hello-start.sh - start-up time of a hello-world process: the time from
# exec to exit of examples/hello, built natively (gcc -O2) and run as
# Wasm by us (`containerd-shim-spin-v2 run`), wasm3, WAMR (fast interpreter)
# and node's WASI, plus `containerd-shim-spin-v2 -v` (exec + dynamic
# loading + exit, no Wasm at all).
#
#   bench/hello-start.sh [BUILD_DIR] [RUNS]
#
# Every command runs in one hyperfine invocation (-N: no shell in between),
# so all sides see the same machine load; prints the load average, then a
# Markdown table of mean ms and the ratio to the native program.  Peers
# that are not installed (WASM3, IWASM, node) are skipped with a note.
# Not run by the tests (timing varies).
set -eu

BUILD_DIR=${1:-build}
RUNS=${2:-300}
SRC_DIR=$(cd "$(dirname "$0")/.." && pwd)
SHIM="$BUILD_DIR/cmd/containerd-shim-spin-v2/containerd-shim-spin-v2"
WASM="$BUILD_DIR/wasm/hello.wasm"
WASM3=${WASM3:-/tmp/peers/wasm3/build/wasm3}
IWASM=${IWASM:-/tmp/peers/wamr/product-mini/platforms/linux/build-fast/iwasm}
[ -x "$SHIM" ] || { echo "no $SHIM (build first)" >&2; exit 1; }
[ -f "$WASM" ] || { echo "no $WASM (build first)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine is not installed" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

gcc -O2 -o "$tmp/hello-native" "$SRC_DIR/examples/hello/hello.c"
# node's WASI, the smallest runner that works: preview1, our stdio, argv.
cat >"$tmp/wasi-run.mjs" <<'JS'
import { readFileSync } from "node:fs";
import { WASI } from "node:wasi";
const file = process.argv[2];
const wasi = new WASI({ version: "preview1", args: [file], env: {} });
const mod = await WebAssembly.compile(readFileSync(file));
const inst = await WebAssembly.instantiate(mod, wasi.getImportObject());
process.exitCode = wasi.start(inst);
JS

# name|command; a runner is measured only if it prints the greeting.
set -- "native (gcc -O2)|$tmp/hello-native" \
       "ours: run hello.wasm|$SHIM run $WASM" \
       "wasm3|$WASM3 $WASM" \
       "WAMR fast-interp|$IWASM $WASM" \
       "node WASI|node --no-warnings $tmp/wasi-run.mjs $WASM" \
       "ours: -v (no Wasm)|$SHIM -v"
names=""
for r in "$@"; do
    name=${r%%|*}
    cmd=${r#*|}
    # shellcheck disable=SC2086
    if [ "$name" = "ours: -v (no Wasm)" ] || $cmd 2>/dev/null | grep -q "hello from wasm"; then
        names="$names$name|$cmd
"
    else
        echo "skipped: $name ($cmd did not print the greeting)" >&2
    fi
done

set --
while IFS= read -r line; do
    [ -n "$line" ] || continue
    set -- "$@" -n "${line%%|*}" "${line#*|}"
done <<NAMES
$names
NAMES

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)  ($(nproc) CPUs)"
hyperfine -N --warmup 20 --runs "$RUNS" --style none --export-json "$tmp/r.json" "$@" \
    >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$tmp/r.json" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
ref = res[0]["mean"]
print("| runner | mean ms | ± ms | min ms | × native |")
print("|---|---:|---:|---:|---:|")
for r in res:
    print(f"| {r['command']} | {r['mean']*1e3:.2f} | {r['stddev']*1e3:.2f} | "
          f"{r['min']*1e3:.2f} | {r['mean']/ref:.2f} |")
PY
