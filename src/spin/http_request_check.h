/*
 * http_request_check.h - the request-head rules of RFC 9110/9112 that
 * libmicrohttpd 0.9.75 does not enforce, checked on a head already split
 * into a request line and field lines (internal to src/spin).
 *
 * The checker sees no socket and no libmicrohttpd: http_conn_guard.c
 * builds the view from what the library parsed, and the fuzz target builds
 * it from raw bytes.
 */
#ifndef SPIN_HTTP_REQUEST_CHECK_H
#define SPIN_HTTP_REQUEST_CHECK_H

#include "http_types.h"

#include <stdbool.h>
#include <stddef.h>

/* One field line.  The value is as received minus its leading whitespace
 * (trailing whitespace kept: libmicrohttpd frames the body on exactly these
 * bytes); either part may contain any byte, NUL included. */
typedef struct spin_http_field {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} spin_http_field;

typedef struct spin_http_head {
    const char *method;
    const char *target; /* raw request target, may contain any byte */
    size_t target_len;
    bool http11; /* HTTP/1.1 (or a later 1.x); false for HTTP/1.0 */
    const spin_http_field *fields;
    size_t nfields;
} spin_http_head;

typedef struct spin_http_verdict {
    unsigned status;  /* 0: acceptable; otherwise the status to refuse with */
    char reason[192]; /* why, printable ASCII, for the log line */
    /* Absolute-form targets ("http://host:8080/p?q"): the target rewritten
     * to origin-form ("/p?q") and the authority ("host:8080") that replaces
     * the Host header (RFC 9112 3.2.2).  Both malloc'd, else NULL. */
    char *origin;
    char *authority;
} spin_http_verdict;

/* Checks the head; fills *v (status 0 when it may be served). */
void spin_http_check_head(const spin_http_head *h, spin_http_verdict *v);
void spin_http_verdict_clear(spin_http_verdict *v);

/* tchar of RFC 9110 5.6.2: the bytes of a method or a field name. */
bool spin_http_token_char(unsigned char c);

/* Gives every Host header the value `authority`, adding one if there is
 * none; nothing when authority is NULL.  For absolute-form targets. */
void spin_http_headers_set_host(spin_http_header **headers, size_t *n, const char *authority);

#endif
