/*
 * test.h - the tiny unit-test harness every C test binary uses.
 *
 * A test file defines functions `static void test_x(void)` and lists them in
 * main() with RUN(test_x).  Each CHECK records a failure with file:line and
 * carries on, so one run shows every broken expectation; main returns
 * TEST_SUMMARY(), which prints "N passed, N failed" and exits non-zero if
 * anything failed.
 */
#ifndef TESTS_TEST_H
#define TESTS_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int test_checks_failed;
static int test_cases_passed;
static int test_cases_failed;

#define CHECK(cond) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            test_checks_failed++; \
        } \
    } while (0)

#define CHECK_INT(a, b) \
    do { \
        long long va_ = (long long)(a), vb_ = (long long)(b); \
        if (va_ != vb_) { \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a, \
                    #b, va_, vb_); \
            test_checks_failed++; \
        } \
    } while (0)

#define CHECK_STR(a, b) \
    do { \
        const char *sa_ = (a), *sb_ = (b); \
        if (sa_ == NULL || sb_ == NULL || strcmp(sa_, sb_) != 0) { \
            fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__, \
                    #a, #b, sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)"); \
            test_checks_failed++; \
        } \
    } while (0)

#define RUN(fn) \
    do { \
        int before_ = test_checks_failed; \
        fn(); \
        if (test_checks_failed == before_) { \
            test_cases_passed++; \
        } else { \
            test_cases_failed++; \
            fprintf(stderr, "FAIL %s\n", #fn); \
        } \
    } while (0)

#define TEST_SUMMARY() \
    (printf("%d passed, %d failed\n", test_cases_passed, test_cases_failed), \
     test_cases_failed ? 1 : 0)

#endif
