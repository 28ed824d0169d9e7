/*
 * udp.c - wasi:sockets/udp and udp-create-socket.
 *
 * A udp-socket is a non-blocking host socket that is unbound, binding or
 * bound; `stream` (bound sockets only) connects it to a remote address or
 * disconnects it and hands out a new pair of datagram streams, each on a
 * dup of the socket so a stream stays usable whatever the guest drops
 * first.  A second `stream` call makes the earlier pair stale (wasmtime
 * does the same): the pair remembers the generation it belongs to.
 *
 * receive returns what is queued right now (never waits; an empty list
 * means nothing yet).  send sends datagrams until the kernel would block;
 * check-send grants a fixed number of datagrams per call and send refuses
 * more than the last grant, as the WIT's protocol requires.
 *
 * With networking off and an outbound policy (net_internal.h), every
 * address the socket is bound to, connected to, or sends a datagram to
 * is asked of the policy as scheme "udp" first (wasmtime's UdpBind,
 * UdpConnect and UdpOutgoingDatagram checks, which Spin answers from
 * allowed_outbound_hosts the same way); a refusal is access-denied and
 * no system call is made.
 */
#include "net_internal.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

typedef enum { US_UNBOUND, US_BIND_STARTED, US_BOUND } udp_state;

typedef struct udp_sock {
    wasi2_sock net; /* first: the methods sock.c serves */
    udp_state state;
    bool connected; /* by the last `stream` */
    uint32_t generation;
    unsigned refs; /* the socket and its live datagram streams */
} udp_sock;

typedef struct dgram_stream {
    udp_sock *sock;
    uint32_t generation;
    uint64_t permits; /* outgoing: what the last check-send granted */
} dgram_stream;

/* Datagrams one check-send grants, and the largest one received. */
#define SEND_PERMITS 64
#define RECV_MAX_DATAGRAMS 64
#define DATAGRAM_MAX 65535

static void sock_unref(void *p)
{
    udp_sock *s = p;
    if (--s->refs > 0)
        return;
    if (s->net.fd >= 0)
        close(s->net.fd);
    free(s);
}

void wasi2_udp_drop(uintptr_t rep)
{
    if (rep != 0)
        sock_unref((udp_sock *)rep);
}

void wasi2_dgram_drop(uintptr_t rep)
{
    dgram_stream *d = (dgram_stream *)rep;
    if (d == NULL)
        return;
    sock_unref(d->sock);
    free(d);
}

static udp_sock *self_of(const component_val *args)
{
    return (udp_sock *)args[0].of.resource.rep;
}

WASI2_HOST_FN(wasi2_udp_create)
{
    (void)nargs;
    const wasi2_fsnet_reg *reg = env;
    if (!wasi2_net_create_allowed(call, env))
        return wv_err(call, result, NE_ACCESS_DENIED);
    int family = args[0].of.variant.disc == 0 ? AF_INET : AF_INET6;
    int fd = wasi2_sock_open(family, SOCK_DGRAM);
    if (fd < 0)
        return wasi2_net_done(call, result, errno);
    udp_sock *s = util_xcalloc(1, sizeof(*s));
    *s = (udp_sock){.net = {.fd = fd, .family = family}, .state = US_UNBOUND, .refs = 1};
    component_val v = wasi2_own(reg->net.udp, s);
    return wv_ok(call, result, &v);
}

static WASI2_HOST_FN(wasi2_udp_start_bind)
{
    (void)nargs;
    udp_sock *s = self_of(args);
    if (!wasi2_net_create_allowed(call, env))
        return wv_err(call, result, NE_ACCESS_DENIED);
    if (s->state != US_UNBOUND)
        return wv_err(call, result, NE_INVALID_STATE);
    struct sockaddr_storage local;
    socklen_t local_len;
    if (wasi2_socket_address_from(&args[2], s->net.family, &local, &local_len) != 0)
        return wv_err(call, result, NE_INVALID_ARGUMENT);
    if (!wasi2_net_addr_allowed(call, env, "udp", &local))
        return wv_err(call, result, NE_ACCESS_DENIED);
    int e = wasi2_sock_bind(&s->net, &args[2], false);
    if (e != 0)
        return wasi2_net_done(call, result, e);
    s->state = US_BIND_STARTED;
    return wv_ok(call, result, NULL);
}

static WASI2_HOST_FN(wasi2_udp_finish_bind)
{
    (void)env;
    (void)nargs;
    udp_sock *s = self_of(args);
    if (s->state != US_BIND_STARTED)
        return wv_err(call, result, NE_NOT_IN_PROGRESS);
    s->state = US_BOUND;
    return wv_ok(call, result, NULL);
}

static dgram_stream *dgram_new(udp_sock *s)
{
    dgram_stream *d = util_xcalloc(1, sizeof(*d));
    d->sock = s;
    d->generation = s->generation;
    s->refs++;
    return d;
}

static WASI2_HOST_FN(wasi2_udp_stream)
{
    (void)nargs;
    const wasi2_fsnet_reg *reg = env;
    udp_sock *s = self_of(args);
    if (s->state != US_BOUND)
        return wv_err(call, result, NE_INVALID_STATE);
    const component_val *remote = &args[1];
    if (remote->of.variant.disc == 1) {
        struct sockaddr_storage ss;
        socklen_t len;
        if (!wasi2_remote_address_from(remote->of.variant.payload, s->net.family, &ss, &len))
            return wv_err(call, result, NE_INVALID_ARGUMENT);
        if (!wasi2_net_addr_allowed(call, env, "udp", &ss))
            return wv_err(call, result, NE_ACCESS_DENIED);
        if (connect(s->net.fd, (struct sockaddr *)&ss, len) < 0)
            return wasi2_net_done(call, result, errno);
        s->connected = true;
    } else if (s->connected) {
        struct sockaddr unspec = {.sa_family = AF_UNSPEC};
        if (connect(s->net.fd, &unspec, sizeof unspec) < 0 && errno != EAFNOSUPPORT)
            return wasi2_net_done(call, result, errno);
        s->connected = false;
    }
    s->generation++;
    component_val *f = component_call_vals(call, 3);
    if (f == NULL)
        return component_call_trap(call, "out of memory for a result");
    f[0] = wasi2_own(reg->net.incoming, dgram_new(s));
    f[1] = wasi2_own(reg->net.outgoing, dgram_new(s));
    f[2] = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {f, 2}};
    return wv_ok(call, result, &f[2]);
}

static WASI2_HOST_FN(wasi2_udp_local_address)
{
    (void)env;
    (void)nargs;
    udp_sock *s = self_of(args);
    if (s->state != US_BOUND)
        return wv_err(call, result, NE_INVALID_STATE);
    return wasi2_sock_address_result(call, result, s->net.fd, getsockname);
}

static WASI2_HOST_FN(wasi2_udp_remote_address)
{
    (void)env;
    (void)nargs;
    udp_sock *s = self_of(args);
    if (!s->connected)
        return wv_err(call, result, NE_INVALID_STATE);
    return wasi2_sock_address_result(call, result, s->net.fd, getpeername);
}

/* ---- datagram streams -------------------------------------------------- */

static dgram_stream *stream_of(const component_val *args)
{
    return (dgram_stream *)args[0].of.resource.rep;
}

static WASI2_HOST_FN(wasi2_udp_receive)
{
    (void)env;
    (void)nargs;
    dgram_stream *d = stream_of(args);
    if (d->generation != d->sock->generation)
        return wv_err(call, result, NE_INVALID_STATE);
    uint64_t max = args[1].of.u < RECV_MAX_DATAGRAMS ? args[1].of.u : RECV_MAX_DATAGRAMS;
    component_val *items = component_call_vals(call, max ? max * 4 : 1);
    if (items == NULL)
        return component_call_trap(call, "out of memory receiving datagrams");
    size_t n = 0;
    while (n < max) {
        uint8_t *buf = component_call_alloc(call, DATAGRAM_MAX);
        if (buf == NULL)
            return component_call_trap(call, "out of memory receiving datagrams");
        struct sockaddr_storage from;
        socklen_t flen = sizeof from;
        ssize_t got = recvfrom(d->sock->net.fd, buf, DATAGRAM_MAX, 0, (struct sockaddr *)&from, &flen);
        if (got < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (n > 0)
                break; /* report what came; the error shows on the next call */
            return wasi2_net_done(call, result, errno);
        }
        component_val *f = &items[max + 2 * n];
        f[0] = (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {NULL, buf, (size_t)got}};
        if (wasi2_socket_address_val(call, &from, &f[1]) < 0)
            return -1;
        items[n++] = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {f, 2}};
    }
    component_val list = {.kind = COMPONENT_VAL_LIST, .of.list = {items, NULL, n}};
    return wv_ok(call, result, &list);
}

static WASI2_HOST_FN(wasi2_udp_check_send)
{
    (void)env;
    (void)nargs;
    dgram_stream *d = stream_of(args);
    if (d->generation != d->sock->generation)
        return wv_err(call, result, NE_INVALID_STATE);
    d->permits = SEND_PERMITS;
    component_val v = wv_u64(d->permits);
    return wv_ok(call, result, &v);
}

static bool is_peer(int fd, const struct sockaddr_storage *ss, socklen_t len)
{
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    memset(&peer, 0, sizeof peer);
    return getpeername(fd, (struct sockaddr *)&peer, &plen) == 0 && plen == len &&
           memcmp(&peer, ss, len) == 0;
}

static WASI2_HOST_FN(wasi2_udp_send)
{
    (void)nargs;
    dgram_stream *d = stream_of(args);
    udp_sock *s = d->sock;
    if (d->generation != s->generation)
        return wv_err(call, result, NE_INVALID_STATE);
    const component_val *list = &args[1];
    if (list->of.list.n > d->permits)
        return component_call_trap(call, "send: %zu datagrams, but check-send allowed %llu",
                                   list->of.list.n, (unsigned long long)d->permits);
    uint64_t sent = 0;
    for (size_t i = 0; i < list->of.list.n; i++) {
        const component_val *f = list->of.list.items[i].of.record.fields;
        const component_val *data = &f[0], *to = &f[1];
        struct sockaddr_storage ss;
        socklen_t len = 0;
        int e = 0;
        if (to->of.variant.disc == 1) {
            if (!wasi2_remote_address_from(to->of.variant.payload, s->net.family, &ss, &len))
                e = EINVAL;
            else if (s->connected && !is_peer(s->net.fd, &ss, len))
                e = EINVAL; /* a connected socket sends to its peer only */
            else if (s->connected)
                len = 0;
            else if (!wasi2_net_addr_allowed(call, env, "udp", &ss))
                e = EACCES;
        } else if (!s->connected) {
            e = EDESTADDRREQ; /* no address and none connected */
        }
        if (e == 0 && data->of.list.n > DATAGRAM_MAX)
            e = EMSGSIZE;
        const uint8_t *bytes = e == 0 ? wasi2_list_bytes(call, data) : NULL;
        if (e == 0 && bytes == NULL)
            return component_call_trap(call, "out of memory for a datagram");
        if (e == 0) {
            ssize_t n = len ? sendto(s->net.fd, bytes, data->of.list.n, 0, (struct sockaddr *)&ss, len)
                            : send(s->net.fd, bytes, data->of.list.n, 0);
            if (n < 0)
                e = errno;
        }
        if (e != 0) {
            if (sent > 0 && (e == EAGAIN || e == EWOULDBLOCK))
                break;
            d->permits = 0;
            return wasi2_net_done(call, result, e);
        }
        sent++;
    }
    d->permits -= sent;
    component_val v = wv_u64(sent);
    return wv_ok(call, result, &v);
}

/* ---- pollables -------------------------------------------------------- */

static bool incoming_ready(void *self, int *fd, short *events)
{
    return wasi2_sock_ready(((udp_sock *)self)->net.fd, POLLIN, fd, events);
}

static bool outgoing_ready(void *self, int *fd, short *events)
{
    return wasi2_sock_ready(((udp_sock *)self)->net.fd, POLLOUT, fd, events);
}

/* A pollable on `s` (NULL ready: the socket itself, ready at once, as
 * nothing it does waits), holding a reference to it. */
static int subscribe(component_call *call, void *env, udp_sock *s,
                     bool (*ready)(void *, int *, short *), component_val *result)
{
    const wasi2_fsnet_reg *reg = env;
    s->refs++;
    *result = wasi2_own(reg->host->pollable, wasi2_pollable_ready_when_owned(ready, sock_unref, s));
    return 0;
}

static WASI2_HOST_FN(wasi2_udp_subscribe)
{
    return subscribe(call, env, self_of(args), NULL, result);
}

static WASI2_HOST_FN(wasi2_udp_incoming_subscribe)
{
    return subscribe(call, env, stream_of(args)->sock, incoming_ready, result);
}

static WASI2_HOST_FN(wasi2_udp_outgoing_subscribe)
{
    return subscribe(call, env, stream_of(args)->sock, outgoing_ready, result);
}

/* ---- registration ------------------------------------------------------ */

#define SELF "self: borrow<udp-socket>"
#define RES(t) "result<" t ", error-code>"

static const wasi2_func udp_funcs[] = {
    {"[method]udp-socket.start-bind",
     "func(" SELF ", network: borrow<network>, local-address: ip-socket-address) -> " RES("_"),
     wasi2_udp_start_bind},
    {"[method]udp-socket.finish-bind", "func(" SELF ") -> " RES("_"), wasi2_udp_finish_bind},
    {"[method]udp-socket.stream",
     "func(" SELF ", remote-address: option<ip-socket-address>) -> "
     RES("tuple<incoming-datagram-stream, outgoing-datagram-stream>"),
     wasi2_udp_stream},
    {"[method]udp-socket.local-address", "func(" SELF ") -> " RES("ip-socket-address"),
     wasi2_udp_local_address},
    {"[method]udp-socket.remote-address", "func(" SELF ") -> " RES("ip-socket-address"),
     wasi2_udp_remote_address},
    {"[method]udp-socket.address-family", "func(" SELF ") -> ip-address-family",
     wasi2_sock_address_family},
    {"[method]udp-socket.unicast-hop-limit", "func(" SELF ") -> " RES("u8"),
     wasi2_sock_hop_limit},
    {"[method]udp-socket.set-unicast-hop-limit", "func(" SELF ", value: u8) -> " RES("_"),
     wasi2_sock_set_hop_limit},
    {"[method]udp-socket.receive-buffer-size", "func(" SELF ") -> " RES("u64"),
     wasi2_sock_receive_buffer_size},
    {"[method]udp-socket.set-receive-buffer-size", "func(" SELF ", value: u64) -> " RES("_"),
     wasi2_sock_set_receive_buffer_size},
    {"[method]udp-socket.send-buffer-size", "func(" SELF ") -> " RES("u64"),
     wasi2_sock_send_buffer_size},
    {"[method]udp-socket.set-send-buffer-size", "func(" SELF ", value: u64) -> " RES("_"),
     wasi2_sock_set_send_buffer_size},
    {"[method]udp-socket.subscribe", "func(" SELF ") -> pollable", wasi2_udp_subscribe},
    {"[method]incoming-datagram-stream.subscribe",
     "func(self: borrow<incoming-datagram-stream>) -> pollable", wasi2_udp_incoming_subscribe},
    {"[method]outgoing-datagram-stream.subscribe",
     "func(self: borrow<outgoing-datagram-stream>) -> pollable", wasi2_udp_outgoing_subscribe},
    {"[method]incoming-datagram-stream.receive",
     "func(self: borrow<incoming-datagram-stream>, max-results: u64) -> "
     RES("list<incoming-datagram>"),
     wasi2_udp_receive},
    {"[method]outgoing-datagram-stream.check-send",
     "func(self: borrow<outgoing-datagram-stream>) -> " RES("u64"), wasi2_udp_check_send},
    {"[method]outgoing-datagram-stream.send",
     "func(self: borrow<outgoing-datagram-stream>, datagrams: list<outgoing-datagram>) -> "
     RES("u64"),
     wasi2_udp_send},
};

int wasi2_udp_define(component_linker *l, const char *iface, wasi2_fsnet_reg *reg,
                     util_error **err)
{
    wasi2_net_types *t = &reg->net;
    t->udp = component_linker_define_resource(l, iface, "udp-socket", wasi2_udp_drop, err);
    if (t->udp == NULL)
        return -1;
    t->incoming = component_linker_define_resource(l, iface, "incoming-datagram-stream",
                                                   wasi2_dgram_drop, err);
    if (t->incoming == NULL)
        return -1;
    t->outgoing = component_linker_define_resource(l, iface, "outgoing-datagram-stream",
                                                   wasi2_dgram_drop, err);
    if (t->outgoing == NULL ||
        component_linker_define_type(l, iface, "incoming-datagram",
                                     "record{data: list<u8>, remote-address: ip-socket-address}",
                                     err) < 0 ||
        component_linker_define_type(
            l, iface, "outgoing-datagram",
            "record{data: list<u8>, remote-address: option<ip-socket-address>}", err) < 0)
        return -1;
    return wasi2_fsnet_define_funcs(l, iface, udp_funcs, UTIL_ARRAY_LEN(udp_funcs), reg, err);
}
