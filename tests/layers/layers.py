"""The layers of src/, their doors, what each may use, and its symbol prefix.

One table for the two mechanical checks of the layer rule
(docs/CONTRIBUTING-LAYERS.md): test_includes.py (a file includes only its
own layer's headers and the doors of layers it uses) and test_symbols.py
(every global symbol of a layer's library carries the layer's prefix, and
the library needs only layers it uses).

Two columns joined by runner, lowest first:

    shim        -> oci, container -> util     (the sandbox column)
    runner      -> container, spin, wasi, engine, util   (the joint)
    spin        -> wasi -> engine -> util     (the Wasm column)
    spin        -> spinapi -> component       (Spin's host APIs for components)
    spin        -> wasi2, component           (HTTP components)
    spin        -> otel -> util               (traces; wasi2 reports through hooks)
                   wasi -> hostio -> util     (hostio sits beside engine)
                   wasi -> wasi2 -> component -> engine, util
                                              (the run policy covers components)
    wasi2       -> component, hostio, engine, util   (WASI 0.2 for components)

cmd/ (the binary) may include every door.  A new folder under src/ must be
added here before the checks pass: its place in the order is a decision.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Layer:
    door: tuple  # headers other layers may include
    uses: tuple  # layers it may include and link (all of them, not only the next)
    prefix: str  # every global symbol starts with it
    # Symbol families exempt from the prefix (none since the renames to
    # util_toml_, wasm_mv_, spin_manifest_, ...; a new family is not allowed):
    legacy: tuple = field(default=())


LAYERS = {
    "util": Layer(door=("util.h", "toml.h", "leb128.h", "util_curl.h"), uses=(), prefix="util_"),
    # OpenTelemetry traces: spans, trace context, the OTLP/HTTP exporter;
    # spin starts spans, wasi2 reports its outbound requests through hooks
    "otel": Layer(door=("otel.h",), uses=("util",), prefix="otel_"),
    # wasm_ becomes engine_ with the planned rename (README, design choices)
    "engine": Layer(door=("wasm.h",), uses=("util",), prefix="wasm_"),
    # capability paths and descriptor tables, shared by both WASIs; no Wasm
    "hostio": Layer(door=("hostio.h",), uses=("util",), prefix="hostio_"),
    # the component model (binary format first; linking, canonical ABI later)
    "component": Layer(door=("component.h",), uses=("engine", "util"), prefix="component_"),
    # WASI 0.2, served to components; shares hostio with preview 1
    "wasi2": Layer(door=("wasi2.h",), uses=("component", "hostio", "engine", "util"),
                   prefix="wasi2_"),
    # preview 1, and the one run policy for commands, modules and components
    "wasi": Layer(door=("wasi.h",), uses=("wasi2", "component", "hostio", "engine", "util"),
                  prefix="wasi_"),
    # Spin's host APIs for components (variables, key-value, sqlite, ...)
    "spinapi": Layer(door=("spinapi.h",), uses=("component", "engine", "util"),
                     prefix="spinapi_"),
    "spin": Layer(door=("spin.h",),
                  uses=("otel", "spinapi", "wasi", "wasi2", "component", "engine", "util"),
                  prefix="spin_"),
    "container": Layer(door=("container.h",), uses=("util",), prefix="container_"),
    "runner": Layer(door=("runner.h",), uses=("container", "spin", "wasi", "engine", "util"),
                    prefix="runner_"),
    # containerd's content store: Spin OCI artifacts into the empty rootfs
    "oci": Layer(door=("oci.h",), uses=("util",), prefix="oci_"),
    "shim": Layer(door=("shim.h",), uses=("oci", "container", "util"), prefix="shim_"),
}

# The binary: every door, nothing private.
CMD_USES = tuple(LAYERS)

# Headers generated into a layer's build folder (protoc-c), by suffix.
GENERATED = {"shim": (".pb-c.h",), "oci": (".pb-c.h",), "otel": (".pb-c.h",)}
