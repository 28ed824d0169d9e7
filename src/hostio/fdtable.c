/*
 * fdtable.c - the descriptor table a guest's numbers index.
 *
 * A plain array indexed by guest fd: the embedder fills the first slots
 * (stdio, then preopens, in its order) and new descriptors take the
 * lowest free slot, as POSIX does, which is what guests that print their
 * fds expect.  A free slot is all zeros with host = -1, so an entry can be
 * released twice safely.  Closing is the table's job alone: an entry
 * owns its host descriptor (unless borrowed from the embedder), its
 * directory stream and its preopen name, and releasing it frees all three.
 */
#include "hostio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

uint8_t hostio_filetype_from_mode(unsigned mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: return HOSTIO_FT_REG;
    case S_IFDIR: return HOSTIO_FT_DIR;
    case S_IFCHR: return HOSTIO_FT_CHAR;
    case S_IFBLK: return HOSTIO_FT_BLOCK;
    case S_IFLNK: return HOSTIO_FT_SYMLINK;
    case S_IFSOCK: return HOSTIO_FT_SOCK_STREAM;
    default: return HOSTIO_FT_UNKNOWN;
    }
}

static void slot_clear(hostio_fd *f)
{
    memset(f, 0, sizeof(*f));
    f->kind = HOSTIO_FD_FREE;
    f->host = -1;
}

void hostio_fdtable_init(hostio_fdtable *t, uint32_t nslots)
{
    t->nfds = nslots;
    t->fds = util_xcalloc(nslots ? nslots : 1, sizeof(hostio_fd));
    for (uint32_t i = 0; i < nslots; i++)
        slot_clear(&t->fds[i]);
}

void hostio_fd_release(hostio_fd *f)
{
    if (f->dir != NULL)
        closedir(f->dir); /* owns a dup of the descriptor */
    if (f->kind == HOSTIO_FD_HOST && !f->borrowed && f->host >= 0)
        close(f->host);
    free(f->preopen);
    slot_clear(f);
}

void hostio_fdtable_free(hostio_fdtable *t)
{
    if (t->fds == NULL)
        return;
    for (uint32_t i = 0; i < t->nfds; i++)
        hostio_fd_release(&t->fds[i]);
    free(t->fds);
    t->fds = NULL;
    t->nfds = 0;
}

hostio_fd *hostio_fd_get(hostio_fdtable *t, uint32_t fd)
{
    if (fd >= t->nfds || t->fds[fd].kind == HOSTIO_FD_FREE)
        return NULL;
    return &t->fds[fd];
}

int hostio_fd_check(hostio_fdtable *t, uint32_t fd, uint64_t rights, hostio_fd **out)
{
    hostio_fd *f = hostio_fd_get(t, fd);
    if (f == NULL)
        return EBADF;
    if ((f->rights_base & rights) != rights)
        return HOSTIO_ENOTCAPABLE;
    *out = f;
    return 0;
}

int hostio_fd_insert(hostio_fdtable *t, const hostio_fd *proto, uint32_t *out)
{
    uint32_t i;
    for (i = 0; i < t->nfds; i++)
        if (t->fds[i].kind == HOSTIO_FD_FREE)
            break;
    if (i == t->nfds) {
        if (t->nfds >= HOSTIO_FD_MAX)
            return ENFILE;
        uint32_t n = t->nfds * 2 + 8;
        if (n > HOSTIO_FD_MAX)
            n = HOSTIO_FD_MAX;
        t->fds = util_xrealloc(t->fds, n * sizeof(hostio_fd));
        for (uint32_t j = t->nfds; j < n; j++)
            slot_clear(&t->fds[j]);
        t->nfds = n;
    }
    t->fds[i] = *proto;
    *out = i;
    return 0;
}

int hostio_fd_renumber(hostio_fdtable *t, uint32_t from, uint32_t to)
{
    hostio_fd *a = hostio_fd_get(t, from), *b = hostio_fd_get(t, to);
    if (a == NULL || b == NULL)
        return EBADF;
    if (from == to)
        return 0;
    hostio_fd_release(b);
    *b = *a;
    slot_clear(a); /* ownership moved to `to`, nothing to close */
    return 0;
}

int hostio_fd_open_preopen(hostio_fd *f, const char *host_path, const char *guest_name,
                           bool read_only, util_error **err)
{
    if (host_path == NULL || guest_name == NULL)
        return util_error_set(err, 0, "a preopen needs both a host and a guest path");
    int fd = open(host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return util_error_set(err, errno, "preopen directory %s", host_path);
    slot_clear(f);
    f->kind = HOSTIO_FD_HOST;
    f->host = fd;
    f->filetype = HOSTIO_FT_DIR;
    f->read_only = read_only;
    f->preopen = util_xstrdup(guest_name);
    return 0;
}
