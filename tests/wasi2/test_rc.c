/*
 * test_rc.c - the pre-release WASI names (0.2.0-rc-2023-10-18 and
 * 0.2.0-rc-2023-11-10) that wasi2_define registers beside 0.2: their own
 * shapes where they differ from 0.2 (called through component_linker_call,
 * which checks each value against the registered signature), the resource
 * types shared with 0.2 (a stream from one version used by another), a WAT
 * component written against rc-2023-10-18 run end to end, and a real
 * Spin 2.0-era component whose WASI imports must all resolve.
 */
#include "instance_internal.h" /* component_visit_imports */
#include "host.h"
#include "rtype.h"
#include "wasi2_test_util.h"
#include "wasm.h"

#include "net_internal.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#define RC1 "0.2.0-rc-2023-10-18"
#define RC2 "0.2.0-rc-2023-11-10"

typedef struct fixture {
    int in[2], out[2];
    char dir[64];
    wasi2_ctx *ctx;
    component_linker *l;
    component_call *call;
} fixture;

static void fixture_init(fixture *f)
{
    memset(f, 0, sizeof(*f));
    if (pipe2(f->in, O_CLOEXEC) || pipe2(f->out, O_CLOEXEC))
        abort();
    fcntl(f->out[0], F_SETFL, O_NONBLOCK);
    snprintf(f->dir, sizeof(f->dir), "/tmp/wasi2-rc-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        abort();
    wasi2_preopen pre = {.host_path = f->dir, .guest_path = "/"};
    wasi2_config c;
    wasi2_config_init(&c);
    c.stdin_fd = f->in[0];
    c.stdout_fd = f->out[1];
    c.stderr_fd = -1;
    c.preopens = &pre;
    c.npreopens = 1;
    util_error *err = NULL;
    f->ctx = wasi2_ctx_new(&c, &err);
    f->l = component_linker_new();
    if (f->ctx == NULL || wasi2_define(f->l, NULL, &err) < 0) {
        fprintf(stderr, "setup: %s\n", err ? err->msg : "?");
        abort();
    }
    f->call = component_call_new(f->ctx);
}

static void fixture_fini(fixture *f)
{
    component_call_free(f->call);
    component_linker_free(f->l);
    wasi2_ctx_free(f->ctx);
    for (int i = 0; i < 2; i++) {
        close(f->in[i]);
        close(f->out[i]);
    }
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup of %s failed\n", f->dir);
}

/* Calls and expects failure (no such function, or a trap); the error. */
static bool call_fails(fixture *f, const char *iface, const char *name, const component_val *args,
                       size_t nargs, const char *expect)
{
    util_error *err = NULL;
    component_val r;
    int rc = component_linker_call(f->l, iface, name, f->call, args, nargs, &r, &err);
    bool ok = rc < 0 && err && strstr(err->msg, expect) != NULL;
    if (!ok)
        fprintf(stderr, "  %s %s: expected an error with \"%s\", got %s\n", iface, name, expect,
                err ? err->msg : "success");
    util_error_free(&err);
    component_call_reset(f->call);
    return ok;
}

static size_t drain(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    ssize_t n;
    while (got < cap && (n = read(fd, buf + got, cap - got)) > 0)
        got += (size_t)n;
    return got;
}

/* An input stream over a fixed text that records its release: the host
 * must release a source it was given as an own handle. */
typedef struct text_src {
    const char *text;
    size_t pos, len;
    bool closed;
} text_src;

static ssize_t text_read(void *self, void *buf, size_t len)
{
    text_src *t = self;
    if (t->pos == t->len)
        return WASI2_STREAM_CLOSED;
    size_t n = len < t->len - t->pos ? len : t->len - t->pos;
    memcpy(buf, t->text + t->pos, n);
    t->pos += n;
    return (ssize_t)n;
}

static void text_close(void *self)
{
    ((text_src *)self)->closed = true;
}

static const wasi2_stream_ops text_ops = {.name = "text", .read = text_read, .close = text_close};

/* A resource type of the registration, as guests' handles carry it. */
static component_resource_type *res_type(fixture *f, const char *iface, const char *name)
{
    const component_host_interface *hi = component_linker_find(f->l, iface);
    component_resource_type *t = hi ? component_host_interface_resource(hi, name) : NULL;
    CHECK(t != NULL);
    return t;
}

static component_val own_text(fixture *f, text_src *t, const char *text)
{
    *t = (text_src){.text = text, .len = strlen(text)};
    return wasi2_own(res_type(f, "wasi:io/streams@" RC1, "input-stream"),
                     wasi2_stream_new(&text_ops, t));
}

/* rc-2023-10-18's splice and forward take the source as an own handle
 * and consume it; the output stream comes from rc-2023-11-10's stdout
 * (one stream type whatever the version). */
static void test_splice_and_forward_1018(void)
{
    fixture f;
    fixture_init(&f);
    component_val out = {0};
    if (host_call(f.l, f.call, "wasi:cli/stdout@" RC2, "get-stdout", NULL, 0, &out) < 0) {
        fixture_fini(&f);
        return;
    }
    text_src a, b;
    component_val args[3] = {V_BORROW(out), own_text(&f, &a, "spliced|"), V_U64(100)}, r;
    CHECK_INT(host_call(f.l, f.call, "wasi:io/streams@" RC1, "[method]output-stream.blocking-splice",
                        args, 3, &r),
              0);
    CHECK(ok_of(&r) && ok_of(&r)->of.u == 8);
    CHECK(a.closed); /* consumed: released by the host */
    args[1] = own_text(&f, &b, "forwarded to the end");
    CHECK_INT(host_call(f.l, f.call, "wasi:io/streams@" RC1, "[method]output-stream.forward",
                        args, 2, &r),
              0);
    CHECK(ok_of(&r) && ok_of(&r)->of.u == 20);
    CHECK(b.closed);
    char got[64];
    size_t n = drain(f.out[0], got, sizeof(got));
    CHECK(n == 28 && memcmp(got, "spliced|forwarded to the end", 28) == 0);
    /* the same stream through rc-2023-10-18's write, 0.2.0's flush */
    args[1] = V_BYTES("!", 1);
    CHECK_INT(host_call(f.l, f.call, "wasi:io/streams@" RC1,
                        "[method]output-stream.blocking-write-and-flush", args, 2, &r),
              0);
    CHECK(ok_of(&r) != NULL || r.of.variant.disc == 0);
    CHECK_INT(host_call(f.l, f.call, "wasi:io/streams@0.2.0", "[method]output-stream.blocking-flush",
                        args, 1, &r),
              0);
    CHECK_INT(drain(f.out[0], got, sizeof(got)), 1);
    /* 0.2's splice only borrows its source: it stays the caller's */
    text_src c;
    component_val src = own_text(&f, &c, "xy");
    args[1] = V_BORROW(src);
    args[2] = V_U64(1);
    CHECK_INT(host_call(f.l, f.call, "wasi:io/streams@0.2.0", "[method]output-stream.splice",
                        args, 3, &r),
              0);
    CHECK(ok_of(&r) && ok_of(&r)->of.u == 1);
    CHECK(!c.closed);
    wasi2_stream_release((wasi2_stream *)src.of.resource.rep);
    CHECK(c.closed);
    wasi2_stream_release((wasi2_stream *)out.of.resource.rep);
    fixture_fini(&f);
}

/* rc-2023-10-18: poll-list / poll-one and subscribe(when, absolute);
 * rc-2023-11-10: 0.2's poll, pollable.ready and subscribe-duration. */
static void test_poll_and_clocks(void)
{
    fixture f;
    fixture_init(&f);
    const char *mono1 = "wasi:clocks/monotonic-clock@" RC1;
    component_val now, far, past, r;
    component_val a[2] = {V_U64(3600ull * 1000000000ull), V_BOOL(false)};
    if (host_call(f.l, f.call, mono1, "now", NULL, 0, &now) < 0 ||
        host_call(f.l, f.call, mono1, "subscribe", a, 2, &far) < 0) { /* in an hour */
        fixture_fini(&f);
        return;
    }
    a[0] = V_U64(now.of.u);
    a[1] = V_BOOL(true);
    CHECK_INT(host_call(f.l, f.call, mono1, "subscribe", a, 2, &past), 0); /* absolute: passed */
    component_val list[2] = {V_BORROW(far), V_BORROW(past)};
    component_val pl = {.kind = COMPONENT_VAL_LIST, .of.list = {.items = list, .n = 2}};
    CHECK_INT(host_call(f.l, f.call, "wasi:io/poll@" RC1, "poll-list", &pl, 1, &r), 0);
    CHECK(r.of.list.n == 1 && ((const uint32_t *)r.of.list.raw)[0] == 1);
    component_val one = V_BORROW(past);
    CHECK_INT(host_call(f.l, f.call, "wasi:io/poll@" RC1, "poll-one", &one, 1, NULL), 0);
    /* the same pollables through rc-2023-11-10's methods */
    one = V_BORROW(far);
    CHECK_INT(host_call(f.l, f.call, "wasi:io/poll@" RC2, "[method]pollable.ready", &one, 1, &r),
              0);
    CHECK(!r.of.b);
    CHECK_INT(host_call(f.l, f.call, "wasi:io/poll@" RC2, "poll", &pl, 1, &r), 0);
    CHECK(r.of.list.n == 1 && ((const uint32_t *)r.of.list.raw)[0] == 1);
    wasi2_pollable_free((wasi2_pollable *)far.of.resource.rep);
    wasi2_pollable_free((wasi2_pollable *)past.of.resource.rep);
    component_val d = V_U64(0), p;
    CHECK_INT(host_call(f.l, f.call, "wasi:clocks/monotonic-clock@" RC2, "subscribe-duration", &d,
                        1, &p),
              0);
    one = V_BORROW(p);
    CHECK_INT(host_call(f.l, f.call, "wasi:io/poll@" RC2, "[method]pollable.block", &one, 1, NULL),
              0);
    wasi2_pollable_free((wasi2_pollable *)p.of.resource.rep);
    CHECK_INT(host_call(f.l, f.call, "wasi:clocks/wall-clock@" RC1, "now", NULL, 0, &r), 0);
    CHECK(r.kind == COMPONENT_VAL_RECORD && r.of.record.fields[0].of.u > 1700000000u);
    component_val len = V_U64(16);
    CHECK_INT(host_call(f.l, f.call, "wasi:random/random@" RC1, "get-random-bytes", &len, 1, &r),
              0);
    CHECK_INT(r.of.list.n, 16);
    CHECK_INT(host_call(f.l, f.call, "wasi:random/insecure-seed@" RC2, "insecure-seed", NULL, 0,
                        &r),
              0);
    fixture_fini(&f);
}

/* Each version has its own names: what a snapshot did not have is not
 * there, and pre-releases are not served by the 0.2 registration. */
static void test_versions_exact(void)
{
    fixture f;
    fixture_init(&f);
    component_val u = V_U64(1), b[2] = {V_U64(1), V_BOOL(true)};
    CHECK(call_fails(&f, "wasi:io/poll@" RC1, "poll", &u, 1, "no such function"));
    CHECK(call_fails(&f, "wasi:io/poll@" RC2, "poll-list", &u, 1, "no such function"));
    CHECK(call_fails(&f, "wasi:clocks/monotonic-clock@" RC1, "subscribe-duration", &u, 1,
                     "no such function"));
    CHECK(call_fails(&f, "wasi:clocks/monotonic-clock@" RC2, "subscribe", b, 2,
                     "no such function"));
    CHECK(call_fails(&f, "wasi:io/error@" RC1, "[method]error.to-debug-string", &u, 1,
                     "no such interface"));
    CHECK(call_fails(&f, "wasi:io/streams@" RC2, "[method]output-stream.forward", b, 2,
                     "no such function"));
    CHECK(call_fails(&f, "wasi:cli/exit@" RC1, "exit-with-code", &u, 1, "no such function"));
    CHECK(call_fails(&f, "wasi:cli/exit@" RC2, "exit-with-code", &u, 1, "no such function"));
    CHECK(call_fails(&f, "wasi:cli/stdout@0.2.0-rc-2023-11-05", "get-stdout", NULL, 0,
                     "no such interface"));
    /* exit(err) ends the guest with 1 */
    component_val st = V_ENUM(1);
    CHECK(call_fails(&f, "wasi:cli/exit@" RC1, "exit", &st, 1, ""));
    CHECK_INT(component_call_exit_code(f.call), -1); /* reset by call_fails */
    util_error *err = NULL;
    CHECK_INT(component_linker_call(f.l, "wasi:cli/exit@" RC2, "exit", f.call, &st, 1, NULL, &err),
              -1);
    util_error_free(&err);
    CHECK_INT(component_call_exit_code(f.call), 1);
    fixture_fini(&f);
}

/* The error resource: rc-2023-10-18 has it inside streams, rc-2023-11-10
 * in io/error; one type for both, and filesystem-error-code reads it. */
static void test_error_resource_shared(void)
{
    fixture f;
    fixture_init(&f);
    if (component_linker_find(f.l, "wasi:io/error@" RC2) == NULL) {
        CHECK(!"wasi:io/error@" RC2 " is registered");
        fixture_fini(&f);
        return;
    }
    wasi2_error *e = wasi2_error_new(ENOENT, "file read");
    component_val own = wasi2_own(res_type(&f, "wasi:io/error@0.2.0", "error"), e);
    component_val a = V_BORROW(own), r;
    CHECK_INT(host_call(f.l, f.call, "wasi:io/streams@" RC1, "[method]error.to-debug-string", &a,
                        1, &r),
              0);
    CHECK(r.kind == COMPONENT_VAL_STRING && r.of.str.len > 0);
    CHECK_INT(host_call(f.l, f.call, "wasi:io/error@" RC2, "[method]error.to-debug-string", &a, 1,
                        &r),
              0);
    CHECK_INT(host_call(f.l, f.call, "wasi:filesystem/types@" RC1, "filesystem-error-code", &a, 1,
                        &r),
              0);
    CHECK(r.of.variant.disc == 1 && r.of.variant.payload->of.variant.disc == FSE_NO_ENTRY);
    wasi2_error_free(e);
    fixture_fini(&f);
}

/* The preopen, from get-directories of a version. */
static component_val preopen_of(fixture *f, const char *version)
{
    char iface[64];
    snprintf(iface, sizeof(iface), "wasi:filesystem/preopens@%s", version);
    component_val r = {0};
    if (host_call(f->l, f->call, iface, "get-directories", NULL, 0, &r) < 0)
        return (component_val){0};
    CHECK_INT(r.of.list.n, 1);
    return r.of.list.n == 1 ? r.of.list.items[0].of.record.fields[0] : r;
}

/* rc-2023-10-18's open-at takes `modes`; the methods dropped before 0.2.0
 * answer unsupported; rc-2023-11-10's open-at has 0.2's shape. */
static void test_filesystem_rc(void)
{
    fixture f;
    fixture_init(&f);
    component_val dir = preopen_of(&f, RC1);
    if (dir.kind != COMPONENT_VAL_OWN) {
        fixture_fini(&f);
        return;
    }
    component_val a[6] = {V_BORROW(dir), V_FLAGS(0), V_STR("made-by-rc1"),
                          V_FLAGS(OF_CREATE), V_FLAGS(DF_READ | DF_WRITE), V_FLAGS(3)};
    component_val r;
    const char *types1 = "wasi:filesystem/types@" RC1, *types2 = "wasi:filesystem/types@" RC2;
    CHECK_INT(host_call(f.l, f.call, types1, "[method]descriptor.open-at", a, 6, &r), 0);
    CHECK(ok_of(&r) != NULL);
    if (ok_of(&r))
        wasi2_descriptor_drop(ok_of(&r)->of.resource.rep);
    char path[96];
    snprintf(path, sizeof(path), "%s/made-by-rc1", f.dir);
    struct stat st;
    CHECK_INT(stat(path, &st), 0);
    CHECK(call_fails(&f, types1, "[method]descriptor.open-at", a, 5, "argument"));
    component_val lock = V_BORROW(dir);
    CHECK_INT(host_call(f.l, f.call, types1, "[method]descriptor.lock-shared", &lock, 1, &r), 0);
    CHECK_INT(err_of(&r), FSE_UNSUPPORTED);
    component_val acc[4] = {V_BORROW(dir), V_FLAGS(0), V_STR("made-by-rc1"),
                            {.kind = COMPONENT_VAL_VARIANT, .of.variant = {1, NULL}}};
    CHECK_INT(host_call(f.l, f.call, types1, "[method]descriptor.access-at", acc, 4, &r), 0);
    CHECK_INT(err_of(&r), FSE_UNSUPPORTED);
    CHECK(call_fails(&f, types2, "[method]descriptor.lock-shared", &lock, 1, "no such function"));
    wasi2_descriptor_drop(dir.of.resource.rep);

    /* rc-2023-11-10: 0.2's open-at; a descriptor from one version is the
     * other's too */
    dir = preopen_of(&f, RC2);
    a[0] = V_BORROW(dir);
    a[2] = V_STR("made-by-rc1");
    a[3] = V_FLAGS(0);
    a[4] = V_FLAGS(DF_READ);
    CHECK_INT(host_call(f.l, f.call, types2, "[method]descriptor.open-at", a, 5, &r), 0);
    CHECK(ok_of(&r) != NULL);
    if (ok_of(&r)) {
        component_val s = V_BORROW(*ok_of(&r));
        CHECK_INT(host_call(f.l, f.call, types1, "[method]descriptor.get-type", &s, 1, &r), 0);
        CHECK(ok_of(&r) && ok_of(&r)->of.variant.disc == DT2_REGULAR);
        wasi2_descriptor_drop(s.of.resource.rep);
    }
    wasi2_descriptor_drop(dir.of.resource.rep);
    fixture_fini(&f);
}

/* wasi:sockets at both pre-release names: present, and denying without
 * networking or a policy. */
static void test_sockets_rc_denied(void)
{
    fixture f;
    fixture_init(&f);
    component_val fam = V_ENUM(0), r = {0}, net;
    CHECK_INT(host_call(f.l, f.call, "wasi:sockets/tcp-create-socket@" RC1, "create-tcp-socket",
                        &fam, 1, &r),
              0);
    CHECK_INT(err_of(&r), NE_ACCESS_DENIED);
    CHECK_INT(host_call(f.l, f.call, "wasi:sockets/udp-create-socket@" RC2, "create-udp-socket",
                        &fam, 1, &r),
              0);
    CHECK_INT(err_of(&r), NE_ACCESS_DENIED);
    if (host_call(f.l, f.call, "wasi:sockets/instance-network@" RC1, "instance-network", NULL, 0,
                  &net) < 0) {
        fixture_fini(&f);
        return;
    }
    CHECK(net.kind == COMPONENT_VAL_OWN);
    component_val none = {.kind = COMPONENT_VAL_VARIANT, .of.variant = {0, NULL}};
    component_val l1[4] = {V_BORROW(net), V_STR("localhost"), none, V_BOOL(false)};
    CHECK_INT(host_call(f.l, f.call, "wasi:sockets/ip-name-lookup@" RC1, "resolve-addresses", l1,
                        4, &r),
              0);
    CHECK_INT(err_of(&r), NE_ACCESS_DENIED);
    component_val net2;
    CHECK_INT(host_call(f.l, f.call, "wasi:sockets/instance-network@" RC2, "instance-network",
                        NULL, 0, &net2),
              0);
    component_val l2[2] = {V_BORROW(net2), V_STR("localhost")};
    CHECK_INT(host_call(f.l, f.call, "wasi:sockets/ip-name-lookup@" RC2, "resolve-addresses", l2,
                        2, &r),
              0);
    CHECK_INT(err_of(&r), NE_ACCESS_DENIED);
    fixture_fini(&f);
}

/* The embedder's policy for the rc-2023-10-18 TCP test: tcp to
 * 127.0.0.1:tcp_port only. */
static uint16_t tcp_port;

static bool tcp_policy(void *self, const char *scheme, const char *host, uint16_t port)
{
    (void)self;
    return strcmp(scheme, "tcp") == 0 && host && strcmp(host, "127.0.0.1") == 0 &&
           port == tcp_port;
}

static component_val loopback(uint16_t port, component_val *f)
{
    for (int i = 0; i < 4; i++)
        f[2 + i] = V_U8(i == 0 ? 127 : i == 3 ? 1 : 0);
    f[6] = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {&f[2], 4}};
    f[0] = V_U16(port);
    f[1] = f[6];
    f[7] = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {f, 2}};
    return (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {0, &f[7]}};
}

#define TCP1018 "wasi:sockets/tcp@" RC1
#define TM(m) "[method]tcp-socket." m

/* rc-2023-10-18 TCP is 0.2's: gated by the same policy (a connect where
 * it says no is access-denied), connected to a listener of the test, and
 * the methods whose names or existence changed before 0.2.0 answer. */
static void test_tcp_rc_1018(void)
{
    fixture f;
    fixture_init(&f);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t mlen = sizeof me;
    CHECK(bind(lfd, (struct sockaddr *)&me, sizeof me) == 0 && listen(lfd, 4) == 0);
    CHECK(getsockname(lfd, (struct sockaddr *)&me, &mlen) == 0);
    tcp_port = ntohs(me.sin_port);
    f.ctx->outbound_allowed = tcp_policy;
    component_val fam = V_ENUM(0), r = {0}, net;
    CHECK_INT(host_call(f.l, f.call, "wasi:sockets/tcp-create-socket@" RC1, "create-tcp-socket",
                        &fam, 1, &r),
              0);
    CHECK(ok_of(&r) != NULL);
    CHECK_INT(host_call(f.l, f.call, "wasi:sockets/instance-network@" RC1, "instance-network",
                        NULL, 0, &net),
              0);
    if (ok_of(&r) == NULL) {
        close(lfd);
        fixture_fini(&f);
        return;
    }
    component_val sock = *ok_of(&r), self = V_BORROW(sock);
    CHECK_INT(host_call(f.l, f.call, TCP1018, TM("set-no-delay"),
                        (component_val[]){self, V_BOOL(true)}, 2, &r),
              0);
    CHECK_INT(err_of(&r), -1);
    CHECK_INT(host_call(f.l, f.call, TCP1018, TM("no-delay"), &self, 1, &r), 0);
    CHECK(ok_of(&r) != NULL && ok_of(&r)->of.b);
    CHECK_INT(host_call(f.l, f.call, TCP1018, TM("set-keep-alive"),
                        (component_val[]){self, V_BOOL(true)}, 2, &r),
              0);
    CHECK_INT(host_call(f.l, f.call, TCP1018, TM("keep-alive"), &self, 1, &r), 0);
    CHECK(ok_of(&r) != NULL && ok_of(&r)->of.b);
    CHECK_INT(host_call(f.l, f.call, TCP1018, TM("set-unicast-hop-limit"),
                        (component_val[]){self, V_U8(9)}, 2, &r),
              0);
    CHECK_INT(host_call(f.l, f.call, TCP1018, TM("unicast-hop-limit"), &self, 1, &r), 0);
    CHECK(ok_of(&r) != NULL && ok_of(&r)->of.u == 9);
    CHECK_INT(host_call(f.l, f.call, TCP1018, TM("ipv6-only"), &self, 1, &r), 0);
    CHECK_INT(err_of(&r), NE_NOT_SUPPORTED); /* an ipv4 socket */

    component_val a1[8], a2[8];
    component_val denied[] = {self, V_BORROW(net), loopback(tcp_port + 1, a1)};
    CHECK_INT(host_call(f.l, f.call, TCP1018, TM("start-connect"), denied, 3, &r), 0);
    CHECK_INT(err_of(&r), NE_ACCESS_DENIED);
    component_val sc[] = {self, V_BORROW(net), loopback(tcp_port, a2)};
    CHECK_INT(host_call(f.l, f.call, TCP1018, TM("start-connect"), sc, 3, &r), 0);
    CHECK_INT(err_of(&r), -1);
    int peer = accept4(lfd, NULL, NULL, SOCK_CLOEXEC); /* blocks until it is up */
    CHECK(peer >= 0);
    CHECK_INT(host_call(f.l, f.call, TCP1018, TM("finish-connect"), &self, 1, &r), 0);
    CHECK(ok_of(&r) != NULL);
    if (ok_of(&r)) {
        const component_val *io = ok_of(&r)->of.record.fields;
        wasi2_stream_release((wasi2_stream *)io[0].of.resource.rep);
        wasi2_stream_release((wasi2_stream *)io[1].of.resource.rep);
    }
    CHECK_INT(host_call(f.l, f.call, TCP1018, TM("remote-address"), &self, 1, &r), 0);
    CHECK(ok_of(&r) != NULL);
    if (peer >= 0)
        close(peer);
    wasi2_tcp_drop(sock.of.resource.rep);
    close(lfd);
    fixture_fini(&f);
}

/* ---- components ---------------------------------------------------------- */

static uint8_t *read_bytes(const char *path, size_t *len)
{
    char *data = NULL;
    util_error *err = NULL;
    if (util_read_file(path, &data, len, &err) < 0) {
        fprintf(stderr, "  %s\n", err->msg);
        util_error_free(&err);
        return NULL;
    }
    return (uint8_t *)data;
}

/* A component written against rc-2023-10-18 (wat/rc_hello.wat), linked
 * against wasi2_define alone and run. */
static void test_wat_component_1018(void)
{
    fixture f;
    fixture_init(&f);
    size_t len;
    uint8_t *bytes = read_bytes(WASM_DIR "/wasi2_rc_hello.wasm", &len);
    util_error *err = NULL;
    component_pre *pre = bytes ? component_pre_new(bytes, len, f.l, &err) : NULL;
    free(bytes);
    if (pre == NULL)
        fprintf(stderr, "  pre: %s\n", err ? err->msg : "unreadable");
    util_error_free(&err);
    CHECK(pre != NULL);
    if (pre) {
        wasm_store *store = wasm_store_new(NULL);
        wasm_result res = {0};
        component_instance *inst = component_instantiate(pre, store, f.ctx, &res);
        CHECK(inst != NULL);
        const component_func *run = inst ? component_instance_func(inst, NULL, "run") : NULL;
        CHECK(run != NULL);
        if (run) {
            component_val r = {0};
            int rc = component_func_call(inst, run, NULL, 0, &r, &res);
            if (rc < 0)
                fprintf(stderr, "  run: %s\n", res.message);
            CHECK_INT(rc, 0);
            CHECK_INT(r.of.u, 0); /* the write's result: ok */
            CHECK(rc == 0 && component_func_post_return(inst, run, &res) == 0);
            char got[32];
            size_t n = drain(f.out[0], got, sizeof(got));
            CHECK(n == 9 && memcmp(got, "hello rc\n", 9) == 0);
        }
        component_instance_free(inst);
        wasm_store_free(store);
        component_pre_free(pre);
    }
    fixture_fini(&f);
}

/* The real rc component: every import that is not wasi:http or
 * fermyon:spin is looked up in wasi2_define's linker and its functions
 * compared, as text in the signature syntax, with the host's. */
typedef struct import_check {
    const component_linker *l;
    int checked, missing;
    char first[512];
} import_check;

static bool served_elsewhere(const char *iface)
{
    return iface == NULL || strncmp(iface, "wasi:http/", 10) == 0 ||
           strncmp(iface, "fermyon:", 8) == 0;
}

static void check_import(void *env, const char *iface, const char *name,
                         const component_rfunc *func, component_resource_type *res,
                         const component_rtype *vtype)
{
    import_check *c = env;
    (void)vtype;
    if (served_elsewhere(iface) || (!func && !res))
        return;
    const component_host_interface *hi = component_linker_find(c->l, iface);
    char why[512] = "";
    if (hi == NULL) {
        snprintf(why, sizeof(why), "%s: no such interface", iface);
    } else if (res) {
        if (!component_host_interface_resource(hi, name))
            snprintf(why, sizeof(why), "%s: no resource %s", iface, name);
    } else {
        const component_host_func *hf = component_host_interface_func(hi, name);
        char want[1024], have[1024];
        component_rfunc_format(func, want, sizeof(want));
        if (hf)
            component_rfunc_format(&hf->type, have, sizeof(have));
        if (!hf)
            snprintf(why, sizeof(why), "%s: no function %s", iface, name);
        else if (strcmp(want, have) != 0)
            snprintf(why, sizeof(why), "%s %s: wants %.200s, the host has %.200s", iface, name,
                     want, have);
    }
    c->checked++;
    if (why[0] && c->missing++ == 0)
        snprintf(c->first, sizeof(c->first), "%s", why);
}

static void test_real_rc_component_imports(void)
{
    fixture f;
    fixture_init(&f);
    size_t len;
    uint8_t *bytes = read_bytes(COMPONENTS_DIR "/real/gh-spin-hist-test-sqlite.http-rc20231018.wasm",
                                &len);
    CHECK(bytes != NULL);
    import_check c = {.l = f.l};
    util_error *err = NULL;
    if (bytes && component_visit_imports(bytes, len, check_import, &c, &err) < 0) {
        fprintf(stderr, "  visit: %s\n", err->msg);
        test_checks_failed++;
    }
    util_error_free(&err);
    CHECK(c.checked > 20);
    CHECK_INT(c.missing, 0);
    if (c.missing)
        fprintf(stderr, "  %d missing, first: %s\n", c.missing, c.first);
    /* and linking against wasi2_define alone stops at what it lacks */
    component_pre *pre = bytes ? component_pre_new(bytes, len, f.l, &err) : NULL;
    CHECK(pre == NULL && err != NULL);
    if (err) {
        CHECK(strstr(err->msg, "fermyon:spin") != NULL || strstr(err->msg, "wasi:http") != NULL);
        util_error_free(&err);
    }
    component_pre_free(pre);
    free(bytes);
    fixture_fini(&f);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    RUN(test_splice_and_forward_1018);
    RUN(test_poll_and_clocks);
    RUN(test_versions_exact);
    RUN(test_error_resource_shared);
    RUN(test_filesystem_rc);
    RUN(test_sockets_rc_denied);
    RUN(test_tcp_rc_1018);
    RUN(test_wat_component_1018);
    RUN(test_real_rc_component_imports);
    return TEST_SUMMARY();
}
