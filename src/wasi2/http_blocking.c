/*
 * http_blocking.c - one outgoing request sent whole and answered whole,
 * for hosts of older ABIs (Spin 1's wasi-outbound-http) whose guests
 * cannot wait on pollables: wasi2_http_blocking (wasi2.h).
 *
 * It is outgoing-handler's path without the resources: the URL is checked
 * against the embedder's outbound_allowed as handle() checks a request's
 * parts, then local_request (Spin's `self` and `*.spin.internal`) may
 * serve it in-process (http_local.c), else the libcurl client
 * (http_client.c) sends it.  Both are reached only through their private
 * headers, exactly as http_outgoing.c drives them: an outgoing-body pipe
 * (http_body.c) carries the request body, the head stream says when the
 * response is known, the body source gives the bytes.  So the policy,
 * the chaining and the client are the ones components get, and this file
 * only loops where a guest would poll, with the policy's deadline_ns
 * bounding every wait.
 *
 * The URL rules follow Spin's send_request for the old interface: a URL
 * the policy cannot read a host from is refused as not allowed (Spin's
 * check_url answers false for it), one without "scheme://" is read as
 * https:// for the policy and then is no URL a request can go to, and a
 * relative one goes to the app itself.
 */
#include "http_client.h"
#include "http_host.h"
#include "http_local.h"

/* Spin's MAX_HOST_BUFFERED_BYTES: the most of a response held for a guest. */
#define BLOCKING_MAX_BODY ((size_t)128 << 20)
#define CHUNK ((size_t)64 << 10)

typedef struct parsed_url {
    char *scheme;    /* lower-case */
    char *authority; /* as written */
    char *host;      /* without brackets */
    uint16_t port;   /* 0: none written */
    const char *path; /* into the URL: "" or from the first '/', '?' or '#' */
} parsed_url;

static void parsed_url_clear(parsed_url *u)
{
    free(u->scheme);
    free(u->authority);
    free(u->host);
}

/* host[:port], [v6][:port], userinfo@ skipped: false when no host can be
 * read from it (what a policy could not judge). */
static bool split_authority(const char *a, char **host, uint16_t *port)
{
    const char *at = strrchr(a, '@');
    if (at)
        a = at + 1;
    const char *h = a, *rest;
    size_t hlen;
    if (a[0] == '[') {
        const char *close = strchr(a, ']');
        if (close == NULL)
            return false;
        h = a + 1;
        hlen = (size_t)(close - h);
        rest = close + 1;
    } else {
        hlen = strcspn(a, ":");
        rest = a + hlen;
    }
    *port = 0;
    if (*rest) {
        if (*rest != ':' || rest[1] == '\0')
            return false;
        uint32_t p = 0;
        for (const char *d = rest + 1; *d; d++) {
            if (*d < '0' || *d > '9' || (p = p * 10 + (uint32_t)(*d - '0')) > UINT16_MAX)
                return false;
        }
        *port = (uint16_t)p;
    }
    if (hlen == 0 || memchr(h, '[', hlen) || memchr(h, ']', hlen))
        return false;
    *host = util_xstrndup(h, hlen);
    return true;
}

/* scheme://authority[path]; false when it is not that shape. */
static bool parse_url(const char *url, parsed_url *u)
{
    const char *sep = strstr(url, "://");
    if (sep == NULL || sep == url)
        return false;
    for (const char *c = url; c < sep; c++)
        if (!(((*c | 0x20) >= 'a' && (*c | 0x20) <= 'z') ||
              (c > url && ((*c >= '0' && *c <= '9') || strchr("+-.", *c)))))
            return false;
    const char *auth = sep + 3;
    size_t alen = strcspn(auth, "/?#");
    u->scheme = util_xstrndup(url, (size_t)(sep - url));
    for (char *c = u->scheme; *c; c++)
        *c = (char)(*c | 0x20); /* letters lower-cased; digits, '+', '-', '.' have the bit */
    u->authority = util_xstrndup(auth, alen);
    u->path = auth + alen;
    if (!split_authority(u->authority, &u->host, &u->port))
        return false;
    if (u->port == 0)
        u->port = strcmp(u->scheme, "http") == 0 ? 80 : strcmp(u->scheme, "https") == 0 ? 443 : 0;
    return true;
}

/* What a URI may hold (http::Uri refuses the rest): visible ASCII. */
static bool uri_chars_valid(const char *s)
{
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c <= 0x20 || *c >= 0x7f)
            return false;
    return true;
}

static bool allowed(const wasi2_config *p, const char *scheme, const char *host, uint16_t port)
{
    return p->outbound_allowed && p->outbound_allowed(p->outbound_self, scheme, host, port);
}

/* Decides where the request goes: fills r (authority, path; scheme in
 * *scheme) and *url for the client, or returns a failure kind. */
static int route(const wasi2_config *p, const char *in, wasi2_http_outgoing_request *r,
                 char **scheme, char **url, util_error **err)
{
    if (in[0] == '/') { /* the app itself */
        if (!allowed(p, "http", NULL, 0) && !allowed(p, "https", NULL, 0))
            return util_error_set(err, 0, "a request to the app itself (%s) is not allowed "
                                  "(allowed_outbound_hosts has no 'self')", in),
                   WASI2_HTTP_BLOCKING_DENIED;
        if (!uri_chars_valid(in))
            return util_error_set(err, 0, "invalid URL '%s'", in), WASI2_HTTP_BLOCKING_INVALID_URL;
        *scheme = util_xstrdup("http");
        r->path_with_query = util_xstrdup(in);
        return WASI2_HTTP_BLOCKING_OK;
    }
    parsed_url u = {0};
    bool no_scheme = strstr(in, "://") == NULL;
    cleanup_free char *as_https = no_scheme ? util_xasprintf("https://%s", in) : NULL;
    bool parsed = parse_url(no_scheme ? as_https : in, &u);
    if (!parsed || !allowed(p, u.scheme, u.host, u.port)) {
        util_error_set(err, 0, "destination not allowed: %s%s", in,
                       parsed ? "" : " (no host can be read from it)");
        parsed_url_clear(&u);
        return WASI2_HTTP_BLOCKING_DENIED;
    }
    int kind = WASI2_HTTP_BLOCKING_OK;
    if (no_scheme || !uri_chars_valid(in)) {
        util_error_set(err, 0, "invalid URL '%s'", in);
        kind = WASI2_HTTP_BLOCKING_INVALID_URL;
    } else if (strcmp(u.scheme, "http") != 0 && strcmp(u.scheme, "https") != 0) {
        util_error_set(err, 0, "URL scheme '%s' is not supported (http or https)", u.scheme);
        kind = WASI2_HTTP_BLOCKING_FAILED;
    } else {
        *scheme = u.scheme;
        u.scheme = NULL;
        r->authority = u.authority;
        u.authority = NULL;
        r->path_with_query = util_xstrdup(u.path[0] ? u.path : "/");
        *url = util_xstrdup(in);
    }
    parsed_url_clear(&u);
    return kind;
}

static int failed(util_error **err, const char *what, const wasi2_http_error *e)
{
    util_error_set(err, 0, "%s: %s%s%s", what, wasi2_http_error_name(e->code),
                   e->text ? ": " : "", e->text ? e->text : "");
    return WASI2_HTTP_BLOCKING_FAILED;
}

/* The request's headers as fields: invalid ones refuse the request,
 * forbidden ones are dropped. */
static wasi2_http_fields *request_fields(const wasi2_http_blocking_request *req, util_error **err)
{
    wasi2_http_fields *f = wasi2_http_fields_new();
    for (size_t i = 0; i < req->nheaders; i++) {
        const wasi2_http_field *h = &req->headers[i];
        int bad = wasi2_http_check(h->name, strlen(h->name), h->value, h->value_len);
        if (bad == WASI2_HEADER_FORBIDDEN)
            continue;
        if (bad >= 0) {
            wasi2_http_fields_free(f);
            return util_error_set(err, 0, "invalid request header '%s'", h->name), NULL;
        }
        wasi2_http_fields_add(f, h->name, strlen(h->name), h->value, h->value_len);
    }
    return f;
}

/* Writes the whole body into the request's pipe, waiting (until `until`)
 * as the sink takes it, then finishes it. */
static int write_body(wasi2_http_outgoing_body *b, const uint8_t *data, size_t len,
                      uint64_t until, util_error **err)
{
    size_t done = 0;
    int errnum = 0;
    while (done < len) {
        uint64_t permit = 0;
        wasi2_io io = wasi2_stream_check_write(b->stream, &permit, &errnum);
        if (io == WASI2_IO_OK && permit == 0)
            io = wasi2_stream_wait(b->stream, until, &errnum);
        else if (io == WASI2_IO_OK) {
            size_t n = len - done < permit ? len - done : (size_t)permit;
            io = wasi2_stream_write(b->stream, data + done, n, &errnum);
            done += n;
        }
        if (io != WASI2_IO_OK)
            return util_error_set(err, 0, "sending the request body: %s",
                                  io == WASI2_IO_DEADLINE ? "the request's deadline passed"
                                  : io == WASI2_IO_CLOSED ? "the connection closed"
                                                          : strerror(errnum ? errnum : EIO));
    }
    uint64_t written;
    if (wasi2_http_outgoing_body_end(b, true, NULL, &written) >= 0)
        return util_error_set(err, 0, "sending the request body: its length is not the "
                              "content-length header's");
    return 0;
}

/* A response header as Spin hands it on: visible ASCII values only. */
static bool value_visible(const uint8_t *v, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((v[i] < 0x20 && v[i] != '\t') || v[i] >= 0x7f)
            return false;
    return true;
}

static void take_headers(const wasi2_http_fields *f, wasi2_http_blocking_response *resp)
{
    resp->headers = util_xcalloc(f->len ? f->len : 1, sizeof(*resp->headers));
    for (size_t i = 0; i < f->len; i++) {
        const wasi2_http_entry *e = &f->items[i];
        if (!value_visible(e->value, e->value_len))
            continue;
        resp->headers[resp->nheaders].name = util_xstrdup(e->name);
        resp->headers[resp->nheaders++].value =
            util_xstrndup((const char *)e->value, e->value_len);
    }
}

static int read_body(const wasi2_stream_ops *ops, void *self, uint64_t until,
                     wasi2_http_blocking_response *resp, util_error **err)
{
    if (ops == NULL)
        return 0;
    wasi2_stream *s = wasi2_stream_new(ops, self);
    util_buf body = {0};
    uint8_t chunk[CHUNK];
    int rc = 0;
    for (;;) {
        size_t n = 0;
        int errnum = 0;
        wasi2_io io = wasi2_stream_read(s, chunk, sizeof(chunk), until, &n, &errnum);
        if (io == WASI2_IO_CLOSED)
            break;
        if (io != WASI2_IO_OK) {
            rc = util_error_set(err, 0, "reading the response body: %s",
                                io == WASI2_IO_FAILED ? strerror(errnum ? errnum : EIO)
                                                      : "the request's deadline passed");
            break;
        }
        if (body.len + n > BLOCKING_MAX_BODY) {
            rc = util_error_set(err, 0, "the response body is larger than %zu bytes",
                                BLOCKING_MAX_BODY);
            break;
        }
        util_buf_append(&body, chunk, n);
    }
    wasi2_stream_release(s);
    if (rc < 0) {
        util_buf_free(&body);
        return WASI2_HTTP_BLOCKING_FAILED;
    }
    resp->body = (uint8_t *)util_buf_steal(&body, &resp->body_len);
    return 0;
}

/* The request's two ends, whichever serves it. */
typedef struct exchange {
    wasi2_http_local *local;
    wasi2_http_client_request *client;
} exchange;

static int wait_head(exchange *x, uint64_t until, util_error **err)
{
    wasi2_stream *s = x->local ? wasi2_http_local_head_stream(x->local)
                               : wasi2_http_client_head_stream(x->client);
    int errnum = 0;
    wasi2_io io = wasi2_stream_wait(s, until, &errnum);
    wasi2_stream_release(s);
    if (io == WASI2_IO_OK)
        return 0;
    util_error_set(err, 0, "waiting for the response: %s",
                   io == WASI2_IO_DEADLINE ? "the request's deadline passed"
                                           : strerror(errnum ? errnum : EIO));
    return WASI2_HTTP_BLOCKING_FAILED;
}

static int receive(exchange *x, uint64_t until, wasi2_http_blocking_response *resp,
                   util_error **err)
{
    int rc = wait_head(x, until, err);
    if (rc != 0)
        return rc;
    wasi2_http_fields *headers = NULL;
    bool is_failed = false, known;
    wasi2_http_error e = {0};
    if (x->local)
        known = wasi2_http_local_head(x->local, &resp->status, &headers, &is_failed, &e);
    else
        known = wasi2_http_client_head(x->client, &resp->status, &headers, &is_failed, &e);
    if (!known)
        return util_error_set(err, 0, "the response head is not known"),
               WASI2_HTTP_BLOCKING_FAILED;
    if (is_failed) {
        rc = failed(err, "the request failed", &e);
        free(e.text);
        return rc;
    }
    take_headers(headers, resp);
    wasi2_http_fields_free(headers);
    const wasi2_stream_ops *ops;
    void *self;
    if (x->local)
        wasi2_http_local_body_source(x->local, &ops, &self);
    else
        wasi2_http_client_body_source(x->client, &ops, &self);
    return read_body(ops, self, until, resp, err);
}

/* Starts the request r (its body pipe attached to whichever end takes
 * it), sends the body, then waits for the whole response. */
static int exchange_run(wasi2_ctx *ctx, wasi2_http_outgoing_request *r, const char *method,
                        const char *scheme, const char *url, const wasi2_http_blocking_request *req,
                        wasi2_http_outgoing_body *body, wasi2_http_blocking_response *resp,
                        util_error **err)
{
    uint64_t until = wasi2_ctx_until(ctx);
    exchange x = {.local = wasi2_http_local_start(ctx, r, method, scheme)};
    int rc = 0;
    if (x.local == NULL && url == NULL) {
        util_error_set(err, 0, "invalid URL '%s': relative, and no app serves it", req->url);
        rc = WASI2_HTTP_BLOCKING_INVALID_URL;
        goto out;
    }
    if (x.local == NULL) {
        wasi2_http_client_spec spec = {
            .method = method,
            .url = url,
            .headers = r->headers,
            .has_body = body != NULL,
            .content_length = body ? (int64_t)req->body_len : -1,
        };
        wasi2_http_error e = {0};
        x.client = wasi2_http_client_start(&spec, &e);
        if (x.client == NULL) {
            rc = failed(err, "the request could not start", &e);
            free(e.text);
            goto out;
        }
        if (body)
            wasi2_http_client_attach_body(x.client, r->body_pipe, until);
    }
    if (body && write_body(body, req->body, req->body_len, until, err) < 0) {
        rc = WASI2_HTTP_BLOCKING_FAILED;
        goto out;
    }
    rc = receive(&x, until, resp, err);
out:
    wasi2_http_local_release(x.local);
    wasi2_http_client_release(x.client);
    return rc;
}

static wasi2_ctx *policy_ctx(const wasi2_config *p, util_error **err)
{
    wasi2_config c;
    wasi2_config_init(&c);
    c.stdin_fd = c.stdout_fd = c.stderr_fd = -1;
    c.deadline_ns = p->deadline_ns;
    c.outbound_allowed = p->outbound_allowed;
    c.outbound_self = p->outbound_self;
    c.local_request = p->local_request;
    c.local_self = p->local_self;
    return wasi2_ctx_new(&c, err);
}

int wasi2_http_blocking(const wasi2_config *policy, const wasi2_http_blocking_request *req,
                        wasi2_http_blocking_response *resp, util_error **err)
{
    *resp = (wasi2_http_blocking_response){0};
    wasi2_http_outgoing_request r = {0};
    cleanup_free char *scheme = NULL, *url = NULL;
    int rc = route(policy, req->url, &r, &scheme, &url, err);
    if (rc != WASI2_HTTP_BLOCKING_OK)
        goto out;
    r.headers = request_fields(req, err);
    wasi2_ctx *ctx = r.headers ? policy_ctx(policy, err) : NULL;
    if (ctx == NULL) {
        rc = WASI2_HTTP_BLOCKING_FAILED;
        goto out;
    }
    wasi2_http_outgoing_body *body = NULL;
    if (req->body) {
        body = wasi2_http_outgoing_body_new((int64_t)req->body_len, true);
        r.body_pipe = body->stream;
        wasi2_stream_ref(r.body_pipe);
    }
    rc = exchange_run(ctx, &r, req->method, scheme, url, req, body, resp, err);
    wasi2_http_outgoing_body_free(body); /* abandons it if it was not finished */
    wasi2_ctx_free(ctx);
out:
    free(r.authority);
    free(r.path_with_query);
    wasi2_http_fields_free(r.headers);
    wasi2_stream_release(r.body_pipe);
    if (rc != WASI2_HTTP_BLOCKING_OK)
        wasi2_http_blocking_response_clear(resp);
    return rc;
}

void wasi2_http_blocking_response_clear(wasi2_http_blocking_response *resp)
{
    for (size_t i = 0; i < resp->nheaders; i++) {
        free(resp->headers[i].name);
        free(resp->headers[i].value);
    }
    free(resp->headers);
    free(resp->body);
    *resp = (wasi2_http_blocking_response){0};
}
