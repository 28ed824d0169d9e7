/*
 * curl_load.c - the one libcurl loader of the process (util_curl.h).
 *
 * Two layers use libcurl (wasi:http's client and the gRPC client of
 * containerd) and each used to carry its own dlopen table and
 * curl_global_init; one table here means one load, one global
 * initialisation (which libcurl wants once, before any thread uses it)
 * and one place that knows the functions and the package.  What is
 * specific to a user (wasi:http's share handle and CA bundle) stays with
 * it, built on this table.
 *
 * util_dl_open does the loading, so a container process that sealed
 * loading after pivot_root (util_dl_seal) gets the seal's message here.
 */
#include "util_curl.h"

#include <pthread.h>
#include <stdio.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static util_curl_api api;
static bool loaded;
static char failure[512];

static void load_once(void)
{
    __typeof__(&curl_global_init) global_init = NULL;
    const util_dl_symbol syms[] = {
        UTIL_DL_SYMBOL("curl_global_init", global_init),
        UTIL_DL_SYMBOL("curl_easy_init", api.easy_init),
        UTIL_DL_SYMBOL("curl_easy_setopt", api.easy_setopt),
        UTIL_DL_SYMBOL("curl_easy_perform", api.easy_perform),
        UTIL_DL_SYMBOL("curl_easy_getinfo", api.easy_getinfo),
        UTIL_DL_SYMBOL("curl_easy_cleanup", api.easy_cleanup),
        UTIL_DL_SYMBOL("curl_easy_strerror", api.easy_strerror),
        UTIL_DL_SYMBOL("curl_slist_append", api.slist_append),
        UTIL_DL_SYMBOL("curl_slist_free_all", api.slist_free_all),
        UTIL_DL_SYMBOL("curl_share_init", api.share_init),
        UTIL_DL_SYMBOL("curl_share_setopt", api.share_setopt),
        UTIL_DL_SYMBOL("curl_version_info", api.version_info),
    };
    util_error *err = NULL;
    if (util_dl_open(UTIL_CURL_SONAME, UTIL_CURL_PACKAGE, syms, UTIL_ARRAY_LEN(syms), &err) ==
        NULL) {
        snprintf(failure, sizeof(failure), "%s", err->msg);
        util_error_free(&err);
        return;
    }
    if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(failure, sizeof(failure), "%s: curl_global_init failed", UTIL_CURL_SONAME);
        return;
    }
    loaded = true; /* the handle stays open for the life of the process */
}

const util_curl_api *util_curl_load(util_error **err)
{
    pthread_once(&once, load_once);
    if (!loaded) {
        util_error_set(err, 0, "%s", failure);
        return NULL;
    }
    return &api;
}
