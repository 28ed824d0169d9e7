/*
 * test_trace.c - util_trace_mark: a mark writes one "trace phase=..." line
 * with monotonic and real timestamps when SPIN_TRACE_STARTUP is set or the
 * log level is debug, and nothing at all otherwise (also with the variable
 * set to "0" or empty); util_trace_mark_once marks only the first pass.
 * The log goes to a pipe the test reads back.
 */
#include "test.h"
#include "util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int log_pipe[2];

/* Everything written to the log since the last call (the pipe is non-blocking). */
static void drain(char *out, size_t cap)
{
    ssize_t n = read(log_pipe[0], out, cap - 1);
    out[n > 0 ? n : 0] = '\0';
}

static void test_nothing_when_disabled(void)
{
    char got[4096];
    unsetenv("SPIN_TRACE_STARTUP");
    util_log_set_level(UTIL_LOG_INFO);
    CHECK(!util_trace_enabled());
    util_trace_mark("off-unset");
    setenv("SPIN_TRACE_STARTUP", "0", 1);
    util_trace_mark("off-zero");
    setenv("SPIN_TRACE_STARTUP", "", 1);
    util_trace_mark("off-empty");
    CHECK(!util_trace_enabled());
    drain(got, sizeof got);
    CHECK_STR(got, "");
    unsetenv("SPIN_TRACE_STARTUP");
}

static unsigned long long field(const char *line, const char *name)
{
    const char *p = strstr(line, name);
    return p ? strtoull(p + strlen(name), NULL, 10) : 0;
}

static void test_marks_when_env_set(void)
{
    char got[4096];
    util_log_set_level(UTIL_LOG_ERROR);
    setenv("SPIN_TRACE_STARTUP", "1", 1);
    CHECK(util_trace_enabled());
    uint64_t before = util_monotonic_ns() / 1000;
    util_trace_mark("manifest-loaded");
    util_trace_mark("server-started");
    uint64_t after = util_monotonic_ns() / 1000;
    drain(got, sizeof got);
    const char *first = strstr(got, "trace phase=manifest-loaded mono_us=");
    const char *second = strstr(got, "trace phase=server-started mono_us=");
    CHECK(first != NULL);
    CHECK(second != NULL && second > first);
    if (first && second) {
        unsigned long long t1 = field(first, "mono_us="), t2 = field(second, "mono_us=");
        CHECK(t1 >= before && t1 <= t2 && t2 <= after);
        CHECK(field(first, "real_us=") > 1600000000ull * 1000000ull); /* after 2020 */
        CHECK(field(first, "pid=") == (unsigned long long)getpid());
    }
    unsetenv("SPIN_TRACE_STARTUP");
}

static void test_marks_at_debug_level(void)
{
    char got[4096];
    unsetenv("SPIN_TRACE_STARTUP");
    util_log_set_level(UTIL_LOG_DEBUG);
    CHECK(util_trace_enabled());
    util_trace_mark("first-instance");
    drain(got, sizeof got);
    CHECK(strstr(got, "trace phase=first-instance mono_us=") != NULL);
    util_log_set_level(UTIL_LOG_ERROR);
}

static void test_mark_once_marks_the_first_pass_only(void)
{
    char got[4096];
    setenv("SPIN_TRACE_STARTUP", "1", 1);
    for (int i = 0; i < 3; i++)
        util_trace_mark_once("first-request");
    drain(got, sizeof got);
    const char *first = strstr(got, "phase=first-request ");
    CHECK(first != NULL);
    CHECK(first && strstr(first + 1, "phase=first-request ") == NULL);
    unsetenv("SPIN_TRACE_STARTUP");
}

int main(void)
{
    if (pipe2(log_pipe, O_NONBLOCK) < 0)
        return 1;
    util_log_set_fd(log_pipe[1]);
    RUN(test_nothing_when_disabled);
    RUN(test_marks_when_env_set);
    RUN(test_marks_at_debug_level);
    RUN(test_mark_once_marks_the_first_pass_only);
    return TEST_SUMMARY();
}
