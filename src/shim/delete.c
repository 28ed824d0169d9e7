/*
 * delete.c - the `delete` action: containerd's clean-up when it cannot (or
 * no longer) talk to the shim, e.g. after the shim exited or died.
 *
 * containerd 1.6 runs it after every shim shutdown, so it must be quick
 * and idempotent.  It kills what is left of the container (the init from
 * init.pid if that process is provably the one we started, then the whole
 * cgroup through the container layer), unmounts the rootfs, and prints a
 * DeleteResponse reporting SIGKILL (137) like the runc shim.
 */
#include "container.h"
#include "proto.h"
#include "shim_internal.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Start time of pid in seconds since the epoch, or 0. */
static uint64_t process_start_epoch(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    cleanup_free char *stat = NULL;
    size_t len;
    if (util_read_file(path, &stat, &len, NULL) < 0)
        return 0;
    char *p = strrchr(stat, ')');
    if (p == NULL)
        return 0;
    /* field 22 (starttime) is the 20th after the ")" */
    unsigned long long start = 0;
    for (int field = 3; field <= 22 && p; field++) {
        p = strchr(p + 1, ' ');
        if (p && field == 22)
            start = strtoull(p + 1, NULL, 10);
    }
    cleanup_free char *st = NULL;
    if (util_read_file("/proc/stat", &st, &len, NULL) < 0)
        return 0;
    char *b = strstr(st, "\nbtime ");
    if (b == NULL)
        return 0;
    uint64_t btime = strtoull(b + 7, NULL, 10);
    long hz = sysconf(_SC_CLK_TCK);
    return btime + start / (uint64_t)(hz > 0 ? hz : 100);
}

static pid_t kill_init(const char *bundle)
{
    cleanup_free char *path = util_xasprintf("%s/init.pid", bundle);
    cleanup_free char *data = NULL;
    size_t len;
    struct stat sb;
    if (util_read_file(path, &data, &len, NULL) < 0 || stat(path, &sb) < 0)
        return 0;
    pid_t pid = (pid_t)atoi(data);
    if (pid <= 1)
        return 0;
    /* init.pid is written right after the init was created; a process with
     * this pid that started later is a stranger who got a recycled pid. */
    uint64_t started = process_start_epoch(pid);
    if (started != 0 && started <= (uint64_t)sb.st_mtime + 1)
        kill(pid, SIGKILL);
    return pid;
}

int shim_action_delete(const shim_flags *f, util_error **err)
{
    cleanup_free char *cwd = NULL;
    const char *bundle = f->bundle;
    if (bundle == NULL) {
        cwd = getcwd(NULL, 0);
        bundle = cwd ? cwd : ".";
    }
    pid_t pid = kill_init(bundle);
    util_error *cerr = NULL;
    if (container_cleanup_bundle(f->id, bundle, &cerr) < 0) {
        /* containerd removes the bundle next; say what we could not undo */
        util_log_warn("delete %s: %s", f->id, cerr->msg);
        util_error_free(&cerr);
    }
    Containerd__Task__V2__DeleteResponse r = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
    pb_timestamp ts;
    shim_pb_timestamp_set(&ts, util_realtime_ns());
    r.pid = (uint32_t)(pid > 0 ? pid : 0);
    r.exit_status = 128 + SIGKILL;
    r.exited_at = &ts;
    cleanup_free uint8_t *buf = NULL;
    size_t n = shim_pb_pack(&r.base, &buf);
    if (util_write_all(STDOUT_FILENO, buf, n) != (ssize_t)n)
        return util_error_set(err, errno, "delete: write response");
    return 0;
}
