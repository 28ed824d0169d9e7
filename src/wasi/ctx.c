/*
 * ctx.c - the wasi_ctx: argv/environment copies and the descriptor table.
 *
 * The table is a plain array indexed by guest fd; slot 0-2 are the
 * embedder's stdio (borrowed, never closed), then the preopens in config
 * order.  New descriptors take the lowest free slot, as POSIX does, which
 * is what guests that print their fds expect.  Everything is allocated in
 * wasi_ctx_new so a request-scoped ctx costs a few mallocs plus one open(2)
 * per preopen.
 */
#include "wasi_internal.h"

#include <dirent.h>
#include <poll.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

uint8_t wasi_filetype_from_mode(unsigned mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: return FT_REG;
    case S_IFDIR: return FT_DIR;
    case S_IFCHR: return FT_CHAR;
    case S_IFBLK: return FT_BLOCK;
    case S_IFLNK: return FT_SYMLINK;
    case S_IFSOCK: return FT_SOCK_STREAM;
    default: return FT_UNKNOWN;
    }
}

static uint64_t rights_for(uint8_t ft)
{
    switch (ft) {
    case FT_REG: return RIGHTS_FILE;
    case FT_DIR: return RIGHTS_DIR;
    case FT_SOCK_STREAM:
    case FT_SOCK_DGRAM: return RIGHTS_SOCK;
    default: return RIGHTS_TTY;
    }
}

static char **copy_strings(const char *const *src, size_t n, size_t *bytes)
{
    char **out = util_xcalloc(n + 1, sizeof(char *));
    *bytes = 0;
    for (size_t i = 0; i < n; i++) {
        out[i] = util_xstrdup(src[i] ? src[i] : "");
        *bytes += strlen(out[i]) + 1;
    }
    return out;
}

static void free_strings(char **v, size_t n)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Whatever host object the embedder puts behind stdio (a tty, a pipe, a
 * regular file or memfd collecting output), the guest gets one direction
 * only, as in wasmtime where stdio are one-way streams: stdin cannot be
 * written into, stdout/stderr cannot be read back or rewound (a seek or
 * tell would also let the guest overwrite what it wrote before).  A socket
 * handed in (inetd style) stays a whole socket: it is a conversation with
 * a peer the embedder chose, with nothing stored to read back or rewind. */
#define RIGHTS_STDIO_COMMON \
    (RIGHT_FD_FDSTAT_SET_FLAGS | RIGHT_FD_FILESTAT_GET | RIGHT_POLL_FD_READWRITE)
#define RIGHTS_STDIN (RIGHTS_STDIO_COMMON | RIGHT_FD_READ)
#define RIGHTS_STDOUT (RIGHTS_STDIO_COMMON | RIGHT_FD_WRITE | RIGHT_FD_DATASYNC | RIGHT_FD_SYNC)

static void set_stdio(wasi_fd *f, int host, bool input)
{
    memset(f, 0, sizeof(*f));
    if (host < 0) {
        f->kind = FDK_NULL;
        f->host = -1;
        f->filetype = FT_CHAR;
    } else {
        struct stat st;
        f->kind = FDK_HOST;
        f->host = host;
        f->borrowed = true;
        f->filetype = fstat(host, &st) == 0 ? wasi_filetype_from_mode(st.st_mode) : FT_UNKNOWN;
        int fl = fcntl(host, F_GETFL);
        if (fl >= 0 && (fl & O_APPEND))
            f->fdflags |= FDFLAG_APPEND;
    }
    f->rights_base = rights_for(f->filetype);
    if (f->filetype != FT_SOCK_STREAM && f->filetype != FT_SOCK_DGRAM)
        f->rights_base &= input ? RIGHTS_STDIN : RIGHTS_STDOUT;
    f->rights_inheriting = 0;
}

wasi_ctx *wasi_ctx_new(const wasi_config *config, util_error **err)
{
    wasi_ctx *ctx = util_xcalloc(1, sizeof(*ctx));
    ctx->argc = config->argc;
    ctx->argv = copy_strings(config->argv, config->argc, &ctx->argv_bytes);
    ctx->envc = config->envc;
    ctx->env = copy_strings(config->env, config->envc, &ctx->env_bytes);
    ctx->deadline_ns = config->deadline_ns;
    ctx->nfds = (uint32_t)(3 + config->npreopens);
    ctx->fds = util_xcalloc(ctx->nfds, sizeof(wasi_fd));
    set_stdio(&ctx->fds[0], config->stdin_fd, true);
    set_stdio(&ctx->fds[1], config->stdout_fd, false);
    set_stdio(&ctx->fds[2], config->stderr_fd, false);
    ctx->stdout_limit = config->stdout_limit;
    if (config->stdout_limit != 0) {
        ctx->fds[1].write_limited = true;
        ctx->fds[1].write_left = config->stdout_limit;
    }
    for (size_t i = 0; i < config->npreopens; i++) {
        const wasi_preopen *p = &config->preopens[i];
        wasi_fd *f = &ctx->fds[3 + i];
        if (p->host_path == NULL || p->guest_path == NULL) {
            util_error_set(err, 0, "preopen %zu: host and guest path are both required", i);
            wasi_ctx_free(ctx);
            return NULL;
        }
        int fd = open(p->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
            util_error_set(err, errno, "preopen directory %s", p->host_path);
            wasi_ctx_free(ctx);
            return NULL;
        }
        f->kind = FDK_HOST;
        f->host = fd;
        f->filetype = FT_DIR;
        f->read_only = p->read_only;
        f->rights_base = RIGHTS_DIR;
        f->rights_inheriting = RIGHTS_DIR | RIGHTS_FILE;
        if (p->read_only) {
            f->rights_base &= ~RIGHTS_WRITING;
            f->rights_inheriting &= ~RIGHTS_WRITING;
        }
        f->preopen = util_xstrdup(p->guest_path);
    }
    return ctx;
}

void wasi_fd_release(wasi_fd *f)
{
    if (f->dir != NULL)
        closedir(f->dir); /* owns a dup of the descriptor, see readdir.c */
    if (f->kind == FDK_HOST && !f->borrowed && f->host >= 0)
        close(f->host);
    free(f->preopen);
    memset(f, 0, sizeof(*f));
    f->kind = FDK_FREE;
    f->host = -1;
}

void wasi_ctx_free(wasi_ctx *ctx)
{
    if (ctx == NULL)
        return;
    for (uint32_t i = 0; i < ctx->nfds; i++)
        if (ctx->fds[i].kind != FDK_FREE || ctx->fds[i].preopen || ctx->fds[i].dir)
            wasi_fd_release(&ctx->fds[i]);
    free(ctx->fds);
    free_strings(ctx->argv, ctx->argc);
    free_strings(ctx->env, ctx->envc);
    free(ctx);
}

wasi_fd *wasi_fd_get(wasi_ctx *ctx, uint32_t fd)
{
    if (fd >= ctx->nfds || ctx->fds[fd].kind == FDK_FREE)
        return NULL;
    return &ctx->fds[fd];
}

int wasi_fd_check(wasi_ctx *ctx, uint32_t fd, uint64_t rights, wasi_fd **out)
{
    wasi_fd *f = wasi_fd_get(ctx, fd);
    if (f == NULL)
        return WE_BADF;
    if ((f->rights_base & rights) != rights)
        return WE_NOTCAPABLE;
    *out = f;
    return WE_SUCCESS;
}

int wasi_fd_insert(wasi_ctx *ctx, const wasi_fd *proto, uint32_t *out)
{
    uint32_t i;
    for (i = 0; i < ctx->nfds; i++)
        if (ctx->fds[i].kind == FDK_FREE)
            break;
    if (i == ctx->nfds) {
        if (ctx->nfds >= 1u << 20)
            return WE_NFILE;
        uint32_t n = ctx->nfds * 2 + 8;
        ctx->fds = util_xrealloc(ctx->fds, n * sizeof(wasi_fd));
        memset(ctx->fds + ctx->nfds, 0, (n - ctx->nfds) * sizeof(wasi_fd));
        ctx->nfds = n;
    }
    ctx->fds[i] = *proto;
    *out = i;
    return WE_SUCCESS;
}

uint64_t wasi_ctx_deadline(const wasi_ctx *ctx)
{
    return ctx->deadline_ns;
}

bool wasi_ctx_deadline_hit(const wasi_ctx *ctx)
{
    return ctx->deadline_hit;
}

int wasi_wait_ready(wasi_ctx *ctx, int fd, short events)
{
    if (ctx->deadline_ns == 0)
        return 0;
    for (;;) {
        uint64_t now = util_monotonic_ns();
        if (now >= ctx->deadline_ns)
            return WASI_DEADLINE;
        uint64_t wait = ctx->deadline_ns - now;
        struct timespec ts = {(time_t)(wait / 1000000000u), (long)(wait % 1000000000u)};
        struct pollfd p = {.fd = fd, .events = events};
        int n = ppoll(&p, 1, &ts, NULL);
        if (n > 0)
            return 0; /* ready, hung up or in error: the transfer tells which */
        if (n < 0 && errno != EINTR)
            return 0;
    }
}

int wasi_stop_at_deadline(wasm_caller *caller, wasi_ctx *ctx)
{
    ctx->deadline_hit = true;
    return wasm_caller_trap(caller, "deadline exceeded");
}
