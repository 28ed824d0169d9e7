#!/usr/bin/env python3
"""wasi_testsuite.py - runs the WebAssembly/wasi-testsuite (preview 1) through
`containerd-shim-spin-v2 run` and compares exit codes and output with each
test's JSON specification (doc/specification.md of the suite).

Every test runs in a fresh process on a temporary COPY of its fixture
directory (tests write into it), preopened as the guest's `/`, with exactly
the environment the spec lists.  A test listed in wasi_testsuite_xfail.txt
may fail without failing the run (the list must shrink to empty); anything
else that fails makes the run fail.  Last line: "N passed, N failed, N skipped".

With --component, every test program is first turned into a WASI 0.2
command component by the preview-1 adapter (`jco new FILE --wasi-command`,
jco from npm: env JCO) and runs through our WASI 0.2 host instead.  The
adapter reduces proc_exit(N) to wasi:cli/exit's ok/err, so a test expecting
a non-zero code expects 1 there.  Its own list of allowed failures is
wasi_testsuite_component_xfail.txt.  Components are cached under
.tools/cache/ by the program's SHA-256, so build folders share them.

usage: wasi_testsuite.py [-v] [--component] [NAME-SUBSTRING...]
  env: SHIM_BIN (our binary), SHARED_DIR (holds corpora/wasi-testsuite),
       JCO (with --component), SOURCE_DIR (the checkout, for the cache)
"""
import concurrent.futures
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SUITES = ["assemblyscript", "c", "rust"]
TIMEOUT_S = 60  # generous: 2 MB Rust binaries on an interpreter, 2 shared cores

# Tests skipped, each with its reason (keep this list empty unless a test
# cannot be run at all by a preview-1 command runner):
SKIP = {
    # (none)
}


def load_xfail(component):
    xf = {}
    path = os.path.join(HERE, "wasi_testsuite_component_xfail.txt" if component
                        else "wasi_testsuite_xfail.txt")
    if os.path.exists(path):
        for line in open(path):
            line = line.split("#", 1)
            name = line[0].strip()
            if name:
                xf[name] = line[1].strip() if len(line) > 1 else ""
    return xf


def componentize(jco, cache, wasm):
    """The WASI 0.2 command component of preview-1 program `wasm` (cached)."""
    with open(wasm, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    out = os.path.join(cache, digest + ".wasm")
    if not os.path.exists(out):
        tmp = out + ".%d.tmp" % os.getpid()
        p = subprocess.run([jco, "new", wasm, "--wasi-command", "-o", tmp],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if p.returncode != 0:
            raise RuntimeError("jco new %s: %s" % (wasm, p.stdout.decode(errors="replace")))
        os.replace(tmp, out)
    return out


def run_one(shim, suite_dir, name, spec, verbose, program=None, component=False):
    """Returns None on success, else a one-line reason."""
    with tempfile.TemporaryDirectory(prefix="wasi-ts-") as tmp:
        argv = [shim, "run"]
        root = spec.get("root")
        if root is not None:
            src = os.path.join(suite_dir, root)
            dst = os.path.join(tmp, os.path.basename(root.rstrip("/")) or "root")
            shutil.copytree(src, dst, symlinks=True)
            for dirpath, dirnames, filenames in os.walk(dst):
                for n in dirnames + filenames:
                    if n.endswith(".cleanup"):
                        p = os.path.join(dirpath, n)
                        if os.path.isdir(p) and not os.path.islink(p):
                            shutil.rmtree(p)
                        else:
                            os.unlink(p)
            argv += ["--dir", dst + "::/"]
        for k, v in spec.get("env", {}).items():
            argv += ["--env", "%s=%s" % (k, v)]
        argv += ["--", program or os.path.join(suite_dir, name + ".wasm")]
        argv += spec.get("args", [])
        try:
            p = subprocess.run(argv, cwd=tmp, input=b"", stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=TIMEOUT_S, env={})
        except subprocess.TimeoutExpired:
            return "timed out after %d s" % TIMEOUT_S
        if verbose:
            sys.stdout.write(p.stdout.decode(errors="replace"))
            sys.stdout.write(p.stderr.decode(errors="replace"))
        want = spec.get("exit_code", 0)
        if component and want != 0:
            want = 1  # the adapter's proc_exit(N) is wasi:cli/exit(err)
        if p.returncode != want:
            err = p.stderr.decode(errors="replace").strip().splitlines()
            return "exit code %d, expected %d%s" % (
                p.returncode, want, (": " + err[0][:200]) if err else "")
        for stream, got in (("stdout", p.stdout), ("stderr", p.stderr)):
            if stream in spec:
                exp = spec[stream].encode()
                if got[:len(exp)] != exp:
                    return "%s %r, expected %r" % (stream, got[:len(exp) + 40], exp)
    return None


def main():
    args = sys.argv[1:]
    verbose = "-v" in args
    component = "--component" in args
    filters = [a for a in args if a not in ("-v", "--component")]
    shim = os.environ.get("SHIM_BIN")
    shared = os.environ.get("SHARED_DIR", os.path.join(HERE, "..", "..", "..", "shared"))
    base = os.path.join(shared, "corpora", "wasi-testsuite")
    if not shim or not os.access(shim, os.X_OK):
        print("SHIM_BIN must name the containerd-shim-spin-v2 binary")
        return 2
    if not os.path.isdir(base):
        print("wasi-testsuite not found at %s" % base)
        return 2
    xfail = load_xfail(component)
    programs = {}
    if component:
        jco = os.environ.get("JCO")
        if not jco or not os.access(jco, os.X_OK):
            print("JCO must name the jco binary (scripts/install-deps.sh installs it)")
            return 2
        source = os.environ.get("SOURCE_DIR", os.path.join(HERE, "..", ".."))
        cache = os.path.join(source, ".tools", "cache", "wasi-testsuite-components")
        os.makedirs(cache, exist_ok=True)
        wanted = [os.path.join(base, suite, "wasm32-wasip1", f)
                  for suite in SUITES
                  for f in sorted(os.listdir(os.path.join(base, suite, "wasm32-wasip1")))
                  if f.endswith(".wasm")]
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            for src, out in zip(wanted, pool.map(lambda w: componentize(jco, cache, w), wanted)):
                programs[src] = out
    passed = failed = skipped = unexpected = 0
    fixed = []
    for suite in SUITES:
        suite_dir = os.path.join(base, suite, "wasm32-wasip1")
        for f in sorted(os.listdir(suite_dir)):
            if not f.endswith(".wasm"):
                continue
            name = f[:-5]
            full = "%s/%s" % (suite, name)
            if filters and not any(x in full for x in filters):
                continue
            if full in SKIP:
                skipped += 1
                print("SKIP %s: %s" % (full, SKIP[full]))
                continue
            spec = {}
            jpath = os.path.join(suite_dir, name + ".json")
            if os.path.exists(jpath):
                with open(jpath) as fh:
                    spec = json.load(fh)
            if "operations" in spec:
                skipped += 1  # the operation form is only used by preview 3 tests
                print("SKIP %s: operation-based spec (preview 3 only)" % full)
                continue
            why = run_one(shim, suite_dir, name, spec, verbose,
                          programs.get(os.path.join(suite_dir, f)), component)
            if why is None:
                passed += 1
                if full in xfail:
                    fixed.append(full)
                print("PASS %s" % full)
            else:
                failed += 1
                if full in xfail:
                    print("XFAIL %s: %s" % (full, why))
                else:
                    unexpected += 1
                    print("FAIL %s: %s" % (full, why))
            sys.stdout.flush()
    for f in fixed:
        print("note: %s passes now; remove it from wasi_testsuite_xfail.txt" % f)
    if failed:
        print("%d of the failures are expected (wasi_testsuite_xfail.txt)" % (failed - unexpected))
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
