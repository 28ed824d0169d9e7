/*
 * stdio_rights.c - tries every direction on the stdio descriptors and
 * prints the errno of each call (0 = success), so the test can check that
 * stdin only reads and stdout/stderr only write, whatever host object
 * (a regular file, a memfd) the embedder put behind them.
 */
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

/* Writes with fd_write directly: stdio's buffering must not be what
 * touches fd 1 between the probes. */
static void say(const char *name, int e)
{
    char line[64];
    int n = snprintf(line, sizeof line, "%s %d\n", name, e);
    __wasi_ciovec_t iov = {(const uint8_t *)line, (size_t)n};
    __wasi_size_t w;
    if (__wasi_fd_write(1, &iov, 1, &w) != 0)
        __wasi_proc_exit(3);
}

int main(void)
{
    char buf[16];
    __wasi_iovec_t in = {(uint8_t *)buf, sizeof buf};
    __wasi_ciovec_t out = {(const uint8_t *)"x", 1};
    __wasi_size_t n;
    __wasi_filesize_t pos;
    __wasi_fdstat_t st;

    say("read0", __wasi_fd_read(0, &in, 1, &n));
    say("write0", __wasi_fd_write(0, &out, 1, &n));
    say("read1", __wasi_fd_read(1, &in, 1, &n));
    say("pread1", __wasi_fd_pread(1, &in, 1, 0, &n));
    say("seek1", __wasi_fd_seek(1, 0, __WASI_WHENCE_SET, &pos));
    say("tell1", __wasi_fd_tell(1, &pos));
    say("read2", __wasi_fd_read(2, &in, 1, &n));
    say("seek2", __wasi_fd_seek(2, 0, __WASI_WHENCE_SET, &pos));
    say("write2", __wasi_fd_write(2, &out, 1, &n));
    /* rights can only shrink: asking fd 1 for read back is refused */
    say("regain1", __wasi_fd_fdstat_set_rights(1, __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_READ,
                                                0));
    if (__wasi_fd_fdstat_get(1, &st) == 0)
        say("rights1_read_or_seek",
            (st.fs_rights_base & (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK |
                                  __WASI_RIGHTS_FD_TELL)) != 0);
    if (__wasi_fd_fdstat_get(0, &st) == 0)
        say("rights0_write", (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE) != 0);
    return 0;
}
