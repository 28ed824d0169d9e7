/*
 * routes.h - the HTTP trigger's routing table (internal to src/spin).
 *
 * Reproduces Spin's router: route patterns are "/exact/path", "/prefix/..."
 * (trailing wildcard, also spelled "/prefix/" + "*") and ":name" segments; a
 * route may instead be private (`route = { private = true }`), which keeps
 * it out of the table.  Among the routes matching a path the most specific
 * wins, compared segment by segment from the left (exact > :name >
 * wildcard); when one route is a prefix of the other, the shorter wins, so
 * "/foo" beats "/foo/..." for "/foo".  Two entries with the same route text
 * are duplicates: the later one wins and the earlier one is reported.
 */
#ifndef SPIN_ROUTES_H
#define SPIN_ROUTES_H

#include "util.h"

typedef struct spin_route_spec {
    const char *route; /* the pattern as written; ignored when is_private */
    bool is_private;   /* route = { private = true } */
    const char *key;   /* component id (or trigger id) for messages and lookup */
    size_t target;     /* caller's index of what the route leads to */
} spin_route_spec;

typedef struct spin_route_duplicate {
    char *route;        /* the based route, "/" for the root */
    char *replaced_key; /* the entry that is never reached */
    char *effective_key;
} spin_route_duplicate;

typedef struct spin_router spin_router;

typedef struct spin_route_capture {
    char *name;
    char *value;
} spin_route_capture;

typedef struct spin_route_match {
    size_t target;
    const char *key;
    const char *based_route;       /* "/hello", "/env/...", "" for the root */
    const char *raw_route;         /* as written in the manifest */
    const char *based_route_or_prefix; /* based_route without "/..." */
    const char *raw_route_or_prefix;
    char *path_info; /* what the trailing wildcard matched, "" if none */
    spin_route_capture *captures; /* the :name segments, in route order */
    size_t ncaptures;
} spin_route_match;

/* Builds the table; duplicates (if dups is non-NULL) are returned as an
 * array the caller frees with spin_route_duplicates_free.  Fails on a
 * pattern that cannot be parsed or on { private = false }. */
spin_router *spin_router_build(const spin_route_spec *specs, size_t n,
                               spin_route_duplicate **dups, size_t *ndups, util_error **err);
void spin_router_free(spin_router *r);
void spin_route_duplicates_free(spin_route_duplicate *dups, size_t n);

/* Number of routable entries, and a printable form of the i-th one in
 * declaration order ("/hello", "/env (wildcard)") with its key. */
size_t spin_router_count(const spin_router *r);
const char *spin_router_display(const spin_router *r, size_t i, const char **key);
/* True if some route lies under /.well-known/spin/ (never reached). */
bool spin_router_has_reserved(const spin_router *r);

/* `path` is the request path without the query string, as received (not
 * percent-decoded).  Returns false when nothing matches. */
bool spin_router_match(const spin_router *r, const char *path, spin_route_match *m);
void spin_route_match_clear(spin_route_match *m);

#endif
