/*
 * pool.c - per-thread reuse of the big reservations every store makes.
 *
 * Spin makes a store and an instance per request, and each of them reserves
 * a 512 MiB value stack and a linear memory of up to 4 GiB with mmap, then
 * gives both back with munmap: four system calls and the page-table work
 * of creating and tearing down the areas, per request.  Instead, a freed
 * reservation goes to a small pool of the freeing thread (Spin's HTTP
 * workers are long-lived threads, each serving one request at a time), and
 * the next store made on that thread takes it back.
 *
 * A reservation enters the pool reset, so a new store cannot see anything
 * of the old one: a value stack is emptied with MADV_DONTNEED (its pages
 * read as zero again, as when fresh); a memory's accessible range
 * (anonymous pages and the private mapping of a module image alike) is
 * replaced by a fresh PROT_NONE anonymous mapping, exactly the state
 * wasm_rt_memory_new makes.  The guard pages beyond stay reserved.
 *
 * WASM_POOL_SIZE (default 4, at most 64; 0 turns pooling off) bounds how
 * many reservations of each kind a thread keeps; the pool is emptied when
 * its thread exits.  A memory is taken back only by a memory of the same
 * reservation size (all instances of one module under one store config).
 *
 * The same pool keeps the big heap blocks of an instance (its defined
 * functions, a large module has thousands; its function index; table
 * element arrays): malloc'd arrays of WASM_RT_POOL_BLOCK_MIN bytes or
 * more, handed back as they are (the taker writes every element, so no
 * zeroing is needed), taken back only at the same length, i.e. by the next
 * instance of the same module.  An instance has several, so a thread keeps
 * up to 8 times WASM_POOL_SIZE of them; they are freed at thread exit.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "runtime.h"

#define POOL_MAX 64u
#define POOL_DEFAULT 4u

typedef struct pooled {
    void *base;
    size_t len;
} pooled;

#define BLOCKS_PER_SLOT 8u
#define KINDS 3

typedef struct thread_pool {
    pooled items[KINDS][POOL_MAX * BLOCKS_PER_SLOT]; /* by wasm_rt_pool_kind */
    unsigned n[KINDS];
    bool registered; /* the key's destructor will empty it */
} thread_pool;

static _Thread_local thread_pool tl_pool;
static pthread_key_t pool_key;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static bool pool_key_ok;

static void pool_empty(void *p)
{
    thread_pool *tp = p;
    for (unsigned k = 0; k < KINDS; k++) {
        for (unsigned i = 0; i < tp->n[k]; i++) {
            if (k == WASM_RT_POOL_BLOCK)
                free(tp->items[k][i].base);
            else
                munmap(tp->items[k][i].base, tp->items[k][i].len);
        }
        tp->n[k] = 0;
    }
}

static void pool_setup(void)
{
    pool_key_ok = pthread_key_create(&pool_key, pool_empty) == 0;
}

/* WASM_POOL_SIZE, read at each return so that a process (or a test) can
 * change it; a few dozen nanoseconds against the munmap it saves. */
static unsigned pool_limit(void)
{
    const char *v = getenv("WASM_POOL_SIZE");
    if (!v || !*v)
        return POOL_DEFAULT;
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    if (*end)
        return POOL_DEFAULT;
    return n > POOL_MAX ? POOL_MAX : (unsigned)n;
}

void *wasm_rt_pool_take(wasm_rt_pool_kind kind, size_t len)
{
    thread_pool *tp = &tl_pool;
    for (unsigned i = tp->n[kind]; i-- > 0;) {
        if (tp->items[kind][i].len != len)
            continue;
        void *base = tp->items[kind][i].base;
        tp->items[kind][i] = tp->items[kind][--tp->n[kind]];
        return base;
    }
    return NULL;
}

bool wasm_rt_pool_give(wasm_rt_pool_kind kind, void *base, size_t len)
{
    thread_pool *tp = &tl_pool;
    unsigned limit = pool_limit() * (kind == WASM_RT_POOL_BLOCK ? BLOCKS_PER_SLOT : 1);
    if (tp->n[kind] >= limit || (kind == WASM_RT_POOL_BLOCK && len < WASM_RT_POOL_BLOCK_MIN))
        return false;
    if (!tp->registered) {
        pthread_once(&pool_once, pool_setup);
        if (!pool_key_ok || pthread_setspecific(pool_key, tp) != 0)
            return false;
        tp->registered = true;
    }
    tp->items[kind][tp->n[kind]++] = (pooled){.base = base, .len = len};
    return true;
}

void *wasm_rt_block_take(size_t len)
{
    void *p = len >= WASM_RT_POOL_BLOCK_MIN ? wasm_rt_pool_take(WASM_RT_POOL_BLOCK, len) : NULL;
    return p ? p : util_xmalloc(len ? len : 1);
}

void wasm_rt_block_give(void *p, size_t len)
{
    if (p && !wasm_rt_pool_give(WASM_RT_POOL_BLOCK, p, len))
        free(p);
}
