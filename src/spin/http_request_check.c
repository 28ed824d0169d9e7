/*
 * http_request_check.c - which request heads a server must refuse, and
 * how an absolute-form target is served.
 *
 * Why it exists: libmicrohttpd 0.9.75 accepts heads that RFC 9112 says to
 * refuse, and several of them are request-smuggling vectors behind a proxy
 * that reads the same bytes differently: two different Content-Length
 * values (the library uses the first), a Transfer-Encoding whose last
 * coding is not chunked (the library then reads the body until the client
 * closes), Content-Length beside Transfer-Encoding (it keeps the connection
 * open), whitespace between a field name and its colon, control characters
 * in values, a second Host.  It also routes "GET http://h/p" on the path
 * "http://h/p".
 *
 * Design: one pass over a view of the head (http_request_check.h), in the
 * order request target, field syntax, Host, Content-Length,
 * Transfer-Encoding; the first rule broken decides the status and a reason
 * that names it, for the log line.  Every refusal here is 400 except a
 * transfer coding we do not implement in front of a final chunked (501,
 * RFC 9112 6.1): there the framing is known but the body cannot be decoded.
 * The caller answers with "Connection: close" (RFC 9112 6.3 requires it for
 * framing errors; for the others nothing after a bad head can be trusted).
 */
#include "http_request_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool refuse(spin_http_verdict *v, unsigned status, const char *fmt, ...)
    UTIL_PRINTF(3, 4);

static bool refuse(spin_http_verdict *v, unsigned status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
    va_end(ap);
    v->status = status;
    return false;
}

/* Client bytes quoted in a reason: printable ASCII as is, the rest as
 * \xNN, cut at 40 input bytes. */
static const char *quote(const char *s, size_t n, char *buf, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < n && i < 40 && o + 5 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
    }
    if (n > 40 && o + 4 < size) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

bool spin_http_token_char(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_token(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!spin_http_token_char((unsigned char)s[i]))
            return false;
    return true;
}

static bool is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static bool name_is(const spin_http_field *f, const char *name)
{
    return f->name_len == strlen(name) && strncasecmp(f->name, name, f->name_len) == 0;
}

/* uri-host [":" port] (RFC 3986 3.2.2-3.2.3), without userinfo; the host
 * part must not be empty (RFC 9110 4.2.1). */
static bool valid_authority(const char *s, size_t n)
{
    size_t i = 0;
    if (n > 0 && s[0] == '[') {
        for (i = 1; i < n && s[i] != ']'; i++)
            if (!is_hex((unsigned char)s[i]) && !strchr(":.vV-_~!$&'()*+,;=", s[i]))
                return false;
        if (i >= n || i == 1)
            return false;
        i++;
    } else {
        for (; i < n && s[i] != ':'; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c == '%') {
                if (i + 2 >= n || !is_hex((unsigned char)s[i + 1]) ||
                    !is_hex((unsigned char)s[i + 2]))
                    return false;
                i += 2;
            } else if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'z') &&
                       !(c >= 'A' && c <= 'Z') && !strchr("-._~!$&'()*+,;=", c)) {
                return false;
            }
        }
        if (i == 0)
            return false;
    }
    if (i == n)
        return true;
    if (s[i] != ':')
        return false;
    for (i++; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static const char *describe_byte(unsigned char c, char *buf, size_t size)
{
    if (c == 0)
        return "a NUL byte";
    if (c == ' ')
        return "a space";
    if (c == '#')
        return "a fragment ('#')";
    snprintf(buf, size, "byte 0x%02x", c);
    return buf;
}

/* "http://host[:port][/path][?query]" -> origin "/path?query" and the
 * authority.  Only the two schemes this server can be the origin of. */
static bool absolute_form(const char *t, size_t n, spin_http_verdict *v)
{
    size_t scheme_len = 0;
    while (scheme_len < n && t[scheme_len] != ':')
        scheme_len++;
    bool http = scheme_len == 4 && strncasecmp(t, "http", 4) == 0;
    bool https = scheme_len == 5 && strncasecmp(t, "https", 5) == 0;
    if (scheme_len == n || (!http && !https))
        return refuse(v, 400, "request target is neither a path nor an http(s) URI");
    size_t p = scheme_len + 1;
    if (n - p < 2 || t[p] != '/' || t[p + 1] != '/')
        return refuse(v, 400, "absolute request target without '//authority'");
    p += 2;
    size_t a = p;
    while (p < n && t[p] != '/' && t[p] != '?')
        p++;
    char q[200];
    if (memchr(t + a, '@', p - a))
        return refuse(v, 400, "user information in the request target authority '%s'",
                      quote(t + a, p - a, q, sizeof(q)));
    if (!valid_authority(t + a, p - a))
        return refuse(v, 400, "invalid authority '%s' in the request target",
                      quote(t + a, p - a, q, sizeof(q)));
    v->authority = util_xstrndup(t + a, p - a);
    if (p < n && t[p] == '/')
        v->origin = util_xstrndup(t + p, n - p);
    else
        v->origin = util_xasprintf("/%.*s", (int)(n - p), t + p);
    return true;
}

static bool check_target(const spin_http_head *h, spin_http_verdict *v)
{
    const char *t = h->target;
    size_t n = h->target_len;
    if (n == 0)
        return refuse(v, 400, "empty request target");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c <= 0x20 || c >= 0x7f || c == '#') {
            char b[16];
            return refuse(v, 400, "request target has %s at offset %zu",
                          describe_byte(c, b, sizeof(b)), i);
        }
    }
    if (t[0] == '/')
        return true;
    if (n == 1 && t[0] == '*') {
        if (strcmp(h->method, "OPTIONS") == 0)
            return true;
        return refuse(v, 400, "request target '*' with method %s (only OPTIONS)", h->method);
    }
    if (strcmp(h->method, "CONNECT") == 0) {
        if (valid_authority(t, n))
            return true;
        return refuse(v, 400, "CONNECT target is not host:port");
    }
    return absolute_form(t, n, v);
}

static bool check_field_syntax(const spin_http_field *f, spin_http_verdict *v)
{
    char q[200];
    if (!is_token(f->name, f->name_len)) {
        bool ws = false;
        for (size_t i = 0; i < f->name_len; i++)
            ws |= is_ows(f->name[i]);
        if (ws)
            return refuse(v, 400, "whitespace in or after header name '%s'",
                          quote(f->name, f->name_len, q, sizeof(q)));
        return refuse(v, 400, "invalid header name '%s'",
                      quote(f->name, f->name_len, q, sizeof(q)));
    }
    for (size_t i = 0; i < f->value_len; i++) {
        unsigned char c = (unsigned char)f->value[i];
        if (c == 0)
            return refuse(v, 400, "a NUL byte in the value of header '%s'",
                          quote(f->name, f->name_len, q, sizeof(q)));
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return refuse(v, 400, "control byte 0x%02x in the value of header '%s'", c,
                          quote(f->name, f->name_len, q, sizeof(q)));
    }
    return true;
}

/* RFC 9112 3.2: exactly one Host in HTTP/1.1, at most one in 1.0, and a
 * valid value.  An absolute-form target's authority replaces the value
 * (3.2.2), so the value is not judged then, but the count still is. */
static bool check_host(const spin_http_head *h, spin_http_verdict *v)
{
    const spin_http_field *host = NULL;
    size_t count = 0;
    for (size_t i = 0; i < h->nfields; i++) {
        if (name_is(&h->fields[i], "Host")) {
            host = &h->fields[i];
            count++;
        }
    }
    if (count > 1)
        return refuse(v, 400, "%zu Host headers", count);
    if (count == 0)
        return h->http11 ? refuse(v, 400, "HTTP/1.1 request without a Host header") : true;
    if (v->authority)
        return true;
    size_t n = host->value_len;
    while (n > 0 && is_ows(host->value[n - 1]))
        n--;
    char q[200];
    if (n > 0 && !valid_authority(host->value, n))
        return refuse(v, 400, "invalid Host header '%s'", quote(host->value, n, q, sizeof(q)));
    return true;
}

/* Returns the number of Content-Length fields; all must be 1*DIGIT (the
 * library frames on the first, so any other value is a second opinion
 * about where the body ends) and the same number (RFC 9110 8.6 allows
 * accepting identical duplicates). */
static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return n > 0;
}

static bool check_content_length(const spin_http_head *h, size_t *count, spin_http_verdict *v)
{
    const char *first = NULL;
    size_t first_len = 0;
    *count = 0;
    for (size_t i = 0; i < h->nfields; i++) {
        const spin_http_field *f = &h->fields[i];
        if (!name_is(f, "Content-Length"))
            continue;
        char q[200];
        if (!all_digits(f->value, f->value_len))
            return refuse(v, 400, "invalid Content-Length '%s'",
                          quote(f->value, f->value_len, q, sizeof(q)));
        const char *d = f->value;
        size_t dn = f->value_len;
        while (dn > 1 && d[0] == '0') {
            d++;
            dn--;
        }
        if (first && (dn != first_len || memcmp(d, first, dn) != 0))
            return refuse(v, 400, "two different Content-Length values");
        first = d;
        first_len = dn;
        (*count)++;
    }
    return true;
}

typedef struct coding_list {
    size_t n, chunked;
    bool last_chunked, chunked_params;
    char other[64]; /* the first coding that is not chunked */
} coding_list;

/* Adds the codings of one Transfer-Encoding value (a #list, RFC 9110 5.6.1:
 * empty elements are ignored; a coding may carry ";param" parts). */
static bool add_codings(const char *s, size_t n, coding_list *l, spin_http_verdict *v)
{
    size_t i = 0;
    while (i < n) {
        size_t end = i;
        while (end < n && s[end] != ',')
            end++;
        size_t a = i, b = end;
        while (a < b && is_ows(s[a]))
            a++;
        size_t name_end = a;
        while (name_end < b && s[name_end] != ';' && !is_ows(s[name_end]))
            name_end++;
        while (b > a && is_ows(s[b - 1]))
            b--;
        if (a < b) {
            char q[200];
            if (!is_token(s + a, name_end - a))
                return refuse(v, 400, "malformed Transfer-Encoding '%s'", quote(s, n, q, sizeof(q)));
            bool chunked = name_end - a == 7 && strncasecmp(s + a, "chunked", 7) == 0;
            l->n++;
            l->last_chunked = chunked;
            if (chunked) {
                l->chunked++;
                l->chunked_params |= name_end < b;
            } else if (!l->other[0]) {
                snprintf(l->other, sizeof(l->other), "%s",
                         quote(s + a, name_end - a, q, sizeof(q)));
            }
        }
        i = end + 1;
    }
    return true;
}

/* RFC 9112 6.1 and 6.3.  The only coding this server decodes is chunked,
 * and the library frames a chunked body only when the first
 * Transfer-Encoding value is exactly "chunked"; anything else would be read
 * until the client closes. */
static bool check_transfer_encoding(const spin_http_head *h, size_t content_lengths,
                                    spin_http_verdict *v)
{
    coding_list l = {0};
    const spin_http_field *first = NULL;
    size_t fields = 0;
    for (size_t i = 0; i < h->nfields; i++) {
        const spin_http_field *f = &h->fields[i];
        if (!name_is(f, "Transfer-Encoding"))
            continue;
        if (!first)
            first = f;
        fields++;
        if (!add_codings(f->value, f->value_len, &l, v))
            return false;
    }
    if (!first)
        return true;
    if (!h->http11)
        return refuse(v, 400, "Transfer-Encoding in an HTTP/1.0 request");
    if (content_lengths > 0)
        return refuse(v, 400, "both Transfer-Encoding and Content-Length");
    if (l.n == 0)
        return refuse(v, 400, "empty Transfer-Encoding");
    if (!l.last_chunked)
        return refuse(v, 400, "Transfer-Encoding does not end with chunked, so the body has no "
                              "length");
    if (l.chunked > 1)
        return refuse(v, 400, "chunked applied more than once");
    if (l.chunked_params)
        return refuse(v, 400, "parameters on the chunked transfer coding");
    if (l.other[0])
        return refuse(v, 501, "transfer coding '%s' is not implemented", l.other);
    if (fields != 1 || first->value_len != 7 || strncasecmp(first->value, "chunked", 7) != 0)
        return refuse(v, 400, "Transfer-Encoding must be the single value 'chunked'");
    return true;
}

void spin_http_check_head(const spin_http_head *h, spin_http_verdict *v)
{
    memset(v, 0, sizeof(*v));
    char q[200];
    if (!is_token(h->method, strlen(h->method))) {
        refuse(v, 400, "method '%s' is not a token", quote(h->method, strlen(h->method), q,
                                                             sizeof(q)));
        return;
    }
    bool ok = check_target(h, v);
    for (size_t i = 0; ok && i < h->nfields; i++)
        ok = check_field_syntax(&h->fields[i], v);
    size_t content_lengths = 0;
    ok = ok && check_host(h, v) && check_content_length(h, &content_lengths, v) &&
         check_transfer_encoding(h, content_lengths, v);
    if (!ok)
        spin_http_verdict_clear(v); /* a refused absolute-form target is not rewritten */
}

void spin_http_verdict_clear(spin_http_verdict *v)
{
    free(v->origin);
    free(v->authority);
    v->origin = v->authority = NULL;
}

void spin_http_headers_set_host(spin_http_header **headers, size_t *n, const char *authority)
{
    if (!authority)
        return;
    bool found = false;
    for (size_t i = 0; i < *n; i++) {
        if (strcasecmp((*headers)[i].name, "Host") == 0) {
            free((*headers)[i].value);
            (*headers)[i].value = util_xstrdup(authority);
            found = true;
        }
    }
    if (found)
        return;
    *headers = util_xrealloc(*headers, (*n + 1) * sizeof(spin_http_header));
    (*headers)[*n].name = util_xstrdup("Host");
    (*headers)[*n].value = util_xstrdup(authority);
    (*n)++;
}
