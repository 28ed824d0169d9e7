/*
 * util_curl.h - libcurl, loaded with dlopen once per process, for the
 * layers that speak HTTP through it (src/wasi2's outgoing requests,
 * src/oci's gRPC calls to containerd).
 *
 * Nothing links libcurl: it and its TLS, HTTP/2, IDN and GSSAPI libraries
 * cost a process 14-26 ms to load, which the shim's `start`/`delete`, a
 * `run` of a command module and most Spin apps never need.  The first
 * util_curl_load() opens it (util_dl_open: RTLD_NOW, every function
 * looked up) and calls curl_global_init; later calls return the same
 * table or the same error, without retrying.  The handle is never closed.
 *
 * Include <curl/curl.h> types through this header; callers link the
 * curl headers (dep::curl-headers), never the library.
 */
#ifndef UTIL_CURL_H
#define UTIL_CURL_H

#include "util.h"

#include <curl/curl.h>

#define UTIL_CURL_SONAME "libcurl.so.4"
#define UTIL_CURL_PACKAGE "libcurl4"

typedef struct util_curl_api {
    __typeof__(&curl_easy_init) easy_init;
    __typeof__(&curl_easy_setopt) easy_setopt;
    __typeof__(&curl_easy_perform) easy_perform;
    __typeof__(&curl_easy_getinfo) easy_getinfo;
    __typeof__(&curl_easy_cleanup) easy_cleanup;
    __typeof__(&curl_easy_strerror) easy_strerror;
    __typeof__(&curl_slist_append) slist_append;
    __typeof__(&curl_slist_free_all) slist_free_all;
    __typeof__(&curl_share_init) share_init;
    __typeof__(&curl_share_setopt) share_setopt;
    __typeof__(&curl_version_info) version_info;
} util_curl_api;

/* The table, loading libcurl on the first call (thread-safe), or NULL with
 * *err naming the library, why it failed and the Debian package. */
const util_curl_api *util_curl_load(util_error **err);

#endif
