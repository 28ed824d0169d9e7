/*
 * manifest_component.c - one component of spin.toml: [component.<id>] in
 * version 2, an inline `component = { ... }` of a trigger, or a version 1
 * [[component]] (which adds id, trigger and config).
 *
 * The reader is a single switch over the table's keys so that the set of
 * accepted fields is visible in one place and anything else is rejected
 * with its name, as Spin's deny_unknown_fields does.  Fields that only
 * matter to `spin build` or other tools (build, tool) are type-checked and
 * otherwise ignored.
 */
#include "manifest_internal.h"

#include <string.h>

static const char *const v2_fields[] = {
    "source",
    "description",
    "variables",
    "environment",
    "files",
    "exclude_files",
    "allowed_outbound_hosts",
    "allowed_http_hosts",
    "key_value_stores",
    "sqlite_databases",
    "ai_models",
    "dependencies",
    "dependencies_inherit_configuration",
    "build",
    "tool",
    NULL,
};

static const char *const v1_fields[] = {
    "id",
    "source",
    "trigger",
    "description",
    "config",
    "environment",
    "files",
    "exclude_files",
    "allowed_outbound_hosts",
    "allowed_http_hosts",
    "key_value_stores",
    "sqlite_databases",
    "ai_models",
    "build",
    NULL,
};

static bool in_list(const char *key, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(key, list[i]) == 0)
            return true;
    return false;
}

static int read_source(mctx *c, const char *sec, const toml_entry *e, spin_source *src)
{
    const toml_value *v = e->value;
    if (v->type == TOML_STRING) {
        src->kind = SPIN_SOURCE_FILE;
        return spin_mget_string(c, sec, e, &src->path);
    }
    if (v->type != TOML_TABLE)
        return spin_mfail(c, e->line, e->col, sec,
                          "'source' must be a path string, { url, digest } or "
                          "{ registry, package, version }, not %s",
                          util_toml_type_name(v->type));
    cleanup_free char *sub = util_xasprintf("%s: source", sec);
    bool is_url = util_toml_get(v, "url") != NULL;
    static const char *const url_fields[] = {"url", "digest", NULL};
    static const char *const reg_fields[] = {"registry", "package", "version", NULL};
    src->kind = is_url ? SPIN_SOURCE_URL : SPIN_SOURCE_REGISTRY;
    for (size_t i = 0; i < util_toml_len(v); i++) {
        const toml_entry *f = util_toml_entry_at(v, i);
        char **dst = NULL;
        if (is_url && strcmp(f->key, "url") == 0)
            dst = &src->url;
        else if (is_url && strcmp(f->key, "digest") == 0)
            dst = &src->digest;
        else if (!is_url && strcmp(f->key, "registry") == 0)
            dst = &src->registry;
        else if (!is_url && strcmp(f->key, "package") == 0)
            dst = &src->package;
        else if (!is_url && strcmp(f->key, "version") == 0)
            dst = &src->version;
        else
            return spin_mfail_unknown(c, sub, f, is_url ? url_fields : reg_fields);
        if (spin_mget_string(c, sub, f, dst) < 0)
            return -1;
    }
    if (is_url) {
        if (src->digest == NULL)
            return spin_mfail_missing(c, sub, v, "digest");
        if (strncmp(src->digest, "sha256:", 7) != 0)
            return spin_mfail(c, v->line, v->col, sub,
                              "invalid digest '%s': must start with 'sha256:'",
                              src->digest);
    } else {
        if (src->package == NULL)
            return spin_mfail(c, v->line, v->col, sec,
                              "'source' must be a path string, { url, digest } or "
                              "{ registry, package, version }");
        if (src->version == NULL)
            return spin_mfail_missing(c, sub, v, "version");
    }
    return 0;
}

/* A destination is where files land in the guest, and the host builds
 * that tree under a staging directory: it must be a clean absolute path
 * ("/", "/data", "/data/"), so it can name nothing outside the guest's "/".
 * One trailing '/' is accepted (a directory destination written as such);
 * empty, "." and ".." segments are not, whatever they would resolve to.
 * NULs never get this far (spin_mget_string).  Returns NULL or why not. */
static const char *destination_problem(const char *dest)
{
    if (dest[0] != '/')
        return "must be an absolute path";
    for (const char *p = dest + 1; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 0)
            return "must not contain an empty segment ('//')";
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return "must not contain '.' or '..' segments";
        p += n;
        if (*p == '/')
            p++;
    }
    return NULL;
}

static int read_files(mctx *c, const char *sec, const toml_entry *e, spin_component *comp)
{
    if (e->value->type != TOML_ARRAY)
        return spin_mfail(c, e->line, e->col, sec, "'files' must be an array, not %s",
                          util_toml_type_name(e->value->type));
    static const char *const placement_fields[] = {"source", "destination", NULL};
    for (size_t i = 0; i < util_toml_len(e->value); i++) {
        const toml_value *v = util_toml_array_at(e->value, i);
        comp->files = util_xrealloc(comp->files, (comp->n_files + 1) * sizeof(*comp->files));
        spin_files_entry *f = &comp->files[comp->n_files++];
        memset(f, 0, sizeof(*f));
        if (v->type == TOML_STRING) {
            if (strlen(v->u.str.data) != v->u.str.len || v->u.str.len == 0)
                return spin_mfail(c, v->line, v->col, sec, "'files' entries must not be empty");
            f->source = util_xstrdup(v->u.str.data);
            continue;
        }
        if (v->type != TOML_TABLE)
            return spin_mfail(c, v->line, v->col, sec,
                              "'files' entries must be a pattern string or { source, destination }, "
                              "not %s",
                              util_toml_type_name(v->type));
        cleanup_free char *sub = util_xasprintf("%s: files[%zu]", sec, i);
        for (size_t k = 0; k < util_toml_len(v); k++) {
            const toml_entry *fe = util_toml_entry_at(v, k);
            if (strcmp(fe->key, "source") == 0) {
                if (spin_mget_string(c, sub, fe, &f->source) < 0)
                    return -1;
            } else if (strcmp(fe->key, "destination") == 0) {
                if (spin_mget_string(c, sub, fe, &f->destination) < 0)
                    return -1;
            } else {
                return spin_mfail_unknown(c, sub, fe, placement_fields);
            }
        }
        if (f->source == NULL)
            return spin_mfail_missing(c, sub, v, "source");
        if (f->destination == NULL)
            return spin_mfail_missing(c, sub, v, "destination");
        const char *why = destination_problem(f->destination);
        if (why)
            return spin_mfail(c, v->line, v->col, sub, "destination '%s' %s", f->destination, why);
    }
    return 0;
}

static int read_variables(mctx *c, const char *sec, const toml_entry *e, spin_component *comp)
{
    if (spin_mwant_table(c, sec, e) < 0)
        return -1;
    for (size_t i = 0; i < util_toml_len(e->value); i++) {
        const toml_entry *v = util_toml_entry_at(e->value, i);
        cleanup_free char *sub = util_xasprintf("%s: %s", sec, e->key);
        if (spin_mcheck_id(c, sub, v->line, v->col, "variable name", v->key, '_', true) < 0)
            return -1;
        if (v->value->type != TOML_STRING || strlen(v->value->u.str.data) != v->value->u.str.len)
            return spin_mfail(c, v->line, v->col, sub, "'%s' must be a string, not %s", v->key,
                              util_toml_type_name(v->value->type));
        comp->variables =
            util_xrealloc(comp->variables, (comp->n_variables + 1) * sizeof(*comp->variables));
        spin_component_variable *cv = &comp->variables[comp->n_variables];
        memset(cv, 0, sizeof(*cv));
        util_error *terr = NULL;
        if (spin_template_parse(v->value->u.str.data, &cv->value, &terr) < 0) {
            spin_mfail(c, v->value->line, v->value->col, sub, "'%s': %s", v->key, terr->msg);
            util_error_free(&terr);
            return -1;
        }
        cv->name = util_xstrdup(v->key);
        comp->n_variables++;
    }
    return 0;
}

static int read_labels(mctx *c, const char *sec, const toml_entry *e, spin_strv *out,
                       bool allow_snake)
{
    if (spin_mget_strv(c, sec, e, out) < 0)
        return -1;
    const toml_value *arr = e->value;
    for (size_t i = 0; i < out->len; i++) {
        const toml_value *v = util_toml_array_at(arr, i);
        if (spin_id_check(out->items[i], '-', false) == NULL)
            continue;
        if (allow_snake && spin_id_check(out->items[i], '_', false) == NULL)
            continue;
        return spin_mfail(c, v->line, v->col, sec, "invalid label '%s' in '%s': expected %s",
                          out->items[i], e->key, allow_snake ? "kebab-case or snake_case" : "kebab-case");
    }
    return 0;
}

static int read_dependencies(mctx *c, const char *sec, const toml_entry *e,
                             spin_component *comp)
{
    if (spin_mwant_table(c, sec, e) < 0)
        return -1;
    for (size_t i = 0; i < util_toml_len(e->value); i++) {
        const toml_entry *d = util_toml_entry_at(e->value, i);
        cleanup_free char *sub = util_xasprintf("%s: dependencies.\"%s\"", sec, d->key);
        if (d->key_len == 0 || strlen(d->key) != d->key_len)
            return spin_mfail(c, d->line, d->col, sec, "invalid dependency name");
        comp->dependencies = util_xrealloc(comp->dependencies,
                                           (comp->n_dependencies + 1) * sizeof(*comp->dependencies));
        spin_dependency *dep = &comp->dependencies[comp->n_dependencies++];
        memset(dep, 0, sizeof(*dep));
        dep->name = util_xstrdup(d->key);
        if (d->value->type == TOML_STRING) {
            dep->kind = SPIN_DEP_VERSION;
            if (spin_mget_string(c, sub, d, &dep->version) < 0)
                return -1;
            if (strchr(dep->name, ':') == NULL)
                return spin_mfail(c, d->line, d->col, sub,
                                  "dependency must specify a package name");
            continue;
        }
        if (d->value->type != TOML_TABLE)
            return spin_mfail(c, d->line, d->col, sub,
                              "must be a version string or a table, not %s",
                              util_toml_type_name(d->value->type));
        const toml_value *t = d->value;
        static const char *const local_fields[] = {"path", "export", NULL};
        static const char *const url_fields[] = {"url", "digest", "export", NULL};
        static const char *const comp_fields[] = {"component", "export", NULL};
        static const char *const pkg_fields[] = {"version", "registry", "package", "export", NULL};
        const char *const *fields;
        if (util_toml_get(t, "path")) {
            dep->kind = SPIN_DEP_LOCAL;
            fields = local_fields;
        } else if (util_toml_get(t, "url")) {
            dep->kind = SPIN_DEP_URL;
            fields = url_fields;
        } else if (util_toml_get(t, "component")) {
            dep->kind = SPIN_DEP_COMPONENT;
            fields = comp_fields;
        } else {
            dep->kind = SPIN_DEP_PACKAGE;
            fields = pkg_fields;
        }
        for (size_t k = 0; k < util_toml_len(t); k++) {
            const toml_entry *f = util_toml_entry_at(t, k);
            if (!in_list(f->key, fields))
                return spin_mfail_unknown(c, sub, f, fields);
            char **dst = strcmp(f->key, "path") == 0        ? &dep->path
                         : strcmp(f->key, "export") == 0    ? &dep->export_name
                         : strcmp(f->key, "url") == 0       ? &dep->url
                         : strcmp(f->key, "digest") == 0    ? &dep->digest
                         : strcmp(f->key, "component") == 0 ? &dep->component
                         : strcmp(f->key, "registry") == 0  ? &dep->registry
                         : strcmp(f->key, "package") == 0   ? &dep->package
                                                            : &dep->version;
            if (spin_mget_string(c, sub, f, dst) < 0)
                return -1;
        }
        if (dep->kind == SPIN_DEP_URL && dep->digest == NULL)
            return spin_mfail_missing(c, sub, t, "digest");
        if (dep->kind == SPIN_DEP_PACKAGE && dep->version == NULL)
            return spin_mfail_missing(c, sub, t, "version");
        if (dep->kind == SPIN_DEP_PACKAGE && dep->package == NULL && strchr(dep->name, ':') == NULL)
            return spin_mfail(c, t->line, t->col, sub, "dependency must specify a package name");
        if (dep->kind == SPIN_DEP_COMPONENT &&
            spin_mcheck_id(c, sub, t->line, t->col, "component id", dep->component, '-', false) < 0)
            return -1;
    }
    return 0;
}

/* [component.x.build] is ignored at runtime, but Spin still rejects a
 * malformed one, so a manifest we accept is one `spin up` accepts. */
static int check_build(mctx *c, const char *sec, const toml_entry *e)
{
    if (spin_mwant_table(c, sec, e) < 0)
        return -1;
    static const char *const fields[] = {"command", "workdir", "watch", NULL};
    cleanup_free char *sub = util_xasprintf("%s: build", sec);
    bool has_command = false;
    for (size_t i = 0; i < util_toml_len(e->value); i++) {
        const toml_entry *f = util_toml_entry_at(e->value, i);
        spin_strv tmp = {0};
        char *str = NULL;
        int r = 0;
        if (strcmp(f->key, "command") == 0) {
            has_command = true;
            r = f->value->type == TOML_ARRAY ? spin_mget_strv(c, sub, f, &tmp)
                                             : spin_mget_string(c, sub, f, &str);
        } else if (strcmp(f->key, "workdir") == 0) {
            r = spin_mget_string(c, sub, f, &str);
        } else if (strcmp(f->key, "watch") == 0) {
            r = spin_mget_strv(c, sub, f, &tmp);
        } else {
            r = spin_mfail_unknown(c, sub, f, fields);
        }
        spin_strv_free(&tmp);
        free(str);
        if (r < 0)
            return -1;
    }
    if (!has_command)
        return spin_mfail_missing(c, sub, e->value, "command");
    return 0;
}

int spin_manifest_read_component(mctx *c, spin_manifest *m, const char *id, const toml_value *table,
                                 const char *sec, bool v1, spin_component *comp,
                                 const toml_value **trigger_out)
{
    comp->line = table->line;
    if (id != NULL)
        comp->id = util_xstrdup(id);
    bool has_source = false, has_outbound = false;
    const char *const *fields = v1 ? v1_fields : v2_fields;
    unsigned http_line = 0, http_col = 0;
    for (size_t i = 0; i < util_toml_len(table); i++) {
        const toml_entry *e = util_toml_entry_at(table, i);
        const char *k = e->key;
        int r = 0;
        if (!in_list(k, fields) || strlen(k) != e->key_len)
            return spin_mfail_unknown(c, sec, e, fields);
        if (strcmp(k, "source") == 0) {
            has_source = true;
            r = read_source(c, sec, e, &comp->source);
        } else if (strcmp(k, "id") == 0) {
            r = spin_mget_string(c, sec, e, &comp->id);
        } else if (strcmp(k, "trigger") == 0) {
            r = spin_mwant_table(c, sec, e);
            if (trigger_out)
                *trigger_out = e->value;
        } else if (strcmp(k, "description") == 0) {
            r = spin_mget_string(c, sec, e, &comp->description);
        } else if (strcmp(k, "variables") == 0 || strcmp(k, "config") == 0) {
            r = read_variables(c, sec, e, comp);
        } else if (strcmp(k, "environment") == 0) {
            r = spin_mget_str_map(c, sec, e, &comp->environment, &comp->n_environment);
        } else if (strcmp(k, "files") == 0) {
            r = read_files(c, sec, e, comp);
        } else if (strcmp(k, "exclude_files") == 0) {
            r = spin_mget_strv(c, sec, e, &comp->exclude_files);
        } else if (strcmp(k, "allowed_outbound_hosts") == 0) {
            has_outbound = true;
            r = spin_mget_strv(c, sec, e, &comp->allowed_outbound_hosts);
        } else if (strcmp(k, "allowed_http_hosts") == 0) {
            http_line = e->line;
            http_col = e->col;
            r = spin_mget_strv(c, sec, e, &comp->allowed_http_hosts);
        } else if (strcmp(k, "key_value_stores") == 0) {
            r = read_labels(c, sec, e, &comp->key_value_stores, true);
        } else if (strcmp(k, "sqlite_databases") == 0) {
            r = read_labels(c, sec, e, &comp->sqlite_databases, true);
        } else if (strcmp(k, "ai_models") == 0) {
            r = read_labels(c, sec, e, &comp->ai_models, false);
        } else if (strcmp(k, "dependencies") == 0) {
            r = read_dependencies(c, sec, e, comp);
        } else if (strcmp(k, "dependencies_inherit_configuration") == 0) {
            r = spin_mget_bool(c, sec, e, &comp->dependencies_inherit_configuration);
        } else if (strcmp(k, "build") == 0) {
            r = check_build(c, sec, e); /* used by `spin build` only */
        } else if (strcmp(k, "tool") == 0) {
            r = spin_mwant_table(c, sec, e); /* settings of plugins; Spin ignores them */
        }
        if (r < 0)
            return -1;
    }
    if (v1 && comp->id == NULL)
        return spin_mfail_missing(c, sec, table, "id");
    if (!has_source)
        return spin_mfail_missing(c, sec, table, "source");
    if (v1 && trigger_out && *trigger_out == NULL)
        return spin_mfail_missing(c, sec, table, "trigger");
    /* v1 apps predate allowed_outbound_hosts and could reach databases
     * freely; Spin keeps that when the new field is absent, whether or not
     * the component lists allowed_http_hosts. */
    bool allow_db = v1 && !has_outbound;
    if (comp->allowed_http_hosts.len > 0 || allow_db) {
        if (spin_manifest_convert_http_hosts(c, sec, http_line, http_col, &comp->allowed_http_hosts,
                                             allow_db, &comp->allowed_outbound_hosts) < 0)
            return -1;
    }
    if (comp->allowed_http_hosts.len > 0)
        util_log_warn("%s: %s: 'allowed_http_hosts' is deprecated, use 'allowed_outbound_hosts'",
                      c->file, sec);
    return 0;
}

int spin_manifest_convert_http_hosts(mctx *c, const char *sec, unsigned line, unsigned col,
                                     const spin_strv *http_hosts, bool allow_databases,
                                     spin_strv *outbound)
{
    spin_strv add = {0};
    if (allow_databases) {
        spin_strv_push(&add, "redis://*:*");
        spin_strv_push(&add, "mysql://*:*");
        spin_strv_push(&add, "postgres://*:*");
    }
    bool all = false;
    for (size_t i = 0; i < http_hosts->len; i++)
        if (strcmp(http_hosts->items[i], "insecure:allow-all") == 0)
            all = true;
    if (all) {
        spin_strv_push(&add, "http://*:*");
        spin_strv_push(&add, "https://*:*");
        spin_strv_push(&add, "http://self");
    }
    for (size_t i = 0; i < http_hosts->len && !all; i++) {
        const char *h = http_hosts->items[i];
        if (strncmp(h, "http://", 7) == 0)
            h += 7;
        else if (strncmp(h, "https://", 8) == 0)
            h += 8;
        size_t n = strlen(h);
        if (n > 0 && h[n - 1] == '/')
            n--;
        cleanup_free char *host = util_xstrndup(h, n);
        char *colon = strrchr(host, ':');
        bool bad = host[0] == '\0' || strchr(host, '/') != NULL || strchr(host, '?') != NULL ||
                   strchr(host, '#') != NULL || strchr(host, '@') != NULL;
        if (colon != NULL) {
            bad = bad || colon[1] == '\0' || colon == host;
            for (char *p = colon + 1; *p; p++)
                if (*p < '0' || *p > '9')
                    bad = true;
        }
        if (bad) {
            spin_strv_free(&add);
            return spin_mfail(c, line, col, sec,
                              "invalid 'allowed_http_hosts' entry '%s': expected a host name with an "
                              "optional port",
                              http_hosts->items[i]);
        }
        if (strcmp(host, "self") == 0) {
            spin_strv_push(&add, "http://self");
            continue;
        }
        cleanup_free char *a = util_xasprintf("http://%s", host);
        cleanup_free char *b = util_xasprintf("https://%s", host);
        spin_strv_push(&add, a);
        spin_strv_push(&add, b);
    }
    for (size_t i = 0; i < add.len; i++)
        spin_strv_push(outbound, add.items[i]);
    spin_strv_free(&add);
    return 0;
}

int spin_manifest_check_component_templates(mctx *c, const spin_manifest *m,
                                            const spin_component *comp)
{
    cleanup_free char *sec = util_xasprintf("[component.%s]", comp->id);
    for (size_t i = 0; i < comp->n_variables; i++) {
        const spin_template *t = &comp->variables[i].value;
        for (size_t k = 0; k < t->len; k++)
            if (t->parts[k].kind == SPIN_TPL_VARIABLE &&
                spin_manifest_variable(m, t->parts[k].text) == NULL)
                return spin_mfail(c, comp->line, 1, sec,
                                  "variables.%s refers to '%s', which is not declared in [variables]",
                                  comp->variables[i].name, t->parts[k].text);
    }
    for (size_t i = 0; i < comp->allowed_outbound_hosts.len; i++) {
        const char *h = comp->allowed_outbound_hosts.items[i];
        const char *sep = strstr(h, "://");
        if (sep == NULL || sep == h || sep[3] == '\0' || strspn(h, "abcdefghijklmnopqrstuvwxyz"
                                                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                                "0123456789+-.*") != (size_t)(sep - h))
            return spin_mfail(c, comp->line, 1, sec,
                              "invalid allowed_outbound_hosts entry '%s': expected "
                              "scheme://host[:port], e.g. \"https://example.com\"",
                              h);
        spin_template t;
        util_error *terr = NULL;
        if (spin_template_parse(comp->allowed_outbound_hosts.items[i], &t, &terr) < 0) {
            spin_mfail(c, comp->line, 1, sec, "allowed_outbound_hosts: %s", terr->msg);
            util_error_free(&terr);
            return -1;
        }
        for (size_t k = 0; k < t.len; k++) {
            if (t.parts[k].kind == SPIN_TPL_VARIABLE &&
                spin_manifest_variable(m, t.parts[k].text) == NULL) {
                spin_mfail(c, comp->line, 1, sec,
                           "allowed_outbound_hosts entry '%s' refers to '%s', which is not declared in "
                           "[variables]",
                           t.raw, t.parts[k].text);
                spin_template_free(&t);
                return -1;
            }
        }
        spin_template_free(&t);
    }
    return 0;
}

void spin_manifest_component_free(spin_component *comp)
{
    free(comp->id);
    free(comp->description);
    free(comp->source.path);
    free(comp->source.url);
    free(comp->source.digest);
    free(comp->source.registry);
    free(comp->source.package);
    free(comp->source.version);
    for (size_t i = 0; i < comp->n_files; i++) {
        free(comp->files[i].source);
        free(comp->files[i].destination);
    }
    free(comp->files);
    spin_strv_free(&comp->exclude_files);
    spin_kv_free(comp->environment, comp->n_environment);
    for (size_t i = 0; i < comp->n_variables; i++) {
        free(comp->variables[i].name);
        spin_template_free(&comp->variables[i].value);
    }
    free(comp->variables);
    spin_strv_free(&comp->allowed_outbound_hosts);
    spin_strv_free(&comp->allowed_http_hosts);
    spin_strv_free(&comp->key_value_stores);
    spin_strv_free(&comp->sqlite_databases);
    spin_strv_free(&comp->ai_models);
    for (size_t i = 0; i < comp->n_dependencies; i++) {
        spin_dependency *d = &comp->dependencies[i];
        free(d->name);
        free(d->version);
        free(d->registry);
        free(d->package);
        free(d->export_name);
        free(d->path);
        free(d->url);
        free(d->digest);
        free(d->component);
    }
    free(comp->dependencies);
    memset(comp, 0, sizeof(*comp));
}
