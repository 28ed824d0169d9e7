/*
 * tcp.c - wasi:sockets/tcp and tcp-create-socket.
 *
 * A tcp-socket is a non-blocking host socket plus the state machine the
 * WIT describes (unbound -> bind-in-progress -> bound -> listen-in-progress
 * -> listening; unbound/bound -> connect-in-progress -> connected or
 * closed).  start-* does the system call, finish-* only moves the state
 * (finish-connect asks the kernel whether the connection is up, answering
 * would-block until it is), so a guest that polls in between works and
 * one that calls them back to back does too.  Calls in the wrong state are
 * invalid-state / not-in-progress, as the WIT says.
 *
 * Nothing here runs unless networking is allowed: create-tcp-socket is
 * the only way to a socket and it answers access-denied otherwise (and
 * bind and connect check again, the network handle notwithstanding).
 */
#include "net_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

typedef enum {
    TS_UNBOUND,
    TS_BIND_STARTED,
    TS_BOUND,
    TS_CONNECTING,
    TS_CONNECTED,
    TS_LISTEN_STARTED,
    TS_LISTENING,
    TS_CLOSED,
} tcp_state;

typedef struct tcp_sock {
    wasi2_sock net; /* first: the methods sock.c serves */
    tcp_state state;
    int connect_error; /* why the connection failed, for finish-connect */
    uint64_t backlog;
    unsigned refs; /* the guest's handle and each pollable */
} tcp_sock;

static void tcp_unref(void *p)
{
    tcp_sock *s = p;
    if (--s->refs > 0)
        return;
    if (s->net.fd >= 0)
        close(s->net.fd);
    free(s);
}

void wasi2_tcp_drop(uintptr_t rep)
{
    if (rep != 0)
        tcp_unref((void *)rep);
}

static tcp_sock *tcp_new(int fd, int family, tcp_state state)
{
    tcp_sock *s = util_xcalloc(1, sizeof(*s));
    *s = (tcp_sock){
        .net = {.fd = fd, .family = family}, .state = state, .backlog = 128, .refs = 1};
    return s;
}

/* ---- the streams of a connection --------------------------------------- */

/* A wasi:io stream over one direction of a connected socket, on its own
 * dup of it (the streams outlive the tcp-socket handle if the guest drops
 * that first).  Non-blocking: recv/send, and poll(2) says when it is
 * ready; send never raises SIGPIPE (a peer gone is the stream's end). */
typedef struct conn_stream {
    int fd;
} conn_stream;

/* A permit is what the send buffer has room for now (at most 64 KiB, at
 * least 1 KiB once poll(2) says writable), so a write within it rarely has
 * to wait for the peer. */
#define CONN_WRITE_PERMIT_MAX (64 * 1024)
#define CONN_WRITE_PERMIT_MIN 1024

static ssize_t send_room(int fd)
{
    int sndbuf = 0, queued = 0;
    socklen_t len = sizeof sndbuf;
    if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len) < 0 ||
        ioctl(fd, SIOCOUTQ, &queued) < 0)
        return CONN_WRITE_PERMIT_MIN;
    /* Linux reports twice the payload room (the rest is bookkeeping). */
    ssize_t room = (ssize_t)sndbuf / 2 - queued;
    if (room < CONN_WRITE_PERMIT_MIN)
        return CONN_WRITE_PERMIT_MIN;
    return room > CONN_WRITE_PERMIT_MAX ? CONN_WRITE_PERMIT_MAX : room;
}

static ssize_t conn_read(void *self, void *buf, size_t len)
{
    conn_stream *c = self;
    for (;;) {
        ssize_t n = recv(c->fd, buf, len, MSG_DONTWAIT);
        if (n > 0)
            return n;
        if (n == 0)
            return WASI2_STREAM_CLOSED;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        if (errno == ECONNRESET || errno == ENOTCONN)
            return WASI2_STREAM_CLOSED;
        return -1;
    }
}

static ssize_t conn_check_write(void *self)
{
    conn_stream *c = self;
    short rev;
    if (wasi2_poll_now(c->fd, POLLOUT, &rev) == 0)
        return 0;
    if (rev & POLLERR) {
        int e = 0;
        socklen_t len = sizeof e;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &len);
        errno = e ? e : EPIPE;
        return e == EPIPE || e == ECONNRESET || e == 0 ? WASI2_STREAM_CLOSED : -1;
    }
    if (rev & POLLHUP)
        return WASI2_STREAM_CLOSED;
    return send_room(c->fd);
}

static ssize_t conn_write(void *self, const void *buf, size_t len)
{
    conn_stream *c = self;
    static const uint8_t zeroes[4096];
    while (len > 0) {
        size_t chunk = buf || len < sizeof(zeroes) ? len : sizeof(zeroes);
        ssize_t n = send(c->fd, buf ? buf : zeroes, chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
            return WASI2_STREAM_CLOSED;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* the permit said there was room; the rest of it comes soon */
            struct pollfd p = {.fd = c->fd, .events = POLLOUT};
            (void)poll(&p, 1, -1);
            continue;
        }
        if (n < 0)
            return -1;
        len -= (size_t)n;
        if (buf)
            buf = (const uint8_t *)buf + n;
    }
    return 0;
}

static bool conn_ready_in(void *self, int *fd, short *events)
{
    return wasi2_sock_ready(((conn_stream *)self)->fd, POLLIN, fd, events);
}

static bool conn_ready_out(void *self, int *fd, short *events)
{
    return wasi2_sock_ready(((conn_stream *)self)->fd, POLLOUT, fd, events);
}

static void conn_close(void *self)
{
    conn_stream *c = self;
    close(c->fd);
    free(c);
}

static const wasi2_stream_ops conn_input_ops = {
    .name = "tcp",
    .read = conn_read,
    .ready = conn_ready_in,
    .close = conn_close,
};

static const wasi2_stream_ops conn_output_ops = {
    .name = "tcp",
    .check_write = conn_check_write,
    .write = conn_write,
    .ready = conn_ready_out,
    .close = conn_close,
};

/* (input-stream, output-stream) of a connected socket into f[0], f[1];
 * an errno if the descriptor cannot be duplicated. */
static int conn_streams(const wasi2_fsnet_reg *reg, int fd, component_val *f)
{
    int in = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (in < 0)
        return errno;
    int out = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (out < 0) {
        int e = errno;
        close(in);
        return e;
    }
    conn_stream *ci = util_xcalloc(1, sizeof(*ci)), *co = util_xcalloc(1, sizeof(*co));
    ci->fd = in;
    co->fd = out;
    f[0] = wasi2_own(reg->host->input_stream, wasi2_stream_new(&conn_input_ops, ci));
    f[1] = wasi2_own(reg->host->output_stream, wasi2_stream_new(&conn_output_ops, co));
    return 0;
}

static tcp_sock *self_of(const component_val *args)
{
    return (tcp_sock *)args[0].of.resource.rep;
}

static int family_of(const component_val *v)
{
    return v->of.variant.disc == 0 ? AF_INET : AF_INET6;
}

WASI2_HOST_FN(wasi2_tcp_create)
{
    (void)nargs;
    const wasi2_fsnet_reg *reg = env;
    if (!wasi2_net_create_allowed(call, env))
        return wv_err(call, result, NE_ACCESS_DENIED);
    int family = family_of(&args[0]);
    int fd = wasi2_sock_open(family, SOCK_STREAM);
    if (fd < 0)
        return wasi2_net_done(call, result, errno);
    tcp_sock *s = tcp_new(fd, family, TS_UNBOUND);
    component_val v = wasi2_own(reg->net.tcp, s);
    return wv_ok(call, result, &v);
}

static WASI2_HOST_FN(wasi2_tcp_start_bind)
{
    (void)nargs;
    tcp_sock *s = self_of(args);
    if (!wasi2_net_allowed(call, env))
        return wv_err(call, result, NE_ACCESS_DENIED);
    if (s->state != TS_UNBOUND)
        return wv_err(call, result, NE_INVALID_STATE);
    /* A port in TIME_WAIT may be reused at once, as every other runtime allows. */
    int e = wasi2_sock_bind(&s->net, &args[2], true);
    if (e != 0)
        return wasi2_net_done(call, result, e);
    s->state = TS_BIND_STARTED;
    return wv_ok(call, result, NULL);
}

static WASI2_HOST_FN(wasi2_tcp_finish_bind)
{
    (void)env;
    (void)nargs;
    tcp_sock *s = self_of(args);
    if (s->state != TS_BIND_STARTED)
        return wv_err(call, result, NE_NOT_IN_PROGRESS);
    s->state = TS_BOUND;
    return wv_ok(call, result, NULL);
}

static WASI2_HOST_FN(wasi2_tcp_start_connect)
{
    (void)nargs;
    tcp_sock *s = self_of(args);
    if (!wasi2_net_create_allowed(call, env))
        return wv_err(call, result, NE_ACCESS_DENIED);
    if (s->state != TS_UNBOUND && s->state != TS_BOUND)
        return wv_err(call, result, NE_INVALID_STATE);
    struct sockaddr_storage ss;
    socklen_t len;
    if (!wasi2_remote_address_from(&args[2], s->net.family, &ss, &len))
        return wv_err(call, result, NE_INVALID_ARGUMENT);
    if (!wasi2_net_addr_allowed(call, env, "tcp", &ss))
        return wv_err(call, result, NE_ACCESS_DENIED);
    s->connect_error = 0;
    if (connect(s->net.fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
        int e = errno;
        if (e == EACCES || e == EPERM || e == EINVAL || e == EAFNOSUPPORT)
            return wasi2_net_done(call, result, e); /* nothing started */
        s->connect_error = e; /* refused at once: finish-connect tells */
    }
    s->state = TS_CONNECTING;
    return wv_ok(call, result, NULL);
}

/* Whether the connection attempt has ended: 0 connected, an errno if it
 * failed, EAGAIN while it is still under way. */
static int connect_outcome(tcp_sock *s)
{
    if (s->connect_error != 0)
        return s->connect_error;
    struct pollfd p = {.fd = s->net.fd, .events = POLLOUT};
    int n = poll(&p, 1, 0);
    if (n < 0)
        return errno;
    if (n == 0)
        return EAGAIN;
    int e = 0;
    socklen_t len = sizeof e;
    if (getsockopt(s->net.fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
        return errno;
    return e;
}

static WASI2_HOST_FN(wasi2_tcp_finish_connect)
{
    const wasi2_fsnet_reg *reg = env;
    tcp_sock *s = self_of(args);
    if (s->state != TS_CONNECTING)
        return wv_err(call, result, NE_NOT_IN_PROGRESS);
    int e = connect_outcome(s);
    if (e == EAGAIN || e == EINPROGRESS || e == EALREADY)
        return wv_err(call, result, NE_WOULD_BLOCK);
    component_val *f = component_call_vals(call, 3);
    if (f == NULL)
        return component_call_trap(call, "out of memory for a result");
    if (e == 0)
        e = conn_streams(reg, s->net.fd, f);
    if (e != 0) {
        s->state = TS_CLOSED;
        return wasi2_net_done(call, result, e);
    }
    s->state = TS_CONNECTED;
    f[2] = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {f, 2}};
    return wv_ok(call, result, &f[2]);
}

static WASI2_HOST_FN(wasi2_tcp_accept)
{
    const wasi2_fsnet_reg *reg = env;
    tcp_sock *s = self_of(args);
    if (s->state != TS_LISTENING)
        return wv_err(call, result, NE_INVALID_STATE);
    int fd;
    do {
        fd = accept4(s->net.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return wasi2_net_done(call, result,
                              errno == EWOULDBLOCK ? EAGAIN : errno);
    component_val *f = component_call_vals(call, 4);
    if (f == NULL) {
        close(fd);
        return component_call_trap(call, "out of memory for a result");
    }
    int e = conn_streams(reg, fd, &f[1]);
    if (e != 0) {
        close(fd);
        return wasi2_net_done(call, result, e);
    }
    f[0] = wasi2_own(reg->net.tcp, tcp_new(fd, s->net.family, TS_CONNECTED));
    f[3] = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {f, 3}};
    return wv_ok(call, result, &f[3]);
}

/* subscribe: ready when the step the socket waits for can be finished
 * (a connection attempt ended, a connection to accept); otherwise at once. */
static bool tcp_ready(void *self, int *fd, short *events)
{
    tcp_sock *s = self;
    short want = s->state == TS_CONNECTING ? POLLOUT : s->state == TS_LISTENING ? POLLIN : 0;
    if (want == 0 || s->connect_error != 0)
        return true;
    return wasi2_sock_ready(s->net.fd, want, fd, events);
}

static WASI2_HOST_FN(wasi2_tcp_subscribe)
{
    const wasi2_fsnet_reg *reg = env;
    tcp_sock *s = self_of(args);
    s->refs++;
    *result = wasi2_own(reg->host->pollable, wasi2_pollable_ready_when_owned(tcp_ready, tcp_unref, s));
    return 0;
}

static WASI2_HOST_FN(wasi2_tcp_start_listen)
{
    (void)env;
    (void)nargs;
    tcp_sock *s = self_of(args);
    if (s->state != TS_BOUND)
        return wv_err(call, result, NE_INVALID_STATE);
    int backlog = s->backlog > 4096 ? 4096 : (int)s->backlog;
    if (listen(s->net.fd, backlog) < 0)
        return wasi2_net_done(call, result, errno);
    s->state = TS_LISTEN_STARTED;
    return wv_ok(call, result, NULL);
}

static WASI2_HOST_FN(wasi2_tcp_finish_listen)
{
    (void)env;
    (void)nargs;
    tcp_sock *s = self_of(args);
    if (s->state != TS_LISTEN_STARTED)
        return wv_err(call, result, NE_NOT_IN_PROGRESS);
    s->state = TS_LISTENING;
    return wv_ok(call, result, NULL);
}

static WASI2_HOST_FN(wasi2_tcp_local_address)
{
    (void)env;
    (void)nargs;
    tcp_sock *s = self_of(args);
    if (s->state == TS_UNBOUND || s->state == TS_BIND_STARTED || s->state == TS_CLOSED)
        return wv_err(call, result, NE_INVALID_STATE);
    return wasi2_sock_address_result(call, result, s->net.fd, getsockname);
}

static WASI2_HOST_FN(wasi2_tcp_remote_address)
{
    (void)env;
    (void)nargs;
    tcp_sock *s = self_of(args);
    if (s->state != TS_CONNECTED)
        return wv_err(call, result, NE_INVALID_STATE);
    return wasi2_sock_address_result(call, result, s->net.fd, getpeername);
}

static WASI2_HOST_FN(wasi2_tcp_is_listening)
{
    (void)env;
    (void)nargs;
    (void)call;
    *result = wv_bool(self_of(args)->state == TS_LISTENING);
    return 0;
}

static WASI2_HOST_FN(wasi2_tcp_set_listen_backlog_size)
{
    (void)env;
    (void)nargs;
    tcp_sock *s = self_of(args);
    uint64_t v = args[1].of.u;
    if (v == 0)
        return wv_err(call, result, NE_INVALID_ARGUMENT);
    if (s->state == TS_CONNECTING || s->state == TS_CONNECTED)
        return wv_err(call, result, NE_INVALID_STATE);
    s->backlog = v;
    if (s->state == TS_LISTENING && listen(s->net.fd, v > 4096 ? 4096 : (int)v) < 0)
        return wasi2_net_done(call, result, errno);
    return wv_ok(call, result, NULL);
}

/* ---- options ----------------------------------------------------------- */

#define NS_PER_S UINT64_C(1000000000)

/* A duration option in whole seconds, rounded up, at least 1; the kernel
 * takes at most 32767. */
static uint64_t seconds_of(uint64_t ns)
{
    uint64_t s = ns / NS_PER_S + (ns % NS_PER_S != 0);
    return s > 32767 ? 32767 : s;
}

static WASI2_HOST_FN(wasi2_tcp_keep_alive_enabled)
{
    (void)env;
    (void)nargs;
    return wasi2_sockopt_get(call, result, self_of(args)->net.fd, SOL_SOCKET, SO_KEEPALIVE,
                             COMPONENT_VAL_BOOL, 1);
}

static WASI2_HOST_FN(wasi2_tcp_set_keep_alive_enabled)
{
    (void)env;
    (void)nargs;
    return wasi2_sockopt_set(call, result, self_of(args)->net.fd, SOL_SOCKET, SO_KEEPALIVE,
                             args[1].of.b);
}

static WASI2_HOST_FN(wasi2_tcp_keep_alive_idle_time)
{
    (void)env;
    (void)nargs;
    return wasi2_sockopt_get(call, result, self_of(args)->net.fd, IPPROTO_TCP, TCP_KEEPIDLE,
                             COMPONENT_VAL_U64, NS_PER_S);
}

static WASI2_HOST_FN(wasi2_tcp_set_keep_alive_idle_time)
{
    (void)env;
    (void)nargs;
    if (args[1].of.u == 0)
        return wv_err(call, result, NE_INVALID_ARGUMENT);
    return wasi2_sockopt_set(call, result, self_of(args)->net.fd, IPPROTO_TCP, TCP_KEEPIDLE,
                             seconds_of(args[1].of.u));
}

static WASI2_HOST_FN(wasi2_tcp_keep_alive_interval)
{
    (void)env;
    (void)nargs;
    return wasi2_sockopt_get(call, result, self_of(args)->net.fd, IPPROTO_TCP, TCP_KEEPINTVL,
                             COMPONENT_VAL_U64, NS_PER_S);
}

static WASI2_HOST_FN(wasi2_tcp_set_keep_alive_interval)
{
    (void)env;
    (void)nargs;
    if (args[1].of.u == 0)
        return wv_err(call, result, NE_INVALID_ARGUMENT);
    return wasi2_sockopt_set(call, result, self_of(args)->net.fd, IPPROTO_TCP, TCP_KEEPINTVL,
                             seconds_of(args[1].of.u));
}

static WASI2_HOST_FN(wasi2_tcp_keep_alive_count)
{
    (void)env;
    (void)nargs;
    return wasi2_sockopt_get(call, result, self_of(args)->net.fd, IPPROTO_TCP, TCP_KEEPCNT,
                             COMPONENT_VAL_U32, 1);
}

static WASI2_HOST_FN(wasi2_tcp_set_keep_alive_count)
{
    (void)env;
    (void)nargs;
    if (args[1].of.u == 0)
        return wv_err(call, result, NE_INVALID_ARGUMENT);
    uint64_t v = args[1].of.u > 127 ? 127 : args[1].of.u;
    return wasi2_sockopt_set(call, result, self_of(args)->net.fd, IPPROTO_TCP, TCP_KEEPCNT, v);
}

static WASI2_HOST_FN(wasi2_tcp_shutdown)
{
    (void)env;
    (void)nargs;
    tcp_sock *s = self_of(args);
    if (s->state != TS_CONNECTED)
        return wv_err(call, result, NE_INVALID_STATE);
    static const int how[] = {SHUT_RD, SHUT_WR, SHUT_RDWR};
    uint32_t t = args[1].of.variant.disc;
    if (t >= UTIL_ARRAY_LEN(how))
        return wv_err(call, result, NE_INVALID_ARGUMENT);
    return wasi2_net_done(call, result, shutdown(s->net.fd, how[t]) < 0 ? errno : 0);
}

/* ---- registration ------------------------------------------------------ */

#define SELF "self: borrow<tcp-socket>"
#define RES(t) "result<" t ", error-code>"

static const wasi2_func tcp_funcs[] = {
    {"[method]tcp-socket.start-bind",
     "func(" SELF ", network: borrow<network>, local-address: ip-socket-address) -> " RES("_"),
     wasi2_tcp_start_bind},
    {"[method]tcp-socket.finish-bind", "func(" SELF ") -> " RES("_"), wasi2_tcp_finish_bind},
    {"[method]tcp-socket.start-connect",
     "func(" SELF ", network: borrow<network>, remote-address: ip-socket-address) -> " RES("_"),
     wasi2_tcp_start_connect},
    {"[method]tcp-socket.finish-connect",
     "func(" SELF ") -> " RES("tuple<input-stream, output-stream>"), wasi2_tcp_finish_connect},
    {"[method]tcp-socket.accept",
     "func(" SELF ") -> " RES("tuple<tcp-socket, input-stream, output-stream>"),
     wasi2_tcp_accept},
    {"[method]tcp-socket.subscribe", "func(" SELF ") -> pollable", wasi2_tcp_subscribe},
    {"[method]tcp-socket.start-listen", "func(" SELF ") -> " RES("_"), wasi2_tcp_start_listen},
    {"[method]tcp-socket.finish-listen", "func(" SELF ") -> " RES("_"),
     wasi2_tcp_finish_listen},
    {"[method]tcp-socket.local-address", "func(" SELF ") -> " RES("ip-socket-address"),
     wasi2_tcp_local_address},
    {"[method]tcp-socket.remote-address", "func(" SELF ") -> " RES("ip-socket-address"),
     wasi2_tcp_remote_address},
    {"[method]tcp-socket.is-listening", "func(" SELF ") -> bool", wasi2_tcp_is_listening},
    {"[method]tcp-socket.address-family", "func(" SELF ") -> ip-address-family",
     wasi2_sock_address_family},
    {"[method]tcp-socket.set-listen-backlog-size", "func(" SELF ", value: u64) -> " RES("_"),
     wasi2_tcp_set_listen_backlog_size},
    {"[method]tcp-socket.keep-alive-enabled", "func(" SELF ") -> " RES("bool"),
     wasi2_tcp_keep_alive_enabled},
    {"[method]tcp-socket.set-keep-alive-enabled", "func(" SELF ", value: bool) -> " RES("_"),
     wasi2_tcp_set_keep_alive_enabled},
    {"[method]tcp-socket.keep-alive-idle-time", "func(" SELF ") -> " RES("duration"),
     wasi2_tcp_keep_alive_idle_time},
    {"[method]tcp-socket.set-keep-alive-idle-time",
     "func(" SELF ", value: duration) -> " RES("_"), wasi2_tcp_set_keep_alive_idle_time},
    {"[method]tcp-socket.keep-alive-interval", "func(" SELF ") -> " RES("duration"),
     wasi2_tcp_keep_alive_interval},
    {"[method]tcp-socket.set-keep-alive-interval",
     "func(" SELF ", value: duration) -> " RES("_"), wasi2_tcp_set_keep_alive_interval},
    {"[method]tcp-socket.keep-alive-count", "func(" SELF ") -> " RES("u32"),
     wasi2_tcp_keep_alive_count},
    {"[method]tcp-socket.set-keep-alive-count", "func(" SELF ", value: u32) -> " RES("_"),
     wasi2_tcp_set_keep_alive_count},
    {"[method]tcp-socket.hop-limit", "func(" SELF ") -> " RES("u8"), wasi2_sock_hop_limit},
    {"[method]tcp-socket.set-hop-limit", "func(" SELF ", value: u8) -> " RES("_"),
     wasi2_sock_set_hop_limit},
    {"[method]tcp-socket.receive-buffer-size", "func(" SELF ") -> " RES("u64"),
     wasi2_sock_receive_buffer_size},
    {"[method]tcp-socket.set-receive-buffer-size", "func(" SELF ", value: u64) -> " RES("_"),
     wasi2_sock_set_receive_buffer_size},
    {"[method]tcp-socket.send-buffer-size", "func(" SELF ") -> " RES("u64"),
     wasi2_sock_send_buffer_size},
    {"[method]tcp-socket.set-send-buffer-size", "func(" SELF ", value: u64) -> " RES("_"),
     wasi2_sock_set_send_buffer_size},
    {"[method]tcp-socket.shutdown", "func(" SELF ", shutdown-type: shutdown-type) -> " RES("_"),
     wasi2_tcp_shutdown},
};

const wasi2_func_table wasi2_tcp_table = {tcp_funcs, UTIL_ARRAY_LEN(tcp_funcs)};

int wasi2_tcp_define(component_linker *l, const char *iface, wasi2_fsnet_reg *reg,
                     util_error **err)
{
    reg->net.tcp = component_linker_define_resource(l, iface, "tcp-socket", wasi2_tcp_drop, err);
    if (reg->net.tcp == NULL ||
        component_linker_define_type(l, iface, "shutdown-type", "enum{receive, send, both}",
                                     err) < 0 ||
        component_linker_define_type(l, iface, "duration", "u64", err) < 0)
        return -1;
    return wasi2_fsnet_define_funcs(l, iface, tcp_funcs, UTIL_ARRAY_LEN(tcp_funcs), reg, err);
}
