/*
 * rc_fsnet.c - wasi:filesystem and wasi:sockets at the pre-release names
 * 0.2.0-rc-2023-10-18 and 0.2.0-rc-2023-11-10 (see rc.c for why they are
 * registered apart).
 *
 * wasi:filesystem: the descriptor and directory-entry-stream types are the
 * 0.2 registration's (aliased), and so are the functions: -rc-2023-11-10
 * has 0.2.0's shape, and -rc-2023-10-18 differs only by what was dropped
 * before 0.2.0: open-at took a `modes` argument (ignored here, as the
 * permission bits of new files are the umask's anyway), and there were
 * access-at, change-file/directory-permissions-at and the lock-* methods,
 * which answer `unsupported` (they never reached a release; nothing in a
 * guest's capability model needs them).
 *
 * wasi:sockets at -rc-2023-10-18 (what Spin 2.0-era modules import): TCP
 * is 0.2's.  The network and tcp-socket types are the 0.2 registration's
 * (aliased) and so are the functions (instance-network, create-tcp-socket
 * and the socket's methods), so a connect is gated exactly as a 0.2
 * connect is (allow_network, or the embedder's outbound_allowed for
 * `*://host:port`, net_internal.h).  The WIT's differences are names
 * (keep-alive, unicast-hop-limit for 0.2's keep-alive-enabled,
 * hop-limit) and four methods 0.2 dropped: no-delay (TCP_NODELAY) and
 * ipv6-only, which is always true here (an ipv6 socket speaks ipv6 only,
 * sock.c) and not-supported on an ipv4 socket.  The error-code enum is
 * 0.2's, case for case.
 *
 * The rest (-rc-2023-10-18's UDP and name lookup, everything at
 * -rc-2023-11-10) is registered so that components importing it link, as
 * stubs that deny: creating a socket and resolving a name answer
 * access-denied, instance-network hands out a network that can do
 * nothing.  Their resource types are their own, so no socket of another
 * version can reach these methods; the methods that return a result
 * deny, the others (which need a socket first) trap.  The signatures are
 * generated from a compact table of the two WITs.
 */
#include "net_internal.h"

#include <netinet/tcp.h>

/* ---- wasi:filesystem ----------------------------------------------------- */

static WASI2_HOST_FN(fs_unsupported)
{
    (void)env;
    (void)args;
    (void)nargs;
    return wv_err(call, result, FSE_UNSUPPORTED);
}

#define FSELF "func(self: borrow<descriptor>"
#define PATH_MODES ", path-flags: path-flags, path: string, modes: modes) -> result<_, error-code>"
#define UNIT_RES ") -> result<_, error-code>"

static const wasi2_rc_func fs_1018_extra[] = {
    {"[method]descriptor.open-at",
     FSELF ", path-flags: path-flags, path: string, open-flags: open-flags, "
           "flags: descriptor-flags, modes: modes) -> result<own<descriptor>, error-code>",
     wasi2_fs_open_at, NULL},
    {"[method]descriptor.access-at",
     FSELF ", path-flags: path-flags, path: string, type: access-type" UNIT_RES, fs_unsupported,
     NULL},
    {"[method]descriptor.change-file-permissions-at", FSELF PATH_MODES, fs_unsupported, NULL},
    {"[method]descriptor.change-directory-permissions-at", FSELF PATH_MODES, fs_unsupported,
     NULL},
    {"[method]descriptor.lock-shared", FSELF UNIT_RES, fs_unsupported, NULL},
    {"[method]descriptor.lock-exclusive", FSELF UNIT_RES, fs_unsupported, NULL},
    {"[method]descriptor.try-lock-shared", FSELF UNIT_RES, fs_unsupported, NULL},
    {"[method]descriptor.try-lock-exclusive", FSELF UNIT_RES, fs_unsupported, NULL},
    {"[method]descriptor.unlock", FSELF UNIT_RES, fs_unsupported, NULL},
};

static int define_filesystem(component_linker *l, wasi2_host *h, const char *v, util_error **err)
{
    char types[64], preopens[64];
    wasi2_fsnet_reg *reg = h->fsnet;
    bool old = strcmp(v, WASI2_RC1) == 0;
    wasi2_rc_iface(types, "wasi:filesystem/types", v);
    wasi2_rc_iface(preopens, "wasi:filesystem/preopens", v);
    if (component_linker_alias_resource(l, types, "descriptor", reg->fs.descriptor, err) < 0 ||
        component_linker_alias_resource(l, types, "directory-entry-stream", reg->fs.dir_stream,
                                        err) < 0 ||
        component_linker_alias_resource(l, types, "input-stream", h->input_stream, err) < 0 ||
        component_linker_alias_resource(l, types, "output-stream", h->output_stream, err) < 0 ||
        component_linker_alias_resource(l, types, "error", h->error, err) < 0 ||
        wasi2_fs_define_types(l, types, err) < 0)
        return -1;
    const wasi2_func_table *t = &wasi2_fs_types_table;
    for (size_t i = 0; i < t->n; i++) {
        if (old && strcmp(t->funcs[i].name, "[method]descriptor.open-at") == 0)
            continue; /* its -rc-2023-10-18 form is below */
        if (component_linker_define_func(l, types, t->funcs[i].name, t->funcs[i].signature,
                                         t->funcs[i].fn, reg, err) < 0)
            return -1;
    }
    if (old && (component_linker_define_type(l, types, "modes",
                                             "flags{readable, writable, executable}", err) < 0 ||
                component_linker_define_type(l, types, "access-type",
                                             "variant{access(modes), exists}", err) < 0 ||
                wasi2_define_rc_funcs(l, types, NULL, fs_1018_extra,
                                      UTIL_ARRAY_LEN(fs_1018_extra), reg, err) < 0))
        return -1;
    if (component_linker_alias_resource(l, preopens, "descriptor", reg->fs.descriptor, err) < 0)
        return -1;
    return component_linker_define_func(l, preopens, "get-directories",
                                        "func() -> list<tuple<own<descriptor>, string>>",
                                        wasi2_fs_get_directories, reg, err);
}

/* ---- wasi:sockets: denied stubs ----------------------------------------- */

/* The resource types of the stubs, made once for both versions. */
typedef struct rc_net {
    component_resource_type *network, *tcp, *udp, *resolve, *incoming, *outgoing;
} rc_net;

static WASI2_HOST_FN(net_denied)
{
    (void)env;
    (void)args;
    (void)nargs;
    return wv_err(call, result, NE_ACCESS_DENIED);
}

static WASI2_HOST_FN(net_unreachable)
{
    (void)env;
    (void)args;
    (void)nargs;
    (void)result;
    return component_call_trap(call, "wasi:sockets (pre-release): no socket can exist");
}

/* The network's rep only has to be non-zero: it grants nothing. */
static WASI2_HOST_FN(net_instance_network)
{
    (void)args;
    (void)nargs;
    *result = wasi2_own(((const rc_net *)env)->network, (const void *)1);
    return 0;
}

/* One function: `self` names the resource of a method (NULL: a free
 * function); `params` and `result` are WIT text (result NULL: none). */
typedef struct net_fn {
    const char *name;
    const char *self;
    const char *params;
    const char *result;
} net_fn;

#define R(t) "result<" t ", error-code>"
#define ADDR "ip-socket-address"

/* The methods both versions' tcp-socket and udp-socket share. */
#define BIND_ETC(res)                                                                           \
    {"start-bind", res, "network: borrow<network>, local-address: " ADDR, R("_")},             \
        {"finish-bind", res, "", R("_")},                                                       \
        {"local-address", res, "", R(ADDR)}, {"remote-address", res, "", R(ADDR)},            \
        {"address-family", res, "", "ip-address-family"}, {"ipv6-only", res, "", R("bool")},  \
        {"set-ipv6-only", res, "value: bool", R("_")},                                          \
        {"receive-buffer-size", res, "", R("u64")},                                             \
        {"set-receive-buffer-size", res, "value: u64", R("_")},                                 \
        {"send-buffer-size", res, "", R("u64")},                                                \
        {"set-send-buffer-size", res, "value: u64", R("_")}, {"subscribe", res, "", "own<pollable>"}

#define TCP_ETC                                                                                 \
    BIND_ETC("tcp-socket"),                                                                     \
        {"start-connect", "tcp-socket", "network: borrow<network>, remote-address: " ADDR,      \
         R("_")},                                                                               \
        {"finish-connect", "tcp-socket", "", R("tuple<own<input-stream>, own<output-stream>>")}, \
        {"start-listen", "tcp-socket", "", R("_")}, {"finish-listen", "tcp-socket", "", R("_")}, \
        {"accept", "tcp-socket", "",                                                            \
         R("tuple<own<tcp-socket>, own<input-stream>, own<output-stream>>")},                   \
        {"set-listen-backlog-size", "tcp-socket", "value: u64", R("_")},                        \
        {"shutdown", "tcp-socket", "shutdown-type: shutdown-type", R("_")}

/* -rc-2023-10-18's tcp-socket: 0.2's methods, under their old names where
 * they differ, and the four 0.2 dropped. */
#define TSELF "func(self: borrow<tcp-socket>"

static wasi2_sock *sock_of(const component_val *args)
{
    return (wasi2_sock *)args[0].of.resource.rep;
}

static WASI2_HOST_FN(tcp_no_delay)
{
    (void)env;
    (void)nargs;
    return wasi2_sockopt_get(call, result, sock_of(args)->fd, IPPROTO_TCP, TCP_NODELAY,
                             COMPONENT_VAL_BOOL, 1);
}

static WASI2_HOST_FN(tcp_set_no_delay)
{
    (void)env;
    (void)nargs;
    return wasi2_sockopt_set(call, result, sock_of(args)->fd, IPPROTO_TCP, TCP_NODELAY,
                             args[1].of.b);
}

static WASI2_HOST_FN(tcp_ipv6_only)
{
    (void)env;
    (void)nargs;
    if (sock_of(args)->family != AF_INET6)
        return wv_err(call, result, NE_NOT_SUPPORTED);
    component_val yes = {.kind = COMPONENT_VAL_BOOL, .of.b = true};
    return wv_ok(call, result, &yes);
}

static WASI2_HOST_FN(tcp_set_ipv6_only)
{
    (void)env;
    (void)nargs;
    if (sock_of(args)->family != AF_INET6 || !args[1].of.b)
        return wv_err(call, result, NE_NOT_SUPPORTED);
    return wv_ok(call, result, NULL);
}

#define SAME(name) {"[method]tcp-socket." name, NULL, NULL, NULL}
static const wasi2_rc_func tcp_1018[] = {
    SAME("start-bind"), SAME("finish-bind"), SAME("start-connect"), SAME("finish-connect"),
    SAME("start-listen"), SAME("finish-listen"), SAME("accept"), SAME("local-address"),
    SAME("remote-address"), SAME("address-family"),
    {"[method]tcp-socket.ipv6-only", TSELF ") -> result<bool, error-code>", tcp_ipv6_only, NULL},
    {"[method]tcp-socket.set-ipv6-only", TSELF ", value: bool) -> result<_, error-code>",
     tcp_set_ipv6_only, NULL},
    SAME("set-listen-backlog-size"),
    {"[method]tcp-socket.keep-alive", NULL, NULL, "[method]tcp-socket.keep-alive-enabled"},
    {"[method]tcp-socket.set-keep-alive", NULL, NULL,
     "[method]tcp-socket.set-keep-alive-enabled"},
    {"[method]tcp-socket.no-delay", TSELF ") -> result<bool, error-code>", tcp_no_delay, NULL},
    {"[method]tcp-socket.set-no-delay", TSELF ", value: bool) -> result<_, error-code>",
     tcp_set_no_delay, NULL},
    {"[method]tcp-socket.unicast-hop-limit", NULL, NULL, "[method]tcp-socket.hop-limit"},
    {"[method]tcp-socket.set-unicast-hop-limit", NULL, NULL, "[method]tcp-socket.set-hop-limit"},
    SAME("receive-buffer-size"), SAME("set-receive-buffer-size"), SAME("send-buffer-size"),
    SAME("set-send-buffer-size"), SAME("subscribe"), SAME("shutdown"),
};
#undef SAME

static const net_fn tcp_1110[] = {
    TCP_ETC,
    {"is-listening", "tcp-socket", "", "bool"},
    {"keep-alive-enabled", "tcp-socket", "", R("bool")},
    {"set-keep-alive-enabled", "tcp-socket", "value: bool", R("_")},
    {"keep-alive-idle-time", "tcp-socket", "", R("duration")},
    {"set-keep-alive-idle-time", "tcp-socket", "value: duration", R("_")},
    {"keep-alive-interval", "tcp-socket", "", R("duration")},
    {"set-keep-alive-interval", "tcp-socket", "value: duration", R("_")},
    {"keep-alive-count", "tcp-socket", "", R("u32")},
    {"set-keep-alive-count", "tcp-socket", "value: u32", R("_")},
    {"hop-limit", "tcp-socket", "", R("u8")},
    {"set-hop-limit", "tcp-socket", "value: u8", R("_")},
};

#define UDP_ETC                                                                                 \
    BIND_ETC("udp-socket"), {"unicast-hop-limit", "udp-socket", "", R("u8")},                   \
        {"set-unicast-hop-limit", "udp-socket", "value: u8", R("_")}

static const net_fn udp_1018[] = {
    UDP_ETC,
    {"start-connect", "udp-socket", "network: borrow<network>, remote-address: " ADDR, R("_")},
    {"finish-connect", "udp-socket", "", R("_")},
    {"receive", "udp-socket", "max-results: u64", R("list<datagram>")},
    {"send", "udp-socket", "datagrams: list<datagram>", R("u64")},
};

static const net_fn udp_1110[] = {
    UDP_ETC,
    {"stream", "udp-socket", "remote-address: option<" ADDR ">",
     R("tuple<own<incoming-datagram-stream>, own<outgoing-datagram-stream>>")},
    {"receive", "incoming-datagram-stream", "max-results: u64", R("list<incoming-datagram>")},
    {"subscribe", "incoming-datagram-stream", "", "own<pollable>"},
    {"check-send", "outgoing-datagram-stream", "", R("u64")},
    {"send", "outgoing-datagram-stream", "datagrams: list<outgoing-datagram>", R("u64")},
    {"subscribe", "outgoing-datagram-stream", "", "own<pollable>"},
};

#define RESOLVE_NEXT                                                                            \
    {"resolve-next-address", "resolve-address-stream", "", R("option<ip-address>")},            \
        {"subscribe", "resolve-address-stream", "", "own<pollable>"}

static const net_fn lookup_1018[] = {
    {"resolve-addresses", NULL,
     "network: borrow<network>, name: string, address-family: option<ip-address-family>, "
     "include-unavailable: bool",
     R("own<resolve-address-stream>")},
    RESOLVE_NEXT,
};

static const net_fn lookup_1110[] = {
    {"resolve-addresses", NULL, "network: borrow<network>, name: string",
     R("own<resolve-address-stream>")},
    RESOLVE_NEXT,
};

static const net_fn tcp_create[] = {
    {"create-tcp-socket", NULL, "address-family: ip-address-family", R("own<tcp-socket>")},
};
static const net_fn udp_create[] = {
    {"create-udp-socket", NULL, "address-family: ip-address-family", R("own<udp-socket>")},
};

/* wasi:sockets/network's named types (the WIT's, both versions). */
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
    {"shutdown-type", "enum{receive, send, both}"},
    {"duration", "u64"},
    {"datagram", "record{data: list<u8>, remote-address: ip-socket-address}"},
    {"incoming-datagram", "record{data: list<u8>, remote-address: ip-socket-address}"},
    {"outgoing-datagram", "record{data: list<u8>, remote-address: option<ip-socket-address>}"},
};

/* Defines *type in iface the first time, aliases it after. */
static int put_resource(component_linker *l, const char *iface, const char *name,
                        component_resource_type **type, util_error **err)
{
    if (*type)
        return component_linker_alias_resource(l, iface, name, *type, err);
    *type = component_linker_define_resource(l, iface, name, NULL, err);
    return *type ? 0 : -1;
}

/* Everything a sockets interface's functions may name: the resources
 * (wasi:io's and the stubs') and network's types. */
static int net_names(component_linker *l, const char *iface, const wasi2_host *h, rc_net *n,
                     util_error **err)
{
    if (put_resource(l, iface, "network", &n->network, err) < 0 ||
        put_resource(l, iface, "tcp-socket", &n->tcp, err) < 0 ||
        put_resource(l, iface, "udp-socket", &n->udp, err) < 0 ||
        put_resource(l, iface, "resolve-address-stream", &n->resolve, err) < 0 ||
        put_resource(l, iface, "incoming-datagram-stream", &n->incoming, err) < 0 ||
        put_resource(l, iface, "outgoing-datagram-stream", &n->outgoing, err) < 0 ||
        component_linker_alias_resource(l, iface, "pollable", h->pollable, err) < 0 ||
        component_linker_alias_resource(l, iface, "input-stream", h->input_stream, err) < 0 ||
        component_linker_alias_resource(l, iface, "output-stream", h->output_stream, err) < 0)
        return -1;
    size_t len = 8;
    for (size_t i = 0; i < NE_COUNT; i++)
        len += strlen(wasi2_net_error_names[i]) + 2;
    cleanup_free char *codes = util_xmalloc(len);
    char *p = codes + sprintf(codes, "enum{");
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

static int define_net_fns(component_linker *l, const char *iface, const net_fn *fns, size_t n,
                          rc_net *net, util_error **err)
{
    for (size_t i = 0; i < n; i++) {
        const net_fn *f = &fns[i];
        char name[96], sig[320];
        if (f->self)
            snprintf(name, sizeof(name), "[method]%s.%s", f->self, f->name);
        else
            snprintf(name, sizeof(name), "%s", f->name);
        snprintf(sig, sizeof(sig), "func(%s%s%s%s%s)%s", f->self ? "self: borrow<" : "",
                 f->self ? f->self : "", f->self ? ">" : "",
                 f->self && f->params[0] ? ", " : "", f->params, f->result ? " -> " : "");
        strncat(sig, f->result ? f->result : "", sizeof(sig) - strlen(sig) - 1);
        bool denies = f->result && strncmp(f->result, "result<", 7) == 0;
        if (component_linker_define_func(l, iface, name, sig,
                                         denies ? net_denied : net_unreachable, net, err) < 0)
            return -1;
    }
    return 0;
}

/* instance-network, create-tcp-socket and tcp-socket at -rc-2023-10-18:
 * 0.2's functions, whose env is the fsnet registration. */
static int define_tcp_1018(component_linker *l, wasi2_fsnet_reg *reg, const char *inst,
                           const char *tcp, const char *create, util_error **err)
{
    if (component_linker_define_func(l, inst, "instance-network", "func() -> own<network>",
                                     wasi2_net_instance_network, reg, err) < 0 ||
        wasi2_define_rc_funcs(l, tcp, &wasi2_tcp_table, tcp_1018, UTIL_ARRAY_LEN(tcp_1018), reg,
                              err) < 0)
        return -1;
    return component_linker_define_func(l, create, "create-tcp-socket",
                                        "func(address-family: ip-address-family) -> "
                                        "result<own<tcp-socket>, error-code>",
                                        wasi2_tcp_create, reg, err);
}

static int define_sockets(component_linker *l, wasi2_host *h, rc_net *net, const char *v,
                          util_error **err)
{
    bool old = strcmp(v, WASI2_RC1) == 0;
    static const char *const names[] = {"network", "instance-network", "ip-name-lookup", "tcp",
                                        "tcp-create-socket", "udp", "udp-create-socket"};
    char iface[UTIL_ARRAY_LEN(names)][64];
    for (size_t i = 0; i < UTIL_ARRAY_LEN(names); i++) {
        char name[48];
        snprintf(name, sizeof(name), "wasi:sockets/%s", names[i]);
        wasi2_rc_iface(iface[i], name, v);
        if (net_names(l, iface[i], h, net, err) < 0)
            return -1;
    }
#define FNS(i, t) define_net_fns(l, iface[i], t, UTIL_ARRAY_LEN(t), net, err)
    if (old)
        return define_tcp_1018(l, h->fsnet, iface[1], iface[3], iface[4], err) < 0 ||
                       FNS(2, lookup_1018) < 0 || FNS(5, udp_1018) < 0 || FNS(6, udp_create) < 0
                   ? -1
                   : 0;
    if (component_linker_define_func(l, iface[1], "instance-network", "func() -> own<network>",
                                     net_instance_network, net, err) < 0 ||
        FNS(2, lookup_1110) < 0 || FNS(3, tcp_1110) < 0 || FNS(4, tcp_create) < 0 ||
        FNS(5, udp_1110) < 0 || FNS(6, udp_create) < 0)
        return -1;
#undef FNS
    return 0;
}

int wasi2_define_rc_fsnet(component_linker *l, wasi2_host *h, util_error **err)
{
    /* -rc-2023-10-18's network and tcp-socket are 0.2's; its other
     * resources, and all of -rc-2023-11-10's, the stubs' own. */
    rc_net *net1018 = util_xcalloc(1, sizeof(*net1018));
    rc_net *net1110 = util_xcalloc(1, sizeof(*net1110));
    component_linker_keep(l, net1018, free);
    component_linker_keep(l, net1110, free);
    net1018->network = h->fsnet->net.network;
    net1018->tcp = h->fsnet->net.tcp;
    if (define_filesystem(l, h, WASI2_RC1, err) < 0 || define_filesystem(l, h, WASI2_RC2, err) < 0 ||
        define_sockets(l, h, net1018, WASI2_RC1, err) < 0 ||
        define_sockets(l, h, net1110, WASI2_RC2, err) < 0)
        return -1;
    return 0;
}
