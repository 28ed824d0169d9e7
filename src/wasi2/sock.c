/*
 * sock.c - what a tcp-socket and a udp-socket do the same way (tcp.c,
 * udp.c).
 *
 * Both socket structures start with a wasi2_sock (descriptor and address
 * family), so the methods that need nothing more (address-family, hop
 * limit, buffer sizes) are one host function serving both interfaces'
 * tables, and the steps both take alike (opening the socket, binding,
 * checking a remote address, reading an address back, polling for
 * readiness) are one helper each.  State checks stay with each kind:
 * their state machines differ.
 */
#include "net_internal.h"

#include <errno.h>
#include <poll.h>

int wasi2_sock_open(int family, int type)
{
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0 && family == AF_INET6) { /* an ipv6 socket speaks ipv6 only, as the WIT says */
        int one = 1;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    }
    return fd;
}

int wasi2_sock_bind(const wasi2_sock *s, const component_val *address, bool reuse_port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (wasi2_socket_address_from(address, s->family, &ss, &len) != 0)
        return EINVAL;
    int one = 1;
    if (reuse_port && wasi2_address_port(&ss) != 0)
        setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    return bind(s->fd, (struct sockaddr *)&ss, len) < 0 ? errno : 0;
}

bool wasi2_remote_address_from(const component_val *v, int family, struct sockaddr_storage *ss,
                               socklen_t *len)
{
    return wasi2_socket_address_from(v, family, ss, len) == 0 && wasi2_address_port(ss) != 0 &&
           !wasi2_address_unspecified(ss);
}

int wasi2_sock_address_result(component_call *call, component_val *result, int fd,
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

bool wasi2_sock_ready(int fd, short want, int *fd_out, short *events)
{
    short revents;
    if (wasi2_poll_now(fd, want, &revents) != 0)
        return true;
    *fd_out = fd;
    *events = want;
    return false;
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

static const wasi2_sock *sock_of(const component_val *args)
{
    return (const wasi2_sock *)args[0].of.resource.rep;
}

WASI2_HOST_FN(wasi2_sock_address_family)
{
    (void)env;
    (void)nargs;
    (void)call;
    *result = wv_enum(sock_of(args)->family == AF_INET ? 0 : 1);
    return 0;
}

static void hop_option(const wasi2_sock *s, int *level, int *name)
{
    *level = s->family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
    *name = s->family == AF_INET ? IP_TTL : IPV6_UNICAST_HOPS;
}

WASI2_HOST_FN(wasi2_sock_hop_limit)
{
    (void)env;
    (void)nargs;
    int level, name;
    hop_option(sock_of(args), &level, &name);
    return wasi2_sockopt_get(call, result, sock_of(args)->fd, level, name, COMPONENT_VAL_U8, 1);
}

WASI2_HOST_FN(wasi2_sock_set_hop_limit)
{
    (void)env;
    (void)nargs;
    if (args[1].of.u == 0)
        return wv_err(call, result, NE_INVALID_ARGUMENT);
    int level, name;
    hop_option(sock_of(args), &level, &name);
    return wasi2_sockopt_set(call, result, sock_of(args)->fd, level, name, args[1].of.u);
}

/* A buffer size: the option's value as the kernel reports it; zero is
 * refused, as the WIT says. */
static int buffer_size(component_call *call, component_val *result, const component_val *args,
                       int name)
{
    return wasi2_sockopt_get(call, result, sock_of(args)->fd, SOL_SOCKET, name, COMPONENT_VAL_U64,
                             1);
}

static int set_buffer_size(component_call *call, component_val *result,
                           const component_val *args, int name)
{
    if (args[1].of.u == 0)
        return wv_err(call, result, NE_INVALID_ARGUMENT);
    return wasi2_sockopt_set(call, result, sock_of(args)->fd, SOL_SOCKET, name, args[1].of.u);
}

WASI2_HOST_FN(wasi2_sock_receive_buffer_size)
{
    (void)env;
    (void)nargs;
    return buffer_size(call, result, args, SO_RCVBUF);
}

WASI2_HOST_FN(wasi2_sock_set_receive_buffer_size)
{
    (void)env;
    (void)nargs;
    return set_buffer_size(call, result, args, SO_RCVBUF);
}

WASI2_HOST_FN(wasi2_sock_send_buffer_size)
{
    (void)env;
    (void)nargs;
    return buffer_size(call, result, args, SO_SNDBUF);
}

WASI2_HOST_FN(wasi2_sock_set_send_buffer_size)
{
    (void)env;
    (void)nargs;
    return set_buffer_size(call, result, args, SO_SNDBUF);
}
