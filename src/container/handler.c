/*
 * handler.c - the registry of container handlers, and the prepare step
 * that runs for every launch in the caller, before the fork.
 *
 * Handlers are what lets the sandbox run something other than an execve'd
 * program without knowing what it is (container.h, "handlers"): the binary
 * registers them at start-up, before any container exists and before the
 * shim starts threads, so the registry is a fixed array written once and
 * only read afterwards, and a forked process sees the same array at the
 * same indices (the READY message names the claiming handler by index).
 *
 * prepare runs for every handler, not only the one that will claim the
 * process: claiming needs the container's view of its files, which exists
 * only after the fork and pivot_root.  A handler's prepare decides from
 * the process alone whether it has anything to do (most do nothing).
 */
#include "internal.h"

#include <string.h>

static const container_handler *registered[CONTAINER_MAX_HANDLERS];
static size_t n_registered;

int container_handler_register(const container_handler *h, util_error **err)
{
    if (h == NULL || h->name == NULL || h->name[0] == '\0')
        return util_error_set(err, 0, "container handler: a name is required");
    if (h->can_handle == NULL || h->run == NULL)
        return util_error_set(err, 0, "container handler %s: can_handle and run are required",
                              h->name);
    for (size_t i = 0; i < n_registered; i++)
        if (strcmp(registered[i]->name, h->name) == 0)
            return util_error_set(err, 0, "container handler %s: already registered", h->name);
    if (n_registered == CONTAINER_MAX_HANDLERS)
        return util_error_set(err, 0, "container handler %s: no room (at most %d handlers)",
                              h->name, CONTAINER_MAX_HANDLERS);
    registered[n_registered++] = h;
    return 0;
}

size_t container_handler_count(void)
{
    return n_registered;
}

const container_handler *container_handler_at(size_t i)
{
    return i < n_registered ? registered[i] : NULL;
}

int container_handlers_prepare(const spec_process *p, const char *rootfs, handler_states *hs,
                               util_error **err)
{
    memset(hs, 0, sizeof(*hs));
    container_program prog = {
        .args = p->args,
        .n_args = p->n_args,
        .env = p->env,
        .n_env = p->n_env,
        .cwd = p->cwd,
        .rootfs = rootfs,
    };
    for (size_t i = 0; i < n_registered; i++) {
        const container_handler *h = registered[i];
        if (h->prepare != NULL && h->prepare(&prog, &hs->state[i], err) < 0) {
            container_handlers_release(hs);
            return -1; /* the handler's message, as it wrote it */
        }
        hs->n = i + 1;
    }
    return 0;
}

void container_handlers_release(handler_states *hs)
{
    for (size_t i = 0; i < hs->n; i++) {
        const container_handler *h = registered[i];
        if (hs->state[i] != NULL && h->free_state != NULL)
            h->free_state(hs->state[i]);
        hs->state[i] = NULL;
    }
    hs->n = 0;
}
