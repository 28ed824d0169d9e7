/*
 * readdir.c - fd_readdir.
 *
 * A cookie is the index of the next entry in the host's readdir order
 * ("." and ".." included, as other runtimes do), so any cookie a guest got
 * back stays meaningful.  The fd keeps one DIR stream on a fresh open of
 * the directory (its own file position) and remembers which index it is
 * at: the usual sequential calls cost nothing extra, any other cookie
 * rewinds and skips.  An entry that does not fit completely is written as
 * far as it fits, which tells the guest to retry with a bigger buffer.
 */
#include "wasi_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_stream(hostio_fd *f)
{
    if (f->dir != NULL)
        return WE_SUCCESS;
    int fd = openat(f->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return wasi_errno_from_host(errno);
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        int e = errno;
        close(fd);
        return wasi_errno_from_host(e);
    }
    f->dir = d;
    f->dir_pos = 0;
    return WE_SUCCESS;
}

WASI_FN(fd_readdir)
{
    gmem m = gmem_of(caller);
    uint32_t buf = ARG32(1), buf_len = ARG32(2), used_ptr = ARG32(4);
    uint64_t cookie = ARG64(3);
    hostio_fd *f = wasi_fd_get(env, ARG32(0));
    if (f == NULL)
        return RET(WE_BADF);
    if (f->filetype != FT_DIR || f->kind != HOSTIO_FD_HOST)
        return RET(WE_NOTDIR);
    if ((f->rights_base & RIGHT_FD_READDIR) == 0)
        return RET(WE_NOTCAPABLE);
    uint8_t *out = gmem_at(&m, buf, buf_len);
    if (out == NULL || !gmem_ok(&m, used_ptr, 4))
        return RET(WE_FAULT);
    int rc = open_stream(f);
    if (rc != WE_SUCCESS)
        return RET(rc);
    DIR *d = f->dir;
    if (cookie != f->dir_pos) {
        rewinddir(d);
        f->dir_pos = 0;
        while (f->dir_pos < cookie) {
            errno = 0;
            if (readdir(d) == NULL)
                break;
            f->dir_pos++;
        }
        if (f->dir_pos < cookie) /* past the end: nothing more */
            return RET(gmem_put32(&m, used_ptr, 0));
    }
    uint32_t used = 0;
    while (used < buf_len) {
        long here = telldir(d);
        errno = 0;
        struct dirent *e = readdir(d);
        if (e == NULL) {
            if (errno != 0)
                return RET(wasi_errno_from_host(errno));
            break;
        }
        size_t namlen = strlen(e->d_name);
        uint8_t hdr[24] = {0};
        st64(hdr, f->dir_pos + 1);
        st64(hdr + 8, (uint64_t)e->d_ino);
        st32(hdr + 16, (uint32_t)namlen);
        st8(hdr + 20, hostio_dirent_filetype(dirfd(d), e->d_name, e->d_type));
        uint32_t room = buf_len - used;
        if (24 + namlen > room) {
            /* Partial entry: fill the buffer and leave the stream on it. */
            size_t n = room < 24 ? room : 24;
            memcpy(out + used, hdr, n);
            if (room > 24)
                memcpy(out + used + 24, e->d_name, room - 24);
            used = buf_len;
            seekdir(d, here);
            break;
        }
        memcpy(out + used, hdr, 24);
        memcpy(out + used + 24, e->d_name, namlen);
        used += (uint32_t)(24 + namlen);
        f->dir_pos++;
    }
    return RET(gmem_put32(&m, used_ptr, used));
}
