#!/bin/bash
# Builds the project and runs the whole test suite with ctest, three ways:
#   1. gcc,   -Wall -Wextra -Werror, every test;
#   2. clang, -Wall -Wextra -Werror, every test;
#   3. clang -O1 (asserts on; -O0 frames under ASan are too large for the
#      engine's nested host->guest call test) with AddressSanitizer + UndefinedBehaviorSanitizer and libFuzzer
#      coverage, every test plus each fuzz target run briefly.
# `scripts/test.sh --quick` runs only the first pass (for the edit-test loop).
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[ "${1:-}" = "--quick" ] && quick=1
jobs=$(nproc)
ctest_args=(--output-on-failure -j "$jobs" --timeout 1500)

run_pass() {
    local name=$1; shift
    echo "=== test pass: $name ==="
    cmake -S . -B "build/$name" -G Ninja -DWERROR=ON "$@" >/dev/null
    cmake --build "build/$name" -j "$jobs"
    (cd "build/$name" && ctest "${ctest_args[@]}")
}

run_pass gcc -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo
[ "$quick" = 1 ] && exit 0

run_pass clang -DCMAKE_C_COMPILER=clang-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_pass asan -DCMAKE_C_COMPILER=clang-14 -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-g -O1" \
        -DSANITIZE=ON -DFUZZ=ON
