/*
 * routes.c - Spin's HTTP route table.
 *
 * Spin normalises each route ("based route": a leading '/' added, one
 * trailing '/' removed), turns "/x/..." into the pattern "/x/" + "*", and asks a
 * router for the best match.  We keep the same observable rules with a
 * plain array: apps have a handful of routes, so scanning every entry and
 * keeping the most specific match is both simple and fast enough (no
 * allocation unless a route matches).
 *
 * A pattern is split into segments at '/' (empty sections collapse, as in
 * Spin's router); each segment is exact text, ":name" (one non-empty path
 * segment) or "*" (the rest, possibly empty; only last).  The request path
 * has all leading and trailing slashes trimmed before matching, so "/foo/"
 * matches "/foo" — but the trailing slash is still reported in path_info,
 * which Spin has always done for wildcard routes.
 */
#include "routes.h"

#include <string.h>

typedef enum { SEG_WILDCARD = 0, SEG_PARAM = 1, SEG_EXACT = 2 } seg_kind;

typedef struct {
    seg_kind kind;
    char *text; /* exact text or param name */
    size_t len;
} segment;

typedef struct {
    char *raw_route;
    char *based_route;
    char *based_or_prefix;
    char *raw_or_prefix;
    char *display;
    char *key;
    size_t target;
    bool wildcard;
    segment *segs;
    size_t nsegs;
} route_entry;

struct spin_router {
    route_entry *entries;
    size_t n;
};

static void entry_clear(route_entry *e)
{
    free(e->raw_route);
    free(e->based_route);
    free(e->based_or_prefix);
    free(e->raw_or_prefix);
    free(e->display);
    free(e->key);
    for (size_t i = 0; i < e->nsegs; i++)
        free(e->segs[i].text);
    free(e->segs);
    memset(e, 0, sizeof(*e));
}

/* Spin's sanitize_with_base("/", route): absolutize, drop one trailing '/'. */
static char *based_route_of(const char *raw)
{
    char *s = raw[0] == '/' ? util_xstrdup(raw) : util_xasprintf("/%s", raw);
    size_t len = strlen(s);
    if (len > 0 && s[len - 1] == '/')
        s[len - 1] = '\0';
    return s;
}

static char *strip_wild_suffix(const char *s)
{
    size_t len = strlen(s);
    if (len >= 4 && strcmp(s + len - 4, "/...") == 0)
        return util_xstrndup(s, len - 4);
    return util_xstrdup(s);
}

static int parse_pattern(route_entry *e, util_error **err)
{
    const char *based = e->based_route;
    size_t len = strlen(based);
    cleanup_free char *pattern = NULL;
    if (len >= 4 && strcmp(based + len - 4, "/...") == 0) {
        pattern = util_xasprintf("%.*s/*", (int)(len - 4), based);
        e->wildcard = true;
        e->display = util_xasprintf("%.*s (wildcard)", (int)(len - 4), based);
    } else if (len >= 2 && strcmp(based + len - 2, "/*") == 0) {
        pattern = util_xstrdup(based);
        e->wildcard = true;
        e->display = util_xasprintf("%.*s (wildcard)", (int)(len - 2), based);
    } else {
        pattern = util_xstrdup(based);
        e->display = util_xstrdup(based);
    }

    const char *p = pattern;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        segment seg = {SEG_EXACT, NULL, 0};
        if (p[0] == '*') {
            if (n != 1)
                return util_error_set(err, 0,
                                      "Error parsing route %s associated with component %s: "
                                      "a wildcard cannot be named ('%.*s'): use '/...'",
                                      based, e->key, (int)n, p);
            seg.kind = SEG_WILDCARD;
        } else if (p[0] == ':') {
            if (n == 1)
                return util_error_set(err, 0,
                                      "Error parsing route %s associated with component %s: "
                                      "params must be named",
                                      based, e->key);
            seg.kind = SEG_PARAM;
            seg.text = util_xstrndup(p + 1, n - 1);
            seg.len = n - 1;
        } else {
            seg.text = util_xstrndup(p, n);
            seg.len = n;
        }
        if (e->nsegs > 0 && e->segs[e->nsegs - 1].kind == SEG_WILDCARD) {
            free(seg.text);
            return util_error_set(err, 0,
                                  "Error parsing route %s associated with component %s: "
                                  "a wildcard must be the last segment",
                                  based, e->key);
        }
        e->segs = util_xrealloc(e->segs, (e->nsegs + 1) * sizeof(segment));
        e->segs[e->nsegs++] = seg;
        p += n;
    }
    return 0;
}

void spin_router_free(spin_router *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        entry_clear(&r->entries[i]);
    free(r->entries);
    free(r);
}

void spin_route_duplicates_free(spin_route_duplicate *dups, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(dups[i].route);
        free(dups[i].replaced_key);
        free(dups[i].effective_key);
    }
    free(dups);
}

spin_router *spin_router_build(const spin_route_spec *specs, size_t n,
                               spin_route_duplicate **dups, size_t *ndups, util_error **err)
{
    spin_router *r = util_xcalloc(1, sizeof(*r));
    r->entries = util_xcalloc(n ? n : 1, sizeof(route_entry));
    spin_route_duplicate *d = NULL;
    size_t nd = 0;

    for (size_t i = 0; i < n; i++) {
        const spin_route_spec *s = &specs[i];
        if (s->is_private)
            continue;
        if (!s->route) {
            util_error_set(err, 0,
                           "route must be a string pattern or '{ private = true }': '%s' has "
                           "{ private = false }",
                           s->key);
            goto fail;
        }
        /* The same route text again replaces the earlier target in place,
         * as an insertion into Spin's ordered map does. */
        route_entry *slot = NULL;
        for (size_t j = 0; j < r->n; j++) {
            if (strcmp(r->entries[j].raw_route, s->route) == 0) {
                slot = &r->entries[j];
                break;
            }
        }
        if (slot) {
            d = util_xrealloc(d, (nd + 1) * sizeof(*d));
            d[nd].route = util_xstrdup(slot->based_route[0] ? slot->based_route : "/");
            d[nd].replaced_key = util_xstrdup(slot->key);
            d[nd].effective_key = util_xstrdup(s->key);
            nd++;
            free(slot->key);
            slot->key = util_xstrdup(s->key);
            slot->target = s->target;
            continue;
        }
        route_entry *e = &r->entries[r->n++];
        e->raw_route = util_xstrdup(s->route);
        e->key = util_xstrdup(s->key);
        e->target = s->target;
        e->based_route = based_route_of(s->route);
        e->based_or_prefix = strip_wild_suffix(e->based_route);
        e->raw_or_prefix = strip_wild_suffix(e->raw_route);
        if (parse_pattern(e, err) < 0)
            goto fail;
    }
    if (dups) {
        *dups = d;
        *ndups = nd;
    } else {
        spin_route_duplicates_free(d, nd);
    }
    return r;

fail:
    spin_route_duplicates_free(d, nd);
    spin_router_free(r);
    return NULL;
}

size_t spin_router_count(const spin_router *r)
{
    return r->n;
}

const char *spin_router_display(const spin_router *r, size_t i, const char **key)
{
    if (i >= r->n)
        return NULL;
    if (key)
        *key = r->entries[i].key;
    return r->entries[i].display;
}

bool spin_router_has_reserved(const spin_router *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (strncmp(r->entries[i].based_route, "/.well-known/spin/", 18) == 0)
            return true;
    return false;
}

/* Span of one captured piece of the path. */
typedef struct {
    size_t off, len;
} span;

/* Matches the trimmed path; fills caps (params in order) and *wild. */
static bool entry_matches(const route_entry *e, const char *p, size_t len, span *caps,
                          size_t *ncaps, span *wild, bool *has_wild)
{
    size_t pos = 0, nc = 0;
    *has_wild = false;
    for (size_t i = 0; i < e->nsegs; i++) {
        const segment *s = &e->segs[i];
        if (i > 0) {
            if (pos < len && p[pos] == '/')
                pos++;
            else if (!(pos == len && s->kind == SEG_WILDCARD))
                return false;
        }
        switch (s->kind) {
        case SEG_EXACT:
            if (len - pos < s->len || memcmp(p + pos, s->text, s->len) != 0)
                return false;
            pos += s->len;
            break;
        case SEG_PARAM: {
            if (pos == len)
                return false;
            const char *slash = memchr(p + pos, '/', len - pos);
            size_t n = slash ? (size_t)(slash - (p + pos)) : len - pos;
            caps[nc].off = pos;
            caps[nc].len = n;
            nc++;
            pos += n;
            break;
        }
        case SEG_WILDCARD:
            wild->off = pos;
            wild->len = len - pos;
            *has_wild = true;
            pos = len;
            break;
        }
    }
    *ncaps = nc;
    return pos == len;
}

/* > 0 if a is more specific than b. */
static int specificity_cmp(const route_entry *a, const route_entry *b)
{
    size_t n = a->nsegs < b->nsegs ? a->nsegs : b->nsegs;
    for (size_t i = 0; i < n; i++) {
        if (a->segs[i].kind != b->segs[i].kind)
            return (int)a->segs[i].kind - (int)b->segs[i].kind;
    }
    if (a->nsegs != b->nsegs)
        return a->nsegs < b->nsegs ? 1 : -1;
    return 0;
}

bool spin_router_match(const spin_router *r, const char *path, spin_route_match *m)
{
    memset(m, 0, sizeof(*m));
    const char *p = path;
    while (*p == '/')
        p++;
    size_t len = strlen(p);
    while (len > 0 && p[len - 1] == '/')
        len--;
    bool trailing_slash = path[0] != '\0' && path[strlen(path) - 1] == '/';

    const route_entry *best = NULL;
    for (size_t i = 0; i < r->n; i++) {
        const route_entry *e = &r->entries[i];
        span caps[e->nsegs ? e->nsegs : 1], wild;
        size_t nc;
        bool hw;
        if (!entry_matches(e, p, len, caps, &nc, &wild, &hw))
            continue;
        if (!best || specificity_cmp(e, best) > 0)
            best = e;
    }
    if (!best)
        return false;

    span caps[best->nsegs ? best->nsegs : 1], wild = {0, 0};
    size_t nc = 0;
    bool hw = false;
    entry_matches(best, p, len, caps, &nc, &wild, &hw);
    m->target = best->target;
    m->key = best->key;
    m->based_route = best->based_route;
    m->raw_route = best->raw_route;
    m->based_route_or_prefix = best->based_or_prefix;
    m->raw_route_or_prefix = best->raw_or_prefix;
    if (!hw)
        m->path_info = util_xstrdup("");
    else if (wild.len == 0)
        m->path_info = util_xstrdup(trailing_slash ? "/" : "");
    else
        m->path_info = util_xasprintf("/%.*s%s", (int)wild.len, p + wild.off,
                                      trailing_slash ? "/" : "");
    if (nc > 0) {
        m->captures = util_xcalloc(nc, sizeof(spin_route_capture));
        size_t k = 0;
        for (size_t i = 0; i < best->nsegs; i++) {
            if (best->segs[i].kind != SEG_PARAM)
                continue;
            m->captures[k].name = util_xstrdup(best->segs[i].text);
            m->captures[k].value = util_xstrndup(p + caps[k].off, caps[k].len);
            k++;
        }
        m->ncaptures = nc;
    }
    return true;
}

void spin_route_match_clear(spin_route_match *m)
{
    free(m->path_info);
    for (size_t i = 0; i < m->ncaptures; i++) {
        free(m->captures[i].name);
        free(m->captures[i].value);
    }
    free(m->captures);
    memset(m, 0, sizeof(*m));
}
