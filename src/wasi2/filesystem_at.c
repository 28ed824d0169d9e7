/*
 * filesystem_at.c - the descriptor methods that take a path: open-at,
 * stat-at, create-directory-at, rename-at, ... .
 *
 * Each checks the directory descriptor (a file is `not-directory`; a
 * change below a read-only preopen is `read-only`; a change through a
 * descriptor without mutate-directory is `not-permitted`), copies the path
 * out of the guest's string, and hands both to the hostio_*_at operation
 * preview 1 uses too: it resolves the path beneath the directory, so `..`
 * above it, absolute paths and symlinks pointing out come back as
 * HOSTIO_ENOTCAPABLE, which is `not-permitted` here.
 */
#include "fsnet.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

typedef struct {
    wasi2_descriptor *dir;
    char *path;
} at_args;

static wasi2_descriptor *desc_of(const component_val *v)
{
    return (wasi2_descriptor *)v->of.resource.rep;
}

/* 0 when `d` is a directory this operation may use. */
static int dir_check(const wasi2_descriptor *d, bool mutates)
{
    if (d->filetype != HOSTIO_FT_DIR)
        return ENOTDIR;
    if (mutates && d->read_only)
        return EROFS;
    if (mutates && !(d->fdflags & DF_MUTATE_DIRECTORY))
        return EPERM;
    return 0;
}

/* dir_check, then the path as a C string (heap; a NUL inside is EILSEQ). */
static int prologue(const component_val *dir, const component_val *path, bool mutates,
                    at_args *out)
{
    out->dir = desc_of(dir);
    out->path = NULL;
    int e = dir_check(out->dir, mutates);
    if (e != 0)
        return e;
    out->path = wasi2_cstring(path);
    return out->path == NULL ? EILSEQ : 0;
}

static bool follows(const component_val *path_flags)
{
    return path_flags->of.flags & PF_SYMLINK_FOLLOW;
}

/* stat-at and metadata-hash-at: (self, path-flags, path) -> what `val`
 * makes of the stat. */
static int stat_at_result(component_call *call, component_val *result, const component_val *args,
                          int (*val)(component_call *call, const struct stat *st,
                                     component_val *out))
{
    at_args a;
    struct stat st;
    int e = prologue(&args[0], &args[2], false, &a);
    cleanup_free char *path = a.path;
    if (e == 0)
        e = hostio_stat_at(a.dir->host, path, follows(&args[1]), &st);
    return wasi2_fs_stat_result(call, result, e, &st, val);
}

/* The methods that change one name and take nothing else, (self, path)
 * -> result<_, error-code>: create-directory-at, remove-directory-at,
 * unlink-file-at. */
static int change_at(component_call *call, component_val *result, const component_val *args,
                     int (*op)(int dir, const char *path))
{
    at_args a;
    int e = prologue(&args[0], &args[1], true, &a);
    cleanup_free char *path = a.path;
    if (e == 0)
        e = op(a.dir->host, path);
    return wasi2_fs_done(call, result, e);
}

WASI2_HOST_FN(wasi2_fs_open_at)
{
    (void)nargs;
    const wasi2_fsnet_reg *reg = env;
    uint64_t oflags = args[3].of.flags, flags = args[4].of.flags;
    bool writes = flags & DF_WRITE, creates = oflags & (OF_CREATE | OF_TRUNCATE);
    at_args a;
    int e = prologue(&args[0], &args[2], false, &a);
    cleanup_free char *path = a.path;
    if (e == 0 && (writes || creates || (flags & DF_MUTATE_DIRECTORY)) && a.dir->read_only)
        e = EROFS;
    if (e == 0 && creates && !(a.dir->fdflags & DF_MUTATE_DIRECTORY))
        e = EPERM;
    if (e == 0 && (oflags & OF_TRUNCATE) && !writes)
        e = EINVAL; /* truncating is writing: it needs the write flag */
    if (e != 0)
        return wasi2_fs_done(call, result, e);

    int how = writes ? ((flags & DF_READ) ? O_RDWR : O_WRONLY) : O_RDONLY;
    if (oflags & OF_CREATE)
        how |= O_CREAT;
    if (oflags & OF_EXCLUSIVE)
        how |= O_EXCL;
    if (oflags & OF_TRUNCATE)
        how |= O_TRUNC;
    if (oflags & OF_DIRECTORY)
        how |= O_DIRECTORY;
    if (flags & DF_DATA_INTEGRITY_SYNC)
        how |= O_DSYNC;
    if (flags & (DF_FILE_INTEGRITY_SYNC | DF_REQUESTED_WRITE_SYNC))
        how |= O_SYNC;
    int fd;
    struct stat st;
    e = hostio_open_at(a.dir->host, path, follows(&args[1]), how, false, &fd, &st);
    if (e != 0)
        return wasi2_fs_done(call, result, e);
    uint8_t ft = hostio_filetype_from_mode(st.st_mode);
    /* A directory keeps the rights of the one it was opened through, as
     * a preopen's subdirectories do in other runtimes; a file gets what
     * was asked for. */
    uint32_t granted = ft == HOSTIO_FT_DIR
                           ? a.dir->fdflags & (DF_READ | DF_MUTATE_DIRECTORY)
                           : (uint32_t)flags & ~(uint32_t)DF_MUTATE_DIRECTORY;
    wasi2_descriptor *d = wasi2_descriptor_new(fd, ft, granted, a.dir->read_only);
    component_val v = wasi2_own(reg->fs.descriptor, d);
    return wv_ok(call, result, &v);
}

WASI2_HOST_FN(wasi2_fs_create_directory_at)
{
    (void)env;
    (void)nargs;
    return change_at(call, result, args, hostio_mkdir_at);
}

WASI2_HOST_FN(wasi2_fs_stat_at)
{
    (void)env;
    (void)nargs;
    return stat_at_result(call, result, args, wasi2_fs_stat_val);
}

WASI2_HOST_FN(wasi2_fs_metadata_hash_at)
{
    (void)env;
    (void)nargs;
    return stat_at_result(call, result, args, wasi2_fs_hash_val);
}

WASI2_HOST_FN(wasi2_fs_set_times_at)
{
    (void)env;
    (void)nargs;
    at_args a;
    int e = prologue(&args[0], &args[2], true, &a);
    cleanup_free char *path = a.path;
    struct timespec ts[2];
    bool atime_ok = wasi2_fs_timespec(&args[3], &ts[0]);
    bool mtime_ok = wasi2_fs_timespec(&args[4], &ts[1]);
    if (e == 0 && !(atime_ok && mtime_ok))
        e = EINVAL;
    if (e == 0)
        e = hostio_utimens_at(a.dir->host, path, follows(&args[1]), ts);
    return wasi2_fs_done(call, result, e);
}

WASI2_HOST_FN(wasi2_fs_link_at)
{
    (void)env;
    (void)nargs;
    at_args a, b = {0};
    int e = prologue(&args[0], &args[2], true, &a);
    cleanup_free char *old_path = a.path;
    if (e == 0)
        e = prologue(&args[3], &args[4], true, &b);
    cleanup_free char *new_path = b.path;
    if (e == 0)
        e = hostio_link_at(a.dir->host, old_path, follows(&args[1]), b.dir->host, new_path);
    return wasi2_fs_done(call, result, e);
}

WASI2_HOST_FN(wasi2_fs_readlink_at)
{
    (void)env;
    (void)nargs;
    at_args a;
    char target[4096];
    size_t n = 0;
    int e = prologue(&args[0], &args[1], false, &a);
    cleanup_free char *path = a.path;
    if (e == 0)
        e = hostio_readlink_at(a.dir->host, path, target, sizeof target, &n);
    if (e == 0 && n == sizeof target)
        e = ENAMETOOLONG;
    if (e == 0 && !wasi2_utf8_valid(target, n))
        e = EILSEQ;
    if (e != 0)
        return wasi2_fs_done(call, result, e);
    component_val v;
    if (wasi2_val_string(call, &v, target, n) < 0)
        return -1;
    return wv_ok(call, result, &v);
}

WASI2_HOST_FN(wasi2_fs_remove_directory_at)
{
    (void)env;
    (void)nargs;
    return change_at(call, result, args, hostio_rmdir_at);
}

WASI2_HOST_FN(wasi2_fs_rename_at)
{
    (void)env;
    (void)nargs;
    at_args a, b = {0};
    int e = prologue(&args[0], &args[1], true, &a);
    cleanup_free char *old_path = a.path;
    if (e == 0)
        e = prologue(&args[2], &args[3], true, &b);
    cleanup_free char *new_path = b.path;
    if (e == 0)
        e = hostio_rename_at(a.dir->host, old_path, b.dir->host, new_path);
    return wasi2_fs_done(call, result, e);
}

WASI2_HOST_FN(wasi2_fs_symlink_at)
{
    (void)env;
    (void)nargs;
    at_args a;
    int e = prologue(&args[0], &args[2], true, &a);
    cleanup_free char *path = a.path;
    cleanup_free char *target = e == 0 ? wasi2_cstring(&args[1]) : NULL;
    if (e == 0 && target == NULL)
        e = EILSEQ;
    if (e == 0)
        e = hostio_symlink_at(target, a.dir->host, path);
    return wasi2_fs_done(call, result, e);
}

WASI2_HOST_FN(wasi2_fs_unlink_file_at)
{
    (void)env;
    (void)nargs;
    return change_at(call, result, args, hostio_unlink_at);
}
