/*
 * call.c - the API entry into execution (wasm_func_call) and how outcomes
 * become a wasm_result: trap messages, exit codes, interrupts, backtraces.
 *
 * A call places its arguments at the top of the store's value stack and
 * lets the interpreter run; the interpreter never longjmps, it returns -1
 * with the outcome left in the store, so host functions calling back into
 * Wasm nest naturally and every activation cleans up by returning.
 *
 * Only those re-entries (host -> Wasm -> host -> ...) consume native stack,
 * and how much one costs depends on the build (an ASan -O0 interpreter
 * frame is tens of KiB), so they are bounded by the native stack itself:
 * each thread learns its stack's lowest address once (pthread_getattr_np),
 * and a call whose frame lies within NATIVE_STACK_MARGIN of it traps with
 * "call stack exhausted" instead of letting a deeper level overflow.  The
 * margin is what the last admitted level may still use: one interpreter
 * activation plus a host function, with room to spare.  An outermost call
 * is not checked, so a process that never re-enters (every Spin request)
 * never pays for the probe (which reads /proc/self/maps on the main thread).
 */
#include <pthread.h>
#include <string.h>

#include "runtime.h"

#define NATIVE_STACK_MARGIN (256u * 1024u)

/* Lowest address a call may run at on this thread; 0 = no bound known
 * (pthread_getattr_np failed), where only the Wasm call depth limits. */
static _Thread_local uintptr_t native_stack_floor;
static _Thread_local bool native_stack_probed;
/* wasm_func_call activations on this thread */
static _Thread_local uint32_t thread_nesting;

static uintptr_t stack_floor(void)
{
    if (UTIL_LIKELY(native_stack_probed))
        return native_stack_floor;
    native_stack_probed = true;
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
        return 0;
    void *addr;
    size_t size;
    if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
        /* a small thread stack keeps three quarters for nesting */
        size_t margin = size / 4 < NATIVE_STACK_MARGIN ? size / 4 : NATIVE_STACK_MARGIN;
        native_stack_floor = (uintptr_t)addr + margin;
    }
    pthread_attr_destroy(&attr);
    return native_stack_floor;
}

/* Is this a re-entry too close to the end of the native stack?  (The
 * stack grows down on every target we build for.) */
static bool native_stack_low(void)
{
    return thread_nesting > 0 && (uintptr_t)__builtin_frame_address(0) < stack_floor();
}

uintptr_t wasm_rt_native_stack_floor(void)
{
    return stack_floor();
}

bool wasm_rt_native_stack_low(void)
{
    return native_stack_low();
}

void wasm_rt_backtrace(wasm_store *s, uint32_t from, wasm_func *innermost)
{
    char *bt = s->pending_bt;
    size_t cap = sizeof s->pending_bt, len = 0;
    bt[0] = '\0';
    unsigned n = 0;
    wasm_func *f = innermost;
    uint32_t d = s->depth;
    (void)from;
    for (;;) {
        if (f) {
            char line[160];
            if (f->is_host) {
                snprintf(line, sizeof line, "  #%u <host function>\n", n);
            } else {
                const char *name = wasm_mv_func_name(f->inst->module, f->func_idx);
                snprintf(line, sizeof line, "  #%u %.100s (func %u)\n", n,
                         name ? name : "<unnamed>", f->func_idx);
            }
            size_t ll = strlen(line);
            if (len + ll + 1 > cap) {
                if (len + 6 < cap)
                    memcpy(bt + len, "  ...\n", 7);
                break;
            }
            memcpy(bt + len, line, ll + 1);
            len += ll;
            n++;
        }
        if (d == 0)
            break;
        d--;
        f = s->frames[d].func;
    }
}

void wasm_rt_set_trap(wasm_store *s, const char *msg)
{
    s->pending_kind = WASM_TRAP;
    snprintf(s->pending_msg, sizeof s->pending_msg, "%s", msg);
    s->pending_bt[0] = '\0';
}

void wasm_rt_fill_result(wasm_store *s, wasm_result *res)
{
    if (!res)
        return;
    res->kind = s->pending_kind;
    res->exit_code = s->pending_exit;
    snprintf(res->message, sizeof res->message, "%s", s->pending_msg);
    if (s->pending_kind == WASM_TRAP)
        snprintf(res->backtrace, sizeof res->backtrace, "%s", s->pending_bt);
    else
        res->backtrace[0] = '\0';
}

static void clear_pending(wasm_store *s)
{
    s->pending_kind = WASM_OK;
    s->pending_exit = 0;
    s->pending_msg[0] = '\0';
    s->pending_bt[0] = '\0';
}

int wasm_func_call(wasm_store *s, wasm_func *f, const wasm_val *args, size_t nargs,
                   wasm_val *results, size_t nresults, wasm_result *res)
{
    if (res)
        wasm_result_init(res);
    if (!f || f->store != s) {
        wasm_rt_result_set(res, WASM_TRAP, "function does not belong to this store");
        return -1;
    }
    if (nargs != f->nparams || nresults != f->nresults) {
        wasm_rt_result_set(res, WASM_TRAP,
                           "wrong number of values: function %s takes %u and returns %u, "
                           "got %zu and %zu",
                           f->sig, f->nparams, f->nresults, nargs, nresults);
        return -1;
    }
    if (wasm_rt_stack_init(s) < 0) {
        wasm_rt_result_set(res, WASM_RESOURCE, "cannot allocate the value stack");
        return -1;
    }
    rt_slot *fp = s->stack_top;
    uint32_t need = f->nparams > f->nresults ? f->nparams : f->nresults;
    if (fp + need + 1 > s->stack_end || s->depth >= s->max_depth || native_stack_low()) {
        wasm_rt_result_set(res, WASM_TRAP, "call stack exhausted");
        return -1;
    }
    for (uint32_t i = 0; i < f->nparams; i++)
        fp[i].u64 = 0;
    for (uint32_t i = 0; i < f->nparams; i++) {
        switch (f->types[i]) {
        case WASM_I32: fp[i].u64 = (uint32_t)args[i].i32; break;
        case WASM_F32: fp[i].u64 = args[i].f32_bits; break;
        case WASM_FUNCREF: fp[i].ref = args[i].funcref; break;
        case WASM_EXTERNREF: fp[i].ref = args[i].externref; break;
        default: fp[i].i64 = args[i].i64; break;
        }
    }
    uint32_t depth0 = s->depth;
    rt_slot *top0 = s->stack_top;
    clear_pending(s);
    int rc;
    thread_nesting++;
    if (f->is_host) {
        s->stack_top = fp + need;
        rc = wasm_rt_call_host(s, f, NULL, fp);
    } else {
        rc = wasm_rt_interp_call(s, f, fp);
    }
    thread_nesting--;
    s->depth = depth0;
    s->stack_top = top0;
    if (rc < 0) {
        wasm_rt_fill_result(s, res);
        if (res && res->kind == WASM_OK)
            res->kind = WASM_TRAP;
        return -1;
    }
    for (uint32_t i = 0; i < f->nresults; i++) {
        memset(&results[i], 0, sizeof results[i]);
        uint8_t t = f->types[f->nparams + i];
        switch (t) {
        case WASM_I32: results[i].i32 = fp[i].i32; break;
        case WASM_F32: results[i].f32_bits = fp[i].u32; break;
        case WASM_FUNCREF: results[i].funcref = fp[i].ref; break;
        case WASM_EXTERNREF: results[i].externref = fp[i].ref; break;
        default: results[i].i64 = fp[i].i64; break;
        }
    }
    return 0;
}
