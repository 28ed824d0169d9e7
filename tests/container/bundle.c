/*
 * bundle.c - see bundle.h.
 */
#include "bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int counter;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int copy_file(const char *from, const char *to)
{
    char *data;
    size_t len;
    if (util_read_file(from, &data, &len, NULL) < 0)
        return -1;
    int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    int rc = fd >= 0 && util_write_all(fd, data, len) == (ssize_t)len ? 0 : -1;
    if (fd >= 0)
        close(fd);
    free(data);
    return rc;
}

int bundle_make(test_bundle *b, const bundle_opts *o)
{
    memset(b, 0, sizeof(*b));
    snprintf(b->dir, sizeof(b->dir), "/tmp/ctr-test-XXXXXX");
    if (mkdtemp(b->dir) == NULL)
        return -1;
    snprintf(b->image, sizeof(b->image), "%s/image", b->dir);
    snprintf(b->rootfs, sizeof(b->rootfs), "%s/rootfs", b->dir);
    if (o->cgroup)
        snprintf(b->cgroup, sizeof(b->cgroup), "%s", o->cgroup);
    else
        snprintf(b->cgroup, sizeof(b->cgroup), "/ctr-test-%d-%d", (int)getpid(), ++counter);
    char path[512];
    static const char *const dirs[] = {"", "/bin", "/tmp", "/proc", "/dev", "/sys", "/etc"};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(dirs); i++) {
        snprintf(path, sizeof(path), "%s%s", b->image, dirs[i]);
        if (mkdir(path, 0755) < 0)
            return -1;
    }
    mkdir(b->rootfs, 0711);
    snprintf(path, sizeof(path), "%s/bin/busybox", b->image);
    if (copy_file("/bin/busybox", path) < 0)
        return -1;
    static const char *const applets[] = {"sh", "echo", "cat", "sleep", "hostname", "readlink",
                                          "id", "mkdir", "ls", "true", "touch", "grep", "head",
                                          "tr", "wc"};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(applets); i++) {
        snprintf(path, sizeof(path), "%s/bin/%s", b->image, applets[i]);
        if (symlink("busybox", path) < 0)
            return -1;
    }
    const char *ns = o->namespaces
                         ? o->namespaces
                         : "[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"ipc\"},"
                           "{\"type\":\"uts\"},{\"type\":\"network\"}]";
    char *cfg = util_xasprintf(
        "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":%s,\"env\":[\"PATH=/bin\",\"X=1\"],"
        "\"cwd\":\"/\"%s},\"root\":{\"path\":\"rootfs\"},%s"
        "\"mounts\":%s,"
        "\"linux\":{\"namespaces\":%s,\"cgroupsPath\":\"%s\","
        "\"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\"]%s}}",
        o->args, o->process ? o->process : "", o->top ? o->top : "",
        o->mounts ? o->mounts
                  : "[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
                    "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
                    "\"options\":[\"nosuid\",\"mode=755\"]}]",
        ns, b->cgroup,
        o->linux ? o->linux : "");
    snprintf(path, sizeof(path), "%s/config.json", b->dir);
    int rc = util_write_file_atomic(path, cfg, strlen(cfg), 0644, NULL);
    free(cfg);
    static const char *const rbind[] = {"rbind"};
    b->mount = (container_mount){"bind", b->image, rbind, 1};
    return rc;
}

void bundle_remove(test_bundle *b)
{
    if (b->dir[0] == '\0')
        return;
    /* never rm -rf through a mount */
    umount2(b->rootfs, MNT_DETACH);
    char *cmd = util_xasprintf("rm -rf '%s'", b->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", b->dir);
    free(cmd);
    /* the cgroup, if a failing test left it */
    static const char *const ctl[] = {"memory", "cpu", "cpuacct", "pids", "freezer", "cpuset",
                                      "blkio", "devices", "systemd", "unified", ""};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(ctl); i++) {
        char p[512];
        snprintf(p, sizeof(p), "/sys/fs/cgroup/%s%s", ctl[i], b->cgroup);
        rmdir(p);
    }
    b->dir[0] = '\0';
}

container *bundle_create(test_bundle *b, const char *id, util_error **err)
{
    char out[512];
    snprintf(out, sizeof(out), "%s/out", b->dir);
    container_create_options o = {
        .id = id,
        .bundle = b->dir,
        .rootfs = &b->mount,
        .n_rootfs = 1,
        .stdio = {.stdin_path = NULL, .stdout_path = out, .stderr_path = out},
    };
    return container_create(&o, err);
}

int reap_pid(pid_t pid)
{
    int st = 0;
    for (int i = 0; i < 6000; i++) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            int status = -1;
            container_process_exited(pid, st, NULL, &status);
            return container_wait_status_to_exit(st);
        }
        if (r < 0)
            return -1;
        sleep_ms(10);
    }
    char p[64];
    snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
    char *stat = read_text(p);
    snprintf(p, sizeof(p), "/proc/%d/wchan", (int)pid);
    char *wchan = read_text(p);
    snprintf(p, sizeof(p), "/proc/%d/stack", (int)pid);
    char *stack = read_text(p);
    fprintf(stderr, "pid %d did not exit (stat %s, wchan %s)\n%s\nkilling it\n", (int)pid, stat,
            wchan, stack);
    free(stat);
    free(wchan);
    free(stack);
    kill(pid, SIGKILL);
    /* bounded here too: a pid-namespace init cannot finish exiting while
     * one of its processes is an unreaped zombie */
    for (int i = 0; i < 1000; i++) {
        if (waitpid(pid, &st, WNOHANG) == pid) {
            container_process_exited(pid, st, NULL, NULL);
            break;
        }
        sleep_ms(10);
    }
    return -1;
}

char *read_text(const char *path)
{
    char *data;
    size_t len;
    if (util_read_file(path, &data, &len, NULL) < 0)
        return util_xstrdup("");
    return data;
}

char *bundle_read(const test_bundle *b, const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", b->dir, name);
    return read_text(path);
}

int wait_for_file(const char *path)
{
    for (int i = 0; i < 3000; i++) {
        if (access(path, F_OK) == 0)
            return 0;
        sleep_ms(10);
    }
    return -1;
}
