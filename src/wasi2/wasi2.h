/*
 * wasi2.h - the door of src/wasi2: the WASI 0.2 host (wasi:io, clocks,
 * random, filesystem, cli, sockets), served to components through
 * src/component's linker.
 *
 * One registration serves every 0.2.x a component may import: the host
 * registers each interface at the newest 0.2 version it implements and the
 * linker's semver rule binds 0.2.0 .. 0.2.x imports to it, so components
 * that mix patch versions share one set of resource types.  Pre-release
 * names that Spin still links (0.2.0-rc-2023-10-18, -rc-2023-11-10) are
 * registered separately, exactly.
 *
 * Files and directories go through src/hostio, the same capability-safe
 * path resolution preview 1 uses: nothing a guest names can leave its
 * preopens.  Sockets are present so that components link, and refuse
 * every operation unless the embedder allows networking.
 */
#ifndef WASI2_WASI2_H
#define WASI2_WASI2_H

#include "component.h"
#include "util.h"

typedef struct wasi2_ctx wasi2_ctx;

typedef struct wasi2_preopen {
    const char *host_path;  /* directory on the host */
    const char *guest_path; /* name the guest sees (get-directories), e.g. "/" */
    bool read_only;
} wasi2_preopen;

typedef struct wasi2_config {
    const char *const *argv; /* get-arguments */
    size_t argc;
    const char *const *env;  /* "NAME=value" (get-environment) */
    size_t envc;
    int stdin_fd, stdout_fd, stderr_fd; /* -1: an empty stdin / a discarding sink */
    const wasi2_preopen *preopens;
    size_t npreopens;
    bool allow_network; /* wasi:sockets and ip-name-lookup; off: every call is access-denied */
    /* CLOCK_MONOTONIC ns after which blocking calls (poll, blocking reads
     * and writes) give up; 0 = none.  The store's deadline stops running
     * code; this stops a guest that waits. */
    uint64_t deadline_ns;
} wasi2_config;

static inline void wasi2_config_init(wasi2_config *c)
{
    *c = (wasi2_config){.stdin_fd = 0, .stdout_fd = 1, .stderr_fd = 2};
}

wasi2_ctx *wasi2_ctx_new(const wasi2_config *config, util_error **err);
void wasi2_ctx_free(wasi2_ctx *ctx);
/* True once a blocking call returned early because of deadline_ns. */
bool wasi2_ctx_deadline_hit(const wasi2_ctx *ctx);

/* Registers every WASI 0.2 interface in `l`.  Host functions find their
 * context as get_ctx(component_call_data(call)); get_ctx NULL means the
 * instance's data is the wasi2_ctx itself. */
int wasi2_define(component_linker *l, wasi2_ctx *(*get_ctx)(void *data), util_error **err);

#endif
