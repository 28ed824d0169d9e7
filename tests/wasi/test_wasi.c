/*
 * test_wasi.c - the wasi layer through its public header: ctx creation
 * errors, and whole runs of examples/hello (hello.wasm) through
 * wasi_run_command with stdio on memfds, as the Spin host uses it.
 */
#include "test.h"
#include "util.h"
#include "wasi.h"
#include "wasm.h"

#include <sys/mman.h>
#include <unistd.h>

static wasm_module *hello_module(void)
{
    static wasm_module *m;
    if (m == NULL) {
        char *bytes = NULL;
        size_t len = 0;
        util_error *err = NULL;
        if (util_read_file(WASM_DIR "/hello.wasm", &bytes, &len, &err) < 0) {
            util_error_report(&err, "hello.wasm");
            return NULL;
        }
        wasm_result res;
        wasm_result_init(&res);
        m = wasm_module_new((const uint8_t *)bytes, len, NULL, &res);
        if (m == NULL)
            fprintf(stderr, "hello.wasm: %s\n", res.message);
        free(bytes);
    }
    return m;
}

/* Reads back what the guest wrote to a memfd. */
static char *slurp(int fd)
{
    static char buf[8192];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

typedef struct run_out {
    int rc;
    int exit_code;
    wasm_result res;
    char out[8192];
    char errmsg[512];
} run_out;

static void run_hello(const char *const *argv, size_t argc, const char *const *env, size_t envc,
                      const char *stdin_text, const char *invoke, run_out *o)
{
    wasm_module *m = hello_module();
    memset(o, 0, sizeof(*o));
    o->rc = -2;
    if (m == NULL)
        return;
    int out = memfd_create("stdout", 0), in = memfd_create("stdin", 0);
    if (stdin_text) {
        CHECK(write(in, stdin_text, strlen(stdin_text)) == (ssize_t)strlen(stdin_text));
        lseek(in, 0, SEEK_SET);
    }
    wasi_config cfg;
    wasi_config_init(&cfg);
    cfg.argv = argv;
    cfg.argc = argc;
    cfg.env = env;
    cfg.envc = envc;
    cfg.stdin_fd = stdin_text ? in : -1;
    cfg.stdout_fd = out;
    cfg.stderr_fd = -1;
    util_error *err = NULL;
    o->rc = wasi_run_command(m, &cfg, invoke, NULL, &o->res, &o->exit_code, &err);
    if (err) {
        snprintf(o->errmsg, sizeof(o->errmsg), "%s", err->msg);
        util_error_free(&err);
    }
    snprintf(o->out, sizeof(o->out), "%s", slurp(out));
    close(out);
    close(in);
}

static void test_errno_names(void)
{
    CHECK_STR(wasi_errno_name(0), "success");
    CHECK_STR(wasi_errno_name(8), "badf");
    CHECK_STR(wasi_errno_name(21), "fault");
    CHECK_STR(wasi_errno_name(44), "noent");
    CHECK_STR(wasi_errno_name(76), "notcapable");
    CHECK_STR(wasi_errno_name(77), "unknown");
}

static void test_missing_preopen_is_named(void)
{
    wasi_preopen p = {.host_path = "/nonexistent/dir", .guest_path = "/"};
    wasi_config cfg;
    wasi_config_init(&cfg);
    cfg.preopens = &p;
    cfg.npreopens = 1;
    util_error *err = NULL;
    wasi_ctx *ctx = wasi_ctx_new(&cfg, &err);
    CHECK(ctx == NULL);
    CHECK(err != NULL && strstr(err->msg, "/nonexistent/dir") != NULL);
    util_error_free(&err);

    wasi_preopen file = {.host_path = "/etc/hostname", .guest_path = "/"};
    cfg.preopens = &file;
    ctx = wasi_ctx_new(&cfg, &err);
    CHECK(ctx == NULL);
    CHECK(err != NULL && strstr(err->msg, "/etc/hostname") != NULL);
    util_error_free(&err);
}

static void test_ctx_copies_its_config(void)
{
    char arg[] = "prog";
    const char *argv[] = {arg};
    wasi_preopen p = {.host_path = "/tmp", .guest_path = "/tmp", .read_only = true};
    wasi_config cfg;
    wasi_config_init(&cfg);
    cfg.argv = argv;
    cfg.argc = 1;
    cfg.preopens = &p;
    cfg.npreopens = 1;
    util_error *err = NULL;
    wasi_ctx *ctx = wasi_ctx_new(&cfg, &err);
    CHECK(ctx != NULL);
    arg[0] = 'X'; /* the ctx must not see this */
    wasi_ctx_free(ctx);
    wasi_ctx_free(NULL);
}

static void test_hello_sees_args_env_and_stdout(void)
{
    const char *argv[] = {"hello.wasm", "first", "second arg"};
    const char *env[] = {"A=1", "EMPTY="};
    run_out o;
    run_hello(argv, 3, env, 2, NULL, NULL, &o);
    CHECK_INT(o.rc, 0);
    CHECK_INT(o.exit_code, 0);
    CHECK_STR(o.out, "hello from wasm\narg[0]=hello.wasm\narg[1]=first\narg[2]=second arg\n"
                     "env A=1\nenv EMPTY=\n");
}

static void test_exit_code_and_kind(void)
{
    const char *argv[] = {"hello", "--exit", "7"};
    run_out o;
    run_hello(argv, 3, NULL, 0, NULL, NULL, &o);
    CHECK_INT(o.rc, 0);
    CHECK_INT(o.exit_code, 7);
    CHECK_INT(o.res.kind, WASM_EXIT);
}

static void test_stdin_and_null_stdin(void)
{
    const char *argv[] = {"hello", "--stdin"};
    run_out o;
    run_hello(argv, 2, NULL, 0, "from a memfd", NULL, &o);
    CHECK_INT(o.rc, 0);
    CHECK(strstr(o.out, "stdin: from a memfd\n") != NULL);
    run_hello(argv, 2, NULL, 0, NULL, NULL, &o); /* null device: plain end-of-file */
    CHECK_INT(o.rc, 0);
    CHECK(strstr(o.out, "stdin: \n") != NULL);
}

static void test_trap_is_reported(void)
{
    const char *argv[] = {"hello", "--trap"};
    run_out o;
    run_hello(argv, 2, NULL, 0, NULL, NULL, &o);
    CHECK_INT(o.rc, -1);
    CHECK_INT(o.res.kind, WASM_TRAP);
    CHECK(o.res.message[0] != '\0');
    CHECK(strncmp(o.out, "hello from wasm\n", 16) == 0);
}

static void test_missing_entry_point_is_named(void)
{
    const char *argv[] = {"hello"};
    run_out o;
    run_hello(argv, 1, NULL, 0, NULL, "no_such_export", &o);
    CHECK_INT(o.rc, -1);
    CHECK(strstr(o.errmsg, "no_such_export") != NULL);
}

static void test_many_runs_share_one_module(void)
{
    /* Spin's pattern: one module, a fresh store + ctx per request. */
    for (int i = 0; i < 20; i++) {
        char code[8];
        snprintf(code, sizeof(code), "%d", i);
        const char *argv[] = {"hello", "--exit", code};
        run_out o;
        run_hello(argv, 3, NULL, 0, NULL, NULL, &o);
        CHECK_INT(o.rc, 0);
        CHECK_INT(o.exit_code, i);
    }
}

static const char *const all_fns[][2] = {
    {"args_get", "ii:i"}, {"args_sizes_get", "ii:i"}, {"environ_get", "ii:i"},
    {"environ_sizes_get", "ii:i"}, {"clock_res_get", "ii:i"}, {"clock_time_get", "iIi:i"},
    {"fd_advise", "iIIi:i"}, {"fd_allocate", "iII:i"}, {"fd_close", "i:i"},
    {"fd_datasync", "i:i"}, {"fd_fdstat_get", "ii:i"}, {"fd_fdstat_set_flags", "ii:i"},
    {"fd_fdstat_set_rights", "iII:i"}, {"fd_filestat_get", "ii:i"},
    {"fd_filestat_set_size", "iI:i"}, {"fd_filestat_set_times", "iIIi:i"},
    {"fd_pread", "iiiIi:i"}, {"fd_prestat_get", "ii:i"}, {"fd_prestat_dir_name", "iii:i"},
    {"fd_pwrite", "iiiIi:i"}, {"fd_read", "iiii:i"}, {"fd_readdir", "iiiIi:i"},
    {"fd_renumber", "ii:i"}, {"fd_seek", "iIii:i"}, {"fd_sync", "i:i"}, {"fd_tell", "ii:i"},
    {"fd_write", "iiii:i"}, {"path_create_directory", "iii:i"},
    {"path_filestat_get", "iiiii:i"}, {"path_filestat_set_times", "iiiiIIi:i"},
    {"path_link", "iiiiiii:i"}, {"path_open", "iiiiiIIii:i"}, {"path_readlink", "iiiiii:i"},
    {"path_remove_directory", "iii:i"}, {"path_rename", "iiiiii:i"},
    {"path_symlink", "iiiii:i"}, {"path_unlink_file", "iii:i"}, {"poll_oneoff", "iiii:i"},
    {"proc_exit", "i:"}, {"proc_raise", "i:i"}, {"random_get", "ii:i"},
    {"sched_yield", ":i"}, {"sock_accept", "iii:i"}, {"sock_recv", "iiiiii:i"},
    {"sock_send", "iiiii:i"}, {"sock_shutdown", "ii:i"},
};

static void test_define_covers_all_of_preview1(void)
{
    wasi_config cfg;
    wasi_config_init(&cfg);
    util_error *err = NULL;
    wasi_ctx *ctx = wasi_ctx_new(&cfg, &err);
    wasm_store *s = wasm_store_new(NULL);
    wasm_linker *l = wasm_linker_new();
    CHECK_INT(wasi_define(l, s, ctx), 0);
    for (size_t i = 0; i < sizeof(all_fns) / sizeof(all_fns[0]); i++) {
        for (int legacy = 0; legacy < 2; legacy++) {
            wasm_extern ext;
            bool ok = wasm_linker_get(l, legacy ? "wasi_unstable" : "wasi_snapshot_preview1",
                                      all_fns[i][0], &ext);
            CHECK(ok);
            if (!ok) {
                fprintf(stderr, "  missing %s\n", all_fns[i][0]);
                continue;
            }
            CHECK_INT(ext.kind, WASM_EXTERN_FUNC);
            CHECK_STR(wasm_func_signature(ext.of.func), all_fns[i][1]);
        }
    }
    wasm_extern ext;
    CHECK(!wasm_linker_get(l, "wasi_snapshot_preview1", "fd_nonexistent", &ext));
    wasm_linker_free(l);
    wasm_store_free(s);
    wasi_ctx_free(ctx);
}

static void test_define_imports_defines_only_what_is_imported(void)
{
    wasm_module *m = hello_module();
    CHECK(m != NULL);
    if (m == NULL)
        return;
    wasi_config cfg;
    wasi_config_init(&cfg);
    util_error *err = NULL;
    wasi_ctx *ctx = wasi_ctx_new(&cfg, &err);
    wasm_store *s = wasm_store_new(NULL);
    wasm_linker *l = wasm_linker_new();
    CHECK_INT(wasi_define_imports(l, s, ctx, m), 0);
    wasm_extern ext;
    CHECK(wasm_linker_get(l, "wasi_snapshot_preview1", "fd_write", &ext));
    CHECK(wasm_linker_get(l, "wasi_snapshot_preview1", "proc_exit", &ext));
    CHECK(!wasm_linker_get(l, "wasi_snapshot_preview1", "sock_accept", &ext));
    CHECK(!wasm_linker_get(l, "wasi_unstable", "fd_write", &ext));
    wasm_result res;
    wasm_result_init(&res);
    CHECK(wasm_instantiate(s, m, l, &res) != NULL);
    wasm_linker_free(l);
    wasm_store_free(s);
    wasi_ctx_free(ctx);
}

/* One linker, one resolution of hello's imports; then a store and a ctx
 * per run, as a Spin component serves requests. */
static void test_one_resolution_serves_every_run(void)
{
    wasm_module *m = hello_module();
    CHECK(m != NULL);
    if (m == NULL)
        return;
    wasm_linker *l = wasm_linker_new();
    CHECK_INT(wasi_define_for_stores(l), 0);
    wasm_result res;
    wasm_resolution *r = wasm_linker_resolve(l, m, &res);
    CHECK(r != NULL);
    wasm_linker_free(l);
    if (r == NULL)
        return;
    static const char *const names[] = {"first", "second"};
    for (size_t run = 0; run < 2; run++) {
        const char *argv[] = {"hello.wasm", names[run]};
        int out = memfd_create("stdout", 0);
        wasi_config cfg;
        wasi_config_init(&cfg);
        cfg.argv = argv;
        cfg.argc = 2;
        cfg.stdin_fd = -1;
        cfg.stdout_fd = out;
        cfg.stderr_fd = -1;
        util_error *err = NULL;
        wasi_ctx *ctx = wasi_ctx_new(&cfg, &err);
        wasm_store_config sc = {.user_data = ctx};
        wasm_store *s = wasm_store_new(&sc);
        wasm_instance *inst = wasm_instantiate_resolved(s, m, r, &res);
        CHECK(inst != NULL);
        if (inst != NULL) {
            wasm_func_call(s, wasm_instance_func(inst, "_start"), NULL, 0, NULL, 0, &res);
            CHECK(res.kind == WASM_OK || (res.kind == WASM_EXIT && res.exit_code == 0));
        }
        char want[128];
        snprintf(want, sizeof want, "hello from wasm\narg[0]=hello.wasm\narg[1]=%s\n",
                 names[run]);
        CHECK_STR(slurp(out), want);
        wasm_store_free(s);
        wasi_ctx_free(ctx);
        close(out);
    }
    wasm_resolution_free(r);
}

static void test_deadline_stops_a_sleeping_guest(void)
{
    wasm_module *m = hello_module();
    if (m == NULL) {
        CHECK(m != NULL);
        return;
    }
    const char *argv[] = {"hello", "--sleep", "600000"};
    wasi_config cfg;
    wasi_config_init(&cfg);
    cfg.argv = argv;
    cfg.argc = 3;
    cfg.stdout_fd = -1;
    cfg.deadline_ns = util_monotonic_ns() + 100 * 1000000ull;
    wasm_result res;
    int code = 0;
    util_error *err = NULL;
    CHECK_INT(wasi_run_command(m, &cfg, NULL, NULL, &res, &code, &err), -1);
    CHECK_INT(res.kind, WASM_INTERRUPTED);
    CHECK(err == NULL);
}

int main(void)
{
    RUN(test_errno_names);
    RUN(test_missing_preopen_is_named);
    RUN(test_ctx_copies_its_config);
    RUN(test_hello_sees_args_env_and_stdout);
    RUN(test_exit_code_and_kind);
    RUN(test_stdin_and_null_stdin);
    RUN(test_trap_is_reported);
    RUN(test_missing_entry_point_is_named);
    RUN(test_many_runs_share_one_module);
    RUN(test_define_covers_all_of_preview1);
    RUN(test_define_imports_defines_only_what_is_imported);
    RUN(test_deadline_stops_a_sleeping_guest);
    RUN(test_one_resolution_serves_every_run);
    if (hello_module())
        wasm_module_free(hello_module());
    return TEST_SUMMARY();
}
