#!/bin/bash
# The README's main job: install dependencies, build, and serve the example
# Spin app through a private containerd with our shim (see scripts/demo.py).
#   scripts/demo.sh [--port PORT] [--keep]     (--help: what they do)
# DEMO_BUILD_DIR picks the build directory (default build/demo).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in -h|--help) exec python3 scripts/demo.py --help ;; esac
build="${DEMO_BUILD_DIR:-build/demo}"
scripts/install-deps.sh
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build" -j "$(nproc)"
exec python3 scripts/demo.py --build-dir "$build" "$@"
