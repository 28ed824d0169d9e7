/*
 * toml_parse.c - TOML 1.0 document structure: keys, tables, arrays, and the
 * rules about which table may be defined or extended from where.
 *
 * A recursive-descent parser over the raw bytes.  The whole input is checked
 * for valid UTF-8 first, so the rest of the parser can treat every byte >=
 * 0x80 as part of a valid character.  Nesting of arrays and inline tables is
 * capped so hostile input cannot exhaust the stack.
 *
 * Each table carries flags recording how it came to exist, which is all the
 * spec's redefinition rules need:
 *   IMPLICIT  created as a parent of a [header]; may be defined once later
 *   EXPLICIT  defined by its own [header]; a second [header] is an error
 *   DOTTED    created by a dotted key; only dotted keys may add to it and
 *             no [header] may define it (but a header may pass through it)
 *   FROZEN    an inline table; nothing may ever add to it
 * Arrays made by [[header]] carry AOT; any other array is static and can
 * neither be appended to by [[header]] nor entered by [header].
 */
#include "toml_internal.h"

#include <string.h>

enum {
    T_IMPLICIT = 1,
    T_EXPLICIT = 2,
    T_DOTTED = 4,
    T_FROZEN = 8,
    A_AOT = 16,
};

#define MAX_DEPTH 100
#define MAX_KEY_PARTS 128

bool util_tp_newline(toml_parser *p)
{
    size_t n = 0;
    if (tp_peek(p) == '\n')
        n = 1;
    else if (tp_peek(p) == '\r' && tp_peek_at(p, 1) == '\n')
        n = 2;
    else
        return false;
    p->pos += n;
    p->line++;
    p->line_start = p->pos;
    return true;
}

int util_tp_error_at(toml_parser *p, size_t at, const char *fmt, ...)
{
    unsigned line = 1;
    size_t line_start = 0;
    if (at > p->len)
        at = p->len;
    for (size_t i = 0; i < at; i++) {
        if (p->src[i] == '\n') {
            line++;
            line_start = i + 1;
        }
    }
    unsigned col = 1;
    for (size_t i = line_start; i < at; i++)
        if (((unsigned char)p->src[i] & 0xC0) != 0x80)
            col++;
    va_list ap;
    va_start(ap, fmt);
    char *msg = util_xvasprintf(fmt, ap);
    va_end(ap);
    util_error_set(p->err, 0, "%s:%u:%u: %s", p->source, line, col, msg);
    free(msg);
    return -1;
}

/* Rejects malformed UTF-8, overlong forms, surrogates and code points past
 * U+10FFFF; returns the offset of the first bad byte or len. */
static size_t utf8_check(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
            min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
            min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return i;
        }
        for (size_t k = 1; k <= n; k++) {
            if (i + k >= len || (s[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += n + 1;
    }
    return len;
}

/* ---- tables ------------------------------------------------------------- */

static toml_value *new_table(toml_parser *p, unsigned flags)
{
    toml_value *t = util_tp_new_value(p, TOML_TABLE);
    t->flags = flags;
    return t;
}

static void array_add(toml_value *a, toml_value *v)
{
    if (a->u.array.len == a->u.array.cap) {
        a->u.array.cap = a->u.array.cap ? a->u.array.cap * 2 : 4;
        a->u.array.items = util_xrealloc(a->u.array.items, a->u.array.cap * sizeof(toml_value *));
    }
    a->u.array.items[a->u.array.len++] = v;
}

/* ---- keys --------------------------------------------------------------- */

typedef struct key_part {
    char *s;
    size_t len;
    size_t at; /* offset in the source, for messages */
} key_part;

typedef struct key_path {
    key_part *parts;
    size_t len, cap;
} key_path;

static void key_path_free(key_path *k)
{
    for (size_t i = 0; i < k->len; i++)
        free(k->parts[i].s);
    free(k->parts);
    k->parts = NULL;
    k->len = k->cap = 0;
}

static bool is_ws(int c)
{
    return c == ' ' || c == '\t';
}

static void skip_ws(toml_parser *p)
{
    while (is_ws(tp_peek(p)))
        p->pos++;
}

static bool is_bare(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

/* Printable form of a key for messages; the caller frees it. */
static char *key_display(const key_path *k, size_t upto)
{
    util_buf b = {0};
    util_buf_reserve(&b, 16);
    for (size_t i = 0; i <= upto && i < k->len; i++) {
        if (i)
            util_buf_append(&b, ".", 1);
        bool bare = k->parts[i].len > 0;
        for (size_t j = 0; j < k->parts[i].len; j++)
            if (!is_bare((unsigned char)k->parts[i].s[j]))
                bare = false;
        if (bare) {
            util_buf_append(&b, k->parts[i].s, k->parts[i].len);
        } else {
            util_buf_append(&b, "\"", 1);
            for (size_t j = 0; j < k->parts[i].len; j++) {
                unsigned char c = (unsigned char)k->parts[i].s[j];
                if (c < 0x20 || c == 0x7F)
                    util_buf_printf(&b, "\\u%04X", c);
                else if (c == '"' || c == '\\')
                    util_buf_printf(&b, "\\%c", c);
                else
                    util_buf_append(&b, &k->parts[i].s[j], 1);
            }
            util_buf_append(&b, "\"", 1);
        }
    }
    return util_buf_steal(&b, NULL);
}

static int parse_key(toml_parser *p, key_path *k)
{
    for (;;) {
        if (k->len >= MAX_KEY_PARTS)
            return tp_error(p, "dotted key has more than %d parts", MAX_KEY_PARTS);
        skip_ws(p);
        key_part part = {.at = p->pos};
        int c = tp_peek(p);
        if (c == '"' || c == '\'') {
            if (util_tp_parse_string(p, false, &part.s, &part.len) < 0)
                return -1;
        } else if (is_bare(c)) {
            size_t start = p->pos;
            while (is_bare(tp_peek(p)))
                p->pos++;
            part.len = p->pos - start;
            part.s = util_xstrndup(p->src + start, part.len);
        } else if (c < 0 || c == '\n' || c == '\r') {
            return tp_error(p, "expected a key");
        } else if (c == '=') {
            return tp_error(p, "missing key before '='");
        } else if (c >= 0x20 && c < 0x7F) {
            return tp_error(p, "invalid character '%c' in key", c);
        } else {
            return tp_error(p, "invalid character in key");
        }
        if (k->len == k->cap) {
            k->cap = k->cap ? k->cap * 2 : 4;
            k->parts = util_xrealloc(k->parts, k->cap * sizeof(key_part));
        }
        k->parts[k->len++] = part;
        skip_ws(p);
        if (tp_peek(p) != '.')
            return 0;
        p->pos++;
    }
}

/* ---- values ------------------------------------------------------------- */

static toml_value *parse_value(toml_parser *p);
static int parse_keyval(toml_parser *p, toml_value *table);

/* Whitespace, newlines and comments, as allowed between array items. */
static int skip_ws_comments_newlines(toml_parser *p);

static int skip_comment(toml_parser *p)
{
    if (tp_peek(p) != '#')
        return 0;
    p->pos++;
    for (;;) {
        int c = tp_peek(p);
        if (c < 0 || c == '\n')
            return 0;
        if (c == '\r') {
            if (tp_peek_at(p, 1) == '\n')
                return 0;
            return tp_error(p, "carriage return without line feed");
        }
        if ((c < 0x20 && c != '\t') || c == 0x7F)
            return tp_error(p, "control character U+%04X in comment", (unsigned)c);
        p->pos++;
    }
}

static int skip_ws_comments_newlines(toml_parser *p)
{
    for (;;) {
        skip_ws(p);
        if (skip_comment(p) < 0)
            return -1;
        if (tp_peek(p) == '\r' && tp_peek_at(p, 1) != '\n')
            return tp_error(p, "carriage return without line feed");
        if (!util_tp_newline(p))
            return 0;
    }
}

static toml_value *parse_array(toml_parser *p)
{
    toml_value *a = util_tp_new_value(p, TOML_ARRAY);
    size_t start = p->pos;
    p->pos++;
    for (;;) {
        if (skip_ws_comments_newlines(p) < 0)
            goto fail;
        if (tp_peek(p) == ']') {
            p->pos++;
            return a;
        }
        if (tp_peek(p) < 0) {
            util_tp_error_at(p, start, "unterminated array");
            goto fail;
        }
        if (tp_peek(p) == ',') {
            tp_error(p, "expected a value before ','");
            goto fail;
        }
        toml_value *v = parse_value(p);
        if (v == NULL)
            goto fail;
        array_add(a, v);
        if (skip_ws_comments_newlines(p) < 0)
            goto fail;
        if (tp_peek(p) == ',') {
            p->pos++;
            continue;
        }
        if (tp_peek(p) == ']') {
            p->pos++;
            return a;
        }
        if (tp_peek(p) < 0)
            util_tp_error_at(p, start, "unterminated array");
        else
            tp_error(p, "expected ',' or ']' in array");
        goto fail;
    }
fail:
    util_toml_free(a);
    return NULL;
}

static toml_value *parse_inline_table(toml_parser *p)
{
    toml_value *t = new_table(p, 0);
    size_t start = p->pos;
    p->pos++;
    skip_ws(p);
    if (tp_peek(p) == '}') {
        p->pos++;
        t->flags = T_FROZEN;
        return t;
    }
    for (;;) {
        if (parse_keyval(p, t) < 0)
            goto fail;
        skip_ws(p);
        int c = tp_peek(p);
        if (c == ',') {
            p->pos++;
            skip_ws(p);
            if (tp_peek(p) == '}') {
                tp_error(p, "trailing comma in inline table");
                goto fail;
            }
            continue;
        }
        if (c == '}') {
            p->pos++;
            t->flags = T_FROZEN;
            return t;
        }
        if (c < 0)
            util_tp_error_at(p, start, "unterminated inline table");
        else if (c == '\n' || c == '\r')
            tp_error(p, "newline in inline table");
        else
            tp_error(p, "expected ',' or '}' in inline table");
        goto fail;
    }
fail:
    util_toml_free(t);
    return NULL;
}

static toml_value *parse_value(toml_parser *p)
{
    int c = tp_peek(p);
    if (c != '[' && c != '{')
        return util_tp_parse_scalar(p);
    if (p->depth >= MAX_DEPTH) {
        tp_error(p, "arrays and inline tables nested deeper than %d", MAX_DEPTH);
        return NULL;
    }
    p->depth++;
    toml_value *v = c == '[' ? parse_array(p) : parse_inline_table(p);
    p->depth--;
    return v;
}

/* key = value, into `table`.  Dotted keys create (or walk) DOTTED tables. */
static int parse_keyval(toml_parser *p, toml_value *table)
{
    key_path k = {0};
    skip_ws(p);
    unsigned key_line = p->line;
    unsigned key_col = tp_col(p);
    if (parse_key(p, &k) < 0)
        goto fail;
    if (tp_peek(p) != '=') {
        tp_error(p, "expected '=' after key");
        goto fail;
    }
    p->pos++;
    skip_ws(p);
    toml_value *cur = table;
    for (size_t i = 0; i + 1 < k.len; i++) {
        toml_value *next = util_tp_table_find(cur, k.parts[i].s, k.parts[i].len);
        if (next == NULL) {
            next = new_table(p, T_DOTTED);
            next->line = key_line;
            next->col = (unsigned)(k.parts[i].at - p->line_start + 1);
            util_tp_table_add(cur, k.parts[i].s, k.parts[i].len, next, key_line, next->col);
        } else if (next->type != TOML_TABLE || !(next->flags & T_DOTTED) ||
                   (next->flags & T_FROZEN)) {
            cleanup_free char *name = key_display(&k, i);
            util_tp_error_at(p, k.parts[i].at, "cannot add keys to '%s': it is already defined",
                             name);
            goto fail;
        }
        cur = next;
    }
    key_part *last = &k.parts[k.len - 1];
    if (util_tp_table_find(cur, last->s, last->len) != NULL) {
        cleanup_free char *name = key_display(&k, k.len - 1);
        util_tp_error_at(p, last->at, "duplicate key '%s'", name);
        goto fail;
    }
    toml_value *v = parse_value(p);
    if (v == NULL)
        goto fail;
    util_tp_table_add(cur, last->s, last->len, v, key_line, key_col);
    key_path_free(&k);
    return 0;
fail:
    key_path_free(&k);
    return -1;
}

/* [a.b.c] or [[a.b.c]]; returns the table that following keys go into. */
static toml_value *parse_header(toml_parser *p, toml_value *root)
{
    size_t start = p->pos;
    unsigned line = p->line;
    bool aot = tp_peek_at(p, 1) == '[';
    p->pos += aot ? 2 : 1;
    key_path k = {0};
    toml_value *result = NULL;
    char *name = NULL;
    if (parse_key(p, &k) < 0)
        goto out;
    if (tp_peek(p) != ']' || (aot && tp_peek_at(p, 1) != ']')) {
        tp_error(p, aot ? "expected ']]' to close the array-of-tables header"
                        : "expected ']' to close the table header");
        goto out;
    }
    p->pos += aot ? 2 : 1;
    toml_value *cur = root;
    for (size_t i = 0; i + 1 < k.len; i++) {
        toml_value *next = util_tp_table_find(cur, k.parts[i].s, k.parts[i].len);
        if (next == NULL) {
            next = new_table(p, T_IMPLICIT);
            next->line = line;
            next->col = (unsigned)(start - p->line_start + 1);
            util_tp_table_add(cur, k.parts[i].s, k.parts[i].len, next, line, next->col);
        } else if (next->type == TOML_ARRAY && (next->flags & A_AOT)) {
            next = next->u.array.items[next->u.array.len - 1];
        } else if (next->type != TOML_TABLE || (next->flags & T_FROZEN)) {
            name = key_display(&k, i);
            util_tp_error_at(p, k.parts[i].at, "'%s' is already defined as %s", name,
                             next->type == TOML_TABLE ? "an inline table"
                                                 : util_toml_type_name(next->type));
            goto out;
        }
        cur = next;
    }
    key_part *last = &k.parts[k.len - 1];
    toml_value *existing = util_tp_table_find(cur, last->s, last->len);
    name = key_display(&k, k.len - 1);
    if (aot) {
        toml_value *t = new_table(p, T_EXPLICIT);
        t->line = line;
        t->col = (unsigned)(start - p->line_start + 1);
        if (existing == NULL) {
            toml_value *a = util_tp_new_value(p, TOML_ARRAY);
            a->flags = A_AOT;
            a->line = line;
            a->col = t->col;
            util_tp_table_add(cur, last->s, last->len, a, line, t->col);
            existing = a;
        } else if (existing->type != TOML_ARRAY || !(existing->flags & A_AOT)) {
            util_toml_free(t);
            util_tp_error_at(p, start, "cannot define '%s' as an array of tables: already defined",
                             name);
            goto out;
        }
        array_add(existing, t);
        result = t;
        goto out;
    }
    if (existing == NULL) {
        toml_value *t = new_table(p, T_EXPLICIT);
        t->line = line;
        t->col = (unsigned)(start - p->line_start + 1);
        util_tp_table_add(cur, last->s, last->len, t, line, t->col);
        result = t;
    } else if (existing->type == TOML_TABLE && existing->flags == T_IMPLICIT) {
        existing->flags = T_EXPLICIT;
        existing->line = line;
        result = existing;
    } else {
        util_tp_error_at(p, start, "table '%s' is already defined", name);
    }
out:
    free(name);
    key_path_free(&k);
    return result;
}

/* After a key/value or header: only whitespace and a comment may follow. */
static int end_of_line(toml_parser *p)
{
    skip_ws(p);
    if (skip_comment(p) < 0)
        return -1;
    if (tp_peek(p) < 0 || util_tp_newline(p))
        return 0;
    int c = tp_peek(p);
    if (c == '\r')
        return tp_error(p, "carriage return without line feed");
    if (c >= 0x20 && c < 0x7F)
        return tp_error(p, "expected end of line, found '%c'", c);
    return tp_error(p, "expected end of line");
}

toml_value *util_toml_parse(const char *data, size_t len, const char *source, util_error **err)
{
    toml_parser p = {
        .src = data, .len = len, .source = source ? source : "<toml>", .line = 1, .err = err};
    size_t bad = utf8_check((const unsigned char *)data, len);
    if (bad != len) {
        util_tp_error_at(&p, bad, "invalid UTF-8");
        return NULL;
    }
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        p.pos = 3;
        p.line_start = 3;
    }
    toml_value *root = new_table(&p, T_EXPLICIT);
    toml_value *cur = root;
    for (;;) {
        skip_ws(&p);
        int c = tp_peek(&p);
        if (c < 0)
            break;
        if (util_tp_newline(&p))
            continue;
        if (c == '#') {
            if (end_of_line(&p) < 0)
                goto fail;
            continue;
        }
        if (c == '[') {
            cur = parse_header(&p, root);
            if (cur == NULL)
                goto fail;
        } else if (parse_keyval(&p, cur) < 0) {
            goto fail;
        }
        if (end_of_line(&p) < 0)
            goto fail;
    }
    return root;
fail:
    util_toml_free(root);
    return NULL;
}
