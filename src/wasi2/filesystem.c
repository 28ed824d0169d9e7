/*
 * filesystem.c - wasi:filesystem: descriptors and their methods that take
 * no path, directory listings, preopens, and error codes.
 *
 * A descriptor is a heap hostio_fd (fsnet.h) whose `fdflags` hold the
 * descriptor-flags the guest was granted; those flags, not the host open
 * mode, decide what a method may do, checked before any system call so a
 * denied write never reaches the kernel.  A descriptor below a read-only
 * preopen refuses every change with `read-only` even where the guest
 * asked for write access.  The methods that take a path live in
 * filesystem_at.c.
 *
 * Preopens are opened once per context (ctx.c, which fails naming a
 * missing directory); get-directories hands out a fresh dup of each so
 * the guest may drop what it got and ask again.
 */
#include "fsnet.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/random.h>
#include <unistd.h>

/* ---- values ------------------------------------------------------------ */

int wasi2_val_string(component_call *call, component_val *out, const char *s, size_t len)
{
    char *copy = component_call_alloc(call, len ? len : 1);
    if (copy == NULL)
        return component_call_trap(call, "out of memory for a string of %zu bytes", len);
    memcpy(copy, s, len);
    *out = (component_val){.kind = COMPONENT_VAL_STRING, .of.str = {copy, len}};
    return 0;
}

char *wasi2_cstring(const component_val *v)
{
    if (memchr(v->of.str.ptr, '\0', v->of.str.len) != NULL)
        return NULL;
    return util_xstrndup(v->of.str.ptr, v->of.str.len);
}

bool wasi2_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < len;) {
        unsigned c = s[i];
        size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                               : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (n == 0 || i + n > len)
            return false;
        uint32_t cp = n == 1 ? c : c & (0x3Fu >> (n - 1));
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false; /* overlong, out of range, or a surrogate */
        i += n;
    }
    return true;
}

/* ---- error codes ------------------------------------------------------- */

const char *const wasi2_fs_error_names[FSE_COUNT] = {
    "access", "would-block", "already", "bad-descriptor", "busy", "deadlock", "quota", "exist",
    "file-too-large", "illegal-byte-sequence", "in-progress", "interrupted", "invalid", "io",
    "is-directory", "loop", "too-many-links", "message-size", "name-too-long", "no-device",
    "no-entry", "no-lock", "insufficient-memory", "insufficient-space", "not-directory",
    "not-empty", "not-recoverable", "unsupported", "no-tty", "no-such-device", "overflow",
    "not-permitted", "pipe", "read-only", "invalid-seek", "text-file-busy", "cross-device",
};

wasi2_fs_error wasi2_fs_error_from_errno(int e)
{
    switch (e) {
    case HOSTIO_ENOTCAPABLE: return FSE_NOT_PERMITTED; /* a path left its preopen */
    case EPERM: return FSE_NOT_PERMITTED;
    case EACCES: return FSE_ACCESS;
    case EAGAIN: return FSE_WOULD_BLOCK;
    case EALREADY: return FSE_ALREADY;
    case EBADF: return FSE_BAD_DESCRIPTOR;
    case EBUSY: return FSE_BUSY;
    case EDEADLK: return FSE_DEADLOCK;
    case EDQUOT: return FSE_QUOTA;
    case EEXIST: return FSE_EXIST;
    case EFBIG: return FSE_FILE_TOO_LARGE;
    case EILSEQ: return FSE_ILLEGAL_BYTE_SEQUENCE;
    case EINPROGRESS: return FSE_IN_PROGRESS;
    case EINTR: return FSE_INTERRUPTED;
    case EINVAL: return FSE_INVALID;
    case EISDIR: return FSE_IS_DIRECTORY;
    case ELOOP: return FSE_LOOP;
    case EMLINK: return FSE_TOO_MANY_LINKS;
    case EMSGSIZE: return FSE_MESSAGE_SIZE;
    case ENAMETOOLONG: return FSE_NAME_TOO_LONG;
    case ENODEV: return FSE_NO_DEVICE;
    case ENOENT: return FSE_NO_ENTRY;
    case ENOLCK: return FSE_NO_LOCK;
    case ENOMEM: return FSE_INSUFFICIENT_MEMORY;
    case ENOSPC: return FSE_INSUFFICIENT_SPACE;
    case ENOTDIR: return FSE_NOT_DIRECTORY;
    case ENOTEMPTY: return FSE_NOT_EMPTY;
    case ENOTRECOVERABLE: return FSE_NOT_RECOVERABLE;
    case ENOSYS: return FSE_UNSUPPORTED;
    case EOPNOTSUPP: return FSE_UNSUPPORTED;
    case ENOTTY: return FSE_NO_TTY;
    case ENXIO: return FSE_NO_SUCH_DEVICE;
    case EOVERFLOW: return FSE_OVERFLOW;
    case EPIPE: return FSE_PIPE;
    case EROFS: return FSE_READ_ONLY;
    case ESPIPE: return FSE_INVALID_SEEK;
    case ETXTBSY: return FSE_TEXT_FILE_BUSY;
    case EXDEV: return FSE_CROSS_DEVICE;
    default: return FSE_IO;
    }
}

int wasi2_fs_done(component_call *call, component_val *result, int e)
{
    if (e != 0)
        return wv_err(call, result, wasi2_fs_error_from_errno(e));
    return wv_ok(call, result, NULL);
}

int wasi2_fs_stat_result(component_call *call, component_val *result, int e,
                         const struct stat *st,
                         int (*val)(component_call *call, const struct stat *st,
                                    component_val *out))
{
    if (e != 0)
        return wasi2_fs_done(call, result, e);
    component_val v;
    if (val(call, st, &v) < 0)
        return -1;
    return wv_ok(call, result, &v);
}

uint32_t wasi2_descriptor_type_of_mode(unsigned mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: return DT2_REGULAR;
    case S_IFDIR: return DT2_DIRECTORY;
    case S_IFCHR: return DT2_CHAR;
    case S_IFBLK: return DT2_BLOCK;
    case S_IFLNK: return DT2_SYMLINK;
    case S_IFSOCK: return DT2_SOCKET;
    case S_IFIFO: return DT2_FIFO;
    default: return DT2_UNKNOWN;
    }
}

/* ---- descriptors ------------------------------------------------------- */

wasi2_descriptor *wasi2_descriptor_new(int fd, uint8_t filetype, uint32_t flags, bool read_only)
{
    wasi2_descriptor *d = util_xcalloc(1, sizeof(*d));
    d->kind = HOSTIO_FD_HOST;
    d->host = fd;
    d->filetype = filetype;
    d->fdflags = (uint16_t)flags;
    d->read_only = read_only;
    return d;
}

void wasi2_descriptor_drop(uintptr_t rep)
{
    wasi2_descriptor *d = (wasi2_descriptor *)rep;
    if (d == NULL)
        return;
    hostio_fd_release(d);
    free(d);
}

static wasi2_descriptor *self_of(const component_val *args)
{
    return (wasi2_descriptor *)args[0].of.resource.rep;
}

/* 0 when `d` may change its file: not below a read-only preopen, and
 * opened for writing. */
static int may_write(const wasi2_descriptor *d)
{
    if (d->read_only)
        return EROFS;
    if (!(d->fdflags & DF_WRITE))
        return EBADF;
    return 0;
}

/* ---- preopens ---------------------------------------------------------- */

WASI2_HOST_FN(wasi2_fs_get_directories)
{
    (void)args;
    (void)nargs;
    const wasi2_fsnet_reg *reg = env;
    const wasi2_ctx *ctx = wasi2_fsnet_ctx(call, env);
    size_t n = ctx->npreopens;
    component_val *items = component_call_vals(call, n * 3 + 1);
    if (items == NULL)
        return component_call_trap(call, "out of memory listing preopens");
    component_val *pairs = items, *fields = items + n;
    for (size_t i = 0; i < n; i++) {
        const wasi2_ctx_preopen *p = &ctx->preopens[i];
        int fd = fcntl(p->dirfd, F_DUPFD_CLOEXEC, 0);
        if (fd < 0) {
            int e = errno;
            for (size_t k = 0; k < i; k++)
                wasi2_descriptor_drop(fields[2 * k].of.resource.rep);
            return component_call_trap(call, "preopen %s: %s", p->guest_path, strerror(e));
        }
        uint32_t flags = DF_READ | (p->read_only ? 0 : DF_MUTATE_DIRECTORY);
        wasi2_descriptor *d = wasi2_descriptor_new(fd, HOSTIO_FT_DIR, flags, p->read_only);
        fields[2 * i] = wasi2_own(reg->fs.descriptor, d);
        if (wasi2_val_string(call, &fields[2 * i + 1], p->guest_path, strlen(p->guest_path)) <
            0) {
            for (size_t k = 0; k <= i; k++)
                wasi2_descriptor_drop(fields[2 * k].of.resource.rep);
            return -1;
        }
        pairs[i] = (component_val){.kind = COMPONENT_VAL_RECORD,
                                   .of.record = {&fields[2 * i], 2}};
    }
    *result = (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {pairs, NULL, n}};
    return 0;
}

/* ---- reading and writing at an offset ---------------------------------- */

/* The most bytes one `read` returns: the rest comes with the next call. */
#define READ_MAX (1u << 22)

WASI2_HOST_FN(wasi2_fs_read)
{
    (void)env;
    (void)nargs;
    wasi2_descriptor *d = self_of(args);
    uint64_t len = args[1].of.u, off = args[2].of.u;
    if (!(d->fdflags & DF_READ))
        return wv_err(call, result, FSE_BAD_DESCRIPTOR);
    if (off > INT64_MAX)
        return wv_err(call, result, FSE_INVALID);
    size_t want = len < READ_MAX ? (size_t)len : READ_MAX;
    uint8_t *buf = component_call_alloc(call, want ? want : 1);
    if (buf == NULL)
        return component_call_trap(call, "out of memory for a read of %zu bytes", want);
    ssize_t n = want ? pread(d->host, buf, want, (off_t)off) : 0;
    if (n < 0)
        return wasi2_fs_done(call, result, errno);
    component_val *f = component_call_vals(call, 3);
    if (f == NULL)
        return component_call_trap(call, "out of memory for a result");
    f[0] = (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {NULL, buf, (size_t)n}};
    f[1] = wv_bool(n == 0 && want > 0);
    f[2] = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {f, 2}};
    return wv_ok(call, result, &f[2]);
}

WASI2_HOST_FN(wasi2_fs_write)
{
    (void)env;
    (void)nargs;
    wasi2_descriptor *d = self_of(args);
    const component_val *buf = &args[1];
    uint64_t off = args[2].of.u;
    int e = may_write(d);
    if (e != 0)
        return wasi2_fs_done(call, result, e);
    if (off > INT64_MAX)
        return wv_err(call, result, FSE_INVALID);
    const uint8_t *bytes = wasi2_list_bytes(call, buf);
    if (bytes == NULL)
        return component_call_trap(call, "out of memory for a write of %zu bytes", buf->of.list.n);
    ssize_t n = pwrite(d->host, bytes, buf->of.list.n, (off_t)off);
    if (n < 0)
        return wasi2_fs_done(call, result, errno);
    component_val v = wv_u64((uint64_t)n);
    return wv_ok(call, result, &v);
}

/* ---- metadata ---------------------------------------------------------- */

static component_val datetime_opt(component_call *call, const struct timespec *t)
{
    component_val *f = component_call_vals(call, 3);
    if (f == NULL)
        return wv_enum(0); /* none: the caller traps on the full arena anyway */
    f[0] = wv_u64((uint64_t)t->tv_sec);
    f[1] = (component_val){.kind = COMPONENT_VAL_U32, .of.u = (uint64_t)t->tv_nsec};
    f[2] = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {f, 2}};
    return (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {1, &f[2]}};
}

int wasi2_fs_stat_val(component_call *call, const struct stat *st, component_val *out)
{
    component_val *f = component_call_vals(call, 6);
    if (f == NULL)
        return component_call_trap(call, "out of memory for a descriptor-stat");
    f[0] = wv_enum(wasi2_descriptor_type_of_mode(st->st_mode));
    f[1] = wv_u64((uint64_t)st->st_nlink);
    f[2] = wv_u64((uint64_t)st->st_size);
    f[3] = datetime_opt(call, &st->st_atim);
    f[4] = datetime_opt(call, &st->st_mtim);
    f[5] = datetime_opt(call, &st->st_ctim);
    if (f[5].of.variant.disc == 0)
        return component_call_trap(call, "out of memory for a descriptor-stat");
    *out = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {f, 6}};
    return 0;
}

/* stat and metadata-hash of the descriptor itself. */
static int fstat_result(component_call *call, component_val *result, const component_val *args,
                        int (*val)(component_call *call, const struct stat *st,
                                   component_val *out))
{
    struct stat st;
    int e = fstat(self_of(args)->host, &st) < 0 ? errno : 0;
    return wasi2_fs_stat_result(call, result, e, &st, val);
}

WASI2_HOST_FN(wasi2_fs_stat)
{
    (void)env;
    (void)nargs;
    return fstat_result(call, result, args, wasi2_fs_stat_val);
}

WASI2_HOST_FN(wasi2_fs_get_type)
{
    (void)env;
    (void)nargs;
    struct stat st;
    if (fstat(self_of(args)->host, &st) < 0)
        return wasi2_fs_done(call, result, errno);
    component_val v = wv_enum(wasi2_descriptor_type_of_mode(st.st_mode));
    return wv_ok(call, result, &v);
}

WASI2_HOST_FN(wasi2_fs_get_flags)
{
    (void)env;
    (void)nargs;
    component_val v = {.kind = COMPONENT_VAL_FLAGS, .of.flags = self_of(args)->fdflags};
    return wv_ok(call, result, &v);
}

WASI2_HOST_FN(wasi2_fs_set_size)
{
    (void)env;
    (void)nargs;
    wasi2_descriptor *d = self_of(args);
    int e = may_write(d);
    if (e == 0 && args[1].of.u > INT64_MAX)
        e = EFBIG;
    if (e == 0 && ftruncate(d->host, (off_t)args[1].of.u) < 0)
        e = errno;
    return wasi2_fs_done(call, result, e);
}

bool wasi2_fs_timespec(const component_val *nt, struct timespec *ts)
{
    switch (nt->of.variant.disc) {
    case 0: *ts = (struct timespec){.tv_nsec = UTIME_OMIT}; return true;
    case 1: *ts = (struct timespec){.tv_nsec = UTIME_NOW}; return true;
    default: {
        const component_val *f = nt->of.variant.payload->of.record.fields;
        uint64_t sec = f[0].of.u > INT64_MAX ? INT64_MAX : f[0].of.u;
        *ts = (struct timespec){.tv_sec = (time_t)sec, .tv_nsec = (long)f[1].of.u};
        return f[1].of.u < 1000000000u;
    }
    }
}

WASI2_HOST_FN(wasi2_fs_set_times)
{
    (void)env;
    (void)nargs;
    wasi2_descriptor *d = self_of(args);
    if (d->read_only)
        return wv_err(call, result, FSE_READ_ONLY);
    /* A directory needs mutate-directory, a file write access. */
    uint32_t need = d->filetype == HOSTIO_FT_DIR ? DF_MUTATE_DIRECTORY : DF_WRITE;
    if (!(d->fdflags & need))
        return wv_err(call, result, FSE_NOT_PERMITTED);
    struct timespec ts[2];
    if (!wasi2_fs_timespec(&args[1], &ts[0]) || !wasi2_fs_timespec(&args[2], &ts[1]))
        return wv_err(call, result, FSE_INVALID);
    return wasi2_fs_done(call, result, futimens(d->host, ts) < 0 ? errno : 0);
}

WASI2_HOST_FN(wasi2_fs_advise)
{
    (void)env;
    (void)nargs;
    wasi2_descriptor *d = self_of(args);
    static const int advice[] = {POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                                 POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
    uint64_t off = args[1].of.u, len = args[2].of.u;
    uint32_t a = args[3].of.variant.disc;
    if (a >= UTIL_ARRAY_LEN(advice) || off > INT64_MAX || len > INT64_MAX)
        return wv_err(call, result, FSE_INVALID);
    if (d->filetype == HOSTIO_FT_DIR)
        return wv_err(call, result, FSE_BAD_DESCRIPTOR);
    return wasi2_fs_done(call, result, posix_fadvise(d->host, (off_t)off, (off_t)len, advice[a]));
}

static int sync_with(component_call *call, component_val *result, const component_val *args,
                     int (*fn)(int))
{
    wasi2_descriptor *d = self_of(args);
    int e = fn(d->host) < 0 ? errno : 0;
    if (e == EINVAL) /* directories and special files cannot be synced: nothing to do */
        e = 0;
    return wasi2_fs_done(call, result, e);
}

WASI2_HOST_FN(wasi2_fs_sync_data)
{
    (void)env;
    (void)nargs;
    return sync_with(call, result, args, fdatasync);
}

WASI2_HOST_FN(wasi2_fs_sync)
{
    (void)env;
    (void)nargs;
    return sync_with(call, result, args, fsync);
}

/* 128 bits from (dev, ino): equal for the same file, and (with a per-
 * process key) telling a guest nothing about the host's numbering. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9u;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

static uint64_t hash_key_value;
static pthread_once_t hash_key_once = PTHREAD_ONCE_INIT;

static void hash_key_init(void)
{
    uint64_t k = 0;
    if (getrandom(&k, sizeof k, 0) != (ssize_t)sizeof k)
        k = (uint64_t)getpid() * 0x9e3779b97f4a7c15u; /* still stable within the process */
    hash_key_value = k;
}

static uint64_t hash_key(void)
{
    pthread_once(&hash_key_once, hash_key_init);
    return hash_key_value;
}

int wasi2_fs_hash_val(component_call *call, const struct stat *st, component_val *out)
{
    uint64_t k = hash_key();
    uint64_t dev = (uint64_t)st->st_dev, ino = (uint64_t)st->st_ino;
    component_val *f = component_call_vals(call, 2);
    if (f == NULL)
        return component_call_trap(call, "out of memory for a metadata hash");
    f[0] = wv_u64(mix64(k ^ mix64(dev) ^ mix64(ino + 0x9e3779b97f4a7c15u)));
    f[1] = wv_u64(mix64(~k ^ mix64(ino) ^ mix64(dev + 0x632be59bd9b4e019u)));
    *out = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {f, 2}};
    return 0;
}

WASI2_HOST_FN(wasi2_fs_metadata_hash)
{
    (void)env;
    (void)nargs;
    return fstat_result(call, result, args, wasi2_fs_hash_val);
}

WASI2_HOST_FN(wasi2_fs_is_same_object)
{
    (void)env;
    (void)nargs;
    struct stat a, b;
    const wasi2_descriptor *x = self_of(args), *y = (wasi2_descriptor *)args[1].of.resource.rep;
    bool same = fstat(x->host, &a) == 0 && fstat(y->host, &b) == 0 && a.st_dev == b.st_dev &&
                a.st_ino == b.st_ino;
    *result = wv_bool(same);
    return 0;
}

/* ---- directory listings ------------------------------------------------ */

void wasi2_dir_stream_drop(uintptr_t rep)
{
    if (rep != 0)
        closedir((DIR *)rep);
}

WASI2_HOST_FN(wasi2_fs_read_directory)
{
    (void)nargs;
    const wasi2_fsnet_reg *reg = env;
    wasi2_descriptor *d = self_of(args);
    if (d->filetype != HOSTIO_FT_DIR)
        return wv_err(call, result, FSE_NOT_DIRECTORY);
    if (!(d->fdflags & DF_READ))
        return wv_err(call, result, FSE_NOT_PERMITTED);
    /* A fresh open of the directory: its own position, from the start. */
    int fd = openat(d->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return wasi2_fs_done(call, result, errno);
    DIR *dir = fdopendir(fd);
    if (dir == NULL) {
        int e = errno;
        close(fd);
        return wasi2_fs_done(call, result, e);
    }
    component_val v = wasi2_own(reg->fs.dir_stream, dir);
    return wv_ok(call, result, &v);
}

WASI2_HOST_FN(wasi2_fs_read_directory_entry)
{
    (void)env;
    (void)nargs;
    DIR *dir = (DIR *)args[0].of.resource.rep;
    struct dirent *e;
    for (;;) {
        errno = 0;
        e = readdir(dir);
        if (e == NULL) {
            if (errno != 0)
                return wasi2_fs_done(call, result, errno);
            component_val none = wv_enum(0);
            return wv_ok(call, result, &none);
        }
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            break;
    }
    size_t len = strlen(e->d_name);
    if (!wasi2_utf8_valid(e->d_name, len))
        return wv_err(call, result, FSE_ILLEGAL_BYTE_SEQUENCE);
    component_val *f = component_call_vals(call, 4);
    if (f == NULL)
        return component_call_trap(call, "out of memory for a directory entry");
    if (e->d_type == DT_FIFO) {
        f[0] = wv_enum(DT2_FIFO);
    } else {
        static const uint32_t of_ft[] = {
            [HOSTIO_FT_UNKNOWN] = DT2_UNKNOWN, [HOSTIO_FT_BLOCK] = DT2_BLOCK,
            [HOSTIO_FT_CHAR] = DT2_CHAR,       [HOSTIO_FT_DIR] = DT2_DIRECTORY,
            [HOSTIO_FT_REG] = DT2_REGULAR,     [HOSTIO_FT_SOCK_DGRAM] = DT2_SOCKET,
            [HOSTIO_FT_SOCK_STREAM] = DT2_SOCKET, [HOSTIO_FT_SYMLINK] = DT2_SYMLINK,
        };
        f[0] = wv_enum(of_ft[hostio_dirent_filetype(dirfd(dir), e->d_name, e->d_type)]);
    }
    if (wasi2_val_string(call, &f[1], e->d_name, len) < 0)
        return -1;
    f[2] = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {f, 2}};
    f[3] = (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {1, &f[2]}};
    return wv_ok(call, result, &f[3]);
}

/* ---- streams of files -------------------------------------------------- */

/* A wasi:io stream over a file at an offset that the stream advances
 * (pread / pwrite on a dup of the descriptor, so the stream lives on if
 * the guest drops the descriptor first, and the descriptor's own reads
 * and writes at offsets are untouched).  An append stream writes at the
 * file's end each time.  Files never block: no `ready`. */
typedef struct file_stream {
    int fd;
    uint64_t off;
    bool append;
} file_stream;

/* What one check-write on a file allows. */
#define FILE_WRITE_PERMIT (1024 * 1024)

static ssize_t file_read(void *self, void *buf, size_t len)
{
    file_stream *f = self;
    ssize_t n;
    do {
        n = pread(f->fd, buf, len, (off_t)f->off);
    } while (n < 0 && errno == EINTR);
    if (n == 0)
        return WASI2_STREAM_CLOSED;
    if (n > 0)
        f->off += (uint64_t)n;
    return n;
}

static ssize_t file_check_write(void *self)
{
    (void)self;
    return FILE_WRITE_PERMIT;
}

static ssize_t file_write(void *self, const void *buf, size_t len)
{
    file_stream *f = self;
    static const uint8_t zeroes[4096];
    if (f->append) {
        struct stat st;
        if (fstat(f->fd, &st) < 0)
            return -1;
        f->off = (uint64_t)st.st_size;
    }
    while (len > 0) {
        size_t chunk = buf || len < sizeof(zeroes) ? len : sizeof(zeroes);
        ssize_t n = pwrite(f->fd, buf ? buf : zeroes, chunk, (off_t)f->off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        f->off += (uint64_t)n;
        len -= (size_t)n;
        if (buf)
            buf = (const uint8_t *)buf + n;
    }
    return 0;
}

static void file_close(void *self)
{
    file_stream *f = self;
    close(f->fd);
    free(f);
}

static const wasi2_stream_ops file_input_ops = {
    .name = "file",
    .read = file_read,
    .close = file_close,
};

static const wasi2_stream_ops file_output_ops = {
    .name = "file",
    .check_write = file_check_write,
    .write = file_write,
    .close = file_close,
};

/* A stream of `d` from `off`, or an errno. */
static int file_stream_new(const wasi2_descriptor *d, uint64_t off, bool output, bool append,
                           wasi2_stream **out)
{
    if (d->filetype == HOSTIO_FT_DIR)
        return EISDIR;
    if (output) {
        int e = may_write(d);
        if (e != 0)
            return e;
    } else if (!(d->fdflags & DF_READ)) {
        return EBADF;
    }
    if (off > INT64_MAX)
        return EINVAL;
    int fd = fcntl(d->host, F_DUPFD_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    file_stream *f = util_xcalloc(1, sizeof(*f));
    *f = (file_stream){.fd = fd, .off = off, .append = append};
    *out = wasi2_stream_new(output ? &file_output_ops : &file_input_ops, f);
    return 0;
}

static int stream_result(component_call *call, void *env, component_val *result,
                         const component_val *args, uint64_t off, bool output, bool append)
{
    const wasi2_fsnet_reg *reg = env;
    wasi2_stream *s = NULL;
    int e = file_stream_new(self_of(args), off, output, append, &s);
    if (e != 0)
        return wasi2_fs_done(call, result, e);
    component_val v =
        wasi2_own(output ? reg->host->output_stream : reg->host->input_stream, s);
    return wv_ok(call, result, &v);
}

WASI2_HOST_FN(wasi2_fs_read_via_stream)
{
    (void)nargs;
    return stream_result(call, env, result, args, args[1].of.u, false, false);
}

WASI2_HOST_FN(wasi2_fs_write_via_stream)
{
    (void)nargs;
    return stream_result(call, env, result, args, args[1].of.u, true, false);
}

WASI2_HOST_FN(wasi2_fs_append_via_stream)
{
    (void)nargs;
    return stream_result(call, env, result, args, 0, true, true);
}

/* filesystem-error-code: the error-code of a wasi:io error that carries a
 * host errno (those of file streams do), none for the others. */
WASI2_HOST_FN(wasi2_fs_error_code)
{
    (void)env;
    (void)nargs;
    const wasi2_error *e = (const wasi2_error *)args[0].of.resource.rep;
    if (e->errnum == 0)
        return wasi2_variant(call, 0, NULL, result);
    component_val code = wv_enum(wasi2_fs_error_from_errno(e->errnum));
    return wasi2_variant(call, 1, &code, result);
}
