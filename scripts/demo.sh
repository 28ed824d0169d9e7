#!/bin/bash
# The README's main job: install dependencies, build, and serve the example
# Spin app through a private containerd with our shim (see scripts/demo.py).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/demo -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build build/demo -j "$(nproc)"
exec python3 scripts/demo.py --build-dir build/demo "$@"
