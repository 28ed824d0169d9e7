/*
 * ctx.c - the wasi2_ctx: what one component instance's WASI 0.2 host
 * knows about its world (arguments, environment, stdio, preopens).
 *
 * Everything is copied or opened in wasi2_ctx_new, so the config may die
 * right after and a bad preopen fails there, naming it, instead of at the
 * guest's first open.  Stdio descriptors stay the embedder's: the ctx and
 * the streams over them never close them (container FIFOs, pipes a test
 * reads afterwards).  deadline_ns bounds every wait of a blocking call
 * (poll, blocking reads and writes): past it the call traps and
 * wasi2_ctx_deadline_hit says why.  Streams and other resources the guest holds are
 * freed by their handles' destructors, not by the ctx.
 */
#include "wasi2_internal.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

static char **copy_strings(const char *const *src, size_t n)
{
    char **out = util_xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        out[i] = util_xstrdup(src[i] ? src[i] : "");
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

static int check_env(const wasi2_config *c, util_error **err)
{
    for (size_t i = 0; i < c->envc; i++) {
        const char *kv = c->env[i];
        if (kv == NULL || strchr(kv, '=') == NULL || kv[0] == '=')
            return util_error_set(err, 0, "environment entry %zu (\"%s\") is not NAME=value", i,
                                  kv ? kv : "(null)");
    }
    return 0;
}

static int open_preopens(wasi2_ctx *ctx, const wasi2_config *c, util_error **err)
{
    ctx->preopens = util_xcalloc(c->npreopens ? c->npreopens : 1, sizeof(*ctx->preopens));
    for (size_t i = 0; i < c->npreopens; i++) {
        const wasi2_preopen *p = &c->preopens[i];
        if (p->host_path == NULL || p->guest_path == NULL)
            return util_error_set(err, 0, "preopen %zu: host and guest path are required", i);
        int fd = open(p->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            return util_error_set(err, errno, "preopen %s (as %s)", p->host_path,
                                  p->guest_path);
        ctx->preopens[i] = (wasi2_ctx_preopen){.host_path = util_xstrdup(p->host_path),
                                               .guest_path = util_xstrdup(p->guest_path),
                                               .read_only = p->read_only,
                                               .dirfd = fd};
        ctx->npreopens = i + 1;
    }
    return 0;
}

static void draw_seed(uint64_t seed[2])
{
    uint8_t *p = (uint8_t *)seed;
    size_t got = 0;
    while (got < 2 * sizeof(uint64_t)) {
        ssize_t n = getrandom(p + got, 2 * sizeof(uint64_t) - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            /* not a secret: a hash seed; the clock is an acceptable fallback */
            seed[0] = util_monotonic_ns();
            seed[1] = util_realtime_ns();
            return;
        }
        got += (size_t)n;
    }
}

wasi2_ctx *wasi2_ctx_new(const wasi2_config *config, util_error **err)
{
    if (config->argc && config->argv == NULL)
        return util_error_set(err, 0, "wasi2 config: %zu arguments but no argv", config->argc),
               NULL;
    if (config->envc && config->env == NULL)
        return util_error_set(err, 0, "wasi2 config: %zu environment entries but no env",
                              config->envc),
               NULL;
    if (check_env(config, err) < 0)
        return NULL;
    wasi2_ctx *ctx = util_xcalloc(1, sizeof(*ctx));
    ctx->argv = copy_strings(config->argv, config->argc);
    ctx->argc = config->argc;
    ctx->env = copy_strings(config->env, config->envc);
    ctx->envc = config->envc;
    ctx->stdin_fd = config->stdin_fd;
    ctx->stdout_fd = config->stdout_fd;
    ctx->stderr_fd = config->stderr_fd;
    ctx->allow_network = config->allow_network;
    ctx->deadline_ns = config->deadline_ns;
    ctx->outbound_allowed = config->outbound_allowed;
    ctx->outbound_self = config->outbound_self;
    ctx->local_request = config->local_request;
    ctx->local_self = config->local_self;
    draw_seed(ctx->insecure_seed);
    if (open_preopens(ctx, config, err) < 0) {
        wasi2_ctx_free(ctx);
        return NULL;
    }
    return ctx;
}

void wasi2_ctx_free(wasi2_ctx *ctx)
{
    if (ctx == NULL)
        return;
    free_strings(ctx->argv, ctx->argc);
    free_strings(ctx->env, ctx->envc);
    for (size_t i = 0; i < ctx->npreopens; i++) {
        free(ctx->preopens[i].host_path);
        free(ctx->preopens[i].guest_path);
        if (ctx->preopens[i].dirfd >= 0)
            close(ctx->preopens[i].dirfd);
    }
    free(ctx->preopens);
    free(ctx);
}

bool wasi2_ctx_deadline_hit(const wasi2_ctx *ctx)
{
    return ctx->deadline_hit;
}

uint64_t wasi2_ctx_until(const wasi2_ctx *ctx)
{
    return ctx->deadline_ns ? ctx->deadline_ns : WASI2_WAIT_FOREVER;
}
