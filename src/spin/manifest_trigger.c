/*
 * manifest_trigger.c - the HTTP-specific keys of a trigger: route, executor
 * and static_response, shared by [[trigger.http]] (v2) and a v1
 * [component.trigger] table.
 *
 * Other trigger types (redis, mqtt, cron, ...) are not interpreted here:
 * their tables are kept raw and the trigger is flagged unsupported, so the
 * host can refuse the app with "unsupported trigger type X" instead of the
 * loader guessing at their schema.
 */
#include "manifest_internal.h"

#include <string.h>

static int read_route(mctx *c, const char *sec, const toml_entry *e, spin_trigger *t)
{
    const toml_value *v = e->value;
    if (v->type == TOML_TABLE) {
        static const char *const fields[] = {"private", NULL};
        bool priv = false, seen = false;
        for (size_t i = 0; i < util_toml_len(v); i++) {
            const toml_entry *f = util_toml_entry_at(v, i);
            if (strcmp(f->key, "private") != 0)
                return spin_mfail_unknown(c, sec, f, fields);
            if (spin_mget_bool(c, sec, f, &priv) < 0)
                return -1;
            seen = true;
        }
        if (!seen || !priv)
            return spin_mfail(c, e->line, e->col, sec,
                              "'route' must be a path or { private = true }");
        t->route_private = true;
        return 0;
    }
    if (v->type != TOML_STRING)
        return spin_mfail(c, e->line, e->col, sec,
                          "'route' must be a path or { private = true }, not %s",
                          util_toml_type_name(v->type));
    char *route = NULL;
    if (spin_mget_string(c, sec, e, &route) < 0)
        return -1;
    /* Routes are joined to the base "/", so "hello" means "/hello". */
    if (route[0] != '/') {
        char *abs = util_xasprintf("/%s", route);
        free(route);
        route = abs;
    }
    size_t n = strlen(route);
    t->route_wildcard = n >= 4 && strcmp(route + n - 4, "/...") == 0;
    for (const char *p = route; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7F || *p == ' ' || *p == '?' || *p == '#') {
            free(route);
            return spin_mfail(c, e->line, e->col, sec,
                              "invalid route '%s': routes may not contain spaces, control "
                              "characters, '?' or '#'",
                              v->u.str.data);
        }
    free(t->route);
    t->route = route;
    return 0;
}

static int read_executor(mctx *c, const char *sec, const toml_entry *e, spin_trigger *t)
{
    if (spin_mwant_table(c, sec, e) < 0)
        return -1;
    const toml_value *v = e->value;
    cleanup_free char *sub = util_xasprintf("%s: executor", sec);
    const toml_value *type = util_toml_get(v, "type");
    if (type == NULL)
        return spin_mfail_missing(c, sub, v, "type");
    const char *ty = util_toml_string(type);
    if (ty == NULL)
        return spin_mfail(c, type->line, type->col, sub, "'type' must be a string, not %s",
                          util_toml_type_name(type->type));
    static const char *const http_fields[] = {"type", NULL};
    static const char *const wagi_fields[] = {"type", "argv", "entrypoint", NULL};
    bool wagi = strcmp(ty, "wagi") == 0;
    if (!wagi && strcmp(ty, "spin") != 0 && strcmp(ty, "http") != 0)
        return spin_mfail(c, type->line, type->col, sub,
                          "unknown executor type '%s' (expected one of: http, spin, wagi)", ty);
    t->executor.kind = wagi ? SPIN_EXECUTOR_WAGI : SPIN_EXECUTOR_HTTP;
    for (size_t i = 0; i < util_toml_len(v); i++) {
        const toml_entry *f = util_toml_entry_at(v, i);
        if (strcmp(f->key, "type") == 0)
            continue;
        if (!wagi)
            return spin_mfail_unknown(c, sub, f, http_fields);
        if (strcmp(f->key, "argv") == 0) {
            if (spin_mget_string(c, sub, f, &t->executor.argv) < 0)
                return -1;
        } else if (strcmp(f->key, "entrypoint") == 0) {
            if (spin_mget_string(c, sub, f, &t->executor.entrypoint) < 0)
                return -1;
        } else {
            return spin_mfail_unknown(c, sub, f, wagi_fields);
        }
    }
    if (wagi && t->executor.argv == NULL)
        t->executor.argv = util_xstrdup("${SCRIPT_NAME} ${ARGS}");
    if (wagi && t->executor.entrypoint == NULL)
        t->executor.entrypoint = util_xstrdup("_start");
    return 0;
}

static int read_static_response(mctx *c, const char *sec, const toml_entry *e, spin_trigger *t)
{
    if (spin_mwant_table(c, sec, e) < 0)
        return -1;
    cleanup_free char *sub = util_xasprintf("%s: static_response", sec);
    static const char *const fields[] = {"status_code", "headers", "body", NULL};
    spin_static_response *r = util_xcalloc(1, sizeof(*r));
    r->status_code = 200;
    t->static_response = r;
    for (size_t i = 0; i < util_toml_len(e->value); i++) {
        const toml_entry *f = util_toml_entry_at(e->value, i);
        if (strcmp(f->key, "status_code") == 0) {
            int64_t code;
            if (!util_toml_int(f->value, &code) || code < 100 || code > 999)
                return spin_mfail(c, f->line, f->col, sub,
                                  "'status_code' must be an integer from 100 to 999");
            r->status_code = (int)code;
        } else if (strcmp(f->key, "headers") == 0) {
            if (spin_mget_str_map(c, sub, f, &r->headers, &r->n_headers) < 0)
                return -1;
        } else if (strcmp(f->key, "body") == 0) {
            if (spin_mget_string(c, sub, f, &r->body) < 0)
                return -1;
        } else {
            return spin_mfail_unknown(c, sub, f, fields);
        }
    }
    return 0;
}

int spin_manifest_read_http_field(mctx *c, const char *sec, const toml_entry *e, spin_trigger *t)
{
    int r;
    if (strcmp(e->key, "route") == 0)
        r = read_route(c, sec, e, t);
    else if (strcmp(e->key, "executor") == 0)
        r = read_executor(c, sec, e, t);
    else if (strcmp(e->key, "static_response") == 0)
        r = read_static_response(c, sec, e, t);
    else
        return 0;
    return r < 0 ? -1 : 1;
}

int spin_manifest_finish_http_trigger(mctx *c, const char *sec, const toml_value *table,
                                      spin_trigger *t)
{
    if (t->route == NULL && !t->route_private)
        return spin_mfail_missing(c, sec, table, "route");
    if (t->component == NULL && t->static_response == NULL)
        return spin_mfail(c, table->line, table->col, sec,
                          "a trigger must specify either 'component' or 'static_response'");
    if (t->component != NULL && t->static_response != NULL)
        return spin_mfail(c, table->line, table->col, sec,
                          "a trigger must specify either 'component' or 'static_response', not both");
    return 0;
}

int spin_manifest_check_http_base(mctx *c, const char *sec, const toml_value *table)
{
    const toml_value *base = util_toml_get(table, "base");
    if (base == NULL)
        return 0;
    const char *b = util_toml_string(base);
    if (b == NULL)
        return spin_mfail(c, base->line, base->col, sec, "'base' must be a string, not %s",
                          util_toml_type_name(base->type));
    if (strcmp(b, "/") != 0)
        return spin_mfail(c, base->line, base->col, sec,
                          "'base' is no longer supported: only \"/\" is accepted, got '%s'", b);
    util_log_warn("%s: %s: 'base' is deprecated and ignored", c->file, sec);
    return 0;
}

void spin_manifest_trigger_free(spin_trigger *t)
{
    free(t->type);
    free(t->id);
    free(t->component);
    free(t->route);
    free(t->executor.argv);
    free(t->executor.entrypoint);
    if (t->static_response) {
        spin_kv_free(t->static_response->headers, t->static_response->n_headers);
        free(t->static_response->body);
        free(t->static_response);
    }
    memset(t, 0, sizeof(*t));
}
