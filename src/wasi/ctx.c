/*
 * ctx.c - the wasi_ctx: argv/environment copies and the descriptor table.
 *
 * The table is src/hostio's (numbering, ownership, preopens); this file
 * fills it as preview 1 wants and grants preview 1's rights: slots 0-2
 * are the embedder's stdio (borrowed, never closed), then the preopens in
 * config order.  Everything is allocated in wasi_ctx_new so a
 * request-scoped ctx costs a few mallocs plus one open(2) per preopen.
 */
#include "wasi_internal.h"

#include <dirent.h>
#include <poll.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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

static void set_stdio(hostio_fd *f, int host, bool input)
{
    memset(f, 0, sizeof(*f));
    if (host < 0) {
        f->kind = HOSTIO_FD_NULL;
        f->host = -1;
        f->filetype = FT_CHAR;
    } else {
        struct stat st;
        f->kind = HOSTIO_FD_HOST;
        f->host = host;
        f->borrowed = true;
        f->filetype = fstat(host, &st) == 0 ? hostio_filetype_from_mode(st.st_mode) : FT_UNKNOWN;
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
    hostio_fdtable_init(&ctx->fdt, (uint32_t)(3 + config->npreopens));
    hostio_fd *fds = ctx->fdt.fds;
    set_stdio(&fds[0], config->stdin_fd, true);
    set_stdio(&fds[1], config->stdout_fd, false);
    set_stdio(&fds[2], config->stderr_fd, false);
    ctx->stdout_limit = config->stdout_limit;
    if (config->stdout_limit != 0) {
        fds[1].write_limited = true;
        fds[1].write_left = config->stdout_limit;
    }
    for (size_t i = 0; i < config->npreopens; i++) {
        const wasi_preopen *p = &config->preopens[i];
        hostio_fd *f = &fds[3 + i];
        if (p->host_path == NULL || p->guest_path == NULL) {
            util_error_set(err, 0, "preopen %zu: host and guest path are both required", i);
            wasi_ctx_free(ctx);
            return NULL;
        }
        if (hostio_fd_open_preopen(f, p->host_path, p->guest_path, p->read_only, err) < 0) {
            wasi_ctx_free(ctx);
            return NULL;
        }
        f->rights_base = RIGHTS_DIR;
        f->rights_inheriting = RIGHTS_DIR | RIGHTS_FILE;
        if (p->read_only) {
            f->rights_base &= ~RIGHTS_WRITING;
            f->rights_inheriting &= ~RIGHTS_WRITING;
        }
    }
    return ctx;
}

void wasi_ctx_free(wasi_ctx *ctx)
{
    if (ctx == NULL)
        return;
    hostio_fdtable_free(&ctx->fdt);
    free_strings(ctx->argv, ctx->argc);
    free_strings(ctx->env, ctx->envc);
    free(ctx);
}

int wasi_fd_check(wasi_ctx *ctx, uint32_t fd, uint64_t rights, hostio_fd **out)
{
    return wasi_errno_from_host(hostio_fd_check(&ctx->fdt, fd, rights, out));
}

int wasi_fd_insert(wasi_ctx *ctx, const hostio_fd *proto, uint32_t *out)
{
    return wasi_errno_from_host(hostio_fd_insert(&ctx->fdt, proto, out));
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
