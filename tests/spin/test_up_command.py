"""test_up_command.py - the command trigger through `up`: a component or a
preview-1 module runs once with the component id and the arguments after
`up ... --` as argv, the component's environment and the inherited stdin,
and `up` exits with the guest's status (134 for a trap); alongside an HTTP
trigger the app serves until the command ends, then exits with its status;
a stop signal interrupts a guest that runs on; an app with two command
triggers, or with a trigger type nobody runs (cron), is refused at start-up
naming it.
"""
import http.client
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixture"))
from harness import free_port, run_tests  # noqa: E402
from test_up import SHIM  # noqa: E402

WASM_DIR = os.environ["WASM_DIR"]
MODULE = os.path.join(WASM_DIR, "command_guest.wasm")
COMPONENT = os.path.join(WASM_DIR, "command_guest_component.wasm")
REAL = os.path.join(os.environ["SHARED_DIR"], "corpora", "components", "real",
                    "gh-spin-test-command.rust-cmd.wasm")

COMMAND_APP = """spin_manifest_version = 2

[application]
name = "command-app"

[[trigger.command]]
component = "runner"

[component.runner]
source = "@SOURCE@"
environment = { WHO = "tests" }
"""

HTTP_PART = """
[[trigger.http]]
route = "/hello"
component = "web"
executor = { type = "wagi" }

[component.web]
source = "@WAGI@"
"""


def write_app(tmp, source, extra=""):
    with open(os.path.join(tmp, "spin.toml"), "w") as f:
        f.write((COMMAND_APP + extra).replace("@SOURCE@", source))
    return tmp


def up(app, args=(), stdin="", timeout=60):
    return subprocess.run([SHIM, "up", "--from", app, "--listen", f"127.0.0.1:{free_port()}",
                           "--"] + list(args), input=stdin, capture_output=True, text=True,
                          timeout=timeout)


def test_real_spin_test_command_component():
    with tempfile.TemporaryDirectory() as tmp:
        r = up(write_app(tmp, REAL))
        assert r.returncode == 0, (r.returncode, r.stderr)
        assert r.stdout == "Hello, world!\n", r.stdout


def check_guest(source, exit_arg, expected_status):
    with tempfile.TemporaryDirectory() as tmp:
        r = up(write_app(tmp, source), ["one", "two words", exit_arg], stdin="from stdin")
        assert r.returncode == expected_status, (r.returncode, r.stdout, r.stderr)
        assert r.stdout == ("argc=4 [runner] [one] [two words] [%s]\nwho=tests\n"
                            "stdin=from stdin bytes=10\n" % exit_arg), r.stdout


def test_module_gets_args_env_stdin_and_its_exit_code_is_ups():
    check_guest(MODULE, "exit=0", 0)
    check_guest(MODULE, "exit=7", 7)


def test_component_gets_args_env_stdin_and_its_exit_code_is_ups():
    check_guest(COMPONENT, "exit=0", 0)
    # WASI 0.2's exit takes only ok/err: the preview-1 adapter turns
    # proc_exit(7) into err, exit status 1 (wasmtime run says the same).
    check_guest(COMPONENT, "exit=7", 1)


def test_a_trap_is_status_134_with_the_message_on_stderr():
    for source in (MODULE, COMPONENT):
        with tempfile.TemporaryDirectory() as tmp:
            r = up(write_app(tmp, source), ["trap"])
            assert r.returncode == 134, (source, r.returncode, r.stderr)
            assert "component 'runner'" in r.stderr and "trap" in r.stderr, r.stderr


def test_with_an_http_trigger_the_app_serves_until_the_command_ends():
    wagi = os.path.join(WASM_DIR, "wagi-hello.wasm")
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp, MODULE, HTTP_PART.replace("@WAGI@", wagi))
        p = subprocess.Popen([SHIM, "up", "--from", app, "--listen", f"127.0.0.1:{port}",
                              "--", "exit=5"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        try:
            lines = []
            while not any(x.startswith("Available Routes:") for x in lines):
                line = p.stdout.readline()
                assert line, (lines, p.stderr.read())
                lines.append(line)
            # The command waits on its stdin; meanwhile HTTP is served.
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("GET", "/hello")
            assert c.getresponse().status == 200
            c.close()
            assert p.poll() is None
            p.stdin.write("bye")
            p.stdin.close()
            rc = p.wait(timeout=30)
            out = "".join(lines) + p.stdout.read()
            assert rc == 5, (rc, p.stderr.read())
            assert "stdin=bye bytes=3\n" in out, out
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()


def test_a_stop_signal_interrupts_a_running_command():
    with tempfile.TemporaryDirectory() as tmp:
        p = subprocess.Popen([SHIM, "up", "--from", write_app(tmp, MODULE), "--", "spin"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        try:
            assert p.stdout.readline().startswith("argc=2 [runner] [spin]")
            time.sleep(0.2)
            p.send_signal(signal.SIGTERM)
            rc = p.wait(timeout=20)
            assert rc == 0, (rc, p.stderr.read())
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()


def test_two_command_triggers_are_refused():
    extra = """
[[trigger.command]]
component = "runner"
"""
    with tempfile.TemporaryDirectory() as tmp:
        r = up(write_app(tmp, MODULE, extra))
        assert r.returncode == 1, r
        assert "one command trigger" in r.stderr, r.stderr


def test_a_module_that_is_no_command_is_refused():
    reactor = os.path.join(WASM_DIR, "spin1_fresh.wasm")
    with tempfile.TemporaryDirectory() as tmp:
        r = up(write_app(tmp, reactor))
        assert r.returncode == 1, r
        assert "must export _start" in r.stderr, r.stderr


def test_cron_and_unknown_trigger_types_are_start_up_errors_naming_them():
    for kind in ("cron", "nosuch"):
        extra = """
[[trigger.%s]]
component = "runner"
""" % kind
        with tempfile.TemporaryDirectory() as tmp:
            r = up(write_app(tmp, MODULE, extra))
            assert r.returncode == 1, r
            assert "'%s'" % kind in r.stderr and "not supported" in r.stderr, r.stderr


if __name__ == "__main__":
    run_tests(globals())
