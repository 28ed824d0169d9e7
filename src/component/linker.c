/*
 * linker.c - the host's side of linking: interfaces by name and version,
 * each holding host functions (with their parsed signatures), named types
 * and resource types.
 *
 * Interfaces are found as wasmtime's NameMap finds them.  Each registered
 * name has a semver key ("x@0.2.6" -> "x@0.2", "x@1.4.0" -> "x@1",
 * "x@1.4.0+b" -> "x@1"; none for unversioned names, 0.0.z and
 * pre-releases).  A lookup takes the interface registered under exactly
 * that name if there is one (so a host may serve two versions of a track
 * side by side); otherwise, if the name has a key, the newest interface
 * registered with the same key (by semver precedence; of two that differ
 * only in build metadata, the one registered last).  So a host serving
 * wasi:io/streams@0.2.6 serves imports of 0.2.0 and 0.2.12 alike, while
 * "0.2.0-rc-2023-10-18" finds only itself.
 *
 * Everything lives in one type pool and a few arrays of pointers: the
 * nodes, functions and resource types handed out never move, and the
 * linker is reference-counted so that a component_pre may keep using them
 * after the host frees its linker.  Lookups are linear scans: a host has
 * tens of interfaces, looked up once per import at link time.
 */
#include "component_internal.h"
#include "host.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

typedef struct named_type {
    char *name;
    const component_rtype *type;
} named_type;

typedef struct named_resource {
    char *name;
    component_resource_type *type;
} named_resource;

/* A parsed version: only versions that have a semver key are compared. */
typedef struct semver {
    uint64_t major, minor, patch;
} semver;

struct component_host_interface {
    char *name; /* "" for the top level */
    bool top;
    bool has_key;
    char *key;
    semver version;
    component_host_func **funcs;
    size_t nfuncs;
    named_type *types;
    size_t ntypes;
    named_resource *resources;
    size_t nresources;
};

typedef struct kept_data {
    void *data;
    void (*free_fn)(void *data);
} kept_data;

struct component_linker {
    int refs;
    component_rtype_pool *pool;
    component_host_interface **ifaces;
    size_t nifaces;
    kept_data *kept; /* component_linker_keep: freed with the types */
    size_t nkept;
};

/* ---- semver keys --------------------------------------------------------- */

/* A semver number: digits without a leading zero, no overflow. */
static bool parse_number(const char **s, uint64_t *out)
{
    const char *p = *s;
    if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
        return false;
    uint64_t v = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *out = v;
    *s = p;
    return true;
}

/* Build metadata: dot-separated identifiers of [0-9A-Za-z-], none empty. */
static bool build_valid(const char *p)
{
    bool empty = true;
    for (; *p; p++) {
        if (*p == '.') {
            if (empty)
                return false;
            empty = true;
        } else if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                   (*p >= 'A' && *p <= 'Z') || *p == '-') {
            empty = false;
        } else {
            return false;
        }
    }
    return !empty;
}

/* The version of `name` when it has a key: "major.minor.patch", maybe
 * with build metadata ("+abc", ignored as wasmtime ignores it), not 0.0.z
 * and no pre-release ("-rc-2023-10-18": exact match only).  *at is where
 * "@" is. */
static bool keyed_version(const char *name, semver *v, size_t *at)
{
    const char *sign = strrchr(name, '@');
    if (!sign)
        return false;
    const char *p = sign + 1;
    if (!parse_number(&p, &v->major) || *p++ != '.' || !parse_number(&p, &v->minor) ||
        *p++ != '.' || !parse_number(&p, &v->patch))
        return false;
    if (*p == '+' ? !build_valid(p + 1) : *p != '\0')
        return false;
    if (v->major == 0 && v->minor == 0)
        return false;
    *at = (size_t)(sign - name);
    return true;
}

void component_semver_key(const char *name, char *buf, size_t cap)
{
    semver v;
    size_t at;
    if (cap == 0)
        return;
    if (!keyed_version(name, &v, &at))
        snprintf(buf, cap, "%s", name);
    else if (v.major != 0)
        snprintf(buf, cap, "%.*s@%" PRIu64, (int)at, name, v.major);
    else
        snprintf(buf, cap, "%.*s@0.%" PRIu64, (int)at, name, v.minor);
}

static int semver_cmp(const semver *a, const semver *b)
{
    if (a->major != b->major)
        return a->major < b->major ? -1 : 1;
    if (a->minor != b->minor)
        return a->minor < b->minor ? -1 : 1;
    if (a->patch != b->patch)
        return a->patch < b->patch ? -1 : 1;
    return 0;
}

/* ---- the linker ---------------------------------------------------------- */

component_linker *component_linker_new(void)
{
    component_linker *l = util_xcalloc(1, sizeof *l);
    l->refs = 1;
    l->pool = component_rtype_pool_new();
    return l;
}

static void interface_free(component_host_interface *i)
{
    free(i->funcs); /* the records live in the pool */
    for (size_t k = 0; k < i->ntypes; k++)
        free(i->types[k].name);
    free(i->types);
    for (size_t k = 0; k < i->nresources; k++)
        free(i->resources[k].name);
    free(i->resources);
    free(i->name);
    free(i->key);
    free(i);
}

const component_linker *component_linker_retain(const component_linker *l)
{
    /* The linker is never created const: the count is ours to change. */
    __atomic_add_fetch(&((component_linker *)l)->refs, 1, __ATOMIC_RELAXED);
    return l;
}

void component_linker_release(const component_linker *cl)
{
    component_linker *l = (component_linker *)cl;
    if (!l || __atomic_sub_fetch(&l->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    for (size_t k = 0; k < l->nifaces; k++)
        interface_free(l->ifaces[k]);
    free(l->ifaces);
    for (size_t k = 0; k < l->nkept; k++)
        l->kept[k].free_fn(l->kept[k].data);
    free(l->kept);
    /* resource types, function types and named types live in the pool */
    component_rtype_pool_free(l->pool);
    free(l);
}

void component_linker_free(component_linker *l)
{
    component_linker_release(l);
}

void component_linker_keep(component_linker *l, void *data, void (*free_fn)(void *data))
{
    l->kept = util_xrealloc(l->kept, (l->nkept + 1) * sizeof(*l->kept));
    l->kept[l->nkept++] = (kept_data){data, free_fn};
}

/* ---- interfaces ---------------------------------------------------------- */

static const char *display_name(const char *interface)
{
    return interface ? interface : "(top level)";
}

/* The interface registered under exactly `name` (NULL: the top level). */
static component_host_interface *find_exact(const component_linker *l, const char *name)
{
    for (size_t k = 0; k < l->nifaces; k++) {
        component_host_interface *i = l->ifaces[k];
        if (name ? !i->top && strcmp(i->name, name) == 0 : i->top)
            return i;
    }
    return NULL;
}

/* The interface to define into, made on first use; its name must be a
 * valid import name (an interface name, or a plain label). */
static component_host_interface *interface_for(component_linker *l, const char *name,
                                               util_error **err)
{
    component_host_interface *i = find_exact(l, name);
    if (i)
        return i;
    if (name) {
        component_name parsed;
        if (component_name_parse(name, strlen(name), &parsed, err) < 0)
            return NULL;
        bool annotated = parsed.kind == COMPONENT_NAME_PLAIN && parsed.plain != COMPONENT_PLAIN_LABEL;
        component_name_clear(&parsed);
        if (annotated) {
            util_error_set(err, 0, "bad interface name \"%s\"", name);
            return NULL;
        }
    }
    i = util_xcalloc(1, sizeof *i);
    i->top = name == NULL;
    i->name = util_xstrdup(name ? name : "");
    size_t at;
    i->has_key = name && keyed_version(name, &i->version, &at);
    char key[1024];
    component_semver_key(i->name, key, sizeof key);
    i->key = util_xstrdup(key);
    l->ifaces = util_xrealloc(l->ifaces, (l->nifaces + 1) * sizeof *l->ifaces);
    l->ifaces[l->nifaces++] = i;
    return i;
}

const component_host_interface *component_linker_find(const component_linker *l,
                                                      const char *name)
{
    const component_host_interface *exact = find_exact(l, name);
    if (exact || !name)
        return exact;
    semver v;
    size_t at;
    if (!keyed_version(name, &v, &at))
        return NULL;
    char key[1024];
    component_semver_key(name, key, sizeof key);
    const component_host_interface *best = NULL;
    for (size_t k = 0; k < l->nifaces; k++) {
        const component_host_interface *i = l->ifaces[k];
        if (i->has_key && strcmp(i->key, key) == 0 &&
            (!best || semver_cmp(&i->version, &best->version) >= 0))
            best = i;
    }
    return best;
}

const char *component_host_interface_name(const component_host_interface *i)
{
    return i->name;
}

const component_host_func *component_host_interface_func(const component_host_interface *i,
                                                         const char *name)
{
    for (size_t k = 0; k < i->nfuncs; k++)
        if (strcmp(i->funcs[k]->name, name) == 0)
            return i->funcs[k];
    return NULL;
}

component_resource_type *component_host_interface_resource(const component_host_interface *i,
                                                           const char *name)
{
    for (size_t k = 0; k < i->nresources; k++)
        if (strcmp(i->resources[k].name, name) == 0)
            return i->resources[k].type;
    return NULL;
}

const component_rtype *component_host_interface_type(const component_host_interface *i,
                                                     const char *name)
{
    for (size_t k = 0; k < i->ntypes; k++)
        if (strcmp(i->types[k].name, name) == 0)
            return i->types[k].type;
    return NULL;
}

size_t component_linker_interface_count(const component_linker *l)
{
    return l->nifaces;
}

const component_host_interface *component_linker_interface_at(const component_linker *l,
                                                              size_t i)
{
    return i < l->nifaces ? l->ifaces[i] : NULL;
}

/* ---- definitions --------------------------------------------------------- */

/* Type and resource names share one namespace per interface, as in WIT. */
static int check_type_name(const char *interface, const char *name, util_error **err)
{
    if (!name || !component_label_valid(name, strlen(name)))
        return util_error_set(err, 0, "%s: type name \"%s\" is not a kebab-case label",
                              display_name(interface), name ? name : "(null)");
    return 0;
}

static int add_resource(component_host_interface *i, const char *name,
                        component_resource_type *type)
{
    i->resources = util_xrealloc(i->resources, (i->nresources + 1) * sizeof *i->resources);
    i->resources[i->nresources++] = (named_resource){.name = util_xstrdup(name), .type = type};
    return 0;
}

/* Whether `name` may become a resource of `i` as `type`: not a named
 * type, not another resource type.  *again when it is already this one. */
static int resource_slot(component_host_interface *i, const char *interface, const char *name,
                         const component_resource_type *type, bool *again, util_error **err)
{
    *again = false;
    if (component_host_interface_type(i, name))
        return util_error_set(err, 0, "%s: resource %s: the name is already a type",
                              display_name(interface), name);
    component_resource_type *old = component_host_interface_resource(i, name);
    if (old && old != type)
        return util_error_set(err, 0, "%s: resource %s is already defined as another type",
                              display_name(interface), name);
    *again = old != NULL;
    return 0;
}

component_resource_type *component_linker_define_resource(component_linker *l,
                                                         const char *interface,
                                                         const char *name,
                                                         void (*dtor)(uintptr_t rep),
                                                         util_error **err)
{
    bool again;
    if (check_type_name(interface, name, err) < 0)
        return NULL;
    component_host_interface *i = interface_for(l, interface, err);
    if (!i || resource_slot(i, interface, name, NULL, &again, err) < 0)
        return NULL;
    component_resource_type *t = component_rtype_pool_alloc(l->pool, sizeof *t);
    char *tname = component_rtype_pool_strdup(l->pool, name, strlen(name));
    if (!t || !tname) {
        util_error_set(err, ENOMEM, "%s: resource %s", display_name(interface), name);
        return NULL;
    }
    t->name = tname;
    t->host = true;
    t->host_dtor = dtor;
    add_resource(i, name, t);
    return t;
}

int component_linker_alias_resource(component_linker *l, const char *interface,
                                    const char *name, component_resource_type *type,
                                    util_error **err)
{
    bool again;
    if (!type)
        return util_error_set(err, 0, "%s: resource %s: no type given",
                              display_name(interface), name ? name : "(null)");
    if (check_type_name(interface, name, err) < 0)
        return -1;
    component_host_interface *i = interface_for(l, interface, err);
    if (!i || resource_slot(i, interface, name, type, &again, err) < 0)
        return -1;
    return again ? 0 : add_resource(i, name, type);
}

/* Redefining a type replaces it for the signatures that follow; those
 * parsed before keep the nodes they were given. */
int component_linker_define_type(component_linker *l, const char *interface, const char *name,
                                 const char *type, util_error **err)
{
    if (check_type_name(interface, name, err) < 0)
        return -1;
    component_host_interface *i = interface_for(l, interface, err);
    if (!i)
        return -1;
    if (component_host_interface_resource(i, name))
        return util_error_set(err, 0, "%s: type %s: the name is already a resource",
                              display_name(interface), name);
    char what[300];
    snprintf(what, sizeof what, "%s: type %s", display_name(interface), name);
    const component_rtype *t = component_sig_parse_type(l->pool, i, what, type, err);
    if (!t)
        return -1;
    for (size_t k = 0; k < i->ntypes; k++) {
        if (strcmp(i->types[k].name, name) == 0) {
            i->types[k].type = t;
            return 0;
        }
    }
    i->types = util_xrealloc(i->types, (i->ntypes + 1) * sizeof *i->types);
    i->types[i->ntypes++] = (named_type){.name = util_xstrdup(name), .type = t};
    return 0;
}

/* Redefining a function replaces it (the host overrides one function of
 * an interface it registered whole, e.g. a test's stdout). */
int component_linker_define_func(component_linker *l, const char *interface, const char *name,
                                 const char *signature, component_host_fn fn, void *env,
                                 util_error **err)
{
    component_name parsed;
    if (!name || !fn || !signature)
        return util_error_set(err, 0, "%s: function %s: %s", display_name(interface),
                              name ? name : "(null)", name ? "no signature or function" : "no name");
    if (component_name_parse(name, strlen(name), &parsed, err) < 0)
        return util_error_wrap(err, "%s: function", display_name(interface));
    bool plain = parsed.kind == COMPONENT_NAME_PLAIN;
    component_name_clear(&parsed);
    if (!plain)
        return util_error_set(err, 0, "%s: function %s: not a function name",
                              display_name(interface), name);
    component_host_interface *i = interface_for(l, interface, err);
    if (!i)
        return -1;
    char what[300];
    snprintf(what, sizeof what, "%s: signature of %s", display_name(interface), name);
    component_rfunc *type = component_sig_parse_func(l->pool, i, what, signature, err);
    if (!type)
        return -1;
    /* A new record even when replacing: a component_pre linked before
     * keeps the function (and type) it was checked against. */
    component_host_func *f = component_rtype_pool_alloc(l->pool, sizeof *f);
    char *fname = component_rtype_pool_strdup(l->pool, name, strlen(name));
    if (!f || !fname)
        return util_error_set(err, ENOMEM, "%s: function %s", display_name(interface), name);
    *f = (component_host_func){.name = fname, .type = *type, .fn = fn, .env = env};
    for (size_t k = 0; k < i->nfuncs; k++) {
        if (strcmp(i->funcs[k]->name, name) == 0) {
            i->funcs[k] = f;
            return 0;
        }
    }
    i->funcs = util_xrealloc(i->funcs, (i->nfuncs + 1) * sizeof *i->funcs);
    i->funcs[i->nfuncs++] = f;
    return 0;
}

/* ---- calling a host function from C ------------------------------------- */

/* A value given to (or returned by) a host function must have the shape
 * of its type: the runtime would otherwise lower garbage, and a C caller's
 * mistake would reach the host function as one.  `path` names the place
 * ("argument 2", "result: ok") in the error. */
typedef struct val_check {
    char path[256];
    util_error **err;
} val_check;

static bool is_number_prim(const component_rtype *t)
{
    return t->kind == COMPONENT_TYPE_PRIM && t->prim != COMPONENT_PRIM_BOOL &&
           t->prim != COMPONENT_PRIM_CHAR && t->prim != COMPONENT_PRIM_STRING &&
           t->prim != COMPONENT_PRIM_ERROR_CONTEXT;
}

static int check_fail(val_check *c, const component_rtype *t, const char *problem)
{
    char type[160];
    component_rtype_format(t, type, sizeof type);
    return util_error_set(c->err, 0, "%s: %s (type %s)", c->path, problem, type);
}

static bool utf8_valid(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
                                  : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (len == 0 || i + len > n)
            return false;
        uint32_t cp = len == 1 ? c : c & (0x7f >> len);
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

static int check_val(val_check *c, const component_rtype *t, const component_val *v);

static int check_child(val_check *c, const char *segment, const component_rtype *t,
                       const component_val *v)
{
    size_t saved = strlen(c->path);
    snprintf(c->path + saved, sizeof c->path - saved, ": %s", segment);
    int rc = check_val(c, t, v);
    c->path[saved] = '\0';
    return rc;
}

static int check_list(val_check *c, const component_rtype *t, const component_val *v)
{
    if (v->of.list.n == 0)
        return 0;
    if (!v->of.list.items) {
        if (!v->of.list.raw || !is_number_prim(t->a))
            return check_fail(c, t, "list without elements");
        return 0;
    }
    for (size_t k = 0; k < v->of.list.n; k++) {
        char segment[40];
        snprintf(segment, sizeof segment, "element %zu", k);
        if (check_child(c, segment, t->a, &v->of.list.items[k]) < 0)
            return -1;
    }
    return 0;
}

static int check_fields(val_check *c, const component_rtype *t, const component_val *v)
{
    if (v->of.record.n != t->nfields || (t->nfields && !v->of.record.fields))
        return check_fail(c, t, "wrong number of fields");
    for (uint32_t k = 0; k < t->nfields; k++) {
        char segment[160];
        snprintf(segment, sizeof segment, "%s", t->fields[k].label ? t->fields[k].label : "");
        if (!t->fields[k].label)
            snprintf(segment, sizeof segment, "element %u", k);
        if (check_child(c, segment, t->fields[k].type, &v->of.record.fields[k]) < 0)
            return -1;
    }
    return 0;
}

/* variant, enum, option, result: a case index and a payload exactly when
 * the case has a type. */
static int check_case(val_check *c, const component_rtype *t, const component_val *v)
{
    uint32_t disc = v->of.variant.disc;
    const component_rtype *payload = NULL;
    const char *label = NULL;
    switch (t->kind) {
    case COMPONENT_TYPE_OPTION:
    case COMPONENT_TYPE_RESULT:
        if (disc > 1)
            return check_fail(c, t, "case index out of range");
        payload = t->kind == COMPONENT_TYPE_OPTION ? (disc ? t->a : NULL) : (disc ? t->b : t->a);
        label = t->kind == COMPONENT_TYPE_OPTION ? "some" : disc ? "error" : "ok";
        break;
    default:
        if (disc >= t->nfields)
            return check_fail(c, t, "case index out of range");
        payload = t->fields[disc].type;
        label = t->fields[disc].label;
        break;
    }
    if (!payload != !v->of.variant.payload)
        return check_fail(c, t, payload ? "case without its payload" : "payload on a case without one");
    return payload ? check_child(c, label, payload, v->of.variant.payload) : 0;
}

static int check_val(val_check *c, const component_rtype *t, const component_val *v)
{
    switch (t->kind) {
    case COMPONENT_TYPE_PRIM:
        if (v->kind != component_prim_val_kind(t->prim))
            return check_fail(c, t, "value of another type");
        if (v->kind == COMPONENT_VAL_CHAR &&
            (v->of.ch > 0x10ffff || (v->of.ch >= 0xd800 && v->of.ch <= 0xdfff)))
            return check_fail(c, t, "not a Unicode scalar value");
        if (v->kind == COMPONENT_VAL_STRING &&
            ((!v->of.str.ptr && v->of.str.len) ||
             !utf8_valid((const unsigned char *)v->of.str.ptr, v->of.str.len)))
            return check_fail(c, t, "string that is not UTF-8");
        return 0;
    case COMPONENT_TYPE_LIST:
        return v->kind == COMPONENT_VAL_LIST ? check_list(c, t, v)
                                             : check_fail(c, t, "value of another type");
    case COMPONENT_TYPE_RECORD:
    case COMPONENT_TYPE_TUPLE:
        return v->kind == COMPONENT_VAL_RECORD ? check_fields(c, t, v)
                                               : check_fail(c, t, "value of another type");
    case COMPONENT_TYPE_VARIANT:
    case COMPONENT_TYPE_ENUM:
    case COMPONENT_TYPE_OPTION:
    case COMPONENT_TYPE_RESULT:
        return v->kind == COMPONENT_VAL_VARIANT ? check_case(c, t, v)
                                                : check_fail(c, t, "value of another type");
    case COMPONENT_TYPE_FLAGS:
        if (v->kind != COMPONENT_VAL_FLAGS)
            return check_fail(c, t, "value of another type");
        if (t->nfields < 64 && (v->of.flags >> t->nfields) != 0)
            return check_fail(c, t, "flag bits past the last label");
        return 0;
    case COMPONENT_TYPE_OWN:
    case COMPONENT_TYPE_BORROW:
        /* an own may be passed where a borrow is expected (it is lent) */
        if (v->kind != COMPONENT_VAL_OWN &&
            (t->kind == COMPONENT_TYPE_OWN || v->kind != COMPONENT_VAL_BORROW))
            return check_fail(c, t, "value of another type");
        if (v->of.resource.type != t->resource)
            return check_fail(c, t, "handle of another resource type");
        return 0;
    default:
        return check_fail(c, t, "a type host calls cannot carry");
    }
}

static int call_fail(const char *interface, const char *name, const char *msg, util_error **err)
{
    return util_error_set(err, 0, "%s: %s: %s", display_name(interface), name, msg);
}

int component_linker_call(const component_linker *l, const char *interface, const char *name,
                          component_call *call, const component_val *args, size_t nargs,
                          component_val *result, util_error **err)
{
    if (!call || (nargs && !args))
        return call_fail(interface, name, "no call context or no arguments given", err);
    const component_host_interface *i = component_linker_find(l, interface);
    if (!i)
        return call_fail(interface, name, "no such interface in the linker", err);
    const component_host_func *f = component_host_interface_func(i, name);
    if (!f)
        return call_fail(interface, name, "no such function in the interface", err);
    if (nargs != f->type.nparams)
        return util_error_set(err, 0, "%s: %s: %zu arguments given, the function takes %u",
                              display_name(interface), name, nargs, f->type.nparams);
    val_check c = {.err = err};
    for (size_t k = 0; k < nargs; k++) {
        snprintf(c.path, sizeof c.path, "%s: %s: argument %zu (%s)", display_name(interface), name,
                 k + 1, f->type.params[k].label);
        if (check_val(&c, f->type.params[k].type, &args[k]) < 0)
            return -1;
    }
    component_val scratch;
    if (!result)
        result = &scratch;
    memset(result, 0, sizeof *result);
    call->trapped = call->exited = false;
    call->exit_code = -1;
    call->message[0] = '\0';
    int rc = f->fn(call, f->env, args, nargs, f->type.result ? result : NULL);
    if (call->trapped || call->exited)
        return util_error_set(err, 0, "%s", call->message);
    if (rc < 0)
        return call_fail(interface, name, "the host function failed without a trap", err);
    if (f->type.result) {
        snprintf(c.path, sizeof c.path, "%s: %s: result", display_name(interface), name);
        if (check_val(&c, f->type.result, result) < 0)
            return -1;
    }
    return 0;
}
