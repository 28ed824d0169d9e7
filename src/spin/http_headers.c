/*
 * http_headers.c - the route information Spin hands to every executor.
 *
 * Spin computes one list of (name, value) pairs per request and spells
 * each name two ways: as a request header for the Spin/wasi-http
 * executors ("spin-full-url") and as a CGI variable for Wagi
 * ("X_FULL_URL").  Keeping both spellings in one table means a new
 * executor cannot drift from what Wagi sees.
 */
#include "http_executor.h"

#include <ctype.h>
#include <string.h>

static void add(spin_default_headers *h, const char *spin_name, const char *cgi_name,
                char *value /* taken */)
{
    h->items = util_xrealloc(h->items, (h->len + 1) * sizeof(*h->items));
    /* "SPIN_FULL_URL" -> "spin-full-url" */
    char *hn = util_xstrdup(spin_name);
    for (char *p = hn; *p; p++)
        *p = *p == '_' ? '-' : (char)tolower((unsigned char)*p);
    h->items[h->len].header_name = hn;
    h->items[h->len].cgi_name = util_xstrdup(cgi_name);
    h->items[h->len].value = value;
    h->len++;
}

void spin_default_headers_compute(const spin_http_request *req, const spin_route_match *m,
                                  const char *host, spin_default_headers *out)
{
    memset(out, 0, sizeof(*out));
    add(out, "SPIN_PATH_INFO", "PATH_INFO", util_xstrdup(m->path_info ? m->path_info : ""));
    add(out, "SPIN_FULL_URL", "X_FULL_URL",
        util_xasprintf("http://%s%s", host ? host : "localhost", req->target));
    add(out, "SPIN_MATCHED_ROUTE", "X_MATCHED_ROUTE", util_xstrdup(m->based_route));
    add(out, "SPIN_BASE_PATH", "X_BASE_PATH", util_xstrdup("/"));
    add(out, "SPIN_RAW_COMPONENT_ROUTE", "X_RAW_COMPONENT_ROUTE", util_xstrdup(m->raw_route));
    add(out, "SPIN_COMPONENT_ROUTE", "X_COMPONENT_ROUTE", util_xstrdup(m->raw_route_or_prefix));
    add(out, "SPIN_CLIENT_ADDR", "X_CLIENT_ADDR", util_xstrdup(req->client_addr));
    for (size_t i = 0; i < m->ncaptures; i++) {
        cleanup_free char *upper = util_xstrdup(m->captures[i].name);
        for (char *p = upper; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        cleanup_free char *sn = util_xasprintf("SPIN_PATH_MATCH_%s", upper);
        cleanup_free char *cn = util_xasprintf("X_PATH_MATCH_%s", upper);
        add(out, sn, cn, util_xstrdup(m->captures[i].value));
    }
}

void spin_default_headers_free(spin_default_headers *h)
{
    for (size_t i = 0; i < h->len; i++) {
        free(h->items[i].header_name);
        free(h->items[i].cgi_name);
        free(h->items[i].value);
    }
    free(h->items);
    memset(h, 0, sizeof(*h));
}
