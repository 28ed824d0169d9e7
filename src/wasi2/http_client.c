/*
 * http_client.c - the HTTP client of wasi:http/outgoing-handler: libcurl,
 * one worker thread per request, and descriptors towards the guest.
 *
 * Why libcurl: HTTP/1.1 and HTTP/2 over TLS with certificate checks,
 * connection reuse, timeouts and proxies-off are all there, maintained
 * and in Debian (libcurl4); a client of our own would be a second TLS
 * stack to get right.  Connections, DNS answers and TLS sessions are
 * shared by every request of the process through one share handle, so a
 * guest that calls the same API repeatedly reuses its connection as
 * Spin's hyper client does.
 *
 * Why it is loaded with dlopen (like libmicrohttpd in src/spin): the shim
 * binary needs only libc at start, and most workloads never make an
 * outgoing request; libcurl and its TLS, HTTP/2, IDN and GSSAPI libraries
 * are loaded on the first request (util_curl_load, the process's one
 * libcurl loader, which src/oci's gRPC client shares).  A node without
 * libcurl4 gets an internal-error naming the package, not a shim that
 * fails to start.
 *
 * Why a thread per request rather than curl's multi interface driven from
 * the guest's waits: the guest must never block where a deadline cannot
 * end the wait, and wasi:io's pollables wait on descriptors with poll(2).
 * The worker runs curl_easy_perform; the guest's thread only ever touches
 * descriptors without blocking:
 *  - the response head: the worker's header callback collects it and
 *    signals an eventfd (future-incoming-response's pollable waits on it);
 *  - the request body: a socket pair; the guest's outgoing-body writes
 *    into it (4 KiB at a time when poll says there is room), curl's read
 *    callback reads it, and the body's end (finish or abandon) closes the
 *    guest's end, after which EOF means "done" or "abort"; when the
 *    transfer ends first, the worker shuts its end so that a guest
 *    waiting to write wakes and finds the stream closed;
 *  - the response body: a socket pair; curl's write callback sends into
 *    it (blocking the worker, which is the back-pressure), the guest's
 *    incoming-body stream reads it without blocking; the worker closes
 *    its end when the transfer ends, and a transfer that broke off is a
 *    read error after the bytes that did arrive.
 * The multi interface would need one event loop per guest wait and
 * curl's sockets exported into our pollables; the thread keeps the client
 * a straight-line program at the price of a thread per request in flight.
 * Cancellation: when the guest drops every handle of a request, curl's
 * progress callback aborts the transfer (within about a second).
 *
 * Timeouts (request-options, default 600 s each as in wasmtime): connect
 * is curl's connect timeout (-> connection-timeout); first-byte (from the
 * request sent to the response head) and between-bytes (between body
 * chunks) are checked by the progress callback (-> connection-read-timeout;
 * a server that stops taking the request body for between-bytes ->
 * connection-write-timeout).
 */
#include "http_client.h"
#include "http_host.h"

#include "util_curl.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- libcurl, loaded once ------------------------------------------------ */

/* libcurl's table (util_curl_load), set by curl_load: every use follows
 * a wasi2_http_client_available that returned true. */
static const util_curl_api *curl;
static CURLSH *curl_share;
static pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
static char curl_load_error[600];
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
/* The CA bundle curl was built to use, read at load: a request made after
 * the process pivoted into a container root still verifies servers with
 * the host's certificates.  NULL: curl reads its default file itself. */
static char *ca_bundle;
static size_t ca_bundle_len;

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *user)
{
    (void)h, (void)access, (void)user;
    pthread_mutex_lock(&share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *user)
{
    (void)h, (void)user;
    pthread_mutex_unlock(&share_locks[data]);
}

/* The process's libcurl, plus what wasi:http shares between requests:
 * connections, DNS answers and TLS sessions, and the host's CA bundle. */
static void curl_load(void)
{
    util_error *err = NULL;
    const util_curl_api *api = util_curl_load(&err);
    if (api == NULL) {
        snprintf(curl_load_error, sizeof(curl_load_error), "outgoing HTTP: %s", err->msg);
        util_error_free(&err);
        return;
    }
    curl = api;
    if ((curl_share = curl->share_init()) == NULL) {
        snprintf(curl_load_error, sizeof(curl_load_error), "outgoing HTTP: curl_share_init failed");
        return;
    }
    for (size_t i = 0; i < UTIL_ARRAY_LEN(share_locks); i++)
        pthread_mutex_init(&share_locks[i], NULL);
    curl->share_setopt(curl_share, CURLSHOPT_LOCKFUNC, share_lock);
    curl->share_setopt(curl_share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl->share_setopt(curl_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl->share_setopt(curl_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl->share_setopt(curl_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    const curl_version_info_data *v = curl->version_info(CURLVERSION_NOW);
    if (v && v->cainfo && util_read_file(v->cainfo, &ca_bundle, &ca_bundle_len, &err) < 0) {
        util_log_debug("outgoing HTTP: CA bundle: %s", err->msg);
        util_error_free(&err);
        ca_bundle = NULL;
    }
}

void wasi2_http_outgoing_preload(void)
{
    pthread_once(&curl_once, curl_load);
    if (curl_share == NULL)
        util_log_debug("%s", curl_load_error);
}

bool wasi2_http_client_available(util_error **err)
{
    pthread_once(&curl_once, curl_load);
    if (curl_share == NULL) {
        util_error_set(err, 0, "%s", curl_load_error);
        return false;
    }
    return true;
}

/* ---- the request ------------------------------------------------------------ */

#define DEFAULT_TIMEOUT_NS (600ULL * 1000000000ULL)
/* error-code.connection-write-timeout (not among http_internal.h's names) */
#define CONNECTION_WRITE_TIMEOUT 10

struct wasi2_http_client_request {
    pthread_mutex_t mu;
    CURL *easy; /* the worker's */
    unsigned guest_refs; /* guest-side objects; 0 cancels the transfer */
    bool worker_running; /* the worker holds the request until it ends */
    void *trace; /* the trace hooks' token until the transfer ends */
    /* what to send */
    char *method, *url;
    struct curl_slist *headers;
    bool has_body;
    int64_t content_length;
    uint64_t connect_ns, first_byte_ns, between_bytes_ns;
    /* request body (a socket pair): the worker reads up_rd, the guest writes up_wr */
    int up_rd, up_wr;
    bool up_ended, up_finished; /* the guest's end of the body, and how */
    /* response head */
    int head_fd; /* eventfd: readable once head_done or failed */
    bool head_done, in_trailers;
    uint16_t status;
    wasi2_http_fields *resp_headers;
    /* response body: the worker sends into down_wr, the guest reads down_rd */
    int down_rd, down_wr;
    bool body_given;
    /* the outcome */
    bool done, failed;
    wasi2_http_error error;
    /* timing, worker-side */
    uint64_t sent_at, last_byte_at, last_upload_at;
    int timed_out; /* 0, or the error-code case of a timeout seen by the progress callback */
};

static const wasi2_http_trace_hooks *trace_hooks;

static void request_free(wasi2_http_client_request *c)
{
    if (c->trace && trace_hooks) /* never started */
        trace_hooks->end(c->trace, 0, "the request did not start");
    free(c->method);
    free(c->url);
    if (c->headers)
        curl->slist_free_all(c->headers);
    int fds[] = {c->up_rd, c->up_wr, c->head_fd, c->down_rd, c->down_wr};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(fds); i++)
        if (fds[i] >= 0)
            close(fds[i]);
    wasi2_http_fields_free(c->resp_headers);
    free(c->error.text);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

void wasi2_http_client_ref(wasi2_http_client_request *c)
{
    pthread_mutex_lock(&c->mu);
    c->guest_refs++;
    pthread_mutex_unlock(&c->mu);
}

void wasi2_http_client_release(wasi2_http_client_request *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    bool last = --c->guest_refs == 0 && !c->worker_running;
    pthread_mutex_unlock(&c->mu);
    if (last)
        request_free(c);
}

static void signal_head(wasi2_http_client_request *c)
{
    uint64_t one = 1;
    ssize_t n;
    do
        n = write(c->head_fd, &one, sizeof(one));
    while (n < 0 && errno == EINTR);
}

/* ---- worker callbacks (worker thread) ------------------------------------------ */

static bool cancelled(wasi2_http_client_request *c)
{
    pthread_mutex_lock(&c->mu);
    bool gone = c->guest_refs == 0;
    pthread_mutex_unlock(&c->mu);
    return gone;
}

static void add_header_line(wasi2_http_fields *f, const char *line, size_t len)
{
    const char *colon = memchr(line, ':', len);
    if (colon == NULL || colon == line)
        return;
    size_t nlen = (size_t)(colon - line);
    const char *v = colon + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    /* names that are not tokens and values with NUL cannot be handed on
     * (forbidden names are: they are the server's, not the guest's) */
    if (wasi2_http_check(line, nlen, (const uint8_t *)v, (size_t)(end - v)) ==
        WASI2_HEADER_INVALID_SYNTAX)
        return;
    wasi2_http_fields_add(f, line, nlen, (const uint8_t *)v, (size_t)(end - v));
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *user)
{
    wasi2_http_client_request *c = user;
    size_t len = size * nmemb, n = len;
    while (n > 0 && (data[n - 1] == '\n' || data[n - 1] == '\r'))
        n--;
    c->last_byte_at = util_monotonic_ns();
    if (c->in_trailers)
        return len; /* trailers: not handed on (see http_outgoing.c) */
    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        /* a status line: a new head (after a 1xx, the final one) */
        wasi2_http_fields_free(c->resp_headers);
        c->resp_headers = wasi2_http_fields_new();
        return len;
    }
    if (n > 0) {
        if (c->resp_headers)
            add_header_line(c->resp_headers, data, n);
        return len;
    }
    long code = 0;
    curl->easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code < 200 && code != 101)
        return len; /* an interim response: the final head follows */
    pthread_mutex_lock(&c->mu);
    c->status = (uint16_t)code;
    c->head_done = true;
    c->in_trailers = true;
    pthread_mutex_unlock(&c->mu);
    signal_head(c);
    return len;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
    wasi2_http_client_request *c = user;
    size_t len = size * nmemb, off = 0;
    c->last_byte_at = util_monotonic_ns();
    while (off < len) {
        ssize_t n = send(c->down_wr, data + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return 0; /* the guest dropped the body: abort */
        off += (size_t)n;
    }
    c->last_byte_at = util_monotonic_ns();
    return len;
}

static size_t on_upload(char *buf, size_t size, size_t nitems, void *user)
{
    wasi2_http_client_request *c = user;
    for (;;) {
        ssize_t n = read(c->up_rd, buf, size * nitems);
        if (n > 0) {
            c->last_upload_at = util_monotonic_ns();
            return (size_t)n;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return CURL_READFUNC_ABORT;
        pthread_mutex_lock(&c->mu);
        bool finished = c->up_finished;
        pthread_mutex_unlock(&c->mu);
        if (!finished)
            return CURL_READFUNC_ABORT;
        c->sent_at = util_monotonic_ns();
        return 0;
    }
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    wasi2_http_client_request *c = user;
    if (cancelled(c))
        return 1;
    uint64_t now = util_monotonic_ns();
    if (c->sent_at == 0 && !c->has_body) {
        curl_off_t connected = 0;
        curl->easy_getinfo(c->easy, CURLINFO_PRETRANSFER_TIME_T, &connected);
        if (connected > 0)
            c->sent_at = now;
    }
    pthread_mutex_lock(&c->mu);
    bool head = c->head_done;
    pthread_mutex_unlock(&c->mu);
    if (!head && c->sent_at != 0 && now - c->sent_at > c->first_byte_ns) {
        c->timed_out = WASI2_HTTP_CONNECTION_READ_TIMEOUT;
        return 1;
    }
    /* a server that stops taking the body (the guest's own pauses block
     * curl in on_upload, where this is not called) */
    if (!head && c->sent_at == 0 && c->last_upload_at != 0 &&
        now - c->last_upload_at > c->between_bytes_ns) {
        c->timed_out = CONNECTION_WRITE_TIMEOUT;
        return 1;
    }
    if (head && now - c->last_byte_at > c->between_bytes_ns) {
        c->timed_out = WASI2_HTTP_CONNECTION_READ_TIMEOUT;
        return 1;
    }
    return 0;
}

/* ---- the outcome ----------------------------------------------------------------- */

static uint32_t error_case(wasi2_http_client_request *c, CURLcode rc)
{
    long os_errno = 0;
    switch (rc) {
    case CURLE_ABORTED_BY_CALLBACK:
        return c->timed_out ? (uint32_t)c->timed_out : WASI2_HTTP_INTERNAL_ERROR;
    case CURLE_COULDNT_RESOLVE_HOST:
        return WASI2_HTTP_DNS_ERROR;
    case CURLE_COULDNT_CONNECT:
        curl->easy_getinfo(c->easy, CURLINFO_OS_ERRNO, &os_errno);
        return os_errno == ENETUNREACH || os_errno == EHOSTUNREACH
                   ? WASI2_HTTP_DESTINATION_UNAVAILABLE
                   : WASI2_HTTP_CONNECTION_REFUSED;
    case CURLE_OPERATION_TIMEDOUT: {
        curl_off_t connected = 0;
        curl->easy_getinfo(c->easy, CURLINFO_CONNECT_TIME_T, &connected);
        return connected > 0 ? WASI2_HTTP_CONNECTION_READ_TIMEOUT
                             : WASI2_HTTP_CONNECTION_TIMEOUT;
    }
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_SHUTDOWN_FAILED:
        return WASI2_HTTP_TLS_PROTOCOL_ERROR;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
        return WASI2_HTTP_TLS_CERTIFICATE_ERROR;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return WASI2_HTTP_REQUEST_URI_INVALID;
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
        return c->head_done ? WASI2_HTTP_RESPONSE_INCOMPLETE : WASI2_HTTP_CONNECTION_TERMINATED;
    case CURLE_PARTIAL_FILE:
        return WASI2_HTTP_RESPONSE_INCOMPLETE;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
        return WASI2_HTTP_PROTOCOL_ERROR;
    default:
        return WASI2_HTTP_INTERNAL_ERROR;
    }
}

static void set_options(wasi2_http_client_request *c, CURL *h)
{
    curl->easy_setopt(h, CURLOPT_SHARE, curl_share);
    curl->easy_setopt(h, CURLOPT_URL, c->url);
    curl->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl->easy_setopt(h, CURLOPT_PROXY, ""); /* no proxy from the environment */
    curl->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl->easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    if (ca_bundle != NULL) {
        struct curl_blob blob = {ca_bundle, ca_bundle_len, CURL_BLOB_NOCOPY};
        curl->easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    }
    curl->easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
    curl->easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
    curl->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->connect_ns / 1000000 + 1));
    curl->easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl->easy_setopt(h, CURLOPT_HEADERDATA, c);
    curl->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl->easy_setopt(h, CURLOPT_WRITEDATA, c);
    curl->easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl->easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl->easy_setopt(h, CURLOPT_XFERINFODATA, c);
    /* bodies as the server sent them: a guest reads content-encoding itself */
    curl->easy_setopt(h, CURLOPT_HTTP_CONTENT_DECODING, 0L);
    if (c->has_body) {
        curl->easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl->easy_setopt(h, CURLOPT_READFUNCTION, on_upload);
        curl->easy_setopt(h, CURLOPT_READDATA, c);
        if (c->content_length >= 0)
            curl->easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)c->content_length);
    } else if (strcmp(c->method, "HEAD") == 0) {
        curl->easy_setopt(h, CURLOPT_NOBODY, 1L);
    }
}

void wasi2_http_set_trace_hooks(const wasi2_http_trace_hooks *hooks)
{
    trace_hooks = hooks;
}

static void trace_end(wasi2_http_client_request *c, CURLcode rc)
{
    long status = 0;
    if (rc == CURLE_OK && c->easy)
        curl->easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    trace_hooks->end(c->trace, (unsigned)status,
                     rc == CURLE_OK ? NULL : curl->easy_strerror(rc));
    c->trace = NULL;
}

static void *worker(void *arg)
{
    wasi2_http_client_request *c = arg;
    c->easy = curl->easy_init();
    CURLcode rc = CURLE_OUT_OF_MEMORY;
    if (c->easy != NULL) {
        set_options(c, c->easy);
        rc = curl->easy_perform(c->easy);
    }
    if (c->trace)
        trace_end(c, rc);
    pthread_mutex_lock(&c->mu);
    if (rc != CURLE_OK) {
        c->failed = true;
        c->error.code = c->easy ? error_case(c, rc) : WASI2_HTTP_INTERNAL_ERROR;
        if (c->error.code == WASI2_HTTP_INTERNAL_ERROR)
            c->error.text = util_xstrdup(curl->easy_strerror(rc));
    }
    c->done = true;
    bool signal = !c->head_done;
    c->head_done = true;
    pthread_mutex_unlock(&c->mu);
    /* the end of the body (or the failure) for the guest's reads, and the
     * end of the request body's reader: a guest waiting to write wakes */
    shutdown(c->down_wr, SHUT_WR);
    if (c->up_rd >= 0)
        shutdown(c->up_rd, SHUT_RDWR);
    if (signal)
        signal_head(c);
    if (c->easy)
        curl->easy_cleanup(c->easy);
    c->easy = NULL;
    pthread_mutex_lock(&c->mu);
    c->worker_running = false;
    bool last = c->guest_refs == 0;
    pthread_mutex_unlock(&c->mu);
    if (last)
        request_free(c);
    return NULL;
}

/* ---- starting -------------------------------------------------------------------- */

/* The trace context to send (traceparent empty: none). */
typedef struct trace_headers {
    char traceparent[WASI2_TRACEPARENT_SIZE];
    const char *tracestate;
} trace_headers;

static struct curl_slist *header_list(const wasi2_http_client_spec *spec,
                                      const trace_headers *th)
{
    struct curl_slist *l = NULL;
    bool accept = false;
    bool traced = th->traceparent[0] != '\0';
    for (size_t i = 0; spec->headers && i < spec->headers->len; i++) {
        const wasi2_http_entry *e = &spec->headers->items[i];
        if (strcmp(e->name, "content-length") == 0 && spec->has_body)
            continue; /* curl writes it from INFILESIZE */
        if (traced && (strcmp(e->name, "traceparent") == 0 || strcmp(e->name, "tracestate") == 0))
            continue; /* the host's trace context replaces the guest's */
        accept |= strcmp(e->name, "accept") == 0;
        /* "name;" is curl's way of sending an empty value */
        cleanup_free char *line =
            e->value_len ? util_xasprintf("%s: %.*s", e->name, (int)e->value_len,
                                          (const char *)e->value)
                         : util_xasprintf("%s;", e->name);
        l = curl->slist_append(l, line);
    }
    /* what curl would add on its own and a guest did not ask for */
    if (traced) {
        cleanup_free char *tp = util_xasprintf("traceparent: %s", th->traceparent);
        l = curl->slist_append(l, tp);
        if (th->tracestate && *th->tracestate) {
            cleanup_free char *ts = util_xasprintf("tracestate: %s", th->tracestate);
            l = curl->slist_append(l, ts);
        }
    }
    l = curl->slist_append(l, "Expect:");
    if (!accept)
        l = curl->slist_append(l, "Accept:");
    return l;
}

static uint64_t or_default(uint64_t ns)
{
    return ns ? ns : DEFAULT_TIMEOUT_NS;
}

static int open_descriptors(wasi2_http_client_request *c, bool body)
{
    int up[2] = {-1, -1}, down[2] = {-1, -1};
    c->head_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (c->head_fd < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, down) < 0 ||
        (body && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, up) < 0))
        return -1;
    c->down_rd = down[0];
    c->down_wr = down[1];
    c->up_rd = up[0];
    c->up_wr = up[1];
    if (c->up_wr >= 0)
        fcntl(c->up_wr, F_SETFL, O_NONBLOCK);
    return 0;
}

wasi2_http_client_request *wasi2_http_client_start(const wasi2_http_client_spec *spec,
                                                   wasi2_http_error *error)
{
    util_error *err = NULL;
    if (!wasi2_http_client_available(&err)) {
        *error = (wasi2_http_error){.code = WASI2_HTTP_INTERNAL_ERROR,
                                    .text = util_xstrdup(err->msg)};
        util_error_free(&err);
        return NULL;
    }
    wasi2_http_client_request *c = util_xcalloc(1, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    c->up_rd = c->up_wr = c->head_fd = c->down_rd = c->down_wr = -1;
    c->guest_refs = 1;
    c->method = util_xstrdup(spec->method);
    c->url = util_xstrdup(spec->url);
    trace_headers th = {.tracestate = NULL};
    if (trace_hooks)
        c->trace = trace_hooks->start(c->method, c->url, th.traceparent, &th.tracestate);
    c->headers = header_list(spec, &th);
    c->has_body = spec->has_body;
    c->content_length = spec->content_length;
    c->connect_ns = or_default(spec->options.connect_timeout_ns);
    c->first_byte_ns = or_default(spec->options.first_byte_timeout_ns);
    c->between_bytes_ns = or_default(spec->options.between_bytes_timeout_ns);
    if (open_descriptors(c, spec->has_body) < 0) {
        *error = (wasi2_http_error){.code = WASI2_HTTP_INTERNAL_ERROR,
                                    .text = util_xasprintf("outgoing request: %s",
                                                           strerror(errno))};
        request_free(c);
        return NULL;
    }
    c->worker_running = true;
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, worker, c);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        *error = (wasi2_http_error){.code = WASI2_HTTP_INTERNAL_ERROR,
                                    .text = util_xasprintf("outgoing request: no thread: %s",
                                                           strerror(rc))};
        c->worker_running = false;
        request_free(c);
        return NULL;
    }
    return c;
}

/* ---- the request body (guest thread) --------------------------------------------- */

/* What check-write grants once POLLOUT says there is room: a unix stream
 * socket is writable while at most a quarter of its send buffer is in
 * use, so this much goes at once (a short send is retried below). */
#define UPLOAD_PERMIT 4096

static bool transfer_done(wasi2_http_client_request *c)
{
    pthread_mutex_lock(&c->mu);
    bool done = c->done;
    pthread_mutex_unlock(&c->mu);
    return done;
}

static ssize_t upload_check_write(void *self)
{
    wasi2_http_client_request *c = self;
    if (c->up_wr < 0 || transfer_done(c))
        return WASI2_STREAM_CLOSED;
    short revents;
    int rc = wasi2_poll_now(c->up_wr, POLLOUT, &revents);
    if (rc < 0)
        return -1;
    return rc > 0 ? UPLOAD_PERMIT : 0;
}

static ssize_t upload_write(void *self, const void *buf, size_t len)
{
    wasi2_http_client_request *c = self;
    static const uint8_t zeroes[UPLOAD_PERMIT];
    while (len > 0) {
        size_t chunk = len < UPLOAD_PERMIT ? len : UPLOAD_PERMIT;
        ssize_t n = send(c->up_wr, buf ? buf : zeroes, chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EPIPE)
            return WASI2_STREAM_CLOSED; /* the transfer ended */
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* within the permit this does not happen; the worker reads on */
            struct pollfd p = {.fd = c->up_wr, .events = POLLOUT};
            (void)poll(&p, 1, 100);
            if (transfer_done(c))
                return WASI2_STREAM_CLOSED;
            continue;
        }
        if (n < 0)
            return -1;
        if (buf)
            buf = (const uint8_t *)buf + n;
        len -= (size_t)n;
    }
    return 0;
}

static bool upload_ready(void *self, int *fd, short *events)
{
    wasi2_http_client_request *c = self;
    if (c->up_wr < 0 || transfer_done(c))
        return true;
    *fd = c->up_wr;
    *events = POLLOUT;
    return false;
}

static void upload_close(void *self)
{
    wasi2_http_client_release(self);
}

static const wasi2_stream_ops upload_ops = {
    .name = "outgoing request body",
    .check_write = upload_check_write,
    .write = upload_write,
    .ready = upload_ready,
    .close = upload_close,
};

/* The guest finished or abandoned the body (trailers are not sent: curl
 * cannot add them to a request it streams). */
static void upload_end(void *self, bool finished, const wasi2_http_fields *trailers)
{
    (void)trailers;
    wasi2_http_client_request *c = self;
    pthread_mutex_lock(&c->mu);
    c->up_ended = true;
    c->up_finished = finished;
    int fd = c->up_wr;
    c->up_wr = -1;
    pthread_mutex_unlock(&c->mu);
    if (fd >= 0)
        close(fd); /* EOF for the worker: the end, or an abort */
}

void wasi2_http_client_attach_body(wasi2_http_client_request *c, wasi2_stream *body_pipe,
                                   uint64_t until)
{
    wasi2_http_client_ref(c); /* the stream's */
    wasi2_http_outgoing_body_attach(body_pipe, &upload_ops, c,
                                    (wasi2_http_body_sink){upload_end, c}, until);
}

/* ---- the response (guest thread) ------------------------------------------------- */

static bool head_ready_op(void *self, int *fd, short *events)
{
    wasi2_http_client_request *c = self;
    pthread_mutex_lock(&c->mu);
    bool ready = c->head_done;
    pthread_mutex_unlock(&c->mu);
    if (!ready) {
        *fd = c->head_fd;
        *events = POLLIN;
    }
    return ready;
}

static ssize_t no_read(void *self, void *buf, size_t len)
{
    (void)self, (void)buf, (void)len;
    return 0;
}

static const wasi2_stream_ops head_ops = {
    .name = "future-incoming-response",
    .read = no_read,
    .ready = head_ready_op,
    .close = upload_close,
};

wasi2_stream *wasi2_http_client_head_stream(wasi2_http_client_request *c)
{
    wasi2_http_client_ref(c);
    return wasi2_stream_new(&head_ops, c);
}

bool wasi2_http_client_head(wasi2_http_client_request *c, uint16_t *status,
                            wasi2_http_fields **headers, bool *failed, wasi2_http_error *error)
{
    pthread_mutex_lock(&c->mu);
    bool ready = c->head_done;
    *failed = false;
    if (ready && c->status != 0) {
        *status = c->status;
        *headers = c->resp_headers ? wasi2_http_fields_clone(c->resp_headers, false)
                                   : wasi2_http_fields_new();
    } else if (ready) {
        *failed = true;
        *error = (wasi2_http_error){.code = c->error.code,
                                    .text = c->error.text ? util_xstrdup(c->error.text) : NULL};
    }
    pthread_mutex_unlock(&c->mu);
    return ready;
}

static ssize_t download_read(void *self, void *buf, size_t len)
{
    wasi2_http_client_request *c = self;
    for (;;) {
        ssize_t n = recv(c->down_rd, buf, len, MSG_DONTWAIT);
        if (n > 0)
            return n;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n < 0)
            return -1;
        /* the worker's end: the whole body, or a transfer that broke off */
        pthread_mutex_lock(&c->mu);
        bool failed = c->failed;
        pthread_mutex_unlock(&c->mu);
        if (!failed)
            return WASI2_STREAM_CLOSED;
        errno = EIO;
        return -1;
    }
}

static bool download_ready(void *self, int *fd, short *events)
{
    wasi2_http_client_request *c = self;
    *fd = c->down_rd;
    *events = POLLIN;
    return false;
}

static void download_close(void *self)
{
    wasi2_http_client_request *c = self;
    /* the guest is gone: a worker blocked sending gets EPIPE and aborts */
    shutdown(c->down_rd, SHUT_RDWR);
    wasi2_http_client_release(c);
}

static const wasi2_stream_ops download_ops = {
    .name = "incoming response body",
    .read = download_read,
    .ready = download_ready,
    .close = download_close,
};

void wasi2_http_client_body_source(wasi2_http_client_request *c, const wasi2_stream_ops **ops,
                                   void **self)
{
    *ops = NULL;
    *self = NULL;
    pthread_mutex_lock(&c->mu);
    bool given = c->body_given;
    c->body_given = true;
    pthread_mutex_unlock(&c->mu);
    if (given)
        return;
    wasi2_http_client_ref(c);
    *ops = &download_ops;
    *self = c;
}
