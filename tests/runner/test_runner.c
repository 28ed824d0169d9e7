/*
 * test_runner.c - the runner's handlers on their own, without a container:
 * which processes each claims (the decision the sandbox made itself before
 * the handlers existed), what prepare does for a process that is not its
 * own, and that load refuses a broken module naming the file.  The
 * handlers running inside real containers are tested in tests/container.
 */
#include "runner.h"
#include "test.h"
#include "wasi.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static char *args_sh[] = {"sh", NULL};
static char *args_root[] = {"/", NULL};

static container_program file_program(const char *path, const char *head, size_t n, bool native)
{
    return (container_program){.args = args_sh, .n_args = 1, .rootfs = "/", .path = path,
                               .head = (const unsigned char *)head, .n_head = n,
                               .native = native};
}

static void test_wasi_claims(void)
{
    const container_handler *h = &runner_wasi_handler;
    util_error *err = NULL;
    container_program p = file_program("/bin/x", "\0asm", 4, false);
    CHECK_INT(h->can_handle(NULL, &p, &err), 1); /* by its magic, whatever its name */
    p = file_program("/app.wasm", "oops", 4, false);
    CHECK_INT(h->can_handle(NULL, &p, &err), 1); /* by its name: the engine says what is wrong */
    p = file_program("/app.wasm", "\x7f" "ELF", 4, true);
    CHECK_INT(h->can_handle(NULL, &p, &err), 0); /* a native program, whatever its name */
    p = file_program("/app.wasm", "#!/b", 4, true);
    CHECK_INT(h->can_handle(NULL, &p, &err), 0);
    p = file_program("/bin/x", "text", 4, false);
    CHECK_INT(h->can_handle(NULL, &p, &err), 0);
    p = file_program(NULL, NULL, 0, false);
    CHECK_INT(h->can_handle(NULL, &p, &err), 0); /* nothing found: not a module */
    CHECK(err == NULL);
    CHECK(h->needs_no_exec_bit("hello.wasm"));
    CHECK(!h->needs_no_exec_bit("hello"));
    CHECK(!h->needs_no_exec_bit("hello.wasm.sh"));
}

static void test_spin_claims(void)
{
    const container_handler *h = &runner_spin_handler;
    util_error *err = NULL;
    container_program p = file_program("/bin/sh", "\x7f" "ELF", 4, true);
    void *state = NULL;
    CHECK_INT(h->prepare(&p, &state, &err), 0); /* not a Spin app: nothing loaded */
    CHECK(state == NULL);
    CHECK_INT(h->can_handle(NULL, &p, &err), 0);
    CHECK(err == NULL);
    if (access("/spin.toml", F_OK) == 0)
        return; /* this machine's root is a Spin app: the refusal cannot be seen */
    p = (container_program){.args = args_root, .n_args = 1, .rootfs = "/"};
    CHECK_INT(h->can_handle(NULL, &p, &err), -1);
    CHECK(err && strstr(err->msg, "process.args[0] \"/\": not a Spin app (no /spin.toml or /spin.json"));
    util_error_free(&err);
}

/* An OCI artifact's rootfs: /spin.json (written by src/oci) makes it a
 * Spin app whatever its args, but a native arg0 still runs natively. */
static void test_spin_claims_artifact(void)
{
    const container_handler *h = &runner_spin_handler;
    char root[] = "/tmp/runner-artifact-XXXXXX";
    CHECK(mkdtemp(root) != NULL);
    char *bogus[] = {"bogus-arg", NULL};
    container_program p = {.args = bogus, .n_args = 1, .rootfs = root};
    util_error *err = NULL;
    CHECK_INT(h->can_handle(NULL, &p, &err), 0); /* an empty rootfs is nobody's app */
    char json[64], link[64];
    snprintf(json, sizeof(json), "%s/spin.json", root);
    snprintf(link, sizeof(link), "%s/other.json", root);
    CHECK_INT(symlink("other.json", json), 0);
    CHECK_INT(util_write_file_atomic(link, "{}", 2, 0644, &err), 0);
    CHECK_INT(h->can_handle(NULL, &p, &err), 0); /* a link is not the installed file */
    CHECK_INT(unlink(json), 0);
    CHECK_INT(rename(link, json), 0);
    CHECK_INT(h->can_handle(NULL, &p, &err), 1);
    p.args = args_root; /* Kubernetes' command ["/"] */
    CHECK_INT(h->can_handle(NULL, &p, &err), 1);
    void *state = NULL;
    CHECK_INT(h->prepare(&p, &state, &err), 0); /* loads libmicrohttpd */
    container_program native = file_program("/bin/sh", "\x7f" "ELF", 4, true);
    native.rootfs = root;
    CHECK_INT(h->can_handle(NULL, &native, &err), 0);
    CHECK(err == NULL);
    util_error_free(&err);
    unlink(json);
    rmdir(root);
}

/* prepare reads the image's spin.toml and runtime-config.toml on the host,
 * as root, before pivot_root: a runtime-config.toml that is a FIFO or a
 * device node is not even opened (opening a device can act: a watchdog
 * starts, a tty becomes the shim's controlling terminal).  inotify sees
 * every open of the node. */
static void test_spin_prepare_opens_only_files(void)
{
    const container_handler *h = &runner_spin_handler;
    char root[] = "/tmp/runner-nodes-XXXXXX";
    CHECK(mkdtemp(root) != NULL);
    char toml[64], config[64];
    snprintf(toml, sizeof(toml), "%s/spin.toml", root);
    snprintf(config, sizeof(config), "%s/runtime-config.toml", root);
    static const char manifest[] = "spin_manifest_version = 2\n[application]\nname = \"a\"\n";
    util_error *err = NULL;
    CHECK_INT(util_write_file_atomic(toml, manifest, sizeof(manifest) - 1, 0644, &err), 0);
    for (int kind = 0; kind < 2; kind++) {
        /* a FIFO, then /dev/null's device numbers (needs root: skipped without) */
        if ((kind == 0 ? mkfifo(config, 0644) : mknod(config, S_IFCHR | 0644, makedev(1, 3))) < 0)
            continue;
        int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        CHECK(in >= 0);
        CHECK(inotify_add_watch(in, config, IN_OPEN) >= 0);
        container_program p = {.args = args_root, .n_args = 1, .rootfs = root};
        void *state = NULL;
        CHECK_INT(h->prepare(&p, &state, &err), 0); /* loads everything: config unreadable */
        CHECK(err == NULL);
        char ev[sizeof(struct inotify_event) + 256];
        ssize_t got = read(in, ev, sizeof(ev));
        CHECK_INT(got, -1); /* no IN_OPEN queued */
        close(in);
        CHECK_INT(unlink(config), 0);
    }
    unlink(toml);
    rmdir(root);
}

static void test_wasi_load(void)
{
    char path[] = "/tmp/runner-test-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK_INT(write(fd, "\0asm\x02\0\0\0", 8), 8);
    close(fd);
    container_program p = file_program(path, "\0asm", 4, false);
    void *work = NULL;
    util_error *err = NULL;
    CHECK_INT(runner_wasi_handler.load(NULL, &p, &work, &err), -1);
    CHECK(work == NULL);
    CHECK(err && strstr(err->msg, path) && strstr(err->msg, "malformed module"));
    util_error_free(&err);

    /* the smallest valid module: loaded, decoded and validated */
    fd = open(path, O_WRONLY | O_TRUNC);
    CHECK_INT(write(fd, "\0asm\x01\0\0\0", 8), 8);
    close(fd);
    CHECK_INT(runner_wasi_handler.load(NULL, &p, &work, &err), 0);
    CHECK(work != NULL);
    wasi_command_free(work);
    unlink(path);

    p = file_program("/nonexistent/x.wasm", NULL, 0, false);
    CHECK_INT(runner_wasi_handler.load(NULL, &p, &work, &err), -1);
    CHECK(err && strstr(err->msg, "process.args[0]") && strstr(err->msg, "/nonexistent/x.wasm"));
    util_error_free(&err);
}

static void test_register_once(void)
{
    util_error *err = NULL;
    CHECK_INT(runner_register_handlers(&err), 0);
    CHECK_INT(runner_register_handlers(&err), -1);
    CHECK(err && strstr(err->msg, "spin: already registered"));
    util_error_free(&err);
}

int main(void)
{
    RUN(test_wasi_claims);
    RUN(test_spin_claims);
    RUN(test_spin_claims_artifact);
    RUN(test_spin_prepare_opens_only_files);
    RUN(test_wasi_load);
    RUN(test_register_once);
    return TEST_SUMMARY();
}
