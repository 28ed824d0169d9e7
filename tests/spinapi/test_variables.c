/*
 * test_variables.c - a component's variables through fermyon:spin/variables
 * @2.0.0, wasi:config/store@0.2.0-draft-2024-09-27 and Spin 1's
 * fermyon:spin/config: values, undefined names, names Spin refuses (with
 * Spin's wording), and how each interface maps those refusals (as
 * fermyon/conformance-tests' variables component expects of `get`).
 */
#include "spinapi_test_util.h"

#define VARS "fermyon:spin/variables@2.0.0"
#define WASI_CONFIG "wasi:config/store@0.2.0-draft-2024-09-27"
#define SPIN1_CONFIG "fermyon:spin/config"

enum { INVALID_NAME, UNDEFINED, PROVIDER, OTHER };

static fixture *vars_fixture(void)
{
    static const spinapi_pair vars[] = {{"variable", "value"}, {"api_host", "https://x"},
                                        {"empty", ""}};
    spinapi_component_config cfg = {.id = "hello", .variables = vars, .nvariables = 3};
    return fixture_new(&cfg);
}

static void test_get_defined(void)
{
    fixture *f = vars_fixture();
    component_val a[1] = {V_STR("variable")}, r;
    char buf[128];
    CHECK_INT(call(f, VARS, "get", a, 1, &r), 0);
    CHECK(is_ok(&r));
    if (is_ok(&r))
        CHECK_STR(str_of(ok_of(&r), buf, sizeof(buf)), "value");
    a[0] = V_STR("empty");
    CHECK_INT(call(f, VARS, "get", a, 1, &r), 0);
    CHECK(is_ok(&r) && ok_of(&r)->of.str.len == 0);
    fixture_free(f);
}

static void test_get_undefined(void)
{
    fixture *f = vars_fixture();
    component_val a[1] = {V_STR("nope")}, r;
    char buf[128];
    CHECK_INT(call(f, VARS, "get", a, 1, &r), 0);
    CHECK_INT(err_case(&r), UNDEFINED);
    CHECK_STR(err_text(&r, buf, sizeof(buf)), "no variable for \"hello\".\"nope\"");
    fixture_free(f);
}

/* Spin's Key::validate, reason by reason. */
static void test_get_invalid_names(void)
{
    static const struct {
        const char *name, *reason;
    } cases[] = {
        {"", "must not be empty"},
        {"Variable", "invalid character 'V'. Variable names may contain only lower-case "
                     "letters, numbers, and underscores."},
        {"a-b", "invalid character '-'. Variable names may contain only lower-case letters, "
                "numbers, and underscores."},
        {"1abc", "must start with a lowercase ASCII letter"},
        {"_abc", "must start with a lowercase ASCII letter"},
        {"abc_", "must end with a lowercase ASCII letter or digit"},
        {"a__b", "must not contain multiple consecutive underscores"},
    };
    fixture *f = vars_fixture();
    for (size_t i = 0; i < UTIL_ARRAY_LEN(cases); i++) {
        component_val a[1] = {V_STR(cases[i].name)}, r;
        char buf[256], want[256];
        CHECK_INT(call(f, VARS, "get", a, 1, &r), 0);
        CHECK_INT(err_case(&r), INVALID_NAME);
        snprintf(want, sizeof(want), "\"%s\": %s", cases[i].name, cases[i].reason);
        CHECK_STR(err_text(&r, buf, sizeof(buf)), want);
    }
    /* Valid shapes that are merely undefined. */
    static const char *valid[] = {"a", "a1", "a_b_c", "x9_y"};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(valid); i++) {
        component_val a[1] = {V_STR(valid[i])}, r;
        CHECK_INT(call(f, VARS, "get", a, 1, &r), 0);
        CHECK_INT(err_case(&r), UNDEFINED);
    }
    fixture_free(f);
}

/* wasi:config answers none for undefined and invalid names alike. */
static void test_wasi_config(void)
{
    fixture *f = vars_fixture();
    char buf[128];
    component_val a[1] = {V_STR("api_host")}, r;
    CHECK_INT(call(f, WASI_CONFIG, "get", a, 1, &r), 0);
    CHECK(is_ok(&r) && ok_of(&r)->of.variant.disc == 1);
    if (is_ok(&r) && ok_of(&r)->of.variant.disc == 1)
        CHECK_STR(str_of(ok_of(&r)->of.variant.payload, buf, sizeof(buf)), "https://x");
    a[0] = V_STR("missing");
    CHECK_INT(call(f, WASI_CONFIG, "get", a, 1, &r), 0);
    CHECK(is_ok(&r) && ok_of(&r)->of.variant.disc == 0);
    a[0] = V_STR("Bad-Name");
    CHECK_INT(call(f, WASI_CONFIG, "get", a, 1, &r), 0);
    CHECK(is_ok(&r) && ok_of(&r)->of.variant.disc == 0);

    CHECK_INT(call(f, WASI_CONFIG, "get-all", NULL, 0, &r), 0);
    CHECK(is_ok(&r));
    if (is_ok(&r)) {
        const component_val *list = ok_of(&r);
        CHECK_INT(list->of.list.n, 3);
        const component_val *pair = list->of.list.items[1].of.record.fields;
        CHECK_STR(str_of(&pair[0], buf, sizeof(buf)), "api_host");
        CHECK_STR(str_of(&pair[1], buf, sizeof(buf)), "https://x");
    }
    fixture_free(f);
}

/* Spin 1's get-config: invalid-key for a bad name, provider for an
 * undefined one (as Spin maps them). */
static void test_spin1_config(void)
{
    fixture *f = vars_fixture();
    char buf[128];
    component_val a[1] = {V_STR("variable")}, r;
    CHECK_INT(call(f, SPIN1_CONFIG, "get-config", a, 1, &r), 0);
    CHECK(is_ok(&r));
    if (is_ok(&r))
        CHECK_STR(str_of(ok_of(&r), buf, sizeof(buf)), "value");
    a[0] = V_STR("Nope");
    CHECK_INT(call(f, SPIN1_CONFIG, "get-config", a, 1, &r), 0);
    CHECK_INT(err_case(&r), 1 /* invalid-key */);
    a[0] = V_STR("nope");
    CHECK_INT(call(f, SPIN1_CONFIG, "get-config", a, 1, &r), 0);
    CHECK_INT(err_case(&r), 0 /* provider */);
    fixture_free(f);
}

int main(void)
{
    RUN(test_get_defined);
    RUN(test_get_undefined);
    RUN(test_get_invalid_names);
    RUN(test_wasi_config);
    RUN(test_spin1_config);
    return TEST_SUMMARY();
}
