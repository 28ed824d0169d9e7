#!/usr/bin/env python3
"""engine.py - our Wasm engine against native code and other engines, in one go.

Six C programs (bench/programs/*.c: calls, integer hashing, float loops,
matrix multiply, memory copy/fill, a hash table) are compiled natively with
gcc -O2 and to wasm32-wasi with clang-14 -O2, then run by every runner
available, several times each.  A runner's figure is the smallest CPU time
(user + system) over the repetitions, reported as a ratio to native; the
summary is the geometric mean of the ratios.  Each run's output must equal
the native output, or the cell says "wrong" - a fast wrong answer counts
for nothing.  A hello-world process is timed separately (wall clock, mean of
many runs) because start-up is what a per-request host pays.

"ours compiled" is the same binary with WASM_TIER=compile (the compiler
tier, src/engine/jit_compile.c).  Peers: node's WASI (V8) always; wasm3 and WAMR when their binaries are
given (--wasm3, --iwasm, --iwasm-classic): build them yourself from their
sources, outside this repository.

    bench/engine.py --shim build/gcc/cmd/containerd-shim-spin-v2/containerd-shim-spin-v2 \
        [--wasm3 PATH] [--iwasm PATH] [--iwasm-classic PATH] [--reps 3]
"""
import argparse
import math
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = [  # name, argument chosen for ~0.1-0.3 s natively on the reference machine
    ("fib", "40"),
    ("sha256", "48"),
    ("nbody", "2000000"),
    ("matmul", "600"),
    ("memops", "1500"),
    ("hashtable", "1000000"),
]
NODE_RUNNER = """
import { WASI } from 'node:wasi';
import { readFileSync } from 'node:fs';
const [file, ...args] = process.argv.slice(2);
const wasi = new WASI({ version: 'preview1', args: [file, ...args], env: {}, preopens: {} });
const mod = await WebAssembly.compile(readFileSync(file));
const inst = await WebAssembly.instantiate(mod, wasi.getImportObject());
process.exitCode = wasi.start(inst);
"""


def build(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for name, _ in PROGRAMS + [("hello", "")]:
        src = os.path.join(HERE, "programs", name + ".c")
        native = os.path.join(out_dir, name)
        wasm = native + ".wasm"
        subprocess.run(["gcc", "-O2", "-o", native, src, "-lm"], check=True)
        # -mbulk-memory: memcpy/memset become memory.copy/memory.fill, as current
        # toolchains emit by default and as real Spin apps use heavily.
        subprocess.run(["clang-14", "--target=wasm32-wasi", "-O2", "-mbulk-memory", "-o", wasm,
                        src], check=True)
    runner = os.path.join(out_dir, "node-wasi.mjs")
    with open(runner, "w") as f:
        f.write(NODE_RUNNER)
    return runner


def cpu_time(cmd):
    """Runs cmd; returns (cpu seconds of the child, stdout, exit code)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = subprocess.run(cmd, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, r.stdout, r.returncode


def runners(args, out_dir, node_runner):
    rs = [("native", lambda p: [os.path.join(out_dir, p)])]
    rs.append(("node (V8)", lambda p: ["node", "--no-warnings", node_runner,
                                       os.path.join(out_dir, p + ".wasm")]))
    if args.shim:
        rs.append(("ours", lambda p: [args.shim, "run", os.path.join(out_dir, p + ".wasm")]))
        # the compiler tier (opt-in while it does not cover everything)
        rs.append(("ours compiled", lambda p: ["env", "WASM_TIER=compile", args.shim, "run",
                                               os.path.join(out_dir, p + ".wasm")]))
    if args.wasm3:
        rs.append(("wasm3", lambda p: [args.wasm3, os.path.join(out_dir, p + ".wasm")]))
    if args.iwasm:
        rs.append(("WAMR fast-interp", lambda p: [args.iwasm, os.path.join(out_dir, p + ".wasm")]))
    if args.iwasm_classic:
        rs.append(("WAMR classic", lambda p: [args.iwasm_classic,
                                              os.path.join(out_dir, p + ".wasm")]))
    return rs


def measure(args):
    out_dir = args.out_dir
    node_runner = build(out_dir)
    rs = runners(args, out_dir, node_runner)
    table = {}
    for prog, arg in PROGRAMS:
        expected = None
        for rname, cmd in rs:
            best, status = None, "ok"
            for _ in range(args.reps if rname in ("native", "ours", "ours compiled") else max(1, args.peer_reps)):
                cpu, out, rc = cpu_time(cmd(prog) + [arg])
                if rname == "native":
                    expected = out
                if rc != 0:
                    status = f"exit {rc}"
                    break
                if out != expected:
                    status = "wrong"
                    break
                best = cpu if best is None else min(best, cpu)
            table[(prog, rname)] = (best, status)
            print(f"  {prog:10} {rname:17} {status:8} {best if best is not None else float('nan'):.3f}s",
                  file=sys.stderr, flush=True)
    hello = {}
    for rname, cmd in rs:
        n, start, ok = args.hello_runs, time.monotonic(), True
        for _ in range(n):
            r = subprocess.run(cmd("hello"), capture_output=True, text=True)
            ok = ok and r.returncode == 0 and r.stdout == "hello\n"
        hello[rname] = ((time.monotonic() - start) / n * 1000, ok)
    return rs, table, hello


def report(rs, table, hello):
    names = [r[0] for r in rs]
    lines = ["| program | native CPU s | " + " | ".join(n + " ×" for n in names[1:]) + " |",
             "|---|---:|" + "---:|" * (len(names) - 1)]
    ratios = {n: [] for n in names[1:]}
    for prog, _ in PROGRAMS:
        native, _ = table[(prog, "native")]
        cells = [f"{native:.3f}"]
        for n in names[1:]:
            t, status = table[(prog, n)]
            if status != "ok" or t is None or not native:
                cells.append(status)
            else:
                ratios[n].append(t / native)
                cells.append(f"{t / native:.1f}")
        lines.append(f"| {prog} | " + " | ".join(cells) + " |")
    geo = []
    for n in names[1:]:
        rr = ratios[n]
        geo.append(f"**{math.exp(sum(map(math.log, rr)) / len(rr)):.1f}**"
                   if len(rr) == len(PROGRAMS) else f"({len(rr)}/{len(PROGRAMS)} ran)")
    lines.append("| geomean | | " + " | ".join(geo) + " |")
    lines.append("")
    lines.append("| hello-world process (wall, mean) | " +
                 " | ".join(f"{n}: {ms:.1f} ms" + ("" if ok else " (wrong)")
                            for n, (ms, ok) in hello.items()) + " |")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--shim", help="our containerd-shim-spin-v2 binary (runs `run`)")
    p.add_argument("--wasm3")
    p.add_argument("--iwasm", help="WAMR iwasm built with the fast interpreter")
    p.add_argument("--iwasm-classic", help="WAMR iwasm built with the classic interpreter")
    p.add_argument("--reps", type=int, default=3, help="repetitions for native and ours")
    p.add_argument("--peer-reps", type=int, default=1, help="repetitions for the other peers")
    p.add_argument("--hello-runs", type=int, default=30)
    p.add_argument("--out-dir", default="/tmp/engine-bench")
    args = p.parse_args()
    print(report(*measure(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
