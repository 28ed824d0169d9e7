/*
 * test_curl_load.c - util_curl_load, the process's one libcurl loader:
 * the table works (a real easy handle is made and configured), every
 * call hands back the same table (loaded once), and a process that sealed
 * loading before its first call gets the seal's reason, not libcurl.
 */
#include "test.h"
#include "util_curl.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* In a child: sealed before any load, util_curl_load refuses, naming the
 * library and the reason; exit status 0 if so. */
static void test_sealed_before_first_load_is_refused(void)
{
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        util_dl_seal("sealed by the test");
        util_error *err = NULL;
        const util_curl_api *api = util_curl_load(&err);
        bool ok = api == NULL && err != NULL &&
                  strcmp(err->msg, "libcurl.so.4 was not loaded: sealed by the test") == 0;
        /* the same answer again, without trying again */
        util_error_free(&err);
        ok = ok && util_curl_load(&err) == NULL && err != NULL;
        util_error_free(&err);
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_loads_once_and_works(void)
{
    util_error *err = NULL;
    const util_curl_api *api = util_curl_load(&err);
    CHECK(api != NULL);
    CHECK(err == NULL);
    if (api == NULL) {
        util_error_free(&err);
        return;
    }
    CHECK(util_curl_load(NULL) == api);
    const curl_version_info_data *v = api->version_info(CURLVERSION_NOW);
    CHECK(v != NULL && v->version != NULL && v->version[0] >= '7');
    CURL *h = api->easy_init();
    CHECK(h != NULL);
    CHECK(api->easy_setopt(h, CURLOPT_URL, "http://127.0.0.1:1/") == CURLE_OK);
    CHECK(strcmp(api->easy_strerror(CURLE_COULDNT_CONNECT), "Couldn't connect to server") == 0);
    struct curl_slist *l = api->slist_append(NULL, "x-a: 1");
    CHECK(l != NULL);
    api->slist_free_all(l);
    api->easy_cleanup(h);
    /* after a load, a seal changes nothing: the table stays */
    util_dl_seal("sealed after the load");
    CHECK(util_curl_load(NULL) == api);
}

int main(void)
{
    RUN(test_sealed_before_first_load_is_refused);
    RUN(test_loads_once_and_works);
    return TEST_SUMMARY();
}
