/*
 * toml.c - the TOML tree: ownership, lookup and typed accessors.
 *
 * Tables are arrays of entries in document order, which is the order a user
 * wants unknown fields reported in.  Small tables (the norm for config
 * files) are scanned linearly; once a table has more than HASH_MIN entries
 * an open-addressing index of entry positions is kept beside the array, so
 * a document with a huge table cannot make parsing quadratic.
 */
#include "toml_internal.h"

#include <string.h>

const char *util_toml_type_name(toml_type type)
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

void util_toml_free(toml_value *v)
{
    if (v == NULL)
        return;
    switch (v->type) {
    case TOML_TABLE:
        for (size_t i = 0; i < v->u.table.len; i++) {
            free(v->u.table.entries[i].key);
            util_toml_free(v->u.table.entries[i].value);
        }
        free(v->u.table.entries);
        free(v->u.table.slots);
        break;
    case TOML_ARRAY:
        for (size_t i = 0; i < v->u.array.len; i++)
            util_toml_free(v->u.array.items[i]);
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

void util_toml_freep(toml_value **v)
{
    if (v != NULL) {
        util_toml_free(*v);
        *v = NULL;
    }
}

toml_value *util_toml_parse_file(const char *path, util_error **err)
{
    cleanup_free char *data = NULL;
    size_t len = 0;
    if (util_read_file(path, &data, &len, err) < 0)
        return NULL;
    return util_toml_parse(data, len, path, err);
}

#define HASH_MIN 16

static size_t hash_key(const char *key, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ULL;
    }
    return (size_t)h;
}

static void index_insert(toml_value *t, size_t pos)
{
    const toml_entry *e = &t->u.table.entries[pos];
    size_t mask = t->u.table.nslots - 1;
    size_t i = hash_key(e->key, e->key_len) & mask;
    while (t->u.table.slots[i] != 0)
        i = (i + 1) & mask;
    t->u.table.slots[i] = pos + 1;
}

static void index_rebuild(toml_value *t)
{
    size_t n = 64;
    while (n < t->u.table.len * 2)
        n *= 2;
    free(t->u.table.slots);
    t->u.table.slots = util_xcalloc(n, sizeof(size_t));
    t->u.table.nslots = n;
    for (size_t i = 0; i < t->u.table.len; i++)
        index_insert(t, i);
}

toml_value *util_tp_table_find(const toml_value *t, const char *key, size_t len)
{
    if (t->u.table.slots != NULL) {
        size_t mask = t->u.table.nslots - 1;
        for (size_t i = hash_key(key, len) & mask; t->u.table.slots[i] != 0; i = (i + 1) & mask) {
            const toml_entry *e = &t->u.table.entries[t->u.table.slots[i] - 1];
            if (e->key_len == len && memcmp(e->key, key, len) == 0)
                return e->value;
        }
        return NULL;
    }
    for (size_t i = 0; i < t->u.table.len; i++) {
        const toml_entry *e = &t->u.table.entries[i];
        if (e->key_len == len && memcmp(e->key, key, len) == 0)
            return e->value;
    }
    return NULL;
}

void util_tp_table_add(toml_value *t, const char *key, size_t len, toml_value *v, unsigned line,
                       unsigned col)
{
    if (t->u.table.len == t->u.table.cap) {
        t->u.table.cap = t->u.table.cap ? t->u.table.cap * 2 : 4;
        t->u.table.entries =
            util_xrealloc(t->u.table.entries, t->u.table.cap * sizeof(toml_entry));
    }
    toml_entry *e = &t->u.table.entries[t->u.table.len++];
    /* Keys may hold an embedded NUL (from \u0000): copy every byte. */
    e->key = util_xmalloc(len + 1);
    memcpy(e->key, key, len);
    e->key[len] = '\0';
    e->key_len = len;
    e->value = v;
    e->line = line;
    e->col = col;
    if (t->u.table.len > HASH_MIN && t->u.table.len * 2 > t->u.table.nslots)
        index_rebuild(t);
    else if (t->u.table.slots != NULL)
        index_insert(t, t->u.table.len - 1);
}

const toml_value *util_toml_get(const toml_value *table, const char *key)
{
    if (table == NULL || table->type != TOML_TABLE || key == NULL)
        return NULL;
    return util_tp_table_find(table, key, strlen(key));
}

const toml_value *util_toml_get_path(const toml_value *table, const char *path)
{
    const toml_value *cur = table;
    const char *p = path;
    while (cur != NULL && p != NULL) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (cur->type != TOML_TABLE)
            return NULL;
        cur = util_tp_table_find(cur, p, n);
        p = dot ? dot + 1 : NULL;
    }
    return cur;
}

size_t util_toml_len(const toml_value *v)
{
    if (v == NULL)
        return 0;
    if (v->type == TOML_TABLE)
        return v->u.table.len;
    if (v->type == TOML_ARRAY)
        return v->u.array.len;
    return 0;
}

const toml_entry *util_toml_entry_at(const toml_value *table, size_t i)
{
    if (table == NULL || table->type != TOML_TABLE || i >= table->u.table.len)
        return NULL;
    return &table->u.table.entries[i];
}

const toml_value *util_toml_array_at(const toml_value *array, size_t i)
{
    if (array == NULL || array->type != TOML_ARRAY || i >= array->u.array.len)
        return NULL;
    return array->u.array.items[i];
}

const char *util_toml_string(const toml_value *v)
{
    return toml_is(v, TOML_STRING) ? v->u.str.data : NULL;
}

bool util_toml_int(const toml_value *v, int64_t *out)
{
    if (!toml_is(v, TOML_INTEGER))
        return false;
    *out = v->u.integer;
    return true;
}

bool util_toml_float(const toml_value *v, double *out)
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

bool util_toml_bool(const toml_value *v, bool *out)
{
    if (!toml_is(v, TOML_BOOL))
        return false;
    *out = v->u.boolean;
    return true;
}
