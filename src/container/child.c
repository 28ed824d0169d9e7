/*
 * child.c - everything that runs in the forked processes.
 *
 * The shim forks a short-lived HELPER, which becomes the right kind of
 * parent: it joins the namespaces the spec names by path (or, for an exec,
 * all of the init's), creates a user namespace (the shim writes its maps),
 * unshares the new ones and then clones the real process with CLONE_PARENT,
 * so the container process is the shim's own child (the shim is the reaper)
 * and, with a new pid namespace, its pid 1.  The helper reports the pid and
 * exits.
 *
 * The real process then does the container setup (rootfs.c), resolves what
 * to run and lets a handler load it (run.c), applies the process attributes, reports READY and blocks
 * until the shim says START.  The seccomp filter is installed last, after
 * the handshake, so it restricts only the workload.  Every failure goes back
 * to the shim as an error text naming the step (container_sync_fail).
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The shim may block or ignore signals (signalfd, SIGPIPE); the workload
 * must start with a clean slate because execve keeps both. */
static void reset_signals(void)
{
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    for (int s = 1; s < NSIG; s++) {
        if (s == SIGKILL || s == SIGSTOP)
            continue;
        signal(s, SIG_DFL);
    }
}

static void wait_for(int fd, int type)
{
    sync_msg m;
    if (container_sync_recv(fd, &m) < 0)
        _exit(1); /* the shim went away: nothing to report to */
    if (m.type != type)
        container_sync_fail(fd, EPROTO, "sync: expected message %d, got %d", type, m.type);
}

static bool same_ns(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_ino == sb.st_ino &&
           sa.st_dev == sb.st_dev;
}

static void join_ns(int sync_fd, const char *path, int type)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        container_sync_fail(sync_fd, errno, "open namespace %s", path);
    if (setns(fd, type) < 0)
        container_sync_fail(sync_fd, errno, "join namespace %s", path);
    close(fd);
}

/* Joins the namespaces of a running init, for exec.  All are opened first:
 * joining the mount namespace changes what /proc/<pid> means. */
static void join_target(int sync_fd, pid_t target)
{
    static const struct {
        const char *name;
        int type;
    } order[] = {
        {"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
        {"net", CLONE_NEWNET},   {"pid", CLONE_NEWPID}, {"cgroup", CLONE_NEWCGROUP},
        {"mnt", CLONE_NEWNS},
    };
    int fds[UTIL_ARRAY_LEN(order)];
    for (size_t i = 0; i < UTIL_ARRAY_LEN(order); i++) {
        char theirs[64], mine[64];
        snprintf(theirs, sizeof(theirs), "/proc/%d/ns/%s", (int)target, order[i].name);
        snprintf(mine, sizeof(mine), "/proc/self/ns/%s", order[i].name);
        fds[i] = -1;
        if (access(theirs, F_OK) < 0 || same_ns(theirs, mine))
            continue;
        fds[i] = open(theirs, O_RDONLY | O_CLOEXEC);
        if (fds[i] < 0)
            container_sync_fail(sync_fd, errno, "open %s (has the container exited?)", theirs);
    }
    for (size_t i = 0; i < UTIL_ARRAY_LEN(order); i++) {
        if (fds[i] < 0)
            continue;
        if (setns(fds[i], order[i].type) < 0)
            container_sync_fail(sync_fd, errno, "join the container's %s namespace", order[i].name);
        close(fds[i]);
    }
}

/* A new network namespace starts with "lo" down.  runc brings it up, and
 * pods rely on it (a sidecar talking to the app over 127.0.0.1); the kernel
 * assigns 127.0.0.1 and ::1 as it comes up. */
static void loopback_up(int sync_fd)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        container_sync_fail(sync_fd, errno, "socket for bringing up lo");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    memcpy(ifr.ifr_name, "lo", 3);
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        container_sync_fail(sync_fd, errno, "read the flags of lo");
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
        container_sync_fail(sync_fd, errno, "bring up lo in the new network namespace");
    close(fd);
}

void container_child_helper(const child_config *cfg)
{
    int sync_fd = cfg->sync_fd;
    reset_signals();
    wait_for(sync_fd, SYNC_GO); /* the shim has put us in the cgroup */

    if (cfg->is_exec) {
        join_target(sync_fd, cfg->target_pid);
    } else {
        const spec *s = cfg->spec;
        /* a user namespace given by path must be joined before the rest */
        const spec_namespace *user = container_spec_find_namespace(s, CLONE_NEWUSER);
        if (user && user->path)
            join_ns(sync_fd, user->path, CLONE_NEWUSER);
        for (size_t i = 0; i < s->n_namespaces; i++)
            if (s->namespaces[i].path && s->namespaces[i].type != CLONE_NEWUSER)
                join_ns(sync_fd, s->namespaces[i].path, s->namespaces[i].type);
        if (user && !user->path) {
            if (unshare(CLONE_NEWUSER) < 0)
                container_sync_fail(sync_fd, errno, "create user namespace");
            container_sync_send(sync_fd, SYNC_USERNS, 0, NULL);
            wait_for(sync_fd, SYNC_MAPPED);
            if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                container_sync_fail(sync_fd, errno, "become root in the user namespace");
        }
        int flags = 0;
        for (size_t i = 0; i < s->n_namespaces; i++)
            if (!s->namespaces[i].path && s->namespaces[i].type != CLONE_NEWUSER)
                flags |= s->namespaces[i].type;
        if (flags && unshare(flags) < 0)
            container_sync_fail(sync_fd, errno, "create namespaces (flags 0x%x)", (unsigned)flags);
        if (flags & CLONE_NEWNET)
            loopback_up(sync_fd);
    }

    /* fork-like clone (no new stack: the child continues here, on its own
     * copy), whose parent is the shim */
    long pid = syscall(SYS_clone, (unsigned long)(CLONE_PARENT | SIGCHLD), NULL, NULL, NULL, 0);
    if (pid < 0)
        container_sync_fail(sync_fd, errno, "clone the container process");
    if (pid == 0) {
        container_child_init_setup(cfg);
        _exit(127); /* not reached */
    }
    container_sync_send(sync_fd, SYNC_PID, (int)pid, NULL);
    _exit(0);
}

/* Stdio to 0/1/2, the sync socket to 3, everything else closed: the shim's
 * own descriptors (ttrpc sockets, other containers' FIFOs) must not leak. */
static int arrange_fds(const child_config *cfg)
{
    int hi[4];
    for (int i = 0; i < 3; i++) {
        hi[i] = fcntl(cfg->stdio[i], F_DUPFD, 100);
        if (hi[i] < 0)
            container_sync_fail(cfg->sync_fd, errno, "dup stdio");
    }
    hi[3] = fcntl(cfg->sync_fd, F_DUPFD, 100);
    if (hi[3] < 0)
        container_sync_fail(cfg->sync_fd, errno, "dup sync fd");
    for (int i = 0; i < 3; i++)
        if (dup2(hi[i], i) < 0)
            container_sync_fail(cfg->sync_fd, errno, "dup2 stdio");
    if (dup3(hi[3], 3, O_CLOEXEC) < 0)
        container_sync_fail(cfg->sync_fd, errno, "dup3 sync fd");
    syscall(SYS_close_range, 4U, ~0U, 0U);
    return 3;
}

static void write_oom_score(int sync_fd, const spec_process *p)
{
    if (!p->has_oom_score_adj)
        return;
    int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    char v[16];
    int n = snprintf(v, sizeof(v), "%d", p->oom_score_adj);
    if (fd < 0 || write(fd, v, (size_t)n) < 0)
        container_sync_fail(sync_fd, errno, "write oom_score_adj %d", p->oom_score_adj);
    close(fd);
}

void container_child_init_setup(const child_config *cfg)
{
    child_config local = *cfg;
    local.sync_fd = arrange_fds(cfg);
    int sync_fd = local.sync_fd;
    const spec_process *p = cfg->process;

    if (setsid() < 0)
        container_sync_fail(sync_fd, errno, "setsid");
    write_oom_score(sync_fd, p);
    if (!cfg->is_exec) {
        const spec *s = cfg->spec;
        const spec_namespace *mnt = container_spec_find_namespace(s, CLONE_NEWNS);
        if (mnt == NULL || mnt->path != NULL)
            container_sync_fail(sync_fd, 0, "linux.namespaces: a new mount namespace is required");
        container_rootfs_setup(sync_fd, s);
        if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
            container_sync_fail(sync_fd, errno, "sethostname %s", s->hostname);
        if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
            container_sync_fail(sync_fd, errno, "setdomainname %s", s->domainname);
    }
    if (chdir(p->cwd) < 0)
        container_sync_fail(sync_fd, errno, "process.cwd %s", p->cwd);

    run_target target;
    util_error *err = NULL;
    if (container_run_resolve(p, cfg->handlers, &target, &err) < 0)
        container_sync_fail(sync_fd, 0, "%s", err->msg);
    container_child_finalize(&local, target.handler + 1);
    container_run_process(p, cfg->handlers, &target, sync_fd);
}

/* The bounding set must shrink while we still have CAP_SETPCAP, i.e.
 * before the uid change. */
static void drop_bounding(int sync_fd, const spec_caps *c)
{
    int last = (int)cap_max_bits();
    for (int cap = 0; cap < last; cap++) {
        if (cap < 64 && (c->bounding >> cap) & 1)
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            container_sync_fail(sync_fd, errno, "drop capability %d from the bounding set", cap);
    }
}

static void apply_caps(int sync_fd, const spec_caps *c)
{
    int last = (int)cap_max_bits();
    cap_t caps = cap_init();
    for (int cap = 0; cap < last && cap < 64; cap++) {
        cap_value_t v = cap;
        if ((c->effective >> cap) & 1)
            cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
        if ((c->permitted >> cap) & 1)
            cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET);
        if ((c->inheritable >> cap) & 1)
            cap_set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_SET);
    }
    if (cap_set_proc(caps) < 0)
        container_sync_fail(sync_fd, errno, "set capabilities");
    cap_free(caps);
    cap_reset_ambient();
    for (int cap = 0; cap < last && cap < 64; cap++)
        if ((c->ambient >> cap) & 1 && cap_set_ambient(cap, CAP_SET) < 0)
            container_sync_fail(sync_fd, errno, "raise ambient capability %d", cap);
}

void container_child_finalize(const child_config *cfg, int handler)
{
    int sync_fd = cfg->sync_fd;
    const spec_process *p = cfg->process;

    for (size_t i = 0; i < p->n_rlimits; i++) {
        struct rlimit rl = {(rlim_t)p->rlimits[i].soft, (rlim_t)p->rlimits[i].hard};
        if (setrlimit(p->rlimits[i].resource, &rl) < 0)
            container_sync_fail(sync_fd, errno, "process.rlimits[%zu]", i);
    }

    if (p->caps.present)
        drop_bounding(sync_fd, &p->caps);
    /* keep the permitted set across the uid change; caps are set after */
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        container_sync_fail(sync_fd, errno, "keep capabilities");
    if (setgroups(p->n_gids, p->gids) < 0 && errno != EPERM)
        container_sync_fail(sync_fd, errno, "process.user.additionalGids");
    if (setresgid(p->gid, p->gid, p->gid) < 0)
        container_sync_fail(sync_fd, errno, "process.user.gid %u", (unsigned)p->gid);
    if (setresuid(p->uid, p->uid, p->uid) < 0)
        container_sync_fail(sync_fd, errno, "process.user.uid %u", (unsigned)p->uid);
    if (p->caps.present)
        apply_caps(sync_fd, &p->caps);
    if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        container_sync_fail(sync_fd, errno, "process.noNewPrivileges");

    container_sync_send(sync_fd, SYNC_READY, handler, NULL);
    wait_for(sync_fd, SYNC_START);
    int r = container_seccomp_install(cfg->seccomp);
    if (r < 0)
        container_sync_fail(sync_fd, -r, "load the seccomp filter");
}
