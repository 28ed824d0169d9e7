/*
 * call.c - the context of one call into the host (component_call).
 *
 * A host function gets its arguments lifted into an arena and builds its
 * result there (component_call_alloc / component_call_vals); the runtime
 * lowers the result and empties the arena, so a host function never frees
 * anything it returns.  The arena has a cap per call so that a guest
 * cannot make the host allocate without bound: past it the allocators
 * return NULL and the host function traps.
 *
 * Traps and exits are recorded in the context, not returned as errors:
 * the host function returns -1 and the runtime (or component_linker_call)
 * reads `trapped` / `exited` and the message to turn the call into the
 * guest's trap or a WASM_EXIT.
 */
#include "host.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* What one call may allocate: generous for any real WASI result (a
 * directory listing, a 4 MiB read), small enough that a guest asking for
 * absurd amounts is stopped long before memory runs out. */
#define CALL_ARENA_CAP ((size_t)64 << 20)

void *component_call_alloc(component_call *call, size_t size)
{
    return component_arena_alloc(call->arena, size);
}

component_val *component_call_vals(component_call *call, size_t n)
{
    if (n > SIZE_MAX / sizeof(component_val))
        return NULL;
    return component_call_alloc(call, n * sizeof(component_val));
}

void *component_call_data(component_call *call)
{
    return call->data;
}

wasm_store *component_call_store(component_call *call)
{
    return call->store;
}

int component_call_trap(component_call *call, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(call->message, sizeof call->message, fmt, ap);
    va_end(ap);
    call->trapped = true;
    return -1;
}

/* An exit is not a trap: the runtime reports it as WASM_EXIT with the
 * code, so only `exited` is set. */
int component_call_exit(component_call *call, int code)
{
    snprintf(call->message, sizeof call->message, "exit with code %d", code);
    call->exited = true;
    call->exit_code = code;
    return -1;
}

component_call *component_call_new(void *data)
{
    component_call *call = util_xcalloc(1, sizeof *call);
    call->arena = component_arena_new(CALL_ARENA_CAP);
    call->own_arena = true;
    call->data = data;
    call->exit_code = -1;
    return call;
}

void component_call_free(component_call *call)
{
    if (!call)
        return;
    if (call->own_arena)
        component_arena_free(call->arena);
    free(call);
}

const char *component_call_message(const component_call *call)
{
    return call->message;
}

int component_call_exit_code(const component_call *call)
{
    return call->exited ? call->exit_code : -1;
}

/* A context is reused call after call: the trap state goes with the
 * arena, so one call's trap does not shadow the next one. */
void component_call_reset(component_call *call)
{
    component_arena_reset(call->arena);
    call->trapped = false;
    call->exited = false;
    call->exit_code = -1;
    call->message[0] = '\0';
}
