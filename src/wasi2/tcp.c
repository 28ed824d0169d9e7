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
#include <poll.h>
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
    int fd;
    int family;
    tcp_state state;
    int connect_error; /* why the connection failed, for finish-connect */
    uint64_t backlog;
} tcp_sock;

static void tcp_drop(uintptr_t rep)
{
    tcp_sock *s = (tcp_sock *)rep;
    if (s == NULL)
        return;
    if (s->fd >= 0)
        close(s->fd);
    free(s);
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
    if (!wasi2_net_allowed(call, env))
        return wv_err(call, result, NE_ACCESS_DENIED);
    int family = family_of(&args[0]);
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return wasi2_net_done(call, result, errno);
    if (family == AF_INET6) { /* an ipv6 socket speaks ipv6 only, as the WIT says */
        int one = 1;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    }
    tcp_sock *s = util_xcalloc(1, sizeof(*s));
    *s = (tcp_sock){.fd = fd, .family = family, .state = TS_UNBOUND, .backlog = 128};
    component_val v = wv_own(reg->net.tcp, s);
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
    struct sockaddr_storage ss;
    socklen_t len;
    if (wasi2_socket_address_from(&args[2], s->family, &ss, &len) != 0)
        return wv_err(call, result, NE_INVALID_ARGUMENT);
    /* A port in TIME_WAIT may be reused at once, as every other runtime allows. */
    int one = 1;
    if (wasi2_address_port(&ss) != 0)
        setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s->fd, (struct sockaddr *)&ss, len) < 0)
        return wasi2_net_done(call, result, errno);
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
    if (!wasi2_net_allowed(call, env))
        return wv_err(call, result, NE_ACCESS_DENIED);
    if (s->state != TS_UNBOUND && s->state != TS_BOUND)
        return wv_err(call, result, NE_INVALID_STATE);
    struct sockaddr_storage ss;
    socklen_t len;
    if (wasi2_socket_address_from(&args[2], s->family, &ss, &len) != 0 ||
        wasi2_address_port(&ss) == 0 || wasi2_address_unspecified(&ss))
        return wv_err(call, result, NE_INVALID_ARGUMENT);
    s->connect_error = 0;
    if (connect(s->fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
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
UTIL_UNUSED static int connect_outcome(tcp_sock *s)
{
    if (s->connect_error != 0)
        return s->connect_error;
    struct pollfd p = {.fd = s->fd, .events = POLLOUT};
    int n = poll(&p, 1, 0);
    if (n < 0)
        return errno;
    if (n == 0)
        return EAGAIN;
    int e = 0;
    socklen_t len = sizeof e;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
        return errno;
    return e;
}

static WASI2_HOST_FN(wasi2_tcp_start_listen)
{
    (void)env;
    (void)nargs;
    tcp_sock *s = self_of(args);
    if (s->state != TS_BOUND)
        return wv_err(call, result, NE_INVALID_STATE);
    int backlog = s->backlog > 4096 ? 4096 : (int)s->backlog;
    if (listen(s->fd, backlog) < 0)
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

static int address_result(component_call *call, component_val *result, int fd,
                          int (*get)(int, struct sockaddr *, socklen_t *))
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (get(fd, (struct sockaddr *)&ss, &len) < 0)
        return wasi2_net_done(call, result, errno);
    component_val v;
    if (wasi2_socket_address_val(call, &ss, &v) < 0)
        return -1;
    return wv_ok(call, result, &v);
}

static WASI2_HOST_FN(wasi2_tcp_local_address)
{
    (void)env;
    (void)nargs;
    tcp_sock *s = self_of(args);
    if (s->state == TS_UNBOUND || s->state == TS_BIND_STARTED || s->state == TS_CLOSED)
        return wv_err(call, result, NE_INVALID_STATE);
    return address_result(call, result, s->fd, getsockname);
}

static WASI2_HOST_FN(wasi2_tcp_remote_address)
{
    (void)env;
    (void)nargs;
    tcp_sock *s = self_of(args);
    if (s->state != TS_CONNECTED)
        return wv_err(call, result, NE_INVALID_STATE);
    return address_result(call, result, s->fd, getpeername);
}

static WASI2_HOST_FN(wasi2_tcp_is_listening)
{
    (void)env;
    (void)nargs;
    (void)call;
    *result = wv_bool(self_of(args)->state == TS_LISTENING);
    return 0;
}

static WASI2_HOST_FN(wasi2_tcp_address_family)
{
    (void)env;
    (void)nargs;
    (void)call;
    *result = wv_enum(self_of(args)->family == AF_INET ? 0 : 1);
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
    if (s->state == TS_LISTENING && listen(s->fd, v > 4096 ? 4096 : (int)v) < 0)
        return wasi2_net_done(call, result, errno);
    return wv_ok(call, result, NULL);
}

/* ---- options ----------------------------------------------------------- */

int wasi2_sockopt_get(component_call *call, component_val *result, int fd, int level, int name,
                      component_val_kind kind, uint64_t scale)
{
    int v = 0;
    socklen_t len = sizeof v;
    if (getsockopt(fd, level, name, &v, &len) < 0)
        return wasi2_net_done(call, result, errno);
    component_val out = {.kind = kind};
    if (kind == COMPONENT_VAL_BOOL)
        out.of.b = v != 0;
    else
        out.of.u = (uint64_t)(v < 0 ? 0 : v) * scale;
    return wv_ok(call, result, &out);
}

int wasi2_sockopt_set(component_call *call, component_val *result, int fd, int level, int name,
                      uint64_t value)
{
    int v = value > INT32_MAX ? INT32_MAX : (int)value;
    return wasi2_net_done(call, result, setsockopt(fd, level, name, &v, sizeof v) < 0 ? errno : 0);
}

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
    return wasi2_sockopt_get(call, result, self_of(args)->fd, SOL_SOCKET, SO_KEEPALIVE,
                             COMPONENT_VAL_BOOL, 1);
}

static WASI2_HOST_FN(wasi2_tcp_set_keep_alive_enabled)
{
    (void)env;
    (void)nargs;
    return wasi2_sockopt_set(call, result, self_of(args)->fd, SOL_SOCKET, SO_KEEPALIVE,
                             args[1].of.b);
}

static WASI2_HOST_FN(wasi2_tcp_keep_alive_idle_time)
{
    (void)env;
    (void)nargs;
    return wasi2_sockopt_get(call, result, self_of(args)->fd, IPPROTO_TCP, TCP_KEEPIDLE,
                             COMPONENT_VAL_U64, NS_PER_S);
}

static WASI2_HOST_FN(wasi2_tcp_set_keep_alive_idle_time)
{
    (void)env;
    (void)nargs;
    if (args[1].of.u == 0)
        return wv_err(call, result, NE_INVALID_ARGUMENT);
    return wasi2_sockopt_set(call, result, self_of(args)->fd, IPPROTO_TCP, TCP_KEEPIDLE,
                             seconds_of(args[1].of.u));
}

static WASI2_HOST_FN(wasi2_tcp_keep_alive_interval)
{
    (void)env;
    (void)nargs;
    return wasi2_sockopt_get(call, result, self_of(args)->fd, IPPROTO_TCP, TCP_KEEPINTVL,
                             COMPONENT_VAL_U64, NS_PER_S);
}

static WASI2_HOST_FN(wasi2_tcp_set_keep_alive_interval)
{
    (void)env;
    (void)nargs;
    if (args[1].of.u == 0)
        return wv_err(call, result, NE_INVALID_ARGUMENT);
    return wasi2_sockopt_set(call, result, self_of(args)->fd, IPPROTO_TCP, TCP_KEEPINTVL,
                             seconds_of(args[1].of.u));
}

static WASI2_HOST_FN(wasi2_tcp_keep_alive_count)
{
    (void)env;
    (void)nargs;
    return wasi2_sockopt_get(call, result, self_of(args)->fd, IPPROTO_TCP, TCP_KEEPCNT,
                             COMPONENT_VAL_U32, 1);
}

static WASI2_HOST_FN(wasi2_tcp_set_keep_alive_count)
{
    (void)env;
    (void)nargs;
    if (args[1].of.u == 0)
        return wv_err(call, result, NE_INVALID_ARGUMENT);
    uint64_t v = args[1].of.u > 127 ? 127 : args[1].of.u;
    return wasi2_sockopt_set(call, result, self_of(args)->fd, IPPROTO_TCP, TCP_KEEPCNT, v);
}

static void hop_option(const tcp_sock *s, int *level, int *name)
{
    *level = s->family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
    *name = s->family == AF_INET ? IP_TTL : IPV6_UNICAST_HOPS;
}

static WASI2_HOST_FN(wasi2_tcp_hop_limit)
{
    (void)env;
    (void)nargs;
    int level, name;
    hop_option(self_of(args), &level, &name);
    return wasi2_sockopt_get(call, result, self_of(args)->fd, level, name, COMPONENT_VAL_U8, 1);
}

static WASI2_HOST_FN(wasi2_tcp_set_hop_limit)
{
    (void)env;
    (void)nargs;
    if (args[1].of.u == 0)
        return wv_err(call, result, NE_INVALID_ARGUMENT);
    int level, name;
    hop_option(self_of(args), &level, &name);
    return wasi2_sockopt_set(call, result, self_of(args)->fd, level, name, args[1].of.u);
}

static WASI2_HOST_FN(wasi2_tcp_receive_buffer_size)
{
    (void)env;
    (void)nargs;
    return wasi2_sockopt_get(call, result, self_of(args)->fd, SOL_SOCKET, SO_RCVBUF,
                             COMPONENT_VAL_U64, 1);
}

static WASI2_HOST_FN(wasi2_tcp_set_receive_buffer_size)
{
    (void)env;
    (void)nargs;
    if (args[1].of.u == 0)
        return wv_err(call, result, NE_INVALID_ARGUMENT);
    return wasi2_sockopt_set(call, result, self_of(args)->fd, SOL_SOCKET, SO_RCVBUF,
                             args[1].of.u);
}

static WASI2_HOST_FN(wasi2_tcp_send_buffer_size)
{
    (void)env;
    (void)nargs;
    return wasi2_sockopt_get(call, result, self_of(args)->fd, SOL_SOCKET, SO_SNDBUF,
                             COMPONENT_VAL_U64, 1);
}

static WASI2_HOST_FN(wasi2_tcp_set_send_buffer_size)
{
    (void)env;
    (void)nargs;
    if (args[1].of.u == 0)
        return wv_err(call, result, NE_INVALID_ARGUMENT);
    return wasi2_sockopt_set(call, result, self_of(args)->fd, SOL_SOCKET, SO_SNDBUF,
                             args[1].of.u);
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
    return wasi2_net_done(call, result, shutdown(s->fd, how[t]) < 0 ? errno : 0);
}

/* ---- registration ------------------------------------------------------ */

#define SELF "self: borrow<tcp-socket>"
#define RES(t) "result<" t ", error-code>"

static const wasi2_net_func tcp_funcs[] = {
    {"[method]tcp-socket.start-bind",
     "func(" SELF ", network: borrow<network>, local-address: ip-socket-address) -> " RES("_"),
     wasi2_tcp_start_bind, false},
    {"[method]tcp-socket.finish-bind", "func(" SELF ") -> " RES("_"), wasi2_tcp_finish_bind,
     false},
    {"[method]tcp-socket.start-connect",
     "func(" SELF ", network: borrow<network>, remote-address: ip-socket-address) -> " RES("_"),
     wasi2_tcp_start_connect, false},
    {"[method]tcp-socket.start-listen", "func(" SELF ") -> " RES("_"), wasi2_tcp_start_listen,
     false},
    {"[method]tcp-socket.finish-listen", "func(" SELF ") -> " RES("_"),
     wasi2_tcp_finish_listen, false},
    {"[method]tcp-socket.local-address", "func(" SELF ") -> " RES("ip-socket-address"),
     wasi2_tcp_local_address, false},
    {"[method]tcp-socket.remote-address", "func(" SELF ") -> " RES("ip-socket-address"),
     wasi2_tcp_remote_address, false},
    {"[method]tcp-socket.is-listening", "func(" SELF ") -> bool", wasi2_tcp_is_listening, false},
    {"[method]tcp-socket.address-family", "func(" SELF ") -> ip-address-family",
     wasi2_tcp_address_family, false},
    {"[method]tcp-socket.set-listen-backlog-size", "func(" SELF ", value: u64) -> " RES("_"),
     wasi2_tcp_set_listen_backlog_size, false},
    {"[method]tcp-socket.keep-alive-enabled", "func(" SELF ") -> " RES("bool"),
     wasi2_tcp_keep_alive_enabled, false},
    {"[method]tcp-socket.set-keep-alive-enabled", "func(" SELF ", value: bool) -> " RES("_"),
     wasi2_tcp_set_keep_alive_enabled, false},
    {"[method]tcp-socket.keep-alive-idle-time", "func(" SELF ") -> " RES("duration"),
     wasi2_tcp_keep_alive_idle_time, false},
    {"[method]tcp-socket.set-keep-alive-idle-time",
     "func(" SELF ", value: duration) -> " RES("_"), wasi2_tcp_set_keep_alive_idle_time, false},
    {"[method]tcp-socket.keep-alive-interval", "func(" SELF ") -> " RES("duration"),
     wasi2_tcp_keep_alive_interval, false},
    {"[method]tcp-socket.set-keep-alive-interval",
     "func(" SELF ", value: duration) -> " RES("_"), wasi2_tcp_set_keep_alive_interval, false},
    {"[method]tcp-socket.keep-alive-count", "func(" SELF ") -> " RES("u32"),
     wasi2_tcp_keep_alive_count, false},
    {"[method]tcp-socket.set-keep-alive-count", "func(" SELF ", value: u32) -> " RES("_"),
     wasi2_tcp_set_keep_alive_count, false},
    {"[method]tcp-socket.hop-limit", "func(" SELF ") -> " RES("u8"), wasi2_tcp_hop_limit, false},
    {"[method]tcp-socket.set-hop-limit", "func(" SELF ", value: u8) -> " RES("_"),
     wasi2_tcp_set_hop_limit, false},
    {"[method]tcp-socket.receive-buffer-size", "func(" SELF ") -> " RES("u64"),
     wasi2_tcp_receive_buffer_size, false},
    {"[method]tcp-socket.set-receive-buffer-size", "func(" SELF ", value: u64) -> " RES("_"),
     wasi2_tcp_set_receive_buffer_size, false},
    {"[method]tcp-socket.send-buffer-size", "func(" SELF ") -> " RES("u64"),
     wasi2_tcp_send_buffer_size, false},
    {"[method]tcp-socket.set-send-buffer-size", "func(" SELF ", value: u64) -> " RES("_"),
     wasi2_tcp_set_send_buffer_size, false},
    {"[method]tcp-socket.shutdown", "func(" SELF ", shutdown-type: shutdown-type) -> " RES("_"),
     wasi2_tcp_shutdown, false},
};

int wasi2_tcp_define(component_linker *l, const char *iface, wasi2_fsnet_reg *reg,
                     util_error **err)
{
    reg->net.tcp = component_linker_define_resource(l, iface, "tcp-socket", tcp_drop, err);
    if (reg->net.tcp == NULL ||
        component_linker_define_type(l, iface, "shutdown-type", "enum{receive, send, both}",
                                     err) < 0 ||
        component_linker_define_type(l, iface, "duration", "u64", err) < 0)
        return -1;
    return wasi2_net_define_funcs(l, iface, tcp_funcs, UTIL_ARRAY_LEN(tcp_funcs), reg, err);
}
