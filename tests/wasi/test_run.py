"""test_run.py - `containerd-shim-spin-v2 run`: a WASI command's view of the
world (argv, environment, stdio, preopened directories), its exit status,
what a trap looks like, and that the sandbox holds: nothing outside the
preopens is reachable through `..`, absolute paths or symlinks.

Programs: hello.wasm (examples/hello) and fsops.wasm / badptr.wasm
(tests/wasi/programs), which print the raw WASI errno of each operation.
WASI errno numbers used below: 0 success, 8 badf, 21 fault, 28 inval,
32 loop, 44 noent, 54 notdir, 69 rofs, 76 notcapable.
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixture"))
from harness import run_tests  # noqa: E402

SHIM = os.environ["SHIM_BIN"]
WASM = os.environ["WASM_DIR"]
HELLO = os.path.join(WASM, "hello.wasm")
FSOPS = os.path.join(WASM, "fsops.wasm")
BADPTR = os.path.join(WASM, "badptr.wasm")
REACTOR = os.path.join(WASM, "reactor.wasm")
CHAOS = os.path.join(WASM, "chaos.wasm")
LEGACY = os.path.join(WASM, "legacy.wasm")


def run(*args, stdin=b"", timeout=60, env=None):
    return subprocess.run([SHIM, "run", *args], input=stdin, capture_output=True,
                          timeout=timeout, env=env)


# The sandbox tests run twice: with openat2 (RESOLVE_BENEATH) and with the
# component walk that older kernels and strict seccomp policies get.
WALK_ENV = dict(os.environ, WASI_NO_OPENAT2="1")


def out(r):
    return r.stdout.decode()


def err(r):
    return r.stderr.decode()


def results(r):
    """fsops output as {"op path": "errno rest"}."""
    d = {}
    for line in out(r).splitlines():
        k, _, v = line.partition(" = ")
        d[k] = v
    return d


def test_args_env_and_stdout():
    r = run("--env", "GREETING=hi", "--env", "EMPTY=", HELLO, "one", "two words")
    assert r.returncode == 0, err(r)
    assert out(r) == ("hello from wasm\n"
                      "arg[0]=%s\narg[1]=one\narg[2]=two words\n"
                      "env GREETING=hi\nenv EMPTY=\n" % HELLO), out(r)


def test_host_environment_is_not_leaked():
    env = dict(os.environ, SECRET_TOKEN="x")
    r = subprocess.run([SHIM, "run", HELLO], capture_output=True, env=env, timeout=60)
    assert r.returncode == 0 and "SECRET_TOKEN" not in out(r), out(r)
    r = subprocess.run([SHIM, "run", "--env", "SECRET_TOKEN", HELLO], capture_output=True,
                       env=env, timeout=60)
    assert "env SECRET_TOKEN=x\n" in out(r), out(r)


def test_exit_code_is_the_programs():
    for code in (0, 3, 42, 255):
        r = run(HELLO, "--exit", str(code))
        assert r.returncode == code, (code, r.returncode, err(r))


def test_stdin_is_passed_through():
    r = run(HELLO, "--stdin", stdin=b"piped text")
    assert r.returncode == 0, err(r)
    assert "stdin: piped text\n" in out(r), out(r)


def test_closed_stdout_is_an_errno_not_a_signal():
    rfd, wfd = os.pipe()
    os.close(rfd)  # every write to wfd now fails with EPIPE
    try:
        r = subprocess.run([SHIM, "run", FSOPS, "--stderr", "fdwrite", "1", "x"],
                           stdout=wfd, stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(wfd)
    assert r.returncode == 0, r.returncode  # not killed by SIGPIPE
    assert err(r) == "fdwrite 1 = 64\n", err(r)  # errno `pipe`


def test_sleep_returns():
    r = run(HELLO, "--sleep", "20")
    assert r.returncode == 0, err(r)


def test_trap_exits_134_with_message_and_backtrace():
    r = run(HELLO, "--trap")
    assert r.returncode == 134, (r.returncode, err(r))
    assert out(r).startswith("hello from wasm\n")  # output before the trap survives
    lines = err(r).splitlines()
    assert lines[0].startswith("Error: ") and "unreachable" in lines[0], err(r)
    assert "backtrace:" in err(r), err(r)


def test_timeout_interrupts_a_looping_program():
    r = run("--timeout", "300", HELLO, "--loop")
    assert r.returncode == 134, (r.returncode, err(r))
    assert "interrupted" in err(r), err(r)


def test_timeout_stops_a_guest_blocked_in_wasi_calls():
    # sleeping (poll_oneoff) far past the timeout
    r = run("--timeout", "300", HELLO, "--sleep", "600000")
    assert r.returncode == 134, (r.returncode, err(r))
    assert "interrupted" in err(r) and "poll_oneoff" in err(r), err(r)
    # reading a pipe nobody writes to
    p = subprocess.Popen([SHIM, "run", "--timeout", "300", HELLO, "--stdin"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    try:
        rc = p.wait(timeout=60)  # stdin stays open: the guest blocks reading it
        e = p.stderr.read()
    finally:
        p.stdin.close()
        p.stderr.close()
    assert rc == 134, (rc, e)
    assert b"interrupted" in e and b"fd_read" in e, e


def wait_ended(p, timeout=60):
    """The exit status and stderr of a process expected to end by itself."""
    try:
        rc = p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise AssertionError("still running after %d s: the deadline did not stop it" % timeout)
    return rc, p.stderr.read()


def test_timeout_stops_a_guest_blocked_receiving_from_a_socket():
    import socket
    a, b = socket.socketpair()
    try:  # the peer never sends
        p = subprocess.Popen([SHIM, "run", "--timeout", "300", FSOPS, "recv", "0"], stdin=a,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        rc, e = wait_ended(p)
    finally:
        a.close()
        b.close()
    assert rc == 134, (rc, e)
    assert b"interrupted after the 300 ms timeout" in e and b"sock_recv" in e, e


def test_timeout_stops_a_guest_blocked_writing_to_a_full_pipe():
    # 200 KB to a pipe nobody reads: the 64 KiB pipe fills, the guest waits
    p = subprocess.Popen([SHIM, "run", "--timeout", "300", HELLO, "x" * 100000, "y" * 100000],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        rc, e = wait_ended(p)
    finally:
        p.stdout.close()
        p.stderr.close()
    assert rc == 134, (rc, e)
    assert b"interrupted after the 300 ms timeout" in e and b"fd_write" in e, e


def test_invoke_runs_initialize_first():
    r = run("--invoke", "greet", REACTOR)
    assert r.returncode == 0, err(r)
    assert out(r) == "ready=42\n", out(r)
    r = run(REACTOR)  # a reactor has no _start
    assert r.returncode == 1 and "_start" in err(r), err(r)
    r = run("--invoke", "add", REACTOR)  # needs parameters
    assert r.returncode == 1 and "add" in err(r) and "parameters" in err(r), err(r)
    r = run("--invoke", "nope", REACTOR)
    assert r.returncode == 1 and "nope" in err(r), err(r)


def test_malformed_module_names_the_file():
    with tempfile.NamedTemporaryFile(suffix=".wasm") as f:
        f.write(b"\0asm\x01\0\0\0\x01\xff")
        f.flush()
        r = run(f.name)
        assert r.returncode == 1, r.returncode
        assert err(r).startswith("Error: %s: malformed module: " % f.name), err(r)
        f.seek(0)
        f.truncate()
        f.write(b"this is not wasm")
        f.flush()
        r = run(f.name)
        assert r.returncode == 1 and f.name in err(r), err(r)


def test_unresolved_import_is_unlinkable():
    # (module (import "env" "missing" (func)))
    wasm = (b"\0asm\x01\0\0\0" + b"\x01\x04\x01\x60\x00\x00" +
            b"\x02\x0f\x01\x03env\x07missing\x00\x00")
    with tempfile.NamedTemporaryFile(suffix=".wasm") as f:
        f.write(wasm)
        f.flush()
        r = run(f.name)
        assert r.returncode == 1, (r.returncode, err(r))
        assert err(r).startswith("Error: %s: unlinkable: " % f.name), err(r)
        assert "missing" in err(r), err(r)


def test_missing_file_and_bad_options():
    r = run("/nonexistent/x.wasm")
    assert r.returncode == 1 and "/nonexistent/x.wasm" in err(r), err(r)
    r = run("--dir", "/nonexistent-dir", HELLO)
    assert r.returncode == 1 and "/nonexistent-dir" in err(r), err(r)
    # usage errors are 2 (as in `up`, wasmtime and spin), never a program's 1
    r = run("--bogus", HELLO)
    assert r.returncode == 2 and "--bogus" in err(r) and "usage:" in err(r), err(r)
    r = run("--timeout", "soon", HELLO)
    assert r.returncode == 2 and "soon" in err(r), err(r)
    r = run("--max-memory-size", "lots", HELLO)
    assert r.returncode == 2 and "lots" in err(r), err(r)
    r = run()
    assert r.returncode == 2 and "FILE" in err(r), err(r)
    r = run("--env", "=x", HELLO)
    assert r.returncode == 2 and "--env" in err(r), err(r)
    r = run("--dir", "a::", HELLO)
    assert r.returncode == 2 and "HOST::GUEST" in err(r), err(r)


def test_help_documents_the_exit_status():
    r = run("--help")
    assert r.returncode == 0 and "--timeout" in out(r), out(r)
    status = out(r).split("\nexit status:\n", 1)[1]
    for code in ("N", "1", "2", "134"):
        assert re.search(r"^  %s  " % code, status, re.M), (code, status)


def test_env_last_value_wins():
    r = run("--env", "A=1", "--env", "B=x", "--env", "A=2", HELLO)
    assert r.returncode == 0, err(r)
    envs = [ln for ln in out(r).splitlines() if ln.startswith("env ")]
    assert envs == ["env A=2", "env B=x"], envs
    env = dict(os.environ, FROM_HOST="host")
    r = run("--env", "FROM_HOST=flag", "--env", "FROM_HOST", HELLO, env=env)
    assert "env FROM_HOST=host\n" in out(r) and "flag" not in out(r), out(r)


def test_argv0_names_the_program():
    r = run("--argv0", "greeter", HELLO, "x")
    assert r.returncode == 0, err(r)
    assert "arg[0]=greeter\narg[1]=x\n" in out(r), out(r)


def leb(n):
    b = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        b.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(b)


def section(sid, body):
    return bytes([sid]) + leb(len(body)) + body


def module(*sections):
    return b"\0asm\x01\0\0\0" + b"".join(sections)


def name(s):
    return leb(len(s)) + s.encode()


def write_module(d, fname, data):
    path = os.path.join(d, fname)
    with open(path, "wb") as f:
        f.write(data)
    return path


# (module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
#   (memory 1)
#   (func (export "_start")   ;; exit 42 if memory.grow 4 fails, else 7
#     (call 0 (select (i32.const 42) (i32.const 7)
#                     (i32.eq (memory.grow (i32.const 4)) (i32.const -1))))))
GROW = module(
    section(1, leb(2) + b"\x60\x01\x7f\x00" + b"\x60\x00\x00"),
    section(2, leb(1) + name("wasi_snapshot_preview1") + name("proc_exit") + b"\x00\x00"),
    section(3, leb(1) + b"\x01"),
    section(5, leb(1) + b"\x00\x01"),
    section(7, leb(1) + name("_start") + b"\x00\x01"),
    section(10, leb(1) + leb(16) + b"\x00" + b"\x41\x2a\x41\x07\x41\x04\x40\x00\x41\x7f"
                                           b"\x46\x1b\x10\x00\x0b"))

# (module (table 20000000 funcref) (func (export "_start"))): more table
# than the engine allows, found at instantiation
BIG_TABLE = module(
    section(1, leb(1) + b"\x60\x00\x00"),
    section(3, leb(1) + b"\x00"),
    section(4, leb(1) + b"\x70\x00" + leb(20000000)),
    section(7, leb(1) + name("_start") + b"\x00\x00"),
    section(10, leb(1) + leb(2) + b"\x00\x0b"))


def test_max_memory_size_caps_growth_and_the_initial_memory():
    with tempfile.TemporaryDirectory() as d:
        grow = write_module(d, "grow.wasm", GROW)
        assert run(grow).returncode == 7, err(run(grow))  # grew to 5 pages
        for cap in ("131072", "128K", "128KiB"):  # 2 pages: growing to 5 fails
            r = run("--max-memory-size", cap, grow)
            assert r.returncode == 42, (cap, r.returncode, err(r))
        r = run("--max-memory-size", "1G", grow)
        assert r.returncode == 7, err(r)
    # hello.wasm starts with 2 pages: a 1-page cap refuses to start it
    r = run("--max-memory-size", "65536", HELLO)
    assert r.returncode == 1, (r.returncode, err(r))
    assert err(r).startswith("Error: %s: " % HELLO) and "--max-memory-size" in err(r), err(r)
    assert out(r) == "", out(r)


def test_instantiation_beyond_a_resource_limit_is_a_load_failure():
    with tempfile.TemporaryDirectory() as d:
        path = write_module(d, "table.wasm", BIG_TABLE)
        r = run(path)
        assert r.returncode == 1, (r.returncode, err(r))  # not 134: nothing trapped
        assert err(r).startswith("Error: %s: " % path) and "table" in err(r), err(r)
        assert "backtrace" not in err(r), err(r)


def test_a_malformed_component_is_named_as_such():
    # the component model's preamble (magic, version 0x0d, layer 1), then a
    # custom section cut short
    with tempfile.TemporaryDirectory() as d:
        path = write_module(d, "comp.wasm", b"\0asm\x0d\0\x01\0" + b"\x00\x00")
        r = run(path)
        assert r.returncode == 1, (r.returncode, err(r))
        assert err(r).startswith("Error: %s: malformed component: custom section at offset 0xa"
                                 % path), err(r)


def test_preopen_read_and_write():
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "in.txt"), "w") as f:
            f.write("file content\n")
        r = run("--dir", d + "::/data", HELLO, "--read", "/data/in.txt",
                "--write", "/data/out.txt", "written")
        assert r.returncode == 0, err(r)
        assert "file content\n" in out(r), out(r)
        with open(os.path.join(d, "out.txt")) as f:
            assert f.read() == "written"


def test_unlisted_directory_is_unreachable():
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "in.txt"), "w") as f:
            f.write("x")
        r = run(HELLO, "--read", os.path.join(d, "in.txt"))
        assert r.returncode == 1 and "cannot open" in err(r), err(r)


def test_readdir_resumes_from_cookies_with_small_buffers():
    with tempfile.TemporaryDirectory() as d:
        os.mkdir(os.path.join(d, "many"))
        for i in range(300):
            open(os.path.join(d, "many", "file-with-a-long-name-%03d" % i), "w").close()
        # 24-byte header + 29-byte name: a 16-byte buffer holds no entry at all,
        # 100 bytes one; every listing must still see all 302 entries (with . and ..)
        r = run("--dir", d + "::/", FSOPS, "lssmall", "many", "16", "lssmall", "many", "100",
                "lssmall", "many", "4096")
        assert r.returncode == 0, err(r)
        lines = out(r).splitlines()
        assert lines == ["lssmall many = 0 entries=302 calls>1=1"] * 3, lines


def test_opening_a_fifo_without_writer_does_not_hang():
    with tempfile.TemporaryDirectory() as d:
        os.mkfifo(os.path.join(d, "fifo"))
        r = run("--dir", d + "::/", FSOPS, "read", "fifo", timeout=60)
        assert r.returncode == 0, err(r)
        assert results(r)["read fifo"] == "0 ", out(r)  # opened; no writer: end of file


def test_read_only_preopen_refuses_writes():
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "keep.txt"), "w") as f:
            f.write("keep")
        os.mkdir(os.path.join(d, "sub"))
        r = run("--ro-dir", d + "::/", FSOPS, "read", "keep.txt", "write", "new.txt", "x",
                "write", "keep.txt", "y", "mkdir", "d2", "unlink", "keep.txt",
                "rmdir", "sub", "rename", "keep.txt", "k2", "symlink", "keep.txt", "l")
        assert r.returncode == 0, err(r)
        res = results(r)
        assert res["read keep.txt"] == "0 keep", res
        for k in ("write new.txt", "write keep.txt", "mkdir d2", "unlink keep.txt",
                  "rmdir sub", "rename keep.txt k2", "symlink keep.txt l"):
            assert res[k] == "69", (k, res)
        assert sorted(os.listdir(d)) == ["keep.txt", "sub"]
        with open(os.path.join(d, "keep.txt")) as f:
            assert f.read() == "keep"


def make_tree(base):
    """base/root is preopened; base/outside holds what must stay unreachable."""
    root = os.path.join(base, "root")
    outside = os.path.join(base, "outside")
    os.makedirs(os.path.join(root, "sub", "deeper"))
    os.mkdir(outside)
    with open(os.path.join(root, "inside.txt"), "w") as f:
        f.write("inside")
    with open(os.path.join(root, "sub", "deeper", "f.txt"), "w") as f:
        f.write("deep")
    with open(os.path.join(outside, "secret.txt"), "w") as f:
        f.write("secret")
    os.symlink("/etc", os.path.join(root, "abs"))
    os.symlink("../outside", os.path.join(root, "up"))
    os.symlink("sub/../../outside/secret.txt", os.path.join(root, "sneaky"))
    os.symlink("inside.txt", os.path.join(root, "ok"))
    os.symlink("../inside.txt", os.path.join(root, "sub", "parent_ok"))
    os.symlink("loop", os.path.join(root, "loop"))
    return root, outside


def test_sandbox_escapes_are_refused(env=None):
    with tempfile.TemporaryDirectory() as base:
        root, outside = make_tree(base)
        r = run("--dir", root + "::/", FSOPS, *(
                "read", "../outside/secret.txt",
                "read", "sub/../../outside/secret.txt",
                "read", "sub/deeper/../../../outside/secret.txt",
                "read", "/etc/passwd",
                "read", "abs/passwd",
                "read", "up/secret.txt",
                "read", "sneaky",
                "stat", "..",
                "stat", "up",
                "lstat", "up",
                "write", "../evil.txt", "x",
                "write", "up/evil.txt", "x",
                "mkdir", "../newdir",
                "mkdir", "up/newdir",
                "unlink", "../outside/secret.txt",
                "unlink", "up/secret.txt",
                "rename", "inside.txt", "../stolen.txt",
                "rename", "../outside/secret.txt", "mine.txt",
                "link", "../outside/secret.txt", "hard",
                "symlink", "/etc/passwd", "abs2",
                "symlink", "../outside/secret.txt", "rel_escape",
                "read", "rel_escape",
                "readlink", "../root/up"), env=env)
        assert r.returncode == 0, err(r)
        res = results(r)
        denied = ["read ../outside/secret.txt", "read sub/../../outside/secret.txt",
                  "read sub/deeper/../../../outside/secret.txt", "read /etc/passwd",
                  "read abs/passwd", "read up/secret.txt", "read sneaky", "stat ..",
                  "stat up", "write ../evil.txt", "write up/evil.txt", "mkdir ../newdir",
                  "mkdir up/newdir", "unlink ../outside/secret.txt", "unlink up/secret.txt",
                  "rename inside.txt ../stolen.txt", "rename ../outside/secret.txt mine.txt",
                  "link ../outside/secret.txt hard", "symlink /etc/passwd abs2",
                  "read rel_escape", "readlink ../root/up"]
        for k in denied:
            assert res.get(k, "").split(" ")[0] == "76", (k, res.get(k), res)
        # a relative link may be created, it just cannot be followed out
        assert res["symlink ../outside/secret.txt rel_escape"] == "0", res
        assert res["lstat up"].startswith("0 type=7"), res
        # nothing outside changed
        assert os.listdir(outside) == ["secret.txt"]
        with open(os.path.join(outside, "secret.txt")) as f:
            assert f.read() == "secret"
        assert not os.path.exists(os.path.join(base, "evil.txt"))
        assert not os.path.exists(os.path.join(base, "stolen.txt"))
        assert not os.path.exists(os.path.join(base, "newdir"))


def test_paths_inside_the_sandbox_work(env=None):
    with tempfile.TemporaryDirectory() as base:
        root, _ = make_tree(base)
        r = run("--dir", root + "::/", FSOPS, *(
                "read", "inside.txt",
                "read", "ok",
                "read", "sub/parent_ok",
                "read", "sub/deeper/../../inside.txt",
                "read", "./sub//deeper/f.txt",
                "read", "inside.txt/",
                "read", "missing.txt",
                "read", "loop",
                "lstat", "ok",
                "stat", "ok",
                "readlink", "ok",
                "write", "sub/new.txt", "fresh",
                "read", "sub/new.txt",
                "mkdir", "made",
                "rename", "sub/new.txt", "made/moved.txt",
                "link", "made/moved.txt", "hardlink",
                "unlink", "made",
                "rmdir", "sub",
                "ls", "made",
                "unlink", "hardlink",
                "fdwrite", "99", "x"), env=env)
        assert r.returncode == 0, err(r)
        res = results(r)
        assert res["read inside.txt"] == "0 inside", res
        assert res["read ok"] == "0 inside", res
        assert res["read sub/parent_ok"] == "0 inside", res
        assert res["read sub/deeper/../../inside.txt"] == "0 inside", res
        assert res["read ./sub//deeper/f.txt"] == "0 deep", res
        assert res["read inside.txt/"] == "54", res
        assert res["read missing.txt"] == "44", res
        assert res["read loop"] == "32", res
        assert res["lstat ok"].startswith("0 type=7"), res
        assert res["stat ok"] == "0 type=4 size=6", res
        assert res["readlink ok"] == "0 inside.txt", res
        assert res["write sub/new.txt"] == "0", res
        assert res["read sub/new.txt"] == "0 fresh", res
        assert res["mkdir made"] == "0", res
        assert res["rename sub/new.txt made/moved.txt"] == "0", res
        assert res["link made/moved.txt hardlink"] == "0", res
        assert res["unlink made"] == "31", res   # isdir
        assert res["rmdir sub"] == "55", res     # notempty
        assert res["ls made"].split()[0] == "0" and "moved.txt" in res["ls made"], res
        assert res["unlink hardlink"] == "0", res
        assert res["fdwrite 99"] == "8", res
        assert os.path.exists(os.path.join(root, "made", "moved.txt"))
        r = run("--dir", root + "::/", FSOPS, "mkdir", "made", env=env)
        assert results(r)["mkdir made"] == "20", out(r)  # exist


def test_sandbox_escapes_are_refused_by_the_walk():
    test_sandbox_escapes_are_refused(WALK_ENV)


def test_paths_inside_the_sandbox_work_with_the_walk():
    test_paths_inside_the_sandbox_work(WALK_ENV)


def test_poll_oneoff_clocks_and_readiness():
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "f.txt"), "w") as f:
            f.write("12345")
        r = run("--dir", d + "::/", FSOPS, "sleep", "rel", "5", "sleep", "abs", "5",
                "pollfd", "0", "r", "pollfd", "1", "w", "pollfd", "42", "r", stdin=b"abc")
        assert r.returncode == 0, err(r)
        res = results(r)
        assert res["sleep rel"] == "0 n=1 userdata=1234 type=0 error=0", res
        assert res["sleep abs"] == "0 n=1 userdata=1234 type=0 error=0", res
        # stdin holds "abc" (then end of file): readable long before the 10 s clock
        assert res["pollfd 0"].startswith("0 n=1 [userdata=1 type=1 error=0 nbytes="), res
        assert res["pollfd 1"].startswith("0 n=1 [userdata=1 type=2 error=0"), res
        assert res["pollfd 42"] == "0 n=1 [userdata=1 type=1 error=8 nbytes=0]", res


def test_nonblocking_stdin_leaves_the_hosts_descriptor_alone():
    r, w = os.pipe()
    try:
        p = subprocess.run([SHIM, "run", FSOPS, "setflags", "0", "4", "fdstat", "0",
                            "fdread", "0"], stdin=r, capture_output=True, timeout=60)
        assert p.returncode == 0, err(p)
        res = results(p)
        assert res["setflags 0"] == "0", res
        assert res["fdstat 0"].endswith("flags=4"), res   # nonblock, as the guest set it
        assert res["fdread 0"] == "6", res                # nothing written yet: again
        assert os.get_blocking(r)  # the shared open file description is untouched
    finally:
        os.close(r)
        os.close(w)


def test_socket_handed_in_as_stdin():
    import socket
    a, b = socket.socketpair()
    try:
        b.sendall(b"ping")
        r = subprocess.run([SHIM, "run", FSOPS, "fdstat", "0", "recv", "0", "send", "0", "pong",
                            "shutdown", "0", "2", "shutdown", "0", "9", "accept", "0",
                            "send", "1", "x", "shutdown", "1", "1", "shutdown", "77", "1"],
                           stdin=a.fileno(), capture_output=True, timeout=60)
        assert r.returncode == 0, err(r)
        res = results(r)
        assert res["fdstat 0"] == "0 type=6 flags=0", res   # socket_stream
        assert res["recv 0"] == "0 ping", res
        assert res["send 0"] == "0 4", res
        assert b.recv(16) == b"pong"
        assert res["shutdown 0"] == "28", res       # last one: how=9 is inval
        assert res["accept 0"] != "0", res          # not a listening socket
        assert res["send 1"] == "57 0", res         # stdout is a pipe: notsock
        assert res["shutdown 1"] == "57", res
        assert res["shutdown 77"] == "8", res       # badf
        assert b.recv(16) == b""                    # the write side was shut down
    finally:
        a.close()
        b.close()


def test_bad_guest_pointers_are_faults_not_crashes():
    with tempfile.TemporaryDirectory() as d:
        r = run("--dir", d + "::/", BADPTR)
        assert r.returncode == 0, err(r)
        res = {}
        for line in out(r).splitlines():
            k, _, v = line.rpartition(" ")
            res[k] = v
        for k in ("fd_write iovs", "fd_write buf", "fd_write edge", "fd_write nwritten",
                  "random_get", "args_sizes_get", "clock_time_get", "fd_fdstat_get",
                  "fd_prestat_get", "path_open path", "path_open fd", "poll_oneoff"):
            assert res.get(k) == "21", (k, res)
        assert res["clock_time_get bad clock"] == "28", res
        assert res["fd_close bad fd"] == "8", res
        assert "still running" in out(r)



def test_wasi_unstable_abi_differences_are_adapted():
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "ten.txt"), "w") as f:
            f.write("0123456789")
        r = run("--dir", d + "::/", LEGACY)
        assert r.returncode == 0, err(r)
        assert out(r) == ("legacy fd_write\n"
                          "write = 0 16\n"
                          "open = 0\n"
                          "seek set 3 = 0 3\n"
                          "seek cur 1 = 0 4\n"
                          "seek end -2 = 0 8\n"
                          "seek bad whence = 28\n"
                          "fd_filestat = 0 type=4 nlink=1 size=10 after=aa\n"
                          "path_filestat = 0 type=4 size=10 after=aa\n"
                          "poll = 0 n=1 userdata=beef type=0\n"), out(r)


def test_random_calls_never_crash_the_host():
    # every WASI function, random arguments and pointers, three seeds
    for seed in ("1", "2", "3"):
        with tempfile.TemporaryDirectory() as base:
            root = os.path.join(base, "root")
            os.mkdir(root)
            r = subprocess.run([SHIM, "run", "--dir", root + "::/", CHAOS, "20000", seed],
                               stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
            assert r.returncode == 0, (seed, r.returncode, err(r)[-2000:])
            last = out(r).splitlines()[-1].split()
            assert last[0] == "chaos:" and last[1] == "20000", out(r)[-500:]
            assert int(last[3]) > 1000, last  # many calls really did something
            assert os.listdir(base) == ["root"], os.listdir(base)  # nothing escaped


if __name__ == "__main__":
    run_tests(globals())
