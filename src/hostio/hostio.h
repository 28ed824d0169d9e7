/*
 * hostio.h - the host side of a guest's file system, shared by WASI
 * preview 1 (src/wasi) and WASI 0.2: capability-safe path resolution and
 * the descriptor table.  The only door into src/hostio; it knows nothing
 * of Wasm (no guest memory, no engine): a WASI layer turns guest pointers
 * into host strings first and hostio's answers into its own errno.
 *
 * Results are 0 or a host errno value (ENOENT, ELOOP, ...).  One answer has
 * no errno: a path that would leave the directory it is resolved beneath
 * (`..` above it, an absolute path, a symlink pointing out) is
 * HOSTIO_ENOTCAPABLE, which preview 1 calls `notcapable`.
 *
 * Paths: every path operation first turns (directory fd, path) into
 * (directory, last component) with hostio_path_resolve; the operation is
 * then applied to the last component with an *at() call and
 * AT_SYMLINK_NOFOLLOW / O_NOFOLLOW, so the kernel never follows a link
 * hostio has not checked.  The operations both WASIs need (open, mkdir,
 * stat, rename, ...) are here as hostio_*_at, so preview 1 and 0.2 give
 * the same answers.  openat2(RESOLVE_BENEATH) where the kernel has
 * it, a component walk otherwise; both refuse the same escapes.
 *
 * Descriptors: a hostio_fdtable numbers host descriptors for a guest, the
 * lowest free slot first as POSIX does.  An entry carries what the host
 * side needs (the descriptor, whether it is borrowed from the embedder or
 * lies below a read-only preopen, its preopen name, a directory stream, a
 * write budget) and two rights bitsets whose bits the WASI layer defines:
 * hostio only checks that an entry holds the rights asked for.
 *
 * A table belongs to one guest on one thread; path resolution is
 * thread-safe.
 */
#ifndef HOSTIO_HOSTIO_H
#define HOSTIO_HOSTIO_H

#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

/* Above every errno Linux defines (they end at 4095). */
#define HOSTIO_ENOTCAPABLE 4096

/* ---- paths ------------------------------------------------------------- */

/* A path resolved beneath a directory descriptor: `dirfd` is the directory
 * holding the last component `name` (one component, never "..", never a
 * symlink still to follow).  `must_dir` records a trailing slash. */
typedef struct hostio_path {
    int dirfd;
    bool owned; /* dirfd is ours to close (hostio_path_fini) */
    char *name;
    bool must_dir;
} hostio_path;

/* Resolves `path` beneath directory `base`; `follow` follows a symlink in
 * the last component too (still beneath base).  Returns 0 with *out to be
 * freed with hostio_path_fini, or an errno / HOSTIO_ENOTCAPABLE (and *out
 * safe to fini).  Symlinks are followed at most 40 times (ELOOP). */
int hostio_path_resolve(int base, const char *path, bool follow, hostio_path *out);
void hostio_path_fini(hostio_path *p);
/* `name` with a trailing "/" added back when must_dir, for the *at calls
 * whose POSIX semantics on trailing slashes the caller wants. */
const char *hostio_path_name_slash(const hostio_path *p, char *buf, size_t buflen);
/* openat2 on or off, process-wide: off is for seccomp policies that kill
 * on unknown system calls, and lets tests exercise the walk. */
void hostio_set_openat2(bool enabled);

/* ---- operations on paths ---------------------------------------------- */

/* What both WASIs do to (directory, path): each resolves `path` beneath
 * `dir` as hostio_path_resolve does and applies one *at() call that never
 * follows a link hostio has not checked.  0 or an errno /
 * HOSTIO_ENOTCAPABLE; nothing to release afterwards. */

/* openat(2) with `flags` (O_ACCMODE, O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY,
 * O_APPEND, O_*SYNC; CLOEXEC and NOFOLLOW are added), mode 0666.
 * O_DIRECTORY with write access is EISDIR; O_DIRECTORY or a trailing
 * slash with O_CREAT is EINVAL.  A FIFO
 * is opened without blocking, and left non-blocking only if `nonblock`.
 * *fd_out and *st (its fstat) are set on success. */
int hostio_open_at(int dir, const char *path, bool follow, int flags, bool nonblock, int *fd_out,
                   struct stat *st);
int hostio_mkdir_at(int dir, const char *path);
/* lstat of the resolved path (the link itself unless `follow`). */
int hostio_stat_at(int dir, const char *path, bool follow, struct stat *st);
int hostio_utimens_at(int dir, const char *path, bool follow, const struct timespec ts[2]);
/* A hard link new_dir/new_path to dir/path; a directory is EPERM. */
int hostio_link_at(int dir, const char *path, bool follow, int new_dir, const char *new_path);
/* The link's target into buf (not NUL-terminated, cut at cap). */
int hostio_readlink_at(int dir, const char *path, char *buf, size_t cap, size_t *len);
/* rmdir; a directory with entries is ENOTEMPTY (never EEXIST). */
int hostio_rmdir_at(int dir, const char *path);
int hostio_rename_at(int dir, const char *path, int new_dir, const char *new_path);
/* A symlink at dir/path to `target`; an absolute target is
 * HOSTIO_ENOTCAPABLE (it could only point out). */
int hostio_symlink_at(const char *target, int dir, const char *path);
/* unlink of a non-directory. */
int hostio_unlink_at(int dir, const char *path);
/* The filetype of a directory entry from its d_type (an fstatat of
 * dirfd/name when the file system does not tell). */
uint8_t hostio_dirent_filetype(int dirfd, const char *name, unsigned char d_type);

/* ---- descriptors ------------------------------------------------------- */

/* What a descriptor is, numbered as WASI preview 1's filetype (so that
 * layer stores it unchanged); a FIFO is UNKNOWN there. */
typedef enum {
    HOSTIO_FT_UNKNOWN = 0,
    HOSTIO_FT_BLOCK = 1,
    HOSTIO_FT_CHAR = 2,
    HOSTIO_FT_DIR = 3,
    HOSTIO_FT_REG = 4,
    HOSTIO_FT_SOCK_DGRAM = 5,
    HOSTIO_FT_SOCK_STREAM = 6,
    HOSTIO_FT_SYMLINK = 7,
} hostio_filetype;

/* The filetype of a st_mode. */
uint8_t hostio_filetype_from_mode(unsigned mode);

typedef enum {
    HOSTIO_FD_FREE = 0, /* slot unused */
    HOSTIO_FD_NULL,     /* a null device: reads end, writes vanish */
    HOSTIO_FD_HOST,     /* backed by `host` */
} hostio_fd_kind;

typedef struct hostio_fd {
    hostio_fd_kind kind;
    int host;         /* host descriptor (HOSTIO_FD_HOST) */
    bool borrowed;    /* the embedder's descriptor: never closed by us */
    bool read_only;   /* lives below a read-only preopen */
    uint8_t filetype; /* hostio_filetype at open time */
    uint16_t fdflags; /* the WASI layer's descriptor flags, kept, never read */
    uint64_t rights_base;       /* bits the WASI layer defines */
    uint64_t rights_inheriting; /* what descriptors opened through it may get */
    char *preopen;    /* the guest's name for a preopened directory, or NULL */
    /* A directory listing in progress: a host stream (DIR *, owning a dup
     * of `host`) and the cookie it is at. */
    void *dir;
    uint64_t dir_pos;
    /* Bytes the guest may still write here, when `write_limited`; the
     * budget moves with the entry when it is renumbered. */
    bool write_limited;
    uint64_t write_left;
} hostio_fd;

typedef struct hostio_fdtable {
    hostio_fd *fds; /* indexed by guest fd number */
    uint32_t nfds;
} hostio_fdtable;

/* The most slots a table grows to (ENFILE beyond). */
#define HOSTIO_FD_MAX (UINT32_C(1) << 20)

/* A table of `nslots` free slots, for the caller to fill in order (stdio,
 * then preopens). */
void hostio_fdtable_init(hostio_fdtable *t, uint32_t nslots);
/* Releases every entry (see hostio_fd_release) and the table. */
void hostio_fdtable_free(hostio_fdtable *t);
/* The entry for `fd`, or NULL if it is not open. */
hostio_fd *hostio_fd_get(hostio_fdtable *t, uint32_t fd);
/* 0 with *out set if `fd` is open and holds every bit of `rights`;
 * EBADF if it is not open, HOSTIO_ENOTCAPABLE if it lacks a right. */
int hostio_fd_check(hostio_fdtable *t, uint32_t fd, uint64_t rights, hostio_fd **out);
/* Copies `proto` into the lowest free slot (growing the table); 0 with
 * *out = its number, or ENFILE when the table is full (proto's descriptor
 * is then still the caller's). */
int hostio_fd_insert(hostio_fdtable *t, const hostio_fd *proto, uint32_t *out);
/* Moves the entry at `from` to `to`, releasing what `to` held; EBADF
 * unless both are open.  The same number twice is a no-op. */
int hostio_fd_renumber(hostio_fdtable *t, uint32_t from, uint32_t to);
/* Frees the slot: closes the host descriptor unless borrowed, the
 * directory stream, the preopen name. */
void hostio_fd_release(hostio_fd *f);
/* Opens host directory `host_path` into *f as a preopen the guest calls
 * `guest_name` (rights left 0 for the caller to grant); fails naming the
 * directory. */
int hostio_fd_open_preopen(hostio_fd *f, const char *host_path, const char *guest_name,
                           bool read_only, util_error **err);

#endif
