/*
 * buf.c - a growable, always NUL-terminated byte buffer.
 *
 * Used for building messages, HTTP responses and protobuf payloads.  Growth
 * doubles the capacity so appends are amortised O(1).
 */
#include "util.h"

#include <string.h>

void util_buf_reserve(util_buf *b, size_t extra)
{
    /* A size no allocation could satisfy must not wrap around into a small
     * one (the caller would then write past the buffer). */
    if (extra > SIZE_MAX / 2 - 1 - b->len) {
        fprintf(stderr, "fatal: buffer of %zu bytes cannot grow by %zu\n", b->len, extra);
        abort();
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    b->data = util_xrealloc(b->data, cap);
    b->cap = cap;
    b->data[b->len] = '\0'; /* keep the documented invariant from the first allocation */
}

void util_buf_append(util_buf *b, const void *data, size_t len)
{
    util_buf_reserve(b, len);
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void util_buf_append_str(util_buf *b, const char *s)
{
    util_buf_append(b, s, strlen(s));
}

void util_buf_printf(util_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n > 0) {
        util_buf_reserve(b, (size_t)n);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        b->len += (size_t)n;
    }
    va_end(ap);
}

void util_buf_free(util_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *util_buf_steal(util_buf *b, size_t *len)
{
    if (b->data == NULL)
        util_buf_reserve(b, 0), b->data[0] = '\0';
    char *d = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}
