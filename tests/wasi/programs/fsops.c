/*
 * fsops.c - a WASI program that performs file-system operations given on
 * its command line with raw preview 1 calls on fd 3 (the first preopen)
 * and prints each result as a WASI errno number, so tests can check the
 * exact errno and that escapes from the sandbox are refused:
 *
 *   fsops read PATH | write PATH TEXT | mkdir PATH | rmdir PATH |
 *         unlink PATH | rename OLD NEW | symlink TARGET PATH |
 *         readlink PATH | stat PATH | lstat PATH | link OLD NEW |
 *         ls PATH | fdread FD | fdwrite FD TEXT | fdstat FD |
 *         send FD TEXT | recv FD | shutdown FD HOW | accept FD |
 *         sleep rel|abs MS | pollfd FD r|w | setflags FD FLAGS |
 *         lssmall PATH BUFSIZE ...
 *
 * Output lines: "read PATH = 0 <content>", "mkdir PATH = 76", ...
 * (on stdout, or stderr with --stderr first).
 * Going through libc would hide the host's answer behind wasi-libc's own
 * preopen matching; raw calls test our host functions themselves.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#define DIRFD 3

/* Results go to stdout, or to stderr after the option --stderr (for tests
 * that break stdout on purpose). */
static FILE *out_stream;

__attribute__((format(printf, 1, 2))) static void report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(out_stream ? out_stream : stdout, fmt, ap);
    va_end(ap);
}

static int open_path(const char *path, int write, __wasi_fd_t *fd)
{
    __wasi_rights_t r = write ? (__WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK)
                              : (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK |
                                 __WASI_RIGHTS_FD_READDIR);
    __wasi_oflags_t o = write ? (__WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC) : 0;
    return __wasi_path_open(DIRFD, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, o, r, r, 0, fd);
}

static void do_read(const char *path)
{
    __wasi_fd_t fd;
    int e = open_path(path, 0, &fd);
    report("read %s = %d", path, e);
    if (e == 0) {
        char buf[256];
        __wasi_iovec_t iov = {(uint8_t *)buf, sizeof(buf) - 1};
        __wasi_size_t n = 0;
        e = __wasi_fd_read(fd, &iov, 1, &n);
        buf[e == 0 ? n : 0] = '\0';
        report(" %s", buf);
        (void)__wasi_fd_close(fd);
    }
    report("\n");
}

static void do_write(const char *path, const char *text)
{
    __wasi_fd_t fd;
    int e = open_path(path, 1, &fd);
    if (e == 0) {
        __wasi_ciovec_t iov = {(const uint8_t *)text, strlen(text)};
        __wasi_size_t n;
        e = __wasi_fd_write(fd, &iov, 1, &n);
        (void)__wasi_fd_close(fd);
    }
    report("write %s = %d\n", path, e);
}

static void do_ls(const char *path)
{
    __wasi_fd_t fd;
    int e = open_path(path, 0, &fd);
    report("ls %s = %d", path, e);
    if (e == 0) {
        static uint8_t buf[4096];
        __wasi_size_t used = 0;
        e = __wasi_fd_readdir(fd, buf, sizeof(buf), 0, &used);
        for (size_t off = 0; e == 0 && off + sizeof(__wasi_dirent_t) <= used;) {
            __wasi_dirent_t d;
            memcpy(&d, buf + off, sizeof(d));
            off += sizeof(d);
            report(" %.*s", (int)d.d_namlen, (const char *)buf + off);
            off += d.d_namlen;
        }
        (void)__wasi_fd_close(fd);
    }
    report("\n");
}

/* Lists a directory through a small buffer, as libc does: resume from the
 * last complete entry's d_next, and grow the buffer when even one entry
 * does not fit.  Prints the number of entries and of calls. */
static void do_ls_small(const char *path, size_t bufsize)
{
    __wasi_fd_t fd;
    int e = open_path(path, 0, &fd);
    if (e != 0) {
        report("lssmall %s = %d\n", path, e);
        return;
    }
    static uint8_t buf[65536];
    __wasi_dircookie_t cookie = 0;
    long entries = 0, calls = 0;
    for (;;) {
        __wasi_size_t used = 0;
        calls++;
        e = __wasi_fd_readdir(fd, buf, bufsize, cookie, &used);
        if (e != 0)
            break;
        size_t off = 0;
        int complete = 0;
        while (off + sizeof(__wasi_dirent_t) <= used) {
            __wasi_dirent_t d;
            memcpy(&d, buf + off, sizeof(d));
            if (off + sizeof(d) + d.d_namlen > used)
                break; /* partial entry */
            entries++;
            complete++;
            cookie = d.d_next;
            off += sizeof(d) + d.d_namlen;
        }
        if (used < bufsize)
            break; /* end of directory */
        if (complete == 0)
            bufsize *= 2;
    }
    (void)__wasi_fd_close(fd);
    report("lssmall %s = %d entries=%ld calls>1=%d\n", path, e, entries, calls > 1);
}

int main(int argc, char **argv)
{
    int first = 1;
    if (argc > 1 && strcmp(argv[1], "--stderr") == 0) {
        out_stream = stderr;
        first = 2;
    }
    for (int i = first; i < argc; i++) {
        const char *op = argv[i];
        const char *a = i + 1 < argc ? argv[i + 1] : "";
        const char *b = i + 2 < argc ? argv[i + 2] : "";
        if (strcmp(op, "read") == 0) {
            do_read(a);
            i += 1;
        } else if (strcmp(op, "write") == 0) {
            do_write(a, b);
            i += 2;
        } else if (strcmp(op, "ls") == 0) {
            do_ls(a);
            i += 1;
        } else if (strcmp(op, "mkdir") == 0) {
            report("mkdir %s = %d\n", a, __wasi_path_create_directory(DIRFD, a));
            i += 1;
        } else if (strcmp(op, "rmdir") == 0) {
            report("rmdir %s = %d\n", a, __wasi_path_remove_directory(DIRFD, a));
            i += 1;
        } else if (strcmp(op, "unlink") == 0) {
            report("unlink %s = %d\n", a, __wasi_path_unlink_file(DIRFD, a));
            i += 1;
        } else if (strcmp(op, "rename") == 0) {
            report("rename %s %s = %d\n", a, b, __wasi_path_rename(DIRFD, a, DIRFD, b));
            i += 2;
        } else if (strcmp(op, "link") == 0) {
            report("link %s %s = %d\n", a, b, __wasi_path_link(DIRFD, 0, a, DIRFD, b));
            i += 2;
        } else if (strcmp(op, "symlink") == 0) {
            report("symlink %s %s = %d\n", a, b, __wasi_path_symlink(a, DIRFD, b));
            i += 2;
        } else if (strcmp(op, "readlink") == 0) {
            char buf[256];
            __wasi_size_t n = 0;
            int e = __wasi_path_readlink(DIRFD, a, (uint8_t *)buf, sizeof(buf) - 1, &n);
            buf[e == 0 ? n : 0] = '\0';
            report("readlink %s = %d %s\n", a, e, buf);
            i += 1;
        } else if (strcmp(op, "stat") == 0 || strcmp(op, "lstat") == 0) {
            __wasi_filestat_t st;
            int e = __wasi_path_filestat_get(
                DIRFD, op[0] == 's' ? __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW : 0, a, &st);
            report("%s %s = %d", op, a, e);
            if (e == 0)
                report(" type=%d size=%llu", st.filetype, (unsigned long long)st.size);
            report("\n");
            i += 1;
        } else if (strcmp(op, "fdwrite") == 0) {
            __wasi_ciovec_t iov = {(const uint8_t *)b, strlen(b)};
            __wasi_size_t n = 0;
            report("fdwrite %s = %d\n", a, __wasi_fd_write((__wasi_fd_t)atoi(a), &iov, 1, &n));
            i += 2;
        } else if (strcmp(op, "fdread") == 0) {
            char buf[64];
            __wasi_iovec_t iov = {(uint8_t *)buf, sizeof(buf)};
            __wasi_size_t n = 0;
            report("fdread %s = %d\n", a, __wasi_fd_read((__wasi_fd_t)atoi(a), &iov, 1, &n));
            i += 1;
        } else if (strcmp(op, "sleep") == 0) {
            /* one clock subscription, relative or absolute on the realtime clock */
            __wasi_subscription_t sub;
            memset(&sub, 0, sizeof(sub));
            sub.userdata = 0x1234;
            sub.u.tag = __WASI_EVENTTYPE_CLOCK;
            uint64_t ns = (uint64_t)atoi(b) * 1000000u;
            if (a[0] == 'a') {
                __wasi_timestamp_t now = 0;
                (void)__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &now);
                sub.u.u.clock.id = __WASI_CLOCKID_REALTIME;
                sub.u.u.clock.timeout = now + ns;
                sub.u.u.clock.flags = __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME;
            } else {
                sub.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
                sub.u.u.clock.timeout = ns;
            }
            __wasi_event_t ev;
            __wasi_size_t n = 0;
            int e = __wasi_poll_oneoff(&sub, &ev, 1, &n);
            report("sleep %s = %d n=%u userdata=%llx type=%d error=%d\n", a, e, (unsigned)n,
                   (unsigned long long)ev.userdata, ev.type, ev.error);
            i += 2;
        } else if (strcmp(op, "pollfd") == 0) {
            /* fd readiness raced against a 10 s timeout */
            __wasi_subscription_t sub[2];
            memset(sub, 0, sizeof(sub));
            sub[0].userdata = 1;
            sub[0].u.tag = b[0] == 'w' ? __WASI_EVENTTYPE_FD_WRITE : __WASI_EVENTTYPE_FD_READ;
            sub[0].u.u.fd_read.file_descriptor = (__wasi_fd_t)atoi(a);
            sub[1].userdata = 2;
            sub[1].u.tag = __WASI_EVENTTYPE_CLOCK;
            sub[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
            sub[1].u.u.clock.timeout = 10000000000ull;
            __wasi_event_t ev[2];
            __wasi_size_t n = 0;
            int e = __wasi_poll_oneoff(sub, ev, 2, &n);
            report("pollfd %s = %d n=%u", a, e, (unsigned)n);
            for (__wasi_size_t k = 0; e == 0 && k < n; k++)
                report(" [userdata=%llu type=%d error=%d nbytes=%llu]",
                       (unsigned long long)ev[k].userdata, ev[k].type, ev[k].error,
                       (unsigned long long)ev[k].fd_readwrite.nbytes);
            report("\n");
            i += 2;
        } else if (strcmp(op, "lssmall") == 0) {
            do_ls_small(a, (size_t)atoi(b));
            i += 2;
        } else if (strcmp(op, "setflags") == 0) {
            report("setflags %s = %d\n", a,
                   __wasi_fd_fdstat_set_flags((__wasi_fd_t)atoi(a), (__wasi_fdflags_t)atoi(b)));
            i += 2;
        } else if (strcmp(op, "fdstat") == 0) {
            __wasi_fdstat_t st;
            int e = __wasi_fd_fdstat_get((__wasi_fd_t)atoi(a), &st);
            report("fdstat %s = %d", a, e);
            if (e == 0)
                report(" type=%d flags=%d", st.fs_filetype, st.fs_flags);
            report("\n");
            i += 1;
        } else if (strcmp(op, "send") == 0) {
            __wasi_ciovec_t iov = {(const uint8_t *)b, strlen(b)};
            __wasi_size_t n = 0;
            int e = __wasi_sock_send((__wasi_fd_t)atoi(a), &iov, 1, 0, &n);
            report("send %s = %d %u\n", a, e, (unsigned)n);
            i += 2;
        } else if (strcmp(op, "recv") == 0) {
            char buf[64];
            __wasi_iovec_t iov = {(uint8_t *)buf, sizeof(buf) - 1};
            __wasi_size_t n = 0;
            __wasi_roflags_t fl = 0;
            int e = __wasi_sock_recv((__wasi_fd_t)atoi(a), &iov, 1, 0, &n, &fl);
            buf[e == 0 ? n : 0] = '\0';
            report("recv %s = %d %s\n", a, e, buf);
            i += 1;
        } else if (strcmp(op, "shutdown") == 0) {
            report("shutdown %s = %d\n", a,
                   __wasi_sock_shutdown((__wasi_fd_t)atoi(a), (__wasi_sdflags_t)atoi(b)));
            i += 2;
        } else if (strcmp(op, "accept") == 0) {
            __wasi_fd_t fd;
            report("accept %s = %d\n", a, __wasi_sock_accept((__wasi_fd_t)atoi(a), 0, &fd));
            i += 1;
        } else {
            fprintf(stderr, "fsops: unknown operation %s\n", op);
            return 2;
        }
    }
    return 0;
}
