/*
 * test_dl.c - util_dl_open: a library present on every Debian system
 * (libm.so.6) opens and fills a typed table whose functions then work; a
 * missing library or a missing symbol fails with a message naming the
 * library, the symbol and the Debian package, and leaves no half-filled
 * table behind.
 */
#include "test.h"
#include "util.h"

#include <string.h>

typedef double (*unary_fn)(double);

static void test_opens_and_fills_the_table(void)
{
    unary_fn my_sqrt = NULL, my_floor = NULL;
    const util_dl_symbol syms[] = {UTIL_DL_SYMBOL("sqrt", my_sqrt),
                                   UTIL_DL_SYMBOL("floor", my_floor)};
    util_error *err = NULL;
    void *h = util_dl_open("libm.so.6", "libc6", syms, UTIL_ARRAY_LEN(syms), &err);
    CHECK(h != NULL);
    CHECK(err == NULL);
    if (h != NULL && my_sqrt != NULL && my_floor != NULL) {
        CHECK(my_sqrt(81.0) == 9.0);
        CHECK(my_floor(2.75) == 2.0);
    }
    util_dl_close(h);
}

static void test_missing_library_names_library_and_package(void)
{
    unary_fn f = (unary_fn)1;
    const util_dl_symbol syms[] = {UTIL_DL_SYMBOL("f", f)};
    util_error *err = NULL;
    void *h = util_dl_open("libnosuch-floors.so.7", "libnosuch7", syms, 1, &err);
    CHECK(h == NULL);
    CHECK(err != NULL);
    if (err != NULL) {
        CHECK(strstr(err->msg, "libnosuch-floors.so.7 cannot be loaded") != NULL);
        CHECK(strstr(err->msg, "install the Debian package libnosuch7") != NULL);
    }
    CHECK(f == (unary_fn)1); /* nothing looked up, nothing touched */
    util_error_free(&err);
}

static void test_missing_symbol_leaves_no_half_table(void)
{
    unary_fn my_sqrt = NULL, missing = NULL;
    const util_dl_symbol syms[] = {UTIL_DL_SYMBOL("sqrt", my_sqrt),
                                   UTIL_DL_SYMBOL("floors_no_such_function", missing)};
    util_error *err = NULL;
    void *h = util_dl_open("libm.so.6", "libc6", syms, UTIL_ARRAY_LEN(syms), &err);
    CHECK(h == NULL);
    CHECK(my_sqrt == NULL); /* found first, cleared again */
    CHECK(missing == NULL);
    CHECK(err != NULL);
    if (err != NULL) {
        CHECK(strstr(err->msg, "libm.so.6 lacks floors_no_such_function") != NULL);
        CHECK(strstr(err->msg, "libc6") != NULL);
    }
    util_error_free(&err);
}

/* Runs last: a seal lasts for the process. */
static void test_sealed_process_loads_nothing(void)
{
    unary_fn my_sqrt = NULL;
    const util_dl_symbol syms[] = {UTIL_DL_SYMBOL("sqrt", my_sqrt)};
    char why[256] = "";
    CHECK(!util_dl_refused("libm.so.6", why, sizeof(why)));
    util_dl_seal("the test sealed it");
    CHECK(util_dl_refused("libm.so.6", why, sizeof(why)));
    CHECK_STR(why, "libm.so.6 was not loaded: the test sealed it");
    util_error *err = NULL;
    void *h = util_dl_open("libm.so.6", "libc6", syms, UTIL_ARRAY_LEN(syms), &err);
    CHECK(h == NULL);
    CHECK(my_sqrt == NULL);
    CHECK(err != NULL && strcmp(err->msg, "libm.so.6 was not loaded: the test sealed it") == 0);
    util_error_free(&err);
}

int main(void)
{
    RUN(test_opens_and_fills_the_table);
    RUN(test_missing_library_names_library_and_package);
    RUN(test_missing_symbol_leaves_no_half_table);
    RUN(test_sealed_process_loads_nothing);
    return TEST_SUMMARY();
}
