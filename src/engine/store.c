/*
 * store.c - stores: the owner of every runtime object, the interned
 * function types, and the execution stacks.
 *
 * Objects are kept in plain pointer vectors and freed together when the
 * store dies; nothing is freed earlier, which is what the Wasm object
 * model asks for (an instance's functions may be referenced from any table
 * of the store).  The value stack is one large MAP_NORESERVE reservation
 * made at the first call (or taken back from the thread's pool, pool.c,
 * with its first MiB still resident), so frames never move and only
 * touched pages cost memory; the frame-record array holds max_call_depth
 * entries, which is what turns runaway recursion into a clean "call stack
 * exhausted" trap.
 */
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>

#include "module.h"
#include "runtime.h"

#define VALUE_STACK_BYTES (512ull << 20)
/* The start of a pooled value stack keeps its pages (see wasm_store_free). */
#define STACK_KEPT_BYTES (1ull << 20)

void wasm_rt_vec_push(rt_vec *v, void *p)
{
    if (v->len == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 8;
        v->items = util_xrealloc(v->items, v->cap * sizeof(void *));
    }
    v->items[v->len++] = p;
}

void wasm_rt_result_set(wasm_result *res, wasm_result_kind kind, const char *fmt, ...)
{
    if (!res)
        return;
    va_list ap;
    va_start(ap, fmt);
    res->kind = kind;
    vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
}

wasm_store *wasm_store_new(const wasm_store_config *config)
{
    wasm_store *s = util_xcalloc(1, sizeof *s);
    if (config)
        s->config = *config;
    s->max_depth = s->config.max_call_depth ? s->config.max_call_depth : RT_DEFAULT_CALL_DEPTH;
    atomic_init(&s->interrupt, false);
    return s;
}

int wasm_rt_stack_init(wasm_store *s)
{
    if (s->stack)
        return 0;
    void *p = wasm_rt_pool_take(WASM_RT_POOL_STACK, VALUE_STACK_BYTES);
    if (!p)
        p = mmap(NULL, VALUE_STACK_BYTES, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    s->stack = p;
    s->stack_end = s->stack + VALUE_STACK_BYTES / sizeof(rt_slot);
    s->stack_top = s->stack;
    /* the frame records (240 KiB by default) come from the thread's pool:
     * zeroing resident pages is cheap, faulting fresh ones in and
     * unmapping them per store is not */
    size_t frames_len = ((size_t)s->max_depth + 2) * sizeof(rt_frame);
    s->frames = wasm_rt_block_take(frames_len);
    memset(s->frames, 0, frames_len);
    return 0;
}

static void free_func(wasm_func *f)
{
    if (f->is_host && f->env_free)
        f->env_free(f->env);
    free(f);
}

static void free_instance(wasm_instance *inst)
{
    /* the big arrays go back to the thread's pool (pool.c) by their
     * lengths at instantiation */
    for (uint32_t i = 0; i < inst->nelems; i++) {
        int mode;
        uint32_t table, count;
        const uint8_t *off;
        uint8_t et;
        wasm_mv_elem(inst->module, i, &mode, &table, &off, &et, &count);
        wasm_rt_block_give(inst->elems[i].refs, (count ? count : 1) * sizeof(void *));
    }
    free(inst->elems);
    free(inst->data_dropped);
    if (inst->funcs)
        wasm_rt_block_give(inst->funcs, (inst->nfuncs + 1) * sizeof(wasm_func *));
    free(inst->tables);
    free(inst->mems);
    free(inst->globals);
    free(inst->type_ids);
    free(inst->exports);
    if (inst->own_funcs)
        wasm_rt_block_give(inst->own_funcs,
                           (inst->nown_funcs ? inst->nown_funcs : 1) * sizeof(wasm_func));
    if (inst->module)
        wasm_module_free(inst->module);
    free(inst);
}

void wasm_store_free(wasm_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->instances.len; i++)
        free_instance(s->instances.items[i]);
    for (size_t i = 0; i < s->funcs.len; i++)
        free_func(s->funcs.items[i]);
    for (size_t i = 0; i < s->memories.len; i++)
        wasm_rt_memory_free(s->memories.items[i]);
    for (size_t i = 0; i < s->tables.len; i++)
        wasm_rt_table_free(s->tables.items[i]);
    for (size_t i = 0; i < s->globals.len; i++)
        free(s->globals.items[i]);
    free(s->instances.items);
    free(s->funcs.items);
    free(s->memories.items);
    free(s->tables.items);
    free(s->globals.items);
    for (uint32_t i = 0; i < s->ntypes; i++) {
        free(s->types[i].sig);
        free(s->types[i].vals);
    }
    free(s->types);
    free(s->type_slots);
    if (s->stack) {
        /* Beyond its first STACK_KEPT_BYTES, emptied (zero pages again)
         * before another store may take it, so a deep guest's pages do not
         * stay with the pool.  The first part keeps its pages and old
         * values: no guest can read them (locals are zeroed at entry and
         * validated code writes every other slot before reading it), and
         * zapping touched pages costs a TLB flush per store, which is
         * dear in a VM (tens of microseconds here); an untouched range
         * costs none. */
        bool kept = madvise((char *)s->stack + STACK_KEPT_BYTES,
                            VALUE_STACK_BYTES - STACK_KEPT_BYTES, MADV_DONTNEED) == 0 &&
                    wasm_rt_pool_give(WASM_RT_POOL_STACK, s->stack, VALUE_STACK_BYTES);
        if (!kept)
            munmap(s->stack, VALUE_STACK_BYTES);
    }
    if (s->frames)
        wasm_rt_block_give(s->frames, ((size_t)s->max_depth + 2) * sizeof(rt_frame));
    free(s);
}

void wasm_store_interrupt(wasm_store *s)
{
    atomic_store_explicit(&s->interrupt, true, memory_order_relaxed);
}

void wasm_store_set_deadline(wasm_store *s, uint64_t monotonic_ns)
{
    s->deadline_ns = monotonic_ns;
}

void *wasm_store_user_data(wasm_store *s)
{
    return s->config.user_data;
}

static uint32_t sig_hash(const char *sig)
{
    uint32_t h = 2166136261u;
    for (; *sig; sig++)
        h = (h ^ (uint8_t)*sig) * 16777619u;
    return h;
}

/* The slot of `sig` in the type hash: its id + 1, or 0 where it would go. */
static uint32_t *type_slot(wasm_store *s, const char *sig)
{
    uint32_t mask = s->type_slots_cap - 1;
    for (uint32_t i = sig_hash(sig) & mask;; i = (i + 1) & mask) {
        uint32_t *slot = &s->type_slots[i];
        if (!*slot || strcmp(s->types[*slot - 1].sig, sig) == 0)
            return slot;
    }
}

/* Keeps the hash at most half full. */
static void type_slots_grow(wasm_store *s)
{
    if ((s->ntypes + 1) * 2 <= s->type_slots_cap)
        return;
    uint32_t ncap = s->type_slots_cap ? s->type_slots_cap * 2 : 64;
    free(s->type_slots);
    s->type_slots = util_xcalloc(ncap, sizeof *s->type_slots);
    s->type_slots_cap = ncap;
    for (uint32_t id = 0; id < s->ntypes; id++)
        *type_slot(s, s->types[id].sig) = id + 1;
}

uint32_t wasm_rt_store_intern_type(wasm_store *s, const char *sig)
{
    type_slots_grow(s);
    uint32_t *slot = type_slot(s, sig);
    if (*slot)
        return *slot - 1;
    if (s->ntypes == s->types_cap) {
        s->types_cap = s->types_cap ? s->types_cap * 2 : 16;
        s->types = util_xrealloc(s->types, s->types_cap * sizeof(rt_type));
    }
    rt_type *t = &s->types[s->ntypes];
    t->sig = util_xstrdup(sig);
    if (!wasm_rt_sig_parse(sig, &t->vals, &t->np, &t->nr)) {
        t->vals = NULL;
        t->np = t->nr = 0;
    }
    *slot = s->ntypes + 1;
    return s->ntypes++;
}

uint32_t *wasm_rt_store_intern_module_types(wasm_store *s, const wasm_module *m)
{
    uint32_t *ids = util_xcalloc(m->ntypes ? m->ntypes : 1, sizeof *ids);
    for (uint32_t i = 0; i < m->ntypes; i++)
        ids[i] = wasm_rt_store_intern_type(s, m->types[i].sig);
    return ids;
}

void wasm_rt_func_init(wasm_store *s, wasm_func *f, uint32_t type_id)
{
    const rt_type *t = &s->types[type_id];
    f->store = s;
    f->type_id = type_id;
    f->sig = t->sig;
    f->types = t->vals;
    f->nparams = t->np;
    f->nresults = t->nr;
}

static int letter_type(char c)
{
    switch (c) {
    case 'i': return WASM_I32;
    case 'I': return WASM_I64;
    case 'f': return WASM_F32;
    case 'F': return WASM_F64;
    case 'r': return WASM_FUNCREF;
    case 'e': return WASM_EXTERNREF;
    case 'v': return WASM_V128;
    default: return -1;
    }
}

char wasm_rt_type_letter(uint8_t t)
{
    switch (t) {
    case WASM_I32: return 'i';
    case WASM_I64: return 'I';
    case WASM_F32: return 'f';
    case WASM_F64: return 'F';
    case WASM_FUNCREF: return 'r';
    case WASM_EXTERNREF: return 'e';
    case WASM_V128: return 'v';
    default: return '?';
    }
}

bool wasm_rt_sig_parse(const char *sig, uint8_t **types, uint32_t *np, uint32_t *nr)
{
    const char *colon = sig ? strchr(sig, ':') : NULL;
    if (!colon || strchr(colon + 1, ':'))
        return false;
    size_t n = strlen(sig) - 1;
    uint8_t *t = util_xmalloc(n ? n : 1);
    size_t k = 0;
    for (const char *p = sig; *p; p++) {
        if (p == colon)
            continue;
        int ty = letter_type(*p);
        if (ty < 0) {
            free(t);
            return false;
        }
        t[k++] = (uint8_t)ty;
    }
    *types = t;
    *np = (uint32_t)(colon - sig);
    *nr = (uint32_t)(n - *np);
    return true;
}

wasm_func *wasm_func_new_host(wasm_store *s, const char *signature, wasm_host_fn fn, void *env,
                              void (*env_free)(void *))
{
    uint8_t *types;
    uint32_t np, nr;
    if (!fn || !wasm_rt_sig_parse(signature, &types, &np, &nr)) {
        util_log_error("wasm_func_new_host: malformed signature \"%s\"",
                       signature ? signature : "(null)");
        return NULL;
    }
    free(types);
    wasm_func *f = util_xcalloc(1, sizeof *f);
    wasm_rt_func_init(s, f, wasm_rt_store_intern_type(s, signature));
    f->is_host = true;
    f->fn = fn;
    f->env = env;
    f->env_free = env_free;
    wasm_rt_vec_push(&s->funcs, f);
    return f;
}

const char *wasm_func_signature(const wasm_func *f)
{
    return f->sig;
}

char *wasm_rt_sig_of_functype(const wasm_module *m, uint32_t type_idx)
{
    return util_xstrdup(m->types[type_idx].sig);
}
