/*
 * grpc_client.c - gRPC calls to containerd over HTTP/2 on its Unix socket,
 * with libcurl doing the HTTP/2.
 *
 * Why libcurl: containerd's Go server speaks HTTP/2 only, Huffman-codes
 * its headers and uses HPACK's dynamic table, so a client of our own would
 * be a full HTTP/2 + HPACK implementation; Debian's libcurl4 (with
 * nghttp2) does it, supports prior knowledge on a Unix socket, delivers
 * HTTP/2 trailers to the header callback, and the project already relies
 * on it for wasi:http.  Like there, it is loaded with dlopen on first use
 * and never linked (util_curl_load, the process's one libcurl loader): the
 * shim starts without it, and only a container with an empty rootfs ever
 * asks containerd anything.
 *
 * One call = one POST of one framed request message to
 * http://localhost/<service>/<method> with `content-type:
 * application/grpc`, `te: trailers` and `containerd-namespace`.  The whole
 * response body is kept (bounded by the caller's max_body; curl's write
 * callback refuses more) and the header callback collects the HTTP status,
 * content-type, grpc-status and grpc-message from headers and trailers
 * alike.  Every call has a total deadline (CURLOPT_TIMEOUT_MS) and the
 * connection one of its own.  Each call opens its own connection (see
 * set_call_options); the easy handle is still reused for its settings.
 */
#include "oci_internal.h"

#include "util_curl.h"

#include <string.h>

/* libcurl's table: loaded by the first oci_grpc_open, which every other
 * use follows (so never NULL there). */
static const util_curl_api *curl_fns(void)
{
    return util_curl_load(NULL);
}

struct oci_grpc_conn {
    CURL *easy;
    struct curl_slist *headers;
    char *socket_path;
    uint64_t connect_timeout_ms;
};

/* A value that goes into a header line must not end it early. */
static bool header_safe(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

oci_grpc_conn *oci_grpc_open(const char *address, const char *ns, uint64_t connect_timeout_ms,
                             util_error **err)
{
    if (address == NULL || address[0] == '\0') {
        util_error_set(err, 0, "containerd address: empty");
        return NULL;
    }
    if (strncmp(address, "unix://", 7) == 0)
        address += 7;
    if (ns == NULL || ns[0] == '\0' || !header_safe(ns)) {
        util_error_set(err, 0, "containerd namespace \"%s\": empty or not a header value",
                       ns ? ns : "");
        return NULL;
    }
    if (util_curl_load(err) == NULL) {
        util_error_wrap(err, "gRPC client");
        return NULL;
    }
    oci_grpc_conn *c = util_xcalloc(1, sizeof *c);
    c->easy = curl_fns()->easy_init();
    if (c->easy == NULL) {
        free(c);
        util_error_set(err, 0, "gRPC client: curl_easy_init failed");
        return NULL;
    }
    c->socket_path = util_xstrdup(address);
    c->connect_timeout_ms = connect_timeout_ms;
    cleanup_free char *ns_header = util_xasprintf("containerd-namespace: %s", ns);
    const char *lines[] = {"content-type: application/grpc", "te: trailers", ns_header,
                           "user-agent: containerd-shim-spin-c", "accept:", "expect:"};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(lines); i++) {
        struct curl_slist *next = curl_fns()->slist_append(c->headers, lines[i]);
        if (next == NULL) {
            oci_grpc_close(c);
            util_error_set(err, 0, "gRPC client: out of memory for headers");
            return NULL;
        }
        c->headers = next;
    }
    return c;
}

void oci_grpc_close(oci_grpc_conn *c)
{
    if (c == NULL)
        return;
    if (c->headers)
        curl_fns()->slist_free_all(c->headers);
    if (c->easy)
        curl_fns()->easy_cleanup(c->easy);
    free(c->socket_path);
    free(c);
}

typedef struct call_state {
    util_buf *body;
    size_t max_body;
    bool oversized;
    oci_grpc_status st;
} call_state;

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
    call_state *cs = user;
    size_t n = size * nmemb;
    if (n > cs->max_body - cs->body->len) {
        cs->oversized = true;
        return 0; /* curl stops with CURLE_WRITE_ERROR */
    }
    util_buf_append(cs->body, data, n);
    return n;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *user)
{
    call_state *cs = user;
    size_t n = size * nmemb;
    oci_grpc_status_line(&cs->st, line, n);
    return n;
}

static void set_call_options(oci_grpc_conn *c, const char *url, const uint8_t *frame,
                             size_t frame_len, uint64_t timeout_ms, call_state *cs)
{
    CURL *h = c->easy;
    curl_fns()->easy_setopt(h, CURLOPT_URL, url);
    curl_fns()->easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->socket_path);
    curl_fns()->easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
    curl_fns()->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_fns()->easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
    curl_fns()->easy_setopt(h, CURLOPT_POST, 1L);
    curl_fns()->easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)frame);
    curl_fns()->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)frame_len);
    curl_fns()->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_timeout_ms);
    curl_fns()->easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_fns()->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_fns()->easy_setopt(h, CURLOPT_WRITEDATA, cs);
    curl_fns()->easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_fns()->easy_setopt(h, CURLOPT_HEADERDATA, cs);
    /* the response's own framing is checked by us, byte for byte */
    curl_fns()->easy_setopt(h, CURLOPT_HTTP_CONTENT_DECODING, 0L);
    curl_fns()->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    /* A fresh connection per call: curl 7.88 fails the second request on
     * a reused prior-knowledge HTTP/2 connection ("Error in the HTTP2
     * framing layer"), and a Unix-socket connect costs next to nothing. */
    curl_fns()->easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
    curl_fns()->easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
}

/* What the transport's outcome means for the call. */
static int call_outcome(const char *method, CURLcode rc, call_state *cs, uint64_t timeout_ms,
                        util_error **err)
{
    if (cs->oversized) {
        util_error_set(err, 0, "%s: response over the limit of %zu bytes", method, cs->max_body);
        return OCI_ERR_CONTENT;
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        util_error_set(err, 0, "%s: no complete answer within %llu ms", method,
                       (unsigned long long)timeout_ms);
        return OCI_ERR_TRANSPORT;
    }
    if (rc != CURLE_OK) {
        util_error_set(err, 0, "%s: %s", method, curl_fns()->easy_strerror(rc));
        return OCI_ERR_TRANSPORT;
    }
    if (!cs->st.have_status) {
        if (cs->st.http_status != 200)
            util_error_set(err, 0, "%s: HTTP status %ld and no grpc-status", method,
                           cs->st.http_status);
        else
            util_error_set(err, 0, "%s: the answer has no grpc-status (stream cut short?)",
                           method);
        return OCI_ERR_TRANSPORT;
    }
    if (cs->st.code != 0) {
        util_error_set(err, 0, "%s: %s (%d): %s", method, oci_grpc_code_name(cs->st.code),
                       cs->st.code, cs->st.message ? cs->st.message : "no message");
        return OCI_ERR_TRANSPORT;
    }
    if (cs->st.http_status != 200 || !cs->st.grpc_content) {
        util_error_set(err, 0, "%s: HTTP status %ld, %s", method, cs->st.http_status,
                       cs->st.grpc_content ? "gRPC content" : "not gRPC content");
        return OCI_ERR_TRANSPORT;
    }
    return 0;
}

int oci_grpc_call(oci_grpc_conn *c, const char *method, const uint8_t *req, size_t req_len,
                  size_t max_body, uint64_t timeout_ms, util_buf *body, util_error **err)
{
    util_buf frame = {0};
    oci_grpc_frame(req, req_len, &frame);
    cleanup_free char *url = util_xasprintf("http://localhost%s", method);
    call_state cs = {.body = body, .max_body = max_body};
    set_call_options(c, url, (const uint8_t *)frame.data, frame.len, timeout_ms, &cs);
    CURLcode rc = curl_fns()->easy_perform(c->easy);
    /* the handle must not keep pointers to what is freed below */
    curl_fns()->easy_setopt(c->easy, CURLOPT_POSTFIELDS, (const char *)NULL);
    curl_fns()->easy_setopt(c->easy, CURLOPT_WRITEDATA, (void *)NULL);
    curl_fns()->easy_setopt(c->easy, CURLOPT_HEADERDATA, (void *)NULL);
    int r = call_outcome(method, rc, &cs, timeout_ms, err);
    oci_grpc_status_clear(&cs.st);
    util_buf_free(&frame);
    return r;
}
