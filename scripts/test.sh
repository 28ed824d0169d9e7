#!/bin/bash
# Installs what the tests need (scripts/install-deps.sh: idempotent, about a
# second when everything is there), then builds the project and runs the
# test suite with ctest, four ways:
#   1. gcc,   -Wall -Wextra -Werror, every test;
#   2. gcc -O3 (Release, what scripts/demo.sh builds), -Werror: the build,
#      whose optimiser warns about things -O2 does not see, plus the quick
#      unit and engine tests;
#   3. clang, -Wall -Wextra -Werror, every test;
#   4. clang -O1 (asserts on; -O0 frames under ASan are too large for the
#      engine's nested host->guest call test) with AddressSanitizer + UndefinedBehaviorSanitizer and libFuzzer
#      coverage, every test plus each fuzz target run briefly.
# `scripts/test.sh --quick` runs only the first pass (for the edit-test loop).
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[ "${1:-}" = "--quick" ] && quick=1
jobs=$(nproc)
ctest_args=(--output-on-failure -j "$jobs" --timeout 1500)

scripts/install-deps.sh

# run_pass NAME [-L LABELS] -- CMAKE_ARGS...
run_pass() {
    local name=$1; shift
    local select=()
    if [ "$1" = "-L" ]; then select=(-L "$2"); shift 2; fi
    [ "$1" = "--" ] && shift
    echo "=== test pass: $name ==="
    cmake -S . -B "build/$name" -G Ninja -DWERROR=ON "$@" >/dev/null
    cmake --build "build/$name" -j "$jobs"
    (cd "build/$name" && ctest "${ctest_args[@]}" "${select[@]}")
}

run_pass gcc -- -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo
[ "$quick" = 1 ] && exit 0

run_pass release -L 'unit|engine' -- -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Release
run_pass clang -- -DCMAKE_C_COMPILER=clang-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_pass asan -- -DCMAKE_C_COMPILER=clang-14 -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-g -O1" \
        -DSANITIZE=ON -DFUZZ=ON
