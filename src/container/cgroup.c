/*
 * cgroup.c - the container's cgroup on v1, v2 and hybrid hosts.
 *
 * The hierarchies are found in /proc/self/mountinfo, not assumed: each v1
 * mount contributes one directory (named by its controllers), and a cgroup2
 * mount one more.  If any v1 hierarchy exists the host is treated as v1 for
 * limits and metrics (the hybrid layout, where the unified hierarchy carries
 * no controllers and only tracks processes); otherwise it is pure v2 and
 * the controllers are enabled in every ancestor's cgroup.subtree_control.
 *
 * Directories are created level by level (new cpuset levels inherit their
 * parent's cpus/mems, or no task could join them).  Destroy removes only
 * the container's own leaf directory, like runc: parents such as a pod
 * directory may be shared with other containers or owned by the kubelet.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct hierarchy {
    char mountpoint[512];
    char controllers[128]; /* "" for cgroup2 */
} hierarchy;

static const char *const v1_known[] = {"cpu",    "cpuacct", "cpuset", "memory",    "devices",
                                       "freezer", "blkio",  "pids",   "net_cls",   "net_prio",
                                       "perf_event", "hugetlb", "rdma", "misc"};

static int discover(hierarchy *out, size_t max, size_t *n, util_error **err)
{
    cleanup_file FILE *f = fopen("/proc/self/mountinfo", "re");
    if (f == NULL)
        return util_error_set(err, errno, "open /proc/self/mountinfo");
    char *line = NULL;
    size_t cap = 0;
    *n = 0;
    while (getline(&line, &cap, f) > 0 && *n < max) {
        char mp[512], fstype[64], super[512];
        const char *sep = strstr(line, " - ");
        if (sep == NULL || sscanf(line, "%*s %*s %*s %*s %511s", mp) != 1 ||
            sscanf(sep + 3, "%63s %*s %511s", fstype, super) != 2)
            continue;
        if (strcmp(fstype, "cgroup2") == 0) {
            hierarchy *h = &out[(*n)++];
            snprintf(h->mountpoint, sizeof(h->mountpoint), "%s", mp);
            h->controllers[0] = '\0';
        } else if (strcmp(fstype, "cgroup") == 0) {
            char ctl[128] = "";
            char *save = NULL;
            for (char *w = strtok_r(super, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                bool known = strncmp(w, "name=", 5) == 0;
                for (size_t k = 0; !known && k < UTIL_ARRAY_LEN(v1_known); k++)
                    known = strcmp(w, v1_known[k]) == 0;
                if (!known)
                    continue;
                if (ctl[0])
                    strncat(ctl, ",", sizeof(ctl) - strlen(ctl) - 1);
                strncat(ctl, w, sizeof(ctl) - strlen(ctl) - 1);
            }
            if (ctl[0] == '\0')
                continue;
            /* the same hierarchy may be mounted twice: keep the first */
            bool dup = false;
            for (size_t i = 0; i < *n; i++)
                dup = dup || strcmp(out[i].controllers, ctl) == 0;
            if (dup)
                continue;
            hierarchy *h = &out[(*n)++];
            snprintf(h->mountpoint, sizeof(h->mountpoint), "%s", mp);
            snprintf(h->controllers, sizeof(h->controllers), "%s", ctl);
        }
    }
    free(line);
    if (*n == 0)
        return util_error_set(err, 0, "no cgroup hierarchy is mounted");
    return 0;
}

static bool has_controller(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == n && strncmp(p, name, n) == 0)
            return true;
        p += l + (e ? 1 : 0);
    }
    return false;
}

const char *container_cgroup_dir_for(const cgroup *cg, const char *controller)
{
    for (size_t i = 0; i < cg->n_dirs; i++) {
        if (controller[0] == '\0' ? cg->dirs[i].controller[0] == '\0'
                                  : has_controller(cg->dirs[i].controller, controller))
            return cg->dirs[i].path;
    }
    if (cg->v2 && cg->n_dirs > 0)
        return cg->dirs[0].path;
    return NULL;
}

static int write_file(const char *dir, const char *file, const char *value, util_error **err)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return util_error_set(err, errno, "cgroup: open %s", path);
    ssize_t w = write(fd, value, strlen(value));
    int e = errno;
    close(fd);
    if (w < 0)
        return util_error_set(err, e, "cgroup: write \"%s\" to %s", value, path);
    return 0;
}

static int read_small(const char *dir, const char *file, char *buf, size_t len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t r = read(fd, buf, len - 1);
    close(fd);
    if (r < 0)
        return -1;
    buf[r] = '\0';
    return 0;
}

/* For files whose write is slow even when nothing changes (cpu.shares
 * takes a millisecond or more: the scheduler rebalances the group), skip
 * the write when the value is already there, as it usually is for a new
 * cgroup and the default weight. */
static int write_if_changed(const char *dir, const char *file, const char *value,
                            util_error **err)
{
    char now[64];
    if (read_small(dir, file, now, sizeof(now)) == 0) {
        now[strcspn(now, "\n")] = '\0';
        if (strcmp(now, value) == 0)
            return 0;
    }
    return write_file(dir, file, value, err);
}

static bool file_exists(const char *dir, const char *file)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    return access(path, F_OK) == 0;
}

static int setup_dirs(cgroup *cg, const char *rel_path, bool create, util_error **err)
{
    hierarchy hs[32];
    size_t n;
    memset(cg, 0, sizeof(*cg));
    if (discover(hs, UTIL_ARRAY_LEN(hs), &n, err) < 0)
        return -1;
    cg->v2 = true;
    for (size_t i = 0; i < n; i++)
        if (hs[i].controllers[0])
            cg->v2 = false;
    cg->rel_path = util_xstrdup(rel_path);
    cg->dirs = util_xcalloc(n, sizeof(cgroup_dir));
    for (size_t i = 0; i < n; i++) {
        char *dir = util_xasprintf("%s%s", hs[i].mountpoint, rel_path);
        if (!create && access(dir, F_OK) != 0) {
            free(dir);
            continue;
        }
        cg->dirs[cg->n_dirs].controller = util_xstrdup(hs[i].controllers);
        cg->dirs[cg->n_dirs].path = dir;
        cg->n_dirs++;
    }
    return 0;
}

/* Creates the levels of `rel` below `mountpoint`; for cpuset copies the
 * parent's cpus/mems into new levels (an empty cpuset admits no task). */
static int make_levels(const char *mountpoint, const char *rel, bool cpuset, bool v2,
                       util_error **err)
{
    util_buf cur = {0};
    util_buf_append_str(&cur, mountpoint);
    const char *p = rel;
    int rc = 0;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *e = strchr(p, '/');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (v2)
            write_file(cur.data, "cgroup.subtree_control", "+cpu +memory +pids +io +cpuset",
                       NULL);
        cleanup_free char *parent = util_xstrdup(cur.data);
        util_buf_append_str(&cur, "/");
        util_buf_append(&cur, p, l);
        if (mkdir(cur.data, 0755) == 0) {
            if (cpuset) {
                char buf[256];
                if (read_small(parent, "cpuset.cpus", buf, sizeof(buf)) == 0)
                    write_file(cur.data, "cpuset.cpus", buf, NULL);
                if (read_small(parent, "cpuset.mems", buf, sizeof(buf)) == 0)
                    write_file(cur.data, "cpuset.mems", buf, NULL);
            }
        } else if (errno != EEXIST) {
            rc = util_error_set(err, errno, "cgroup: mkdir %s", cur.data);
            break;
        }
        p += l;
    }
    util_buf_free(&cur);
    return rc;
}

int container_cgroup_create(cgroup *cg, const char *rel_path, const spec_resources *res,
                            util_error **err)
{
    if (setup_dirs(cg, rel_path, true, err) < 0)
        return -1;
    for (size_t i = 0; i < cg->n_dirs; i++) {
        const char *dir = cg->dirs[i].path;
        size_t mlen = strlen(dir) - strlen(rel_path);
        cleanup_free char *mp = util_xstrndup(dir, mlen);
        bool is_v2 = cg->dirs[i].controller[0] == '\0';
        if (make_levels(mp, rel_path, has_controller(cg->dirs[i].controller, "cpuset"),
                        is_v2 && cg->v2, err) < 0) {
            container_cgroup_destroy(cg, NULL);
            return -1;
        }
    }
    if (res && container_cgroup_apply(cg, res, err) < 0) {
        container_cgroup_destroy(cg, NULL);
        return -1;
    }
    return 0;
}

int container_cgroup_open(cgroup *cg, const char *rel_path, util_error **err)
{
    return setup_dirs(cg, rel_path, false, err);
}

static int apply_v1(cgroup *cg, const spec_resources *r, util_error **err)
{
    char v[64];
    const char *mem = container_cgroup_dir_for(cg, "memory");
    if (mem && r->has_memory_limit) {
        snprintf(v, sizeof(v), "%lld", (long long)r->memory_limit);
        /* the limit must stay <= memsw: raise memsw first when growing */
        if (write_file(mem, "memory.limit_in_bytes", v, NULL) < 0) {
            if (r->has_memory_swap && file_exists(mem, "memory.memsw.limit_in_bytes")) {
                char s[64];
                snprintf(s, sizeof(s), "%lld", (long long)r->memory_swap);
                if (write_file(mem, "memory.memsw.limit_in_bytes", s, err) < 0)
                    return -1;
            }
            if (write_file(mem, "memory.limit_in_bytes", v, err) < 0)
                return -1;
        }
    }
    if (mem && r->has_memory_swap && file_exists(mem, "memory.memsw.limit_in_bytes")) {
        snprintf(v, sizeof(v), "%lld", (long long)r->memory_swap);
        if (write_file(mem, "memory.memsw.limit_in_bytes", v, err) < 0)
            return -1;
    }
    if (mem && r->has_memory_reservation) {
        snprintf(v, sizeof(v), "%lld", (long long)r->memory_reservation);
        if (write_file(mem, "memory.soft_limit_in_bytes", v, err) < 0)
            return -1;
    }
    const char *cpu = container_cgroup_dir_for(cg, "cpu");
    if (cpu && r->has_cpu_shares) {
        snprintf(v, sizeof(v), "%llu", (unsigned long long)r->cpu_shares);
        if (write_if_changed(cpu, "cpu.shares", v, err) < 0)
            return -1;
    }
    if (cpu && r->has_cpu_period) {
        snprintf(v, sizeof(v), "%llu", (unsigned long long)r->cpu_period);
        if (write_file(cpu, "cpu.cfs_period_us", v, err) < 0)
            return -1;
    }
    if (cpu && r->has_cpu_quota) {
        snprintf(v, sizeof(v), "%lld", (long long)(r->cpu_quota > 0 ? r->cpu_quota : -1));
        if (write_file(cpu, "cpu.cfs_quota_us", v, err) < 0)
            return -1;
    }
    const char *cpuset = container_cgroup_dir_for(cg, "cpuset");
    if (cpuset && r->cpuset_cpus && *r->cpuset_cpus &&
        write_file(cpuset, "cpuset.cpus", r->cpuset_cpus, err) < 0)
        return -1;
    if (cpuset && r->cpuset_mems && *r->cpuset_mems &&
        write_file(cpuset, "cpuset.mems", r->cpuset_mems, err) < 0)
        return -1;
    const char *devices = container_cgroup_dir_for(cg, "devices");
    if (devices && r->n_device_rules > 0) {
        for (size_t i = 0; i < r->n_device_rules; i++) {
            const char *rule = r->device_rules[i];
            if (write_file(devices, rule[0] == '+' ? "devices.allow" : "devices.deny", rule + 1,
                           err) < 0)
                return -1;
        }
        /* what every container gets, as with runc: the nodes rootfs.c
         * binds (null, zero, full, random, urandom, tty), ptmx and pts */
        static const char *const always[] = {"c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm",
                                             "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm",
                                             "c 5:2 rwm", "c 136:* rwm"};
        for (size_t i = 0; i < UTIL_ARRAY_LEN(always); i++)
            if (write_file(devices, "devices.allow", always[i], err) < 0)
                return -1;
    }
    const char *pids = container_cgroup_dir_for(cg, "pids");
    if (pids && r->has_pids_limit) {
        if (r->pids_limit > 0)
            snprintf(v, sizeof(v), "%lld", (long long)r->pids_limit);
        else
            snprintf(v, sizeof(v), "max");
        if (write_file(pids, "pids.max", v, err) < 0)
            return -1;
    }
    return 0;
}

static int apply_v2(cgroup *cg, const spec_resources *r, util_error **err)
{
    const char *dir = container_cgroup_dir_for(cg, "");
    char v[64];
    if (dir == NULL)
        return 0;
    if (r->has_memory_limit) {
        if (r->memory_limit > 0)
            snprintf(v, sizeof(v), "%lld", (long long)r->memory_limit);
        else
            snprintf(v, sizeof(v), "max");
        if (write_file(dir, "memory.max", v, err) < 0)
            return -1;
    }
    if (r->has_memory_swap && file_exists(dir, "memory.swap.max")) {
        /* the spec's swap is memory+swap; v2 counts swap alone */
        if (r->memory_swap < 0)
            snprintf(v, sizeof(v), "max");
        else
            snprintf(v, sizeof(v), "%lld",
                     (long long)(r->memory_swap - (r->has_memory_limit ? r->memory_limit : 0)));
        if (write_file(dir, "memory.swap.max", v, err) < 0)
            return -1;
    }
    if (r->has_memory_reservation) {
        snprintf(v, sizeof(v), "%lld", (long long)r->memory_reservation);
        if (write_file(dir, "memory.low", v, err) < 0)
            return -1;
    }
    if (r->has_cpu_shares) {
        /* the conversion runc and crun use: [2, 262144] -> [1, 10000] */
        uint64_t s = r->cpu_shares < 2 ? 2 : r->cpu_shares > 262144 ? 262144 : r->cpu_shares;
        snprintf(v, sizeof(v), "%llu", (unsigned long long)(1 + ((s - 2) * 9999) / 262142));
        if (write_if_changed(dir, "cpu.weight", v, err) < 0)
            return -1;
    }
    if (r->has_cpu_quota || r->has_cpu_period) {
        uint64_t period = r->has_cpu_period ? r->cpu_period : 100000;
        if (r->has_cpu_quota && r->cpu_quota > 0)
            snprintf(v, sizeof(v), "%lld %llu", (long long)r->cpu_quota,
                     (unsigned long long)period);
        else
            snprintf(v, sizeof(v), "max %llu", (unsigned long long)period);
        if (write_file(dir, "cpu.max", v, err) < 0)
            return -1;
    }
    if (r->cpuset_cpus && *r->cpuset_cpus && write_file(dir, "cpuset.cpus", r->cpuset_cpus, err) < 0)
        return -1;
    if (r->cpuset_mems && *r->cpuset_mems && write_file(dir, "cpuset.mems", r->cpuset_mems, err) < 0)
        return -1;
    if (r->has_pids_limit) {
        if (r->pids_limit > 0)
            snprintf(v, sizeof(v), "%lld", (long long)r->pids_limit);
        else
            snprintf(v, sizeof(v), "max");
        if (write_file(dir, "pids.max", v, err) < 0)
            return -1;
    }
    return 0;
}

int container_cgroup_apply(cgroup *cg, const spec_resources *res, util_error **err)
{
    return cg->v2 ? apply_v2(cg, res, err) : apply_v1(cg, res, err);
}

int container_cgroup_enter(cgroup *cg, pid_t pid, util_error **err)
{
    char v[32];
    snprintf(v, sizeof(v), "%d", (int)pid);
    for (size_t i = 0; i < cg->n_dirs; i++)
        if (write_file(cg->dirs[i].path, "cgroup.procs", v, err) < 0)
            return -1;
    return 0;
}

/* The hierarchy that lists the container's processes most reliably. */
static const char *procs_dir(const cgroup *cg)
{
    const char *d = container_cgroup_dir_for(cg, "pids");
    if (!d)
        d = container_cgroup_dir_for(cg, "memory");
    if (!d)
        d = container_cgroup_dir_for(cg, "freezer");
    if (!d && cg->n_dirs)
        d = cg->dirs[0].path;
    return d;
}

int container_cgroup_read_pids(cgroup *cg, pid_t **pids, size_t *n, util_error **err)
{
    *pids = NULL;
    *n = 0;
    const char *dir = procs_dir(cg);
    if (dir == NULL)
        return 0;
    char path[1024];
    snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
    cleanup_file FILE *f = fopen(path, "re");
    if (f == NULL) {
        if (errno == ENOENT)
            return 0;
        return util_error_set(err, errno, "cgroup: open %s", path);
    }
    size_t cap = 0;
    long v;
    while (fscanf(f, "%ld", &v) == 1) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *pids = util_xrealloc(*pids, cap * sizeof(pid_t));
        }
        (*pids)[(*n)++] = (pid_t)v;
    }
    return 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int container_cgroup_kill_all(cgroup *cg, int sig, util_error **err)
{
    pid_t *pids = NULL;
    size_t n = 0;
    /* An empty cgroup (the usual case: Delete after the task exited) has
     * nothing to kill and nobody to fork; a freeze/thaw round trip there
     * costs milliseconds for nothing. */
    if (container_cgroup_read_pids(cg, &pids, &n, err) < 0)
        return -1;
    free(pids);
    if (n == 0)
        return 0;
    /* Freezing first stops a fork bomb from outrunning the loop (frozen
     * tasks still receive SIGKILL; they die when thawed). */
    bool frozen = sig == SIGKILL && container_cgroup_freeze(cg, true, NULL) == 0;
    pids = NULL;
    n = 0;
    int rc = container_cgroup_read_pids(cg, &pids, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        kill(pids[i], sig);
    free(pids);
    if (frozen)
        container_cgroup_freeze(cg, false, NULL);
    if (rc < 0 || sig != SIGKILL)
        return rc;
    /* SIGKILL: wait (bounded, 10 s) until the cgroup is empty. */
    for (int i = 0; i < 1000; i++) {
        if (container_cgroup_read_pids(cg, &pids, &n, err) < 0)
            return -1;
        for (size_t k = 0; k < n; k++)
            kill(pids[k], SIGKILL);
        free(pids);
        if (n == 0)
            return 0;
        sleep_ms(10);
    }
    return util_error_set(err, 0, "cgroup %s: processes survive SIGKILL", cg->rel_path);
}

int container_cgroup_freeze(cgroup *cg, bool frozen, util_error **err)
{
    const char *fz = cg->v2 ? NULL : container_cgroup_dir_for(cg, "freezer");
    if (fz != NULL) {
        const char *want = frozen ? "FROZEN" : "THAWED";
        /* Delete thaws before killing, usually a cgroup never frozen: a
         * read is cheap, a write to freezer.state takes milliseconds. */
        char now[32];
        if (read_small(fz, "freezer.state", now, sizeof(now)) == 0 &&
            strncmp(now, want, strlen(want)) == 0)
            return 0;
        for (int i = 0; i < 5000; i++) {
            if (write_file(fz, "freezer.state", want, err) < 0)
                return -1;
            char buf[32];
            if (read_small(fz, "freezer.state", buf, sizeof(buf)) == 0 &&
                strncmp(buf, want, strlen(want)) == 0)
                return 0;
            sleep_ms(1);
        }
        /* never leave a cgroup half-frozen behind a failed pause */
        if (frozen)
            write_file(fz, "freezer.state", "THAWED", NULL);
        return util_error_set(err, 0, "cgroup %s: freezer did not reach %s", cg->rel_path, want);
    }
    const char *dir = container_cgroup_dir_for(cg, "");
    if (dir == NULL || !file_exists(dir, "cgroup.freeze"))
        return util_error_set(err, ENOTSUP, "cgroup %s: no freezer", cg->rel_path);
    if (write_file(dir, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
        return -1;
    /* cgroup.events reports "frozen 1" once every task stopped */
    for (int i = 0; i < 1000; i++) {
        char buf[256];
        if (read_small(dir, "cgroup.events", buf, sizeof(buf)) < 0)
            return 0;
        const char *f = strstr(buf, "frozen ");
        if (f == NULL || (f[7] == '1') == frozen)
            return 0;
        sleep_ms(1);
    }
    if (frozen)
        write_file(dir, "cgroup.freeze", "0", NULL);
    return util_error_set(err, 0, "cgroup %s: did not %s", cg->rel_path,
                          frozen ? "freeze" : "thaw");
}

int container_cgroup_destroy(cgroup *cg, util_error **err)
{
    int rc = 0;
    for (size_t i = 0; i < cg->n_dirs; i++) {
        const char *dir = cg->dirs[i].path;
        int r = -1;
        /* a just-killed task may keep the directory busy for a moment */
        for (int k = 0; k < 200; k++) {
            r = rmdir(dir);
            if (r == 0 || errno == ENOENT || errno != EBUSY)
                break;
            sleep_ms(10);
        }
        if (r < 0 && errno != ENOENT && rc == 0)
            rc = util_error_set(err, errno, "cgroup: rmdir %s", dir);
    }
    return rc;
}

void container_cgroup_free(cgroup *cg)
{
    for (size_t i = 0; i < cg->n_dirs; i++) {
        free(cg->dirs[i].controller);
        free(cg->dirs[i].path);
    }
    free(cg->dirs);
    free(cg->rel_path);
    memset(cg, 0, sizeof(*cg));
}
