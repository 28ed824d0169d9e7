/*
 * componentize_world.c - the WIT worlds a wit-bindgen core module carries
 * in its `component-type*` custom sections, read with the component
 * decoder, and the lookups componentize.c does in them.
 *
 * A section's payload is a component encoding a WIT package, in one of
 * two layouts wit-component has written:
 *   - up to 2023 (wit-component <= 0.18, what Spin 2.0's Rust SDK used):
 *     a byte 0x03 (the layout's version), the string encoding (0 utf8,
 *     1 utf16, 2 compact-utf16), the world's name as a core name, then the
 *     component; its one exported type is the package, a component type
 *     exporting every interface and world of the package; the world is the
 *     component-sorted export whose interface is that name (or, as
 *     wit-component 0.19-0.20 wrote it, one exported type per interface and
 *     world, the world's type named as the world and holding only it);
 *   - since: the component itself (it starts with \0asm); a custom section
 *     "wit-component-encoding" holds [version, string encoding]; its
 *     exported type is a component type exporting exactly the world.
 * Either way the world is a component type: imports (interface instances,
 * functions, types) and exports.  The decoder checks every index in it,
 * so the lookups below only follow what it accepted; they still check
 * bounds, since a decoded model is all they trust.
 */
#include "componentize.h"

#include "leb128.h"

#include <string.h>

#define SECTION_PREFIX "component-type"

static int section_fail(const char *section, util_error **err, const char *what)
{
    return util_error_set(err, 0, "custom section %s: %s", section, what);
}

/* The string encoding from the "wit-component-encoding" custom section of
 * the (already decoded, so well framed) component. */
static component_string_encoding encoding_of(const uint8_t *data, size_t len)
{
    const uint8_t *p = data + 8, *end = data + len;
    while (p < end) {
        uint8_t id = *p++;
        uint32_t size, nlen;
        if (util_leb128_read_u32(&p, end, &size) != 0 || size > (size_t)(end - p))
            break;
        const uint8_t *next = p + size;
        if (id == 0 && util_leb128_read_u32(&p, next, &nlen) == 0 && nlen <= (size_t)(next - p) &&
            nlen == 22 && memcmp(p, "wit-component-encoding", 22) == 0 && next - (p + nlen) >= 2)
            return p[nlen + 1] <= 2 ? (component_string_encoding)p[nlen + 1]
                                    : COMPONENT_STRING_UTF8;
        p = next;
    }
    return COMPONENT_STRING_UTF8;
}

/* The package: the component type the section's component exports (named
 * `name` when given: the layout of wit-component 0.19-0.20 exports one
 * type per interface and world, the world's holding just the world). */
static const component_decls *package_of(const component *c, const char *name)
{
    for (uint32_t i = 0; i < c->nexports; i++) {
        const component_extern *e = &c->exports[i];
        if (e->sort == COMPONENT_SORT_TYPE && e->index < c->ntypes &&
            c->types[e->index].kind == COMPONENT_TYPE_COMPONENT &&
            (!name || (e->name.label && strcmp(e->name.label, name) == 0)))
            return c->types[e->index].decls;
    }
    return NULL;
}

/* The world in the package: the component export named `world` (old
 * layout), or the only component export. */
static const component_decls *world_of(const component_decls *pkg, const char *world)
{
    const component_decls *found = NULL;
    for (uint32_t i = 0; i < pkg->nexports; i++) {
        const component_extern *e = &pkg->exports[i];
        if (e->desc.sort != COMPONENT_SORT_COMPONENT || e->desc.index >= pkg->ntypes ||
            pkg->types[e->desc.index].kind != COMPONENT_TYPE_COMPONENT)
            continue;
        const char *label = e->name.kind == COMPONENT_NAME_INTERFACE ? e->name.interface
                                                                     : e->name.label;
        if (world && (!label || strcmp(label, world) != 0))
            continue;
        if (found)
            return NULL; /* two worlds and no name to choose */
        found = pkg->types[e->desc.index].decls;
    }
    return found;
}

int component_cz_read_world(const char *section, const uint8_t *data, size_t len, cz_world *out,
                            util_error **err)
{
    memset(out, 0, sizeof *out);
    cleanup_free char *world = NULL;
    if (len > 0 && data[0] == 0x03) {
        const uint8_t *p = data + 1, *end = data + len;
        uint32_t nlen;
        if (p >= end || *p > 2)
            return section_fail(section, err, "bad string encoding byte");
        out->encoding = (component_string_encoding)*p++;
        if (util_leb128_read_u32(&p, end, &nlen) != 0 || nlen > (size_t)(end - p))
            return section_fail(section, err, "truncated world name");
        world = util_xstrndup((const char *)p, nlen);
        len -= (size_t)(p + nlen - data);
        data = p + nlen;
    } else if (len < 8 || memcmp(data, "\0asm", 4) != 0) {
        return util_error_set(err, 0, "custom section %s: unknown layout (first byte 0x%02x; "
                              "expected 0x03 or a component)", section, len ? data[0] : 0);
    }
    if (!component_is_component(data, len))
        return section_fail(section, err, "the payload is no component");
    if (component_decode(data, len, &out->pkg, err) < 0)
        return util_error_wrap(err, "custom section %s", section);
    if (data[0] == 0)
        out->encoding = world ? out->encoding : encoding_of(data, len);
    /* a type of its own named as the world, else the package's export */
    out->pkg_decls = world ? package_of(out->pkg, world) : NULL;
    out->world = out->pkg_decls ? world_of(out->pkg_decls, NULL) : NULL;
    if (!out->world) {
        out->pkg_decls = package_of(out->pkg, NULL);
        out->world = out->pkg_decls ? world_of(out->pkg_decls, world) : NULL;
    }
    out->section = util_xstrdup(section);
    if (!out->world) {
        util_error_set(err, 0, "custom section %s: no world %s%sin its package", section,
                       world ? world : "", world ? " " : "");
        component_free(out->pkg);
        free(out->section);
        memset(out, 0, sizeof *out);
        return -1;
    }
    return 0;
}

void component_cz_free_worlds(cz_world *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        component_free(w[i].pkg);
        free(w[i].section);
    }
    free(w);
}

/* Calls fn for every custom section whose name starts with
 * "component-type"; -1 on a malformed module framing or fn failing. */
int component_cz_read_worlds(const uint8_t *bytes, size_t len, cz_world **out, size_t *n,
                             util_error **err)
{
    *out = NULL;
    *n = 0;
    if (len < 8 || memcmp(bytes, "\0asm\1\0\0\0", 8) != 0)
        return util_error_set(err, 0, "not a core module");
    const uint8_t *p = bytes + 8, *end = bytes + len;
    while (p < end) {
        size_t at = (size_t)(p - bytes);
        uint8_t id = *p++;
        uint32_t size, nlen;
        if (util_leb128_read_u32(&p, end, &size) != 0 || size > (size_t)(end - p))
            goto bad;
        const uint8_t *next = p + size;
        if (id == 0) {
            if (util_leb128_read_u32(&p, next, &nlen) != 0 || nlen > (size_t)(next - p))
                goto bad;
            if (nlen >= strlen(SECTION_PREFIX) &&
                memcmp(p, SECTION_PREFIX, strlen(SECTION_PREFIX)) == 0) {
                cleanup_free char *name = util_xstrndup((const char *)p, nlen);
                *out = util_xrealloc(*out, (*n + 1) * sizeof **out);
                if (component_cz_read_world(name, p + nlen, (size_t)(next - p - nlen),
                                            &(*out)[*n], err) < 0) {
                    component_cz_free_worlds(*out, *n);
                    *out = NULL;
                    *n = 0;
                    return -1;
                }
                (*n)++;
            }
        }
        p = next;
        continue;
    bad:
        component_cz_free_worlds(*out, *n);
        *out = NULL;
        *n = 0;
        return util_error_set(err, 0, "core module: malformed section at offset 0x%zx", at);
    }
    return 0;
}

bool component_module_has_world(const uint8_t *bytes, size_t len)
{
    if (len < 8 || memcmp(bytes, "\0asm\1\0\0\0", 8) != 0)
        return false;
    const uint8_t *p = bytes + 8, *end = bytes + len;
    while (p < end) {
        uint8_t id = *p++;
        uint32_t size, nlen;
        if (util_leb128_read_u32(&p, end, &size) != 0 || size > (size_t)(end - p))
            return false;
        const uint8_t *next = p + size;
        if (id == 0 && util_leb128_read_u32(&p, next, &nlen) == 0 && nlen <= (size_t)(next - p) &&
            nlen >= strlen(SECTION_PREFIX) && memcmp(p, SECTION_PREFIX, strlen(SECTION_PREFIX)) == 0)
            return true;
        p = next;
    }
    return false;
}

/* ---- lookups ------------------------------------------------------------- */

static const component_extern *find_extern(const component_extern *list, uint32_t n,
                                           const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(list[i].name.text, name) == 0)
            return &list[i];
    return NULL;
}

const component_extern *component_cz_world_import(const component_decls *w, const char *name)
{
    return find_extern(w->imports, w->nimports, name);
}

const component_extern *component_cz_world_export(const component_decls *w, const char *name)
{
    return find_extern(w->exports, w->nexports, name);
}

const component_type *component_cz_instance_type(const component_decls *w,
                                                 const component_extern *e)
{
    if (e->desc.sort != COMPONENT_SORT_INSTANCE || e->desc.index >= w->ntypes)
        return NULL;
    const component_type *t = &w->types[e->desc.index];
    return t->kind == COMPONENT_TYPE_INSTANCE ? t : NULL;
}

const component_extern *component_cz_func(const component_decls *it, const char *name)
{
    const component_extern *e = find_extern(it->exports, it->nexports, name);
    return e && e->desc.sort == COMPONENT_SORT_FUNC ? e : NULL;
}

const cz_scope *component_cz_outer(const cz_scope *s, uint32_t count)
{
    for (uint32_t i = 0; i < count && s; i++)
        s = s->parent;
    return s;
}

/* The instance import of scope s whose instance index is `idx`. */
static const component_extern *instance_import(const component_decls *d, uint32_t idx)
{
    for (uint32_t i = 0; i < d->nimports; i++)
        if (d->imports[i].desc.sort == COMPONENT_SORT_INSTANCE && d->imports[i].index == idx)
            return &d->imports[i];
    return NULL;
}

static bool has_pointers(const cz_scope *s, component_valtype v, int depth);

static bool any_field_has_pointers(const cz_scope *s, const component_type *t, int depth)
{
    for (uint32_t i = 0; i < t->nfields; i++)
        if (t->fields[i].has_type && has_pointers(s, t->fields[i].type, depth + 1))
            return true;
    return false;
}

/* Through an alias of an imported instance's type export. */
static bool alias_has_pointers(const cz_scope *s, const component_type *t, int depth)
{
    const component_extern *imp = instance_import(s->d, t->alias_instance);
    const component_type *it = imp ? component_cz_instance_type(s->d, imp) : NULL;
    const component_extern *e =
        it ? find_extern(it->decls->exports, it->decls->nexports, t->alias_name) : NULL;
    if (!e || e->desc.sort != COMPONENT_SORT_TYPE)
        return true; /* unknown: assume the worst */
    cz_scope inner = {it->decls, s};
    return has_pointers(&inner, (component_valtype){.index = e->index}, depth + 1);
}

static bool has_pointers(const cz_scope *s, component_valtype v, int depth)
{
    if (v.prim)
        return v.prim == COMPONENT_PRIM_STRING;
    if (!s || depth > 64 || v.index >= s->d->ntypes)
        return true;
    const component_type *t = &s->d->types[v.index];
    switch (t->kind) {
    case COMPONENT_TYPE_PRIM:
        return t->prim == COMPONENT_PRIM_STRING;
    case COMPONENT_TYPE_LIST:
        return true;
    case COMPONENT_TYPE_RECORD:
    case COMPONENT_TYPE_TUPLE:
    case COMPONENT_TYPE_VARIANT:
        return any_field_has_pointers(s, t, depth);
    case COMPONENT_TYPE_OPTION:
        return has_pointers(s, t->a, depth + 1);
    case COMPONENT_TYPE_RESULT:
        return (t->has_a && has_pointers(s, t->a, depth + 1)) ||
               (t->has_b && has_pointers(s, t->b, depth + 1));
    case COMPONENT_TYPE_FLAGS:
    case COMPONENT_TYPE_ENUM:
    case COMPONENT_TYPE_OWN:
    case COMPONENT_TYPE_BORROW:
    case COMPONENT_TYPE_IMPORT_SUB:
    case COMPONENT_TYPE_RESOURCE:
        return false;
    case COMPONENT_TYPE_IMPORT_EQ:
        return has_pointers(s, (component_valtype){.index = t->index}, depth + 1);
    case COMPONENT_TYPE_ALIAS:
        if (t->alias_kind == COMPONENT_ALIAS_OUTER)
            return has_pointers(component_cz_outer(s, t->alias_outer_count),
                                (component_valtype){.index = t->alias_outer_index}, depth + 1);
        return alias_has_pointers(s, t, depth);
    default:
        return true;
    }
}

bool component_cz_has_pointers(const cz_scope *s, component_valtype v)
{
    return has_pointers(s, v, 0);
}
