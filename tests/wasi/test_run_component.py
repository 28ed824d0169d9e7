"""test_run_component.py - `containerd-shim-spin-v2 run` on WASI 0.2
components: the real command components of the shared corpus (C through
wasi-libc and jco's preview-1 adapter, runwasi's Rust hello, Spin's test
command) see their argv, environment, stdio and preopens and end with the
status their README row gives; the policy shared with modules holds for
components too (traps and timeouts 134, run's err 1, load failures 1 with
a message naming the import, the function and both types).

Components written as WAT for the corner cases: tests/wasi/components/.
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixture"))
from harness import run_tests  # noqa: E402

SHIM = os.environ["SHIM_BIN"]
WASM = os.environ["WASM_DIR"]
REAL = os.path.join(os.environ["SHARED_DIR"], "corpora", "components", "real")
C_HELLO = os.path.join(REAL, "c-hello-cmd.wasm")


def run(*args, stdin=b"", timeout=60):
    return subprocess.run([SHIM, "run", *args], input=stdin, capture_output=True,
                          timeout=timeout, env={})


def out(r):
    return r.stdout.decode()


def err(r):
    return r.stderr.decode()


def test_c_command_sees_args_env_and_stdio():
    r = run("--env", "WHO=tester", "--argv0", "c-hello-cmd", C_HELLO, "x", "y")
    assert r.returncode == 0, (r.returncode, err(r))
    assert out(r) == ("hello from C (clang-14 + wasi-libc), argc=3\n"
                      "  argv[0]=c-hello-cmd\n"
                      "  argv[1]=x\n"
                      "  argv[2]=y\n"
                      "  WHO=tester\n"
                      "  realtime ok: 1\n"), out(r)
    assert err(r) == "to stderr\n", err(r)


def test_c_command_echoes_stdin():
    data = b"line one\nline two\n" * 1000
    r = run(C_HELLO, "cat", stdin=data)
    assert r.returncode == 0, (r.returncode, err(r))
    assert r.stdout.endswith(data + b"\n  stdin bytes=%d\n" % len(data)), r.stdout[-200:]


def test_c_command_writes_into_a_preopen():
    with tempfile.TemporaryDirectory() as d:
        r = run("--dir", d + "::/data", C_HELLO, "write", "/data/out.txt")
        assert r.returncode == 0, (r.returncode, err(r))
        with open(os.path.join(d, "out.txt")) as fh:
            assert fh.read() == "written by wasm\n"


def test_writing_outside_the_preopens_fails():
    with tempfile.TemporaryDirectory() as d:
        r = run("--dir", d + "::/data", C_HELLO, "write", "/data/../escaped.txt")
        assert r.returncode != 0 or not os.path.exists(os.path.join(d, "..", "escaped.txt"))
        assert not os.path.exists(os.path.join(os.path.dirname(d), "escaped.txt"))


def test_exit_through_the_adapter_is_status_1():
    # exit(42) in C: the preview-1 adapter turns it into wasi:cli/exit(err)
    r = run(C_HELLO, "fail")
    assert r.returncode == 1, (r.returncode, err(r))


def test_rust_hello_components():
    for name in ("gh-runwasi-component-hello-world.rust-cmd.wasm",
                 "gh-spin-test-command.rust-cmd.wasm"):
        r = run(os.path.join(REAL, name))
        assert r.returncode == 0, (name, r.returncode, err(r))
        assert out(r) == "Hello, world!\n", (name, out(r))


def test_run_returning_err_is_status_1():
    r = run(os.path.join(WASM, "run-err.wasm"))
    assert r.returncode == 1, (r.returncode, err(r))
    assert err(r) == "", err(r)  # an exit code speaks for itself


def test_a_component_that_never_ends_is_stopped_by_timeout():
    r = run("--timeout", "200", os.path.join(WASM, "spin-forever.wasm"), timeout=30)
    assert r.returncode == 134, (r.returncode, err(r))
    assert err(r).startswith("Error: interrupted after the 200 ms timeout"), err(r)


def test_invoke_calls_a_top_level_function():
    simple = os.path.join(REAL, "gh-runwasi-simple_component.wasm")
    r = run("--invoke", "thunk", simple)
    assert r.returncode == 0, (r.returncode, err(r))
    r = run("--invoke", "thunk-trap", simple)
    assert r.returncode == 134, (r.returncode, err(r))
    assert err(r).startswith("Error: the guest trapped: unreachable"), err(r)
    r = run("--invoke", "nothing-here", simple)
    assert r.returncode == 1, (r.returncode, err(r))
    assert "exports no function 'nothing-here'" in err(r), err(r)


def test_invoke_takes_wave_arguments_and_prints_the_result():
    reactor = os.path.join(REAL, "c-reactor.wasm")
    r = run("--invoke", "add(40, 2)", reactor)
    assert (r.returncode, out(r), err(r)) == (0, "42\n", ""), (r.returncode, out(r), err(r))
    r = run("--invoke", "add( -50 ,8 )", reactor)
    assert (r.returncode, out(r)) == (0, "-42\n"), (r.returncode, out(r), err(r))
    # a function without a result prints nothing of its own, with or without ()
    for spec in ("hello", "hello()"):
        r = run("--invoke", spec, reactor)
        assert (r.returncode, out(r)) == (0, "hello from reactor\n"), (spec, out(r), err(r))


def test_invoke_prints_results_as_wave():
    values = os.path.join(WASM, "invoke-values.wasm")
    # a function with a result may be invoked without parentheses
    for spec in ("answer", "answer()"):
        r = run("--invoke", spec, values)
        assert (r.returncode, out(r), err(r)) == (0, "42\n", ""), (spec, out(r), err(r))
    r = run("--invoke", 'echo("tab\\there \\"q\\" \\u{2603}\\n")', values)
    assert (r.returncode, out(r)) == (0, '"tab\\there \\"q\\" \u2603\\n"\n'), (out(r), err(r))
    r = run("--help")
    assert r.returncode == 0 and "'FUNC(ARGS)'" in out(r) and "WAVE" in out(r), out(r)


def test_invoke_refuses_bad_argument_text():
    reactor = os.path.join(REAL, "c-reactor.wasm")
    cases = [
        ('add(40, "x")',
         'Error: --invoke add(40, "x"): argument 2 at 4: expected s32, found "x"\n'),
        ("add(2147483648, 1)",
         "Error: --invoke add(2147483648, 1): argument 1 at 0: 2147483648 is out of range "
         "for s32 (-2147483648..2147483647)\n"),
        ("add(1)",
         "Error: --invoke add(1): func(a: s32, b: s32) -> s32 takes 2 arguments, 1 given\n"),
        ("add(1",
         "Error: --invoke 'add(1': expected NAME or NAME(ARGS) with a closing ')' at the "
         "end\n"),
        ("add",
         "Error: 'add' takes parameters (func(a: s32, b: s32) -> s32); give them as "
         "--invoke 'add(...)'\n"),
    ]
    for spec, message in cases:
        r = run("--invoke", spec, reactor)
        assert (r.returncode, out(r), err(r)) == (1, "", message), (spec, r.returncode, err(r))


def test_a_component_without_run_says_so():
    r = run(os.path.join(REAL, "c-reactor.wasm"))
    assert r.returncode == 1, (r.returncode, err(r))
    assert "exports no wasi:cli/run" in err(r), err(r)


def test_an_unknown_import_is_named():
    path = os.path.join(WASM, "needs-unknown.wasm")
    r = run(path)
    assert r.returncode == 1, (r.returncode, err(r))
    assert err(r) == ("Error: %s: import example:nowhere/thing@1.2.0: the host has no such "
                      "interface\n" % path), err(r)


def test_a_mistyped_import_names_both_types():
    path = os.path.join(WASM, "wrong-stdout.wasm")
    r = run(path)
    assert r.returncode == 1, (r.returncode, err(r))
    assert ("import wasi:cli/stdout@0.2.0: function get-stdout: the host has func() -> "
            "own<output-stream>, the component expects func() -> u32") in err(r), err(r)


def test_patch_versions_of_one_interface_share_resource_types():
    # stdout's stream comes typed by wasi:io/streams@0.2.0 and is written
    # through streams@0.2.1: both versions are one host interface
    r = run(os.path.join(WASM, "mixed-versions.wasm"))
    assert (r.returncode, out(r), err(r)) == (0, "mixed versions\n", ""), (r.returncode,
                                                                           err(r))


if __name__ == "__main__":
    run_tests(globals())
