/*
 * path_ops.c - the path_* functions.
 *
 * Each one checks the directory descriptor (a file as "directory" is
 * `notdir`, a missing right `notcapable`, a read-only preopen `rofs` for
 * anything that writes), copies the guest path out (path.c) and hands it
 * to the hostio_*_at operation that WASI 0.2 uses too: it resolves the
 * path beneath the directory and applies one *at() system call, so both
 * WASIs refuse the same escapes and treat trailing slashes alike.
 */
#include "wasi_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static int dir_check(wasi_ctx *ctx, uint32_t fd, uint64_t rights, bool writes, hostio_fd **out)
{
    hostio_fd *f = wasi_fd_get(ctx, fd);
    if (f == NULL)
        return WE_BADF;
    if (f->filetype != FT_DIR || f->kind != HOSTIO_FD_HOST)
        return WE_NOTDIR;
    if (writes && f->read_only)
        return WE_ROFS;
    if ((f->rights_base & rights) != rights)
        return WE_NOTCAPABLE;
    *out = f;
    return WE_SUCCESS;
}

/* dir_check + load, the prologue of every function here; the hostio_*_at
 * call that follows resolves the path. */
static int prologue(wasi_ctx *ctx, const gmem *m, uint32_t fd, uint64_t rights, bool writes,
                    uint32_t path, uint32_t path_len, hostio_fd **dir, char **out)
{
    *out = NULL;
    int rc = dir_check(ctx, fd, rights, writes, dir);
    if (rc != WE_SUCCESS)
        return rc;
    return wasi_path_load(m, path, path_len, out);
}

WASI_FN(path_open)
{
    wasi_ctx *ctx = env;
    gmem m = gmem_of(caller);
    uint32_t lookup = ARG32(1), oflags = ARG32(4), fdflags = ARG32(7), fd_ptr = ARG32(8);
    uint64_t want_base = ARG64(5), want_inh = ARG64(6);
    if (!gmem_ok(&m, fd_ptr, 4))
        return RET(WE_FAULT);
    if (oflags & ~(uint32_t)(OFLAG_CREAT | OFLAG_DIRECTORY | OFLAG_EXCL | OFLAG_TRUNC))
        return RET(WE_INVAL);
    if (fdflags & ~(uint32_t)(FDFLAG_APPEND | FDFLAG_DSYNC | FDFLAG_NONBLOCK | FDFLAG_RSYNC |
                              FDFLAG_SYNC))
        return RET(WE_INVAL);
    bool reads = want_base & (RIGHT_FD_READ | RIGHT_FD_READDIR);
    bool writes = (want_base & (RIGHT_FD_DATASYNC | RIGHT_FD_WRITE | RIGHT_FD_ALLOCATE |
                                RIGHT_FD_FILESTAT_SET_SIZE)) ||
                  (fdflags & FDFLAG_APPEND);
    bool modifies = writes || (oflags & (OFLAG_CREAT | OFLAG_TRUNC));
    uint64_t need = RIGHT_PATH_OPEN;
    if (oflags & OFLAG_CREAT)
        need |= RIGHT_PATH_CREATE_FILE;
    if (oflags & OFLAG_TRUNC)
        need |= RIGHT_PATH_FILESTAT_SET_SIZE;

    hostio_fd *dir;
    cleanup_free char *path = NULL;
    int rc = prologue(ctx, &m, ARG32(0), need, modifies, ARG32(2), ARG32(3), &dir, &path);
    if (rc != WE_SUCCESS)
        return RET(rc);
    int flags = writes ? (reads ? O_RDWR : O_WRONLY) : O_RDONLY;
    if (oflags & OFLAG_CREAT)
        flags |= O_CREAT;
    if (oflags & OFLAG_EXCL)
        flags |= O_EXCL;
    if (oflags & OFLAG_TRUNC)
        flags |= O_TRUNC;
    if (oflags & OFLAG_DIRECTORY)
        flags |= O_DIRECTORY;
    if (fdflags & FDFLAG_APPEND)
        flags |= O_APPEND;
    if (fdflags & FDFLAG_DSYNC)
        flags |= O_DSYNC;
    if (fdflags & (FDFLAG_SYNC | FDFLAG_RSYNC))
        flags |= O_SYNC;
    int fd;
    struct stat st;
    rc = hostio_open_at(dir->host, path, lookup & LOOKUP_SYMLINK_FOLLOW, flags,
                        fdflags & FDFLAG_NONBLOCK, &fd, &st);
    if (rc != 0)
        return RET(wasi_errno_from_host(rc));
    hostio_fd nf = {0};
    nf.kind = HOSTIO_FD_HOST;
    nf.host = fd;
    nf.filetype = hostio_filetype_from_mode(st.st_mode);
    nf.fdflags = (uint16_t)fdflags;
    nf.read_only = dir->read_only;
    uint64_t mask = nf.filetype == FT_DIR ? RIGHTS_DIR : RIGHTS_FILE;
    if (nf.filetype != FT_DIR && nf.filetype != FT_REG)
        mask = RIGHTS_FILE | RIGHTS_TTY;
    nf.rights_base = want_base & dir->rights_inheriting & mask;
    nf.rights_inheriting = want_inh & dir->rights_inheriting;
    if (nf.read_only) {
        nf.rights_base &= ~RIGHTS_WRITING;
        nf.rights_inheriting &= ~RIGHTS_WRITING;
    }
    /* Rights the host descriptor cannot honour are not granted. */
    if (!writes)
        nf.rights_base &= ~(RIGHT_FD_WRITE | RIGHT_FD_DATASYNC | RIGHT_FD_ALLOCATE |
                            RIGHT_FD_FILESTAT_SET_SIZE);
    if (!reads)
        nf.rights_base &= ~(RIGHT_FD_READ | RIGHT_FD_READDIR);
    uint32_t guest_fd;
    if ((rc = wasi_fd_insert(ctx, &nf, &guest_fd)) != WE_SUCCESS) {
        close(fd);
        return RET(rc);
    }
    return RET(gmem_put32(&m, fd_ptr, guest_fd));
}

WASI_FN(path_create_directory)
{
    gmem m = gmem_of(caller);
    hostio_fd *dir;
    cleanup_free char *path = NULL;
    int rc = prologue(env, &m, ARG32(0), RIGHT_PATH_CREATE_DIRECTORY, true, ARG32(1), ARG32(2),
                      &dir, &path);
    if (rc == WE_SUCCESS)
        rc = wasi_errno_from_host(hostio_mkdir_at(dir->host, path));
    return RET(rc);
}

int wasi_path_filestat(wasm_caller *caller, wasi_ctx *ctx, uint32_t fd, uint32_t lookup,
                       uint32_t path, uint32_t path_len, uint32_t buf, bool legacy)
{
    gmem m = gmem_of(caller);
    hostio_fd *dir;
    cleanup_free char *p = NULL;
    uint8_t *out = gmem_at(&m, buf, WASI_FILESTAT_SIZE(legacy));
    if (out == NULL)
        return WE_FAULT;
    int rc = prologue(ctx, &m, fd, RIGHT_PATH_FILESTAT_GET, false, path, path_len, &dir, &p);
    struct stat st;
    if (rc == WE_SUCCESS) {
        rc = wasi_errno_from_host(
            hostio_stat_at(dir->host, p, lookup & LOOKUP_SYMLINK_FOLLOW, &st));
        if (rc == WE_SUCCESS)
            wasi_store_filestat(out, &st, legacy);
    }
    return rc;
}

WASI_FN(path_filestat_get)
{
    return RET(wasi_path_filestat(caller, env, ARG32(0), ARG32(1), ARG32(2), ARG32(3), ARG32(4),
                                  false));
}

WASI_FN(path_filestat_set_times)
{
    gmem m = gmem_of(caller);
    struct timespec ts[2];
    int rc = wasi_times_from(ARG64(4), ARG64(5), ARG32(6), ts);
    if (rc != WE_SUCCESS) {
        hostio_fd *d;
        int brc = dir_check(env, ARG32(0), 0, false, &d);
        return RET(brc != WE_SUCCESS ? brc : rc);
    }
    hostio_fd *dir;
    cleanup_free char *path = NULL;
    rc = prologue(env, &m, ARG32(0), RIGHT_PATH_FILESTAT_SET_TIMES, true, ARG32(2), ARG32(3),
                  &dir, &path);
    if (rc == WE_SUCCESS)
        rc = wasi_errno_from_host(
            hostio_utimens_at(dir->host, path, ARG32(1) & LOOKUP_SYMLINK_FOLLOW, ts));
    return RET(rc);
}

WASI_FN(path_link)
{
    gmem m = gmem_of(caller);
    hostio_fd *d1, *d2;
    cleanup_free char *a = NULL;
    cleanup_free char *b = NULL;
    int rc = prologue(env, &m, ARG32(0), RIGHT_PATH_LINK_SOURCE, true, ARG32(2), ARG32(3), &d1,
                      &a);
    if (rc == WE_SUCCESS)
        rc = prologue(env, &m, ARG32(4), RIGHT_PATH_LINK_TARGET, true, ARG32(5), ARG32(6), &d2,
                      &b);
    if (rc == WE_SUCCESS)
        rc = wasi_errno_from_host(
            hostio_link_at(d1->host, a, ARG32(1) & LOOKUP_SYMLINK_FOLLOW, d2->host, b));
    return RET(rc);
}

WASI_FN(path_readlink)
{
    gmem m = gmem_of(caller);
    hostio_fd *dir;
    cleanup_free char *path = NULL;
    uint32_t buf = ARG32(3), buf_len = ARG32(4), used_ptr = ARG32(5);
    uint8_t *dst = gmem_at(&m, buf, buf_len);
    if (dst == NULL || !gmem_ok(&m, used_ptr, 4))
        return RET(WE_FAULT);
    int rc = prologue(env, &m, ARG32(0), RIGHT_PATH_READLINK, false, ARG32(1), ARG32(2), &dir,
                      &path);
    if (rc == WE_SUCCESS) {
        char target[4096];
        size_t n;
        rc = wasi_errno_from_host(hostio_readlink_at(dir->host, path, target, sizeof target, &n));
        if (rc == WE_SUCCESS) {
            size_t len = n < buf_len ? n : buf_len;
            memcpy(dst, target, len);
            rc = gmem_put32(&m, used_ptr, (uint32_t)len);
        }
    }
    return RET(rc);
}

WASI_FN(path_remove_directory)
{
    gmem m = gmem_of(caller);
    hostio_fd *dir;
    cleanup_free char *path = NULL;
    int rc = prologue(env, &m, ARG32(0), RIGHT_PATH_REMOVE_DIRECTORY, true, ARG32(1), ARG32(2),
                      &dir, &path);
    if (rc == WE_SUCCESS)
        rc = wasi_errno_from_host(hostio_rmdir_at(dir->host, path));
    return RET(rc);
}

WASI_FN(path_rename)
{
    gmem m = gmem_of(caller);
    hostio_fd *d1, *d2;
    cleanup_free char *a = NULL;
    cleanup_free char *b = NULL;
    int rc = prologue(env, &m, ARG32(0), RIGHT_PATH_RENAME_SOURCE, true, ARG32(1), ARG32(2), &d1,
                      &a);
    if (rc == WE_SUCCESS)
        rc = prologue(env, &m, ARG32(3), RIGHT_PATH_RENAME_TARGET, true, ARG32(4), ARG32(5), &d2,
                      &b);
    if (rc == WE_SUCCESS)
        rc = wasi_errno_from_host(hostio_rename_at(d1->host, a, d2->host, b));
    return RET(rc);
}

WASI_FN(path_symlink)
{
    gmem m = gmem_of(caller);
    cleanup_free char *target = NULL;
    cleanup_free char *path = NULL;
    hostio_fd *dir;
    int rc = dir_check(env, ARG32(2), RIGHT_PATH_SYMLINK, true, &dir);
    if (rc != WE_SUCCESS)
        return RET(rc);
    if ((rc = wasi_path_load(&m, ARG32(0), ARG32(1), &target)) != WE_SUCCESS)
        return RET(rc);
    rc = prologue(env, &m, ARG32(2), RIGHT_PATH_SYMLINK, true, ARG32(3), ARG32(4), &dir, &path);
    if (rc == WE_SUCCESS)
        rc = wasi_errno_from_host(hostio_symlink_at(target, dir->host, path));
    return RET(rc);
}

WASI_FN(path_unlink_file)
{
    gmem m = gmem_of(caller);
    hostio_fd *dir;
    cleanup_free char *path = NULL;
    int rc = prologue(env, &m, ARG32(0), RIGHT_PATH_UNLINK_FILE, true, ARG32(1), ARG32(2), &dir,
                      &path);
    if (rc == WE_SUCCESS)
        rc = wasi_errno_from_host(hostio_unlink_at(dir->host, path));
    return RET(rc);
}
