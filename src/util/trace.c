/*
 * trace.c - start-up trace points: where the time between a process's
 * start and its first answer goes (issue #18).
 *
 * A trace point is one line in the log, "trace phase=NAME mono_us=T
 * real_us=R pid=P", written when SPIN_TRACE_STARTUP is set to a non-empty
 * value other than "0" or when the log level is debug.  The monotonic time
 * is the same clock in every process of the machine, so marks of the shim,
 * its children and the Spin host line up; the real time lines them up with
 * containerd's debug log.  Marks sit on the start-up path only (a handful per
 * process), so a disabled mark costs one getenv and one comparison, and
 * writes nothing.
 */
#include "util.h"

#include <string.h>
#include <unistd.h>

bool util_trace_enabled(void)
{
    const char *v = getenv("SPIN_TRACE_STARTUP");
    if (v && *v && strcmp(v, "0") != 0)
        return true;
    return util_log_get_level() >= UTIL_LOG_DEBUG;
}

void util_trace_mark(const char *phase)
{
    if (!util_trace_enabled())
        return;
    util_log_unfiltered(UTIL_LOG_INFO, "trace phase=%s mono_us=%llu real_us=%llu pid=%ld", phase,
                        (unsigned long long)(util_monotonic_ns() / 1000),
                        (unsigned long long)(util_realtime_ns() / 1000), (long)getpid());
}
