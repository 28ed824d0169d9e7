/*
 * net_internal.h - private to wasi:sockets (sockets.c, tcp.c, udp.c):
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
/* The destructors of the resources (tests call them for what they own). */
void wasi2_tcp_drop(uintptr_t rep);
void wasi2_udp_drop(uintptr_t rep);
void wasi2_dgram_drop(uintptr_t rep);
void wasi2_resolve_stream_drop(uintptr_t rep);
WASI2_HOST_FN(wasi2_udp_create);

/* A socket option as a result<u64, error-code> / a setter's result. */
int wasi2_sockopt_get(component_call *call, component_val *result, int fd, int level, int name,
                      component_val_kind kind, uint64_t scale);
int wasi2_sockopt_set(component_call *call, component_val *result, int fd, int level, int name,
                      uint64_t value);

#endif
