/*
 * util.h - the shared helpers every layer may use, and the only door into
 * src/util.  Nothing here knows about Wasm, Spin, containers or containerd.
 *
 * Errors follow crun's model: a function that can fail takes a
 * `util_error **err` as its last argument, returns a negative value (or NULL)
 * on failure, and leaves a heap-allocated error there describing what went
 * wrong and, when a system call failed, its errno.  The caller either handles
 * it (util_error_free) or adds context and passes it up (util_error_wrap), so
 * the message a user finally sees names every level: "load app: spin.toml
 * line 3: expected '='".
 *
 * Ownership uses GCC/Clang cleanup attributes: `cleanup_free char *s = ...`
 * frees `s` when it leaves scope; move ownership out with `steal_pointer`.
 */
#ifndef UTIL_UTIL_H
#define UTIL_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#define UTIL_PRINTF(fmt_idx, arg_idx) __attribute__((format(printf, fmt_idx, arg_idx)))
#define UTIL_UNUSED __attribute__((unused))
#define UTIL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define UTIL_LIKELY(x) __builtin_expect(!!(x), 1)
#define UTIL_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---- errors ------------------------------------------------------------ */

typedef struct util_error {
    int status; /* errno of the failed system call, or 0 */
    char *msg;  /* human readable, never NULL */
} util_error;

/* Sets *err (if err is non-NULL) and returns -1, so callers can write
 * `return util_error_set(err, errno, "open %s", path);`.  When status is
 * non-zero, strerror(status) is appended to the message. */
int util_error_set(util_error **err, int status, const char *fmt, ...) UTIL_PRINTF(3, 4);
/* Prefixes an existing error with more context; returns -1. */
int util_error_wrap(util_error **err, const char *fmt, ...) UTIL_PRINTF(2, 3);
void util_error_free(util_error **err);
/* Writes "prefix: message" to stderr and frees the error. */
void util_error_report(util_error **err, const char *prefix);

/* ---- ownership --------------------------------------------------------- */

void util_freep(void *p);
void util_fclosep(FILE **f);
void util_closep(int *fd);
#define cleanup_free __attribute__((cleanup(util_freep)))
#define cleanup_file __attribute__((cleanup(util_fclosep)))
#define cleanup_fd __attribute__((cleanup(util_closep)))

static inline void *util_steal(void *pp)
{
    void **p = (void **)pp;
    void *v = *p;
    *p = NULL;
    return v;
}
#define steal_pointer(pp) util_steal(pp)

/* Allocation that never returns NULL: out-of-memory aborts with a message,
 * which is the only sane reaction in a shim or a request handler. */
void *util_xmalloc(size_t n);
void *util_xcalloc(size_t n, size_t size);
void *util_xrealloc(void *p, size_t n);
char *util_xstrdup(const char *s);
char *util_xstrndup(const char *s, size_t n);
char *util_xasprintf(const char *fmt, ...) UTIL_PRINTF(1, 2);
char *util_xvasprintf(const char *fmt, va_list ap) UTIL_PRINTF(1, 0);
/* Asks the kernel to back [p, p+len) with memory now, in one call, when it
 * is about to be written in full (a file's bytes, a copy of them): much
 * cheaper than taking one page fault per 4 KiB page, notably in VMs.  Only
 * whole pages inside the range are touched; a no-op for small ranges and
 * on kernels without MADV_POPULATE_WRITE.  From 4 MiB on, the range asks
 * for transparent huge pages first (MADV_HUGEPAGE). */
void util_prefault(void *p, size_t len);
/* For a short-lived process about to make many small allocations (a Wasm
 * module's decoded form and translated code): grows the malloc heap by
 * about `bytes` (at most 120 KiB, what glibc keeps at the top of the heap
 * after a free) in one populated step, so those allocations do not each
 * take a page fault on fresh memory.  Only a speed-up; never fails. */
void util_heap_prefault(size_t bytes);

/* ---- growable byte buffer ---------------------------------------------- */

typedef struct util_buf {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
} util_buf;

void util_buf_reserve(util_buf *b, size_t extra);
void util_buf_append(util_buf *b, const void *data, size_t len);
void util_buf_append_str(util_buf *b, const char *s);
void util_buf_printf(util_buf *b, const char *fmt, ...) UTIL_PRINTF(2, 3);
void util_buf_free(util_buf *b);
/* Hands the bytes to the caller (who frees them) and resets the buffer. */
char *util_buf_steal(util_buf *b, size_t *len);

/* ---- files ------------------------------------------------------------- */

/* Reads a whole file; the result is NUL-terminated (not counted in *len). */
int util_read_file(const char *path, char **data, size_t *len, util_error **err);
/* Writes via a temporary file and rename(2), so readers never see a partial file. */
int util_write_file_atomic(const char *path, const void *data, size_t len, int mode,
                           util_error **err);
/* The same, fsync'd only when `durable`: state that does not outlive a
 * reboot (a tmpfs under /run) need not pay for the flush. */
int util_replace_file(const char *path, const void *data, size_t len, int mode, bool durable,
                      util_error **err);
/* mkdir -p */
int util_mkdir_p(const char *path, int mode, util_error **err);
/* Retries read/write on EINTR and short transfers; returns bytes moved or -1. */
ssize_t util_read_all(int fd, void *buf, size_t len);
ssize_t util_write_all(int fd, const void *buf, size_t len);

/* ---- logging ----------------------------------------------------------- */

typedef enum { UTIL_LOG_ERROR = 0, UTIL_LOG_WARN, UTIL_LOG_INFO, UTIL_LOG_DEBUG } util_log_level;

/* Default: error level to stderr.  The shim points this at the bundle's
 * `log` FIFO; the level names accepted are error, warn, info, debug. */
void util_log_set_level(util_log_level level);
int util_log_parse_level(const char *name, util_log_level *level);
/* "error", "warn", "info" or "debug". */
const char *util_log_level_name(util_log_level level);
util_log_level util_log_get_level(void);
void util_log_set_fd(int fd);
void util_log(util_log_level level, const char *fmt, ...) UTIL_PRINTF(2, 3);
/* Writes whatever the level: for the rare lines an operator must see even
 * in the quiet default, such as mistakes in the shim's configuration. */
void util_log_unfiltered(util_log_level level, const char *fmt, ...) UTIL_PRINTF(2, 3);
#define util_log_error(...) util_log(UTIL_LOG_ERROR, __VA_ARGS__)
#define util_log_warn(...) util_log(UTIL_LOG_WARN, __VA_ARGS__)
#define util_log_info(...) util_log(UTIL_LOG_INFO, __VA_ARGS__)
#define util_log_debug(...) \
    do { \
        if (UTIL_UNLIKELY(util_log_get_level() >= UTIL_LOG_DEBUG)) \
            util_log(UTIL_LOG_DEBUG, __VA_ARGS__); \
    } while (0)

/* ---- time -------------------------------------------------------------- */

uint64_t util_monotonic_ns(void);
uint64_t util_realtime_ns(void);

/* Start-up trace points (trace.c): util_trace_mark("manifest-loaded") logs
 * the phase with monotonic and real timestamps when SPIN_TRACE_STARTUP is
 * set (not "0") or the log level is debug; otherwise it writes nothing.
 * bench/coldstart.py reads these lines. */
bool util_trace_enabled(void);
void util_trace_mark(const char *phase);
/* The same, only the first time this call site runs in the process (e.g.
 * the first request): one relaxed atomic load per later pass. */
#define util_trace_mark_once(phase) \
    do { \
        static bool util_trace_once_; \
        if (UTIL_UNLIKELY(!__atomic_load_n(&util_trace_once_, __ATOMIC_RELAXED)) && \
            !__atomic_exchange_n(&util_trace_once_, true, __ATOMIC_RELAXED)) \
            util_trace_mark(phase); \
    } while (0)

/* ---- SHA-256 (sha256.c, on nettle) ----------------------------------- */

#define UTIL_SHA256_SIZE 32
#define UTIL_SHA256_HEX_SIZE 65 /* 64 lowercase hex digits and a NUL */

/* One call for bytes in memory. */
void util_sha256(const void *data, size_t len, uint8_t out[UTIL_SHA256_SIZE]);
void util_sha256_hex(const void *data, size_t len, char out[UTIL_SHA256_HEX_SIZE]);
void util_sha256_to_hex(const uint8_t digest[UTIL_SHA256_SIZE], char out[UTIL_SHA256_HEX_SIZE]);
/* Streaming, for blobs hashed as they are read: new, update..., final
 * (which leaves the state ready for a new message), free. */
typedef struct util_sha256_ctx util_sha256_ctx;
util_sha256_ctx *util_sha256_new(void);
void util_sha256_update(util_sha256_ctx *h, const void *data, size_t len);
void util_sha256_final(util_sha256_ctx *h, uint8_t out[UTIL_SHA256_SIZE]);
void util_sha256_free(util_sha256_ctx *h);

/* ---- optional shared libraries (dl.c) ---------------------------------- */

/* One function to look up: its name and the caller's function-pointer
 * variable that receives it. */
typedef struct util_dl_symbol {
    const char *name;
    void *slot;  /* address of the variable */
    size_t size; /* sizeof the variable (a pointer) */
} util_dl_symbol;
#define UTIL_DL_SYMBOL(name, var) {(name), &(var), sizeof(var)}

/* dlopen()s `soname` (RTLD_NOW | RTLD_LOCAL) and fills every slot of
 * `syms`; returns the handle, or NULL with every slot zeroed and *err
 * naming the library, what failed (the missing library or symbol) and the
 * Debian `package` to install. */
void *util_dl_open(const char *soname, const char *package, const util_dl_symbol *syms,
                   size_t nsyms, util_error **err);
void util_dl_close(void *handle);

/* After util_dl_seal(why) this process loads no library any more:
 * util_dl_open fails, and loaders calling dlopen() themselves ask
 * util_dl_refused() first.  A container process seals itself once it has
 * pivoted into its image, so a library the shim did not load before is
 * never looked for among the image's files (it gets a clear error). */
void util_dl_seal(const char *why);
/* True when sealed, with "<soname> was not loaded: <why>" in buf. */
bool util_dl_refused(const char *soname, char *buf, size_t len);

/* ---- environment lists (env.c) ----------------------------------------- */

/* "K=V" strings in the order keys were first set; setting a key again
 * replaces its value in place.  Start from {0}. */
typedef struct util_env {
    char **items; /* NULL-terminated once non-empty (NULL before) */
    size_t len, cap;
} util_env;

/* Sets key to value (NULL counts as ""). */
void util_env_set(util_env *e, const char *key, const char *value);
/* Sets from one "K=V" string; fails naming it if there is no '=' or K is empty. */
int util_env_put(util_env *e, const char *kv, util_error **err);
/* The value of key, or NULL if it is not set. */
const char *util_env_get(const util_env *e, const char *key);
void util_env_free(util_env *e);

/* ---- build identity ---------------------------------------------------- */

/* Version and build info, filled in by CMake (see version.c.in). */
extern const char util_version[];
extern const char util_revision[];
extern const char util_build_info[];

/* ---- TOML 1.0 reader --------------------------------------------------- */

#include "toml.h"

#endif
