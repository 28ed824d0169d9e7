#!/usr/bin/env python3
"""components.py - what a WASI 0.2 component costs in our runtime, next to
the same program as a preview-1 module and next to jco (node) as a peer.

  bench/components.py [--build BUILD_DIR] [--runs N]

Three tables, one invocation (the same machine load for every row):
  1. process start: examples/hello as a native program, as a preview-1
     module (`run hello.wasm`), as a component (`run hello.component.wasm`,
     the module wrapped by jco's preview-1 command adapter) and under
     `jco run` (node) when jco is installed; hyperfine, mean ms.
  2. instantiate + wasi:cli/run in-process (bench/component_bench.c): a
     fresh store, WASI 0.2 context and instance graph per run, compiled once;
     p50/p99/mean microseconds, for the hello component and the corpus's
     C and Rust command components.
  3. a guest->host call taking and returning a string, a million times
     (bench/components/echo.wat): ns per call.
Not run by the tests (timings vary).  jco: .tools/node_modules/.bin/jco
(scripts/install-deps.sh).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)


def sh(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(SRC, "build"))
    ap.add_argument("--runs", type=int, default=200)
    a = ap.parse_args()
    shim = os.path.join(a.build, "cmd", "containerd-shim-spin-v2", "containerd-shim-spin-v2")
    bench = os.path.join(a.build, "bench", "component-bench")
    hello = os.path.join(a.build, "wasm", "hello.wasm")
    jco = os.path.join(SRC, ".tools", "node_modules", ".bin", "jco")
    real = os.path.join(SRC, "..", "shared", "corpora", "components", "real")
    for f in (shim, bench, hello, jco):
        if not os.path.exists(f):
            sys.exit("missing %s (build first; scripts/install-deps.sh for jco)" % f)
    print("load average: %s" % open("/proc/loadavg").read().split()[:3])
    with tempfile.TemporaryDirectory() as tmp:
        native = os.path.join(tmp, "hello-native")
        sh("gcc", "-O2", "-o", native, os.path.join(SRC, "examples", "hello", "hello.c"))
        comp = os.path.join(tmp, "hello.component.wasm")
        sh(jco, "new", hello, "--wasi-command", "-o", comp)
        echo = os.path.join(tmp, "echo.wasm")
        sh(jco, "parse", os.path.join(HERE, "components", "echo.wat"), "-o", echo)

        rows = [("native (gcc -O2)", native), ("ours: run hello.wasm (module)", f"{shim} run {hello}"),
                ("ours: run hello.component.wasm", f"{shim} run {comp}")]
        if shutil.which("node"):
            rows.append(("jco run (node)", f"{jco} run {comp}"))
        out = os.path.join(tmp, "hf.json")
        cmd = ["hyperfine", "-N", "--warmup", "5", "--runs", str(a.runs), "--export-json", out]
        for name, c in rows:
            cmd += ["-n", name, c]
        subprocess.run(cmd, check=True, capture_output=True)
        res = json.load(open(out))["results"]
        base = res[0]["mean"]
        print("\n| hello process | mean ms | × native |\n|---|---:|---:|")
        for r in res:
            print("| %s | %.2f | %.1f |" % (r["command"], r["mean"] * 1e3, r["mean"] / base))

        print("\n| instantiate + wasi:cli/run, in-process | result |\n|---|---|")
        for name, f in (("examples/hello as a component", comp),
                        ("c-hello-cmd (corpus)", os.path.join(real, "c-hello-cmd.wasm")),
                        ("runwasi Rust hello (corpus)",
                         os.path.join(real, "gh-runwasi-component-hello-world.rust-cmd.wasm"))):
            r = sh(bench, "instantiate", f, str(max(a.runs * 5, 500)))
            print("| %s | %s |" % (name, r.stdout.strip().split(": ", 1)[1]))
        r = sh(bench, "hostcall", echo, "1000000")
        print("\n| guest -> host call | result |\n|---|---|")
        print("| string -> string, 16 bytes | %s |" % r.stdout.strip().split(": ", 1)[1])


if __name__ == "__main__":
    main()
