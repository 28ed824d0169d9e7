/*
 * test_info.c - `containerd-shim-spin-v2 -info`, as containerd 2.x runs it
 * for PluginInfo: the runtime options Any on stdin, one marshalled
 * containerd.types.RuntimeInfo on stdout.  The output is decoded with the
 * message definitions, as containerd does, and the features document it
 * carries is parsed as the JSON containerd unmarshals.
 *
 * Runs the binary given as argv[1] (the real containerd-shim-spin-v2).
 */
#include "proto.h"
#include "test.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *shim_bin;

typedef struct run_result {
    int status; /* exit code, -1 if it did not exit normally */
    util_buf out, err;
} run_result;

/* Runs `shim_bin args...` with `in` on stdin; collects stdout and stderr. */
static run_result run_info(const char *const *args, const void *in, size_t in_len)
{
    run_result r = {-1, {0}, {0}};
    char tmpl[] = "/tmp/shim-info-XXXXXX";
    int infd = mkstemp(tmpl);
    CHECK(infd >= 0);
    unlink(tmpl);
    CHECK((size_t)util_write_all(infd, in, in_len) == in_len);
    lseek(infd, 0, SEEK_SET);
    int o[2], e[2];
    CHECK(pipe(o) == 0 && pipe(e) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(infd, 0);
        dup2(o[1], 1);
        dup2(e[1], 2);
        const char *argv[8];
        int n = 0;
        argv[n++] = shim_bin;
        for (; args[n - 1] && n < 7; n++)
            argv[n] = args[n - 1];
        argv[n] = NULL;
        execv(shim_bin, (char *const *)argv);
        _exit(127);
    }
    close(infd);
    close(o[1]);
    close(e[1]);
    char chunk[4096];
    ssize_t n;
    while ((n = read(o[0], chunk, sizeof chunk)) > 0)
        util_buf_append(&r.out, chunk, (size_t)n);
    while ((n = read(e[0], chunk, sizeof chunk)) > 0)
        util_buf_append(&r.err, chunk, (size_t)n);
    close(o[0]);
    close(e[0]);
    int ws;
    if (waitpid(pid, &ws, 0) == pid && WIFEXITED(ws))
        r.status = WEXITSTATUS(ws);
    util_buf_append(&r.err, "", 1); /* NUL-terminate for strstr */
    return r;
}

static void run_free(run_result *r)
{
    util_buf_free(&r->out);
    util_buf_free(&r->err);
}

static Containerd__Task__V2__RuntimeInfo *decode(const run_result *r)
{
    return containerd__task__v2__runtime_info__unpack(NULL, r->out.len,
                                                      (const uint8_t *)r->out.data);
}

static json_object *json_get(json_object *o, const char *path)
{
    /* "linux.mountExtensions.idmap.enabled" style */
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && o;
         k = strtok_r(NULL, ".", &save)) {
        json_object *next = NULL;
        o = json_object_object_get_ex(o, k, &next) ? next : NULL;
    }
    return o;
}

static void test_info_without_options(void)
{
    const char *args[] = {"-info", NULL};
    run_result r = run_info(args, "", 0);
    CHECK_INT(r.status, 0);
    Containerd__Task__V2__RuntimeInfo *info = decode(&r);
    CHECK(info != NULL);
    if (info) {
        CHECK_STR(info->name, "io.containerd.spin.v2");
        CHECK(info->version != NULL);
        if (info->version) {
            CHECK_STR(info->version->version, util_version);
            CHECK_STR(info->version->revision, util_revision);
        }
        CHECK(info->options == NULL); /* nothing to echo */
        CHECK(info->features != NULL);
        if (info->features) {
            CHECK_STR(info->features->type_url,
                      "types.containerd.io/opencontainers/runtime-spec/1/features/Features");
            cleanup_free char *json = util_xstrndup((const char *)info->features->value.data,
                                                    info->features->value.len);
            json_object *f = json_tokener_parse(json);
            CHECK(f != NULL);
            CHECK_STR(json_object_get_string(json_get(f, "ociVersionMin")), "1.0.0");
            CHECK(json_get(f, "ociVersionMax") != NULL);
            /* claims only what the container layer does: containerd then
             * refuses idmap-mount specs instead of us ignoring them */
            CHECK(json_get(f, "linux.mountExtensions.idmap.enabled") != NULL);
            CHECK(!json_object_get_boolean(json_get(f, "linux.mountExtensions.idmap.enabled")));
            CHECK_INT((int)json_object_array_length(json_get(f, "hooks")), 0);
            CHECK(json_object_get_boolean(json_get(f, "linux.seccomp.enabled")));
            json_object_put(f);
        }
        CHECK_INT((int)info->n_annotations, 0);
        containerd__task__v2__runtime_info__free_unpacked(info, NULL);
    }
    run_free(&r);
}

static void test_info_echoes_options(void)
{
    /* what CRI passes for a runtime with an options table */
    Runtimeoptions__V1__Options o = RUNTIMEOPTIONS__V1__OPTIONS__INIT;
    o.config_path = (char *)"/etc/spin/shim.toml";
    pb_any any;
    shim_pb_any_pack(&any, "runtimeoptions.v1.Options", &o.base);
    cleanup_free uint8_t *in = NULL;
    size_t len = shim_pb_pack(&any.base, &in);
    const char *args[] = {"-info", NULL};
    run_result r = run_info(args, in, len);
    CHECK_INT(r.status, 0);
    Containerd__Task__V2__RuntimeInfo *info = decode(&r);
    CHECK(info && info->options);
    if (info && info->options) {
        CHECK_STR(info->options->type_url, "runtimeoptions.v1.Options");
        Runtimeoptions__V1__Options *back = runtimeoptions__v1__options__unpack(
            NULL, info->options->value.len, info->options->value.data);
        CHECK(back != NULL);
        if (back) {
            CHECK_STR(back->config_path, "/etc/spin/shim.toml");
            runtimeoptions__v1__options__free_unpacked(back, NULL);
        }
    }
    if (info)
        containerd__task__v2__runtime_info__free_unpacked(info, NULL);
    shim_pb_any_clear(&any);
    run_free(&r);

    /* Go's flag syntax: -info=true, two dashes */
    const char *args2[] = {"--info=true", NULL};
    r = run_info(args2, "", 0);
    CHECK_INT(r.status, 0);
    info = decode(&r);
    CHECK(info && info->name && strcmp(info->name, "io.containerd.spin.v2") == 0);
    if (info)
        containerd__task__v2__runtime_info__free_unpacked(info, NULL);
    run_free(&r);
}

static void test_info_rejects_garbage_options(void)
{
    const char *args[] = {"-info", NULL};
    run_result r = run_info(args, "\x0f\xff\xff\xff", 4);
    CHECK_INT(r.status, 1);
    CHECK_INT((int)r.out.len, 0);
    CHECK(strstr(r.err.data, "stdin is not a protobuf google.protobuf.Any") != NULL);
    run_free(&r);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s SHIM_BINARY\n", argv[0]);
        return 2;
    }
    shim_bin = argv[1];
    RUN(test_info_without_options);
    RUN(test_info_echoes_options);
    RUN(test_info_rejects_garbage_options);
    return TEST_SUMMARY();
}
