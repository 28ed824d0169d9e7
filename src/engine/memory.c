/*
 * memory.c - linear memories.
 *
 * A memory reserves its whole maximum address range up front (for a 32-bit
 * memory without a declared maximum: 4 GiB) as PROT_NONE and makes pages
 * accessible with mprotect as it grows.  The base therefore never moves:
 * pointers handed to host functions stay valid across memory.grow, and the
 * interpreter only has to re-read the size, never the base.  Bounds are
 * checked in software (addr + offset + size <= size, in 64 bits), so no
 * signal handler is needed; the reservation just keeps growth cheap.
 *
 * Instantiation may map a module's copy-on-write image of its initialised
 * memory (image.c) over the start of the reservation instead of copying the
 * data segments: the mapping replaces part of the anonymous reservation,
 * so growth (mprotect past it) and the final munmap of the whole
 * reservation work unchanged.  A freed reservation is reset and kept
 * for the thread's next memory of the same size (pool.c).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "runtime.h"

#define MAX_PAGES_32 65536ull

wasm_memory *wasm_rt_memory_new(wasm_store *s, uint64_t min_pages, uint64_t max_pages, bool has_max,
                                wasm_result *res)
{
    uint64_t ceiling = MAX_PAGES_32;
    if (s->config.max_memory_bytes) {
        uint64_t cap = s->config.max_memory_bytes / RT_PAGE_SIZE;
        if (min_pages > cap) {
            wasm_rt_result_set(res, WASM_RESOURCE,
                               "memory of %llu pages exceeds the store's cap of %llu bytes",
                               (unsigned long long)min_pages,
                               (unsigned long long)s->config.max_memory_bytes);
            return NULL;
        }
        if (cap < ceiling)
            ceiling = cap;
    }
    if (min_pages > MAX_PAGES_32) {
        wasm_rt_result_set(res, WASM_RESOURCE, "memory size must be at most 65536 pages (4GiB)");
        return NULL;
    }
    uint64_t limit = has_max && max_pages < ceiling ? max_pages : ceiling;
    if (limit < min_pages)
        limit = min_pages;
    uint64_t reserve = limit * RT_PAGE_SIZE;
    wasm_memory *m = util_xcalloc(1, sizeof *m);
    m->store = s;
    m->max_pages = has_max ? max_pages : MAX_PAGES_32;
    m->has_max = has_max;
    m->reserved = reserve;
    if (reserve) {
        void *p = wasm_rt_pool_take(WASM_RT_POOL_MEMORY, reserve);
        if (!p)
            p = mmap(NULL, reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
                     0);
        if (p == MAP_FAILED) {
            free(m);
            wasm_rt_result_set(res, WASM_RESOURCE, "cannot reserve linear memory: %s",
                               strerror(errno));
            return NULL;
        }
        m->base = p;
    }
    if (min_pages && mprotect(m->base, min_pages * RT_PAGE_SIZE, PROT_READ | PROT_WRITE) < 0) {
        munmap(m->base, reserve);
        free(m);
        wasm_rt_result_set(res, WASM_RESOURCE, "cannot allocate linear memory: %s",
                           strerror(errno));
        return NULL;
    }
    m->size = min_pages * RT_PAGE_SIZE;
    wasm_rt_vec_push(&s->memories, m);
    return m;
}

int64_t wasm_rt_memory_grow(wasm_memory *m, uint64_t delta)
{
    uint64_t old = m->size / RT_PAGE_SIZE;
    if (delta == 0)
        return (int64_t)old;
    if (delta > MAX_PAGES_32 || old + delta > m->max_pages ||
        (old + delta) * RT_PAGE_SIZE > m->reserved)
        return -1;
    if (mprotect(m->base + m->size, delta * RT_PAGE_SIZE, PROT_READ | PROT_WRITE) < 0)
        return -1;
    m->size += delta * RT_PAGE_SIZE;
    return (int64_t)old;
}

bool wasm_rt_memory_map_image(wasm_memory *m, int fd, size_t len)
{
    if (len > m->size)
        return false;
    void *p = mmap(m->base, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0);
    return p != MAP_FAILED;
}

/* Puts the reservation back in the state mmap made it in: the accessible
 * range (anonymous pages or an image's private mapping) replaced by fresh
 * PROT_NONE anonymous memory, whose pages are freed. */
static bool memory_reset(wasm_memory *m)
{
    if (!m->size)
        return true;
    void *p = mmap(m->base, m->size, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    return p != MAP_FAILED;
}

void wasm_rt_memory_free(wasm_memory *m)
{
    if (m->base && !(memory_reset(m) && wasm_rt_pool_give(WASM_RT_POOL_MEMORY, m->base,
                                                          m->reserved)))
        munmap(m->base, m->reserved);
    free(m);
}

wasm_memory *wasm_memory_new(wasm_store *s, wasm_limits pages, wasm_result *res)
{
    bool has_max = pages.max != UINT64_MAX;
    if (has_max && pages.max < pages.min) {
        wasm_rt_result_set(res, WASM_INVALID, "size minimum must not be greater than maximum");
        return NULL;
    }
    return wasm_rt_memory_new(s, pages.min, pages.max, has_max, res);
}

uint8_t *wasm_memory_data(wasm_memory *m)
{
    return m->base;
}

uint64_t wasm_memory_size(const wasm_memory *m)
{
    return m->size;
}

int64_t wasm_memory_grow(wasm_memory *m, uint64_t delta_pages)
{
    return wasm_rt_memory_grow(m, delta_pages);
}
