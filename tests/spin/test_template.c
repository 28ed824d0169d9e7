/*
 * Unit tests of Spin templates ("{{ var }}") and identifier rules.
 */
#include "manifest.h"
#include "test.h"

static const char *lookup(void *ctx, const char *name)
{
    (void)ctx;
    if (strcmp(name, "api_host") == 0)
        return "api.example.com";
    if (strcmp(name, "port") == 0)
        return "8443";
    if (strcmp(name, "empty") == 0)
        return "";
    return NULL;
}

static void test_parse_splits_literals_and_variables(void)
{
    spin_template t;
    util_error *err = NULL;
    CHECK_INT(spin_template_parse("https://{{api_host}}:{{ port }}/x", &t, &err), 0);
    CHECK_INT(t.len, 5);
    CHECK_INT(t.parts[0].kind, SPIN_TPL_LITERAL);
    CHECK_STR(t.parts[0].text, "https://");
    CHECK_INT(t.parts[1].kind, SPIN_TPL_VARIABLE);
    CHECK_STR(t.parts[1].text, "api_host");
    CHECK_STR(t.parts[2].text, ":");
    CHECK_STR(t.parts[3].text, "port");
    CHECK_STR(t.parts[4].text, "/x");
    CHECK_STR(t.raw, "https://{{api_host}}:{{ port }}/x");
    cleanup_free char *out = spin_template_render(&t, lookup, NULL, &err);
    CHECK_STR(out, "https://api.example.com:8443/x");
    spin_template_free(&t);

    CHECK_INT(spin_template_parse("", &t, &err), 0);
    CHECK_INT(t.len, 0);
    cleanup_free char *empty = spin_template_render(&t, lookup, NULL, &err);
    CHECK_STR(empty, "");
    spin_template_free(&t);

    /* A lone "}}" is literal text. */
    CHECK_INT(spin_template_parse("a }} b {{empty}}", &t, &err), 0);
    cleanup_free char *lit = spin_template_render(&t, lookup, NULL, &err);
    CHECK_STR(lit, "a }} b ");
    spin_template_free(&t);
}

static void test_parse_and_render_errors(void)
{
    spin_template t;
    util_error *err = NULL;
    CHECK_INT(spin_template_parse("x {{ open", &t, &err), -1);
    CHECK_STR(err ? err->msg : NULL, "template \"x {{ open\": '{{' without a closing '}}'");
    util_error_free(&err);
    CHECK_INT(spin_template_parse("{{ API_HOST }}", &t, &err), -1);
    CHECK_STR(err ? err->msg : NULL,
              "template \"{{ API_HOST }}\": invalid variable name 'API_HOST': must be all "
              "lowercase");
    util_error_free(&err);
    CHECK_INT(spin_template_parse("{{ }}", &t, &err), -1);
    CHECK_STR(err ? err->msg : NULL,
              "template \"{{ }}\": invalid variable name '': must not be empty");
    util_error_free(&err);

    CHECK_INT(spin_template_parse("{{ missing }}", &t, &err), 0);
    char *out = spin_template_render(&t, lookup, NULL, &err);
    CHECK(out == NULL);
    CHECK_STR(err ? err->msg : NULL, "no value for variable 'missing'");
    util_error_free(&err);
    spin_template_free(&t);
}

static void test_id_rules_follow_spin(void)
{
    CHECK(spin_id_check("hello", '-', false) == NULL);
    CHECK(spin_id_check("hello-world-2", '-', false) == NULL);
    CHECK(spin_id_check("my-2nd", '-', false) == NULL);
    CHECK(spin_id_check("HELLO-world", '-', false) == NULL); /* per-word case */
    CHECK(spin_id_check("api_host", '_', true) == NULL);
    CHECK_STR(spin_id_check("", '-', false), "must not be empty");
    CHECK_STR(spin_id_check("hello_world", '-', false),
              "words must be separated with '-', not '_'");
    CHECK_STR(spin_id_check("hello--world", '-', false), "'-'-separated words must not be empty");
    CHECK_STR(spin_id_check("hello-", '-', false), "'-'-separated words must not be empty");
    CHECK_STR(spin_id_check("2nd", '-', false),
              "words must start with an ASCII letter (or a digit after the first word)");
    CHECK_STR(spin_id_check("helLo", '-', false), "words must be all lowercase or all UPPERCASE");
    CHECK_STR(spin_id_check("h.llo", '-', false), "words may only contain ASCII letters and digits");
    CHECK_STR(spin_id_check("API", '_', true), "must be all lowercase");
}

int main(void)
{
    RUN(test_parse_splits_literals_and_variables);
    RUN(test_parse_and_render_errors);
    RUN(test_id_rules_follow_spin);
    return TEST_SUMMARY();
}
