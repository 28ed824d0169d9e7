"""test_spin_inbound_http_up.py - `up` serves Spin 1 ABI core modules
(exporting handle-http-request) through the default HTTP executor.

The TinyGo example of containerd-shim-spin (images/spin/go-hello, Spin Go
SDK v2, from the shared corpus) answers GET and POST with the request it
saw; WAT modules (tests/spin/wat) trap, exit, or return bad pointers, each
of which is a 500 after which the server keeps serving; a module without
the Spin 1 exports is refused at start-up.
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixture"))
from harness import run_tests  # noqa: E402
from test_up import Up, up_fails  # noqa: E402

SHARED = os.environ["SHARED_DIR"]
WASM_DIR = os.environ["WASM_DIR"]
GO_HELLO = os.path.join(SHARED, "corpora", "components", "real",
                        "gh-shim-spin-go-hello.tinygo-spin-http.core.wasm")
MISBEHAVE = os.path.join(WASM_DIR, "spin1_misbehave.wasm")
INCOMPLETE = os.path.join(WASM_DIR, "spin1_incomplete.wasm")
CONFIG = os.path.join(WASM_DIR, "spin1_config.wasm")
FRESH = os.path.join(WASM_DIR, "spin1_fresh.wasm")
COMPONENT = os.path.join(WASM_DIR, "spin_inbound_http_component.wasm")

# The manifest of the containerd-shim-spin image, with only its Go component.
GO_MANIFEST = """spin_manifest_version = 2

[application]
name = "spin-hello"
version = "1.0.0"

[[trigger.http]]
route = "/go-hello"
component = "go-hello"

[[trigger.http]]
route = "/bad/..."
component = "bad"

[component.go-hello]
source = "@GO@"

[component.bad]
source = "@BAD@"
"""


def write_app(tmp, manifest):
    with open(os.path.join(tmp, "spin.toml"), "w") as f:
        f.write(manifest.replace("@GO@", GO_HELLO).replace("@BAD@", MISBEHAVE)
                .replace("@INCOMPLETE@", INCOMPLETE).replace("@CONFIG@", CONFIG)
                .replace("@COMPONENT@", COMPONENT).replace("@FRESH@", FRESH))
    return tmp


def expect_go_hello(up, method, body=b""):
    status, headers, data = up.request(method, "/go-hello?q=1", body=body or None,
                                       headers={"X-Test": "yes"})
    assert status == 200, (status, data)
    assert headers["content-type"] == "text/plain", headers
    assert headers["foo"] == "bar", headers
    text = data.decode()
    assert text.startswith("== REQUEST ==\n"), text
    assert f"URL:     http://127.0.0.1:{up.port}/go-hello?q=1\n" in text, text
    assert f"Method:  {method}\n" in text, text
    assert '  "X-Test": "yes" \n' in text, text
    # Spin's route headers reach the guest
    assert '  "Spin-Matched-Route": "/go-hello" \n' in text, text
    assert '  "Spin-Path-Info": "" \n' in text, text
    assert f'  "Spin-Full-Url": "http://127.0.0.1:{up.port}/go-hello?q=1" \n' in text, text
    assert f"Body:    {body.decode()}\n" in text, text
    assert text.endswith("== RESPONSE ==\nHello Spin Shim!\n"), text


def test_tinygo_module_answers_get_and_post():
    with tempfile.TemporaryDirectory() as tmp:
        with Up(app=write_app(tmp, GO_MANIFEST)) as up:
            expect_go_hello(up, "GET")
            expect_go_hello(up, "POST", b"hello from the client")
            expect_go_hello(up, "PUT", b"x" * 100000)


def test_spin1_manifest_serves_the_module():
    manifest = """spin_manifest_version = "1"
name = "spin-hello"
version = "1.0.0"
trigger = { type = "http", base = "/" }

[[component]]
id = "go-hello"
source = "@GO@"
[component.trigger]
route = "/go-hello"
"""
    with tempfile.TemporaryDirectory() as tmp:
        with Up(app=write_app(tmp, manifest)) as up:
            expect_go_hello(up, "GET")


def test_every_request_sees_a_fresh_instance():
    """The module bumps a global, a byte of its initialised memory (mapped
    from the engine's copy-on-write image) and its memory size per request:
    with a fresh instance each time, no request sees another's writes."""
    manifest = """spin_manifest_version = 2
[application]
name = "fresh"
[[trigger.http]]
route = "/fresh"
component = "fresh"
[component.fresh]
source = "@FRESH@"
"""
    with tempfile.TemporaryDirectory() as tmp:
        with Up(app=write_app(tmp, manifest)) as up:
            for _ in range(4):
                status, _, data = up.request("GET", "/fresh")
                assert (status, data) == (200, b"112"), (status, data)


def test_method_outside_the_enum_is_405():
    with tempfile.TemporaryDirectory() as tmp:
        with Up(app=write_app(tmp, GO_MANIFEST)) as up:
            status, _, data = up.request("PROPFIND", "/go-hello")
            assert status == 405 and data == b"", (status, data)
            expect_go_hello(up, "GET")


def test_misbehaving_guest_is_500_and_the_server_keeps_serving():
    with tempfile.TemporaryDirectory() as tmp:
        with Up(app=write_app(tmp, GO_MANIFEST)) as up:
            # a good answer from the WAT module first: its lowering is seen
            status, headers, data = up.request("PATCH", "/bad/x?y=2", body=b"echo me")
            assert status == 201, (status, data)
            assert headers["x-uri"] == "/bad/x?y=2", headers
            assert data == b"echo me", data
            for method in ("GET", "POST", "PUT", "DELETE"):
                status, _, data = up.request(method, "/bad/x")
                assert status == 500, (method, status, data)
                expect_go_hello(up, "GET")
            status, _, _ = up.request("PATCH", "/bad/again")
            assert status == 201
        log = "".join(up.stdout) + up.proc.stderr.read()
    assert "component 'bad': the guest trapped: unreachable" in log, log
    assert ("reading the guest's response: the response record: 28 bytes at 2147483632 "
            "lie outside the guest's memory") in log, log
    assert ("response headers: 32 bytes at 2147418112 lie outside the guest's memory"
            in log), log
    assert "component 'bad': the guest exited with code 3" in log, log


def test_module_without_the_spin1_exports_is_refused():
    manifest = """spin_manifest_version = 2
[application]
name = "x"
[[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = "@INCOMPLETE@"
"""
    with tempfile.TemporaryDirectory() as tmp:
        err = up_fails(app=write_app(tmp, manifest))
    assert ("component 'c': a Spin HTTP module (Spin 1 ABI) must export handle-http-request, "
            "canonical_abi_realloc and memory; it lacks 'canonical_abi_realloc' (func (param "
            "i32 i32 i32 i32) (result i32)), 'memory' (memory)") in err, err


def test_legacy_import_the_host_lacks_is_refused():
    manifest = """spin_manifest_version = 2
[application]
name = "x"
[[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = "@REDIS@"
"""
    with tempfile.TemporaryDirectory() as tmp:
        err = up_fails(app=write_app(tmp, manifest.replace(
            "@REDIS@", os.path.join(WASM_DIR, "spin1_redis.wasm"))))
    assert ("component 'c': cannot link its module: import outbound-mqtt::publish is not "
            "provided by the host: Spin 1 modules get WASI preview 1, spin-config, key-value, "
            "sqlite, llm, outbound-redis, outbound-pg, outbound-mysql and wasi-outbound-http "
            "here" in err), err


def test_spin_config_reads_the_components_variables():
    manifest = """spin_manifest_version = 2
[application]
name = "cfg"
[variables]
who = { default = "world" }
secret = { required = true }
[[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = "@CONFIG@"
[component.c.variables]
greeting = "hello {{ who }}"
token = "{{ secret }}"
"""
    with tempfile.TemporaryDirectory() as tmp:
        with Up(app=write_app(tmp, manifest), env={"SPIN_VARIABLE_SECRET": "s3"}) as up:
            assert up.request("POST", "/", body=b"greeting")[::2] == (200, b"hello world")
            assert up.request("POST", "/", body=b"token")[::2] == (200, b"s3")
            # a variable of the app but not of the component: provider error
            status, _, data = up.request("POST", "/", body=b"who")
            assert (status, data) == (400, b'no variable for "c"."who"'), (status, data)
            # not a variable name: invalid-key
            status, _, data = up.request("POST", "/", body=b"Greeting")
            assert (status, data) == (401, b"\"Greeting\": invalid character 'G'. Variable "
                                           b"names may contain only lower-case letters, "
                                           b"numbers, and underscores."), (status, data)
            status, _, data = up.request("POST", "/", body=b"a__b")
            assert (status, data) == (401, b'"a__b": must not contain multiple consecutive '
                                           b'underscores'), (status, data)


def test_component_exporting_inbound_http_is_served():
    manifest = """spin_manifest_version = 2
[application]
name = "comp"
[[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = "@COMPONENT@"
"""
    with tempfile.TemporaryDirectory() as tmp:
        with Up(app=write_app(tmp, manifest)) as up:
            status, headers, data = up.request("PUT", "/x?y=1", body=b"put body")
            assert (status, data) == (202, b"put body"), (status, data)
            assert headers["x-uri"] == "/x?y=1", headers
            status, _, data = up.request("GET", "/trap")
            assert status == 500, (status, data)
            status, _, _ = up.request("GET", "/ok")
            assert status == 200
            assert up.request("PROPFIND", "/x")[0] == 405


if __name__ == "__main__":
    run_tests(globals())
