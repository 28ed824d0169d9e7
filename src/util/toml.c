/*
 * toml.c - the TOML tree: ownership, lookup and typed accessors.
 *
 * Tables are plain arrays of entries in document order.  Lookups scan them
 * linearly: configuration documents have a handful of keys per table, and a
 * vector keeps iteration order (needed to report unknown fields in the order
 * the user wrote them) without a second structure.  The parser (toml_parse.c)
 * guards against pathological inputs separately.
 */
#include "util.h"

#include <string.h>

const char *toml_type_name(toml_type type)
{
    switch (type) {
    case TOML_TABLE:
        return "table";
    case TOML_ARRAY:
        return "array";
    case TOML_STRING:
        return "string";
    case TOML_INTEGER:
        return "integer";
    case TOML_FLOAT:
        return "float";
    case TOML_BOOL:
        return "boolean";
    case TOML_DATETIME:
        return "offset date-time";
    case TOML_LOCAL_DATETIME:
        return "local date-time";
    case TOML_LOCAL_DATE:
        return "local date";
    case TOML_LOCAL_TIME:
        return "local time";
    }
    return "unknown";
}

void toml_free(toml_value *v)
{
    if (v == NULL)
        return;
    switch (v->type) {
    case TOML_TABLE:
        for (size_t i = 0; i < v->u.table.len; i++) {
            free(v->u.table.entries[i].key);
            toml_free(v->u.table.entries[i].value);
        }
        free(v->u.table.entries);
        break;
    case TOML_ARRAY:
        for (size_t i = 0; i < v->u.array.len; i++)
            toml_free(v->u.array.items[i]);
        free(v->u.array.items);
        break;
    case TOML_STRING:
    case TOML_DATETIME:
    case TOML_LOCAL_DATETIME:
    case TOML_LOCAL_DATE:
    case TOML_LOCAL_TIME:
        free(v->u.str.data);
        break;
    default:
        break;
    }
    free(v);
}

void toml_freep(toml_value **v)
{
    if (v != NULL) {
        toml_free(*v);
        *v = NULL;
    }
}

toml_value *toml_parse_file(const char *path, util_error **err)
{
    cleanup_free char *data = NULL;
    size_t len = 0;
    if (util_read_file(path, &data, &len, err) < 0)
        return NULL;
    return toml_parse(data, len, path, err);
}

const toml_value *toml_get(const toml_value *table, const char *key)
{
    if (table == NULL || table->type != TOML_TABLE || key == NULL)
        return NULL;
    size_t n = strlen(key);
    for (size_t i = 0; i < table->u.table.len; i++) {
        const toml_entry *e = &table->u.table.entries[i];
        if (e->key_len == n && memcmp(e->key, key, n) == 0)
            return e->value;
    }
    return NULL;
}

const toml_value *toml_get_path(const toml_value *table, const char *path)
{
    const toml_value *cur = table;
    const char *p = path;
    while (cur != NULL && p != NULL) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (cur->type != TOML_TABLE)
            return NULL;
        const toml_value *next = NULL;
        for (size_t i = 0; i < cur->u.table.len; i++) {
            const toml_entry *e = &cur->u.table.entries[i];
            if (e->key_len == n && memcmp(e->key, p, n) == 0) {
                next = e->value;
                break;
            }
        }
        cur = next;
        p = dot ? dot + 1 : NULL;
    }
    return cur;
}

size_t toml_len(const toml_value *v)
{
    if (v == NULL)
        return 0;
    if (v->type == TOML_TABLE)
        return v->u.table.len;
    if (v->type == TOML_ARRAY)
        return v->u.array.len;
    return 0;
}

const toml_entry *toml_entry_at(const toml_value *table, size_t i)
{
    if (table == NULL || table->type != TOML_TABLE || i >= table->u.table.len)
        return NULL;
    return &table->u.table.entries[i];
}

const toml_value *toml_array_at(const toml_value *array, size_t i)
{
    if (array == NULL || array->type != TOML_ARRAY || i >= array->u.array.len)
        return NULL;
    return array->u.array.items[i];
}

const char *toml_string(const toml_value *v)
{
    return toml_is(v, TOML_STRING) ? v->u.str.data : NULL;
}

bool toml_int(const toml_value *v, int64_t *out)
{
    if (!toml_is(v, TOML_INTEGER))
        return false;
    *out = v->u.integer;
    return true;
}

bool toml_float(const toml_value *v, double *out)
{
    if (toml_is(v, TOML_FLOAT)) {
        *out = v->u.fp;
        return true;
    }
    if (toml_is(v, TOML_INTEGER)) {
        *out = (double)v->u.integer;
        return true;
    }
    return false;
}

bool toml_bool(const toml_value *v, bool *out)
{
    if (!toml_is(v, TOML_BOOL))
        return false;
    *out = v->u.boolean;
    return true;
}
