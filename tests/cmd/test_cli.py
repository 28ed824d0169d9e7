"""test_cli.py - the binary's command-line contract outside the shim protocol.

containerd and operators run `containerd-shim-spin-v2 -v` to see which build a
node has (the installer parses it for the version); people get a usage from
no arguments, `help`, -h and --help (stdout, exit 0), every option of `run`
and `up` in their usage lines and --help, and for a mistake a message and the
short usage on stderr with exit status 2.  `up`'s errors name what the user
typed.
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
SOURCE_DIR = os.environ.get("SOURCE_DIR", "")
BUILD_DIR = os.environ.get("BUILD_DIR", "")
BUILT_APP = os.path.join(BUILD_DIR, "apps", "spin-wagi")

# Every option of each command; a new flag belongs here too.
RUN_OPTIONS = ["--dir", "--ro-dir", "--env", "--invoke", "--timeout", "--max-memory-size",
               "--argv0"]
UP_OPTIONS = ["--from", "-f", "--listen", "--env", "-e", "--runtime-config-file", "--log-dir",
              "--log-level", "--check"]


def shim(*args, **kw):
    return subprocess.run([SHIM, *args], capture_output=True, text=True, timeout=60, **kw)


def usage_lines(text, command):
    """The wrapped synopsis of `command` in a usage text, as one line."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^(usage: |  )containerd-shim-spin-v2 %s " % command, line):
            out = [line]
            for more in lines[i + 1:]:
                if not more.startswith("      ") or more.strip()[:1] not in "[F":
                    break
                out.append(more.strip())
            return " ".join(out)
    raise AssertionError(f"no usage line for {command} in:\n{text}")


def option_rows(help_text):
    """{option: description} from the options section of a --help text."""
    section = help_text.split("\noptions:\n", 1)[1].split("\n\n", 1)[0]
    rows, current = {}, None
    for line in section.splitlines():
        m = re.match(r"^  (?:(-\w), |    )(--[\w-]+)( \S+)?(\s+(.*))?$", line)
        if m:
            current = [m.group(2)] + ([m.group(1)] if m.group(1) else [])
            for name in current:
                rows[name] = (m.group(5) or "").strip()
        elif current and line.startswith(" " * 20):
            for name in current:
                rows[name] = (rows[name] + " " + line.strip()).strip()
    return rows


def test_version_flag_prints_name_version_and_build():
    for flag in ("-v", "--version"):
        r = subprocess.run([SHIM, flag], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert lines[0] == "containerd-shim-spin-v2:", lines
        assert re.match(r"^  Version:  \d+\.\d+\.\d+", lines[1]), lines
        assert lines[2].startswith("  Revision: ") and len(lines[2]) > len("  Revision: ")
        assert lines[3].startswith("  Build:    "), lines


def test_version_uses_the_invoked_name():
    # Versioned installs copy the binary as containerd-shim-spin-vX-Y-Z-v2.
    link = os.path.join(os.environ.get("BUILD_DIR", "/tmp"), "containerd-shim-spin-v9-9-9-v2")
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(SHIM, link)
    try:
        r = subprocess.run([link, "-v"], capture_output=True, text=True)
        assert r.stdout.splitlines()[0] == "containerd-shim-spin-v9-9-9-v2:"
    finally:
        os.unlink(link)


def test_no_arguments_help_and_dash_h_print_the_usage_on_stdout():
    for args in ([], ["help"], ["-h"], ["--help"]):
        r = shim(*args)
        assert r.returncode == 0, (args, r.returncode, r.stderr)
        assert r.stderr == "", (args, r.stderr)
        for word in (" run ", " up ", " start\n", " delete\n", " -info\n", " help "):
            assert word in r.stdout, (args, word, r.stdout)
        run_line, up_line = usage_lines(r.stdout, "run"), usage_lines(r.stdout, "up")
        for opt in RUN_OPTIONS:
            assert opt + " " in run_line, (args, opt, run_line)
        for opt in UP_OPTIONS:
            assert re.search(r"[\[|]%s[ \]|]" % re.escape(opt), up_line), (args, opt, up_line)


def test_help_for_a_command_is_its_help():
    for command in ("run", "up"):
        r = shim("help", command)
        assert r.returncode == 0 and r.stderr == "", r.stderr
        assert r.stdout == shim(command, "--help").stdout == shim(command, "-h").stdout


def test_run_and_up_help_describe_every_option_on_stdout():
    for command, options in (("run", RUN_OPTIONS), ("up", UP_OPTIONS)):
        r = shim(command, "--help")
        assert r.returncode == 0 and r.stderr == "", (command, r.stderr)
        line = usage_lines(r.stdout, command)
        rows = option_rows(r.stdout)
        for opt in options:
            assert opt in line, (command, opt, line)
            assert len(rows.get(opt, "")) > 15, (command, opt, rows)
        # and nothing in the options list is missing from the usage line
        for opt in rows:
            if opt not in ("-h", "--help"):
                assert opt in line, (command, opt, line)
        assert "\nexit status:\n" in r.stdout, r.stdout


def test_up_help_lists_its_environment_and_exit_codes():
    r = shim("up", "--help")
    for var in ("SPIN_HTTP_LISTEN_ADDR", "SPIN_VARIABLE_", "SPIN_RUNTIME_CONFIG_FILE",
                "SPIN_LOG_DIR", "SPIN_COMPONENTS_TO_RETAIN", "SPIN_MAX_INSTANCE_MEMORY"):
        assert re.search(r"^  %s" % var, r.stdout, re.M), (var, r.stdout)
    status = r.stdout.split("\nexit status:\n", 1)[1]
    for code in ("0", "1", "2"):
        assert re.search(r"^  %s  " % code, status, re.M), (code, status)


def test_usage_errors_exit_2_with_the_short_usage_on_stderr():
    cases = [
        (["run", "--bogus", "x.wasm"], "--bogus", "run"),
        (["run"], "FILE", "run"),
        (["run", "--timeout", "soon", "x.wasm"], "soon", "run"),
        (["run", "--dir"], "--dir", "run"),
        (["up", "--bogus"], "--bogus", "up"),
        (["up", "--from"], "--from", "up"),
        (["up", "stray"], "stray", "up"),
        (["up", "--check=yes"], "--check", "up"),
        (["up", "--log-level", "loud"], "loud", "up"),
        (["bogus"], "bogus", "run"),
    ]
    for args, named, command in cases:
        r = shim(*args)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert r.stdout == "", (args, r.stdout)
        assert named in r.stderr.splitlines()[0], (args, r.stderr)
        assert "usage: containerd-shim-spin-v2 %s " % command in r.stderr, (args, r.stderr)
        assert len(r.stderr.splitlines()) < 10, (args, r.stderr)  # short, not the whole help


def test_containerds_command_lines_still_reach_the_shim():
    # flags first, then the action word: the shim's own parser answers
    r = shim("-namespace", "ns", "-id", "x", "explode")
    assert r.returncode == 1 and "unknown action explode" in r.stderr, r.stderr
    r = shim("-id", "x", "delete")
    assert r.returncode == 1 and "namespace cannot be empty" in r.stderr, r.stderr
    r = subprocess.run([SHIM, "-info"], capture_output=True, timeout=60)
    assert r.returncode == 0 and r.stdout, r.stderr


def test_up_names_the_runtime_config_flag_the_user_gave():
    r = shim("up", "--check", "--from", BUILT_APP, "--runtime-config-file", "/nonexistent/rc.toml")
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "--runtime-config-file /nonexistent/rc.toml" in r.stderr, r.stderr
    assert "SPIN_RUNTIME_CONFIG_FILE" not in r.stderr, r.stderr
    # given through the environment, the error names the variable
    r = shim("up", "--check", "--from", BUILT_APP,
             env=dict(os.environ, SPIN_RUNTIME_CONFIG_FILE="/nonexistent/rc.toml"))
    assert r.returncode == 1 and "SPIN_RUNTIME_CONFIG_FILE" in r.stderr, r.stderr


def test_up_on_a_host_ignores_runtime_config_at_the_filesystem_root():
    # Put an invalid /runtime-config.toml at "/" of a private overlay of the
    # root file system (a mount namespace; needs root) and run `up` there.
    if os.geteuid() != 0 or not shutil.which("unshare"):
        print("  (skipped: needs root and unshare)")
        return
    with tempfile.TemporaryDirectory() as upper, tempfile.TemporaryDirectory(dir=BUILD_DIR) as rc:
        named = os.path.join(rc, "named.toml")
        with open(named, "w") as f:
            f.write("named = = broken\n")
        script = (
            'set -e; mount -t tmpfs t "$1"; mkdir "$1/u" "$1/w" "$1/m"; '
            'mount -t overlay o -o lowerdir=/,upperdir="$1/u",workdir="$1/w" "$1/m"; '
            'mount --bind /proc "$1/m/proc"; '  # for the sanitizers' leak check
            'echo "this is = = not toml" > "$1/m/runtime-config.toml"; '
            'shift; exec chroot "$0/m" "$@"')
        base = ["unshare", "-m", "--propagation", "private", "sh", "-c", script, upper, upper]
        r = subprocess.run(base + [SHIM, "up", "--check", "--from", BUILT_APP],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, (r.returncode, r.stderr)
        assert "runtime-config.toml" not in r.stderr, r.stderr
        # a file named with the flag is still read there
        r = subprocess.run(base + [SHIM, "up", "--check", "--from", BUILT_APP,
                                   "--runtime-config-file", named],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 1 and named in r.stderr, (r.returncode, r.stderr)


def test_up_error_names_the_component_once():
    with tempfile.TemporaryDirectory() as app:
        shutil.copy(os.path.join(BUILT_APP, "wagi-hello.wasm"), app)
        with open(os.path.join(app, "spin.toml"), "w") as f:
            f.write('spin_manifest_version = 2\n[application]\nname = "a"\n'
                    '[[trigger.http]]\nroute = "/"\ncomponent = "web"\n'
                    'executor = { type = "wagi" }\n'
                    '[component.web]\nsource = "wagi-hello.wasm"\n'
                    'files = [{ source = "nope", destination = "/" }]\n')
        r = shim("up", "--check", "--from", app)
        assert r.returncode == 1, r.stderr
        assert "'nope'" in r.stderr and r.stderr.count("'web'") == 1, r.stderr


def test_up_from_the_source_tree_example_says_where_the_built_app_is():
    src = os.path.join(SOURCE_DIR, "examples", "spin-wagi")
    if os.path.exists(os.path.join(src, "wagi-hello.wasm")):
        print("  (skipped: someone built Wasm into the source tree)")
        return
    r = shim("up", "--check", "--from", src)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "wagi-hello.wasm" in r.stderr, r.stderr
    hint = [ln for ln in r.stderr.splitlines()
            if ln.strip().startswith("containerd-shim-spin-v2 up")]
    assert hint, r.stderr
    # the command the hint gives works
    cmd = hint[0].split()
    assert cmd[:3] == ["containerd-shim-spin-v2", "up", "--from"], cmd
    assert os.path.samefile(cmd[3], BUILT_APP), cmd
    r = shim("up", "--check", *cmd[2:])
    assert r.returncode == 0, r.stderr


if __name__ == "__main__":
    run_tests(globals())
