/*
 * path.c - resolving guest paths beneath a directory capability (the
 * contract is in hostio.h; results are host errno values).
 *
 * Every path operation first turns (dirfd, path) into (directory, last
 * component): the directory is opened beneath dirfd, the last component is
 * a plain name the operation applies with an *at() call and AT_SYMLINK_
 * NOFOLLOW / O_NOFOLLOW, so the kernel itself never follows a link we have
 * not checked.
 *
 * Fast path: when the kernel has openat2(2), the directory part is opened
 * in one call with RESOLVE_BENEATH, which refuses `..` above dirfd,
 * absolute paths and symlinks leading out (EXDEV: the walk then gives the
 * precise answer).
 *
 * Careful path (old kernels, seccomp, and whenever the last component is a
 * symlink to follow): a component walk that keeps its own stack of open
 * directories.  Each step is openat(O_PATH|O_DIRECTORY|O_NOFOLLOW); `..`
 * pops the stack and fails with HOSTIO_ENOTCAPABLE at the bottom; a
 * symlink is read with readlinkat and spliced into the remaining path (absolute
 * targets are refused), at most 40 times (ELOOP).  Since no step lets the
 * kernel resolve more than one component, a concurrent rename cannot walk
 * us out either.
 */
#include "hostio.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_SYMLINKS 40

void hostio_path_fini(hostio_path *p)
{
    if (p->owned && p->dirfd >= 0)
        close(p->dirfd);
    p->dirfd = -1;
    p->owned = false;
    free(p->name);
    p->name = NULL;
}

const char *hostio_path_name_slash(const hostio_path *p, char *buf, size_t buflen)
{
    if (!p->must_dir)
        return p->name;
    snprintf(buf, buflen, "%s/", p->name);
    return buf;
}

/* ---- the careful walk -------------------------------------------------- */

typedef struct walk {
    int *fds; /* fds[0] = base (borrowed), the rest owned */
    size_t depth;
    size_t cap;
} walk;

static int walk_top(const walk *w)
{
    return w->fds[w->depth];
}

static void walk_push(walk *w, int fd)
{
    if (w->depth + 1 >= w->cap) {
        w->cap = w->cap * 2 + 8;
        w->fds = util_xrealloc(w->fds, w->cap * sizeof(int));
    }
    w->fds[++w->depth] = fd;
}

static int walk_pop(walk *w)
{
    if (w->depth == 0)
        return HOSTIO_ENOTCAPABLE;
    close(w->fds[w->depth--]);
    return 0;
}

static void walk_free(walk *w, bool keep_top)
{
    size_t last = keep_top ? w->depth : w->depth + 1;
    for (size_t i = 1; i < last && i <= w->depth; i++)
        close(w->fds[i]);
    free(w->fds);
}

/* If `dirfd/name` is a symlink, replaces *work with its target followed by
 * `rest` and returns 1; 0 if it is not a link; a negative errno otherwise. */
static int splice_link(int dirfd, const char *name, const char *rest, char **work, int *links)
{
    char target[4096];
    ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
    if (n < 0)
        return errno == EINVAL ? 0 : (errno == ENOENT ? 0 : -errno);
    target[n] = '\0';
    if (++*links > MAX_SYMLINKS)
        return -ELOOP;
    if (target[0] == '/')
        return -HOSTIO_ENOTCAPABLE;
    if (n == 0)
        return -ENOENT;
    char *next = util_xasprintf("%s%s", target, rest);
    free(*work);
    *work = next;
    return 1;
}

static int walk_resolve(int base, const char *path, bool follow, hostio_path *out)
{
    walk w = {.fds = util_xmalloc(8 * sizeof(int)), .depth = 0, .cap = 8};
    w.fds[0] = base;
    char *work = util_xstrdup(path);
    int links = 0, rc = 0;
    size_t pos = 0;

    for (;;) {
        while (work[pos] == '/')
            pos++;
        if (work[pos] == '\0') { /* a symlink to "" or to "/"-only text */
            rc = ENOENT;
            break;
        }
        size_t end = pos;
        while (work[end] != '\0' && work[end] != '/')
            end++;
        size_t after = end;
        while (work[after] == '/')
            after++;
        bool last = work[after] == '\0';
        bool trailing = last && after > end;
        char *comp = util_xstrndup(work + pos, end - pos);

        if (!last) {
            if (strcmp(comp, ".") == 0) {
                free(comp);
                pos = after;
                continue;
            }
            if (strcmp(comp, "..") == 0) {
                free(comp);
                rc = walk_pop(&w);
                if (rc != 0)
                    break;
                pos = after;
                continue;
            }
            int fd = openat(walk_top(&w), comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd >= 0) {
                walk_push(&w, fd);
                free(comp);
                pos = after;
                continue;
            }
            int e = errno;
            if (e == ELOOP || e == ENOTDIR) {
                /* The rest keeps its leading slash so the splice stays a path. */
                int s = splice_link(walk_top(&w), comp, work + end, &work, &links);
                free(comp);
                if (s < 0) {
                    rc = -s;
                    break;
                }
                if (s == 1) {
                    pos = 0;
                    continue;
                }
                rc = ENOTDIR;
                break;
            }
            free(comp);
            rc = e;
            break;
        }

        /* the last component */
        if (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0) {
            if (comp[1] == '.' && (rc = walk_pop(&w)) != 0) {
                free(comp);
                break;
            }
            free(comp);
            out->name = util_xstrdup(".");
            out->must_dir = true;
            break;
        }
        if (follow || trailing) {
            int s = splice_link(walk_top(&w), comp, trailing ? "/" : "", &work, &links);
            if (s < 0) {
                free(comp);
                rc = -s;
                break;
            }
            if (s == 1) {
                free(comp);
                pos = 0;
                continue;
            }
        }
        out->name = comp;
        out->must_dir = trailing;
        break;
    }
    free(work);
    if (rc == 0) {
        out->dirfd = walk_top(&w);
        out->owned = w.depth > 0;
        walk_free(&w, true);
    } else {
        walk_free(&w, false);
    }
    return rc;
}

/* ---- the openat2 fast path --------------------------------------------- */

#ifdef SYS_openat2
static atomic_int openat2_broken;

/* Returns 0, an errno, or -1 when the fast path does not apply. */
static int fast_resolve(int base, const char *path, bool follow, hostio_path *out)
{
    if (atomic_load_explicit(&openat2_broken, memory_order_relaxed))
        return -1;
    size_t len = strlen(path);
    size_t end = len;
    while (end > 0 && path[end - 1] == '/')
        end--;
    if (end == 0)
        return -1;
    size_t start = end;
    while (start > 0 && path[start - 1] != '/')
        start--;
    char *name = util_xstrndup(path + start, end - start);
    bool trailing = end < len;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || start == 0) {
        free(name); /* nothing to open first, or `..` handling: careful path */
        return -1;
    }
    char *dir = util_xstrndup(path, start);
    struct open_how how = {
        .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    int fd = (int)syscall(SYS_openat2, base, dir, &how, sizeof(how));
    int e = errno;
    free(dir);
    if (fd < 0) {
        free(name);
        if (e == ENOSYS || e == EPERM || e == E2BIG) {
            atomic_store_explicit(&openat2_broken, 1, memory_order_relaxed);
            return -1;
        }
        if (e == EAGAIN || e == EXDEV)
            return -1; /* let the walk give the precise answer */
        return e;
    }
    if (follow || trailing) {
        char buf[2];
        if (readlinkat(fd, name, buf, sizeof(buf)) >= 0) { /* a link to follow */
            close(fd);
            free(name);
            return -1;
        }
    }
    out->dirfd = fd;
    out->owned = true;
    out->name = name;
    out->must_dir = trailing;
    return 0;
}
#endif

void hostio_set_openat2(bool enabled)
{
#ifdef SYS_openat2
    atomic_store_explicit(&openat2_broken, enabled ? 0 : 1, memory_order_relaxed);
#else
    (void)enabled;
#endif
}

int hostio_path_resolve(int base, const char *path, bool follow, hostio_path *out)
{
    out->dirfd = -1;
    out->owned = false;
    out->name = NULL;
    out->must_dir = false;
    if (path[0] == '\0')
        return ENOENT;
    if (path[0] == '/')
        return HOSTIO_ENOTCAPABLE;
#ifdef SYS_openat2
    int rc = fast_resolve(base, path, follow, out);
    if (rc >= 0)
        return rc;
#endif
    return walk_resolve(base, path, follow, out);
}
