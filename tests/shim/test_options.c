/*
 * test_options.c - the shim options an operator writes in containerd's
 * config reach the shim's settings, from config_path's file (containerd
 * 1.6) and from config_body (1.7+), and nothing in them can fail a task.
 *
 * Warnings are asserted through the log they end up in: the log fd is a
 * memfd, read back after each report.
 */
#include "shim_internal.h"
#include "test.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/shim-options-XXXXXX";
static int log_fd = -1;

static void pack(const char *type_url, const char *config_path, const char *body, uint8_t **out,
                 size_t *len)
{
    Runtimeoptions__V1__Options o = RUNTIMEOPTIONS__V1__OPTIONS__INIT;
    o.type_url = (char *)type_url;
    o.config_path = (char *)config_path;
    o.config_body.data = (uint8_t *)body;
    o.config_body.len = strlen(body);
    pb_any any;
    shim_pb_any_pack(&any, "runtimeoptions.v1.Options", &o.base);
    *len = shim_pb_pack(&any.base, out);
    shim_pb_any_clear(&any);
}

static void parse(const char *config_path, const char *body, shim_runtime_options *o)
{
    uint8_t *buf;
    size_t len;
    pack("io.containerd.spin.v2", config_path, body, &buf, &len);
    shim_options_parse(buf, len, o);
    free(buf);
}

static char *write_config(const char *name, const char *text)
{
    char *path = util_xasprintf("%s/%s", tmpdir, name);
    util_error *err = NULL;
    CHECK_INT(util_write_file_atomic(path, text, strlen(text), 0644, &err), 0);
    util_error_free(&err);
    return path;
}

/* What was logged since the last call. */
static char *take_log(void)
{
    off_t end = lseek(log_fd, 0, SEEK_CUR);
    char *text = util_xcalloc(1, (size_t)end + 1);
    CHECK_INT(pread(log_fd, text, (size_t)end, 0), end);
    CHECK_INT(ftruncate(log_fd, 0), 0);
    lseek(log_fd, 0, SEEK_SET);
    return text;
}

static int count(const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *p = haystack; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static void test_defaults_without_options(void)
{
    shim_runtime_options o;
    shim_options_parse(NULL, 0, &o);
    CHECK(!o.present);
    CHECK(!o.systemd_cgroup);
    CHECK(!o.disable_precompilation);
    CHECK_INT(o.grpc_max_write_chunk_size, 15728640);
    CHECK(!o.log_level_set);
    CHECK_INT(o.nwarnings, 0);
    shim_options_free(&o);
}

static void test_config_path_file_sets_every_key(void)
{
    cleanup_free char *path = write_config("all.toml", "# containerd 1.6 ConfigPath file\n"
                                                       "SystemdCgroup = true\n"
                                                       "DISABLE_PRECOMPILATION = true\n"
                                                       "GRPC_MAX_WRITE_CHUNK_SIZE_BYTES = 4096\n"
                                                       "LogLevel = \"debug\"\n");
    shim_runtime_options o;
    parse(path, "", &o);
    CHECK(o.present);
    CHECK_STR(o.config_path, path);
    CHECK(o.systemd_cgroup);
    CHECK(o.disable_precompilation);
    CHECK_INT(o.grpc_max_write_chunk_size, 4096);
    CHECK(o.log_level_set);
    CHECK_INT(o.log_level, UTIL_LOG_DEBUG);
    CHECK_INT(o.nwarnings, 0);
    shim_options_free(&o);
}

static void test_config_body_alone(void)
{
    shim_runtime_options o;
    parse("", "SystemdCgroup = true\nLogLevel = \"warn\"\n", &o);
    CHECK(o.systemd_cgroup);
    CHECK(!o.disable_precompilation);
    CHECK_INT(o.grpc_max_write_chunk_size, 15728640);
    CHECK_INT(o.log_level, UTIL_LOG_WARN);
    CHECK_INT(o.nwarnings, 0);
    shim_options_free(&o);
}

static void test_body_overrides_file_key_by_key(void)
{
    cleanup_free char *path = write_config("both.toml", "SystemdCgroup = true\n"
                                                        "LogLevel = \"info\"\n");
    shim_runtime_options o;
    parse(path, "LogLevel = \"debug\"\n", &o);
    CHECK(o.systemd_cgroup);                 /* from the file */
    CHECK_INT(o.log_level, UTIL_LOG_DEBUG); /* the body wins */
    shim_options_free(&o);
}

static void test_unknown_key_is_reported_once_per_process(void)
{
    cleanup_free char *path = write_config("unknown.toml", "SystemdCgroup = false\n"
                                                           "NotAKnownKey = 1\n");
    /* at the default level (error): configuration mistakes still show */
    for (int i = 0; i < 3; i++) { /* start, then two tasks with the same options */
        shim_runtime_options o;
        parse(path, "", &o);
        CHECK_INT(o.nwarnings, 1);
        shim_options_report(&o, "t");
        shim_options_free(&o);
    }
    cleanup_free char *log = take_log();
    CHECK_INT(count(log, "unknown key NotAKnownKey"), 1);
    CHECK(strstr(log, path) != NULL); /* names where it was written */
    CHECK(strstr(log, "line 2") != NULL);
    CHECK(strstr(log, "level=warn") != NULL);
}

static void test_wrong_types_keep_the_defaults(void)
{
    shim_runtime_options o;
    parse("", "SystemdCgroup = \"yes\"\n"
              "GRPC_MAX_WRITE_CHUNK_SIZE_BYTES = \"big\"\n"
              "DISABLE_PRECOMPILATION = 1\n"
              "LogLevel = \"loud\"\n",
          &o);
    CHECK(o.present);
    CHECK(!o.systemd_cgroup);
    CHECK(!o.disable_precompilation);
    CHECK_INT(o.grpc_max_write_chunk_size, 15728640);
    CHECK(!o.log_level_set);
    CHECK_INT(o.nwarnings, 4);
    if (o.nwarnings == 4) {
        CHECK(strstr(o.warnings[0], "SystemdCgroup") && strstr(o.warnings[0], "expected a boolean"));
        CHECK(strstr(o.warnings[1], "GRPC_MAX_WRITE_CHUNK_SIZE_BYTES") &&
              strstr(o.warnings[1], "expected an integer"));
        CHECK(strstr(o.warnings[2], "DISABLE_PRECOMPILATION"));
        CHECK(strstr(o.warnings[3], "unknown level \"loud\""));
    }
    shim_options_free(&o);

    parse("", "GRPC_MAX_WRITE_CHUNK_SIZE_BYTES = -5\n", &o);
    CHECK_INT(o.grpc_max_write_chunk_size, 15728640);
    CHECK(o.nwarnings == 1 && strstr(o.warnings[0], "must be positive"));
    shim_options_free(&o);
}

static void test_missing_file_is_a_warning_naming_it(void)
{
    shim_runtime_options o;
    parse("/nonexistent/spin-shim.toml", "", &o);
    CHECK(o.present);
    CHECK_INT(o.grpc_max_write_chunk_size, 15728640);
    CHECK(o.nwarnings == 1 && strstr(o.warnings[0], "cannot read ConfigPath "
                                                    "/nonexistent/spin-shim.toml"));
    shim_options_free(&o);
}

static void test_malformed_toml_names_the_source_and_line(void)
{
    cleanup_free char *path = write_config("bad.toml", "SystemdCgroup = true\nLogLevel = = \n");
    shim_runtime_options o;
    parse(path, "", &o);
    CHECK(!o.systemd_cgroup); /* a broken file applies nothing */
    CHECK(o.nwarnings == 1 && strstr(o.warnings[0], "is not valid TOML") &&
          strstr(o.warnings[0], path) && strstr(o.warnings[0], ":2"));
    shim_options_free(&o);
}

static void test_other_option_types_and_garbage_are_ignored(void)
{
    shim_runtime_options o;
    uint8_t garbage[] = {0xff, 0xff, 0xff, 0x01};
    shim_options_parse(garbage, sizeof garbage, &o);
    CHECK(!o.present);
    CHECK(o.nwarnings == 1 && strstr(o.warnings[0], "not a google.protobuf.Any"));
    shim_options_free(&o);

    Google__Protobuf__Empty e = GOOGLE__PROTOBUF__EMPTY__INIT;
    pb_any any;
    shim_pb_any_pack(&any, "containerd.runc.v1.Options", &e.base);
    uint8_t *buf;
    size_t len = shim_pb_pack(&any.base, &buf);
    shim_pb_any_clear(&any);
    shim_options_parse(buf, len, &o);
    free(buf);
    CHECK(!o.present);
    CHECK(o.nwarnings == 1 && strstr(o.warnings[0], "containerd.runc.v1.Options"));
    shim_options_free(&o);
}

int main(void)
{
    if (mkdtemp(tmpdir) == NULL)
        return 2;
    log_fd = memfd_create("log", MFD_CLOEXEC);
    util_log_set_fd(log_fd);
    RUN(test_defaults_without_options);
    RUN(test_config_path_file_sets_every_key);
    RUN(test_config_body_alone);
    RUN(test_body_overrides_file_key_by_key);
    RUN(test_unknown_key_is_reported_once_per_process);
    RUN(test_wrong_types_keep_the_defaults);
    RUN(test_missing_file_is_a_warning_naming_it);
    RUN(test_malformed_toml_names_the_source_and_line);
    RUN(test_other_option_types_and_garbage_are_ignored);
    cleanup_free char *cmd = util_xasprintf("rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return TEST_SUMMARY();
}
