/*
 * decode.c - the component decoder: the preamble, the section loop, the
 * sections that define instances, imports and exports, and the model's
 * read access.
 *
 * Design: one pass over the bytes, as the format intends (each definition
 * may only use what precedes it).  A comp_scope counts every index space as
 * sections add to it, so an out-of-range index is refused where it is read,
 * with the section and byte offset; types.c and canon.c read the type and
 * canon sections into the same scope.  A nested component (section 4) is
 * decoded recursively with the enclosing scope as parent (for outer
 * aliases) and a depth limit.  Every section must be consumed exactly.
 * See component.h for what is checked and what is left to instantiation.
 */
#include "component_internal.h"

#include <string.h>

static const uint8_t PREAMBLE[8] = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00};

static const char *const SECTION_NAMES[] = {
    "custom section", "core module section", "core instance section", "core type section",
    "component section", "instance section", "alias section", "type section", "canon section",
    "start section", "import section", "export section", "value section",
};

bool component_is_component(const void *bytes, size_t len)
{
    return bytes && len >= sizeof(PREAMBLE) && memcmp(bytes, PREAMBLE, sizeof(PREAMBLE)) == 0;
}

typedef struct {
    component *c;
    comp_scope scope;
} decoder;

static int read_sortidx(comp_reader *r, const comp_scope *s, component_sort *sort, uint32_t *idx)
{
    if (component_read_sort(r, sort) < 0 || component_u32(r, idx) < 0)
        return -1;
    return component_check_index(r, s, *sort, *idx);
}

/* ---- sections ------------------------------------------------------------- */

static int read_core_module(comp_reader *r, decoder *d)
{
    static const uint8_t core[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    component *c = d->c;
    if (r->len < sizeof(core) || memcmp(r->data, core, sizeof(core)) != 0)
        return component_fail(r, "embedded module does not start with a core Wasm preamble");
    c->modules = component_grow(c->modules, &c->modules_cap, c->nmodules, sizeof(*c->modules));
    c->modules[c->nmodules++] = (component_module_range){.offset = r->base, .len = r->len};
    d->scope.counts[COMPONENT_SORT_CORE_MODULE]++;
    r->pos = r->len;
    return 0;
}

static component_arg *add_arg(component_instance_def *def, const char *name, uint32_t len)
{
    component_arg *a = &def->args[def->nargs++];
    a->name = util_xstrndup(name, len);
    return a;
}

static int read_core_sortidx(comp_reader *r, const comp_scope *s, component_arg *a)
{
    uint8_t b;
    if (component_byte(r, &b) < 0)
        return -1;
    if (b <= 0x04)
        a->sort = (component_sort)(COMPONENT_SORT_CORE_FUNC + b);
    else if (b >= 0x10 && b <= 0x12)
        a->sort = (component_sort)(COMPONENT_SORT_CORE_TYPE + (b - 0x10));
    else
        return component_fail_at(r, r->pos - 1, "unknown core sort 0x%02x", b);
    if (component_u32(r, &a->index) < 0)
        return -1;
    return component_check_index(r, s, a->sort, a->index);
}

/* (instantiate m (with name (instance i))*) */
static int read_core_instantiate(comp_reader *r, comp_scope *s, component_instance_def *def)
{
    uint32_t n;
    def->instantiate = true;
    if (component_u32(r, &def->of) < 0 ||
        component_check_index(r, s, COMPONENT_SORT_CORE_MODULE, def->of) < 0 ||
        component_vec_count(r, 3, &n) < 0)
        return -1;
    def->args = util_xcalloc(n ? n : 1, sizeof(component_arg));
    for (uint32_t i = 0; i < n; i++) {
        const char *name;
        uint32_t len;
        uint8_t sort;
        if (component_read_name(r, &name, &len) < 0 || component_byte(r, &sort) < 0)
            return -1;
        if (sort != 0x12)
            return component_fail_at(r, r->pos - 1, "instantiate argument of core sort "
                                     "0x%02x, not an instance", sort);
        component_arg *a = add_arg(def, name, len);
        a->sort = COMPONENT_SORT_CORE_INSTANCE;
        if (component_u32(r, &a->index) < 0 ||
            component_check_index(r, s, COMPONENT_SORT_CORE_INSTANCE, a->index) < 0)
            return -1;
    }
    return 0;
}

static int read_core_instance(comp_reader *r, comp_scope *s, component_instance_def *def)
{
    uint8_t tag;
    uint32_t n;
    def->core = true;
    if (component_byte(r, &tag) < 0)
        return -1;
    if (tag == 0x00) {
        if (read_core_instantiate(r, s, def) < 0)
            return -1;
    } else if (tag == 0x01) {
        if (component_vec_count(r, 3, &n) < 0)
            return -1;
        def->args = util_xcalloc(n ? n : 1, sizeof(component_arg));
        for (uint32_t i = 0; i < n; i++) {
            const char *name;
            uint32_t len;
            if (component_read_name(r, &name, &len) < 0 ||
                read_core_sortidx(r, s, add_arg(def, name, len)) < 0)
                return -1;
        }
    } else {
        return component_fail_at(r, r->pos - 1, "unknown core instance expression 0x%02x", tag);
    }
    def->index = s->counts[COMPONENT_SORT_CORE_INSTANCE]++;
    return 0;
}

static int read_instance(comp_reader *r, comp_scope *s, component_instance_def *def)
{
    uint8_t tag;
    uint32_t n;
    if (component_byte(r, &tag) < 0)
        return -1;
    if (tag == 0x00) {
        def->instantiate = true;
        if (component_u32(r, &def->of) < 0 ||
            component_check_index(r, s, COMPONENT_SORT_COMPONENT, def->of) < 0 ||
            component_vec_count(r, 3, &n) < 0)
            return -1;
        def->args = util_xcalloc(n ? n : 1, sizeof(component_arg));
        for (uint32_t i = 0; i < n; i++) {
            const char *name;
            uint32_t len;
            if (component_read_name(r, &name, &len) < 0)
                return -1;
            component_arg *a = add_arg(def, name, len);
            if (read_sortidx(r, s, &a->sort, &a->index) < 0)
                return -1;
        }
    } else if (tag == 0x01) {
        if (component_vec_count(r, 4, &n) < 0)
            return -1;
        def->args = util_xcalloc(n ? n : 1, sizeof(component_arg));
        for (uint32_t i = 0; i < n; i++) {
            component_name name;
            if (component_read_extern_name(r, &name) < 0)
                return -1;
            component_arg *a = add_arg(def, name.text, (uint32_t)strlen(name.text));
            component_name_clear(&name);
            if (read_sortidx(r, s, &a->sort, &a->index) < 0)
                return -1;
        }
    } else {
        return component_fail_at(r, r->pos - 1, "unknown instance expression 0x%02x", tag);
    }
    def->index = s->counts[COMPONENT_SORT_INSTANCE]++;
    return 0;
}

static void instance_def_clear(component_instance_def *def)
{
    for (uint32_t i = 0; i < def->nargs; i++)
        free(def->args[i].name);
    free(def->args);
    memset(def, 0, sizeof(*def));
}

/* Reads one instance definition (core or not) and keeps it. */
static int read_instance_entry(comp_reader *r, decoder *d, bool core)
{
    component *c = d->c;
    component_instance_def def = {0};
    int rc = core ? read_core_instance(r, &d->scope, &def) : read_instance(r, &d->scope, &def);
    if (rc < 0) {
        instance_def_clear(&def);
        return -1;
    }
    c->instances = component_grow(c->instances, &c->instances_cap, c->ninstances, sizeof(def));
    c->instances[c->ninstances++] = def;
    return 0;
}

static int read_alias_entry(comp_reader *r, decoder *d)
{
    component *c = d->c;
    component_alias a;
    if (component_read_alias(r, &d->scope, false, &a) < 0)
        return -1;
    c->aliases = component_grow(c->aliases, &c->aliases_cap, c->naliases, sizeof(a));
    c->aliases[c->naliases++] = a;
    return 0;
}

static int read_start(comp_reader *r, comp_scope *s)
{
    uint32_t func, n, idx, results;
    if (component_u32(r, &func) < 0 || component_check_index(r, s, COMPONENT_SORT_FUNC, func) < 0 ||
        component_vec_count(r, 1, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++)
        if (component_u32(r, &idx) < 0 || component_check_index(r, s, COMPONENT_SORT_VALUE, idx) < 0)
            return -1;
    if (component_u32(r, &results) < 0)
        return -1;
    if (results > 1)
        return component_fail(r, "start function with %" PRIu32 " results", results);
    s->counts[COMPONENT_SORT_VALUE] += results;
    return 0;
}

static int read_import(comp_reader *r, decoder *d)
{
    component *c = d->c;
    component_extern e = {0};
    if (component_read_extern_name(r, &e.name) < 0)
        return -1;
    if (component_read_externdesc(r, &d->scope, &e.desc) < 0) {
        component_extern_clear(&e);
        return -1;
    }
    e.has_desc = true;
    e.sort = e.desc.sort;
    e.index = component_scope_add_extern(&d->scope, &e.desc);
    c->imports = component_grow(c->imports, &c->imports_cap, c->nimports, sizeof(*c->imports));
    c->imports[c->nimports++] = e;
    return 0;
}

static bool exportable(component_sort sort)
{
    return sort == COMPONENT_SORT_CORE_MODULE || sort >= COMPONENT_SORT_FUNC;
}

static int read_export_desc(comp_reader *r, decoder *d, component_extern *e)
{
    uint8_t has;
    if (component_byte(r, &has) < 0)
        return -1;
    if (has > 1)
        return component_fail_at(r, r->pos - 1, "bad option flag 0x%02x", has);
    e->has_desc = has;
    if (!has)
        return 0;
    size_t at = r->pos;
    if (component_read_externdesc(r, &d->scope, &e->desc) < 0)
        return -1;
    if (e->desc.sort != e->sort)
        return component_fail_at(r, at, "export of a %s ascribed a %s type",
                            component_sort_name(e->sort), component_sort_name(e->desc.sort));
    return 0;
}

static int read_export(comp_reader *r, decoder *d)
{
    component *c = d->c;
    component_extern e = {0};
    size_t at;
    if (component_read_extern_name(r, &e.name) < 0)
        return -1;
    at = r->pos;
    if (read_sortidx(r, &d->scope, &e.sort, &e.index) < 0 || read_export_desc(r, d, &e) < 0) {
        component_extern_clear(&e);
        return -1;
    }
    if (!exportable(e.sort)) {
        component_extern_clear(&e);
        return component_fail_at(r, at, "a %s cannot be exported", component_sort_name(e.sort));
    }
    /* an export introduces a new index aliasing what it exports */
    if (e.sort == COMPONENT_SORT_TYPE)
        e.defines = component_scope_add_eq(&d->scope, e.index);
    else
        e.defines = d->scope.counts[e.sort]++;
    c->exports = component_grow(c->exports, &c->exports_cap, c->nexports, sizeof(*c->exports));
    c->exports[c->nexports++] = e;
    return 0;
}

static int read_canon_entry(comp_reader *r, decoder *d)
{
    component *c = d->c;
    component_canon canon;
    if (component_read_canon(r, &d->scope, &canon) < 0)
        return -1;
    c->canons = component_grow(c->canons, &c->canons_cap, c->ncanons, sizeof(*c->canons));
    c->canons[c->ncanons++] = canon;
    return 0;
}

static int decode_component(const uint8_t *data, size_t len, size_t base,
                            comp_scope *parent, component **out, util_error **err);

static int read_nested(comp_reader *r, decoder *d)
{
    component *c = d->c;
    component *nested = NULL;
    if (d->scope.depth + 1 > COMPONENT_MAX_DEPTH)
        return component_fail(r, "components nested deeper than %d", COMPONENT_MAX_DEPTH);
    if (decode_component(r->data, r->len, r->base, &d->scope, &nested, r->err) < 0)
        return util_error_wrap(r->err, "component section at offset 0x%zx", r->base);
    c->nested = component_grow(c->nested, &c->nested_cap, c->nnested, sizeof(*c->nested));
    c->nested[c->nnested++] = nested;
    d->scope.counts[COMPONENT_SORT_COMPONENT]++;
    r->pos = r->len;
    return 0;
}

/* Sections holding vec(entry): the count, then each entry. */
static int read_vec(comp_reader *r, decoder *d, uint8_t id)
{
    uint32_t n;
    if (component_vec_count(r, 1, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        int rc;
        switch (id) {
        case 2: rc = read_instance_entry(r, d, true); break;
        case 3: rc = component_read_core_type(r, &d->scope); break;
        case 5: rc = read_instance_entry(r, d, false); break;
        case 6: rc = read_alias_entry(r, d); break;
        case 7: rc = component_read_type(r, &d->scope); break;
        case 8: rc = read_canon_entry(r, d); break;
        case 10: rc = read_import(r, d); break;
        default: rc = read_export(r, d); break;
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int read_section(comp_reader *r, decoder *d, uint8_t id)
{
    const char *name;
    uint32_t len;
    switch (id) {
    case 0:
        if (component_read_name(r, &name, &len) < 0)
            return -1;
        r->pos = r->len;
        return 0;
    case 1:
        return read_core_module(r, d);
    case 4:
        return read_nested(r, d);
    case 9:
        return read_start(r, &d->scope);
    case 12:
        return component_fail(r, "value definitions are not supported");
    default:
        return read_vec(r, d, id);
    }
}

static int read_sections(comp_reader *top, decoder *d)
{
    while (component_left(top) > 0) {
        uint8_t id;
        uint32_t size;
        top->section = "section header";
        if (component_byte(top, &id) < 0)
            return -1;
        if (id >= UTIL_ARRAY_LEN(SECTION_NAMES))
            return component_fail_at(top, top->pos - 1, "unknown section id %u", id);
        if (component_u32(top, &size) < 0)
            return -1;
        if (size > component_left(top))
            return component_fail_at(top, top->pos - 1, "%s of %" PRIu32 " bytes runs past "
                                "the end (%zu left)", SECTION_NAMES[id], size, component_left(top));
        comp_reader r = {.data = top->data + top->pos, .len = size, .base = top->base + top->pos,
                         .section = SECTION_NAMES[id], .err = top->err};
        if (read_section(&r, d, id) < 0)
            return -1;
        if (r.pos != r.len)
            return component_fail(&r, "%zu bytes left over at the end of the section", r.len - r.pos);
        top->pos += size;
    }
    return 0;
}

static int check_preamble(comp_reader *r)
{
    static const uint8_t core[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    if (r->len >= 8 && memcmp(r->data, core, 8) == 0)
        return component_fail_at(r, 0, "a core Wasm module, not a component");
    if (r->len < 4 || memcmp(r->data, PREAMBLE, 4) != 0)
        return component_fail_at(r, 0, "not a WebAssembly binary (no \\0asm magic)");
    if (r->len < 8)
        return component_fail_at(r, r->len, "truncated preamble");
    if (memcmp(r->data + 4, PREAMBLE + 4, 4) != 0)
        return component_fail_at(r, 4, "unsupported version/layer %02x %02x %02x %02x (want 0d 00 01 00)",
                            r->data[4], r->data[5], r->data[6], r->data[7]);
    r->pos = 8;
    return 0;
}

static int decode_component(const uint8_t *data, size_t len, size_t base,
                            comp_scope *parent, component **out, util_error **err)
{
    component *c = util_xcalloc(1, sizeof(*c));
    decoder d = {.c = c};
    d.scope = (comp_scope){.parent = parent, .types = &c->types, .ntypes = &c->ntypes,
                           .depth = parent ? parent->depth + 1 : 0};
    comp_reader r = {.data = data, .len = len, .base = base, .section = "preamble", .err = err};
    if (check_preamble(&r) < 0 || read_sections(&r, &d) < 0) {
        component_free(c);
        return -1;
    }
    memcpy(c->counts, d.scope.counts, sizeof(c->counts));
    *out = c;
    return 0;
}

int component_decode(const void *bytes, size_t len, component **out, util_error **err)
{
    *out = NULL;
    if (!bytes && len)
        return util_error_set(err, 0, "no bytes to decode");
    return decode_component(bytes, len, 0, NULL, out, err);
}

/* ---- the model -------------------------------------------------------------- */

void component_free(component *c)
{
    if (!c)
        return;
    for (uint32_t i = 0; i < c->nimports; i++)
        component_extern_clear(&c->imports[i]);
    free(c->imports);
    for (uint32_t i = 0; i < c->nexports; i++)
        component_extern_clear(&c->exports[i]);
    free(c->exports);
    for (uint32_t i = 0; i < c->ntypes; i++)
        component_type_clear(&c->types[i]);
    free(c->types);
    for (uint32_t i = 0; i < c->ninstances; i++)
        instance_def_clear(&c->instances[i]);
    free(c->instances);
    for (uint32_t i = 0; i < c->naliases; i++)
        free(c->aliases[i].name);
    free(c->aliases);
    free(c->canons);
    free(c->modules);
    for (uint32_t i = 0; i < c->nnested; i++)
        component_free(c->nested[i]);
    free(c->nested);
    free(c);
}

size_t component_import_count(const component *c)
{
    return c->nimports;
}

const component_extern *component_import(const component *c, size_t i)
{
    return i < c->nimports ? &c->imports[i] : NULL;
}

size_t component_export_count(const component *c)
{
    return c->nexports;
}

const component_extern *component_export(const component *c, size_t i)
{
    return i < c->nexports ? &c->exports[i] : NULL;
}

const component_extern *component_find_export(const component *c, const char *name)
{
    for (uint32_t i = 0; i < c->nexports; i++)
        if (strcmp(c->exports[i].name.text, name) == 0)
            return &c->exports[i];
    return NULL;
}

const component_extern *component_find_interface_export(const component *c,
                                                        const char *ns_pkg_iface)
{
    size_t n = strlen(ns_pkg_iface);
    for (uint32_t i = 0; i < c->nexports; i++) {
        const component_name *name = &c->exports[i].name;
        if (name->kind == COMPONENT_NAME_INTERFACE && strncmp(name->text, ns_pkg_iface, n) == 0 &&
            (name->text[n] == '\0' || name->text[n] == '@'))
            return &c->exports[i];
    }
    return NULL;
}

uint32_t component_count(const component *c, component_sort sort)
{
    return (unsigned)sort < COMPONENT_SORT_COUNT ? c->counts[sort] : 0;
}

const component_type *component_type_at(const component *c, uint32_t index)
{
    return index < c->ntypes ? &c->types[index] : NULL;
}

size_t component_instance_count(const component *c)
{
    return c->ninstances;
}

const component_instance_def *component_instance_at(const component *c, size_t i)
{
    return i < c->ninstances ? &c->instances[i] : NULL;
}

size_t component_alias_count(const component *c)
{
    return c->naliases;
}

const component_alias *component_alias_at(const component *c, size_t i)
{
    return i < c->naliases ? &c->aliases[i] : NULL;
}

size_t component_canon_count(const component *c)
{
    return c->ncanons;
}

const component_canon *component_canon_at(const component *c, size_t i)
{
    return i < c->ncanons ? &c->canons[i] : NULL;
}

size_t component_module_count(const component *c)
{
    return c->nmodules;
}

component_module_range component_module_at(const component *c, size_t i)
{
    return i < c->nmodules ? c->modules[i] : (component_module_range){0, 0};
}

size_t component_nested_count(const component *c)
{
    return c->nnested;
}

const component *component_nested_at(const component *c, size_t i)
{
    return i < c->nnested ? c->nested[i] : NULL;
}
