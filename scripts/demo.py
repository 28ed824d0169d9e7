#!/usr/bin/env python3
"""demo.py - the main job: serve a Spin app through real containerd and our shim.

Steps (all local; nothing is downloaded):
  1. package the example app the build assembles in <build>/apps/spin-wagi
     (examples/spin-wagi/spin.toml beside the Wagi programs, the wasi:http
     component and the static files it names) as an OCI image with entrypoint "/", like a `FROM scratch`
     Spin image;
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
    """The image content: /spin.toml and exactly the files it names."""
    src = os.path.join(build_dir, "apps", "spin-wagi")
    if not os.path.exists(os.path.join(src, "spin.toml")):
        raise SystemExit(f"demo: {src}/spin.toml is missing - build first (scripts/demo.sh)")
    shutil.copytree(src, dest)


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
    p = argparse.ArgumentParser(
        prog="scripts/demo.sh",
        description="Serve examples/spin-wagi through a private containerd and our shim, curl "
                    "it, and stop (scripts/demo.sh builds first; DEMO_BUILD_DIR picks its build "
                    "directory).")
    p.add_argument("--build-dir", default=os.path.join(ROOT, "build", "demo"),
                   help="the build holding the shim and apps/spin-wagi (default: build/demo; "
                        "demo.sh passes DEMO_BUILD_DIR)")
    p.add_argument("--port", type=int, default=3000,
                   help="serve the app on 127.0.0.1:PORT (default: 3000)")
    p.add_argument("--keep", action="store_true",
                   help="after the curls, keep serving until Ctrl-C")
    args = p.parse_args()
    shim_dir = os.path.join(args.build_dir, "cmd", "containerd-shim-spin-v2")
    probe = socket.socket()
    try:
        probe.bind(("127.0.0.1", args.port))
    except OSError as e:
        print(f"demo: port {args.port} is not free ({e.strerror}); pick another with --port")
        return 1
    finally:
        probe.close()

    work = tempfile.mkdtemp(prefix="spin-demo-")
    try:
        rootfs = os.path.join(work, "rootfs")
        app_rootfs(args.build_dir, rootfs)
        tar = os.path.join(work, "app.tar")
        name = images.mkimage(rootfs, "localhost/spin-wagi-demo:latest", tar, entrypoint='["/"]',
                             arch="wasm", os_="wasip1")
        print(f"demo: built image {name}", flush=True)
        with Containerd(shim_dir=shim_dir) as c:
            c.import_image(tar)
            run = c.ctr_popen("run", "--rm", "--net-host", "--runtime", "io.containerd.spin.v2",
                              "--env", f"SPIN_HTTP_LISTEN_ADDR=127.0.0.1:{args.port}",
                              name, "spin-demo")
            try:
                if not wait_port(args.port, run):
                    print("demo: the app did not start listening; containerd log:\n" + c.log())
                    return 1
                for path, data in (("/hello", None), ("/api/echo?x=1", "posted body"),
                                   ("/component/hi?lang=c", None),
                                   ("/static/data/answer.json", None), ("/nowhere", None),
                                   ("/.well-known/spin/health", None)):
                    url = f"http://127.0.0.1:{args.port}{path}"
                    cmd = ["curl", "-sS", "-i", url] + (["--data", data] if data else [])
                    out = subprocess.run(cmd, capture_output=True, text=True)
                    shown = f"curl -i {url}" + (f" --data '{data}'" if data else "")
                    print(f"$ {shown}\n{out.stdout}{out.stderr}".rstrip() + "\n", flush=True)
                if args.keep:
                    print(f"demo: serving on http://127.0.0.1:{args.port}/hello - Ctrl-C to stop")
                    run.wait()
            finally:
                c.ctr("tasks", "kill", "-s", "SIGTERM", "spin-demo", check=False)
                try:
                    print(f"demo: SIGTERM -> the app exited with status {run.wait(timeout=10)}")
                except subprocess.TimeoutExpired:
                    run.kill()
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
