/*
 * manifest_v1.c - reads a version 1 spin.toml (spin_manifest_version = "1")
 * into the version 2 model, following Spin's own v1 -> v2 conversion:
 *   - the app-wide `trigger = { type = "http", base = "/" }` gives every
 *     component's trigger its type;
 *   - each [[component]] becomes [component.<id>] (ids are made kebab-case
 *     by turning '_' into '-' and lower-casing) plus one trigger with id
 *     "trigger-<id>" built from its [component.trigger] table;
 *   - `config` becomes the component's `variables`;
 *   - `allowed_http_hosts` become `allowed_outbound_hosts`, and without an
 *     explicit allowed_outbound_hosts the component keeps v1's implicit
 *     access to Redis, MySQL and PostgreSQL.
 */
#include "manifest_internal.h"

#include <ctype.h>
#include <string.h>

static int read_app_trigger(mctx *c, const toml_entry *e, char **type)
{
    if (e->value->type != TOML_TABLE)
        return spin_mfail(c, e->line, e->col, NULL,
                          "'trigger' must be a table like { type = \"http\" }, not %s",
                          util_toml_type_name(e->value->type));
    const toml_value *ty = util_toml_get(e->value, "type");
    if (ty == NULL)
        return spin_mfail_missing(c, "trigger", e->value, "type");
    if (util_toml_string(ty) == NULL || ty->u.str.data[0] == '\0' ||
        strlen(ty->u.str.data) != ty->u.str.len)
        return spin_mfail(c, ty->line, ty->col, "trigger", "'type' must be a non-empty string");
    *type = util_xstrdup(ty->u.str.data);
    if (strcmp(*type, "http") == 0)
        return spin_manifest_check_http_base(c, "trigger", e->value);
    return 0;
}

static char *normalize_id(const char *id)
{
    if (spin_id_check(id, '-', false) == NULL)
        return util_xstrdup(id);
    char *fixed = util_xstrdup(id);
    for (char *p = fixed; *p; p++)
        *p = *p == '_' ? '-' : (char)tolower((unsigned char)*p);
    return fixed;
}

static int read_component_trigger(mctx *c, const char *sec, const char *type,
                                  const toml_value *table, spin_trigger *t)
{
    t->config = table;
    t->line = table->line;
    if (strcmp(type, "http") != 0)
        return 0;
    static const char *const fields[] = {"route", "executor", NULL};
    for (size_t i = 0; i < util_toml_len(table); i++) {
        const toml_entry *e = util_toml_entry_at(table, i);
        if (strcmp(e->key, "static_response") == 0)
            return spin_mfail_unknown(c, sec, e, fields);
        int r = spin_manifest_read_http_field(c, sec, e, t);
        if (r < 0)
            return -1;
        if (r == 0)
            return spin_mfail_unknown(c, sec, e, fields);
    }
    return spin_manifest_finish_http_trigger(c, sec, table, t);
}

int spin_manifest_read_v1(mctx *c, spin_manifest *m, const toml_value *root)
{
    static const char *const fields[] = {"spin_manifest_version", "name",    "version",
                                         "description",           "authors", "trigger",
                                         "variables",             "component", NULL};
    cleanup_free char *trigger_type = NULL;
    const toml_entry *comps = NULL;
    for (size_t i = 0; i < util_toml_len(root); i++) {
        const toml_entry *e = util_toml_entry_at(root, i);
        int r = 0;
        if (strcmp(e->key, "spin_manifest_version") == 0 || strcmp(e->key, "spin_version") == 0)
            continue;
        if (strcmp(e->key, "name") == 0)
            r = spin_mget_string(c, NULL, e, &m->name);
        else if (strcmp(e->key, "version") == 0)
            r = spin_mget_string(c, NULL, e, &m->version);
        else if (strcmp(e->key, "description") == 0)
            r = spin_mget_string(c, NULL, e, &m->description);
        else if (strcmp(e->key, "authors") == 0)
            r = spin_mget_strv(c, NULL, e, &m->authors);
        else if (strcmp(e->key, "trigger") == 0)
            r = read_app_trigger(c, e, &trigger_type);
        else if (strcmp(e->key, "variables") == 0)
            r = spin_manifest_read_variables(c, m, e);
        else if (strcmp(e->key, "component") == 0)
            comps = e;
        else
            r = spin_mfail_unknown(c, NULL, e, fields);
        if (r < 0)
            return -1;
    }
    if (m->name == NULL)
        return spin_mfail(c, 1, 1, NULL, "missing field 'name'");
    if (trigger_type == NULL)
        return spin_mfail(c, 1, 1, NULL, "missing field 'trigger' (trigger = { type = \"http\" })");
    if (comps == NULL)
        return 0;
    if (comps->value->type != TOML_ARRAY)
        return spin_mfail(c, comps->line, comps->col, NULL,
                          "'component' must be an array of tables ([[component]]), not %s",
                          util_toml_type_name(comps->value->type));
    for (size_t i = 0; i < util_toml_len(comps->value); i++) {
        const toml_value *t = util_toml_array_at(comps->value, i);
        cleanup_free char *sec = util_xasprintf("[[component]] #%zu", i + 1);
        if (t->type != TOML_TABLE)
            return spin_mfail(c, t->line, t->col, sec, "must be a table, not %s",
                              util_toml_type_name(t->type));
        const toml_value *id = util_toml_get(t, "id");
        if (util_toml_string(id) != NULL) {
            char *named = util_xasprintf("[[component]] '%s'", id->u.str.data);
            free(sec);
            sec = named;
        }
        spin_component *comp = spin_manifest_add_component(m);
        const toml_value *trigger_table = NULL;
        if (spin_manifest_read_component(c, m, NULL, t, sec, true, comp, &trigger_table) < 0)
            return -1;
        char *fixed = normalize_id(comp->id);
        if (spin_mcheck_id(c, sec, t->line, t->col, "component id", fixed, '-', false) < 0) {
            free(fixed);
            return -1;
        }
        free(comp->id);
        comp->id = fixed;
        for (size_t k = 0; k + 1 < m->n_components; k++)
            if (strcmp(m->components[k].id, fixed) == 0)
                return spin_mfail(c, t->line, t->col, sec, "duplicate component id '%s'", fixed);
        spin_trigger *tr = spin_manifest_add_trigger(m);
        tr->type = util_xstrdup(trigger_type);
        tr->supported = strcmp(trigger_type, "http") == 0;
        tr->id = util_xasprintf("trigger-%s", fixed);
        tr->component = util_xstrdup(fixed);
        cleanup_free char *tsec = util_xasprintf("%s: trigger", sec);
        if (read_component_trigger(c, tsec, trigger_type, trigger_table, tr) < 0)
            return -1;
    }
    return spin_manifest_check_references(c, m);
}
