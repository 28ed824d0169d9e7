/*
 * at.c - the operations both WASIs apply to a path beneath a directory
 * (open, mkdir, stat, utimens, link, readlink, rmdir, rename, symlink,
 * unlink), so that preview 1 and 0.2 refuse the same escapes and give the
 * same answers for the same edge cases.
 *
 * Each function resolves the path with hostio_path_resolve (path.c) and
 * applies one *at() system call to the resolved directory and last
 * component, never letting the kernel follow a link: AT_SYMLINK_NOFOLLOW
 * and O_NOFOLLOW everywhere.  A trailing slash is handed back to the kernel
 * only after resolution proved the component is no symlink, so Linux's own
 * trailing-slash rules (file/ -> ENOTDIR, ...) apply.  Results are 0 or a
 * host errno / HOSTIO_ENOTCAPABLE, for each WASI to map to its own codes.
 */
#include "hostio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    hostio_path p;
    char slash[4200]; /* name + "/" when the path ended in one */
} resolved;

static int resolve(int dir, const char *path, bool follow, resolved *r)
{
    return hostio_path_resolve(dir, path, follow, &r->p);
}

static const char *with_slash(resolved *r)
{
    return hostio_path_name_slash(&r->p, r->slash, sizeof(r->slash));
}

static void pair_fini(resolved *a, resolved *b)
{
    hostio_path_fini(&a->p);
    hostio_path_fini(&b->p);
}

/* Both paths of a two-path operation (link, rename; the new one never
 * followed): 0 with both resolved, to be finished with pair_fini, or the
 * first error with nothing left to finish. */
static int resolve_pair(int dir, const char *path, bool follow, int new_dir,
                        const char *new_path, resolved *a, resolved *b)
{
    int rc = resolve(dir, path, follow, a);
    if (rc != 0) {
        hostio_path_fini(&a->p);
        return rc;
    }
    rc = resolve(new_dir, new_path, false, b);
    if (rc != 0)
        pair_fini(a, b);
    return rc;
}

static int errno_or_zero(int rc)
{
    return rc < 0 ? errno : 0;
}

int hostio_open_at(int dir, const char *path, bool follow, int flags, bool nonblock, int *fd_out,
                   struct stat *st)
{
    *fd_out = -1;
    resolved r;
    int rc = resolve(dir, path, follow, &r);
    if (rc != 0) {
        hostio_path_fini(&r.p);
        return rc;
    }
    if ((flags & O_DIRECTORY) && (flags & O_ACCMODE) != O_RDONLY) {
        hostio_path_fini(&r.p);
        return EISDIR; /* a directory is never opened for writing */
    }
    if (r.p.must_dir)
        flags |= O_DIRECTORY;
    if ((flags & O_DIRECTORY) && (flags & O_CREAT)) {
        hostio_path_fini(&r.p);
        return EINVAL;
    }
    /* O_NONBLOCK so opening a FIFO nobody writes cannot hang the host; it
     * is cleared again below unless the caller asked for it. */
    int fd = openat(r.p.dirfd, r.p.name, flags | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK,
                    0666);
    int e = errno;
    if (fd < 0 && e == ELOOP && !follow && (flags & O_DIRECTORY))
        e = ENOTDIR; /* a symlink is not a directory when we may not follow it */
    hostio_path_fini(&r.p);
    if (fd < 0)
        return e;
    if (fstat(fd, st) < 0) {
        e = errno;
        close(fd);
        return e;
    }
    if (!nonblock && !S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode)) {
        int fl = fcntl(fd, F_GETFL);
        if (fl >= 0)
            fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    }
    *fd_out = fd;
    return 0;
}

int hostio_mkdir_at(int dir, const char *path)
{
    resolved r;
    int rc = resolve(dir, path, false, &r);
    if (rc == 0)
        rc = errno_or_zero(mkdirat(r.p.dirfd, r.p.name, 0777));
    hostio_path_fini(&r.p);
    return rc;
}

int hostio_stat_at(int dir, const char *path, bool follow, struct stat *st)
{
    resolved r;
    int rc = resolve(dir, path, follow, &r);
    if (rc == 0) {
        rc = errno_or_zero(fstatat(r.p.dirfd, r.p.name, st, AT_SYMLINK_NOFOLLOW));
        if (rc == 0 && r.p.must_dir && !S_ISDIR(st->st_mode))
            rc = ENOTDIR;
    }
    hostio_path_fini(&r.p);
    return rc;
}

int hostio_utimens_at(int dir, const char *path, bool follow, const struct timespec ts[2])
{
    resolved r;
    int rc = resolve(dir, path, follow, &r);
    if (rc == 0)
        rc = errno_or_zero(utimensat(r.p.dirfd, r.p.name, ts, AT_SYMLINK_NOFOLLOW));
    hostio_path_fini(&r.p);
    return rc;
}

int hostio_link_at(int dir, const char *path, bool follow, int new_dir, const char *new_path)
{
    resolved a, b;
    int rc = resolve_pair(dir, path, follow, new_dir, new_path, &a, &b);
    if (rc != 0)
        return rc;
    struct stat st;
    if (fstatat(a.p.dirfd, a.p.name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
        rc = EPERM; /* hard links to directories: Linux says EPERM too */
    else
        rc = errno_or_zero(linkat(a.p.dirfd, with_slash(&a), b.p.dirfd, with_slash(&b), 0));
    pair_fini(&a, &b);
    return rc;
}

int hostio_readlink_at(int dir, const char *path, char *buf, size_t cap, size_t *len)
{
    *len = 0;
    resolved r;
    int rc = resolve(dir, path, false, &r);
    if (rc == 0) {
        ssize_t n = readlinkat(r.p.dirfd, r.p.name, buf, cap);
        if (n < 0)
            rc = errno;
        else
            *len = (size_t)n;
    }
    hostio_path_fini(&r.p);
    return rc;
}

int hostio_rmdir_at(int dir, const char *path)
{
    resolved r;
    int rc = resolve(dir, path, false, &r);
    if (rc == 0 && unlinkat(r.p.dirfd, r.p.name, AT_REMOVEDIR) < 0)
        rc = errno == EEXIST ? ENOTEMPTY : errno;
    hostio_path_fini(&r.p);
    return rc;
}

int hostio_rename_at(int dir, const char *path, int new_dir, const char *new_path)
{
    resolved a, b;
    int rc = resolve_pair(dir, path, false, new_dir, new_path, &a, &b);
    if (rc != 0)
        return rc;
    /* Only a directory may be named with a trailing slash, on either side. */
    struct stat st;
    if ((a.p.must_dir || b.p.must_dir) &&
        fstatat(a.p.dirfd, a.p.name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
        rc = ENOTDIR;
    else if (renameat(a.p.dirfd, with_slash(&a), b.p.dirfd, with_slash(&b)) < 0)
        rc = errno == EEXIST ? ENOTEMPTY : errno;
    pair_fini(&a, &b);
    return rc;
}

int hostio_symlink_at(const char *target, int dir, const char *path)
{
    resolved r;
    int rc = resolve(dir, path, false, &r);
    if (rc == 0) {
        struct stat st;
        if (target[0] == '/')
            rc = HOSTIO_ENOTCAPABLE; /* could only ever point outside the directory */
        else if (r.p.must_dir) /* "link/" names a directory that would have to exist */
            rc = fstatat(r.p.dirfd, r.p.name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? EEXIST : ENOENT;
        else
            rc = errno_or_zero(symlinkat(target, r.p.dirfd, r.p.name));
    }
    hostio_path_fini(&r.p);
    return rc;
}

int hostio_unlink_at(int dir, const char *path)
{
    resolved r;
    int rc = resolve(dir, path, false, &r);
    if (rc == 0) {
        struct stat st;
        if (r.p.must_dir && fstatat(r.p.dirfd, r.p.name, &st, AT_SYMLINK_NOFOLLOW) == 0)
            rc = S_ISDIR(st.st_mode) ? EISDIR : ENOTDIR;
        else
            rc = errno_or_zero(unlinkat(r.p.dirfd, with_slash(&r), 0));
    }
    hostio_path_fini(&r.p);
    return rc;
}

uint8_t hostio_dirent_filetype(int dirfd, const char *name, unsigned char d_type)
{
    switch (d_type) {
    case DT_REG: return HOSTIO_FT_REG;
    case DT_DIR: return HOSTIO_FT_DIR;
    case DT_LNK: return HOSTIO_FT_SYMLINK;
    case DT_CHR: return HOSTIO_FT_CHAR;
    case DT_BLK: return HOSTIO_FT_BLOCK;
    case DT_SOCK: return HOSTIO_FT_SOCK_STREAM;
    case DT_UNKNOWN: {
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
            return hostio_filetype_from_mode(st.st_mode);
        return HOSTIO_FT_UNKNOWN;
    }
    default: return HOSTIO_FT_UNKNOWN;
    }
}
