/*
 * sockets.c - wasi:sockets/network, instance-network and ip-name-lookup,
 * the address conversions tcp.c and udp.c share, the error codes, and
 * the registration of all seven sockets interfaces (0.2.12).
 *
 * Networking is the embedder's decision (wasi2_config.allow_network, off
 * by default; with it off, an outbound_allowed policy still lets TCP
 * and UDP clients reach what it allows, see net_internal.h).  Every interface is registered either way so that
 * components importing wasi:sockets link; with networking off, every call
 * that would create a socket or reach the network (socket creation, bind,
 * connect, name lookup) answers access-denied before any system call.
 * With no socket to be had, the socket methods are then unreachable.
 *
 * The network resource carries nothing: the context decides, at each
 * call.  Name lookup is getaddrinfo, done when resolve-addresses is
 * called (the guest waits for it); the stream then hands out the
 * addresses one by one.
 */
#include "fsnet.h"
#include "net_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>

/* ---- error codes ------------------------------------------------------- */

const char *const wasi2_net_error_names[NE_COUNT] = {
    "unknown", "access-denied", "not-supported", "invalid-argument", "out-of-memory",
    "timeout", "concurrency-conflict", "not-in-progress", "would-block", "invalid-state",
    "new-socket-limit", "address-not-bindable", "address-in-use", "remote-unreachable",
    "connection-refused", "connection-reset", "connection-aborted", "datagram-too-large",
    "name-unresolvable", "temporary-resolver-failure", "permanent-resolver-failure",
};

wasi2_net_error wasi2_net_error_from_errno(int e)
{
    switch (e) {
    case EACCES: case EPERM: return NE_ACCESS_DENIED;
    case EOPNOTSUPP: case EAFNOSUPPORT: case EPROTONOSUPPORT: case ENOPROTOOPT:
        return NE_NOT_SUPPORTED;
    case EINVAL: case EDESTADDRREQ: return NE_INVALID_ARGUMENT;
    case ENOMEM: case ENOBUFS: return NE_OUT_OF_MEMORY;
    case ETIMEDOUT: return NE_TIMEOUT;
    case EALREADY: return NE_CONCURRENCY_CONFLICT;
    case EAGAIN: case EINPROGRESS: return NE_WOULD_BLOCK;
    case EISCONN: case ENOTCONN: return NE_INVALID_STATE;
    case EMFILE: case ENFILE: return NE_NEW_SOCKET_LIMIT;
    case EADDRNOTAVAIL: return NE_ADDRESS_NOT_BINDABLE;
    case EADDRINUSE: return NE_ADDRESS_IN_USE;
    case EHOSTUNREACH: case ENETUNREACH: case ENETDOWN: return NE_REMOTE_UNREACHABLE;
    case ECONNREFUSED: return NE_CONNECTION_REFUSED;
    case ECONNRESET: case EPIPE: return NE_CONNECTION_RESET;
    case ECONNABORTED: return NE_CONNECTION_ABORTED;
    case EMSGSIZE: return NE_DATAGRAM_TOO_LARGE;
    default: return NE_UNKNOWN;
    }
}

int wasi2_net_done(component_call *call, component_val *result, int e)
{
    if (e != 0)
        return wv_err(call, result, wasi2_net_error_from_errno(e));
    return wv_ok(call, result, NULL);
}

bool wasi2_net_allowed(component_call *call, void *env)
{
    return wasi2_fsnet_ctx(call, env)->allow_network;
}

bool wasi2_net_create_allowed(component_call *call, void *env)
{
    const wasi2_ctx *ctx = wasi2_fsnet_ctx(call, env);
    return ctx->allow_network || ctx->outbound_allowed != NULL;
}

bool wasi2_net_addr_allowed(component_call *call, void *env, const char *scheme,
                            const struct sockaddr_storage *ss)
{
    const wasi2_ctx *ctx = wasi2_fsnet_ctx(call, env);
    if (ctx->allow_network)
        return true;
    if (ctx->outbound_allowed == NULL)
        return false;
    char host[INET6_ADDRSTRLEN];
    uint16_t port;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        port = ntohs(in->sin_port);
    } else {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        port = ntohs(in6->sin6_port);
    }
    /* port 0 (a bind to any port) is "the scheme's port" to the policy:
     * tcp and udp have none, so only an entry allowing any port admits it */
    return ctx->outbound_allowed(ctx->outbound_self, scheme, host, port);
}

/* ---- addresses --------------------------------------------------------- */

static component_val *tuple_of(component_call *call, size_t n, component_val_kind kind,
                               const uint64_t *v)
{
    component_val *f = component_call_vals(call, n + 1);
    if (f == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        f[i] = (component_val){.kind = kind, .of.u = v[i]};
    f[n] = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {f, n}};
    return &f[n];
}

/* ipv4-address / ipv6-address of a raw address. */
static component_val *ip_tuple(component_call *call, int family, const void *raw)
{
    uint64_t v[8];
    if (family == AF_INET) {
        const uint8_t *b = raw;
        for (int i = 0; i < 4; i++)
            v[i] = b[i];
        return tuple_of(call, 4, COMPONENT_VAL_U8, v);
    }
    const uint8_t *b = raw;
    for (int i = 0; i < 8; i++)
        v[i] = (uint64_t)b[2 * i] << 8 | b[2 * i + 1];
    return tuple_of(call, 8, COMPONENT_VAL_U16, v);
}

int wasi2_ip_address_val(component_call *call, int family, const void *raw, component_val *out)
{
    component_val *t = ip_tuple(call, family, raw);
    if (t == NULL)
        return component_call_trap(call, "out of memory for an address");
    *out = (component_val){.kind = COMPONENT_VAL_VARIANT,
                           .of.variant = {family == AF_INET ? 0 : 1, t}};
    return 0;
}

int wasi2_socket_address_val(component_call *call, const struct sockaddr_storage *ss,
                             component_val *out)
{
    component_val *f = component_call_vals(call, 5);
    if (f == NULL)
        return component_call_trap(call, "out of memory for an address");
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        f[0] = (component_val){.kind = COMPONENT_VAL_U16, .of.u = ntohs(a->sin_port)};
        component_val *t = ip_tuple(call, AF_INET, &a->sin_addr);
        if (t == NULL)
            return component_call_trap(call, "out of memory for an address");
        f[1] = *t;
        f[4] = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {f, 2}};
        *out = (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {0, &f[4]}};
        return 0;
    }
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
    f[0] = (component_val){.kind = COMPONENT_VAL_U16, .of.u = ntohs(a->sin6_port)};
    f[1] = (component_val){.kind = COMPONENT_VAL_U32, .of.u = ntohl(a->sin6_flowinfo)};
    component_val *t = ip_tuple(call, AF_INET6, &a->sin6_addr);
    if (t == NULL)
        return component_call_trap(call, "out of memory for an address");
    f[2] = *t;
    f[3] = (component_val){.kind = COMPONENT_VAL_U32, .of.u = a->sin6_scope_id};
    component_val *rec = component_call_vals(call, 1);
    if (rec == NULL)
        return component_call_trap(call, "out of memory for an address");
    *rec = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {f, 4}};
    *out = (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {1, rec}};
    return 0;
}

int wasi2_socket_address_from(const component_val *v, int family, struct sockaddr_storage *ss,
                              socklen_t *len)
{
    memset(ss, 0, sizeof(*ss));
    const component_val *r = v->of.variant.payload;
    const component_val *f = r->of.record.fields;
    int fam = v->of.variant.disc == 0 ? AF_INET : AF_INET6;
    if (fam != family)
        return EINVAL; /* an address of the other family */
    if (fam == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)f[0].of.u);
        uint8_t *b = (uint8_t *)&a->sin_addr;
        for (int i = 0; i < 4; i++)
            b[i] = (uint8_t)f[1].of.record.fields[i].of.u;
        *len = sizeof(*a);
        return 0;
    }
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)f[0].of.u);
    a->sin6_flowinfo = htonl((uint32_t)f[1].of.u);
    uint8_t *b = (uint8_t *)&a->sin6_addr;
    for (int i = 0; i < 8; i++) {
        uint16_t w = (uint16_t)f[2].of.record.fields[i].of.u;
        b[2 * i] = (uint8_t)(w >> 8);
        b[2 * i + 1] = (uint8_t)w;
    }
    a->sin6_scope_id = (uint32_t)f[3].of.u;
    *len = sizeof(*a);
    return 0;
}

bool wasi2_address_unspecified(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
    return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

uint16_t wasi2_address_port(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)ss)->sin_port);
    return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* network-error-code (unstable in the WIT, registered for components that
 * enable it): the error-code of a wasi:io error that carries a host errno
 * (those of socket streams do). */
static int network_error_code(component_call *call, void *env, const component_val *args,
                              size_t nargs, component_val *result)
{
    const wasi2_error *e = (const wasi2_error *)args[0].of.resource.rep;
    if (e->errnum == 0)
        return wasi2_variant(call, 0, NULL, result);
    component_val code = wv_enum(wasi2_net_error_from_errno(e->errnum));
    return wasi2_variant(call, 1, &code, result);
}

/* ---- network ----------------------------------------------------------- */

/* The one network: its rep means nothing, the context decides. */
#define NETWORK_REP 1

WASI2_HOST_FN(wasi2_net_instance_network)
{
    (void)args;
    (void)nargs;
    const wasi2_fsnet_reg *reg = env;
    *result = wasi2_own(reg->net.network, (const void *)(uintptr_t)NETWORK_REP);
    return 0;
}

/* ---- ip-name-lookup ---------------------------------------------------- */

typedef struct {
    size_t n, next;
    struct {
        int family;
        uint8_t raw[16];
    } addrs[];
} resolve_stream;

void wasi2_resolve_stream_drop(uintptr_t rep)
{
    free((void *)rep);
}

static int resolver_error(int rc)
{
    switch (rc) {
    case EAI_NONAME: return NE_NAME_UNRESOLVABLE;
#ifdef EAI_NODATA
    case EAI_NODATA: return NE_NAME_UNRESOLVABLE;
#endif
    case EAI_AGAIN: return NE_TEMPORARY_RESOLVER_FAILURE;
    case EAI_MEMORY: return NE_OUT_OF_MEMORY;
    case EAI_FAIL: return NE_PERMANENT_RESOLVER_FAILURE;
    default: return NE_PERMANENT_RESOLVER_FAILURE;
    }
}

/* Whether `name` may go to the resolver: a host name or an IP literal,
 * nothing with bytes no DNS name or address has. */
static bool name_ok(const component_val *name)
{
    const char *s = name->of.str.ptr;
    size_t n = name->of.str.len;
    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c >= 0x7f || c == '/' || c == '\\')
            return false;
    }
    return true;
}

static WASI2_HOST_FN(wasi2_net_resolve_addresses)
{
    (void)nargs;
    const wasi2_fsnet_reg *reg = env;
    if (!wasi2_net_allowed(call, env))
        return wv_err(call, result, NE_ACCESS_DENIED);
    if (!name_ok(&args[1]))
        return wv_err(call, result, NE_INVALID_ARGUMENT);
    cleanup_free char *name = util_xstrndup(args[1].of.str.ptr, args[1].of.str.len);
    /* "[::1]" is how URLs write an IPv6 literal; the resolver wants it bare. */
    size_t len = strlen(name);
    if (len > 2 && name[0] == '[' && name[len - 1] == ']') {
        memmove(name, name + 1, len - 2);
        name[len - 2] = '\0';
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(name, NULL, &hints, &res);
    if (rc != 0)
        return wv_err(call, result, (uint32_t)resolver_error(rc));
    size_t n = 0;
    for (struct addrinfo *a = res; a != NULL; a = a->ai_next)
        n++;
    resolve_stream *s = util_xcalloc(1, sizeof(*s) + n * sizeof(s->addrs[0]));
    for (struct addrinfo *a = res; a != NULL; a = a->ai_next) {
        if (a->ai_family == AF_INET) {
            s->addrs[s->n].family = AF_INET;
            memcpy(s->addrs[s->n++].raw, &((struct sockaddr_in *)a->ai_addr)->sin_addr, 4);
        } else if (a->ai_family == AF_INET6) {
            s->addrs[s->n].family = AF_INET6;
            memcpy(s->addrs[s->n++].raw, &((struct sockaddr_in6 *)a->ai_addr)->sin6_addr, 16);
        }
    }
    freeaddrinfo(res);
    component_val v = wasi2_own(reg->net.resolve_stream, s);
    return wv_ok(call, result, &v);
}

static WASI2_HOST_FN(wasi2_net_resolve_next_address)
{
    (void)env;
    (void)nargs;
    resolve_stream *s = (resolve_stream *)args[0].of.resource.rep;
    if (s->next >= s->n) {
        component_val none = wv_enum(0);
        return wv_ok(call, result, &none);
    }
    component_val *v = component_call_vals(call, 2);
    if (v == NULL)
        return component_call_trap(call, "out of memory for an address");
    if (wasi2_ip_address_val(call, s->addrs[s->next].family, s->addrs[s->next].raw, &v[0]) < 0)
        return -1;
    s->next++;
    v[1] = (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {1, &v[0]}};
    return wv_ok(call, result, &v[1]);
}

/* Name lookup happens in resolve-addresses: the stream is always ready. */
static int resolve_subscribe(component_call *call, void *env, const component_val *args,
                             size_t nargs, component_val *result)
{
    const wasi2_fsnet_reg *reg = env;
    *result = wasi2_own(reg->host->pollable, wasi2_pollable_ready_when(NULL, NULL));
    return 0;
}

/* ---- pollables of sockets ---------------------------------------------- */

/* A pollable over `ready` (NULL: always ready): a stream that only answers
 * readiness, the layer's way to put anything into a wasi:io poll.  `drop`
 * releases self with the pollable. */
typedef struct {
    wasi2_stream_ops ops;
    bool (*ready)(void *self, int *fd, short *events);
    void (*drop)(void *self);
    void *self;
} ready_only;

static bool ready_only_ready(void *p, int *fd, short *events)
{
    ready_only *r = p;
    return r->ready == NULL || r->ready(r->self, fd, events);
}

static void ready_only_close(void *p)
{
    ready_only *r = p;
    if (r->drop != NULL)
        r->drop(r->self);
    free(r);
}

wasi2_pollable *wasi2_pollable_ready_when(bool (*ready)(void *self, int *fd, short *events),
                                          void *self)
{
    return wasi2_pollable_ready_when_owned(ready, NULL, self);
}

wasi2_pollable *wasi2_pollable_ready_when_owned(bool (*ready)(void *self, int *fd, short *events),
                                                void (*drop)(void *self), void *self)
{
    ready_only *r = util_xcalloc(1, sizeof(*r));
    r->ops = (wasi2_stream_ops){.name = "socket", .ready = ready_only_ready,
                                .close = ready_only_close};
    r->ready = ready;
    r->drop = drop;
    r->self = self;
    wasi2_stream *s = wasi2_stream_new(&r->ops, r);
    wasi2_pollable *p = wasi2_pollable_stream(s);
    wasi2_stream_release(s); /* the pollable holds the only reference */
    return p;
}

/* ---- registration ------------------------------------------------------ */

static const struct {
    const char *name;
    const char *type;
} net_types[] = {
    {"ip-address-family", "enum{ipv4, ipv6}"},
    {"ipv4-address", "tuple<u8, u8, u8, u8>"},
    {"ipv6-address", "tuple<u16, u16, u16, u16, u16, u16, u16, u16>"},
    {"ip-address", "variant{ipv4(ipv4-address), ipv6(ipv6-address)}"},
    {"ipv4-socket-address", "record{port: u16, address: ipv4-address}"},
    {"ipv6-socket-address",
     "record{port: u16, flow-info: u32, address: ipv6-address, scope-id: u32}"},
    {"ip-socket-address", "variant{ipv4(ipv4-socket-address), ipv6(ipv6-socket-address)}"},
};

/* network's named types (and `network` itself) in an interface that
 * `use`s them. */
static int define_net_types(component_linker *l, const char *iface, const wasi2_fsnet_reg *reg,
                            util_error **err)
{
    if (strcmp(iface, WASI2_NET("network")) != 0 &&
        component_linker_alias_resource(l, iface, "network", reg->net.network, err) < 0)
        return -1;
    size_t len = 8;
    for (size_t i = 0; i < NE_COUNT; i++)
        len += strlen(wasi2_net_error_names[i]) + 2;
    cleanup_free char *codes = util_xmalloc(len);
    char *p = codes;
    p += sprintf(p, "enum{");
    for (size_t i = 0; i < NE_COUNT; i++)
        p += sprintf(p, "%s%s", i ? ", " : "", wasi2_net_error_names[i]);
    sprintf(p, "}");
    if (component_linker_define_type(l, iface, "error-code", codes, err) < 0)
        return -1;
    for (size_t i = 0; i < UTIL_ARRAY_LEN(net_types); i++)
        if (component_linker_define_type(l, iface, net_types[i].name, net_types[i].type, err) <
            0)
            return -1;
    return 0;
}

/* The wasi:io resources an interface `use`s. */
static int alias_io(component_linker *l, const char *iface, const wasi2_host *h, bool streams,
                    util_error **err)
{
    if (component_linker_alias_resource(l, iface, "pollable", h->pollable, err) < 0)
        return -1;
    if (streams &&
        (component_linker_alias_resource(l, iface, "input-stream", h->input_stream, err) < 0 ||
         component_linker_alias_resource(l, iface, "output-stream", h->output_stream, err) < 0))
        return -1;
    return 0;
}

static const wasi2_func lookup_funcs[] = {
    {"resolve-addresses",
     "func(network: borrow<network>, name: string) -> result<resolve-address-stream, "
     "error-code>",
     wasi2_net_resolve_addresses},
    {"[method]resolve-address-stream.resolve-next-address",
     "func(self: borrow<resolve-address-stream>) -> result<option<ip-address>, error-code>",
     wasi2_net_resolve_next_address},
    {"[method]resolve-address-stream.subscribe",
     "func(self: borrow<resolve-address-stream>) -> pollable", resolve_subscribe},
};

int wasi2_define_sockets(component_linker *l, wasi2_fsnet_reg *reg, util_error **err)
{
    wasi2_net_types *t = &reg->net;
    const char *network = WASI2_NET("network"), *lookup = WASI2_NET("ip-name-lookup");
    t->network = component_linker_define_resource(l, network, "network", NULL, err);
    if (t->network == NULL || define_net_types(l, network, reg, err) < 0)
        return -1;
    if (component_linker_alias_resource(l, network, "error", reg->host->error, err) < 0 ||
        component_linker_define_func(l, network, "network-error-code",
                                     "func(err: borrow<error>) -> option<error-code>",
                                     network_error_code, reg, err) < 0)
        return -1;

    const char *inst = WASI2_NET("instance-network");
    if (component_linker_alias_resource(l, inst, "network", t->network, err) < 0 ||
        component_linker_define_func(l, inst, "instance-network", "func() -> network",
                                     wasi2_net_instance_network, reg, err) < 0)
        return -1;

    t->resolve_stream = component_linker_define_resource(l, lookup, "resolve-address-stream",
                                                         wasi2_resolve_stream_drop, err);
    if (t->resolve_stream == NULL || define_net_types(l, lookup, reg, err) < 0 ||
        alias_io(l, lookup, reg->host, false, err) < 0 ||
        wasi2_fsnet_define_funcs(l, lookup, lookup_funcs, UTIL_ARRAY_LEN(lookup_funcs), reg, err) <
            0)
        return -1;

    const char *tcp = WASI2_NET("tcp"), *udp = WASI2_NET("udp");
    if (define_net_types(l, tcp, reg, err) < 0 || alias_io(l, tcp, reg->host, true, err) < 0 ||
        wasi2_tcp_define(l, tcp, reg, err) < 0)
        return -1;
    if (define_net_types(l, udp, reg, err) < 0 || alias_io(l, udp, reg->host, false, err) < 0 ||
        wasi2_udp_define(l, udp, reg, err) < 0)
        return -1;

    const char *tcp_create = WASI2_NET("tcp-create-socket");
    const char *udp_create = WASI2_NET("udp-create-socket");
    if (define_net_types(l, tcp_create, reg, err) < 0 ||
        component_linker_alias_resource(l, tcp_create, "tcp-socket", t->tcp, err) < 0 ||
        component_linker_define_func(l, tcp_create, "create-tcp-socket",
                                     "func(address-family: ip-address-family) -> "
                                     "result<tcp-socket, error-code>",
                                     wasi2_tcp_create, reg, err) < 0)
        return -1;
    if (define_net_types(l, udp_create, reg, err) < 0 ||
        component_linker_alias_resource(l, udp_create, "udp-socket", t->udp, err) < 0 ||
        component_linker_define_func(l, udp_create, "create-udp-socket",
                                     "func(address-family: ip-address-family) -> "
                                     "result<udp-socket, error-code>",
                                     wasi2_udp_create, reg, err) < 0)
        return -1;
    return 0;
}
