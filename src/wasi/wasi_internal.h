/*
 * wasi_internal.h - what the files of src/wasi share: the preview 1 ABI
 * constants (numbers from the witx definitions), the ctx with its
 * descriptor table (a hostio_fdtable: src/hostio numbers and owns the
 * descriptors, this layer grants and checks preview 1's rights), and
 * bounds-checked access to guest memory.
 *
 * Guest memory is little-endian and unaligned access is legal in Wasm, so
 * every load/store goes through memcpy on a range first checked against
 * the memory's current size; a bad pointer becomes errno `fault`, never a
 * host crash.  The memory pointer is fetched once per call: a host function
 * never grows memory, so it stays valid for the whole call.
 */
#ifndef WASI_INTERNAL_H
#define WASI_INTERNAL_H

#include "hostio.h"
#include "wasi.h"

#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "guest memory access assumes a little-endian host"
#endif

/* ---- errno ------------------------------------------------------------- */

enum {
    WE_SUCCESS = 0, WE_2BIG = 1, WE_ACCES = 2, WE_ADDRINUSE = 3, WE_ADDRNOTAVAIL = 4,
    WE_AFNOSUPPORT = 5, WE_AGAIN = 6, WE_ALREADY = 7, WE_BADF = 8, WE_BADMSG = 9,
    WE_BUSY = 10, WE_CANCELED = 11, WE_CHILD = 12, WE_CONNABORTED = 13,
    WE_CONNREFUSED = 14, WE_CONNRESET = 15, WE_DEADLK = 16, WE_DESTADDRREQ = 17,
    WE_DOM = 18, WE_DQUOT = 19, WE_EXIST = 20, WE_FAULT = 21, WE_FBIG = 22,
    WE_HOSTUNREACH = 23, WE_IDRM = 24, WE_ILSEQ = 25, WE_INPROGRESS = 26, WE_INTR = 27,
    WE_INVAL = 28, WE_IO = 29, WE_ISCONN = 30, WE_ISDIR = 31, WE_LOOP = 32, WE_MFILE = 33,
    WE_MLINK = 34, WE_MSGSIZE = 35, WE_MULTIHOP = 36, WE_NAMETOOLONG = 37,
    WE_NETDOWN = 38, WE_NETRESET = 39, WE_NETUNREACH = 40, WE_NFILE = 41,
    WE_NOBUFS = 42, WE_NODEV = 43, WE_NOENT = 44, WE_NOEXEC = 45, WE_NOLCK = 46,
    WE_NOLINK = 47, WE_NOMEM = 48, WE_NOMSG = 49, WE_NOPROTOOPT = 50, WE_NOSPC = 51,
    WE_NOSYS = 52, WE_NOTCONN = 53, WE_NOTDIR = 54, WE_NOTEMPTY = 55,
    WE_NOTRECOVERABLE = 56, WE_NOTSOCK = 57, WE_NOTSUP = 58, WE_NOTTY = 59,
    WE_NXIO = 60, WE_OVERFLOW = 61, WE_OWNERDEAD = 62, WE_PERM = 63, WE_PIPE = 64,
    WE_PROTO = 65, WE_PROTONOSUPPORT = 66, WE_PROTOTYPE = 67, WE_RANGE = 68,
    WE_ROFS = 69, WE_SPIPE = 70, WE_SRCH = 71, WE_STALE = 72, WE_TIMEDOUT = 73,
    WE_TXTBSY = 74, WE_XDEV = 75, WE_NOTCAPABLE = 76,
};

/* Host errno -> WASI errno. */
int wasi_errno_from_host(int e);

/* ---- the run policy's pieces shared by modules (run.c) and components
 * (run_component.c) ---- */

/* What happened, before any policy is applied. */
typedef struct run_facts {
    bool finished;     /* the entry returned, or the guest exited */
    int exit_code;     /* the exit code, 0 when the entry returned */
    bool cancelled;    /* the watcher said the run was cancelled */
    bool deadline_hit; /* a blocking WASI call stopped at the deadline */
} run_facts;

/* Those facts -> an end, an exit status and a message (wasi.h's table). */
void wasi_program_classify(const run_facts *facts, const wasm_result *res,
                           const wasi_program_options *o, wasi_program_outcome *out);
/* The outcome of a host-side failure *err (taken); returns the status. */
int wasi_program_not_started(wasi_program_outcome *out, util_error **err);
/* The start every run shares: opts or the defaults (returned), *out
 * emptied, *cfg a copy of config with the deadline of opts->timeout_ms
 * (from now) when config has none. */
const wasi_program_options *wasi_program_begin(const wasi_config *config,
                                               const wasi_program_options *opts,
                                               wasi_config *cfg, wasi_program_outcome *out);
/* A guest's exit (WASM_EXIT in res) counts as finishing, with its code. */
void wasi_program_note_exit(run_facts *facts, const wasm_result *res);

/* ---- other ABI constants ----------------------------------------------- */

/* Preview 1's filetype numbers are hostio's (hostio.h says so). */
enum { FT_UNKNOWN = HOSTIO_FT_UNKNOWN, FT_BLOCK = HOSTIO_FT_BLOCK, FT_CHAR = HOSTIO_FT_CHAR,
       FT_DIR = HOSTIO_FT_DIR, FT_REG = HOSTIO_FT_REG, FT_SOCK_DGRAM = HOSTIO_FT_SOCK_DGRAM,
       FT_SOCK_STREAM = HOSTIO_FT_SOCK_STREAM, FT_SYMLINK = HOSTIO_FT_SYMLINK };
_Static_assert(FT_REG == 4 && FT_SOCK_STREAM == 6 && FT_SYMLINK == 7,
               "preview 1 filetype numbers");

enum { FDFLAG_APPEND = 1, FDFLAG_DSYNC = 2, FDFLAG_NONBLOCK = 4, FDFLAG_RSYNC = 8,
       FDFLAG_SYNC = 16 };
enum { OFLAG_CREAT = 1, OFLAG_DIRECTORY = 2, OFLAG_EXCL = 4, OFLAG_TRUNC = 8 };
enum { LOOKUP_SYMLINK_FOLLOW = 1 };
enum { FST_ATIM = 1, FST_ATIM_NOW = 2, FST_MTIM = 4, FST_MTIM_NOW = 8 };
enum { WHENCE_SET = 0, WHENCE_CUR = 1, WHENCE_END = 2 };
enum { CLOCK_ID_REALTIME = 0, CLOCK_ID_MONOTONIC = 1, CLOCK_ID_PROCESS = 2,
       CLOCK_ID_THREAD = 3 };
enum { EV_CLOCK = 0, EV_FD_READ = 1, EV_FD_WRITE = 2 };
enum { SUBCLOCK_ABSTIME = 1 };
enum { EVRW_HANGUP = 1 };

#define R(n) (UINT64_C(1) << (n))
#define RIGHT_FD_DATASYNC R(0)
#define RIGHT_FD_READ R(1)
#define RIGHT_FD_SEEK R(2)
#define RIGHT_FD_FDSTAT_SET_FLAGS R(3)
#define RIGHT_FD_SYNC R(4)
#define RIGHT_FD_TELL R(5)
#define RIGHT_FD_WRITE R(6)
#define RIGHT_FD_ADVISE R(7)
#define RIGHT_FD_ALLOCATE R(8)
#define RIGHT_PATH_CREATE_DIRECTORY R(9)
#define RIGHT_PATH_CREATE_FILE R(10)
#define RIGHT_PATH_LINK_SOURCE R(11)
#define RIGHT_PATH_LINK_TARGET R(12)
#define RIGHT_PATH_OPEN R(13)
#define RIGHT_FD_READDIR R(14)
#define RIGHT_PATH_READLINK R(15)
#define RIGHT_PATH_RENAME_SOURCE R(16)
#define RIGHT_PATH_RENAME_TARGET R(17)
#define RIGHT_PATH_FILESTAT_GET R(18)
#define RIGHT_PATH_FILESTAT_SET_SIZE R(19)
#define RIGHT_PATH_FILESTAT_SET_TIMES R(20)
#define RIGHT_FD_FILESTAT_GET R(21)
#define RIGHT_FD_FILESTAT_SET_SIZE R(22)
#define RIGHT_FD_FILESTAT_SET_TIMES R(23)
#define RIGHT_PATH_SYMLINK R(24)
#define RIGHT_PATH_REMOVE_DIRECTORY R(25)
#define RIGHT_PATH_UNLINK_FILE R(26)
#define RIGHT_POLL_FD_READWRITE R(27)
#define RIGHT_SOCK_SHUTDOWN R(28)
#define RIGHT_SOCK_ACCEPT R(29)
#define RIGHTS_ALL (R(30) - 1)

/* What a regular file may do, and what a directory may do / hand down. */
#define RIGHTS_FILE \
    (RIGHT_FD_DATASYNC | RIGHT_FD_READ | RIGHT_FD_SEEK | RIGHT_FD_FDSTAT_SET_FLAGS | \
     RIGHT_FD_SYNC | RIGHT_FD_TELL | RIGHT_FD_WRITE | RIGHT_FD_ADVISE | RIGHT_FD_ALLOCATE | \
     RIGHT_FD_FILESTAT_GET | RIGHT_FD_FILESTAT_SET_SIZE | RIGHT_FD_FILESTAT_SET_TIMES | \
     RIGHT_POLL_FD_READWRITE)
#define RIGHTS_DIR \
    (RIGHT_FD_FDSTAT_SET_FLAGS | RIGHT_FD_SYNC | RIGHT_FD_ADVISE | \
     RIGHT_PATH_CREATE_DIRECTORY | RIGHT_PATH_CREATE_FILE | RIGHT_PATH_LINK_SOURCE | \
     RIGHT_PATH_LINK_TARGET | RIGHT_PATH_OPEN | RIGHT_FD_READDIR | RIGHT_PATH_READLINK | \
     RIGHT_PATH_RENAME_SOURCE | RIGHT_PATH_RENAME_TARGET | RIGHT_PATH_FILESTAT_GET | \
     RIGHT_PATH_FILESTAT_SET_SIZE | RIGHT_PATH_FILESTAT_SET_TIMES | RIGHT_FD_FILESTAT_GET | \
     RIGHT_FD_FILESTAT_SET_TIMES | RIGHT_PATH_SYMLINK | RIGHT_PATH_REMOVE_DIRECTORY | \
     RIGHT_PATH_UNLINK_FILE | RIGHT_POLL_FD_READWRITE)
#define RIGHTS_TTY \
    (RIGHT_FD_READ | RIGHT_FD_FDSTAT_SET_FLAGS | RIGHT_FD_WRITE | RIGHT_FD_FILESTAT_GET | \
     RIGHT_POLL_FD_READWRITE)
#define RIGHTS_SOCK \
    (RIGHT_FD_READ | RIGHT_FD_FDSTAT_SET_FLAGS | RIGHT_FD_WRITE | RIGHT_FD_FILESTAT_GET | \
     RIGHT_POLL_FD_READWRITE | RIGHT_SOCK_SHUTDOWN | RIGHT_SOCK_ACCEPT)
/* Rights that change the file system: refused below read-only preopens. */
#define RIGHTS_WRITING \
    (RIGHT_FD_DATASYNC | RIGHT_FD_WRITE | RIGHT_FD_ALLOCATE | RIGHT_PATH_CREATE_DIRECTORY | \
     RIGHT_PATH_CREATE_FILE | RIGHT_PATH_LINK_SOURCE | RIGHT_PATH_LINK_TARGET | \
     RIGHT_PATH_RENAME_SOURCE | RIGHT_PATH_RENAME_TARGET | RIGHT_PATH_FILESTAT_SET_SIZE | \
     RIGHT_PATH_FILESTAT_SET_TIMES | RIGHT_FD_FILESTAT_SET_SIZE | \
     RIGHT_FD_FILESTAT_SET_TIMES | RIGHT_PATH_SYMLINK | RIGHT_PATH_REMOVE_DIRECTORY | \
     RIGHT_PATH_UNLINK_FILE)

/* ---- descriptor table -------------------------------------------------- */

struct wasi_ctx {
    char **argv;
    size_t argc;
    size_t argv_bytes;
    char **env;
    size_t envc;
    size_t env_bytes;
    hostio_fdtable fdt;
    uint64_t deadline_ns;
    bool deadline_hit;
    uint64_t stdout_limit;
};

/* Looks a guest fd up; NULL if it is not open. */
static inline hostio_fd *wasi_fd_get(wasi_ctx *ctx, uint32_t fd)
{
    return hostio_fd_get(&ctx->fdt, fd);
}
/* Checks the fd is open and holds `rights`; returns a WE_* errno. */
int wasi_fd_check(wasi_ctx *ctx, uint32_t fd, uint64_t rights, hostio_fd **out);
/* Puts a new host descriptor in the lowest free slot; returns its number. */
int wasi_fd_insert(wasi_ctx *ctx, const hostio_fd *proto, uint32_t *out);
/* WASI clock id -> host clock (WE_INVAL if unknown). */
int wasi_clock_host(uint32_t id, clockid_t *out);
/* Blocking waits never outlast the store's deadline. */
uint64_t wasi_ctx_deadline(const wasi_ctx *ctx);
/* Waits until host fd `fd` is ready for `events` (POLLIN/POLLOUT) when a
 * deadline is set: 0 = ready (or no deadline), WASI_DEADLINE = passed. */
#define WASI_DEADLINE (-1)
int wasi_wait_ready(wasi_ctx *ctx, int fd, short events);
/* Ends the guest because the deadline passed; returns the host fn result. */
int wasi_stop_at_deadline(wasm_caller *caller, wasi_ctx *ctx);
/* A write that would pass the descriptor's write limit (see stdout_limit). */
#define WASI_WRITE_LIMIT (-2)

/* ---- guest memory ------------------------------------------------------ */

typedef struct gmem {
    uint8_t *base;
    uint64_t size;
} gmem;

static inline gmem gmem_of(wasm_caller *c)
{
    gmem m;
    m.base = wasm_caller_memory(c, &m.size);
    if (m.base == NULL)
        m.size = 0;
    return m;
}

static inline bool gmem_ok(const gmem *m, uint32_t ptr, uint64_t len)
{
    return (uint64_t)ptr + len <= m->size;
}

/* Pointer to `len` guest bytes at `ptr`, or NULL if out of bounds. */
static inline uint8_t *gmem_at(const gmem *m, uint32_t ptr, uint64_t len)
{
    return m->base != NULL && gmem_ok(m, ptr, len) ? m->base + ptr : NULL;
}

static inline uint16_t ld16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t ld32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t ld64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline void st8(uint8_t *p, uint8_t v) { *p = v; }
static inline void st16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void st32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void st64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Stores a u32/u64 result; returns WE_FAULT if out of bounds. */
static inline int gmem_put32(const gmem *m, uint32_t ptr, uint32_t v)
{
    uint8_t *p = gmem_at(m, ptr, 4);
    if (p == NULL)
        return WE_FAULT;
    st32(p, v);
    return WE_SUCCESS;
}

static inline int gmem_put64(const gmem *m, uint32_t ptr, uint64_t v)
{
    uint8_t *p = gmem_at(m, ptr, 8);
    if (p == NULL)
        return WE_FAULT;
    st64(p, v);
    return WE_SUCCESS;
}

/* A guest iovec array turned into host iovecs (bounds-checked). */
struct iovec;
int wasi_iovs_load(const gmem *m, uint32_t iovs, uint32_t n, struct iovec **out);
/* Shortens the iovecs to at most `max` bytes in all; returns how many are
 * left.  After poll() says a pipe, socket or terminal is writable, a write
 * of PIPE_BUF bytes or less does not block, so under a deadline writes are
 * cut to that (a short write is legal; the guest's libc loops). */
uint32_t wasi_iovs_cap(struct iovec *v, uint32_t n, size_t max);

/* ---- host functions ---------------------------------------------------- */

#define WASI_FN(name) \
    int wasi_fn_##name(wasm_caller *caller, void *env, const wasm_val *args, wasm_val *results)
#define ARG32(i) ((uint32_t)args[i].i32)
#define ARG64(i) ((uint64_t)args[i].i64)
#define RET(e) (results[0].i32 = (e), 0)

/* Every preview 1 function with its core signature, for define.c. */
#define WASI_FNS(X) \
    X(args_get, "ii:i") \
    X(args_sizes_get, "ii:i") \
    X(environ_get, "ii:i") \
    X(environ_sizes_get, "ii:i") \
    X(clock_res_get, "ii:i") \
    X(clock_time_get, "iIi:i") \
    X(fd_advise, "iIIi:i") \
    X(fd_allocate, "iII:i") \
    X(fd_close, "i:i") \
    X(fd_datasync, "i:i") \
    X(fd_fdstat_get, "ii:i") \
    X(fd_fdstat_set_flags, "ii:i") \
    X(fd_fdstat_set_rights, "iII:i") \
    X(fd_filestat_get, "ii:i") \
    X(fd_filestat_set_size, "iI:i") \
    X(fd_filestat_set_times, "iIIi:i") \
    X(fd_pread, "iiiIi:i") \
    X(fd_prestat_get, "ii:i") \
    X(fd_prestat_dir_name, "iii:i") \
    X(fd_pwrite, "iiiIi:i") \
    X(fd_read, "iiii:i") \
    X(fd_readdir, "iiiIi:i") \
    X(fd_renumber, "ii:i") \
    X(fd_seek, "iIii:i") \
    X(fd_sync, "i:i") \
    X(fd_tell, "ii:i") \
    X(fd_write, "iiii:i") \
    X(path_create_directory, "iii:i") \
    X(path_filestat_get, "iiiii:i") \
    X(path_filestat_set_times, "iiiiIIi:i") \
    X(path_link, "iiiiiii:i") \
    X(path_open, "iiiiiIIii:i") \
    X(path_readlink, "iiiiii:i") \
    X(path_remove_directory, "iii:i") \
    X(path_rename, "iiiiii:i") \
    X(path_symlink, "iiiii:i") \
    X(path_unlink_file, "iii:i") \
    X(poll_oneoff, "iiii:i") \
    X(proc_exit, "i:") \
    X(proc_raise, "i:i") \
    X(random_get, "ii:i") \
    X(sched_yield, ":i") \
    X(sock_accept, "iii:i") \
    X(sock_recv, "iiiiii:i") \
    X(sock_send, "iiiii:i") \
    X(sock_shutdown, "ii:i")

#define WASI_DECLARE(name, sig) WASI_FN(name);
WASI_FNS(WASI_DECLARE)
#undef WASI_DECLARE
/* Snapshot 0 adapters (legacy.c). */
WASI_FN(legacy_fd_seek);
WASI_FN(legacy_fd_filestat_get);
WASI_FN(legacy_path_filestat_get);
WASI_FN(legacy_poll_oneoff);

/* The filestat layout shared by fd_filestat_get and path_filestat_get. */
struct stat;
#define WASI_FILESTAT_SIZE(legacy) ((legacy) ? 56u : 64u)
void wasi_store_filestat(uint8_t *p, const struct stat *st, bool legacy);
int wasi_fd_filestat(wasm_caller *caller, wasi_ctx *ctx, uint32_t fd, uint32_t ptr, bool legacy);
int wasi_path_filestat(wasm_caller *caller, wasi_ctx *ctx, uint32_t fd, uint32_t lookup,
                       uint32_t path, uint32_t path_len, uint32_t buf, bool legacy);
/* poll_oneoff on subscriptions already in the preview 1 layout (host copy). */
int wasi_poll(wasi_ctx *ctx, const gmem *m, const uint8_t *subs, uint32_t nsubs, uint32_t out,
              uint32_t nevents_ptr);
/* Validates fstflags and fills ts[2] for futimens/utimensat. */
struct timespec;
int wasi_times_from(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec ts[2]);

/* ---- sandboxed paths (resolved by src/hostio) -------------------------- */

/* hostio_path_resolve with its answer as a WE_* errno. */
static inline int wasi_path_resolve(int base, const char *path, bool follow, hostio_path *out)
{
    return wasi_errno_from_host(hostio_path_resolve(base, path, follow, out));
}
/* Copies a guest path into a NUL-terminated host string (WE_* errno). */
int wasi_path_load(const gmem *m, uint32_t ptr, uint32_t len, char **out);

#endif
