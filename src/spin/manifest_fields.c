/*
 * manifest_fields.c - typed field readers for the manifest loader.
 *
 * Serde in Spin rejects a wrong type or an unknown key with the field's
 * name; these helpers do the same for our TOML tree and always prefix the
 * position and the section ("[component.hello]"), so a user can find the
 * line to fix without knowing the schema.
 */
#include "manifest_internal.h"

#include <string.h>

int spin_mfail(mctx *c, unsigned line, unsigned col, const char *section, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = util_xvasprintf(fmt, ap);
    va_end(ap);
    if (section != NULL)
        util_error_set(c->err, 0, "%s:%u:%u: %s: %s", c->file, line, col, section, msg);
    else
        util_error_set(c->err, 0, "%s:%u:%u: %s", c->file, line, col, msg);
    free(msg);
    return -1;
}

/* A key as it can be shown in a message: quoted TOML keys may hold control
 * characters (written as escapes), which must not reach a terminal raw. */
static char *printable_key(const toml_entry *e)
{
    util_buf b = {0};
    util_buf_reserve(&b, e->key_len + 1);
    for (size_t i = 0; i < e->key_len; i++) {
        unsigned char ch = (unsigned char)e->key[i];
        if (ch < 0x20 || ch == 0x7F)
            util_buf_printf(&b, "\\u%04X", ch);
        else
            util_buf_append(&b, &e->key[i], 1);
    }
    return util_buf_steal(&b, NULL);
}

int spin_mfail_unknown(mctx *c, const char *section, const toml_entry *e, const char *const *known)
{
    util_buf b = {0};
    util_buf_reserve(&b, 64);
    for (size_t i = 0; known[i]; i++)
        util_buf_printf(&b, "%s%s", i ? ", " : "", known[i]);
    cleanup_free char *key = printable_key(e);
    int r = spin_mfail(c, e->line, e->col, section, "unknown field '%s' (expected one of: %s)", key,
                       b.data);
    util_buf_free(&b);
    return r;
}

int spin_mfail_missing(mctx *c, const char *section, const toml_value *table, const char *field)
{
    return spin_mfail(c, table->line, table->col, section, "missing field '%s'", field);
}

static int wrong_type(mctx *c, const char *section, const toml_entry *e, const char *want)
{
    return spin_mfail(c, e->line, e->col, section, "'%s' must be %s, not %s", e->key, want,
                      util_toml_type_name(e->value->type));
}

int spin_mget_string(mctx *c, const char *section, const toml_entry *e, char **out)
{
    if (e->value->type != TOML_STRING)
        return wrong_type(c, section, e, "a string");
    if (strlen(e->value->u.str.data) != e->value->u.str.len)
        return spin_mfail(c, e->line, e->col, section, "'%s' must not contain NUL characters",
                          e->key);
    free(*out);
    *out = util_xstrdup(e->value->u.str.data);
    return 0;
}

int spin_mget_bool(mctx *c, const char *section, const toml_entry *e, bool *out)
{
    if (e->value->type != TOML_BOOL)
        return wrong_type(c, section, e, "a boolean");
    *out = e->value->u.boolean;
    return 0;
}

int spin_mget_strv(mctx *c, const char *section, const toml_entry *e, spin_strv *out)
{
    if (e->value->type != TOML_ARRAY)
        return wrong_type(c, section, e, "an array of strings");
    for (size_t i = 0; i < util_toml_len(e->value); i++) {
        const toml_value *v = util_toml_array_at(e->value, i);
        if (v->type != TOML_STRING || strlen(v->u.str.data) != v->u.str.len)
            return spin_mfail(c, v->line, v->col, section, "'%s' must be an array of strings",
                              e->key);
        spin_strv_push(out, v->u.str.data);
    }
    return 0;
}

int spin_mget_str_map(mctx *c, const char *section, const toml_entry *e, spin_kv **out, size_t *n)
{
    if (e->value->type != TOML_TABLE)
        return wrong_type(c, section, e, "a table of strings");
    for (size_t i = 0; i < util_toml_len(e->value); i++) {
        const toml_entry *kv = util_toml_entry_at(e->value, i);
        if (kv->value->type != TOML_STRING ||
            strlen(kv->value->u.str.data) != kv->value->u.str.len)
            return spin_mfail(c, kv->line, kv->col, section, "'%s.%s' must be a string", e->key,
                              kv->key);
        if (strlen(kv->key) != kv->key_len)
            return spin_mfail(c, kv->line, kv->col, section, "'%s' keys must not contain NUL",
                              e->key);
        *out = util_xrealloc(*out, (*n + 1) * sizeof(**out));
        (*out)[*n].key = util_xstrdup(kv->key);
        (*out)[*n].value = util_xstrdup(kv->value->u.str.data);
        (*n)++;
    }
    return 0;
}

int spin_mwant_table(mctx *c, const char *section, const toml_entry *e)
{
    if (e->value->type != TOML_TABLE)
        return wrong_type(c, section, e, "a table");
    return 0;
}

int spin_mcheck_id(mctx *c, const char *section, unsigned line, unsigned col, const char *what,
                   const char *id, char delim, bool lower)
{
    const char *why = spin_id_check(id, delim, lower);
    if (why == NULL)
        return 0;
    return spin_mfail(c, line, col, section, "invalid %s '%s': %s", what, id, why);
}

void spin_strv_free(spin_strv *v)
{
    for (size_t i = 0; i < v->len; i++)
        free(v->items[i]);
    free(v->items);
    v->items = NULL;
    v->len = 0;
}

void spin_strv_push(spin_strv *v, const char *s)
{
    v->items = util_xrealloc(v->items, (v->len + 1) * sizeof(char *));
    v->items[v->len++] = util_xstrdup(s);
}

void spin_kv_free(spin_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}
