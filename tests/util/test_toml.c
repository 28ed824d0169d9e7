/*
 * Unit tests of the TOML reader: the API callers rely on (lookup, document
 * order, typed getters, positions) and the wording of errors, which the
 * toml-test corpus does not check.
 */
#include "test.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <unistd.h>

static toml_value *parse(const char *text, util_error **err)
{
    return util_toml_parse(text, strlen(text), "test.toml", err);
}

/* Parses text that must fail and returns the message (caller frees). */
static char *parse_error(const char *text)
{
    util_error *err = NULL;
    toml_value *doc = parse(text, &err);
    if (doc != NULL) {
        util_toml_free(doc);
        return util_xstrdup("(accepted)");
    }
    char *msg = util_xstrdup(err ? err->msg : "(no error)");
    util_error_free(&err);
    return msg;
}

static void test_lookup_and_typed_getters(void)
{
    util_error *err = NULL;
    cleanup_toml toml_value *doc = parse("title = \"x\"\n"
                                         "[application.trigger.http]\n"
                                         "base = \"/\"\n"
                                         "n = -42\n"
                                         "f = 1.5\n"
                                         "ok = true\n",
                                         &err);
    CHECK(doc != NULL);
    CHECK_STR(util_toml_string(util_toml_get(doc, "title")), "x");
    const toml_value *http = util_toml_get_path(doc, "application.trigger.http");
    CHECK(toml_is(http, TOML_TABLE));
    CHECK_STR(util_toml_string(util_toml_get(http, "base")), "/");
    int64_t n = 0;
    CHECK(util_toml_int(util_toml_get(http, "n"), &n));
    CHECK_INT(n, -42);
    double f = 0;
    CHECK(util_toml_float(util_toml_get(http, "f"), &f));
    CHECK(f == 1.5);
    CHECK(util_toml_float(util_toml_get(http, "n"), &f)); /* integers widen */
    CHECK(f == -42.0);
    bool b = false;
    CHECK(util_toml_bool(util_toml_get(http, "ok"), &b));
    CHECK(b);
    /* Wrong types and missing keys are reported as absent, never crash. */
    CHECK(util_toml_string(util_toml_get(http, "n")) == NULL);
    CHECK(!util_toml_int(util_toml_get(http, "base"), &n));
    CHECK(util_toml_get(doc, "missing") == NULL);
    CHECK(util_toml_get_path(doc, "title.deeper") == NULL);
    CHECK(util_toml_get(NULL, "x") == NULL);
    CHECK_INT(util_toml_len(util_toml_get(doc, "title")), 0);
}

static void test_keys_iterate_in_document_order(void)
{
    util_error *err = NULL;
    cleanup_toml toml_value *doc = parse("zeta = 1\nalpha = 2\n\"quoted key\" = 3\nmid.x = 4\n", &err);
    CHECK(doc != NULL);
    CHECK_INT(util_toml_len(doc), 4);
    CHECK_STR(util_toml_entry_at(doc, 0)->key, "zeta");
    CHECK_STR(util_toml_entry_at(doc, 1)->key, "alpha");
    CHECK_STR(util_toml_entry_at(doc, 2)->key, "quoted key");
    CHECK_STR(util_toml_entry_at(doc, 3)->key, "mid");
    CHECK_INT(util_toml_entry_at(doc, 3)->line, 4);
    CHECK(util_toml_entry_at(doc, 4) == NULL);
}

static void test_positions_are_recorded(void)
{
    util_error *err = NULL;
    cleanup_toml toml_value *doc = parse("\n\n[component.hello]\n  source = \"a.wasm\"\n", &err);
    CHECK(doc != NULL);
    const toml_value *c = util_toml_get_path(doc, "component.hello");
    CHECK_INT(c->line, 3);
    const toml_entry *e = util_toml_entry_at(c, 0);
    CHECK_INT(e->line, 4);
    CHECK_INT(e->col, 3);
    CHECK_INT(e->value->col, 12);
}

static void test_arrays_and_array_of_tables(void)
{
    util_error *err = NULL;
    cleanup_toml toml_value *doc = parse("a = [1, \"two\", [3], {x = 4},]\n"
                                         "[[trigger.http]]\nroute = \"/a\"\n"
                                         "[[trigger.http]]\nroute = \"/b\"\n",
                                         &err);
    CHECK(doc != NULL);
    const toml_value *a = util_toml_get(doc, "a");
    CHECK_INT(util_toml_len(a), 4);
    CHECK(toml_is(util_toml_array_at(a, 1), TOML_STRING));
    CHECK(toml_is(util_toml_array_at(a, 3), TOML_TABLE));
    CHECK(util_toml_array_at(a, 4) == NULL);
    const toml_value *t = util_toml_get_path(doc, "trigger.http");
    CHECK_INT(util_toml_len(t), 2);
    CHECK_STR(util_toml_string(util_toml_get(util_toml_array_at(t, 1), "route")), "/b");
}

static void test_strings_and_escapes(void)
{
    util_error *err = NULL;
    cleanup_toml toml_value *doc = parse("a = \"tab\\there \\u00e9 \\U0001F600\"\n"
                                         "b = 'C:\\path'\n"
                                         "c = \"\"\"\nline1\\\n    line2\"\"\"\n"
                                         "d = '''\r\nraw\r\n'''\n"
                                         "e = \"nul\\u0000byte\"\n"
                                         "empty = \"\"\nempty_ml = ''''''\n",
                                         &err);
    CHECK(doc != NULL);
    CHECK_STR(util_toml_string(util_toml_get(doc, "a")), "tab\there \xC3\xA9 \xF0\x9F\x98\x80");
    CHECK_STR(util_toml_string(util_toml_get(doc, "b")), "C:\\path");
    CHECK_STR(util_toml_string(util_toml_get(doc, "c")), "line1line2");
    CHECK_STR(util_toml_string(util_toml_get(doc, "d")), "raw\n");
    const toml_value *e = util_toml_get(doc, "e");
    CHECK_INT(e->u.str.len, 8);
    CHECK(memcmp(e->u.str.data, "nul\0byte", 8) == 0);
    /* Empty strings are still NUL-terminated C strings. */
    CHECK_STR(util_toml_string(util_toml_get(doc, "empty")), "");
    CHECK_STR(util_toml_string(util_toml_get(doc, "empty_ml")), "");
}

static void test_numbers_and_datetimes(void)
{
    util_error *err = NULL;
    cleanup_toml toml_value *doc = parse("h = 0xDEAD_beef\no = 0o755\nb = 0b101\n"
                                         "min = -9223372036854775808\nmax = 9223372036854775807\n"
                                         "e = 6.626e-34\nni = -inf\nnn = nan\n"
                                         "dt = 1979-05-27 07:32:00.999999-07:00\n"
                                         "ld = 2024-02-29\nlt = 23:59:60\n",
                                         &err);
    CHECK(doc != NULL);
    int64_t v = 0;
    CHECK(util_toml_int(util_toml_get(doc, "h"), &v));
    CHECK_INT(v, 0xDEADBEEF);
    CHECK(util_toml_int(util_toml_get(doc, "o"), &v));
    CHECK_INT(v, 0755);
    CHECK(util_toml_int(util_toml_get(doc, "b"), &v));
    CHECK_INT(v, 5);
    CHECK(util_toml_int(util_toml_get(doc, "min"), &v));
    CHECK(v == INT64_MIN);
    CHECK(util_toml_int(util_toml_get(doc, "max"), &v));
    CHECK(v == INT64_MAX);
    double d = 0;
    CHECK(util_toml_float(util_toml_get(doc, "ni"), &d));
    CHECK(isinf(d) && d < 0);
    CHECK(util_toml_float(util_toml_get(doc, "nn"), &d));
    CHECK(isnan(d));
    const toml_value *dt = util_toml_get(doc, "dt");
    CHECK(toml_is(dt, TOML_DATETIME));
    CHECK_INT(dt->dt.year, 1979);
    CHECK_INT(dt->dt.nanosecond, 999999000);
    CHECK_INT(dt->dt.offset_minutes, -420);
    CHECK_STR(dt->u.str.data, "1979-05-27 07:32:00.999999-07:00");
    CHECK(toml_is(util_toml_get(doc, "ld"), TOML_LOCAL_DATE));
    CHECK(toml_is(util_toml_get(doc, "lt"), TOML_LOCAL_TIME));
}

static void test_errors_name_source_line_and_column(void)
{
    struct {
        const char *doc, *msg;
    } cases[] = {
        {"a = 1\nb = \n", "test.toml:2:5: expected a value"},
        {"a = 1\na = 2\n", "test.toml:2:1: duplicate key 'a'"},
        {"[x]\n[x]\n", "test.toml:2:1: table 'x' is already defined"},
        {"a = 9223372036854775808\n", "test.toml:1:5: integer '9223372036854775808' does not fit in 64 bits"},
        {"a = 012\n", "test.toml:1:5: leading zeros are not allowed in '012'"},
        {"a = +0x10\n", "test.toml:1:5: a sign is not allowed on hexadecimal, octal or binary integers"},
        {"a = \"\\q\"\n", "test.toml:1:6: invalid escape sequence '\\q'"},
        {"a = \"\\uD800\"\n", "test.toml:1:6: escape \\uD800 is not a Unicode scalar value"},
        {"a = 2023-02-29\n", "test.toml:1:5: invalid date-time '2023-02-29'"},
        {"a = {b = 1,}\n", "test.toml:1:12: trailing comma in inline table"},
        {"a = {b = 1}\n[a]\n", "test.toml:2:1: table 'a' is already defined"},
        {"a = [1]\n[[a]]\n", "test.toml:2:1: cannot define 'a' as an array of tables: already defined"},
        {"[a.b.c]\n[a]\nb.c.d = 1\n", "test.toml:3:1: cannot add keys to 'b': it is already defined"},
        {"a = hello\n", "test.toml:1:5: invalid value 'hello' (strings need quotes)"},
        {"a = 1 b = 2\n", "test.toml:1:7: expected end of line, found 'b'"},
        {"# \x01\n", "test.toml:1:3: control character U+0001 in comment"},
        {"a = \"\xC3\"\n", "test.toml:1:6: invalid UTF-8"},
        {"é = 1\n", "test.toml:1:1: invalid character in key"},
        {"a = 'x\n", "test.toml:1:5: unterminated string"},
        {"a = \"x\ry\"\n", "test.toml:1:7: newline in single-line string"},
        {"\"\"\"k\"\"\" = 1\n", "test.toml:1:1: multi-line strings cannot be keys"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(cases); i++) {
        cleanup_free char *msg = parse_error(cases[i].doc);
        CHECK_STR(msg, cases[i].msg);
    }
}

static void test_deep_nesting_is_rejected_not_crashing(void)
{
    size_t depth = 100000;
    char *doc = util_xmalloc(depth + 8);
    memcpy(doc, "a = ", 4);
    memset(doc + 4, '[', depth);
    doc[depth + 4] = '\0';
    util_error *err = NULL;
    toml_value *v = util_toml_parse(doc, depth + 4, "deep.toml", &err);
    CHECK(v == NULL);
    CHECK(err != NULL && strstr(err->msg, "nested deeper than") != NULL);
    util_error_free(&err);
    free(doc);
    /* Headers and dotted keys are bounded too (each part is a nested table). */
    util_buf b = {0};
    util_buf_append_str(&b, "[a");
    for (int i = 0; i < 200; i++)
        util_buf_append_str(&b, ".a");
    util_buf_append_str(&b, "]\n");
    v = util_toml_parse(b.data, b.len, "deep.toml", &err);
    CHECK(v == NULL);
    CHECK_STR(err ? err->msg : NULL, "deep.toml:1:258: dotted key has more than 128 parts");
    util_error_free(&err);
    util_buf_free(&b);
}

static void test_big_tables_find_every_key_and_duplicates(void)
{
    util_buf b = {0};
    for (int i = 0; i < 5000; i++)
        util_buf_printf(&b, "k%d = %d\n", i, i);
    util_error *err = NULL;
    toml_value *doc = util_toml_parse(b.data, b.len, "big.toml", &err);
    CHECK(doc != NULL);
    CHECK_INT(util_toml_len(doc), 5000);
    int found = 0;
    for (int i = 0; i < 5000; i += 7) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", i);
        int64_t v = -1;
        if (util_toml_int(util_toml_get(doc, key), &v) && v == i)
            found++;
    }
    CHECK_INT(found, (5000 + 6) / 7);
    CHECK(util_toml_get(doc, "k5000") == NULL);
    CHECK_STR(util_toml_entry_at(doc, 4999)->key, "k4999");
    util_toml_free(doc);
    util_buf_printf(&b, "k1234 = 0\n");
    doc = util_toml_parse(b.data, b.len, "big.toml", &err);
    CHECK(doc == NULL);
    CHECK_STR(err ? err->msg : NULL, "big.toml:5001:1: duplicate key 'k1234'");
    util_error_free(&err);
    util_buf_free(&b);
}

static void test_parse_file_names_the_path(void)
{
    char path[] = "/tmp/test_toml_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK(util_write_all(fd, "x = [1,\n", 8) == 8);
    close(fd);
    util_error *err = NULL;
    toml_value *doc = util_toml_parse_file(path, &err);
    CHECK(doc == NULL);
    cleanup_free char *want = util_xasprintf("%s:1:5: unterminated array", path);
    CHECK_STR(err ? err->msg : NULL, want);
    util_error_free(&err);
    unlink(path);
    doc = util_toml_parse_file("/nonexistent/dir/x.toml", &err);
    CHECK(doc == NULL && err != NULL && err->status != 0);
    util_error_free(&err);
}

int main(void)
{
    RUN(test_lookup_and_typed_getters);
    RUN(test_keys_iterate_in_document_order);
    RUN(test_positions_are_recorded);
    RUN(test_arrays_and_array_of_tables);
    RUN(test_strings_and_escapes);
    RUN(test_numbers_and_datetimes);
    RUN(test_errors_name_source_line_and_column);
    RUN(test_deep_nesting_is_rejected_not_crashing);
    RUN(test_big_tables_find_every_key_and_duplicates);
    RUN(test_parse_file_names_the_path);
    return TEST_SUMMARY();
}
