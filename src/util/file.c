/*
 * file.c - whole-file I/O and directory helpers.
 *
 * Writes that other processes read (containerd reads the shim's `address`
 * file) go through a temporary file and rename(2), so a reader sees either
 * the old content or the new one, never a torn write.
 */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

ssize_t util_read_all(int fd, void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = read(fd, (char *)buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

ssize_t util_write_all(int fd, const void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, (const char *)buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

int util_read_file(const char *path, char **data, size_t *len, util_error **err)
{
    cleanup_fd int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return util_error_set(err, errno, "open %s", path);
    /* A regular file is read straight into one buffer of its size (+1, so
     * the read that sees EOF needs no growth either): appending 64 KiB
     * chunks to a doubling buffer copied a Wasm module several times into
     * fresh pages, a large part of `run`'s start-up.  Pipes and /proc
     * files (size 0) grow as they go. */
    size_t hint = 65536;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (uintmax_t)st.st_size < SIZE_MAX / 4)
        hint = (size_t)st.st_size + 1;
    util_buf b = {0};
    util_buf_reserve(&b, hint);
    util_prefault(b.data, hint);
    for (;;) {
        if (b.cap - b.len <= 1)
            util_buf_reserve(&b, 65536);
        ssize_t n = read(fd, b.data + b.len, b.cap - b.len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            util_buf_free(&b);
            return util_error_set(err, saved, "read %s", path);
        }
        if (n == 0)
            break;
        b.len += (size_t)n;
    }
    b.data[b.len] = '\0';
    *data = util_buf_steal(&b, len);
    return 0;
}

int util_write_file_atomic(const char *path, const void *data, size_t len, int mode,
                           util_error **err)
{
    return util_replace_file(path, data, len, mode, true, err);
}

int util_replace_file(const char *path, const void *data, size_t len, int mode, bool durable,
                      util_error **err)
{
    cleanup_free char *tmp = util_xasprintf("%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return util_error_set(err, errno, "create %s", tmp);
    if (util_write_all(fd, data, len) != (ssize_t)len || (durable && fsync(fd) < 0)) {
        int saved = errno;
        close(fd);
        unlink(tmp);
        return util_error_set(err, saved, "write %s", tmp);
    }
    close(fd);
    if (rename(tmp, path) < 0) {
        int saved = errno;
        unlink(tmp);
        return util_error_set(err, saved, "rename %s to %s", tmp, path);
    }
    return 0;
}

int util_mkdir_p(const char *path, int mode, util_error **err)
{
    if (path[0] == '\0')
        return util_error_set(err, ENOENT, "mkdir: empty path");
    cleanup_free char *p = util_xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, mode) < 0 && errno != EEXIST)
            return util_error_set(err, errno, "mkdir %s", p);
        *s = '/';
    }
    if (mkdir(p, mode) < 0 && errno != EEXIST)
        return util_error_set(err, errno, "mkdir %s", p);
    return 0;
}
