/*
 * jit_code.c - memory for compiled code, never writable and executable at
 * once (W^X).
 *
 * The compiler assembles a function in an ordinary heap buffer; only the
 * finished bytes are copied into a fresh private anonymous mapping, which
 * is then switched from read+write to read+execute with mprotect before
 * its address is handed out.  Nothing ever writes it again: freeing
 * unmaps it.  One mapping per function wastes the tail of a page, which is
 * acceptable while only functions that are called get compiled; a shared
 * arena is a later slice.  If the kernel refuses executable mappings (a
 * hardened sandbox), compilation fails and the function stays interpreted.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "jit.h"

#if WASM_RT_JIT

void *wasm_rt_jit_code_map(const uint8_t *code, size_t len, size_t *map_len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t n = (len + page - 1) / page * page;
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    memcpy(p, code, len);
    if (mprotect(p, n, PROT_READ | PROT_EXEC) != 0) {
        munmap(p, n);
        return NULL;
    }
    *map_len = n;
    return p;
}

void wasm_rt_jit_code_unmap(void *map, size_t map_len)
{
    if (map)
        munmap(map, map_len);
}

#endif
