/*
 * names.c - import and export names of components (the lexical grammar of
 * Explainer.md, "Import and Export Definitions").
 *
 * A name is either an interface name, `ns:pkg/iface@1.2.3`, which the host
 * matches against what it provides (`run` finds wasi:cli/run@0.2.x by its
 * parts), or a plain name: a kebab-case label, maybe annotated as a
 * resource's [constructor], [method] or [static] function.  The parser
 * checks every character, so the parts it hands out need no more checks.
 * Nested namespaces and the versionsuffix attributes of newer binaries are
 * refused: no toolchain of the WASI 0.2 era writes them.
 */
#include "component_internal.h"

#include <string.h>

typedef struct {
    const char *s;
    size_t len, pos;
} scan;

static bool at_end(const scan *sc)
{
    return sc->pos >= sc->len;
}

static char peek(const scan *sc)
{
    return at_end(sc) ? '\0' : sc->s[sc->pos];
}

static bool is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* One fragment of a label or of words: all lower case or (labels only)
 * all upper case, digits anywhere but first in the first fragment. */
static bool fragment(scan *sc, bool first, bool acronyms)
{
    size_t start = sc->pos;
    bool upper = is_upper(peek(sc));
    if (upper && !acronyms)
        return false;
    if (first && !is_lower(peek(sc)) && !upper)
        return false;
    while (!at_end(sc) && (is_digit(peek(sc)) || (upper ? is_upper(peek(sc)) : is_lower(peek(sc)))))
        sc->pos++;
    return sc->pos > start;
}

/* label (acronyms allowed) or words (lower case only). */
static bool kebab(scan *sc, bool acronyms)
{
    if (!fragment(sc, true, acronyms))
        return false;
    while (peek(sc) == '-') {
        sc->pos++;
        if (!fragment(sc, false, acronyms))
            return false;
    }
    return true;
}

static bool expect(scan *sc, char c)
{
    if (peek(sc) != c)
        return false;
    sc->pos++;
    return true;
}

static char *take(const scan *sc, size_t start)
{
    return util_xstrndup(sc->s + start, sc->pos - start);
}

/* A numeric semver part: 0 or no leading zero. */
static bool number(scan *sc)
{
    size_t start = sc->pos;
    while (is_digit(peek(sc)))
        sc->pos++;
    return sc->pos > start && !(sc->s[start] == '0' && sc->pos - start > 1);
}

/* Dot-separated identifiers of a pre-release or build tag. */
static bool identifiers(scan *sc, bool prerelease)
{
    do {
        size_t start = sc->pos;
        bool numeric = true;
        while (!at_end(sc) && (is_digit(peek(sc)) || is_lower(peek(sc)) || is_upper(peek(sc)) ||
                               peek(sc) == '-')) {
            numeric = numeric && is_digit(peek(sc));
            sc->pos++;
        }
        if (sc->pos == start)
            return false;
        if (prerelease && numeric && sc->s[start] == '0' && sc->pos - start > 1)
            return false;
    } while (expect(sc, '.'));
    return true;
}

/* MAJOR.MINOR.PATCH[-pre-release][+build] (semver.org). */
static bool semver(scan *sc)
{
    if (!number(sc) || !expect(sc, '.') || !number(sc) || !expect(sc, '.') || !number(sc))
        return false;
    if (expect(sc, '-') && !identifiers(sc, true))
        return false;
    if (expect(sc, '+') && !identifiers(sc, false))
        return false;
    return at_end(sc);
}

static int parse_interface(scan *sc, component_name *n, util_error **err)
{
    size_t start = 0;
    if (!kebab(sc, false) || peek(sc) != ':')
        return util_error_set(err, 0, "bad namespace in interface name \"%s\"", n->text);
    n->ns = take(sc, start);
    start = ++sc->pos;
    if (!kebab(sc, false) || peek(sc) != '/')
        return util_error_set(err, 0, "bad package in interface name \"%s\"", n->text);
    n->package = take(sc, start);
    start = ++sc->pos;
    if (!kebab(sc, true) || (!at_end(sc) && peek(sc) != '@'))
        return util_error_set(err, 0, "bad interface in interface name \"%s\"", n->text);
    n->interface = take(sc, start);
    if (at_end(sc))
        return 0;
    start = ++sc->pos;
    if (!semver(sc))
        return util_error_set(err, 0, "bad version in interface name \"%s\"", n->text);
    n->version = take(sc, start);
    return 0;
}

static bool prefix(scan *sc, const char *p)
{
    size_t n = strlen(p);
    if (sc->len - sc->pos < n || memcmp(sc->s + sc->pos, p, n) != 0)
        return false;
    sc->pos += n;
    return true;
}

static int parse_plain(scan *sc, component_name *n, util_error **err)
{
    size_t start;
    if (prefix(sc, "[constructor]"))
        n->plain = COMPONENT_PLAIN_CONSTRUCTOR;
    else if (prefix(sc, "[method]"))
        n->plain = COMPONENT_PLAIN_METHOD;
    else if (prefix(sc, "[static]"))
        n->plain = COMPONENT_PLAIN_STATIC;
    start = sc->pos;
    if (!kebab(sc, true))
        return util_error_set(err, 0, "bad name \"%s\": not a kebab-case label", n->text);
    if (n->plain == COMPONENT_PLAIN_METHOD || n->plain == COMPONENT_PLAIN_STATIC) {
        n->resource = take(sc, start);
        if (peek(sc) != '.')
            return util_error_set(err, 0, "bad name \"%s\": expected resource.label", n->text);
        start = ++sc->pos;
        if (!kebab(sc, true))
            return util_error_set(err, 0, "bad name \"%s\": not a kebab-case label", n->text);
    }
    if (!at_end(sc))
        return util_error_set(err, 0, "bad name \"%s\": unexpected '%c'", n->text, peek(sc));
    n->label = take(sc, start);
    if (n->plain == COMPONENT_PLAIN_CONSTRUCTOR)
        n->resource = util_xstrdup(n->label);
    return 0;
}

bool component_label_valid(const char *s, size_t len)
{
    scan sc = {.s = s, .len = len};
    return kebab(&sc, true) && at_end(&sc);
}

int component_name_parse(const char *text, size_t len, component_name *name, util_error **err)
{
    scan sc = {.s = text, .len = len};
    memset(name, 0, sizeof(*name));
    if (memchr(text, '\0', len))
        return util_error_set(err, 0, "name contains a NUL byte");
    name->text = util_xstrndup(text, len);
    name->kind = memchr(text, ':', len) ? COMPONENT_NAME_INTERFACE : COMPONENT_NAME_PLAIN;
    int rc = name->kind == COMPONENT_NAME_INTERFACE ? parse_interface(&sc, name, err)
                                                    : parse_plain(&sc, name, err);
    if (rc < 0)
        component_name_clear(name);
    return rc;
}

void component_name_clear(component_name *name)
{
    free(name->text);
    free(name->ns);
    free(name->package);
    free(name->interface);
    free(name->version);
    free(name->resource);
    free(name->label);
    memset(name, 0, sizeof(*name));
}
