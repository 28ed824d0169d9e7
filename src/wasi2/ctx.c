/*
 * ctx.c - the WASI 0.2 context and wasi2_define (a minimal version for
 * filesystem and sockets; the full context with stdio, arguments and
 * environment comes with wasi:cli).
 */
#include "fsnet.h"

struct wasi2_ctx {
    wasi2_fs fs;
    bool allow_network;
};

wasi2_ctx *wasi2_ctx_new(const wasi2_config *config, util_error **err)
{
    wasi2_ctx *ctx = util_xcalloc(1, sizeof(*ctx));
    if (wasi2_fs_init(&ctx->fs, config, err) < 0) {
        free(ctx);
        return NULL;
    }
    ctx->allow_network = config->allow_network;
    return ctx;
}

void wasi2_ctx_free(wasi2_ctx *ctx)
{
    if (ctx == NULL)
        return;
    wasi2_fs_fini(&ctx->fs);
    free(ctx);
}

wasi2_fs *wasi2_ctx_fs(wasi2_ctx *ctx)
{
    return &ctx->fs;
}

bool wasi2_ctx_allow_network(const wasi2_ctx *ctx)
{
    return ctx->allow_network;
}

int wasi2_define(component_linker *l, wasi2_ctx *(*get_ctx)(void *data), util_error **err)
{
    wasi2_fsnet_reg *reg = wasi2_fsnet_reg_new(get_ctx);
    if (wasi2_define_filesystem(l, reg, err) < 0)
        return -1;
    return wasi2_define_sockets(l, reg, err);
}
