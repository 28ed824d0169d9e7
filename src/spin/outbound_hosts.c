/*
 * outbound_hosts.c - allowed_outbound_hosts: Spin's parser and matcher for
 * the hosts a component may reach (see outbound_hosts.h for the syntax).
 *
 * Why our own: the policy is the sandbox of every outgoing request, so it
 * must accept and refuse exactly what Spin 3.x does; an app that Spin runs
 * must run here with the same reach.  The structure follows Spin's
 * AllowedHostConfig: an entry is split into scheme, host and port the way
 * Spin splits it (the last ':' separates the port unless the whole rest is
 * already a valid host, which keeps IPv6 literals and CIDRs whole); port,
 * scheme and host are then parsed in Spin's order, so the first error
 * reported is Spin's, worded as Spin words it ("Invalid allowed host port
 * \"x\": port \"x\" is not a number").
 *
 * Hosts are compared as the WHATWG URL standard (Rust's url::Host) sees
 * them: names percent-decoded and lower-cased, names that end in a number
 * parsed as IPv4 (hex and octal parts included, so 127.1 is 127.0.0.1),
 * bracketed IPv6 literals as addresses.  Internationalised names are
 * refused with a message asking for their xn-- form (Spin would apply
 * IDNA; we carry no IDNA tables).
 */
#include "outbound_hosts.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define SERVICE_CHAINING_SUFFIX ".spin.internal"

/* ---- hosts as url::Host sees them ------------------------------------- */

typedef enum { URL_DOMAIN, URL_V4, URL_V6 } url_host_kind;

typedef struct url_host {
    url_host_kind kind;
    char *domain; /* URL_DOMAIN: lower-case ASCII */
    uint8_t addr[16]; /* URL_V4: 4 bytes, URL_V6: 16 */
} url_host;

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One part of a WHATWG IPv4 address: decimal, 0x-hex or 0-octal. */
static bool ipv4_number(const char *s, size_t len, uint64_t *out)
{
    unsigned radix = 10;
    if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        radix = 16;
        s += 2;
        len -= 2;
    } else if (len >= 2 && s[0] == '0') {
        radix = 8;
        s++;
        len--;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        int d = hexval((unsigned char)s[i]);
        if (d < 0 || (unsigned)d >= radix)
            return false;
        v = v * radix + (unsigned)d;
        if (v > UINT32_MAX)
            return false;
    }
    *out = v;
    return true;
}

static bool ipv4_parse(const char *s, uint8_t addr[4])
{
    size_t len = strlen(s);
    if (len > 0 && s[len - 1] == '.')
        len--;
    uint64_t parts[4];
    size_t n = 0;
    const char *p = s, *end = s + len;
    while (p <= end) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        size_t plen = dot ? (size_t)(dot - p) : (size_t)(end - p);
        if (n == 4 || plen == 0 || !ipv4_number(p, plen, &parts[n]))
            return false;
        n++;
        if (dot == NULL)
            break;
        p = dot + 1;
    }
    uint64_t v = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (parts[i] > 255)
            return false;
        v |= parts[i] << (8 * (3 - i));
    }
    if (parts[n - 1] >= (1ULL << (8 * (5 - n))))
        return false;
    v |= parts[n - 1];
    for (int i = 0; i < 4; i++)
        addr[i] = (uint8_t)(v >> (8 * (3 - i)));
    return true;
}

/* WHATWG "ends in a number": the last label (a trailing dot aside) is
 * digits, or 0x and hex digits. */
static bool ends_in_number(const char *s)
{
    size_t len = strlen(s);
    if (len > 0 && s[len - 1] == '.')
        len--;
    size_t start = len;
    while (start > 0 && s[start - 1] != '.')
        start--;
    const char *l = s + start;
    size_t llen = len - start;
    if (llen == 0)
        return false;
    if (strspn(l, "0123456789") >= llen)
        return true;
    if (llen >= 2 && l[0] == '0' && (l[1] == 'x' || l[1] == 'X')) {
        for (size_t i = 2; i < llen; i++)
            if (!isxdigit((unsigned char)l[i]))
                return false;
        return true;
    }
    return false;
}

static bool forbidden_domain_char(unsigned char c)
{
    return c <= 0x20 || c == 0x7f || strchr("#%/:<>?@[\\]^|", c) != NULL;
}

/* Parses len bytes of s as a host; -1 with a static reason. */
static int url_host_parse(const char *s, size_t len, url_host *out, const char **why)
{
    *out = (url_host){0};
    if (len > 0 && s[0] == '[') {
        char buf[64];
        if (len < 2 || s[len - 1] != ']' || len - 2 >= sizeof(buf)) {
            *why = "invalid IPv6 address";
            return -1;
        }
        memcpy(buf, s + 1, len - 2);
        buf[len - 2] = '\0';
        if (inet_pton(AF_INET6, buf, out->addr) != 1) {
            *why = "invalid IPv6 address";
            return -1;
        }
        out->kind = URL_V6;
        return 0;
    }
    char *d = util_xmalloc(len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && hexval((unsigned char)s[i + 1]) >= 0 &&
            hexval((unsigned char)s[i + 2]) >= 0) {
            d[n++] = (char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
            i += 2;
        } else {
            d[n++] = s[i];
        }
    }
    d[n] = '\0';
    *why = NULL;
    if (n == 0)
        *why = "empty host";
    for (size_t i = 0; i < n && *why == NULL; i++) {
        unsigned char c = (unsigned char)d[i];
        if (c >= 0x80)
            *why = "internationalised names are not supported: write the name's xn-- form";
        else if (forbidden_domain_char(c) || c == '\0')
            *why = "invalid domain character";
        else
            d[i] = (char)tolower(c);
    }
    if (*why == NULL && strlen(d) != n)
        *why = "invalid domain character";
    if (*why == NULL && ends_in_number(d)) {
        if (!ipv4_parse(d, out->addr))
            *why = "invalid IPv4 address";
        else
            out->kind = URL_V4;
        free(d);
        return *why ? -1 : 0;
    }
    if (*why != NULL) {
        free(d);
        return -1;
    }
    out->kind = URL_DOMAIN;
    out->domain = d;
    return 0;
}

static bool url_host_equal(const url_host *a, const url_host *b)
{
    if (a->kind != b->kind)
        return false;
    if (a->kind == URL_DOMAIN)
        return strcmp(a->domain, b->domain) == 0;
    return memcmp(a->addr, b->addr, a->kind == URL_V4 ? 4 : 16) == 0;
}

/* ---- entries ------------------------------------------------------------ */

typedef enum { HOST_ANY, HOST_SUBDOMAIN, HOST_SELF, HOST_LITERAL, HOST_CIDR } host_kind;

typedef struct entry {
    char *scheme; /* NULL: any */
    host_kind host;
    url_host literal;
    char *suffix; /* HOST_SUBDOMAIN: ".example.com" */
    bool cidr_v6;
    uint8_t net[16];
    unsigned prefix;
    bool port_any;
    uint16_t port_lo, port_hi; /* a port: lo == hi; a range a..b: [a, b-1] (empty when b <= a) */
    bool port_empty_range;
} entry;

struct spin_outbound_hosts {
    entry *items;
    size_t len, cap;
    char **ids;
    size_t nids;
};

static uint16_t well_known_port(const char *scheme)
{
    static const struct {
        const char *scheme;
        uint16_t port;
    } ports[] = {{"postgres", 5432}, {"mysql", 3306}, {"redis", 6379},
                 {"mqtt", 1883},     {"http", 80},     {"https", 443}};
    for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
        if (strcmp(ports[i].scheme, scheme) == 0)
            return ports[i].port;
    return 0;
}

/* Rust's u16::from_str: optional '+', then decimal digits only. */
static bool parse_u16(const char *s, size_t len, uint16_t *out)
{
    if (len > 0 && s[0] == '+') {
        s++;
        len--;
    }
    if (len == 0)
        return false;
    uint32_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint32_t)(s[i] - '0');
        if (v > UINT16_MAX)
            return false;
    }
    *out = (uint16_t)v;
    return true;
}

/* The port part; *why is a malloc'd reason on failure. */
static int parse_port(entry *e, const char *port, const char *scheme, char **why)
{
    if (port[0] == '\0') {
        uint16_t p = well_known_port(scheme);
        if (p == 0) {
            *why = util_xasprintf("no port was provided and the scheme \"%s\" does not have a "
                                  "known default port number",
                                  scheme);
            return -1;
        }
        e->port_lo = e->port_hi = p;
        return 0;
    }
    if (strcmp(port, "*") == 0) {
        e->port_any = true;
        return 0;
    }
    if (port[0] == '{') {
        *why = util_xstrdup("port lists are not yet supported");
        return -1;
    }
    const char *dots = strstr(port, "..");
    if (dots != NULL) {
        uint16_t lo, hi;
        if (!parse_u16(port, (size_t)(dots - port), &lo) ||
            !parse_u16(dots + 2, strlen(dots + 2), &hi)) {
            *why = util_xasprintf("port range \"%s\" contains non-number", port);
            return -1;
        }
        e->port_lo = lo;
        e->port_hi = (uint16_t)(hi - 1);
        e->port_empty_range = hi <= lo;
        return 0;
    }
    uint16_t p;
    if (!parse_u16(port, strlen(port), &p)) {
        *why = util_xasprintf("port \"%s\" is not a number", port);
        return -1;
    }
    e->port_lo = e->port_hi = p;
    return 0;
}

static int parse_scheme(entry *e, const char *scheme, char **why)
{
    if (strcmp(scheme, "*") == 0)
        return 0;
    if (scheme[0] == '{') {
        *why = util_xstrdup("scheme lists are not supported");
        return -1;
    }
    for (const char *c = scheme; *c; c++)
        if (!isalpha((unsigned char)*c)) {
            *why = util_xstrdup("only alphabetic characters are allowed");
            return -1;
        }
    e->scheme = util_xstrdup(scheme);
    return 0;
}

/* ip_network's from_str_truncate: "address/prefix", host bits cleared. */
static bool parse_cidr(entry *e, const char *host)
{
    const char *slash = strchr(host, '/');
    if (slash == NULL || (size_t)(slash - host) >= 64)
        return false;
    char addr[64];
    memcpy(addr, host, (size_t)(slash - host));
    addr[slash - host] = '\0';
    uint16_t prefix;
    if (!parse_u16(slash + 1, strlen(slash + 1), &prefix) || slash[1] == '+')
        return false;
    uint8_t net[16] = {0};
    bool v6;
    if (inet_pton(AF_INET, addr, net) == 1)
        v6 = false;
    else if (inet_pton(AF_INET6, addr, net) == 1)
        v6 = true;
    else
        return false;
    unsigned bits = v6 ? 128 : 32;
    if (prefix > bits)
        return false;
    for (unsigned i = prefix; i < bits; i++)
        net[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
    e->cidr_v6 = v6;
    memcpy(e->net, net, 16);
    e->prefix = prefix;
    return true;
}

static int parse_host(entry *e, const char *in, char **why)
{
    size_t len = strlen(in);
    while (len > 0 && isspace((unsigned char)*in)) {
        in++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)in[len - 1]))
        len--;
    cleanup_free char *host = util_xstrndup(in, len);
    e->host = HOST_LITERAL;
    if (strcmp(host, "*") == 0) {
        e->host = HOST_ANY;
        return 0;
    }
    if (strcmp(host, "self") == 0 || strcmp(host, "self.alt") == 0) {
        e->host = HOST_SELF;
        return 0;
    }
    if (host[0] == '{') {
        *why = util_xstrdup(host[len - 1] == '}' ? "host lists are not yet supported"
                                                 : "Condition failed: `host.ends_with('}')`");
        return -1;
    }
    if (parse_cidr(e, host)) {
        e->host = HOST_CIDR;
        return 0;
    }
    if (len > 0 && host[len - 1] == '/')
        host[--len] = '\0';
    if (strchr(host, '/') != NULL) {
        *why = util_xstrdup("must not include a path");
        return -1;
    }
    const char *reason;
    if (strncmp(host, "*.", 2) == 0) {
        const char *domain = host + 2;
        if (strchr(domain, '*') != NULL) {
            *why = util_xstrdup("wildcards are allowed only as prefixes");
            return -1;
        }
        url_host h;
        if (url_host_parse(domain, strlen(domain), &h, &reason) < 0) {
            *why = util_xasprintf("invalid wildcard host \"*.%s\": %s", domain, reason);
            return -1;
        }
        if (h.kind != URL_DOMAIN) {
            *why = util_xstrdup("wildcard suffix must be a domain");
            return -1;
        }
        e->host = HOST_SUBDOMAIN;
        e->suffix = util_xasprintf(".%s", h.domain);
        free(h.domain);
        return 0;
    }
    if (strchr(host, '*') != NULL) {
        *why = util_xstrdup("wildcards are allowed only as subdomains");
        return -1;
    }
    if (url_host_parse(host, len, &e->literal, &reason) < 0) {
        *why = util_xstrdup(reason);
        return -1;
    }
    return 0;
}

static void entry_clear(entry *e)
{
    free(e->scheme);
    free(e->suffix);
    free(e->literal.domain);
}

/* Splits rest (after "://") into host and port the way Spin does: at the
 * last ':' unless rest as a whole is already a host (IPv6, CIDR); a port
 * may end in one '/' and nothing after it. */
static int split_host_port(const char *url, const char *rest, char **host, char **port,
                           char **why)
{
    const char *colon = strrchr(rest, ':');
    if (colon == NULL || colon[1] == '\0') {
        *host = util_xstrndup(rest, colon ? (size_t)(colon - rest) : strlen(rest));
        *port = util_xstrdup("");
        return 0;
    }
    entry probe = {0};
    char *probe_why = NULL;
    int whole = parse_host(&probe, rest, &probe_why);
    entry_clear(&probe);
    free(probe_why);
    if (whole == 0) {
        *host = util_xstrdup(rest);
        *port = util_xstrdup("");
        return 0;
    }
    const char *tail = colon + 1;
    const char *slash = strchr(tail, '/');
    if (slash != NULL && slash[1] != '\0') {
        *why = util_xasprintf("\"%s\" has a path but is not allowed to", url);
        return -1;
    }
    *host = util_xstrndup(rest, (size_t)(colon - rest));
    *port = util_xstrndup(tail, slash ? (size_t)(slash - tail) : strlen(tail));
    return 0;
}

/* One entry into *e; -1 with the whole message in *msg. */
static int parse_entry(entry *e, const char *original, char **msg)
{
    *e = (entry){0};
    size_t len = strlen(original);
    while (len > 0 && isspace((unsigned char)*original)) {
        original++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)original[len - 1]))
        len--;
    cleanup_free char *url = util_xstrndup(original, len);
    char *sep = strstr(url, "://");
    if (sep == NULL) {
        if (strcmp(url, "*") == 0 || strcmp(url, ":") == 0 || url[0] == '\0' ||
            strcmp(url, "?") == 0)
            *msg = util_xasprintf(
                "\"%s\" is not an allowed outbound host format.\nHosts must be in the form "
                "<scheme>://<host>[:<port>], with '*' wildcards allowed for each.\nIf you "
                "intended to allow all outbound networking, you can use '*://*:*' - this will "
                "obviate all network sandboxing.\nLearn more: "
                "https://spinframework.dev/v3/http-outbound#granting-http-permissions-to-components",
                url);
        else
            *msg = util_xasprintf(
                "\"%s\" does not contain a scheme (e.g., 'http://' or '*://')\nLearn more: "
                "https://spinframework.dev/v3/http-outbound#granting-http-permissions-to-components",
                url);
        return -1;
    }
    *sep = '\0';
    const char *scheme = url, *rest = sep + 3;
    cleanup_free char *host = NULL, *port = NULL;
    char *why = NULL;
    if (split_host_port(original, rest, &host, &port, &why) < 0) {
        *msg = why;
        return -1;
    }
    const char *what = NULL, *part = NULL;
    if (parse_port(e, port, scheme, &why) < 0)
        what = "Invalid allowed host port", part = port;
    else if (parse_scheme(e, scheme, &why) < 0)
        what = "Invalid allowed host scheme", part = scheme;
    else if (parse_host(e, host, &why) < 0)
        what = "Invalid allowed host", part = host;
    if (what != NULL) {
        *msg = util_xasprintf("%s \"%s\": %s", what, part, why);
        free(why);
        entry_clear(e);
        return -1;
    }
    return 0;
}

/* ---- the policy ---------------------------------------------------------- */

spin_outbound_hosts *spin_outbound_hosts_new(void)
{
    return util_xcalloc(1, sizeof(spin_outbound_hosts));
}

void spin_outbound_hosts_free(spin_outbound_hosts *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->len; i++)
        entry_clear(&p->items[i]);
    free(p->items);
    for (size_t i = 0; i < p->nids; i++)
        free(p->ids[i]);
    free(p->ids);
    free(p);
}

int spin_outbound_hosts_add(spin_outbound_hosts *p, const char *text, bool from_template,
                            util_error **err)
{
    if (from_template && (text[0] == '\0' || strcmp(text, "http://") == 0 ||
                          strcmp(text, "https://") == 0))
        return 0;
    entry e;
    char *msg = NULL;
    if (parse_entry(&e, text, &msg) < 0) {
        util_error_set(err, 0, "allowed_outbound_hosts entry \"%s\": %s", text, msg);
        free(msg);
        return -1;
    }
    if (p->len == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 4;
        p->items = util_xrealloc(p->items, p->cap * sizeof(*p->items));
    }
    p->items[p->len++] = e;
    return 0;
}

spin_outbound_hosts *spin_outbound_hosts_parse(const char *const *entries, size_t n,
                                               util_error **err)
{
    if (n == 1 && strcmp(entries[0], "insecure:allow-all") == 0) {
        util_error_set(err, 0,
                       "'insecure:allow-all' is not allowed - use '*://*:*' instead if you "
                       "really want to allow all outbound traffic'");
        return NULL;
    }
    spin_outbound_hosts *p = spin_outbound_hosts_new();
    for (size_t i = 0; i < n; i++)
        if (spin_outbound_hosts_add(p, entries[i], false, err) < 0) {
            spin_outbound_hosts_free(p);
            return NULL;
        }
    return p;
}

void spin_outbound_hosts_set_components(spin_outbound_hosts *p, const char *const *ids,
                                        size_t n)
{
    for (size_t i = 0; i < p->nids; i++)
        free(p->ids[i]);
    free(p->ids);
    p->ids = util_xcalloc(n ? n : 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        p->ids[i] = util_xstrdup(ids[i]);
    p->nids = n;
}

/* One entry of a component: literal, or a template rendered first. */
static int add_entry(spin_outbound_hosts *p, const char *text, spin_template_lookup lookup,
                     void *ctx, util_error **err)
{
    spin_template t;
    if (spin_template_parse(text, &t, err) < 0)
        return -1;
    bool literal = true;
    for (size_t k = 0; k < t.len; k++)
        literal &= t.parts[k].kind != SPIN_TPL_VARIABLE;
    int rc;
    if (literal) {
        rc = spin_outbound_hosts_add(p, text, false, err);
    } else {
        cleanup_free char *rendered = spin_template_render(&t, lookup, ctx, err);
        rc = rendered ? spin_outbound_hosts_add(p, rendered, true, err) : -1;
    }
    spin_template_free(&t);
    return rc;
}

spin_outbound_hosts *spin_outbound_hosts_for_component(const spin_locked_app *app,
                                                       const spin_locked_component *c,
                                                       spin_template_lookup lookup, void *ctx,
                                                       util_error **err)
{
    const spin_strv *hosts = &c->allowed_outbound_hosts;
    spin_outbound_hosts *p = NULL;
    if (hosts->len == 1 && strcmp(hosts->items[0], "insecure:allow-all") == 0) {
        p = spin_outbound_hosts_parse((const char *const *)hosts->items, 1, err);
    } else {
        p = spin_outbound_hosts_new();
        for (size_t i = 0; i < hosts->len; i++)
            if (add_entry(p, hosts->items[i], lookup, ctx, err) < 0) {
                spin_outbound_hosts_free(p);
                p = NULL;
                break;
            }
    }
    if (p == NULL) {
        util_error_wrap(err, "component %s", c->id);
        return NULL;
    }
    const char **ids = util_xcalloc(app->n_components + 1, sizeof(char *));
    for (size_t i = 0; i < app->n_components; i++)
        ids[i] = app->components[i].id;
    spin_outbound_hosts_set_components(p, ids, app->n_components);
    free(ids);
    return p;
}

static bool suffix_allows(const spin_outbound_hosts *p, const entry *e, const char *domain)
{
    if (strcmp(e->suffix, SERVICE_CHAINING_SUFFIX) == 0) {
        /* Spin expands this entry into one literal host per component. */
        for (size_t i = 0; i < p->nids; i++) {
            size_t n = strlen(p->ids[i]);
            if (strncmp(domain, p->ids[i], n) == 0 &&
                strcmp(domain + n, SERVICE_CHAINING_SUFFIX) == 0)
                return true;
        }
        return false;
    }
    size_t dl = strlen(domain), sl = strlen(e->suffix);
    return dl >= sl && strcmp(domain + dl - sl, e->suffix) == 0;
}

static bool cidr_contains(const entry *e, const url_host *h)
{
    if (h->kind == URL_DOMAIN || (h->kind == URL_V6) != e->cidr_v6)
        return false;
    for (unsigned i = 0; i < e->prefix; i++) {
        uint8_t mask = (uint8_t)(0x80u >> (i % 8));
        if ((h->addr[i / 8] & mask) != (e->net[i / 8] & mask))
            return false;
    }
    return true;
}

static bool host_allows(const spin_outbound_hosts *p, const entry *e, const url_host *h)
{
    switch (e->host) {
    case HOST_ANY:
        return true;
    case HOST_SUBDOMAIN:
        return h->kind == URL_DOMAIN && suffix_allows(p, e, h->domain);
    case HOST_LITERAL:
        return url_host_equal(&e->literal, h);
    case HOST_CIDR:
        return cidr_contains(e, h);
    case HOST_SELF:
        return false; /* only relative requests (host NULL) */
    }
    return false;
}

static bool port_allows(const entry *e, const char *scheme, uint16_t port)
{
    if (e->port_any)
        return true;
    if (port == 0)
        port = well_known_port(scheme);
    if (port == 0 || e->port_empty_range)
        return false;
    return port >= e->port_lo && port <= e->port_hi;
}

/* The request's host as url::Host: bare IPv6 addresses get brackets. */
static int request_host(const char *host, url_host *out)
{
    const char *why;
    if (strchr(host, ':') != NULL && host[0] != '[') {
        cleanup_free char *b = util_xasprintf("[%s]", host);
        return url_host_parse(b, strlen(b), out, &why);
    }
    return url_host_parse(host, strlen(host), out, &why);
}

bool spin_outbound_hosts_allows(const spin_outbound_hosts *p, const char *scheme,
                                const char *host, uint16_t port)
{
    if (p == NULL || scheme == NULL)
        return false;
    if (host == NULL) {
        for (size_t i = 0; i < p->len; i++) {
            const entry *e = &p->items[i];
            if ((e->scheme == NULL || strcmp(e->scheme, scheme) == 0) &&
                (e->host == HOST_ANY || e->host == HOST_SELF))
                return true;
        }
        return false;
    }
    url_host h;
    if (request_host(host, &h) < 0)
        return false;
    bool ok = false;
    for (size_t i = 0; i < p->len && !ok; i++) {
        const entry *e = &p->items[i];
        ok = (e->scheme == NULL || strcmp(e->scheme, scheme) == 0) && host_allows(p, e, &h) &&
             port_allows(e, scheme, port);
    }
    free(h.domain);
    return ok;
}

bool spin_outbound_hosts_allowed_cb(void *self, const char *scheme, const char *host,
                                    uint16_t port)
{
    return spin_outbound_hosts_allows(self, scheme, host, port);
}
