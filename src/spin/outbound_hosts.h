/*
 * outbound_hosts.h - private to src/spin: a component's allowed_outbound_hosts
 * as Spin parses and applies them (crates/outbound-networking-config,
 * allowed_hosts.rs), and the callback wasi2 and spinapi ask before a guest
 * reaches the network.
 *
 * Entries are `scheme://host[:port]`: scheme `*` or letters; host `*`,
 * `*.domain` (any subdomain), `self` (the app itself: relative requests),
 * an IPv4/IPv6 CIDR, or a name / address; port `*`, a number, a range
 * `a..b` (b excluded) or, when left out, the scheme's well-known port
 * (http 80, https 443, postgres, mysql, redis, mqtt).  Scheme, host and port all
 * `*` allow everything; the old `insecure:allow-all` is refused, naming the
 * replacement.  Templated entries (`{{ var }}`) are resolved by the
 * caller and added with from_template, which lets an empty resolution
 * ("", "http://", "https://") mean "no entry".
 */
#ifndef SPIN_OUTBOUND_HOSTS_H
#define SPIN_OUTBOUND_HOSTS_H

#include "locked_app.h"
#include "manifest.h"
#include "util.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct spin_outbound_hosts spin_outbound_hosts;

/* An empty policy: allows nothing. */
spin_outbound_hosts *spin_outbound_hosts_new(void);
void spin_outbound_hosts_free(spin_outbound_hosts *p);

/* Parses literal entries (a list of exactly "insecure:allow-all" is
 * refused) into a new policy.  NULL with *err naming the bad entry. */
spin_outbound_hosts *spin_outbound_hosts_parse(const char *const *entries, size_t n,
                                               util_error **err);
/* Adds one entry; from_template: it is a resolved template, and an empty
 * resolution adds nothing. */
int spin_outbound_hosts_add(spin_outbound_hosts *p, const char *entry, bool from_template,
                            util_error **err);
/* The app's component ids: `*.spin.internal` (service chaining) then
 * allows exactly `<id>.spin.internal` for each, as Spin expands it. */
void spin_outbound_hosts_set_components(spin_outbound_hosts *p, const char *const *ids,
                                        size_t n);

/* The policy of component c of app: its allowed_outbound_hosts (which
 * already hold what a legacy allowed_http_hosts means), each templated
 * entry rendered with `lookup` (the app's variables; an unknown one is an
 * error naming it), and the app's component ids for service chaining.
 * NULL with *err naming the component and the entry. */
spin_outbound_hosts *spin_outbound_hosts_for_component(const spin_locked_app *app,
                                                       const spin_locked_component *c,
                                                       spin_template_lookup lookup, void *ctx,
                                                       util_error **err);

/* May a request go to scheme://host:port?  `scheme` lower-case without
 * "://"; `host` a name, an IPv4 address, or an IPv6 address with or
 * without brackets; port 0: the scheme's well-known port.  host NULL: a
 * relative request to the app itself (allowed by `self` or `*` hosts). */
bool spin_outbound_hosts_allows(const spin_outbound_hosts *p, const char *scheme,
                                const char *host, uint16_t port);

/* The same with wasi2_config.outbound_allowed's and
 * spinapi_component_config.outbound_allowed's signature: self is the
 * spin_outbound_hosts (NULL allows nothing). */
bool spin_outbound_hosts_allowed_cb(void *self, const char *scheme, const char *host,
                                    uint16_t port);

#endif
