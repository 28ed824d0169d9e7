/*
 * fuzz_jit.c - differential libFuzzer target for the compiler tier: every
 * input that is a valid module is instantiated and run twice, once
 * interpreted and once compiled (WASM_TIER's switch, set before each
 * module is made so its functions are translated in that tier), with the
 * same stub imports (host functions returning zeros, fresh tables,
 * memories and globals).  Every exported function taking no arguments is
 * called in export order; the two runs must agree on each call's outcome
 * kind, message, backtrace and result bits, and at the end on memory 0's
 * size and contents and on every global's value.  A difference aborts.
 *
 * Runs are bounded by a 50 ms deadline per call; once either tier is
 * interrupted (the tiers run at different speeds, so a deadline is not a
 * comparable outcome) only the calls before it are compared.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jit.h"
#include "runtime.h"

#define MAX_CALLS 64

typedef struct call_out {
    wasm_result_kind kind;
    char msg[256];
    char bt[2048];
    uint64_t res[16];
} call_out;

typedef struct outcome {
    bool valid;      /* the module decoded, validated and instantiated */
    size_t ncalls;   /* calls made before the first interruption */
    bool interrupted;
    call_out calls[MAX_CALLS];
    uint64_t mem_size, mem_hash;
    uint32_t nglobals;
    uint64_t globals[64];
} outcome;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int stub(wasm_caller *c, void *env, const wasm_val *args, wasm_val *results)
{
    (void)c;
    (void)env;
    (void)args;
    (void)results;
    return 0;
}

static bool define_stub_imports(wasm_store *s, wasm_linker *l, wasm_module *m)
{
    wasm_result r;
    for (size_t i = 0; i < wasm_module_import_count(m); i++) {
        wasm_import_desc d = wasm_module_import(m, i);
        mv_extern_type t;
        wasm_mv_import_type(m, (uint32_t)i, &t);
        wasm_extern e = {.kind = t.kind};
        wasm_val zero;
        memset(&zero, 0, sizeof zero);
        wasm_limits lim = {t.limits.min, t.limits.has_max ? t.limits.max : UINT64_MAX};
        switch (t.kind) {
        case WASM_EXTERN_FUNC: {
            char *sig = wasm_rt_sig_of_functype(m, t.type_idx);
            e.of.func = wasm_func_new_host(s, sig, stub, NULL, NULL);
            free(sig);
            if (!e.of.func)
                return false;
            break;
        }
        case WASM_EXTERN_TABLE:
            e.of.table = wasm_table_new(s, (wasm_valtype)t.valtype, lim, zero, &r);
            if (!e.of.table)
                return false;
            break;
        case WASM_EXTERN_MEMORY:
            e.of.memory = wasm_memory_new(s, lim, &r);
            if (!e.of.memory)
                return false;
            break;
        case WASM_EXTERN_GLOBAL:
            e.of.global = wasm_global_new(s, (wasm_valtype)t.valtype, t.mutable_, zero);
            break;
        }
        wasm_linker_define(l, d.module, d.name, e);
    }
    return true;
}

static uint64_t fnv(const uint8_t *p, uint64_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (uint64_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

/* A reference as comparable across the two stores: which function of the
 * module (index + 1), a host function, or null. */
static uint64_t ref_id(const void *ref, bool func)
{
    const wasm_func *f = ref;
    if (!f)
        return 0;
    if (!func || f->is_host)
        return 1ull << 62;
    return (uint64_t)f->func_idx + 1;
}

/* a global's value as the guest can see it (an i32/f32 slot's upper half
 * is not part of the value; references are compared by what they name) */
static uint64_t global_bits(const wasm_global *g)
{
    switch (g->type) {
    case WASM_I32: case WASM_F32: return g->val.u32;
    case WASM_FUNCREF: return ref_id(g->val.ref, true);
    case WASM_EXTERNREF: return ref_id(g->val.ref, false);
    default: return g->val.u64;
    }
}

static void run_tier(bool compile, const uint8_t *data, size_t size, outcome *o)
{
    memset(o, 0, sizeof *o);
    wasm_rt_jit_set_enabled(compile);
    wasm_result r;
    /* tail calls and multi-memory reach the per-function fallback */
    wasm_features feat = {.tail_call = true, .multi_memory = true};
    wasm_module *m = wasm_module_new(data, size, &feat, &r);
    if (!m)
        return;
    wasm_store_config cfg = {.max_memory_bytes = 64ull << 20, .max_call_depth = 2000};
    wasm_store *s = wasm_store_new(&cfg);
    wasm_linker *l = wasm_linker_new();
    wasm_store_set_deadline(s, now_ns() + 50 * 1000000ull);
    wasm_instance *inst = define_stub_imports(s, l, m) ? wasm_instantiate(s, m, l, &r) : NULL;
    if (!inst) /* an instantiation trap may differ only by a deadline; not compared */
        goto out;
    o->valid = true;
    for (size_t i = 0; i < wasm_module_export_count(m) && o->ncalls < MAX_CALLS; i++) {
        wasm_export_desc d = wasm_module_export(m, i);
        if (d.kind != WASM_EXTERN_FUNC)
            continue;
        wasm_func *f = wasm_instance_func(inst, d.name);
        const char *sig = f ? wasm_func_signature(f) : NULL;
        if (!sig || sig[0] != ':' || strlen(sig + 1) > 16)
            continue;
        size_t nres = strlen(sig + 1);
        wasm_val res[16];
        memset(res, 0, sizeof res);
        wasm_store_set_deadline(s, now_ns() + 50 * 1000000ull);
        wasm_func_call(s, f, NULL, 0, res, nres, &r);
        if (r.kind == WASM_INTERRUPTED) {
            o->interrupted = true;
            break;
        }
        call_out *c = &o->calls[o->ncalls++];
        c->kind = r.kind;
        snprintf(c->msg, sizeof c->msg, "%s", r.message);
        snprintf(c->bt, sizeof c->bt, "%s", r.backtrace);
        for (size_t k = 0; k < nres; k++) {
            char t = sig[1 + k];
            c->res[k] = t == 'r'   ? ref_id(res[k].funcref, true)
                        : t == 'e' ? ref_id(res[k].externref, false)
                                   : (uint64_t)res[k].i64;
        }
    }
    if (inst->nmems) {
        o->mem_size = inst->mems[0]->size;
        o->mem_hash = fnv(inst->mems[0]->base, inst->mems[0]->size);
    }
    o->nglobals = inst->nglobals < 64 ? inst->nglobals : 64;
    for (uint32_t g = 0; g < o->nglobals; g++)
        o->globals[g] = global_bits(inst->globals[g]);
out:
    wasm_linker_free(l);
    wasm_store_free(s);
    wasm_module_free(m);
}

static void differ(const char *what, size_t call)
{
    fprintf(stderr, "fuzz_jit: the tiers differ: %s (call %zu)\n", what, call);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static outcome interp, compiled;
    run_tier(false, data, size, &interp);
    if (!interp.valid)
        return 0;
    run_tier(true, data, size, &compiled);
    if (!compiled.valid)
        differ("instantiation", 0);
    size_t n = interp.ncalls < compiled.ncalls ? interp.ncalls : compiled.ncalls;
    for (size_t i = 0; i < n; i++) {
        call_out *a = &interp.calls[i], *b = &compiled.calls[i];
        if (a->kind != b->kind) {
            fprintf(stderr, "interpreter: %d %s\ncompiled: %d %s\n", a->kind, a->msg, b->kind,
                    b->msg);
            differ("outcome kind", i);
        }
        if (strcmp(a->msg, b->msg) != 0) {
            fprintf(stderr, "interpreter: %s\ncompiled: %s\n", a->msg, b->msg);
            differ("message", i);
        }
        if (strcmp(a->bt, b->bt) != 0) {
            fprintf(stderr, "interpreter:\n%scompiled:\n%s", a->bt, b->bt);
            differ("backtrace", i);
        }
        if (memcmp(a->res, b->res, sizeof a->res) != 0)
            differ("results", i);
    }
    if (interp.interrupted || compiled.interrupted)
        return 0;
    if (interp.ncalls != compiled.ncalls)
        differ("number of calls", n);
    if (interp.mem_size != compiled.mem_size || interp.mem_hash != compiled.mem_hash)
        differ("memory", n);
    if (interp.nglobals != compiled.nglobals ||
        memcmp(interp.globals, compiled.globals, interp.nglobals * sizeof(uint64_t)) != 0)
        differ("globals", n);
    return 0;
}
