#!/usr/bin/env python3
"""Builds a JS HTTP component with componentize-js for the wasi2 tests.

Usage: build_js_component.py NODE CLI_JS BUILTIN_WIT WORLD_WIT WORLD JS OUT [DEPS]

DEPS, when given, is a directory of more WIT packages (one folder each)
the world imports, copied into deps/ as they are.

componentize-js 0.23 (StarlingMonkey) implements wasi:http@0.2.10, and the
only WIT packages at hand are jco's built-in 0.2.12 ones: those are copied
into a scratch deps/ directory as 0.2.10, without their @since/@unstable
gates (which name versions the renamed packages no longer have).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile


def main(argv):
    node, cli, builtin, world_wit, world, js, out = argv[1:8]
    with tempfile.TemporaryDirectory(prefix="wasi2-js-") as tmp:
        wit = os.path.join(tmp, "wit")
        os.makedirs(os.path.join(wit, "deps"))
        shutil.copy(world_wit, os.path.join(wit, "world.wit"))
        for pkg in sorted(os.listdir(builtin)):
            src = os.path.join(builtin, pkg)
            if not os.path.isdir(src):
                continue
            dst = os.path.join(wit, "deps", pkg)
            os.makedirs(dst)
            for name in os.listdir(src):
                if not name.endswith(".wit"):
                    continue
                with open(os.path.join(src, name)) as f:
                    text = f.read()
                text = text.replace("0.2.12", "0.2.10")
                text = re.sub(r"(?m)^\s*@(since|unstable|deprecated)\(.*\)\s*\n", "", text)
                with open(os.path.join(dst, name), "w") as f:
                    f.write(text)
        if len(argv) > 8:
            for pkg in sorted(os.listdir(argv[8])):
                shutil.copytree(os.path.join(argv[8], pkg), os.path.join(wit, "deps", pkg))
        tmp_out = out + ".tmp"
        subprocess.run([node, cli, js, "--wit", wit, "-n", world, "-o", tmp_out], check=True,
                       cwd=tmp)
        os.replace(tmp_out, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
