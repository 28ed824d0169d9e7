/*
 * memory.c - allocation helpers and cleanup functions.
 *
 * Out-of-memory is treated as fatal: handling it at every call site of a
 * request handler or a shim RPC would double the code for a condition in
 * which the kernel's OOM killer usually acts first anyway.
 */
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void out_of_memory(size_t n)
{
    fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", n);
    abort();
}

void *util_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        out_of_memory(n);
    return p;
}

/* Buffers from this size on (a JS component's 12 MB, and the copy of its
 * core module) ask for transparent huge pages where the kernel gives them
 * on request ("madvise" mode): populating 12 MB took 25-35 ms of CPU in
 * 4 KiB pages on a VM, 3-15 ms in 2 MiB ones.  Only the 2 MiB-aligned
 * inside of the buffer is advised, so no memory is added to it. */
#define HUGE_ADVICE_MIN ((size_t)4 << 20)
#define HUGE_PAGE ((uintptr_t)2 << 20)

static void advise_huge_pages(void *p, size_t len)
{
#ifdef MADV_HUGEPAGE
    if (len < HUGE_ADVICE_MIN)
        return;
    uintptr_t start = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    uintptr_t end = ((uintptr_t)p + len) & ~(HUGE_PAGE - 1);
    if (end > start)
        madvise((void *)start, end - start, MADV_HUGEPAGE); /* only advice: may fail */
#else
    (void)p;
    (void)len;
#endif
}

void util_prefault(void *p, size_t len)
{
#ifdef MADV_POPULATE_WRITE
    /* A few faults cost less than the call; only big buffers matter. */
    if (len < 64 * 1024)
        return;
    advise_huge_pages(p, len);
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = ((uintptr_t)p + page - 1) & ~(page - 1);
    uintptr_t end = ((uintptr_t)p + len) & ~(page - 1);
    if (end > start)
        madvise((void *)start, end - start, MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)len;
#endif
}

void util_heap_prefault(size_t bytes)
{
    /* glibc serves a block this size from the heap (the mmap threshold is
     * 128 KiB) and, freed, merges it into the top chunk, which it trims only
     * beyond 128 KiB: the populated pages stay for the next allocations. */
    if (bytes > 120 * 1024)
        bytes = 120 * 1024;
    void *p = malloc(bytes);
    if (p == NULL)
        return;
    util_prefault(p, bytes);
    free(p);
}

void *util_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        out_of_memory(n * size);
    return p;
}

void *util_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        out_of_memory(n);
    return q;
}

char *util_xstrdup(const char *s)
{
    return util_xstrndup(s, strlen(s));
}

char *util_xstrndup(const char *s, size_t n)
{
    char *d = util_xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *util_xvasprintf(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        out_of_memory(strlen(fmt));
    return s;
}

char *util_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = util_xvasprintf(fmt, ap);
    va_end(ap);
    return s;
}

void util_freep(void *p)
{
    free(*(void **)p);
}

void util_fclosep(FILE **f)
{
    if (*f != NULL)
        fclose(*f);
}

void util_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno; /* cleanup must not clobber the errno being reported */
        close(*fd);
        errno = saved;
    }
}
