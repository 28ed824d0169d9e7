/*
 * test_http_framing.c - request heads RFC 9110/9112 say to refuse, sent as
 * raw bytes to a server on a loopback port (issue #10 item 5).
 *
 * Each exchange reads until the server closes (or 5 s pass), then asserts
 * the status line, how many responses came back, that the connection was
 * closed, and the warn-level log line naming the reason and the client.
 * The checker's finer rules are also driven directly, without a socket.
 */
#include "http_request_check.h"
#include "http_server.h"
#include "http_test_server.h"
#include "test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- server and log ------------------------------------------------------ */

static void echo_handler(void *ctx, const spin_http_request *req, spin_http_response *resp)
{
    (void)ctx;
    const char *host = spin_http_request_header(req, "Host");
    util_buf_printf(&resp->body, "%s path=%s query=%s host=%s body=", req->method, req->path,
                    req->query ? req->query : "(none)", host ? host : "(none)");
    util_buf_append(&resp->body, req->body, req->body_len);
}

typedef test_server server;

static server start(unsigned head_timeout_ms)
{
    return test_server_start((spin_http_server_config){.io_threads = 2,
                                                       .workers = 2,
                                                       .head_timeout_ms = head_timeout_ms,
                                                       .handler = echo_handler});
}

/* The server's log goes to this file, read back to find refusal lines. */
static FILE *log_file;

static bool log_has(const char *a, const char *b)
{
    char line[4096];
    bool found = false;
    fflush(log_file);
    rewind(log_file);
    while (!found && fgets(line, sizeof(line), log_file))
        found = strstr(line, "level=warn") && strstr(line, a) && (!b || strstr(line, b));
    fseek(log_file, 0, SEEK_END);
    if (!found)
        fprintf(stderr, "no warn line with '%s' / '%s' in the log\n", a, b ? b : "");
    return found;
}

/* ---- raw exchanges ------------------------------------------------------- */

typedef struct {
    char data[65536];
    size_t len;
    bool closed;   /* the server ended the connection (EOF or reset) */
    int responses; /* status lines seen */
    int status;    /* of the first response */
} reply;

static int count_status_lines(const char *s)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, "HTTP/1.")) != NULL; p++) {
        int code = 0;
        if (sscanf(p, "HTTP/1.%*1[01] %3d", &code) == 1 && code >= 100)
            n++;
    }
    return n;
}

/* True when the bytes are whole responses (each head plus its
 * Content-Length body) and nothing else. */
static bool whole_responses(const char *s, size_t len)
{
    size_t at = 0;
    while (at < len) {
        const char *end = strstr(s + at, "\r\n\r\n");
        if (!end)
            return false;
        size_t head = (size_t)(end - (s + at)) + 4;
        const char *cl = strcasestr(s + at, "\r\nContent-Length:");
        size_t body = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
        if (len - at < head + body)
            return false;
        at += head + body;
    }
    return len > 0;
}

/* Appends what the server sends until it closes the connection, or
 * nothing more came for `quiet_ms` (300 ms once whole responses are in:
 * enough to catch a second copy, which comes in the same burst). */
static void read_reply(int fd, reply *r, int quiet_ms)
{
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, whole_responses(r->data, r->len) ? 300 : quiet_ms) <= 0)
            break;
        ssize_t n = read(fd, r->data + r->len, sizeof(r->data) - 1 - r->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            r->closed = n == 0 || errno == ECONNRESET;
            break;
        }
        r->len += (size_t)n;
        r->data[r->len] = '\0';
    }
    r->responses = count_status_lines(r->data);
    r->status = 0;
    sscanf(r->data, "HTTP/1.%*d %d", &r->status);
}

static void exchange_n(int port, const char *raw, size_t len, reply *r)
{
    memset(r, 0, sizeof(*r));
    int fd = test_server_connect(port);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    util_write_all(fd, raw, len);
    read_reply(fd, r, 5000);
    close(fd);
}

#define EXCHANGE(port, lit, r) exchange_n(port, lit, sizeof(lit) - 1, r)

/* One response with this status, then the server closed the connection. */
static bool refused_once(const reply *r, int status)
{
    bool ok = r->status == status && r->responses == 1 && r->closed;
    if (!ok)
        fprintf(stderr, "wanted one %d then close; got %d response(s), first %d, %s:\n%s\n",
                status, r->responses, r->status, r->closed ? "closed" : "left open", r->data);
    return ok;
}

static bool served(const reply *r, const char *body_part)
{
    bool ok = r->status == 200 && strstr(r->data, body_part) != NULL;
    if (!ok)
        fprintf(stderr, "wanted 200 with '%s'; got:\n%s\n", body_part, r->data);
    return ok;
}

/* ---- Content-Length ------------------------------------------------------ */

static void test_two_different_content_lengths_are_refused(server *s)
{
    reply r;
    /* The library framed on the first (3) and the rest was a second request
     * to a proxy that reads the last. */
    EXCHANGE(s->port,
             "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 10\r\n\r\n"
             "abcdefghij",
             &r);
    CHECK(refused_once(&r, 400));
    CHECK(log_has("two different Content-Length values", "127.0.0.1:"));
    /* The same value twice is one length (RFC 9110 8.6). */
    EXCHANGE(s->port,
             "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 003\r\n\r\nabc",
             &r);
    CHECK(served(&r, "body=abc"));
}

static void test_malformed_content_length_is_answered_once(server *s)
{
    reply r;
    EXCHANGE(s->port, "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n", &r);
    CHECK(refused_once(&r, 400));
    CHECK(log_has("wrong value for Content-Length", "127.0.0.1:"));
    EXCHANGE(s->port, "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\nabc", &r);
    CHECK(refused_once(&r, 400));
    /* Too large to represent: the library's 413, once. */
    EXCHANGE(s->port,
             "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n",
             &r);
    CHECK(refused_once(&r, 413));
}

static void test_malformed_content_length_after_a_served_request(server *s)
{
    reply r;
    EXCHANGE(s->port,
             "GET /first HTTP/1.1\r\nHost: h\r\n\r\n"
             "POST /second HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n",
             &r);
    CHECK_INT(r.status, 200);
    CHECK(strstr(r.data, "path=/first") != NULL);
    CHECK_INT(r.responses, 2);
    CHECK(strstr(r.data, "HTTP/1.1 400 ") != NULL);
    CHECK(r.closed);
}

/* ---- field syntax -------------------------------------------------------- */

static void test_whitespace_in_header_names_is_refused(server *s)
{
    reply r;
    EXCHANGE(s->port, "GET /a HTTP/1.1\r\nHost: h\r\nX-A : 1\r\n\r\n", &r);
    CHECK(refused_once(&r, 400));
    CHECK(log_has("whitespace in or after header name 'X-A '", "127.0.0.1:"));
    EXCHANGE(s->port, "GET /a HTTP/1.1\r\nHost: h\r\nX A: 1\r\n\r\n", &r);
    CHECK(refused_once(&r, 400));
    /* Whitespace before the first field line (RFC 9112 2.2). */
    EXCHANGE(s->port, "GET /a HTTP/1.1\r\n Host: h\r\n\r\n", &r);
    CHECK(refused_once(&r, 400));
}

static void test_nul_and_control_bytes_in_fields_are_refused(server *s)
{
    reply r;
    EXCHANGE(s->port, "GET /a HTTP/1.1\r\nHost: h\r\nX-A: 1\0002\r\n\r\n", &r);
    CHECK(refused_once(&r, 400));
    CHECK(log_has("a NUL byte in the value of header 'X-A'", "127.0.0.1:"));
    /* At the end of a value, and in a field that is not the last. */
    EXCHANGE(s->port, "GET /a HTTP/1.1\r\nX-A: 12\0\r\nHost: h\r\n\r\n", &r);
    CHECK(refused_once(&r, 400));
    EXCHANGE(s->port, "GET /a HTTP/1.1\r\nHost: h\r\nX-A: 1\0012\r\n\r\n", &r);
    CHECK(refused_once(&r, 400));
    CHECK(log_has("control byte 0x01 in the value of header 'X-A'", "127.0.0.1:"));
    EXCHANGE(s->port, "GET /a HTTP/1.1\r\nHost: h\r\nX-A: 1\r2\r\n\r\n", &r);
    CHECK(refused_once(&r, 400));
    /* The library refuses a NUL in a name itself; it must still be once. */
    EXCHANGE(s->port, "GET /a HTTP/1.1\r\nHost: h\r\nX\0A: 1\r\n\r\n", &r);
    CHECK(refused_once(&r, 400));
    /* Tabs and spaces inside a value are fine. */
    EXCHANGE(s->port, "GET /a HTTP/1.1\r\nHost: h\r\nX-A: 1 \t 2\r\n\r\n", &r);
    CHECK(served(&r, "path=/a"));
}

static void test_folded_header_lines_are_refused(server *s)
{
    reply r;
    /* RFC 9112 5.2; the library glued the continuation to the NAME. */
    EXCHANGE(s->port, "GET /a HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n 2\r\n\r\n", &r);
    CHECK(refused_once(&r, 400));
    CHECK(log_has("obs-fold", "127.0.0.1:"));
}

/* ---- request target ------------------------------------------------------ */

static void test_bad_bytes_in_the_target_are_refused(server *s)
{
    reply r;
    EXCHANGE(s->port, "GET /a\0b HTTP/1.1\r\nHost: h\r\n\r\n", &r);
    CHECK(refused_once(&r, 400));
    CHECK(log_has("request target has a NUL byte at offset 2", "127.0.0.1:"));
    EXCHANGE(s->port, "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", &r);
    CHECK(refused_once(&r, 400));
    EXCHANGE(s->port, "GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", &r);
    CHECK(refused_once(&r, 400));
    EXCHANGE(s->port, "GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n", &r);
    CHECK(refused_once(&r, 400));
    EXCHANGE(s->port, "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", &r);
    CHECK(refused_once(&r, 400));
    EXCHANGE(s->port, "GET relative/path HTTP/1.1\r\nHost: h\r\n\r\n", &r);
    CHECK(refused_once(&r, 400));
}

static void test_absolute_form_targets_are_served_as_origin_form(server *s)
{
    reply r;
    EXCHANGE(s->port, "GET http://example.com:8080/p/q?x=1 HTTP/1.1\r\nHost: other\r\n\r\n", &r);
    CHECK(served(&r, "path=/p/q query=x=1 host=example.com:8080 "));
    EXCHANGE(s->port, "GET HTTPS://h2?y HTTP/1.1\r\nHost: other\r\n\r\n", &r);
    CHECK(served(&r, "path=/ query=y host=h2 "));
    EXCHANGE(s->port, "GET ftp://h/p HTTP/1.1\r\nHost: h\r\n\r\n", &r);
    CHECK(refused_once(&r, 400));
    EXCHANGE(s->port, "GET http://user@h/p HTTP/1.1\r\nHost: h\r\n\r\n", &r);
    CHECK(refused_once(&r, 400));
    EXCHANGE(s->port, "GET http:///p HTTP/1.1\r\nHost: h\r\n\r\n", &r);
    CHECK(refused_once(&r, 400));
}

/* The library spent a pool record per parameter and went silent at about
 * 1,200 of them (issue #10); the parsed parameters are not used at all
 * now, so any query that fits the head limit is served. */
static void query_is_served(server *s, int params)
{
    static char req[32768], want[32768];
    size_t q = 0;
    for (int i = 0; i < params; i++)
        q += (size_t)snprintf(want + q, sizeof(want) - q, "%sp%d=%d", i ? "&" : "", i % 10, i);
    int n = snprintf(req, sizeof(req), "GET /q?%s HTTP/1.1\r\nHost: h\r\n\r\n", want);
    reply r;
    exchange_n(s->port, req, (size_t)n, &r);
    CHECK_INT(r.status, 200);
    char *got = strstr(r.data, "query=");
    CHECK(got && strncmp(got + 6, want, q) == 0 && got[6 + q] == ' ');
}

static void test_long_queries_are_served(server *s)
{
    query_is_served(s, 1200); /* 8 KB */
    query_is_served(s, 2500); /* 18 KB */
}

/* ---- Host ---------------------------------------------------------------- */

static void test_host_rules(server *s)
{
    reply r;
    EXCHANGE(s->port, "GET /a HTTP/1.1\r\nHost: h\r\nHost: g\r\n\r\n", &r);
    CHECK(refused_once(&r, 400));
    CHECK(log_has("2 Host headers", "127.0.0.1:"));
    EXCHANGE(s->port, "GET /a HTTP/1.1\r\n\r\n", &r);
    CHECK(refused_once(&r, 400));
    CHECK(log_has("HTTP/1.1 request without a Host header", "127.0.0.1:"));
    EXCHANGE(s->port, "GET /a HTTP/1.1\r\nHost: a b\r\n\r\n", &r);
    CHECK(refused_once(&r, 400));
    /* HTTP/1.0 needs none; an empty one and an IPv6 literal are valid. */
    EXCHANGE(s->port, "GET /a HTTP/1.0\r\n\r\n", &r);
    CHECK(served(&r, "path=/a"));
    EXCHANGE(s->port, "GET /a HTTP/1.1\r\nHost:\r\n\r\n", &r);
    CHECK(served(&r, "path=/a"));
    EXCHANGE(s->port, "GET /a HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", &r);
    CHECK(served(&r, "host=[::1]:80 "));
}

/* ---- Transfer-Encoding --------------------------------------------------- */

static void test_transfer_codings_we_cannot_frame_are_refused(server *s)
{
    reply r;
    /* Chunked is last, so the framing is known, but gzip is not
     * implemented: 501 (RFC 9112 6.1). */
    EXCHANGE(s->port,
             "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
             "3\r\nabc\r\n0\r\n\r\n",
             &r);
    CHECK(refused_once(&r, 501));
    CHECK(log_has("transfer coding 'gzip' is not implemented", "127.0.0.1:"));
    /* Chunked not last: no way to find the end of the body (6.3). */
    EXCHANGE(s->port, "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\nabc", &r);
    CHECK(refused_once(&r, 400));
    /* Both framings: the library used Transfer-Encoding and kept the
     * connection (6.1 says close). */
    EXCHANGE(s->port,
             "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n"
             "\r\n3\r\nabc\r\n0\r\n\r\n",
             &r);
    CHECK(refused_once(&r, 400));
    CHECK(log_has("both Transfer-Encoding and Content-Length", "127.0.0.1:"));
    EXCHANGE(s->port,
             "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
             "3\r\nabc\r\n0\r\n\r\n",
             &r);
    CHECK(served(&r, "body=abc"));
}

/* ---- what is not an HTTP head -------------------------------------------- */

static void test_a_tls_client_hello_is_closed_at_once(server *s)
{
    /* The start of a ClientHello record: no line end ever comes. */
    static const char hello[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"
                                "0123456789abcdef0123456789abcdef";
    reply r;
    uint64_t t0 = util_monotonic_ns();
    exchange_n(s->port, hello, sizeof(hello) - 1, &r);
    /* Well before the 30 s head timeout of this server. */
    CHECK(r.closed);
    CHECK(util_monotonic_ns() - t0 < 10ull * 1000000000ull);
    CHECK(log_has("TLS handshake", "127.0.0.1:"));
}

static void test_a_trickled_head_times_out(void)
{
    server s = start(400);
    int fd = test_server_connect(s.port);
    CHECK(fd >= 0);
    util_write_all(fd, "GET /slow HTTP/1.1\r\nHost: h\r\n", 29);
    /* One more field line every 100 ms: never idle, never complete. */
    reply r = {0};
    for (int i = 0; i < 200 && !r.closed && r.len == 0; i++) {
        char line[32];
        int n = snprintf(line, sizeof(line), "X-%d: 1\r\n", i);
        if (send(fd, line, (size_t)n, MSG_NOSIGNAL) < 0)
            break;
        read_reply(fd, &r, 100);
    }
    if (!r.closed)
        read_reply(fd, &r, 5000);
    CHECK(refused_once(&r, 408));
    CHECK(log_has("no complete request head within 400 ms", "127.0.0.1:"));
    close(fd);
    spin_http_server_stop(s.srv, 1000);
}

static void test_a_head_in_pieces_within_the_timeout_is_served(void)
{
    server s = start(2000);
    int fd = test_server_connect(s.port);
    CHECK(fd >= 0);
    util_write_all(fd, "GET /pieces HTT", 15);
    usleep(50 * 1000);
    util_write_all(fd, "P/1.1\r\nHost: h\r\n", 16);
    usleep(50 * 1000);
    util_write_all(fd, "\r\n", 2);
    reply r = {0};
    read_reply(fd, &r, 5000);
    CHECK(served(&r, "path=/pieces"));
    /* Keep-alive: the next request on the same connection is served too. */
    util_write_all(fd, "GET /again HTTP/1.1\r\nHost: h\r\n\r\n", 32);
    memset(&r, 0, sizeof(r));
    read_reply(fd, &r, 5000);
    CHECK(served(&r, "path=/again"));
    close(fd);
    spin_http_server_stop(s.srv, 1000);
}

static void test_a_refusal_on_a_keep_alive_connection_closes_it(server *s)
{
    int fd = test_server_connect(s->port);
    CHECK(fd >= 0);
    util_write_all(fd, "GET /k1 HTTP/1.1\r\nHost: h\r\n\r\n", 29);
    reply r = {0};
    read_reply(fd, &r, 5000);
    CHECK(served(&r, "path=/k1"));
    CHECK(!r.closed);
    util_write_all(fd, "GET /k2 HTTP/1.1\r\nHost: h\r\nHost: g\r\n\r\n", 38);
    memset(&r, 0, sizeof(r));
    read_reply(fd, &r, 5000);
    CHECK(refused_once(&r, 400));
    close(fd);
}

/* ---- the checker on its own ---------------------------------------------- */

typedef struct {
    const char *method, *target;
    bool http11;
    const char *fields; /* "Name: value\n..." */
    unsigned status;
} head_case;

static unsigned check(const head_case *c, spin_http_verdict *v)
{
    spin_http_field f[16];
    size_t n = 0;
    char *text = util_xstrdup(c->fields);
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && n < 16;
         line = strtok_r(NULL, "\n", &save)) {
        char *colon = strchr(line, ':');
        char *value = colon + 1;
        while (*value == ' ')
            value++;
        f[n++] = (spin_http_field){line, (size_t)(colon - line), value, strlen(value)};
    }
    spin_http_head h = {c->method, c->target, strlen(c->target), c->http11, f, n};
    spin_http_check_head(&h, v);
    free(text);
    return v->status;
}

static void test_checker_rules(void)
{
    static const head_case cases[] = {
        {"GET", "/", true, "Host: h", 0},
        {"OPTIONS", "*", true, "Host: h", 0},
        {"GET", "*", true, "Host: h", 400},
        {"CONNECT", "h:443", true, "Host: h:443", 0},
        {"G\x01T", "/", true, "Host: h", 400},
        {"GET", "/", true, "Host: h\nTransfer-Encoding: chunked, chunked", 400},
        {"GET", "/", true, "Host: h\nTransfer-Encoding: gzip\nTransfer-Encoding: chunked", 501},
        {"GET", "/", true, "Host: h\nTransfer-Encoding: chunked;x=1", 400},
        {"GET", "/", true, "Host: h\nTransfer-Encoding: ,", 400},
        {"GET", "/", true, "Host: h\nTransfer-Encoding: ,chunked", 400},
        {"GET", "/", true, "Host: h\nTransfer-Encoding: Chunked", 0},
        {"GET", "/", false, "Transfer-Encoding: chunked", 400},
        {"GET", "/", true, "Host: h\nContent-Length: 5\nContent-Length: 5", 0},
        {"GET", "/", true, "Host: h\nContent-Length: 5\nContent-Length: 6", 400},
        {"GET", "/", true, "Host: h\nContent-Length: -5", 400},
        {"GET", "/", true, "Host: [::1", 400},
        {"GET", "/", true, "Host: h:", 0},
        {"GET", "/", true, "Host: h:8x", 400},
        {"GET", "/", true, "Host: %zz", 400},
        {"GET", "/", true, "Host: h \t", 0},
        {"GET", "http://h:1/", true, "Host: a b", 0}, /* the Host is ignored then */
        {"GET", "http://[::1]:8080/x", true, "Host: h", 0},
        {"GET", "http", true, "Host: h", 400},
        {"GET", "http:", true, "Host: h", 400},
        {"GET", "http:/", true, "Host: h", 400},
        {"GET", "/", true, "Host: h\nX\x7f: 1", 400},
        {"GET", "/", true, "Host: h\nX: a\x7f", 400},
        {"GET", "/", true, "Host: h\n: 1", 400},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(cases); i++) {
        spin_http_verdict v;
        unsigned got = check(&cases[i], &v);
        if (got != cases[i].status)
            fprintf(stderr, "case %zu (%s %s | %s): %u (%s)\n", i, cases[i].method,
                    cases[i].target, cases[i].fields, got, v.reason);
        CHECK_INT(got, cases[i].status);
        spin_http_verdict_clear(&v);
    }
    spin_http_verdict v;
    head_case abs = {"GET", "http://H.example:80?q=1", true, "Host: x", 0};
    CHECK_INT(check(&abs, &v), 0);
    CHECK_STR(v.origin, "/?q=1");
    CHECK_STR(v.authority, "H.example:80");
    spin_http_verdict_clear(&v);
    /* Refused after the target was parsed: nothing rewritten (fuzz_http). */
    head_case refused = {"GET", "http://h:80/p?q", true, "Host: x\nHost: y", 0};
    CHECK_INT(check(&refused, &v), 400);
    CHECK(v.origin == NULL && v.authority == NULL);
}

static void test_absolute_form_host_replaces_the_host_headers(void)
{
    spin_http_header *h = util_xcalloc(2, sizeof(*h));
    size_t n = 2;
    h[0] = (spin_http_header){util_xstrdup("host"), util_xstrdup("old")};
    h[1] = (spin_http_header){util_xstrdup("Accept"), util_xstrdup("*/*")};
    spin_http_headers_set_host(&h, &n, "new:1");
    CHECK_INT(n, 2);
    CHECK_STR(h[0].value, "new:1");
    spin_http_headers_set_host(&h, &n, NULL);
    CHECK_STR(h[0].value, "new:1");
    free(h[0].name);
    free(h[0].value);
    h[0] = h[1];
    n = 1;
    spin_http_headers_set_host(&h, &n, "added");
    CHECK_INT(n, 2);
    CHECK_STR(h[1].name, "Host");
    CHECK_STR(h[1].value, "added");
    for (size_t i = 0; i < n; i++) {
        free(h[i].name);
        free(h[i].value);
    }
    free(h);
}

#define RUN_ON(fn, s) \
    do { \
        int before_ = test_checks_failed; \
        fn(s); \
        if (test_checks_failed == before_) { \
            test_cases_passed++; \
        } else { \
            test_cases_failed++; \
            fprintf(stderr, "FAIL %s\n", #fn); \
        } \
    } while (0)

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    log_file = tmpfile();
    if (!log_file)
        return 1;
    util_log_set_fd(fileno(log_file));
    util_log_set_level(UTIL_LOG_WARN);

    RUN(test_checker_rules);
    RUN(test_absolute_form_host_replaces_the_host_headers);

    /* A long head timeout: the TLS test shows the close is not the timeout. */
    server s = start(30000);
    RUN_ON(test_two_different_content_lengths_are_refused, &s);
    RUN_ON(test_malformed_content_length_is_answered_once, &s);
    RUN_ON(test_malformed_content_length_after_a_served_request, &s);
    RUN_ON(test_whitespace_in_header_names_is_refused, &s);
    RUN_ON(test_nul_and_control_bytes_in_fields_are_refused, &s);
    RUN_ON(test_folded_header_lines_are_refused, &s);
    RUN_ON(test_bad_bytes_in_the_target_are_refused, &s);
    RUN_ON(test_absolute_form_targets_are_served_as_origin_form, &s);
    RUN_ON(test_long_queries_are_served, &s);
    RUN_ON(test_host_rules, &s);
    RUN_ON(test_transfer_codings_we_cannot_frame_are_refused, &s);
    RUN_ON(test_a_tls_client_hello_is_closed_at_once, &s);
    RUN_ON(test_a_refusal_on_a_keep_alive_connection_closes_it, &s);
    spin_http_server_stop(s.srv, 1000);

    RUN(test_a_trickled_head_times_out);
    RUN(test_a_head_in_pieces_within_the_timeout_is_served);
    fclose(log_file);
    return TEST_SUMMARY();
}
