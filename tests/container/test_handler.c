/*
 * test_handler.c - the container layer's handler interface, through a test
 * double at the door: fake handlers registered the way the binary
 * registers the runner's, in a binary that links the container layer
 * alone (no Wasm layer), as root.
 *
 * The "fake" handler runs files named *.fake whose first bytes are "FAKE",
 * and the arg0 "@fake" with no file at all; "second", registered after it,
 * runs any file starting with "FAKE".  Their run step prints what it saw
 * (pid, uid, paths, the pid prepare ran in) so the test can check where
 * each step ran; the number after "FAKE " in the file is the exit status.
 */
#include "bundle.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* In the test process: how often prepare and free_state ran here. */
static int prepared, freed;

typedef struct fake_state {
    pid_t prepared_in;
} fake_state;

static bool ends_with(const char *s, const char *suffix)
{
    size_t l = strlen(s), sl = strlen(suffix);
    return l >= sl && strcmp(s + l - sl, suffix) == 0;
}

static bool fake_needs_no_exec_bit(const char *name)
{
    return ends_with(name, ".fake");
}

static int fake_prepare(const container_program *prog, void **state, util_error **err)
{
    if (strcmp(prog->args[0], "refused.fake") == 0)
        return util_error_set(err, 0, "fake prepare refused %s", prog->args[0]);
    /* before the fork nothing is resolved yet, and the root is the host's
     * view of the container's root */
    if (prog->path != NULL || prog->rootfs == NULL || prog->rootfs[0] != '/' ||
        strcmp(prog->rootfs, "/") == 0)
        return util_error_set(err, 0, "fake prepare: unexpected program view");
    fake_state *st = util_xcalloc(1, sizeof(*st));
    st->prepared_in = getpid();
    *state = st;
    prepared++;
    return 0;
}

static void fake_free_state(void *state)
{
    freed++;
    free(state);
}

static bool starts_fake(const container_program *prog)
{
    return prog->n_head == 4 && memcmp(prog->head, "FAKE", 4) == 0;
}

static int fake_can_handle(void *state, const container_program *prog, util_error **err)
{
    if (strcmp(prog->args[0], "@fake") == 0)
        return prog->path == NULL ? 1 : 0;
    if (prog->path == NULL || !ends_with(prog->path, ".fake"))
        return 0;
    if (prog->n_head == 4 && memcmp(prog->head, "BAD!", 4) == 0)
        return util_error_set(err, 0, "fake: cannot run %s", prog->path);
    return starts_fake(prog);
}

static int fake_load(void *state, const container_program *prog, void **work, util_error **err)
{
    char *text = NULL;
    size_t len = 0;
    if (prog->path == NULL) {
        *work = util_xstrdup("FAKE 5 (no file)");
        return 0;
    }
    if (util_read_file(prog->path, &text, &len, err) < 0)
        return -1;
    if (strstr(text, "load-fails") != NULL) {
        free(text);
        return util_error_set(err, 0, "fake: %s does not load", prog->path);
    }
    *work = text;
    return 0;
}

static int fake_run(void *state, void *work, const container_program *prog)
{
    const fake_state *st = state;
    const char *text = work;
    struct stat sb;
    dprintf(1, "fake run: pid=%d uid=%d prepared_in=%d path=%s arg1=%s busybox=%d content=%s\n",
            (int)getpid(), (int)getuid(), st ? (int)st->prepared_in : -1,
            prog->path ? prog->path : "(none)", prog->n_args > 1 ? prog->args[1] : "(none)",
            stat("/bin/busybox", &sb) == 0, text);
    return atoi(text + 5);
}

static const container_handler fake_handler = {
    .name = "fake",
    .runs = "fake program",
    .needs_no_exec_bit = fake_needs_no_exec_bit,
    .prepare = fake_prepare,
    .free_state = fake_free_state,
    .can_handle = fake_can_handle,
    .load = fake_load,
    .run = fake_run,
};

static int second_can_handle(void *state, const container_program *prog, util_error **err)
{
    return starts_fake(prog);
}

static int second_run(void *state, void *work, const container_program *prog)
{
    dprintf(1, "second run: %s\n", prog->path);
    return 11;
}

static const container_handler second_handler = {
    .name = "second",
    .can_handle = second_can_handle,
    .run = second_run,
};

static int put_file(const test_bundle *b, const char *rel, const char *text, int mode)
{
    char p[512];
    snprintf(p, sizeof(p), "%s%s", b->image, rel);
    return util_write_file_atomic(p, text, strlen(text), mode, NULL);
}

static void finish(container *c, test_bundle *b)
{
    if (c != NULL) {
        util_error *err = NULL;
        CHECK_INT(container_delete(c, &err), 0);
        util_error_free(&err);
        pid_t pid = container_pid(c);
        if (pid > 0 && container_status(c) != CONTAINER_STOPPED)
            reap_pid(pid);
        container_free(c);
    }
    bundle_remove(b);
}

/* Start and run to completion; returns the exit status, or -1. */
static int run_to_end(container *c)
{
    util_error *err = NULL;
    pid_t pid = container_start(c, &err);
    if (pid < 0) {
        fprintf(stderr, "start: %s\n", err->msg);
        util_error_free(&err);
        return -1;
    }
    return reap_pid(pid);
}

static bool contains(const char *text, const char *what)
{
    if (strstr(text, what) != NULL)
        return true;
    fprintf(stderr, "output lacks \"%s\":\n%s\n", what, text);
    return false;
}

/* The claimed init: prepared in this process before the fork (and its
 * state freed here), found through PATH although not executable, claimed
 * and loaded in the container, run after Start inside the sandbox with the
 * process's user, its result the exit status. */
static void test_claimed_init_runs_in_the_sandbox(void)
{
    test_bundle b;
    CHECK_INT(bundle_make(&b, &(bundle_opts){.args = "[\"x.fake\",\"one\"]",
                                             .process = ",\"env\":[\"PATH=/bin:/app\"],"
                                                        "\"user\":{\"uid\":1000,\"gid\":1000}"}),
              0);
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/app", b.image);
    CHECK_INT(mkdir(dir, 0755), 0);
    CHECK_INT(put_file(&b, "/app/x.fake", "FAKE 7", 0644), 0);
    int prepared_before = prepared, freed_before = freed;
    util_error *err = NULL;
    container *c = bundle_create(&b, "h-init", &err);
    if (err)
        fprintf(stderr, "create: %s\n", err->msg);
    util_error_free(&err);
    CHECK(c != NULL);
    if (c) {
        CHECK_STR(container_handler_name(c), "fake");
        CHECK_INT(prepared - prepared_before, 1);
        CHECK_INT(freed - freed_before, 1); /* once the process was set up */
        pid_t pid = container_start(c, &err);
        CHECK(pid > 0);
        CHECK_INT(reap_pid(pid), 7);
        char *out = bundle_read(&b, "out");
        char want[128];
        snprintf(want, sizeof(want), "prepared_in=%d ", (int)getpid());
        CHECK(contains(out, "fake run: pid=1 uid=1000 "));
        CHECK(contains(out, want));
        CHECK(contains(out, "path=/app/x.fake arg1=one busybox=1 content=FAKE 7\n"));
        free(out);
    }
    util_error_free(&err);
    finish(c, &b);
}

/* What no handler claims is execve'd as before; the first handler that
 * claims wins; a handler may claim an arg0 that names no file. */
static void test_choice_and_order(void)
{
    test_bundle b;
    CHECK_INT(bundle_make(&b, &(bundle_opts){.args = "[\"sh\",\"-c\",\"echo native; exit 3\"]"}),
              0);
    util_error *err = NULL;
    container *c = bundle_create(&b, "h-native", &err);
    CHECK(c != NULL);
    if (c) {
        CHECK(container_handler_name(c) == NULL);
        CHECK_INT(run_to_end(c), 3);
        char *out = bundle_read(&b, "out");
        CHECK_STR(out, "native\n");
        free(out);
    }
    finish(c, &b);

    /* "FAKE" in a file not named .fake: fake passes, second claims it */
    CHECK_INT(bundle_make(&b, &(bundle_opts){.args = "[\"/y.other\"]"}), 0);
    CHECK_INT(put_file(&b, "/y.other", "FAKE 1", 0755), 0);
    c = bundle_create(&b, "h-second", &err);
    CHECK(c != NULL);
    if (c) {
        CHECK_STR(container_handler_name(c), "second");
        CHECK_INT(run_to_end(c), 11);
        char *out = bundle_read(&b, "out");
        CHECK_STR(out, "second run: /y.other\n");
        free(out);
    }
    finish(c, &b);

    CHECK_INT(bundle_make(&b, &(bundle_opts){.args = "[\"@fake\",\"two\"]"}), 0);
    c = bundle_create(&b, "h-nofile", &err);
    CHECK(c != NULL);
    if (c) {
        CHECK_STR(container_handler_name(c), "fake");
        CHECK_INT(run_to_end(c), 5);
        char *out = bundle_read(&b, "out");
        CHECK(contains(out, "path=(none) arg1=two busybox=1 content=FAKE 5 (no file)\n"));
        free(out);
    }
    util_error_free(&err);
    finish(c, &b);
}

static void expect_create_error(const char *args, const char *file, const char *text,
                                const char *want)
{
    test_bundle b;
    CHECK_INT(bundle_make(&b, &(bundle_opts){.args = args}), 0);
    if (file)
        CHECK_INT(put_file(&b, file, text, 0644), 0);
    util_error *err = NULL;
    int prepared_before = prepared, freed_before = freed;
    container *c = bundle_create(&b, "h-error", &err);
    CHECK(c == NULL);
    CHECK(err != NULL && strstr(err->msg, want) != NULL);
    if (err && !strstr(err->msg, want))
        fprintf(stderr, "error \"%s\" lacks \"%s\"\n", err->msg, want);
    CHECK_INT(prepared - prepared_before, freed - freed_before); /* nothing leaks */
    char cg[512];
    snprintf(cg, sizeof(cg), "/sys/fs/cgroup/pids%s", b.cgroup);
    CHECK(access(cg, F_OK) < 0); /* undone (cgroup v1) */
    snprintf(cg, sizeof(cg), "/sys/fs/cgroup%s", b.cgroup);
    CHECK(access(cg, F_OK) < 0); /* (v2) */
    util_error_free(&err);
    finish(c, &b);
}

/* Every step can refuse, and each refusal fails Create naming the
 * problem, leaving nothing behind. */
static void test_refusals_fail_create(void)
{
    expect_create_error("[\"refused.fake\"]", NULL, NULL, "fake prepare refused refused.fake");
    expect_create_error("[\"/b.fake\"]", "/b.fake", "BAD!", "fake: cannot run /b.fake");
    expect_create_error("[\"/c.fake\"]", "/c.fake", "FAKE load-fails", "/c.fake does not load");
    /* nothing claims a text file: the error names what could run */
    expect_create_error("[\"/d.txt\"]", "/d.txt", "just text",
                        "/d.txt: not an ELF or #! program, fake program or second");
    expect_create_error("[\"@nothing\"]", NULL, NULL, "executable file not found in $PATH");
}

/* The prepare_rootfs hook: what it saw when it ran (in this process). */
typedef struct rootfs_hook {
    const char *write;     /* a file to put at the root, or NULL */
    const char *fail_with; /* an error to return, or NULL */
    int calls;
    int prepared_then; /* handler prepares done when the hook ran */
    bool saw_image;    /* the image's /bin/busybox was mounted already */
    pid_t ran_in;
} rootfs_hook;

static int hook_prepare_rootfs(void *ctx, const char *rootfs_dir, util_error **err)
{
    rootfs_hook *h = ctx;
    h->calls++;
    h->prepared_then = prepared;
    h->ran_in = getpid();
    cleanup_free char *busybox = util_xasprintf("%s/bin/busybox", rootfs_dir);
    struct stat sb;
    h->saw_image = stat(busybox, &sb) == 0;
    if (h->fail_with)
        return util_error_set(err, 0, "%s", h->fail_with);
    if (h->write) {
        cleanup_free char *path = util_xasprintf("%s/hooked.fake", rootfs_dir);
        return util_write_file_atomic(path, h->write, strlen(h->write), 0644, err);
    }
    return 0;
}

static container *create_with_hook(test_bundle *b, const char *id, rootfs_hook *h,
                                   util_error **err)
{
    char out[512];
    snprintf(out, sizeof(out), "%s/out", b->dir);
    container_create_options o = {
        .id = id,
        .bundle = b->dir,
        .rootfs = &b->mount,
        .n_rootfs = 1,
        .stdio = {.stdin_path = NULL, .stdout_path = out, .stderr_path = out},
        .prepare_rootfs = hook_prepare_rootfs,
        .prepare_rootfs_ctx = h,
    };
    return container_create(&o, err);
}

/* The hook runs once, here, after the rootfs is mounted and before every
 * handler's prepare and the fork: a program it writes is what the
 * container then runs. */
static void test_prepare_rootfs_hook_fills_the_root(void)
{
    test_bundle b;
    CHECK_INT(bundle_make(&b, &(bundle_opts){.args = "[\"/hooked.fake\"]"}), 0);
    rootfs_hook h = {.write = "FAKE 9"};
    int prepared_before = prepared;
    util_error *err = NULL;
    container *c = create_with_hook(&b, "h-hook", &h, &err);
    if (err)
        fprintf(stderr, "create: %s\n", err->msg);
    util_error_free(&err);
    CHECK(c != NULL);
    CHECK_INT(h.calls, 1);
    CHECK(h.saw_image);
    CHECK_INT(h.prepared_then, prepared_before);
    CHECK_INT(h.ran_in, getpid());
    if (c) {
        CHECK_INT(prepared - prepared_before, 1);
        CHECK_INT(run_to_end(c), 9);
        char *out = bundle_read(&b, "out");
        CHECK(contains(out, "path=/hooked.fake"));
        free(out);
    }
    finish(c, &b);
}

/* A failing hook fails Create with its message; no handler was prepared
 * and the rootfs mount is gone again. */
static void test_prepare_rootfs_hook_failure_fails_create(void)
{
    test_bundle b;
    CHECK_INT(bundle_make(&b, &(bundle_opts){.args = "[\"/bin/true\"]"}), 0);
    rootfs_hook h = {.fail_with = "layer sha256:abc: digest mismatch"};
    int prepared_before = prepared;
    util_error *err = NULL;
    container *c = create_with_hook(&b, "h-hook-fail", &h, &err);
    CHECK(c == NULL);
    CHECK(err != NULL && strcmp(err->msg, "prepare rootfs: layer sha256:abc: digest mismatch") == 0);
    if (err)
        fprintf(stderr, "create said: %s\n", err->msg);
    util_error_free(&err);
    CHECK_INT(h.calls, 1);
    CHECK_INT(prepared, prepared_before);
    char busybox[512];
    snprintf(busybox, sizeof(busybox), "%s/bin/busybox", b.rootfs);
    struct stat sb;
    CHECK(stat(busybox, &sb) < 0); /* unmounted: the rootfs dir is empty again */
    if (c)
        finish(c, &b);
    else
        bundle_remove(&b);
}

/* An exec into a running container goes through the handlers too. */
static void test_exec_is_claimed(void)
{
    test_bundle b;
    CHECK_INT(bundle_make(&b, &(bundle_opts){.args = "[\"sleep\",\"600\"]"}), 0);
    CHECK_INT(put_file(&b, "/e.fake", "FAKE 9", 0644), 0);
    util_error *err = NULL;
    container *c = bundle_create(&b, "h-exec", &err);
    CHECK(c != NULL);
    if (c) {
        CHECK(container_handler_name(c) == NULL);
        CHECK(container_start(c, &err) > 0);
        char out[512];
        snprintf(out, sizeof(out), "%s/exec-out", b.dir);
        container_stdio io = {.stdout_path = out, .stderr_path = out};
        CHECK_INT(container_exec_create(
                      c, "x1", "{\"args\":[\"/e.fake\",\"three\"],\"cwd\":\"/\"}", &io, &err),
                  0);
        pid_t pid = container_exec_start(c, "x1", &err);
        CHECK(pid > 0);
        CHECK_INT(reap_pid(pid), 9);
        char *text = read_text(out);
        CHECK(contains(text, "path=/e.fake arg1=three busybox=1 content=FAKE 9\n"));
        free(text);
    }
    if (err)
        fprintf(stderr, "exec: %s\n", err->msg);
    util_error_free(&err);
    finish(c, &b);
}

static int no_claim(void *state, const container_program *prog, util_error **err)
{
    return 0;
}

/* Registration refuses what it cannot use; runs last, since the handlers it
 * manages to add stay registered. */
static void test_registration(void)
{
    util_error *err = NULL;
    CHECK_INT(container_handler_register(&fake_handler, &err), -1);
    CHECK(err && strstr(err->msg, "fake: already registered"));
    util_error_free(&err);
    static const container_handler no_run = {.name = "norun", .can_handle = no_claim};
    CHECK_INT(container_handler_register(&no_run, &err), -1);
    CHECK(err && strstr(err->msg, "can_handle and run are required"));
    util_error_free(&err);
    static container_handler more[CONTAINER_MAX_HANDLERS];
    static char names[CONTAINER_MAX_HANDLERS][16];
    int added = 0;
    for (int i = 0; i < CONTAINER_MAX_HANDLERS; i++) {
        snprintf(names[i], sizeof(names[i]), "more%d", i);
        more[i] = (container_handler){.name = names[i], .can_handle = no_claim, .run = second_run};
        if (container_handler_register(&more[i], &err) < 0)
            break;
        added++;
    }
    CHECK_INT(added, CONTAINER_MAX_HANDLERS - 2); /* fake and second came first */
    CHECK(err && strstr(err->msg, "no room"));
    util_error_free(&err);
}

int main(void)
{
    if (geteuid() != 0) {
        printf("container tests need root\n0 passed, 1 failed\n");
        return 1;
    }
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    util_error *err = NULL;
    if (container_handler_register(&fake_handler, &err) < 0 ||
        container_handler_register(&second_handler, &err) < 0) {
        printf("%s\n0 passed, 1 failed\n", err->msg);
        return 1;
    }
    RUN(test_claimed_init_runs_in_the_sandbox);
    RUN(test_choice_and_order);
    RUN(test_refusals_fail_create);
    RUN(test_exec_is_claimed);
    RUN(test_registration);
    RUN(test_prepare_rootfs_hook_fills_the_root);
    RUN(test_prepare_rootfs_hook_failure_fails_create);
    return TEST_SUMMARY();
}
