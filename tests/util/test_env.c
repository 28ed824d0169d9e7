/*
 * test_env.c - util_env: keys keep the order they were first set in, a
 * second set replaces the value in place (also for keys that are prefixes
 * of one another), the array is NULL-terminated for environ_get/execve,
 * and util_env_put refuses strings that are not KEY=VALUE.
 */
#include "test.h"
#include "util.h"

static void test_replace_keeps_first_order(void)
{
    util_env e = {0};
    CHECK(util_env_get(&e, "A") == NULL); /* empty list */
    util_env_set(&e, "A", "1");
    util_env_set(&e, "AB", "2");
    util_env_set(&e, "B", NULL);
    util_env_set(&e, "A", "3");
    CHECK_INT(e.len, 3);
    CHECK_STR(e.items[0], "A=3");
    CHECK_STR(e.items[1], "AB=2");
    CHECK_STR(e.items[2], "B=");
    CHECK(e.items[3] == NULL);
    CHECK_STR(util_env_get(&e, "A"), "3");
    CHECK_STR(util_env_get(&e, "AB"), "2");
    CHECK_STR(util_env_get(&e, "B"), "");
    CHECK(util_env_get(&e, "ABC") == NULL);
    CHECK(util_env_get(&e, "") == NULL);
    util_env_free(&e);
    CHECK(e.items == NULL && e.len == 0);
}

static void test_grows_past_its_first_block(void)
{
    util_env e = {0};
    char key[16];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "K%d", i);
        util_env_set(&e, key, key);
    }
    CHECK_INT(e.len, 100);
    CHECK_STR(e.items[0], "K0=K0");
    CHECK_STR(e.items[99], "K99=K99");
    CHECK(e.items[100] == NULL);
    CHECK_STR(util_env_get(&e, "K57"), "K57");
    util_env_free(&e);
}

static void test_put_parses_and_refuses(void)
{
    util_env e = {0};
    util_error *err = NULL;
    CHECK_INT(util_env_put(&e, "PATH=/bin", &err), 0);
    CHECK_INT(util_env_put(&e, "EQ=a=b", &err), 0); /* the first '=' splits */
    CHECK_INT(util_env_put(&e, "PATH=/usr/bin", &err), 0);
    CHECK_INT(e.len, 2);
    CHECK_STR(util_env_get(&e, "PATH"), "/usr/bin");
    CHECK_STR(util_env_get(&e, "EQ"), "a=b");
    CHECK_INT(util_env_put(&e, "NOVALUE", &err), -1);
    CHECK(err != NULL && strstr(err->msg, "'NOVALUE'") != NULL);
    util_error_free(&err);
    CHECK_INT(util_env_put(&e, "=x", &err), -1);
    CHECK(err != NULL);
    util_error_free(&err);
    CHECK_INT(e.len, 2);
    util_env_free(&e);
}

int main(void)
{
    RUN(test_replace_keeps_first_order);
    RUN(test_grows_past_its_first_block);
    RUN(test_put_parses_and_refuses);
    return TEST_SUMMARY();
}
