/*
 * test_wasi2_sockets.c - wasi:sockets through the linker.
 *
 * Networking off (the default): every call that would create a socket or
 * reach the network answers access-denied; with an outbound policy
 * (Spin's allowed_outbound_hosts), TCP clients may connect where it allows
 * for scheme "tcp", and UDP sockets bind, connect and send where it allows
 * "udp", and nowhere else.  Networking on: name lookup,
 * a TCP connection to a listener of the test (connect, streams both ways,
 * addresses, shutdown), a refused connection, a TCP listener the test
 * connects to, and UDP datagrams both ways, all on loopback with ports the
 * kernel picks.  Waits go through subscribe + pollable.block, so nothing
 * here depends on timing.
 */
#include "net_internal.h"
#include "wasi2_test_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#define NET(i) WASI2_NET(i)
#define TCP(m) "[method]tcp-socket." m
#define UDP(m) "[method]udp-socket." m

static component_linker *L;
static component_call *C;
static component_val r;

static int call(const char *iface, const char *name, const component_val *args, size_t n)
{
    component_call_reset(C);
    memset(&r, 0, sizeof r);
    return host_call(L, C, iface, name, args, n, &r);
}

static wasi2_ctx *new_ctx(bool allow)
{
    wasi2_config c;
    wasi2_config_init(&c);
    c.allow_network = allow;
    util_error *err = NULL;
    wasi2_ctx *ctx = wasi2_ctx_new(&c, &err);
    if (ctx == NULL) {
        fprintf(stderr, "ctx: %s\n", err ? err->msg : "?");
        exit(2);
    }
    return ctx;
}

static component_val network(void)
{
    CHECK_INT(call(NET("instance-network"), "instance-network", NULL, 0), 0);
    CHECK(r.kind == COMPONENT_VAL_OWN);
    return r;
}

/* Values built for arguments: not in the call's memory, which each call
 * empties first.  A ring, since each lives only until its call. */
static component_val *arg_vals(size_t n)
{
    static component_val ring[1024];
    static size_t next;
    if (next + n > UTIL_ARRAY_LEN(ring))
        next = 0;
    component_val *v = &ring[next];
    next += n;
    return v;
}

/* An ip-socket-address value for 127.0.0.1:port. */
static component_val v4_address(uint16_t port)
{
    component_val *f = arg_vals(8);
    for (int i = 0; i < 4; i++)
        f[2 + i] = V_U8(i == 0 ? 127 : i == 3 ? 1 : 0);
    f[6] = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {&f[2], 4}};
    f[0] = V_U16(port);
    f[1] = f[6];
    f[7] = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {f, 2}};
    return (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {0, &f[7]}};
}

static component_val v6_loopback(uint16_t port)
{
    component_val *f = arg_vals(14);
    for (int i = 0; i < 8; i++)
        f[4 + i] = V_U16(i == 7 ? 1 : 0);
    f[12] = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {&f[4], 8}};
    f[0] = V_U16(port);
    f[1] = V_U32(0);
    f[2] = f[12];
    f[3] = V_U32(0);
    f[13] = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {f, 4}};
    return (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {1, &f[13]}};
}

/* The port of an ip-socket-address result value. */
static uint16_t port_of(const component_val *addr)
{
    return (uint16_t)addr->of.variant.payload->of.record.fields[0].of.u;
}

/* Blocks on the pollable `subscribe` of `self` gives, then frees it. */
static void wait_on(const char *iface, const char *subscribe, const component_val *self)
{
    component_val s = V_BORROW(*self);
    CHECK_INT(call(iface, subscribe, &s, 1), 0);
    component_val p = r;
    component_val b = V_BORROW(p);
    CHECK_INT(call(WASI2_IFACE("wasi:io/poll"), "[method]pollable.block", &b, 1), 0);
    wasi2_pollable_free((wasi2_pollable *)p.of.resource.rep);
}

/* ---- denied ------------------------------------------------------------ */

static void test_denied_by_default(void)
{
    wasi2_ctx *ctx = new_ctx(false);
    C = component_call_new(ctx);
    component_val net = network();
    component_val fam[] = {V_ENUM(0), V_ENUM(1)};
    for (int i = 0; i < 2; i++) {
        CHECK_INT(call(NET("tcp-create-socket"), "create-tcp-socket", &fam[i], 1), 0);
        CHECK_INT(err_of(&r), NE_ACCESS_DENIED);
        CHECK_INT(call(NET("udp-create-socket"), "create-udp-socket", &fam[i], 1), 0);
        CHECK_INT(err_of(&r), NE_ACCESS_DENIED);
    }
    component_val a[] = {V_BORROW(net), V_STR("localhost")};
    CHECK_INT(call(NET("ip-name-lookup"), "resolve-addresses", a, 2), 0);
    CHECK_INT(err_of(&r), NE_ACCESS_DENIED);
    component_val b[] = {V_BORROW(net), V_STR("127.0.0.1")};
    CHECK_INT(call(NET("ip-name-lookup"), "resolve-addresses", b, 2), 0);
    CHECK_INT(err_of(&r), NE_ACCESS_DENIED);
    component_call_free(C);
    wasi2_ctx_free(ctx);
}

/* ---- allowed ----------------------------------------------------------- */

static void test_resolve(void)
{
    component_val net = network();
    component_val a[] = {V_BORROW(net), V_STR("127.0.0.1")};
    CHECK_INT(call(NET("ip-name-lookup"), "resolve-addresses", a, 2), 0);
    CHECK(ok_of(&r) != NULL);
    if (ok_of(&r) == NULL)
        return;
    component_val stream = *ok_of(&r);
    component_val self = V_BORROW(stream);
    int found = 0, total = 0;
    for (int i = 0; i < 20; i++) {
        CHECK_INT(call(NET("ip-name-lookup"),
                       "[method]resolve-address-stream.resolve-next-address", &self, 1),
                  0);
        const component_val *opt = ok_of(&r);
        CHECK(opt != NULL);
        if (opt == NULL || opt->of.variant.disc == 0)
            break;
        total++;
        const component_val *ip = opt->of.variant.payload;
        if (ip->of.variant.disc == 0) {
            const component_val *b = ip->of.variant.payload->of.record.fields;
            found |= b[0].of.u == 127 && b[1].of.u == 0 && b[2].of.u == 0 && b[3].of.u == 1;
        }
    }
    CHECK_INT(total, 1);
    CHECK(found);
    wait_on(NET("ip-name-lookup"), "[method]resolve-address-stream.subscribe", &stream);
    wasi2_resolve_stream_drop(stream.of.resource.rep);

    component_val bad[] = {V_BORROW(net), V_STR("")};
    CHECK_INT(call(NET("ip-name-lookup"), "resolve-addresses", bad, 2), 0);
    CHECK_INT(err_of(&r), NE_INVALID_ARGUMENT);
    component_val nul[] = {V_BORROW(net),
                           {.kind = COMPONENT_VAL_STRING, .of.str = {"a b", 3}}};
    CHECK_INT(call(NET("ip-name-lookup"), "resolve-addresses", nul, 2), 0);
    CHECK_INT(err_of(&r), NE_INVALID_ARGUMENT);
}

/* A listening socket of the test on 127.0.0.1 (port into *port). */
static int test_listener(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 4) ||
        getsockname(fd, (struct sockaddr *)&a, &len)) {
        perror("listener");
        exit(2);
    }
    *port = ntohs(a.sin_port);
    return fd;
}

static component_val tcp_socket(uint32_t family)
{
    component_val fam = V_ENUM(family);
    CHECK_INT(call(NET("tcp-create-socket"), "create-tcp-socket", &fam, 1), 0);
    CHECK(ok_of(&r) != NULL);
    return ok_of(&r) ? *ok_of(&r) : r;
}

static void blocking_write(const component_val *out, const char *text)
{
    component_val w[] = {V_BORROW(*out), V_BYTES(text, strlen(text))};
    CHECK_INT(call(WASI2_IFACE("wasi:io/streams"), "[method]output-stream.blocking-write-and-flush",
                   w, 2),
              0);
    CHECK_INT(err_of(&r), -1);
}

/* blocking-read of up to len bytes as a string ("" when closed). */
static void blocking_read(const component_val *in, size_t len, char *buf, size_t cap)
{
    component_val a[] = {V_BORROW(*in), V_U64(len)};
    buf[0] = '\0';
    CHECK_INT(call(WASI2_IFACE("wasi:io/streams"), "[method]input-stream.blocking-read", a, 2), 0);
    const component_val *bytes = ok_of(&r);
    if (bytes == NULL)
        return;
    size_t n = bytes->of.list.n < cap - 1 ? bytes->of.list.n : cap - 1;
    memcpy(buf, bytes->of.list.raw, n);
    buf[n] = '\0';
}

static void test_tcp_connect_and_streams(void)
{
    uint16_t port;
    int lfd = test_listener(&port);
    component_val net = network();
    component_val sock = tcp_socket(0);
    component_val self = V_BORROW(sock);

    CHECK_INT(call(NET("tcp"), TCP("finish-connect"), &self, 1), 0);
    CHECK_INT(err_of(&r), NE_NOT_IN_PROGRESS);
    component_val v6[] = {V_BORROW(sock), V_BORROW(net), v6_loopback(port)};
    CHECK_INT(call(NET("tcp"), TCP("start-connect"), v6, 3), 0);
    CHECK_INT(err_of(&r), NE_INVALID_ARGUMENT); /* an ipv6 address for an ipv4 socket */
    component_val zero[] = {V_BORROW(sock), V_BORROW(net), v4_address(0)};
    CHECK_INT(call(NET("tcp"), TCP("start-connect"), zero, 3), 0);
    CHECK_INT(err_of(&r), NE_INVALID_ARGUMENT); /* port 0 */

    component_val sc[] = {V_BORROW(sock), V_BORROW(net), v4_address(port)};
    CHECK_INT(call(NET("tcp"), TCP("start-connect"), sc, 3), 0);
    CHECK_INT(err_of(&r), -1);
    wait_on(NET("tcp"), TCP("subscribe"), &sock);
    CHECK_INT(call(NET("tcp"), TCP("finish-connect"), &self, 1), 0);
    CHECK(ok_of(&r) != NULL);
    if (ok_of(&r) == NULL) {
        close(lfd);
        wasi2_tcp_drop(sock.of.resource.rep);
        return;
    }
    component_val in = ok_of(&r)->of.record.fields[0], out = ok_of(&r)->of.record.fields[1];
    int peer = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    CHECK(peer >= 0);

    CHECK_INT(call(NET("tcp"), TCP("remote-address"), &self, 1), 0);
    CHECK(ok_of(&r) != NULL && port_of(ok_of(&r)) == port);
    CHECK_INT(call(NET("tcp"), TCP("local-address"), &self, 1), 0);
    CHECK(ok_of(&r) != NULL && port_of(ok_of(&r)) != 0);
    CHECK_INT(call(NET("tcp"), TCP("start-connect"), sc, 3), 0);
    CHECK_INT(err_of(&r), NE_INVALID_STATE); /* connected already */

    blocking_write(&out, "ping");
    char buf[16] = {0};
    CHECK_INT(read(peer, buf, sizeof buf - 1), 4);
    CHECK_STR(buf, "ping");
    CHECK_INT(write(peer, "pong", 4), 4);
    blocking_read(&in, 16, buf, sizeof buf);
    CHECK_STR(buf, "pong");

    /* shutdown(send): the peer reads the end. */
    component_val sd[] = {V_BORROW(sock), V_ENUM(1)};
    CHECK_INT(call(NET("tcp"), TCP("shutdown"), sd, 2), 0);
    CHECK_INT(err_of(&r), -1);
    CHECK_INT(read(peer, buf, sizeof buf), 0);
    /* the peer closing: the input stream ends (closed) */
    close(peer);
    component_val rd[] = {V_BORROW(in), V_U64(16)};
    CHECK_INT(call(WASI2_IFACE("wasi:io/streams"), "[method]input-stream.blocking-read", rd, 2),
              0);
    CHECK(r.of.variant.disc == 1 && r.of.variant.payload->of.variant.disc == 1); /* closed */

    wasi2_stream_release((wasi2_stream *)in.of.resource.rep);
    wasi2_stream_release((wasi2_stream *)out.of.resource.rep);
    wasi2_tcp_drop(sock.of.resource.rep);
    close(lfd);
}

static void test_tcp_connection_refused(void)
{
    uint16_t port;
    int lfd = test_listener(&port);
    close(lfd); /* nobody listens there now */
    component_val net = network();
    component_val sock = tcp_socket(0);
    component_val self = V_BORROW(sock);
    component_val sc[] = {V_BORROW(sock), V_BORROW(net), v4_address(port)};
    CHECK_INT(call(NET("tcp"), TCP("start-connect"), sc, 3), 0);
    CHECK_INT(err_of(&r), -1);
    wait_on(NET("tcp"), TCP("subscribe"), &sock);
    CHECK_INT(call(NET("tcp"), TCP("finish-connect"), &self, 1), 0);
    CHECK_INT(err_of(&r), NE_CONNECTION_REFUSED);
    wasi2_tcp_drop(sock.of.resource.rep);
}

static void test_tcp_listen_accept(void)
{
    component_val net = network();
    component_val sock = tcp_socket(0);
    component_val self = V_BORROW(sock);
    CHECK_INT(call(NET("tcp"), TCP("start-listen"), &self, 1), 0);
    CHECK_INT(err_of(&r), NE_INVALID_STATE); /* not bound */
    component_val sb[] = {V_BORROW(sock), V_BORROW(net), v4_address(0)};
    CHECK_INT(call(NET("tcp"), TCP("start-bind"), sb, 3), 0);
    CHECK_INT(err_of(&r), -1);
    CHECK_INT(call(NET("tcp"), TCP("finish-bind"), &self, 1), 0);
    CHECK_INT(err_of(&r), -1);
    CHECK_INT(call(NET("tcp"), TCP("start-listen"), &self, 1), 0);
    CHECK_INT(call(NET("tcp"), TCP("finish-listen"), &self, 1), 0);
    CHECK_INT(err_of(&r), -1);
    CHECK_INT(call(NET("tcp"), TCP("is-listening"), &self, 1), 0);
    CHECK(r.kind == COMPONENT_VAL_BOOL && r.of.b);
    CHECK_INT(call(NET("tcp"), TCP("accept"), &self, 1), 0);
    CHECK_INT(err_of(&r), NE_WOULD_BLOCK);
    CHECK_INT(call(NET("tcp"), TCP("local-address"), &self, 1), 0);
    uint16_t port = ok_of(&r) ? port_of(ok_of(&r)) : 0;
    CHECK(port != 0);

    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK_INT(connect(c, (struct sockaddr *)&a, sizeof a), 0);
    wait_on(NET("tcp"), TCP("subscribe"), &sock);
    CHECK_INT(call(NET("tcp"), TCP("accept"), &self, 1), 0);
    CHECK(ok_of(&r) != NULL);
    if (ok_of(&r) != NULL) {
        component_val conn = ok_of(&r)->of.record.fields[0];
        component_val in = ok_of(&r)->of.record.fields[1];
        component_val out = ok_of(&r)->of.record.fields[2];
        blocking_write(&out, "hi");
        char buf[8] = {0};
        CHECK_INT(read(c, buf, sizeof buf - 1), 2);
        CHECK_STR(buf, "hi");
        wasi2_stream_release((wasi2_stream *)in.of.resource.rep);
        wasi2_stream_release((wasi2_stream *)out.of.resource.rep);
        wasi2_tcp_drop(conn.of.resource.rep);
    }
    close(c);
    wasi2_tcp_drop(sock.of.resource.rep);
}

static void test_udp_datagrams(void)
{
    component_val net = network();
    component_val fam = V_ENUM(0);
    CHECK_INT(call(NET("udp-create-socket"), "create-udp-socket", &fam, 1), 0);
    CHECK(ok_of(&r) != NULL);
    if (ok_of(&r) == NULL)
        return;
    component_val sock = *ok_of(&r);
    component_val self = V_BORROW(sock);
    component_val none = V_ENUM(0);
    component_val st[] = {V_BORROW(sock), none};
    CHECK_INT(call(NET("udp"), UDP("stream"), st, 2), 0);
    CHECK_INT(err_of(&r), NE_INVALID_STATE); /* not bound */
    component_val sb[] = {V_BORROW(sock), V_BORROW(net), v4_address(0)};
    CHECK_INT(call(NET("udp"), UDP("start-bind"), sb, 3), 0);
    CHECK_INT(call(NET("udp"), UDP("finish-bind"), &self, 1), 0);
    CHECK_INT(err_of(&r), -1);
    CHECK_INT(call(NET("udp"), UDP("local-address"), &self, 1), 0);
    uint16_t port = ok_of(&r) ? port_of(ok_of(&r)) : 0;
    CHECK(port != 0);
    CHECK_INT(call(NET("udp"), UDP("stream"), st, 2), 0);
    CHECK(ok_of(&r) != NULL);
    if (ok_of(&r) == NULL)
        return;
    component_val in = ok_of(&r)->of.record.fields[0], out = ok_of(&r)->of.record.fields[1];

    /* The test's socket sends one datagram in. */
    int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t mlen = sizeof me;
    CHECK(bind(u, (struct sockaddr *)&me, sizeof me) == 0);
    CHECK(getsockname(u, (struct sockaddr *)&me, &mlen) == 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK_INT(sendto(u, "dgram", 5, 0, (struct sockaddr *)&to, sizeof to), 5);
    wait_on(NET("udp"), "[method]incoming-datagram-stream.subscribe", &in);
    component_val rc[] = {V_BORROW(in), V_U64(10)};
    CHECK_INT(call(NET("udp"), "[method]incoming-datagram-stream.receive", rc, 2), 0);
    const component_val *list = ok_of(&r);
    CHECK(list != NULL && list->of.list.n == 1);
    if (list != NULL && list->of.list.n == 1) {
        const component_val *d = list->of.list.items[0].of.record.fields;
        CHECK(d[0].of.list.n == 5 && memcmp(d[0].of.list.raw, "dgram", 5) == 0);
        CHECK_INT(port_of(&d[1]), ntohs(me.sin_port));
    }
    /* Nothing more queued: an empty list, at once. */
    CHECK_INT(call(NET("udp"), "[method]incoming-datagram-stream.receive", rc, 2), 0);
    CHECK(ok_of(&r) != NULL && ok_of(&r)->of.list.n == 0);

    /* And one datagram out, to the test's socket. */
    component_val os = V_BORROW(out);
    CHECK_INT(call(NET("udp"), "[method]outgoing-datagram-stream.check-send", &os, 1), 0);
    CHECK(ok_of(&r) != NULL && ok_of(&r)->of.u >= 1);
    component_val *f = arg_vals(4);
    f[0] = V_BYTES("reply", 5);
    f[2] = v4_address(ntohs(me.sin_port));
    f[1] = (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {1, &f[2]}};
    f[3] = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {f, 2}};
    component_val sa[] = {V_BORROW(out),
                          {.kind = COMPONENT_VAL_LIST, .of.list = {&f[3], NULL, 1}}};
    CHECK_INT(call(NET("udp"), "[method]outgoing-datagram-stream.send", sa, 2), 0);
    CHECK(ok_of(&r) != NULL && ok_of(&r)->of.u == 1);
    char buf[16] = {0};
    struct pollfd p = {.fd = u, .events = POLLIN};
    CHECK_INT(poll(&p, 1, 10000), 1);
    CHECK_INT(recv(u, buf, sizeof buf - 1, MSG_DONTWAIT), 5);
    CHECK_STR(buf, "reply");
    close(u);

    wasi2_dgram_drop(in.of.resource.rep);
    wasi2_dgram_drop(out.of.resource.rep);
    wasi2_udp_drop(sock.of.resource.rep);
}

/* Options read back what was set (durations in whole seconds, rounded
 * up); zero where the WIT forbids it is invalid-argument. */
static void test_tcp_options(void)
{
    component_val sock = tcp_socket(1);
    component_val self = V_BORROW(sock);
    CHECK_INT(call(NET("tcp"), TCP("address-family"), &self, 1), 0);
    CHECK(r.kind == COMPONENT_VAL_VARIANT && r.of.variant.disc == 1);
    component_val on[] = {V_BORROW(sock), V_BOOL(true)};
    CHECK_INT(call(NET("tcp"), TCP("set-keep-alive-enabled"), on, 2), 0);
    CHECK_INT(err_of(&r), -1);
    CHECK_INT(call(NET("tcp"), TCP("keep-alive-enabled"), &self, 1), 0);
    CHECK(ok_of(&r) != NULL && ok_of(&r)->of.b);
    component_val idle[] = {V_BORROW(sock), V_U64(1500000000)};
    CHECK_INT(call(NET("tcp"), TCP("set-keep-alive-idle-time"), idle, 2), 0);
    CHECK_INT(call(NET("tcp"), TCP("keep-alive-idle-time"), &self, 1), 0);
    CHECK(ok_of(&r) != NULL && ok_of(&r)->of.u == 2000000000);
    component_val zero[] = {V_BORROW(sock), V_U8(0)};
    CHECK_INT(call(NET("tcp"), TCP("set-hop-limit"), zero, 2), 0);
    CHECK_INT(err_of(&r), NE_INVALID_ARGUMENT);
    component_val hops[] = {V_BORROW(sock), V_U8(9)};
    CHECK_INT(call(NET("tcp"), TCP("set-hop-limit"), hops, 2), 0);
    CHECK_INT(call(NET("tcp"), TCP("hop-limit"), &self, 1), 0);
    CHECK(ok_of(&r) != NULL && ok_of(&r)->of.u == 9);
    component_val backlog[] = {V_BORROW(sock), V_U64(0)};
    CHECK_INT(call(NET("tcp"), TCP("set-listen-backlog-size"), backlog, 2), 0);
    CHECK_INT(err_of(&r), NE_INVALID_ARGUMENT);
    CHECK_INT(call(NET("tcp"), TCP("remote-address"), &self, 1), 0);
    CHECK_INT(err_of(&r), NE_INVALID_STATE); /* not connected */
    wasi2_tcp_drop(sock.of.resource.rep);
}

/* ---- networking off, an outbound policy on ------------------------------ */

/* The embedder's policy: scheme policy_scheme to 127.0.0.1 on one port
 * (and port 0, "any": a bind) only. */
static const char *policy_scheme = "tcp";
static uint16_t policy_port;
static char policy_seen[64];

static bool policy(void *self, const char *scheme, const char *host, uint16_t port)
{
    (void)self;
    snprintf(policy_seen, sizeof policy_seen, "%s://%s:%u", scheme, host ? host : "-", port);
    return strcmp(scheme, policy_scheme) == 0 && host && strcmp(host, "127.0.0.1") == 0 &&
           (port == policy_port || port == 0);
}

static void test_tcp_connect_by_policy(void)
{
    int lfd = test_listener(&policy_port);
    wasi2_config c;
    wasi2_config_init(&c);
    c.outbound_allowed = policy;
    util_error *err = NULL;
    wasi2_ctx *ctx = wasi2_ctx_new(&c, &err);
    CHECK(ctx != NULL);
    C = component_call_new(ctx);
    component_val net = network();

    /* a port the policy does not allow: denied before any connect */
    component_val sock = tcp_socket(0);
    component_val other[] = {V_BORROW(sock), V_BORROW(net), v4_address(policy_port + 1)};
    CHECK_INT(call(NET("tcp"), TCP("start-connect"), other, 3), 0);
    CHECK_INT(err_of(&r), NE_ACCESS_DENIED);
    char want[64];
    snprintf(want, sizeof want, "tcp://127.0.0.1:%u", (unsigned)(policy_port + 1));
    CHECK_STR(policy_seen, want);
    /* binding (and so listening) stays denied */
    component_val bind[] = {V_BORROW(sock), V_BORROW(net), v4_address(0)};
    CHECK_INT(call(NET("tcp"), TCP("start-bind"), bind, 3), 0);
    CHECK_INT(err_of(&r), NE_ACCESS_DENIED);

    /* the allowed address: connected, bytes go through */
    component_val sc[] = {V_BORROW(sock), V_BORROW(net), v4_address(policy_port)};
    CHECK_INT(call(NET("tcp"), TCP("start-connect"), sc, 3), 0);
    CHECK_INT(err_of(&r), -1);
    wait_on(NET("tcp"), TCP("subscribe"), &sock);
    component_val self = V_BORROW(sock);
    CHECK_INT(call(NET("tcp"), TCP("finish-connect"), &self, 1), 0);
    CHECK(ok_of(&r) != NULL);
    if (ok_of(&r)) {
        component_val in = ok_of(&r)->of.record.fields[0], out = ok_of(&r)->of.record.fields[1];
        int peer = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        CHECK(peer >= 0);
        blocking_write(&out, "ping");
        char buf[16] = {0};
        CHECK_INT(read(peer, buf, sizeof buf - 1), 4);
        CHECK_STR(buf, "ping");
        close(peer);
        wasi2_stream_release((wasi2_stream *)in.of.resource.rep);
        wasi2_stream_release((wasi2_stream *)out.of.resource.rep);
    }
    wasi2_tcp_drop(sock.of.resource.rep);

    /* name lookup is no client connect: still denied */
    component_val a[] = {V_BORROW(net), V_STR("127.0.0.1")};
    CHECK_INT(call(NET("ip-name-lookup"), "resolve-addresses", a, 2), 0);
    CHECK_INT(err_of(&r), NE_ACCESS_DENIED);
    component_call_free(C);
    wasi2_ctx_free(ctx);
    close(lfd);
}

/* A datagram list of one, to 127.0.0.1:port. */
static component_val one_datagram(const char *text, uint16_t port)
{
    component_val *f = arg_vals(4);
    f[0] = V_BYTES(text, strlen(text));
    f[2] = v4_address(port);
    f[1] = (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {1, &f[2]}};
    f[3] = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {f, 2}};
    return (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {&f[3], NULL, 1}};
}

static void expect_datagram(int fd, const char *text)
{
    char buf[32] = {0};
    struct pollfd p = {.fd = fd, .events = POLLIN};
    CHECK_INT(poll(&p, 1, 10000), 1);
    CHECK_INT(recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT), (int)strlen(text));
    CHECK_STR(buf, text);
}

static void test_udp_by_policy(void)
{
    /* the test's socket: the one address the policy allows */
    int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t mlen = sizeof me;
    CHECK(bind(u, (struct sockaddr *)&me, sizeof me) == 0);
    CHECK(getsockname(u, (struct sockaddr *)&me, &mlen) == 0);
    policy_port = ntohs(me.sin_port);
    policy_scheme = "udp";
    wasi2_config c;
    wasi2_config_init(&c);
    c.outbound_allowed = policy;
    util_error *err = NULL;
    wasi2_ctx *ctx = wasi2_ctx_new(&c, &err);
    CHECK(ctx != NULL);
    C = component_call_new(ctx);
    component_val net = network();
    char want[64];

    component_val fam = V_ENUM(0);
    CHECK_INT(call(NET("udp-create-socket"), "create-udp-socket", &fam, 1), 0);
    CHECK(ok_of(&r) != NULL);
    component_val sock = ok_of(&r) ? *ok_of(&r) : V_ENUM(0);
    component_val self = V_BORROW(sock);
    /* a bind where the policy says no: denied, the socket stays unbound */
    component_val bad_bind[] = {V_BORROW(sock), V_BORROW(net), v4_address(policy_port + 1)};
    CHECK_INT(call(NET("udp"), UDP("start-bind"), bad_bind, 3), 0);
    CHECK_INT(err_of(&r), NE_ACCESS_DENIED);
    snprintf(want, sizeof want, "udp://127.0.0.1:%u", (unsigned)(policy_port + 1));
    CHECK_STR(policy_seen, want);
    component_val sb[] = {V_BORROW(sock), V_BORROW(net), v4_address(0)};
    CHECK_INT(call(NET("udp"), UDP("start-bind"), sb, 3), 0);
    CHECK_INT(err_of(&r), -1);
    CHECK_INT(call(NET("udp"), UDP("finish-bind"), &self, 1), 0);
    CHECK_INT(err_of(&r), -1);

    /* connecting elsewhere: denied before any connect(2) */
    component_val *other = arg_vals(1);
    *other = v4_address(policy_port + 1);
    component_val st_other[] = {V_BORROW(sock),
                                {.kind = COMPONENT_VAL_VARIANT, .of.variant = {1, other}}};
    CHECK_INT(call(NET("udp"), UDP("stream"), st_other, 2), 0);
    CHECK_INT(err_of(&r), NE_ACCESS_DENIED);
    CHECK_STR(policy_seen, want);

    /* unconnected: each datagram's address is asked */
    component_val st[] = {V_BORROW(sock), V_ENUM(0)};
    CHECK_INT(call(NET("udp"), UDP("stream"), st, 2), 0);
    CHECK(ok_of(&r) != NULL);
    if (ok_of(&r) != NULL) {
        component_val in = ok_of(&r)->of.record.fields[0], out = ok_of(&r)->of.record.fields[1];
        component_val os = V_BORROW(out);
        CHECK_INT(call(NET("udp"), "[method]outgoing-datagram-stream.check-send", &os, 1), 0);
        component_val denied[] = {V_BORROW(out), one_datagram("nope", policy_port + 1)};
        CHECK_INT(call(NET("udp"), "[method]outgoing-datagram-stream.send", denied, 2), 0);
        CHECK_INT(err_of(&r), NE_ACCESS_DENIED);
        CHECK_INT(call(NET("udp"), "[method]outgoing-datagram-stream.check-send", &os, 1), 0);
        component_val sa[] = {V_BORROW(out), one_datagram("to-allowed", policy_port)};
        CHECK_INT(call(NET("udp"), "[method]outgoing-datagram-stream.send", sa, 2), 0);
        CHECK(ok_of(&r) != NULL && ok_of(&r)->of.u == 1);
        expect_datagram(u, "to-allowed");
        wasi2_dgram_drop(in.of.resource.rep);
        wasi2_dgram_drop(out.of.resource.rep);
    }

    /* connected to the allowed address: datagrams without one go there */
    component_val *peer = arg_vals(1);
    *peer = v4_address(policy_port);
    component_val st_peer[] = {V_BORROW(sock),
                               {.kind = COMPONENT_VAL_VARIANT, .of.variant = {1, peer}}};
    CHECK_INT(call(NET("udp"), UDP("stream"), st_peer, 2), 0);
    CHECK(ok_of(&r) != NULL);
    if (ok_of(&r) != NULL) {
        component_val in = ok_of(&r)->of.record.fields[0], out = ok_of(&r)->of.record.fields[1];
        component_val os = V_BORROW(out);
        CHECK_INT(call(NET("udp"), "[method]outgoing-datagram-stream.check-send", &os, 1), 0);
        component_val *f = arg_vals(3);
        f[0] = V_BYTES("connected", 9);
        f[1] = V_ENUM(0); /* no address: the peer */
        f[2] = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {f, 2}};
        component_val sa[] = {V_BORROW(out),
                              {.kind = COMPONENT_VAL_LIST, .of.list = {&f[2], NULL, 1}}};
        CHECK_INT(call(NET("udp"), "[method]outgoing-datagram-stream.send", sa, 2), 0);
        CHECK(ok_of(&r) != NULL && ok_of(&r)->of.u == 1);
        expect_datagram(u, "connected");
        wasi2_dgram_drop(in.of.resource.rep);
        wasi2_dgram_drop(out.of.resource.rep);
    }
    wasi2_udp_drop(sock.of.resource.rep);

    /* a policy for udp only says nothing of tcp */
    component_val tsock = tcp_socket(0);
    component_val sc[] = {V_BORROW(tsock), V_BORROW(net), v4_address(policy_port)};
    CHECK_INT(call(NET("tcp"), TCP("start-connect"), sc, 3), 0);
    CHECK_INT(err_of(&r), NE_ACCESS_DENIED);
    wasi2_tcp_drop(tsock.of.resource.rep);
    policy_scheme = "tcp";
    component_call_free(C);
    wasi2_ctx_free(ctx);
    close(u);
}

int main(void)
{
    util_error *err = NULL;
    L = component_linker_new();
    if (wasi2_define(L, NULL, &err) < 0) {
        fprintf(stderr, "define: %s\n", err ? err->msg : "?");
        return 2;
    }
    RUN(test_denied_by_default);
    RUN(test_tcp_connect_by_policy);
    RUN(test_udp_by_policy);

    wasi2_ctx *ctx = new_ctx(true);
    C = component_call_new(ctx);
    RUN(test_resolve);
    RUN(test_tcp_connect_and_streams);
    RUN(test_tcp_connection_refused);
    RUN(test_tcp_listen_accept);
    RUN(test_udp_datagrams);
    RUN(test_tcp_options);
    component_call_free(C);
    wasi2_ctx_free(ctx);
    component_linker_free(L);
    return TEST_SUMMARY();
}
