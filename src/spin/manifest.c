/*
 * manifest.c - loads spin.toml into the spin_manifest model (manifest.h).
 *
 * The TOML is parsed once by the util layer's reader; this file walks the
 * tree top-down ([application], [variables], [component.*], [[trigger.*]]),
 * then normalises the way Spin's loader does before anything runs:
 *   - triggers without an id get "<component>-<type>-trigger" or
 *     "<type>-trigger<N>";
 *   - inline components move into the component list as
 *     "<trigger id>-component" (or "inline-component<N>");
 *   - every component reference and every {{ variable }} must resolve.
 * Version 1 manifests are read by manifest_v1.c into the same model, so the
 * host only ever sees version 2.
 */
#include "manifest_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

spin_component *spin_manifest_add_component(spin_manifest *m)
{
    m->components = util_xrealloc(m->components, (m->n_components + 1) * sizeof(*m->components));
    spin_component *comp = &m->components[m->n_components++];
    memset(comp, 0, sizeof(*comp));
    return comp;
}

spin_trigger *spin_manifest_add_trigger(spin_manifest *m)
{
    m->triggers = util_xrealloc(m->triggers, (m->n_triggers + 1) * sizeof(*m->triggers));
    spin_trigger *t = &m->triggers[m->n_triggers++];
    memset(t, 0, sizeof(*t));
    return t;
}

const spin_component *spin_manifest_component(const spin_manifest *m, const char *id)
{
    for (size_t i = 0; m && id && i < m->n_components; i++)
        if (m->components[i].id && strcmp(m->components[i].id, id) == 0)
            return &m->components[i];
    return NULL;
}

const spin_variable *spin_manifest_variable(const spin_manifest *m, const char *name)
{
    for (size_t i = 0; m && name && i < m->n_variables; i++)
        if (strcmp(m->variables[i].name, name) == 0)
            return &m->variables[i];
    return NULL;
}

static int read_application(mctx *c, spin_manifest *m, const toml_value *app)
{
    static const char *const fields[] = {"name",   "version", "description", "authors",
                                         "targets", "trigger", "tool",        NULL};
    const char *sec = "[application]";
    for (size_t i = 0; i < util_toml_len(app); i++) {
        const toml_entry *e = util_toml_entry_at(app, i);
        int r = 0;
        if (strcmp(e->key, "name") == 0) {
            r = spin_mget_string(c, sec, e, &m->name);
        } else if (strcmp(e->key, "version") == 0) {
            r = spin_mget_string(c, sec, e, &m->version);
        } else if (strcmp(e->key, "description") == 0) {
            r = spin_mget_string(c, sec, e, &m->description);
        } else if (strcmp(e->key, "authors") == 0) {
            r = spin_mget_strv(c, sec, e, &m->authors);
        } else if (strcmp(e->key, "targets") == 0) {
            if (e->value->type != TOML_ARRAY)
                r = spin_mfail(c, e->line, e->col, sec, "'targets' must be an array, not %s",
                               util_toml_type_name(e->value->type));
        } else if (strcmp(e->key, "tool") == 0) {
            r = spin_mwant_table(c, sec, e);
        } else if (strcmp(e->key, "trigger") == 0) {
            r = spin_mwant_table(c, sec, e);
            for (size_t k = 0; r == 0 && k < util_toml_len(e->value); k++) {
                const toml_entry *t = util_toml_entry_at(e->value, k);
                cleanup_free char *sub = util_xasprintf("[application.trigger.%s]", t->key);
                if (t->value->type != TOML_TABLE)
                    r = spin_mfail(c, t->line, t->col, "[application.trigger]",
                                   "'%s' must be a table, not %s", t->key,
                                   util_toml_type_name(t->value->type));
                else if (strcmp(t->key, "http") == 0)
                    r = spin_manifest_check_http_base(c, sub, t->value);
            }
            m->trigger_global_configs = e->value;
        } else {
            r = spin_mfail_unknown(c, sec, e, fields);
        }
        if (r < 0)
            return -1;
    }
    if (m->name == NULL)
        return spin_mfail_missing(c, sec, app, "name");
    return 0;
}

/* [variables] of v2, or the top-level variables table of v1. */
int spin_manifest_read_variables(mctx *c, spin_manifest *m, const toml_entry *vars)
{
    if (spin_mwant_table(c, NULL, vars) < 0)
        return -1;
    static const char *const fields[] = {"default", "required", "secret", "description", NULL};
    for (size_t i = 0; i < util_toml_len(vars->value); i++) {
        const toml_entry *e = util_toml_entry_at(vars->value, i);
        cleanup_free char *sec = util_xasprintf("[variables.%s]", e->key);
        if (spin_mcheck_id(c, "[variables]", e->line, e->col, "variable name", e->key, '_',
                           true) < 0)
            return -1;
        if (e->value->type != TOML_TABLE)
            return spin_mfail(c, e->line, e->col, "[variables]",
                              "'%s' must be a table like { default = \"...\" } or { required = true }, "
                              "not %s",
                              e->key, util_toml_type_name(e->value->type));
        m->variables = util_xrealloc(m->variables, (m->n_variables + 1) * sizeof(*m->variables));
        spin_variable *v = &m->variables[m->n_variables++];
        memset(v, 0, sizeof(*v));
        v->name = util_xstrdup(e->key);
        for (size_t k = 0; k < util_toml_len(e->value); k++) {
            const toml_entry *f = util_toml_entry_at(e->value, k);
            int r;
            if (strcmp(f->key, "default") == 0)
                r = spin_mget_string(c, sec, f, &v->default_value);
            else if (strcmp(f->key, "required") == 0)
                r = spin_mget_bool(c, sec, f, &v->required);
            else if (strcmp(f->key, "secret") == 0)
                r = spin_mget_bool(c, sec, f, &v->secret);
            else if (strcmp(f->key, "description") == 0)
                r = spin_mget_string(c, sec, f, &v->description);
            else
                r = spin_mfail_unknown(c, sec, f, fields);
            if (r < 0)
                return -1;
        }
        if (v->required == (v->default_value != NULL))
            return spin_mfail(c, e->line, e->col, sec,
                              v->required ? "a required variable cannot have a default"
                                     : "must be 'required' or have a 'default'");
    }
    return 0;
}

static int read_components(mctx *c, spin_manifest *m, const toml_entry *comps)
{
    if (spin_mwant_table(c, NULL, comps) < 0)
        return -1;
    for (size_t i = 0; i < util_toml_len(comps->value); i++) {
        const toml_entry *e = util_toml_entry_at(comps->value, i);
        cleanup_free char *sec = util_xasprintf("[component.%s]", e->key);
        if (spin_mcheck_id(c, sec, e->line, e->col, "component id", e->key, '-', false) < 0)
            return -1;
        if (e->value->type != TOML_TABLE)
            return spin_mfail(c, e->line, e->col, sec, "must be a table, not %s",
                              util_toml_type_name(e->value->type));
        spin_component *comp = spin_manifest_add_component(m);
        if (spin_manifest_read_component(c, m, e->key, e->value, sec, false, comp, NULL) < 0)
            return -1;
    }
    return 0;
}

/* Inline components wait here until trigger ids are final. */
typedef struct pending_inline {
    size_t trigger;
    spin_component comp;
} pending_inline;

typedef struct pending_list {
    pending_inline *items;
    size_t len;
} pending_list;

static void pending_free(pending_list *p)
{
    for (size_t i = 0; i < p->len; i++)
        spin_manifest_component_free(&p->items[i].comp);
    free(p->items);
}

static int read_trigger(mctx *c, spin_manifest *m, const char *type, size_t index,
                        const toml_value *table, pending_list *pending)
{
    cleanup_free char *sec = util_xasprintf("[[trigger.%s]] #%zu", type, index + 1);
    bool http = strcmp(type, "http") == 0;
    spin_trigger *t = spin_manifest_add_trigger(m);
    size_t tindex = m->n_triggers - 1;
    t->type = util_xstrdup(type);
    t->supported = http;
    t->config = table;
    t->line = table->line;
    static const char *const http_fields[] = {"id",       "component",       "route",
                                              "executor", "static_response", NULL};
    for (size_t i = 0; i < util_toml_len(table); i++) {
        const toml_entry *e = util_toml_entry_at(table, i);
        t = &m->triggers[tindex];
        if (strcmp(e->key, "id") == 0) {
            if (spin_mget_string(c, sec, e, &t->id) < 0)
                return -1;
            continue;
        }
        if (strcmp(e->key, "component") == 0) {
            if (e->value->type == TOML_STRING) {
                if (spin_mget_string(c, sec, e, &t->component) < 0 ||
                    spin_mcheck_id(c, sec, e->line, e->col, "component id", t->component, '-',
                                   false) < 0)
                    return -1;
                continue;
            }
            if (e->value->type != TOML_TABLE)
                return spin_mfail(c, e->line, e->col, sec,
                                  "'component' must be a component id or an inline component table, "
                                  "not %s",
                                  util_toml_type_name(e->value->type));
            cleanup_free char *sub = util_xasprintf("%s: component", sec);
            pending->items =
                util_xrealloc(pending->items, (pending->len + 1) * sizeof(*pending->items));
            pending_inline *p = &pending->items[pending->len++];
            memset(p, 0, sizeof(*p));
            p->trigger = tindex;
            if (spin_manifest_read_component(c, m, NULL, e->value, sub, false, &p->comp, NULL) < 0)
                return -1;
            continue;
        }
        if (!http)
            continue; /* kept raw in t->config for the trigger's own host */
        int r = spin_manifest_read_http_field(c, sec, e, t);
        if (r < 0)
            return -1;
        if (r == 0)
            return spin_mfail_unknown(c, sec, e, http_fields);
    }
    t = &m->triggers[tindex];
    bool has_inline = pending->len > 0 && pending->items[pending->len - 1].trigger == tindex;
    if (http && !has_inline && spin_manifest_finish_http_trigger(c, sec, table, t) < 0)
        return -1;
    if (http && has_inline && t->static_response != NULL)
        return spin_mfail(c, table->line, table->col, sec,
                          "a trigger must specify either 'component' or 'static_response', not both");
    if (http && has_inline && t->route == NULL && !t->route_private)
        return spin_mfail_missing(c, sec, table, "route");
    return 0;
}

static int read_triggers(mctx *c, spin_manifest *m, const toml_entry *triggers,
                         pending_list *pending)
{
    if (spin_mwant_table(c, NULL, triggers) < 0)
        return -1;
    for (size_t i = 0; i < util_toml_len(triggers->value); i++) {
        const toml_entry *e = util_toml_entry_at(triggers->value, i);
        if (e->value->type != TOML_ARRAY)
            return spin_mfail(c, e->line, e->col, "[trigger]",
                              "'%s' must be an array of tables ([[trigger.%s]]), not %s", e->key,
                              e->key, util_toml_type_name(e->value->type));
        if (e->key_len == 0 || strlen(e->key) != e->key_len)
            return spin_mfail(c, e->line, e->col, "[trigger]", "invalid trigger type");
        for (size_t k = 0; k < util_toml_len(e->value); k++) {
            const toml_value *t = util_toml_array_at(e->value, k);
            if (t->type != TOML_TABLE)
                return spin_mfail(c, t->line, t->col, "[trigger]",
                                  "'%s' must be an array of tables ([[trigger.%s]]), not an array of "
                                  "%ss",
                                  e->key, e->key, util_toml_type_name(t->type));
            if (read_trigger(c, m, e->key, k, t, pending) < 0)
                return -1;
        }
    }
    return 0;
}

static bool trigger_id_taken(const spin_manifest *m, const char *id)
{
    for (size_t i = 0; i < m->n_triggers; i++)
        if (m->triggers[i].id && strcmp(m->triggers[i].id, id) == 0)
            return true;
    return false;
}

static void normalize_trigger_ids(spin_manifest *m)
{
    for (size_t i = 0; i < m->n_triggers; i++) {
        spin_trigger *t = &m->triggers[i];
        if (t->id != NULL && t->id[0] != '\0')
            continue;
        free(t->id);
        t->id = NULL;
        if (t->component != NULL) {
            char *id = util_xasprintf("%s-%s-trigger", t->component, t->type);
            if (!trigger_id_taken(m, id)) {
                t->id = id;
                continue;
            }
            free(id);
        }
        /* The counter is per trigger type, as in Spin. */
        for (unsigned n = 1;; n++) {
            char *id = util_xasprintf("%s-trigger%u", t->type, n);
            if (!trigger_id_taken(m, id)) {
                t->id = id;
                break;
            }
            free(id);
        }
    }
}

static void place_inline_components(spin_manifest *m, pending_list *pending)
{
    for (size_t i = 0; i < pending->len; i++) {
        spin_trigger *t = &m->triggers[pending->items[i].trigger];
        char *id = util_xasprintf("%s-component", t->id);
        if (spin_id_check(id, '-', false) != NULL || spin_manifest_component(m, id) != NULL) {
            free(id);
            for (unsigned n = 1;; n++) {
                id = util_xasprintf("inline-component%u", n);
                if (spin_manifest_component(m, id) == NULL)
                    break;
                free(id);
            }
        }
        spin_component *comp = spin_manifest_add_component(m);
        *comp = pending->items[i].comp;
        comp->id = id;
        memset(&pending->items[i].comp, 0, sizeof(pending->items[i].comp));
        t->component = util_xstrdup(id);
    }
}

int spin_manifest_check_references(mctx *c, const spin_manifest *m)
{
    for (size_t i = 0; i < m->n_triggers; i++) {
        const spin_trigger *t = &m->triggers[i];
        if (t->component != NULL && spin_manifest_component(m, t->component) == NULL)
            return spin_mfail(c, t->line, 1, NULL,
                              "trigger '%s' refers to component '%s', which does not exist", t->id,
                              t->component);
    }
    for (size_t i = 0; i < m->n_components; i++) {
        const spin_component *comp = &m->components[i];
        if (spin_manifest_check_component_templates(c, m, comp) < 0)
            return -1;
        for (size_t k = 0; k < comp->n_dependencies; k++) {
            const spin_dependency *d = &comp->dependencies[k];
            if (d->kind == SPIN_DEP_COMPONENT && spin_manifest_component(m, d->component) == NULL)
                return spin_mfail(c, comp->line, 1, NULL,
                                  "[component.%s]: dependency '%s' refers to component '%s', which "
                                  "does not exist",
                                  comp->id, d->name, d->component);
        }
    }
    return 0;
}

static int read_v2(mctx *c, spin_manifest *m, const toml_value *root)
{
    static const char *const fields[] = {"spin_manifest_version", "application", "variables",
                                         "trigger", "component", NULL};
    const toml_entry *app = NULL, *vars = NULL, *triggers = NULL, *comps = NULL;
    for (size_t i = 0; i < util_toml_len(root); i++) {
        const toml_entry *e = util_toml_entry_at(root, i);
        if (strcmp(e->key, "spin_manifest_version") == 0)
            continue;
        else if (strcmp(e->key, "application") == 0)
            app = e;
        else if (strcmp(e->key, "variables") == 0)
            vars = e;
        else if (strcmp(e->key, "trigger") == 0)
            triggers = e;
        else if (strcmp(e->key, "component") == 0)
            comps = e;
        else
            return spin_mfail_unknown(c, NULL, e, fields);
    }
    if (app == NULL)
        return spin_mfail(c, 1, 1, NULL, "missing [application] table");
    if (spin_mwant_table(c, NULL, app) < 0 || read_application(c, m, app->value) < 0)
        return -1;
    if (vars && spin_manifest_read_variables(c, m, vars) < 0)
        return -1;
    if (comps && read_components(c, m, comps) < 0)
        return -1;
    if (triggers == NULL)
        return spin_mfail(c, 1, 1, NULL, "missing field 'trigger': an app needs at least one "
                                    "[[trigger.<type>]]");
    pending_list pending = {0};
    if (read_triggers(c, m, triggers, &pending) < 0) {
        pending_free(&pending);
        return -1;
    }
    normalize_trigger_ids(m);
    place_inline_components(m, &pending);
    pending_free(&pending);
    return spin_manifest_check_references(c, m);
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return util_xstrdup(".");
    if (slash == path)
        return util_xstrdup("/");
    return util_xstrndup(path, (size_t)(slash - path));
}

spin_manifest *spin_manifest_parse(const char *data, size_t len, const char *path,
                                   util_error **err)
{
    const char *name = path ? path : "spin.toml";
    toml_value *root = util_toml_parse(data, len, name, err);
    if (root == NULL)
        return NULL;
    spin_manifest *m = util_xcalloc(1, sizeof(*m));
    m->doc = root;
    m->path = util_xstrdup(name);
    m->dir = dir_of(name);
    mctx c = {.file = name, .err = err};
    const toml_value *ver = util_toml_get(root, "spin_manifest_version");
    if (ver == NULL)
        ver = util_toml_get(root, "spin_version"); /* v1 alias */
    int64_t iv = 0;
    const char *sv = util_toml_string(ver);
    int r;
    if (ver == NULL) {
        r = spin_mfail(&c, 1, 1, NULL,
                       "missing field 'spin_manifest_version' (spin_manifest_version = 2)");
    } else if ((sv && strcmp(sv, "1") == 0) || (util_toml_int(ver, &iv) && iv == 1)) {
        m->manifest_version = 1;
        r = spin_manifest_read_v1(&c, m, root);
    } else if ((sv && strcmp(sv, "2") == 0) || (util_toml_int(ver, &iv) && iv == 2)) {
        m->manifest_version = 2;
        if (util_toml_get(root, "spin_version") != NULL) {
            const toml_entry *e = NULL;
            for (size_t i = 0; i < util_toml_len(root); i++)
                if (strcmp(util_toml_entry_at(root, i)->key, "spin_version") == 0)
                    e = util_toml_entry_at(root, i);
            r = spin_mfail(&c, e->line, e->col, NULL, "unknown field 'spin_version'");
        } else {
            r = read_v2(&c, m, root);
        }
    } else {
        r = spin_mfail(&c, ver->line, ver->col, NULL,
                       "unsupported spin_manifest_version (expected 2, or \"1\" for old manifests)");
    }
    if (r < 0) {
        spin_manifest_free(m);
        return NULL;
    }
    return m;
}

spin_manifest *spin_manifest_load(const char *path, util_error **err)
{
    struct stat st;
    cleanup_free char *file = NULL;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        size_t n = strlen(path);
        file = util_xasprintf("%s%sspin.toml", path, n && path[n - 1] == '/' ? "" : "/");
    } else {
        file = util_xstrdup(path);
    }
    cleanup_free char *data = NULL;
    size_t len = 0;
    if (util_read_file(file, &data, &len, err) < 0) {
        util_error_wrap(err, "read Spin manifest");
        return NULL;
    }
    return spin_manifest_parse(data, len, file, err);
}

void spin_manifest_free(spin_manifest *m)
{
    if (m == NULL)
        return;
    free(m->path);
    free(m->dir);
    free(m->name);
    free(m->version);
    free(m->description);
    spin_strv_free(&m->authors);
    for (size_t i = 0; i < m->n_variables; i++) {
        free(m->variables[i].name);
        free(m->variables[i].default_value);
        free(m->variables[i].description);
    }
    free(m->variables);
    for (size_t i = 0; i < m->n_triggers; i++)
        spin_manifest_trigger_free(&m->triggers[i]);
    free(m->triggers);
    for (size_t i = 0; i < m->n_components; i++)
        spin_manifest_component_free(&m->components[i]);
    free(m->components);
    util_toml_free(m->doc);
    free(m);
}

void spin_manifest_freep(spin_manifest **m)
{
    if (m != NULL) {
        spin_manifest_free(*m);
        *m = NULL;
    }
}
