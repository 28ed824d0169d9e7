/* Unit tests of src/util: errors, buffers, atomic files, log levels. */
#include "test.h"
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_error_chain_names_every_level(void)
{
    util_error *err = NULL;
    CHECK_INT(util_error_set(&err, ENOENT, "open %s", "/x/spin.toml"), -1);
    CHECK_INT(util_error_wrap(&err, "load app"), -1);
    CHECK(err != NULL);
    CHECK_STR(err->msg, "load app: open /x/spin.toml: No such file or directory");
    CHECK_INT(err->status, ENOENT);
    util_error_free(&err);
    CHECK(err == NULL);
    /* A NULL error sink must be accepted: callers that don't care pass NULL. */
    CHECK_INT(util_error_set(NULL, 0, "ignored"), -1);
}

static void test_buffer_grows_and_stays_terminated(void)
{
    util_buf b = {0};
    for (int i = 0; i < 1000; i++)
        util_buf_printf(&b, "%d,", i);
    CHECK(b.len > 3000);
    CHECK_INT(b.data[b.len], 0);
    CHECK(strncmp(b.data, "0,1,2,", 6) == 0);
    size_t len = 0;
    char *s = util_buf_steal(&b, &len);
    CHECK(b.data == NULL && b.len == 0);
    CHECK_INT(strlen(s), len);
    free(s);
}

static void test_atomic_write_then_read(void)
{
    char dir[] = "/tmp/utiltestXXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *nested = util_xasprintf("%s/a/b/c", dir);
    util_error *err = NULL;
    CHECK_INT(util_mkdir_p(nested, 0755, &err), 0);
    char *path = util_xasprintf("%s/address", nested);
    CHECK_INT(util_write_file_atomic(path, "unix:///run/x", 13, 0644, &err), 0);
    char *data = NULL;
    size_t len = 0;
    CHECK_INT(util_read_file(path, &data, &len, &err), 0);
    CHECK_INT(len, 13);
    CHECK_STR(data, "unix:///run/x");
    free(data);
    CHECK_INT(util_read_file("/nonexistent/file", &data, &len, &err), -1);
    CHECK(err != NULL && strstr(err->msg, "/nonexistent/file") != NULL);
    util_error_free(&err);
    char *cmd = util_xasprintf("rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
    free(cmd);
    free(path);
    free(nested);
}

static void test_mkdir_p_rejects_an_empty_path(void)
{
    util_error *err = NULL;
    CHECK_INT(util_mkdir_p("", 0755, &err), -1);
    CHECK(err != NULL && strstr(err->msg, "empty path") != NULL);
    util_error_free(&err);
}

/* A growth request that cannot be met aborts instead of wrapping around to a
 * small size the caller would then overrun. */
static void test_buffer_refuses_a_size_that_wraps(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        util_buf b = {0};
        util_buf_append(&b, "abc", 3);
        util_buf_reserve(&b, SIZE_MAX - 2);
        _exit(b.cap > 3 ? 0 : 1);
    }
    int status = 0;
    CHECK_INT(waitpid(pid, &status, 0), pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

static void test_log_levels_parse(void)
{
    util_log_level l;
    CHECK_INT(util_log_parse_level("debug", &l), 0);
    CHECK_INT(l, UTIL_LOG_DEBUG);
    CHECK_INT(util_log_parse_level("WARNING", &l), 0);
    CHECK_INT(l, UTIL_LOG_WARN);
    CHECK_INT(util_log_parse_level("loud", &l), -1);
}

static void test_cleanup_attribute_frees(void)
{
    /* Under ASan a leak here fails the run. */
    cleanup_free char *s = util_xstrdup("owned");
    cleanup_free char *moved = steal_pointer(&s);
    CHECK(s == NULL);
    CHECK_STR(moved, "owned");
}

/* The VmFlags line of the mapping holding `addr` (from /proc/self/smaps). */
static char *vm_flags_at(const void *addr)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (f == NULL)
        return NULL;
    char line[512];
    bool inside = false;
    char *flags = NULL;
    while (flags == NULL && fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) /* a mapping's header */
            inside = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
        else if (inside && strncmp(line, "VmFlags:", 8) == 0)
            flags = util_xstrdup(line);
    }
    fclose(f);
    return flags;
}

/* A big buffer about to be filled asks for huge pages (VmFlags "hg",
 * MADV_HUGEPAGE) and is backed at once; a small one is left alone. */
static void test_prefault_asks_big_buffers_for_huge_pages(void)
{
    size_t big = (size_t)12 << 20, small = (size_t)1 << 20;
    char *b = util_xmalloc(big), *s = util_xmalloc(small);
    util_prefault(b, big);
    util_prefault(s, small);
    cleanup_free char *bf = vm_flags_at(b + big / 2), *sf = vm_flags_at(s + small / 2);
    CHECK(bf != NULL && sf != NULL);
    if (bf && sf) {
        CHECK(strstr(bf, " hg") != NULL);
        CHECK(strstr(sf, " hg") == NULL);
    }
    memset(b, 1, big);
    memset(s, 1, small);
    free(b);
    free(s);
}

int main(void)
{
    RUN(test_error_chain_names_every_level);
    RUN(test_prefault_asks_big_buffers_for_huge_pages);
    RUN(test_buffer_grows_and_stays_terminated);
    RUN(test_atomic_write_then_read);
    RUN(test_mkdir_p_rejects_an_empty_path);
    RUN(test_buffer_refuses_a_size_that_wraps);
    RUN(test_log_levels_parse);
    RUN(test_cleanup_attribute_frees);
    return TEST_SUMMARY();
}
