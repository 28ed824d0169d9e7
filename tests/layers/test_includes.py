"""The include half of the layer rule: every #include in src/ and cmd/
names a header of the file's own layer, or the door header of a layer the
file's layer uses (layers.py).  A private header of another layer, a door
of a layer above or beside, or a path that climbs into another folder
fails the test, naming file, line and why.

The checker is first run on small made-up trees whose verdicts are known,
so a checker that stopped finding anything would fail too.
"""

import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from layers import CMD_USES, GENERATED, LAYERS  # noqa: E402

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def headers_of(root):
    """{layer: {header file name: path}} for every folder under src/."""
    found = {}
    src = os.path.join(root, "src")
    for layer in sorted(os.listdir(src)):
        if not os.path.isdir(os.path.join(src, layer)):
            continue
        names = {}
        for dirpath, _, files in os.walk(os.path.join(src, layer)):
            for f in files:
                if f.endswith(".h"):
                    names.setdefault(f, os.path.join(dirpath, f))
        found[layer] = names
    return found


def sources(root):
    """(layer, path) of every .c and .h file in src/ and cmd/."""
    for top in ("src", "cmd"):
        base = os.path.join(root, top)
        for dirpath, _, files in os.walk(base):
            rel = os.path.relpath(dirpath, base).split(os.sep)
            layer = rel[0] if top == "src" else "cmd"
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    yield layer, os.path.join(dirpath, f)


def verdict(layer, path, name, quoted, headers, root):
    """None if `#include name` in `path` (of `layer`) keeps the rule, else why not."""
    uses = CMD_USES if layer == "cmd" else LAYERS[layer].uses
    here = os.path.normpath(os.path.join(os.path.dirname(path), name))
    if quoted and os.path.isfile(here):
        owner = os.path.relpath(here, root).split(os.sep)
        if owner[0] == "cmd" and layer == "cmd":
            return None
        if owner[0] == "src" and owner[1] == layer:
            return None
        return f"{name} climbs out of its folder into {'/'.join(owner[:-1])}"
    if "/" in name:
        return None if not quoted else f"{name}: no such header"
    owners = [other for other, names in headers.items() if name in names]
    if not owners:
        if any(name.endswith(s) for s in GENERATED.get(layer, ())):
            return None
        return None if not quoted else f"{name}: no layer has this header"
    for other in owners:
        if other == layer:
            return None
        if name in LAYERS[other].door and other in uses:
            return None
    other = owners[0]
    if name not in LAYERS[other].door:
        return f"{name} is private to src/{other} (its door: {', '.join(LAYERS[other].door)})"
    return f"{name} is the door of {other}, which {layer} may not use (it uses: {', '.join(uses) or 'nothing'})"


def check_tree(root):
    """Every violation in the tree at root, as 'path:line: why' strings."""
    problems = []
    headers = headers_of(root)
    for layer in headers:
        if layer not in LAYERS:
            problems.append(f"src/{layer}: not in the layer table (tests/layers/layers.py): "
                            "give it its place in the order")
    for layer, path in sources(root):
        if layer not in LAYERS and layer != "cmd":
            continue
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                why = verdict(layer, path, m.group(2), m.group(1) == '"', headers, root)
                if why:
                    problems.append(f"{os.path.relpath(path, root)}:{n}: {why}")
    return problems


def make_tree(files):
    root = tempfile.mkdtemp(prefix="layers-test-")
    for rel, text in files.items():
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
    return root


def self_test():
    """The checker's verdicts on made-up trees; returns failures."""
    base = {
        "src/util/util.h": "", "src/util/toml.h": "",
        "src/engine/wasm.h": '#include "util.h"\n', "src/engine/module.h": "",
        "src/spin/spin.h": "", "src/spin/manifest.h": "",
        "src/container/container.h": '#include "util.h"\n', "src/container/internal.h": "",
        "src/shim/shim.h": "", "src/runner/runner.h": "", "src/wasi/wasi.h": "",
        "cmd/bin/main.c": '#include "spin.h"\n#include "runner.h"\n',
    }
    cases = [
        ({}, []),
        ({"src/engine/a.c": '#include "module.h"\n#include <stdio.h>\n'}, []),
        ({"src/shim/a.c": '#include "container.h"\n#include "task.pb-c.h"\n'}, []),
        ({"src/container/run.c": '#include "internal.h"\n#include "spin.h"\n'},
         ["src/container/run.c:2: spin.h is the door of spin, which container may not use"]),
        ({"src/spin/a.c": '#include "module.h"\n'},
         ["src/spin/a.c:1: module.h is private to src/engine"]),
        ({"src/shim/a.c": '#include "../spin/manifest.h"\n'},
         ["src/shim/a.c:1: ../spin/manifest.h climbs out of its folder into src/spin"]),
        ({"src/engine/a.c": '#include <container.h>\n'},
         ["src/engine/a.c:1: container.h is the door of container, which engine may not use"]),
        ({"cmd/bin/x.c": '#include "internal.h"\n'},
         ["cmd/bin/x.c:1: internal.h is private to src/container"]),
        ({"src/newlayer/newlayer.h": ""}, ["src/newlayer: not in the layer table"]),
    ]
    failures = []
    for extra, want in cases:
        root = make_tree({**base, **extra})
        got = check_tree(root)
        ok = len(got) == len(want) and all(g.startswith(w) for g, w in zip(sorted(got), sorted(want)))
        if not ok:
            failures.append(f"self-test {sorted(extra)}: expected {want}, got {got}")
    return failures


def main():
    root = os.environ.get("SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
    root = os.path.abspath(root)
    failures = self_test()
    problems = check_tree(root)
    for f in failures:
        print("FAIL", f)
    for p in problems:
        print("FAIL", p)
    passed = 1 - bool(failures)
    passed += 1 - bool(problems)
    print(f"{passed} passed, {2 - passed} failed")
    return 1 if failures or problems else 0


if __name__ == "__main__":
    sys.exit(main())
