"""test_deps.py - what a node must have installed to run the binary.

The shim is copied onto nodes as a single file, so the only shared
libraries it may need at start are glibc's own (libc, libm, the loader):
json-c, protobuf-c, libseccomp, libcap and nettle are linked in from their
archives, and libmicrohttpd is opened only when an HTTP server starts.  A
build whose CMakeCache says an archive was missing (or STATIC_DEPS=OFF),
or a sanitizer build, is allowed exactly the extra libraries that implies.
Also: the static binary still runs a Wasm command, and a node without
libmicrohttpd gets an error naming the library and the Debian package.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixture"))
from harness import run_tests  # noqa: E402

SHIM = os.environ["SHIM_BIN"]
BUILD_DIR = os.environ["BUILD_DIR"]
WASM_DIR = os.environ["WASM_DIR"]

# glibc's libraries (package libc6, on every node).  The last four are only
# stubs since glibc 2.34 but sanitizer runtimes still ask for them.
GLIBC = {"libc.so.6", "libm.so.6", "ld-linux-x86-64.so.2", "libpthread.so.0",
         "libdl.so.2", "librt.so.1", "libresolv.so.2"}
# pkg-config module's archive cache entry -> the shared library it replaces
ARCHIVED = {"json-c": "libjson-c.so.5", "protobuf-c": "libprotobuf-c.so.1",
            "seccomp": "libseccomp.so.2", "cap": "libcap.so.2", "nettle": "libnettle.so.8"}


def cache():
    entries = {}
    with open(os.path.join(BUILD_DIR, "CMakeCache.txt")) as f:
        for line in f:
            m = re.match(r"^([A-Za-z0-9_.+-]+):[A-Z]+=(.*)$", line.strip())
            if m:
                entries[m.group(1)] = m.group(2)
    return entries


def allowed():
    c = cache()
    ok = set(GLIBC)
    static = c.get("STATIC_DEPS", "ON").upper() in ("ON", "TRUE", "1", "YES")
    for name, soname in ARCHIVED.items():
        archive = c.get(f"DEP_{name}_ARCHIVE", "")
        if not static or not archive or archive.endswith("-NOTFOUND"):
            ok.add(soname)
    if any(c.get(k, "OFF").upper() == "ON" for k in ("SANITIZE", "FUZZ")):
        ok |= {"libasan.so.8", "libubsan.so.1", "libgcc_s.so.1", "libstdc++.so.6"}
    return ok


def needed(path):
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True, check=True)
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out.stdout)


def test_binary_needs_only_glibc():
    libs = needed(SHIM)
    assert "libc.so.6" in libs, libs  # the parse found the entries at all
    extra = [lib for lib in libs if lib not in allowed()]
    assert not extra, f"unexpected DT_NEEDED entries {extra} (all: {libs})"


def test_http_library_is_not_linked():
    libs = needed(SHIM)
    for lib in libs:
        assert "microhttpd" not in lib and "gnutls" not in lib, libs


def test_run_hello_still_works():
    wasm = os.path.join(WASM_DIR, "hello.wasm")
    r = subprocess.run([SHIM, "run", wasm, "x"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[:3] == ["hello from wasm", f"arg[0]={wasm}", "arg[1]=x"], \
        r.stdout


def test_commands_that_serve_nothing_never_load_the_http_library():
    # The dynamic loader lists every object it loads (LD_DEBUG=files).
    wasm = os.path.join(WASM_DIR, "hello.wasm")
    for args in (["-v"], ["run", wasm]):
        env = dict(os.environ, LD_DEBUG="files")
        r = subprocess.run([SHIM] + args, capture_output=True, text=True, env=env, timeout=60)
        assert r.returncode == 0, r.stderr
        assert "libc.so.6" in r.stderr, r.stderr  # the loader did report
        assert "microhttpd" not in r.stderr and "gnutls" not in r.stderr, args


def test_up_without_libmicrohttpd_names_the_package():
    # Hide the library in a private mount namespace (needs root): bind an
    # empty file over it, so dlopen finds the name but cannot load it.
    if os.geteuid() != 0 or not shutil.which("unshare"):
        print("  (skipped: needs root and unshare)")
        return
    lib = None
    for d in ("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"):
        p = os.path.join(d, "libmicrohttpd.so.12")
        if os.path.exists(p):
            lib = os.path.realpath(p)
            break
    assert lib, "libmicrohttpd.so.12 is not installed: the build needs libmicrohttpd-dev"
    app = os.path.join(BUILD_DIR, "apps", "spin-wagi")
    assert os.path.exists(os.path.join(app, "spin.toml")), app
    with tempfile.TemporaryDirectory() as tmp:
        empty = os.path.join(tmp, "empty")
        open(empty, "w").close()
        script = 'mount --bind "$1" "$2" && shift 2 && exec "$@"'
        r = subprocess.run(
            ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", empty, lib,
             SHIM, "up", "--from", app, "--listen", "127.0.0.1:0"],
            capture_output=True, text=True, timeout=120)
    assert r.returncode != 0, (r.stdout, r.stderr)
    assert "libmicrohttpd.so.12" in r.stderr and "libmicrohttpd12" in r.stderr, r.stderr
    assert "serving on" not in r.stdout + r.stderr


if __name__ == "__main__":
    run_tests(globals())
