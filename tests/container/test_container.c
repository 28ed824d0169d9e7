/*
 * test_container.c - runs real containers (busybox) through the container
 * layer's API, as root, and checks what a user of containerd would see:
 * output, exit codes, namespaces, cgroup limits, exec, pause/resume, stats
 * and that delete leaves no mount, cgroup or process behind.
 */
#include "bundle.h"
#include "runner.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static bool mounted(const char *path)
{
    char *mi = read_text("/proc/self/mountinfo");
    char needle[512];
    snprintf(needle, sizeof(needle), " %s ", path);
    bool r = strstr(mi, needle) != NULL;
    free(mi);
    return r;
}

static bool cgroup_exists(const test_bundle *b, const char *ctl)
{
    char p[512];
    snprintf(p, sizeof(p), "/sys/fs/cgroup/%s%s", ctl, b->cgroup);
    return access(p, F_OK) == 0;
}

static void finish(container *c)
{
    util_error *err = NULL;
    if (c == NULL)
        return;
    CHECK_INT(container_delete(c, &err), 0);
    if (err)
        fprintf(stderr, "delete: %s\n", err->msg);
    util_error_free(&err);
    pid_t pid = container_pid(c);
    if (pid > 0 && container_status(c) != CONTAINER_STOPPED)
        reap_pid(pid);
    container_free(c);
}

static container *make(test_bundle *b, const bundle_opts *o, const char *id)
{
    util_error *err = NULL;
    if (bundle_make(b, o) < 0) {
        fprintf(stderr, "bundle_make failed: %s\n", strerror(errno));
        return NULL;
    }
    container *c = bundle_create(b, id, &err);
    if (c == NULL)
        fprintf(stderr, "create %s: %s\n", id, err ? err->msg : "?");
    util_error_free(&err);
    return c;
}

/* Start and run to completion; returns the exit status. */
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

static container *make_userns(test_bundle *b, const bundle_opts *o, const char *id)
{
    util_error *err = NULL;
    if (bundle_make(b, o) < 0 || chmod(b->dir, 0711) < 0)
        return NULL;
    container *c = bundle_create(b, id, &err);
    if (c == NULL)
        fprintf(stderr, "create %s: %s\n", id, err ? err->msg : "?");
    util_error_free(&err);
    return c;
}

static void test_output_and_exit_code(void)
{
    test_bundle b;
    container *c = make(&b, &(bundle_opts){.args = "[\"sh\",\"-c\",\"echo hello $X; exit 3\"]"},
                        "t-out");
    CHECK(c != NULL);
    if (c) {
        CHECK_INT(container_status(c), CONTAINER_CREATED);
        CHECK(container_handler_name(c) == NULL); /* execve'd */
        CHECK(container_pid(c) > 0);
        CHECK_INT(container_exit_status(c), -1);
        CHECK_INT(run_to_end(c), 3);
        CHECK_INT(container_status(c), CONTAINER_STOPPED);
        CHECK_INT(container_exit_status(c), 3);
        char *out = bundle_read(&b, "out");
        CHECK_STR(out, "hello 1\n");
        free(out);
        util_error *err = NULL;
        CHECK_INT(container_kill(c, SIGTERM, false, &err), -1);
        CHECK(err && err->status == ESRCH && strstr(err->msg, "already finished"));
        util_error_free(&err);
    }
    finish(c);
    bundle_remove(&b);
}

static void test_fifo_stdout(void)
{
    test_bundle b;
    CHECK_INT(bundle_make(&b, &(bundle_opts){.args = "[\"echo\",\"via fifo\"]"}), 0);
    char fifo[512];
    snprintf(fifo, sizeof(fifo), "%s/stdout.fifo", b.dir);
    CHECK_INT(mkfifo(fifo, 0600), 0);
    /* like containerd, the reader is there before the task starts */
    int rd = open(fifo, O_RDONLY | O_NONBLOCK);
    CHECK(rd >= 0);
    container_create_options o = {.id = "t-fifo", .bundle = b.dir, .rootfs = &b.mount,
                                  .n_rootfs = 1, .stdio = {.stdout_path = fifo}};
    util_error *err = NULL;
    container *c = container_create(&o, &err);
    CHECK(c != NULL);
    if (c) {
        CHECK_INT(run_to_end(c), 0);
        char buf[64] = {0};
        ssize_t n = read(rd, buf, sizeof(buf) - 1);
        CHECK_INT(n, 9);
        CHECK_STR(buf, "via fifo\n");
    }
    util_error_free(&err);
    close(rd);
    finish(c);
    bundle_remove(&b);
}

static void test_signal_exit(void)
{
    test_bundle b;
    container *c = make(&b, &(bundle_opts){.args = "[\"sleep\",\"600\"]"}, "t-sig");
    CHECK(c != NULL);
    if (c) {
        util_error *err = NULL;
        pid_t pid = container_start(c, &err);
        CHECK(pid > 0);
        CHECK_INT(container_status(c), CONTAINER_RUNNING);
        CHECK_INT(container_kill(c, SIGKILL, false, &err), 0);
        CHECK_INT(reap_pid(pid), 128 + SIGKILL);
        CHECK_INT(container_exit_status(c), 137);
        util_error_free(&err);
    }
    finish(c);
    bundle_remove(&b);
}

static void test_hostname_and_pid1(void)
{
    test_bundle b;
    container *c = make(&b,
                        &(bundle_opts){.args = "[\"sh\",\"-c\",\"hostname; echo pid $$; "
                                               "cat /proc/sys/net/ipv4/ip_unprivileged_port_start"
                                               "\"]",
                                       .top = "\"hostname\":\"ctr-host\",",
                                       .linux = ",\"sysctl\":{\"net.ipv4.ip_unprivileged_port_"
                                                "start\":\"0\"}"},
                        "t-uts");
    CHECK(c != NULL);
    if (c) {
        CHECK_INT(run_to_end(c), 0);
        char *out = bundle_read(&b, "out");
        CHECK_STR(out, "ctr-host\npid 1\n0\n"); /* the sysctl, in its own net ns */
        free(out);
    }
    char host[256] = {0};
    gethostname(host, sizeof(host) - 1);
    CHECK(strcmp(host, "ctr-host") != 0);
    finish(c);
    bundle_remove(&b);
}

static void test_cgroup_limits(void)
{
    test_bundle b;
    container *c = make(
        &b,
        &(bundle_opts){.args = "[\"sh\",\"-c\",\"echo x > /dev/null && echo null-ok; "
                               "head -c 1 /dev/kmsg > /dev/null 2>&1 || echo kmsg-denied\"]",
                       .linux = ",\"resources\":{\"memory\":{\"limit\":67108864},"
                                "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000},"
                                "\"pids\":{\"limit\":32},"
                                "\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
                                "\"devices\":[{\"path\":\"/dev/kmsg\",\"type\":\"c\","
                                "\"major\":1,\"minor\":11}]"},
        "t-cg");
    CHECK(c != NULL);
    if (c) {
        char p[512];
        snprintf(p, sizeof(p), "/sys/fs/cgroup/memory%s/memory.limit_in_bytes", b.cgroup);
        char *v = read_text(p);
        CHECK_STR(v, "67108864\n");
        free(v);
        snprintf(p, sizeof(p), "/sys/fs/cgroup/pids%s/pids.max", b.cgroup);
        v = read_text(p);
        CHECK_STR(v, "32\n");
        free(v);
        snprintf(p, sizeof(p), "/sys/fs/cgroup/cpu%s/cpu.cfs_quota_us", b.cgroup);
        v = read_text(p);
        CHECK_STR(v, "50000\n");
        free(v);
        snprintf(p, sizeof(p), "/sys/fs/cgroup/cpu%s/cpu.shares", b.cgroup);
        v = read_text(p);
        CHECK_STR(v, "512\n");
        free(v);
        /* the process runs in it */
        snprintf(p, sizeof(p), "/proc/%d/cgroup", (int)container_pid(c));
        v = read_text(p);
        char want[256];
        snprintf(want, sizeof(want), ":memory:%s\n", b.cgroup);
        CHECK(strstr(v, want) != NULL);
        free(v);
        /* update changes the live limit */
        util_error *err = NULL;
        CHECK_INT(container_update(c, "{\"memory\":{\"limit\":33554432}}", &err), 0);
        snprintf(p, sizeof(p), "/sys/fs/cgroup/memory%s/memory.limit_in_bytes", b.cgroup);
        v = read_text(p);
        CHECK_STR(v, "33554432\n");
        free(v);
        CHECK_INT(container_update(c, "{\"memory\":{\"limit\":\"x\"}}", &err), -1);
        CHECK(err && strstr(err->msg, "linux.resources.memory.limit"));
        util_error_free(&err);
        /* devices: all denied, then the defaults allowed again */
        snprintf(p, sizeof(p), "/sys/fs/cgroup/devices%s/devices.list", b.cgroup);
        v = read_text(p);
        CHECK(strstr(v, "c 1:3 rwm") != NULL);
        CHECK(strstr(v, "a *:* rwm") == NULL);
        free(v);
        CHECK_INT(run_to_end(c), 0);
        char *out = bundle_read(&b, "out");
        CHECK_STR(out, "null-ok\nkmsg-denied\n");
        free(out);
    }
    finish(c);
    CHECK(!cgroup_exists(&b, "memory"));
    CHECK(!cgroup_exists(&b, "pids"));
    bundle_remove(&b);
}

static void test_join_network_namespace(void)
{
    test_bundle a, b;
    container *ca = make(&a, &(bundle_opts){.args = "[\"sleep\",\"600\"]"}, "t-net-a");
    CHECK(ca != NULL);
    container *cb = NULL;
    if (ca) {
        util_error *err = NULL;
        pid_t pa = container_start(ca, &err);
        CHECK(pa > 0);
        char ns[128];
        snprintf(ns, sizeof(ns),
                 "[{\"type\":\"pid\"},{\"type\":\"mount\"},"
                 "{\"type\":\"network\",\"path\":\"/proc/%d/ns/net\"}]",
                 (int)pa);
        cb = make(&b,
                  &(bundle_opts){.args = "[\"readlink\",\"/proc/self/ns/net\"]", .namespaces = ns},
                  "t-net-b");
        CHECK(cb != NULL);
        if (cb) {
            CHECK_INT(run_to_end(cb), 0);
            char link[128] = {0}, host[128] = {0}, path[64];
            snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pa);
            CHECK(readlink(path, link, sizeof(link) - 1) > 0);
            CHECK(readlink("/proc/self/ns/net", host, sizeof(host) - 1) > 0);
            CHECK(strcmp(link, host) != 0); /* a's is new */
            strcat(link, "\n");
            char *out = bundle_read(&b, "out");
            CHECK_STR(out, link); /* b joined it */
            free(out);
        }
        util_error_free(&err);
    }
    finish(cb);
    finish(ca);
    if (cb)
        bundle_remove(&b);
    bundle_remove(&a);
}

static void test_exec(void)
{
    test_bundle b;
    container *c = make(&b, &(bundle_opts){.args = "[\"sleep\",\"600\"],\"user\":{\"uid\":0}",
                                            .top = "\"hostname\":\"exec-host\","},
                        "t-exec");
    CHECK(c != NULL);
    if (c) {
        util_error *err = NULL;
        CHECK(container_start(c, &err) > 0);
        char out[512];
        snprintf(out, sizeof(out), "%s/exec-out", b.dir);
        container_stdio io = {.stdout_path = out, .stderr_path = out};
        CHECK_INT(container_exec_create(
                      c, "e1",
                      "{\"args\":[\"sh\",\"-c\",\"hostname; id -u; echo $E; exit 5\"],"
                      "\"env\":[\"PATH=/bin\",\"E=from-exec\"],\"cwd\":\"/tmp\","
                      "\"user\":{\"uid\":1234,\"gid\":1234}}",
                      &io, &err),
                  0);
        if (err)
            fprintf(stderr, "exec: %s\n", err->msg);
        CHECK_INT(container_exec_status(c, "e1"), CONTAINER_CREATED);
        CHECK_INT(container_exec_create(c, "e1", "{\"args\":[\"true\"]}", &io, &err), -1);
        CHECK(err && err->status == EEXIST);
        util_error_free(&err);
        pid_t pid = container_exec_start(c, "e1", &err);
        CHECK(pid > 0);
        const char *eid = NULL;
        CHECK(container_lookup_pid(pid, &eid) == c);
        CHECK_STR(eid, "e1");
        CHECK_INT(reap_pid(pid), 5);
        CHECK_INT(container_exec_status(c, "e1"), CONTAINER_STOPPED);
        CHECK_INT(container_exec_exit_status(c, "e1"), 5);
        char *text = read_text(out);
        CHECK_STR(text, "exec-host\n1234\nfrom-exec\n");
        free(text);
        CHECK_INT(container_exec_kill(c, "e1", SIGKILL, &err), -1);
        CHECK(err && err->status == ESRCH);
        util_error_free(&err);
        CHECK_INT(container_exec_delete(c, "e1", &err), 0);
        CHECK_INT(container_exec_pid(c, "e1"), 0);
        /* an unknown program is reported by exec create */
        CHECK_INT(container_exec_create(c, "e2", "{\"args\":[\"no-such-tool\"]}", &io, &err), -1);
        CHECK(err && strstr(err->msg, "no-such-tool") && strstr(err->msg, "not found"));
        util_error_free(&err);
        CHECK_INT(container_exec_create(c, "e3", "{\"args\":[]}", &io, &err), -1);
        CHECK(err && strstr(err->msg, "process.args"));
        util_error_free(&err);
    }
    finish(c);
    bundle_remove(&b);
}

static void test_pause_resume_and_stats(void)
{
    test_bundle b;
    container *c = make(
        &b,
        &(bundle_opts){.args = "[\"sh\",\"-c\",\"i=0; while [ $i -lt 20000 ]; do i=$((i+1)); "
                               "done; touch /tmp/ready; exec sleep 600\"]",
                       .linux = ",\"resources\":{\"memory\":{\"limit\":67108864},"
                                "\"pids\":{\"limit\":50}}"},
        "t-pause");
    CHECK(c != NULL);
    if (c) {
        util_error *err = NULL;
        CHECK(container_start(c, &err) > 0);
        char ready[512];
        snprintf(ready, sizeof(ready), "%s/tmp/ready", b.image);
        CHECK_INT(wait_for_file(ready), 0);

        container_stats st;
        CHECK_INT(container_stats_read(c, &st, &err), 0);
        CHECK(!st.cgroup_v2);
        CHECK(st.cpu_usage_usec > 0);
        CHECK(st.memory_usage > 0);
        CHECK_INT(st.memory_limit, 67108864);
        CHECK(st.pids_current >= 1);
        CHECK_INT(st.pids_limit, 50);

        pid_t *pids = NULL;
        size_t n = 0;
        CHECK_INT(container_pids(c, &pids, &n, &err), 0);
        bool has_init = false;
        for (size_t i = 0; i < n; i++)
            has_init = has_init || pids[i] == container_pid(c);
        CHECK(has_init);
        free(pids);

        CHECK_INT(container_pause(c, &err), 0);
        CHECK_INT(container_status(c), CONTAINER_PAUSED);
        char p[512];
        snprintf(p, sizeof(p), "/sys/fs/cgroup/freezer%s/freezer.state", b.cgroup);
        char *v = read_text(p);
        CHECK_STR(v, "FROZEN\n");
        free(v);
        CHECK_INT(container_pause(c, &err), -1);
        util_error_free(&err);
        CHECK_INT(container_resume(c, &err), 0);
        CHECK_INT(container_status(c), CONTAINER_RUNNING);
        v = read_text(p);
        CHECK_STR(v, "THAWED\n");
        free(v);
        /* delete of a paused container still works */
        CHECK_INT(container_pause(c, &err), 0);
        util_error_free(&err);
    }
    finish(c);
    bundle_remove(&b);
}

static void test_delete_leaves_nothing(void)
{
    test_bundle b;
    container *c = make(&b, &(bundle_opts){.args = "[\"sh\",\"-c\",\"sleep 600 & sleep 600\"]"},
                        "t-del");
    CHECK(c != NULL);
    if (c) {
        util_error *err = NULL;
        pid_t pid = container_start(c, &err);
        CHECK(pid > 0);
        CHECK(mounted(b.rootfs));
        CHECK(cgroup_exists(&b, "memory"));
        CHECK_INT(container_delete(c, &err), 0);
        CHECK_INT(reap_pid(pid), 137);
        CHECK(!mounted(b.rootfs));
        static const char *const ctl[] = {"memory", "cpu", "pids", "freezer", "unified"};
        for (size_t i = 0; i < UTIL_ARRAY_LEN(ctl); i++)
            CHECK(!cgroup_exists(&b, ctl[i]));
        CHECK(kill(pid, 0) < 0 && errno == ESRCH);
        /* delete twice is fine */
        CHECK_INT(container_delete(c, &err), 0);
        util_error_free(&err);
        container_free(c);
    }
    bundle_remove(&b);
}

static void test_create_errors_clean_up(void)
{
    test_bundle b;
    util_error *err = NULL;
    /* a bad field */
    CHECK_INT(bundle_make(&b, &(bundle_opts){.args = "[\"sh\"]",
                                             .process = ",\"oomScoreAdj\":\"high\""}),
              0);
    container *c = bundle_create(&b, "t-bad", &err);
    CHECK(c == NULL);
    CHECK(err && strstr(err->msg, "process.oomScoreAdj") && strstr(err->msg, "config.json"));
    util_error_free(&err);
    CHECK(!mounted(b.rootfs));
    CHECK(!cgroup_exists(&b, "memory"));
    bundle_remove(&b);

    /* a missing program: found in the container, reported by create */
    CHECK_INT(bundle_make(&b, &(bundle_opts){.args = "[\"nonexistent\"]"}), 0);
    c = bundle_create(&b, "t-missing", &err);
    CHECK(c == NULL);
    CHECK(err && strstr(err->msg, "executable file not found"));
    util_error_free(&err);
    CHECK(!mounted(b.rootfs));
    CHECK(!cgroup_exists(&b, "memory"));
    bundle_remove(&b);

    /* joining a namespace that does not exist */
    CHECK_INT(bundle_make(&b, &(bundle_opts){.args = "[\"true\"]",
                                             .namespaces = "[{\"type\":\"mount\"},{\"type\":"
                                                           "\"network\",\"path\":\"/nope/net\"}]"}),
              0);
    c = bundle_create(&b, "t-nons", &err);
    CHECK(c == NULL);
    CHECK(err && strstr(err->msg, "/nope/net"));
    util_error_free(&err);
    CHECK(!mounted(b.rootfs));
    bundle_remove(&b);

    /* a file that is neither ELF, script nor Wasm */
    CHECK_INT(bundle_make(&b, &(bundle_opts){.args = "[\"/etc/data\"]"}), 0);
    char p[512];
    snprintf(p, sizeof(p), "%s/etc/data", b.image);
    CHECK_INT(util_write_file_atomic(p, "plain text", 10, 0755, NULL), 0);
    c = bundle_create(&b, "t-noexec", &err);
    CHECK(c == NULL);
    CHECK(err && strstr(err->msg, "not an ELF"));
    util_error_free(&err);
    bundle_remove(&b);

    /* an image symlink leading a mount target out of the rootfs: the
     * mount is refused and nothing lands on the host directory */
    char outside[] = "/tmp/ctr-escape-XXXXXX";
    CHECK(mkdtemp(outside) != NULL);
    CHECK_INT(bundle_make(&b, &(bundle_opts){.args = "[\"true\"]",
                                             .mounts = "[{\"destination\":\"/data/sub\","
                                                       "\"type\":\"tmpfs\",\"source\":\"tmpfs\"}]"}),
              0);
    snprintf(p, sizeof(p), "%s/data", b.image);
    CHECK_INT(symlink(outside, p), 0);
    c = bundle_create(&b, "t-escape", &err);
    CHECK(c == NULL);
    CHECK(err && strstr(err->msg, "outside the rootfs") && strstr(err->msg, "/data/sub"));
    util_error_free(&err);
    snprintf(p, sizeof(p), "%s/sub", outside);
    CHECK(!mounted(p));
    CHECK(access(p, F_OK) != 0); /* refused before anything was created there */
    CHECK(!mounted(b.rootfs));
    bundle_remove(&b);
    rmdir(p);
    rmdir(outside);

    /* terminal is refused */
    container_create_options o = {.id = "t-tty", .bundle = "/tmp", .stdio = {.terminal = true}};
    CHECK(container_create(&o, &err) == NULL);
    CHECK(err && strstr(err->msg, "terminal"));
    util_error_free(&err);
    o.id = "../x";
    CHECK(container_create(&o, &err) == NULL);
    CHECK(err && strstr(err->msg, "id"));
    util_error_free(&err);
}

static void test_user_caps_rlimits_seccomp(void)
{
    test_bundle b;
    container *c = make(
        &b,
        &(bundle_opts){
            .args = "[\"sh\",\"-c\",\"id -u; id -g; grep -E '^Cap(Eff|Bnd)' /proc/self/status; "
                    "grep 'open files' /proc/self/limits; cat /proc/self/oom_score_adj; "
                    "mkdir /tmp/x || echo mkdir-denied\"]",
            .process = ",\"user\":{\"uid\":1000,\"gid\":1001},\"oomScoreAdj\":500,"
                       "\"noNewPrivileges\":true,"
                       "\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_CHOWN\"],"
                       "\"effective\":[\"CAP_KILL\"],\"permitted\":[\"CAP_KILL\"],"
                       "\"inheritable\":[\"CAP_KILL\"],\"ambient\":[\"CAP_KILL\"]},"
                       "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":77,\"hard\":88}]",
            .linux = ",\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
                     "\"architectures\":[\"SCMP_ARCH_X86_64\"],"
                     "\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],"
                     "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1}]}"},
        "t-proc");
    CHECK(c != NULL);
    if (c) {
        CHECK_INT(run_to_end(c), 0);
        char *out = bundle_read(&b, "out");
        /* CAP_KILL = 5 (0x20), CAP_CHOWN = 0 (0x1) */
        const char *want[] = {"1000\n1001\n", "CapEff:\t0000000000000020\n",
                              "CapBnd:\t0000000000000021\n", "77                   88",
                              "\n500\n", "mkdir-denied\n"};
        for (size_t i = 0; i < UTIL_ARRAY_LEN(want); i++) {
            if (strstr(out, want[i]) == NULL) {
                fprintf(stderr, "output lacks \"%s\":\n%s\n", want[i], out);
                CHECK(0);
            }
        }
        free(out);
    }
    finish(c);
    bundle_remove(&b);
}

/* The mounts containerd 1.6's CRI plugin puts in an app container. */
static const char *cri_mounts =
    "[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
    "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
    "\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
    "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
    "\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\","
    "\"gid=5\"]},"
    "{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
    "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
    "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]},"
    "{\"destination\":\"/etc/hosts\",\"type\":\"bind\",\"source\":\"/etc/hosts\","
    "\"options\":[\"rbind\",\"rprivate\",\"ro\"]},"
    "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]}]";

static const char *cri_caps =
    ",\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_FSETID\","
    "\"CAP_FOWNER\",\"CAP_MKNOD\",\"CAP_NET_RAW\",\"CAP_SETGID\",\"CAP_SETUID\",\"CAP_SETFCAP\","
    "\"CAP_SETPCAP\",\"CAP_NET_BIND_SERVICE\",\"CAP_SYS_CHROOT\",\"CAP_KILL\",\"CAP_AUDIT_WRITE\"],"
    "\"effective\":[\"CAP_CHOWN\",\"CAP_KILL\"],\"permitted\":[\"CAP_CHOWN\",\"CAP_KILL\"]},"
    "\"oomScoreAdj\":1000";

/* A pod as containerd's CRI plugin sets it up: a sandbox with a read-only
 * root and its own pid/ipc/uts/net namespaces, and an app container that
 * joins the sandbox's ipc, uts and net namespaces by /proc/<pid>/ns, with
 * CRI's mounts, masked/readonly paths, capabilities and limits, in cgroups
 * below one pod directory. */
static void test_cri_pod(void)
{
    char pod[128], cg_sandbox[160], cg_app[160];
    snprintf(pod, sizeof(pod), "/ctr-test-%d-pod", (int)getpid());
    snprintf(cg_sandbox, sizeof(cg_sandbox), "%s/sandbox", pod);
    snprintf(cg_app, sizeof(cg_app), "%s/app", pod);
    test_bundle sb, ab;
    container *sandbox = make(
        &sb,
        &(bundle_opts){.args = "[\"sleep\",\"600\"]", .process = ",\"noNewPrivileges\":true",
                       .top = "\"hostname\":\"my-pod\",",
                       .cgroup = cg_sandbox,
                       .linux = ",\"resources\":{\"cpu\":{\"shares\":2}}"},
        "t-sandbox");
    CHECK(sandbox != NULL);
    container *app = NULL;
    if (sandbox) {
        util_error *err = NULL;
        pid_t sp = container_start(sandbox, &err);
        CHECK(sp > 0);
        char ns[512];
        snprintf(ns, sizeof(ns),
                 "[{\"type\":\"pid\"},{\"type\":\"mount\"},"
                 "{\"type\":\"ipc\",\"path\":\"/proc/%d/ns/ipc\"},"
                 "{\"type\":\"uts\",\"path\":\"/proc/%d/ns/uts\"},"
                 "{\"type\":\"network\",\"path\":\"/proc/%d/ns/net\"}]",
                 (int)sp, (int)sp, (int)sp);
        app = make(&ab,
                   &(bundle_opts){
                       .args = "[\"sh\",\"-c\",\"hostname; cat /proc/self/oom_score_adj; "
                               "ls /dev; touch /sys/x 2>/dev/null || echo sys-ro; "
                               "echo kcore=$(cat /proc/kcore | wc -c); "
                               "echo 1 > /proc/sys/kernel/x 2>/dev/null || echo procsys-ro; "
                               "cat /etc/hosts > /dev/null && echo hosts-ok; "
                               "echo $HOSTNAME\"]",
                       .process = cri_caps,
                       .mounts = cri_mounts,
                       .namespaces = ns,
                       .cgroup = cg_app,
                       .linux = ",\"resources\":{\"memory\":{\"limit\":134217728,"
                                "\"swap\":134217728},\"cpu\":{\"shares\":512,"
                                "\"quota\":50000,\"period\":100000}},"
                                "\"maskedPaths\":[\"/proc/kcore\",\"/proc/keys\","
                                "\"/sys/firmware\"],\"readonlyPaths\":[\"/proc/sys\"]"},
                   "t-app");
        CHECK(app != NULL);
        if (app) {
            CHECK_INT(run_to_end(app), 0);
            char *out = bundle_read(&ab, "out");
            const char *want[] = {"my-pod\n1000\n", "full\n", "mqueue\n", "null\n",
                                  "ptmx\n", "pts\n", "random\n", "shm\n", "tty\n",
                                  "urandom\n", "zero\n", "fd\n", "sys-ro\n", "kcore=0\n",
                                  "procsys-ro\n", "hosts-ok\n"};
            for (size_t i = 0; i < UTIL_ARRAY_LEN(want); i++) {
                if (strstr(out, want[i]) == NULL) {
                    fprintf(stderr, "app output lacks \"%s\":\n%s\n", want[i], out);
                    CHECK(0);
                }
            }
            free(out);
        }
        util_error_free(&err);
    }
    finish(app);
    finish(sandbox);
    if (app)
        bundle_remove(&ab);
    bundle_remove(&sb);
    static const char *const ctl[] = {"memory", "cpu", "cpuacct", "pids", "freezer", "cpuset",
                                      "blkio", "devices", "systemd", "unified"};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(ctl); i++) {
        char p[512];
        snprintf(p, sizeof(p), "/sys/fs/cgroup/%s%s", ctl[i], pod);
        rmdir(p);
    }
}

/* The shim's `delete` action after a crash: no in-memory state, only the
 * bundle; it must kill what is left, remove the cgroup and unmount. */
/* Going over the memory limit gets the process OOM-killed (137), and the
 * stats count it: what the shim turns into a TaskOOM event. */
static void test_oom_kill(void)
{
    test_bundle b;
    container *c = make(
        &b,
        &(bundle_opts){.args = "[\"sh\",\"-c\",\"x=$(head -c 200000000 /dev/zero | tr '\\\\0' a); "
                               "echo survived\"]",
                       .linux = ",\"resources\":{\"memory\":{\"limit\":16777216,"
                                "\"swap\":16777216}}"},
        "t-oom");
    CHECK(c != NULL);
    if (c) {
        CHECK_INT(run_to_end(c), 137); /* the shell holding the string is killed */
        container_stats st;
        util_error *err = NULL;
        CHECK_INT(container_stats_read(c, &st, &err), 0);
        CHECK(st.memory_oom_kills >= 1);
        CHECK_INT(st.memory_limit, 16777216);
        char *out = bundle_read(&b, "out");
        CHECK(strstr(out, "survived") == NULL);
        free(out);
        util_error_free(&err);
    }
    finish(c);
    bundle_remove(&b);
}

/* The usual CreateTaskRequest rootfs: an overlay of the image with a
 * writable upper dir; writes land in upperdir, the image stays intact, and
 * delete unmounts it. */
static void test_overlay_rootfs(void)
{
    test_bundle b;
    CHECK_INT(bundle_make(&b, &(bundle_opts){.args = "[\"sh\",\"-c\",\"echo new > /etc/added; "
                                                     "cat /etc/added\"]"}),
              0);
    char upper[512], work[512], lower[512];
    snprintf(upper, sizeof(upper), "%s/upper", b.dir);
    snprintf(work, sizeof(work), "%s/work", b.dir);
    mkdir(upper, 0755);
    mkdir(work, 0755);
    char o1[600], o2[600], o3[600];
    snprintf(lower, sizeof(lower), "%s", b.image);
    snprintf(o1, sizeof(o1), "lowerdir=%s", lower);
    snprintf(o2, sizeof(o2), "upperdir=%s", upper);
    snprintf(o3, sizeof(o3), "workdir=%s", work);
    const char *opts[] = {"index=off", o1, o2, o3};
    container_mount m = {"overlay", "overlay", opts, 4};
    char out[512];
    snprintf(out, sizeof(out), "%s/out", b.dir);
    container_create_options co = {.id = "t-overlay", .bundle = b.dir, .rootfs = &m,
                                   .n_rootfs = 1, .stdio = {.stdout_path = out}};
    util_error *err = NULL;
    container *c = container_create(&co, &err);
    if (err)
        fprintf(stderr, "overlay create: %s\n", err->msg);
    util_error_free(&err);
    CHECK(c != NULL);
    if (c) {
        CHECK(mounted(b.rootfs));
        CHECK_INT(run_to_end(c), 0);
        char *text = bundle_read(&b, "out");
        CHECK_STR(text, "new\n");
        free(text);
        char p[600];
        snprintf(p, sizeof(p), "%s/etc/added", upper);
        CHECK(access(p, F_OK) == 0);
        snprintf(p, sizeof(p), "%s/etc/added", b.image);
        CHECK(access(p, F_OK) < 0);
    }
    finish(c);
    CHECK(!mounted(b.rootfs));
    bundle_remove(&b);
}

static void test_cleanup_bundle(void)
{
    test_bundle b;
    container *c = make(&b, &(bundle_opts){.args = "[\"sleep\",\"600\"]"}, "t-orphan");
    CHECK(c != NULL);
    if (c) {
        util_error *err = NULL;
        pid_t pid = container_start(c, &err);
        CHECK(pid > 0);
        CHECK(mounted(b.rootfs));
        CHECK_INT(container_cleanup_bundle("t-orphan", b.dir, &err), 0);
        if (err)
            fprintf(stderr, "cleanup: %s\n", err->msg);
        CHECK_INT(reap_pid(pid), 137);
        CHECK(!mounted(b.rootfs));
        CHECK(!cgroup_exists(&b, "memory"));
        CHECK(!cgroup_exists(&b, "pids"));
        /* nothing left: cleaning again is fine */
        CHECK_INT(container_cleanup_bundle("t-orphan", b.dir, &err), 0);
        util_error_free(&err);
        container_free(c);
    }
    bundle_remove(&b);
}

/* cgroupsPath in systemd form, without systemd: the scope directory
 * systemd would create, below the expanded slice. */
static void test_systemd_cgroup_path(void)
{
    char slice[64], cgpath[128], dir[256];
    snprintf(slice, sizeof(slice), "ctrtest%d.slice", (int)getpid());
    snprintf(cgpath, sizeof(cgpath), "%s:cri:t-sd", slice);
    test_bundle b;
    container *c = make(&b,
                        &(bundle_opts){.args = "[\"sh\",\"-c\",\"cat /proc/self/cgroup\"]",
                                       .cgroup = cgpath,
                                       .linux = ",\"resources\":{\"pids\":{\"limit\":9}}"},
                        "t-sd");
    CHECK(c != NULL);
    if (c) {
        snprintf(dir, sizeof(dir), "/sys/fs/cgroup/pids/%s/cri-t-sd.scope/pids.max", slice);
        char *v = read_text(dir);
        CHECK_STR(v, "9\n");
        free(v);
        CHECK_INT(run_to_end(c), 0);
        char *out = bundle_read(&b, "out");
        char want[160];
        snprintf(want, sizeof(want), ":memory:/%s/cri-t-sd.scope\n", slice);
        CHECK(strstr(out, want) != NULL);
        free(out);
    }
    finish(c);
    static const char *const ctl[] = {"memory", "cpu", "cpuacct", "pids", "freezer", "cpuset",
                                      "blkio", "devices", "systemd", "unified"};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(ctl); i++) {
        snprintf(dir, sizeof(dir), "/sys/fs/cgroup/%s/%s/cri-t-sd.scope", ctl[i], slice);
        CHECK(access(dir, F_OK) < 0); /* delete removed the scope */
        snprintf(dir, sizeof(dir), "/sys/fs/cgroup/%s/%s", ctl[i], slice);
        rmdir(dir);
    }
    b.cgroup[0] = '\0';
    bundle_remove(&b);
}

/* A user namespace: the shim writes the maps, root inside is 100000
 * outside.  (The rootfs must be reachable by the mapped root, as with
 * runc: the bundle dir gets o+x.) */
static void test_user_namespace(void)
{
    test_bundle b;
    container *c = make_userns(
        &b,
        &(bundle_opts){.args = "[\"sh\",\"-c\",\"id -u; cat /proc/self/uid_map; sleep 600\"]",
                       .namespaces = "[{\"type\":\"user\"},{\"type\":\"pid\"},{\"type\":"
                                     "\"mount\"},{\"type\":\"uts\"},{\"type\":\"ipc\"}]",
                       .linux = ",\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,"
                                "\"size\":65536}],\"gidMappings\":[{\"containerID\":0,"
                                "\"hostID\":100000,\"size\":65536}]"},
        "t-userns");
    CHECK(c != NULL);
    if (c) {
        util_error *err = NULL;
        pid_t pid = container_start(c, &err);
        CHECK(pid > 0);
        char p[512];
        snprintf(p, sizeof(p), "%s/out", b.dir);
        char *out = NULL;
        for (int i = 0; i < 3000; i++) {
            free(out);
            out = read_text(p);
            if (strstr(out, "65536"))
                break;
            usleep(10000);
        }
        CHECK(strncmp(out, "0\n", 2) == 0);
        CHECK(strstr(out, "100000") != NULL);
        free(out);
        snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
        char *st = read_text(p);
        CHECK(strstr(st, "Uid:\t100000\t100000") != NULL);
        free(st);
        CHECK_INT(container_kill(c, SIGKILL, false, &err), 0);
        CHECK_INT(reap_pid(pid), 137);
        util_error_free(&err);
    }
    finish(c);
    bundle_remove(&b);
}

#ifdef WASM_DIR
static int copy_into(const test_bundle *b, const char *from, const char *to)
{
    char *data;
    size_t len;
    if (util_read_file(from, &data, &len, NULL) < 0)
        return -1;
    char p[512];
    snprintf(p, sizeof(p), "%s%s", b->image, to);
    int r = util_write_file_atomic(p, data, len, 0644, NULL);
    free(data);
    return r;
}

/* A WASI command as the container process: run by our engine inside the
 * set-up container, with the container's args, env, stdio and root. */
static void test_wasi_module(void)
{
    test_bundle b;
    CHECK_INT(bundle_make(&b, &(bundle_opts){
                                  .args = "[\"hello.wasm\",\"x\",\"--write\",\"/tmp/w.txt\","
                                          "\"hi\",\"--read\",\"/etc/msg\",\"--exit\",\"4\"]",
                                  .process = ",\"env\":[\"PATH=/bin:/app\",\"GREETING=hey\"]"}),
              0);
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/app", b.image);
    mkdir(dir, 0755);
    CHECK_INT(copy_into(&b, WASM_DIR "/hello.wasm", "/app/hello.wasm"), 0);
    CHECK_INT(copy_into(&b, "/dev/null", "/etc/msg"), 0);
    snprintf(dir, sizeof(dir), "%s/etc/msg", b.image);
    CHECK_INT(util_write_file_atomic(dir, "from the rootfs\n", 16, 0644, NULL), 0);
    util_error *err = NULL;
    container *c = bundle_create(&b, "t-wasi", &err);
    if (err)
        fprintf(stderr, "create: %s\n", err->msg);
    util_error_free(&err);
    CHECK(c != NULL);
    if (c) {
        CHECK_STR(container_handler_name(c), "wasi");
        CHECK_INT(run_to_end(c), 4);
        char *out = bundle_read(&b, "out");
        const char *want[] = {"hello from wasm\n", "arg[0]=hello.wasm\n", "arg[1]=x\n",
                              "env GREETING=hey\n", "from the rootfs\n"};
        for (size_t i = 0; i < UTIL_ARRAY_LEN(want); i++) {
            if (strstr(out, want[i]) == NULL) {
                fprintf(stderr, "wasi output lacks \"%s\":\n%s\n", want[i], out);
                CHECK(0);
            }
        }
        CHECK(strstr(out, "env X=1") == NULL); /* the env replaced, not merged */
        free(out);
        char p[512];
        snprintf(p, sizeof(p), "%s/tmp/w.txt", b.image);
        char *w = read_text(p);
        CHECK_STR(w, "hi");
        free(w);
    }
    finish(c);
    bundle_remove(&b);
}

/* Exec of a WASI module into a running (native) container. */
static void test_wasi_exec(void)
{
    test_bundle b;
    CHECK_INT(bundle_make(&b, &(bundle_opts){.args = "[\"sleep\",\"600\"]"}), 0);
    CHECK_INT(copy_into(&b, WASM_DIR "/hello.wasm", "/hello.wasm"), 0);
    util_error *err = NULL;
    container *c = bundle_create(&b, "t-wexec", &err);
    CHECK(c != NULL);
    if (c) {
        CHECK(container_start(c, &err) > 0);
        char out[512];
        snprintf(out, sizeof(out), "%s/exec-out", b.dir);
        container_stdio io = {.stdout_path = out, .stderr_path = out};
        CHECK_INT(container_exec_create(c, "w1",
                                        "{\"args\":[\"/hello.wasm\",\"--exit\",\"9\"],"
                                        "\"env\":[\"FROM=exec\"],\"cwd\":\"/\"}",
                                        &io, &err),
                  0);
        pid_t pid = container_exec_start(c, "w1", &err);
        CHECK(pid > 0);
        CHECK_INT(reap_pid(pid), 9);
        char *text = read_text(out);
        CHECK(strstr(text, "hello from wasm\n") != NULL);
        CHECK(strstr(text, "env FROM=exec\n") != NULL);
        free(text);
    }
    util_error_free(&err);
    finish(c);
    bundle_remove(&b);
}

static void test_wasi_trap_and_signal(void)
{
    test_bundle b;
    CHECK_INT(bundle_make(&b, &(bundle_opts){.args = "[\"/hello.wasm\",\"--trap\"]"}), 0);
    CHECK_INT(copy_into(&b, WASM_DIR "/hello.wasm", "/hello.wasm"), 0);
    util_error *err = NULL;
    container *c = bundle_create(&b, "t-trap", &err);
    CHECK(c != NULL);
    if (c) {
        CHECK_INT(run_to_end(c), 134);
        char *out = bundle_read(&b, "out");
        CHECK(strstr(out, "unreachable") != NULL);
        CHECK(strstr(out, "main") != NULL); /* the backtrace names the function */
        free(out);
    }
    finish(c);
    bundle_remove(&b);

    /* a looping module stops on SIGTERM although it is pid 1 */
    CHECK_INT(bundle_make(&b, &(bundle_opts){.args = "[\"/hello.wasm\",\"--loop\"]"}), 0);
    CHECK_INT(copy_into(&b, WASM_DIR "/hello.wasm", "/hello.wasm"), 0);
    c = bundle_create(&b, "t-loop", &err);
    CHECK(c != NULL);
    if (c) {
        pid_t pid = container_start(c, &err);
        CHECK(pid > 0);
        char *out = NULL;
        for (int i = 0; i < 3000; i++) { /* wait until it printed */
            free(out);
            out = bundle_read(&b, "out");
            if (strstr(out, "--loop"))
                break;
            usleep(10000);
        }
        free(out);
        CHECK_INT(container_kill(c, SIGTERM, false, &err), 0);
        CHECK_INT(reap_pid(pid), 128 + SIGTERM);
    }
    util_error_free(&err);
    finish(c);
    bundle_remove(&b);

    /* a broken module fails create, naming the problem */
    CHECK_INT(bundle_make(&b, &(bundle_opts){.args = "[\"/bad.wasm\"]"}), 0);
    char p[512];
    snprintf(p, sizeof(p), "%s/bad.wasm", b.image);
    CHECK_INT(util_write_file_atomic(p, "\0asm\x02\0\0\0", 8, 0644, NULL), 0);
    c = bundle_create(&b, "t-badwasm", &err);
    CHECK(c == NULL);
    CHECK(err && strstr(err->msg, "/bad.wasm") && strstr(err->msg, "malformed"));
    if (err && !strstr(err->msg, "malformed"))
        fprintf(stderr, "bad wasm: %s\n", err->msg);
    util_error_free(&err);
    bundle_remove(&b);
}

#endif

#ifdef APPS_DIR
/* A Spin app image (spin.toml at the root, arg0 "/"): served by our Spin
 * host inside the container; SIGTERM stops it gracefully (exit 0). */
static void test_spin_app(void)
{
    test_bundle b;
    int port = 20000 + (int)(getpid() % 20000);
    char proc[256];
    snprintf(proc, sizeof(proc),
             ",\"env\":[\"PATH=/bin\",\"SPIN_HTTP_LISTEN_ADDR=127.0.0.1:%d\"]", port);
    /* the host network namespace, so the test can connect */
    CHECK_INT(bundle_make(&b, &(bundle_opts){.args = "[\"/\"]", .process = proc,
                                             .namespaces = "[{\"type\":\"pid\"},"
                                                           "{\"type\":\"mount\"}]"}),
              0);
    char *cmd = util_xasprintf("cp -r '%s/spin-wagi/.' '%s/'", APPS_DIR, b.image);
    CHECK_INT(system(cmd), 0);
    free(cmd);
    util_error *err = NULL;
    container *c = bundle_create(&b, "t-spin", &err);
    if (err)
        fprintf(stderr, "create: %s\n", err->msg);
    util_error_free(&err);
    CHECK(c != NULL);
    if (c) {
        CHECK_STR(container_handler_name(c), "spin");
        pid_t pid = container_start(c, &err);
        CHECK(pid > 0);
        char reply[4096] = {0};
        for (int i = 0; i < 1000 && reply[0] == '\0'; i++) {
            int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
            sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
                const char *req = "GET /hello HTTP/1.0\r\nHost: x\r\n\r\n";
                if (write(fd, req, strlen(req)) > 0) {
                    size_t got = 0;
                    ssize_t n;
                    while (got < sizeof(reply) - 1 &&
                           (n = read(fd, reply + got, sizeof(reply) - 1 - got)) > 0)
                        got += (size_t)n;
                }
            } else {
                usleep(20000);
            }
            close(fd);
        }
        CHECK(strstr(reply, "200") != NULL);
        CHECK(strstr(reply, "Hello") != NULL);
        if (!strstr(reply, "Hello")) {
            char *out = bundle_read(&b, "out");
            fprintf(stderr, "spin reply: %s\nspin output: %s\n", reply, out);
            free(out);
        }
        CHECK_INT(container_kill(c, SIGTERM, false, &err), 0);
        CHECK_INT(reap_pid(pid), 0);
        util_error_free(&err);
    }
    finish(c);
    bundle_remove(&b);
}

/* The image's /runtime-config.toml is the app's runtime config in a
 * container (as in containerd-shim-spin), unlike for `up` on a host: an
 * invalid one stops the app at start-up, naming the file. */
static void test_spin_app_reads_the_images_runtime_config(void)
{
    test_bundle b;
    CHECK_INT(bundle_make(&b, &(bundle_opts){.args = "[\"/\"]",
                                             .namespaces = "[{\"type\":\"pid\"},"
                                                           "{\"type\":\"mount\"}]"}),
              0);
    char *cmd = util_xasprintf("cp -r '%s/spin-wagi/.' '%s/' && echo 'not = = toml' > "
                               "'%s/runtime-config.toml'",
                               APPS_DIR, b.image, b.image);
    CHECK_INT(system(cmd), 0);
    free(cmd);
    util_error *err = NULL;
    container *c = bundle_create(&b, "t-spin-rc", &err);
    util_error_free(&err);
    CHECK(c != NULL);
    if (c) {
        pid_t pid = container_start(c, &err);
        CHECK(pid > 0);
        CHECK_INT(reap_pid(pid), 137);
        char *out = bundle_read(&b, "out");
        CHECK(out != NULL && strstr(out, "/runtime-config.toml") != NULL);
        if (out && !strstr(out, "/runtime-config.toml"))
            fprintf(stderr, "spin output: %s\n", out);
        free(out);
        util_error_free(&err);
    }
    finish(c);
    bundle_remove(&b);
}
#endif

int main(void)
{
    if (geteuid() != 0) {
        printf("container tests need root\n0 passed, 1 failed\n");
        return 1;
    }
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    util_error *err = NULL;
    if (runner_register_handlers(&err) < 0) {
        printf("%s\n0 passed, 1 failed\n", err->msg);
        return 1;
    }
    RUN(test_output_and_exit_code);
    RUN(test_fifo_stdout);
    RUN(test_signal_exit);
    RUN(test_hostname_and_pid1);
    RUN(test_cgroup_limits);
    RUN(test_join_network_namespace);
    RUN(test_exec);
    RUN(test_pause_resume_and_stats);
    RUN(test_delete_leaves_nothing);
    RUN(test_create_errors_clean_up);
    RUN(test_user_caps_rlimits_seccomp);
    RUN(test_cri_pod);
    RUN(test_overlay_rootfs);
    RUN(test_cleanup_bundle);
    RUN(test_oom_kill);
    RUN(test_systemd_cgroup_path);
    RUN(test_user_namespace);
#ifdef WASM_DIR
    RUN(test_wasi_module);
    RUN(test_wasi_trap_and_signal);
    RUN(test_wasi_exec);
#endif
#ifdef APPS_DIR
    RUN(test_spin_app);
    RUN(test_spin_app_reads_the_images_runtime_config);
#endif
    return TEST_SUMMARY();
}
