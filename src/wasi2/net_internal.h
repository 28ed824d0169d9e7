/*
 * net_internal.h - private to wasi:sockets (sockets.c, sock.c, tcp.c, udp.c):
 * address conversions, error results and the per-interface registration
 * tables.
 */
#ifndef WASI2_NET_INTERNAL_H
#define WASI2_NET_INTERNAL_H

#include "fsnet.h"

#include <netinet/in.h>
#include <sys/socket.h>

/* result<_, error-code> from an errno (0: ok). */
int wasi2_net_done(component_call *call, component_val *result, int e);
/* Whether the context of this call lets the guest use the network. */
bool wasi2_net_allowed(component_call *call, void *env);
/* Sockets where the network is off but the embedder has an outbound
 * policy (Spin's allowed_outbound_hosts gates wasi:sockets as it gates
 * HTTP, with the schemes Spin's socket check uses): creating a TCP or UDP
 * socket is then allowed; a TCP connect goes only where the policy
 * allows scheme "tcp", and a UDP bind, connect (`stream` with a remote
 * address) or datagram sent to an address only where it allows "udp"
 * (a policy like Spin's matches `tcp://` / `udp://` and `*://` entries).
 * Binding a TCP socket (and so listening) and name lookup stay
 * access-denied, as in Spin. */
bool wasi2_net_create_allowed(component_call *call, void *env);
bool wasi2_net_addr_allowed(component_call *call, void *env, const char *scheme,
                            const struct sockaddr_storage *ss);

/* ip-address of a raw in_addr / in6_addr. */
int wasi2_ip_address_val(component_call *call, int family, const void *raw, component_val *out);
/* ip-socket-address of a sockaddr_in / sockaddr_in6. */
int wasi2_socket_address_val(component_call *call, const struct sockaddr_storage *ss,
                             component_val *out);
/* An ip-socket-address value as a sockaddr; EINVAL when it is not of
 * `family`. */
int wasi2_socket_address_from(const component_val *v, int family, struct sockaddr_storage *ss,
                              socklen_t *len);
bool wasi2_address_unspecified(const struct sockaddr_storage *ss);
uint16_t wasi2_address_port(const struct sockaddr_storage *ss);

/* A wasi:io pollable ready when ready(self) says so (NULL: always);
 * `drop` (may be NULL) releases self when the pollable goes. */
wasi2_pollable *wasi2_pollable_ready_when(bool (*ready)(void *self, int *fd, short *events),
                                          void *self);
wasi2_pollable *wasi2_pollable_ready_when_owned(bool (*ready)(void *self, int *fd, short *events),
                                                void (*drop)(void *self), void *self);

/* tcp.c and udp.c: their resources and methods in interface `iface`, the
 * network types already defined there. */
int wasi2_tcp_define(component_linker *l, const char *iface, wasi2_fsnet_reg *reg,
                     util_error **err);
int wasi2_udp_define(component_linker *l, const char *iface, wasi2_fsnet_reg *reg,
                     util_error **err);
WASI2_HOST_FN(wasi2_tcp_create);
WASI2_HOST_FN(wasi2_net_instance_network);
/* tcp-socket's 0.2 methods, which the pre-release names reuse (rc_fsnet.c). */
extern const wasi2_func_table wasi2_tcp_table;
/* The destructors of the resources (tests call them for what they own). */
void wasi2_tcp_drop(uintptr_t rep);
void wasi2_udp_drop(uintptr_t rep);
void wasi2_dgram_drop(uintptr_t rep);
void wasi2_resolve_stream_drop(uintptr_t rep);
WASI2_HOST_FN(wasi2_udp_create);

/* ---- sock.c: what tcp and udp sockets share ---------------------------- */

/* The head of a tcp_sock and a udp_sock (their first member), so that the
 * methods needing only these serve both resources. */
typedef struct wasi2_sock {
    int fd;
    int family;
} wasi2_sock;

/* A non-blocking socket of `type`; an ipv6 one speaks ipv6 only.  -1 and
 * errno on failure. */
int wasi2_sock_open(int family, int type);
/* bind(2) to an ip-socket-address value (SO_REUSEADDR first when
 * reuse_port and the port is not 0): 0 or an errno (EINVAL: the address
 * is not of the socket's family). */
int wasi2_sock_bind(const wasi2_sock *s, const component_val *address, bool reuse_port);
/* An address to send to or connect to: of `family`, a port, specified. */
bool wasi2_remote_address_from(const component_val *v, int family, struct sockaddr_storage *ss,
                               socklen_t *len);
/* result<ip-socket-address, error-code> of getsockname / getpeername. */
int wasi2_sock_address_result(component_call *call, component_val *result, int fd,
                              int (*get)(int, struct sockaddr *, socklen_t *));
/* A pollable's readiness on fd: ready now, or the fd and events to wait on. */
bool wasi2_sock_ready(int fd, short want, int *fd_out, short *events);

/* A socket option as a result<u64, error-code> / a setter's result. */
int wasi2_sockopt_get(component_call *call, component_val *result, int fd, int level, int name,
                      component_val_kind kind, uint64_t scale);
int wasi2_sockopt_set(component_call *call, component_val *result, int fd, int level, int name,
                      uint64_t value);

/* Methods of both socket resources (self: a wasi2_sock). */
WASI2_HOST_FN(wasi2_sock_address_family);
WASI2_HOST_FN(wasi2_sock_hop_limit);
WASI2_HOST_FN(wasi2_sock_set_hop_limit);
WASI2_HOST_FN(wasi2_sock_receive_buffer_size);
WASI2_HOST_FN(wasi2_sock_set_receive_buffer_size);
WASI2_HOST_FN(wasi2_sock_send_buffer_size);
WASI2_HOST_FN(wasi2_sock_set_send_buffer_size);

#endif
