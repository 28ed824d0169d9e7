/*
 * redis_trigger.h - the redis trigger's two halves (internal to src/spin):
 * the subscriber (redis_trigger.c: configuration, connections, messages)
 * and one message through a guest (redis_handler.c).
 */
#ifndef SPIN_REDIS_TRIGGER_H
#define SPIN_REDIS_TRIGGER_H

#include "http_executor.h"

/* How the subscriber reaches a running guest: watch(arg, store) when the
 * guest's store is made (true: the app is stopping, do not run) and
 * watch(arg, NULL) once it is done, so that a stop can interrupt it. */
typedef struct spin_redis_watch {
    bool (*watch)(void *arg, wasm_store *store);
    void *arg;
} spin_redis_watch;

/* Defines the types-only interface fermyon:spin/redis-types in the app's
 * component linker (app_load.c), which inbound-redis components import. */
int spin_redis_define_types(component_linker *l, util_error **err);
/* True if the component exports fermyon:spin/inbound-redis. */
bool spin_redis_is_component(const component_pre *pre);
/* Checks at load that `comp` can handle messages (the export, or a Spin 1
 * module's exports) and links a Spin 1 module; -1 with *err naming it. */
int spin_redis_guest_check(spin_component_runtime *comp, util_error **err);
/* Runs one message through a fresh instance of `comp`: 0, or -1 with *err
 * (a trap, an error result, a broken result), naming the component. */
int spin_redis_handle(const spin_component_runtime *comp, const spin_redis_watch *w,
                      const uint8_t *msg, size_t len, util_error **err);

#endif
