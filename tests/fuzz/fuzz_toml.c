/*
 * fuzz_toml.c - libFuzzer target for the TOML reader.
 *
 * Any input must either parse or fail with a "<source>:<line>:<col>: ..."
 * message; a parsed tree must be self-consistent: keys of a table are
 * unique and found by util_toml_get, datetimes re-parse to the same kind, and
 * strings are NUL-terminated at their length.  A violation aborts, which
 * libFuzzer reports as a crash.
 */
#include "util.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const toml_value *v, int depth)
{
    if (depth > 200)
        abort();
    switch (v->type) {
    case TOML_TABLE:
        for (size_t i = 0; i < util_toml_len(v); i++) {
            const toml_entry *e = util_toml_entry_at(v, i);
            if (e->key[e->key_len] != '\0')
                abort();
            for (size_t k = 0; k < i; k++) {
                const toml_entry *o = util_toml_entry_at(v, k);
                if (o->key_len == e->key_len && memcmp(o->key, e->key, e->key_len) == 0)
                    abort(); /* duplicate key accepted */
            }
            if (strlen(e->key) == e->key_len && util_toml_get(v, e->key) != e->value)
                abort();
            check(e->value, depth + 1);
        }
        break;
    case TOML_ARRAY:
        for (size_t i = 0; i < util_toml_len(v); i++)
            check(util_toml_array_at(v, i), depth + 1);
        break;
    case TOML_STRING:
        if (v->u.str.data[v->u.str.len] != '\0')
            abort();
        break;
    case TOML_DATETIME:
    case TOML_LOCAL_DATETIME:
    case TOML_LOCAL_DATE:
    case TOML_LOCAL_TIME: {
        toml_datetime dt;
        if (util_toml_parse_datetime(v->u.str.data, v->u.str.len, &dt) != (int)v->type ||
            memcmp(&dt, &v->dt, sizeof(dt)) != 0)
            abort();
        break;
    }
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    util_error *err = NULL;
    toml_value *doc = util_toml_parse((const char *)data, size, "fuzz.toml", &err);
    if (doc == NULL) {
        if (err == NULL || strncmp(err->msg, "fuzz.toml:", 10) != 0)
            abort();
        util_error_free(&err);
        return 0;
    }
    if (err != NULL || doc->type != TOML_TABLE)
        abort();
    check(doc, 0);
    util_toml_free(doc);
    return 0;
}
