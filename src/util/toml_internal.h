/*
 * toml_internal.h - parser state shared by toml_parse.c (document structure)
 * and toml_scalar.c (strings, numbers, datetimes).  Private to src/util.
 */
#ifndef UTIL_TOML_INTERNAL_H
#define UTIL_TOML_INTERNAL_H

#include "util.h"

typedef struct toml_parser {
    const char *src;
    size_t len;
    size_t pos;
    const char *source;
    unsigned line;     /* 1-based line of `pos` */
    size_t line_start; /* offset of the first byte of that line */
    int depth;         /* nesting of arrays / inline tables */
    util_error **err;
} toml_parser;

static inline int tp_peek(const toml_parser *p)
{
    return p->pos < p->len ? (unsigned char)p->src[p->pos] : -1;
}
static inline int tp_peek_at(const toml_parser *p, size_t off)
{
    return p->pos + off < p->len ? (unsigned char)p->src[p->pos + off] : -1;
}
static inline unsigned tp_col(const toml_parser *p)
{
    return (unsigned)(p->pos - p->line_start + 1);
}
/* True (and consumes it) when a LF or CRLF starts at pos. */
bool util_tp_newline(toml_parser *p);
/* Reports an error at byte `at`; always returns -1. */
int util_tp_error_at(toml_parser *p, size_t at, const char *fmt, ...) UTIL_PRINTF(3, 4);
#define tp_error(p, ...) util_tp_error_at((p), (p)->pos, __VA_ARGS__)

/* Scalars.  Each starts at p->pos and leaves pos after the value. */
int util_tp_parse_string(toml_parser *p, bool allow_multiline, char **out, size_t *out_len);
toml_value *util_tp_parse_scalar(toml_parser *p);
toml_value *util_tp_new_value(toml_parser *p, toml_type type);

/* Table entries (toml.c): lookup is hashed once a table grows past a few
 * keys, so hostile documents with many keys stay linear. */
toml_value *util_tp_table_find(const toml_value *t, const char *key, size_t len);
void util_tp_table_add(toml_value *t, const char *key, size_t len, toml_value *v, unsigned line,
                       unsigned col);

#endif
