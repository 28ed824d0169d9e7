#!/usr/bin/env python3
"""demo.py - the main job: serve a Spin app through real containerd and our shim.

Steps (all local; nothing is downloaded):
  1. package examples/spin-wagi (spin.toml + the Wagi component built from
     examples/wagi-hello/wagi.c) as an OCI image with entrypoint "/";
  2. start a private containerd 1.6 whose PATH holds our containerd-shim-spin-v2;
  3. `ctr run --net-host --runtime io.containerd.spin.v2` the image with
     SPIN_HTTP_LISTEN_ADDR=127.0.0.1:PORT;
  4. curl the app and print the answers; then stop everything (or keep it
     running with --keep until Ctrl-C).
Run through scripts/demo.sh, which builds first.
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "fixture"))
from containerd_fixture import Containerd  # noqa: E402
import images  # noqa: E402


def app_rootfs(build_dir, dest):
    """The image content: /spin.toml and the component it names."""
    src = os.path.join(ROOT, "examples", "spin-wagi")
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("CMakeLists.txt", "*.md"))
    for wasm in os.listdir(os.path.join(build_dir, "wasm")):
        shutil.copy2(os.path.join(build_dir, "wasm", wasm), os.path.join(dest, wasm))


def wait_port(port, proc, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build-dir", default=os.path.join(ROOT, "build", "demo"))
    p.add_argument("--port", type=int, default=3000)
    p.add_argument("--keep", action="store_true", help="keep serving until Ctrl-C")
    args = p.parse_args()
    shim_dir = os.path.join(args.build_dir, "cmd", "containerd-shim-spin-v2")

    work = tempfile.mkdtemp(prefix="spin-demo-")
    try:
        rootfs = os.path.join(work, "rootfs")
        app_rootfs(args.build_dir, rootfs)
        tar = os.path.join(work, "app.tar")
        name = images.mkimage(rootfs, "localhost/spin-wagi-demo:latest", tar, entrypoint='["/"]')
        print(f"demo: built image {name}")
        with Containerd(shim_dir=shim_dir) as c:
            c.import_image(tar)
            run = c.ctr_popen("run", "--rm", "--net-host", "--runtime", "io.containerd.spin.v2",
                              "--env", f"SPIN_HTTP_LISTEN_ADDR=127.0.0.1:{args.port}",
                              name, "spin-demo")
            try:
                if not wait_port(args.port, run):
                    print("demo: the app did not start listening; containerd log:\n" + c.log())
                    return 1
                for path in ("/hello", "/echo?x=1", "/.well-known/spin/health"):
                    url = f"http://127.0.0.1:{args.port}{path}"
                    out = subprocess.run(["curl", "-sS", "-i", url], capture_output=True, text=True)
                    print(f"$ curl -i {url}\n{out.stdout}{out.stderr}")
                if args.keep:
                    print(f"demo: serving on http://127.0.0.1:{args.port}/hello - Ctrl-C to stop")
                    run.wait()
            finally:
                c.ctr("tasks", "kill", "-s", "SIGTERM", "spin-demo", check=False)
                try:
                    run.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    run.kill()
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
