/*
 * toml_test_runner.c - runs the toml-test corpus against our TOML reader.
 *
 * Usage: toml_test_runner <toml-test/tests dir> [files list]
 * The list (default files-toml-1.0.0) names the documents that apply to
 * TOML 1.0.  valid/X.toml must parse and match valid/X.json, the corpus's
 * tagged JSON ({"type": "integer", "value": "1"}), compared semantically:
 * integers and floats by value (NaN equals NaN), datetimes field by field so
 * "17:45:56.6" equals "17:45:56.600".  invalid/X.toml must be rejected.
 * Every failure is printed; the last line is "N passed, N failed, N skipped".
 */
#include "util.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <string.h>

static const char *tag_of(toml_type t)
{
    switch (t) {
    case TOML_STRING:
        return "string";
    case TOML_INTEGER:
        return "integer";
    case TOML_FLOAT:
        return "float";
    case TOML_BOOL:
        return "bool";
    case TOML_DATETIME:
        return "datetime";
    case TOML_LOCAL_DATETIME:
        return "datetime-local";
    case TOML_LOCAL_DATE:
        return "date-local";
    case TOML_LOCAL_TIME:
        return "time-local";
    default:
        return "?";
    }
}

static bool fail(util_buf *why, const char *path, const char *fmt, const char *a, const char *b)
{
    util_buf_printf(why, "at %s: ", path[0] ? path : "<root>");
    util_buf_printf(why, fmt, a, b);
    return false;
}

static bool same_leaf(const toml_value *v, json_object *j, const char *path, util_buf *why)
{
    json_object *jt, *jv;
    if (!json_object_is_type(j, json_type_object) || !json_object_object_get_ex(j, "type", &jt) ||
        !json_object_object_get_ex(j, "value", &jv))
        return fail(why, path, "expected %s%s, got a tagged value", "a table or array", "");
    const char *type = json_object_get_string(jt);
    const char *want = json_object_get_string(jv);
    if (strcmp(type, tag_of(v->type)) != 0)
        return fail(why, path, "type %s, want %s", tag_of(v->type), type);
    switch (v->type) {
    case TOML_STRING:
        if ((size_t)json_object_get_string_len(jv) != v->u.str.len ||
            memcmp(want, v->u.str.data, v->u.str.len) != 0)
            return fail(why, path, "string \"%s\", want \"%s\"", v->u.str.data, want);
        return true;
    case TOML_INTEGER: {
        char got[32];
        snprintf(got, sizeof(got), "%" PRId64, v->u.integer);
        if (strcmp(got, want) != 0)
            return fail(why, path, "integer %s, want %s", got, want);
        return true;
    }
    case TOML_FLOAT: {
        double w = strtod(want, NULL);
        char got[64];
        snprintf(got, sizeof(got), "%.17g", v->u.fp);
        if (isnan(w) ? !isnan(v->u.fp) : (w != v->u.fp || signbit(w) != signbit(v->u.fp)))
            return fail(why, path, "float %s, want %s", got, want);
        return true;
    }
    case TOML_BOOL:
        if (strcmp(v->u.boolean ? "true" : "false", want) != 0)
            return fail(why, path, "bool %s, want %s", v->u.boolean ? "true" : "false", want);
        return true;
    default: {
        toml_datetime w;
        if (util_toml_parse_datetime(want, strlen(want), &w) != (int)v->type ||
            memcmp(&w, &v->dt, sizeof(w)) != 0)
            return fail(why, path, "datetime %s, want %s", v->u.str.data, want);
        return true;
    }
    }
}

static bool same(const toml_value *v, json_object *j, const char *path, util_buf *why)
{
    if (v->type == TOML_TABLE) {
        if (!json_object_is_type(j, json_type_object))
            return fail(why, path, "got a %s, want %s", "table", "something else");
        if ((size_t)json_object_object_length(j) != v->u.table.len)
            return fail(why, path, "table has a different number of keys%s%s", "", "");
        for (size_t i = 0; i < v->u.table.len; i++) {
            const toml_entry *e = &v->u.table.entries[i];
            json_object *sub;
            cleanup_free char *sub_path = util_xasprintf("%s.%s", path, e->key);
            if (!json_object_object_get_ex(j, e->key, &sub))
                return fail(why, sub_path, "unexpected key%s%s", "", "");
            if (!same(e->value, sub, sub_path, why))
                return false;
        }
        return true;
    }
    if (v->type == TOML_ARRAY) {
        if (!json_object_is_type(j, json_type_array))
            return fail(why, path, "got an %s, want %s", "array", "something else");
        if (json_object_array_length(j) != v->u.array.len)
            return fail(why, path, "array has a different length%s%s", "", "");
        for (size_t i = 0; i < v->u.array.len; i++) {
            cleanup_free char *sub_path = util_xasprintf("%s[%zu]", path, i);
            if (!same(v->u.array.items[i], json_object_array_get_idx(j, i), sub_path, why))
                return false;
        }
        return true;
    }
    return same_leaf(v, j, path, why);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s <toml-test/tests> [files-list]\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    cleanup_free char *list_path =
        argc > 2 ? util_xstrdup(argv[2]) : util_xasprintf("%s/files-toml-1.0.0", dir);
    util_error *err = NULL;
    cleanup_free char *list = NULL;
    size_t list_len;
    if (util_read_file(list_path, &list, &list_len, &err) < 0) {
        util_error_report(&err, "toml_test_runner");
        return 2;
    }
    int passed = 0, failed = 0, skipped = 0;
    for (char *save = NULL, *line = strtok_r(list, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        size_t n = strlen(line);
        if (n < 5 || strcmp(line + n - 5, ".toml") != 0)
            continue;
        bool valid = strncmp(line, "valid/", 6) == 0;
        bool invalid = strncmp(line, "invalid/", 8) == 0;
        cleanup_free char *path = util_xasprintf("%s/%s", dir, line);
        cleanup_free char *data = NULL;
        size_t len;
        if ((!valid && !invalid) || util_read_file(path, &data, &len, &err) < 0) {
            util_error_free(&err);
            skipped++;
            continue;
        }
        toml_value *doc = util_toml_parse(data, len, line, &err);
        if (invalid) {
            if (doc == NULL) {
                passed++;
            } else {
                fprintf(stderr, "FAIL %s: accepted an invalid document\n", line);
                failed++;
            }
            util_toml_free(doc);
            util_error_free(&err);
            continue;
        }
        if (doc == NULL) {
            fprintf(stderr, "FAIL %s: %s\n", line, err->msg);
            util_error_free(&err);
            failed++;
            continue;
        }
        cleanup_free char *json_path = util_xasprintf("%.*s.json", (int)(strlen(path) - 5), path);
        json_object *want = json_object_from_file(json_path);
        util_buf why = {0};
        if (want == NULL) {
            skipped++;
        } else if (same(doc, want, "", &why)) {
            passed++;
        } else {
            fprintf(stderr, "FAIL %s: %s\n", line, why.data);
            failed++;
        }
        util_buf_free(&why);
        json_object_put(want);
        util_toml_free(doc);
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}
