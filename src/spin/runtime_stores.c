/*
 * runtime_stores.c - where an app's key-value stores and SQLite databases
 * live: runtime-config.toml's [key_value_store.<label>] and
 * [sqlite_database.<label>] tables, and the "default" label of each, which
 * Spin always defines (a SQLite file in the state dir, or memory when
 * there is none).
 *
 * Paths are resolved as Spin resolves them, once, at load: a key-value
 * path relative to the runtime config's directory, a database path and
 * the state dir relative to the working directory, absolute ones inside
 * the image root.  Every table is checked whole here (its type, and no
 * key Spin would not read), so a typo is a start-up error naming the file,
 * the table and the key, not a store that silently lands elsewhere.
 */
#include "component_api.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define KV_TABLE "key_value_store"
#define SQL_TABLE "sqlite_database"

/* An absolute path inside the image root (root NULL or "/": as is). */
static char *in_root(const char *root, const char *path)
{
    if (root == NULL || strcmp(root, "/") == 0)
        return util_xstrdup(path);
    size_t n = strlen(root);
    return util_xasprintf("%.*s%s", (int)(root[n - 1] == '/' ? n - 1 : n), root, path);
}

/* `path` made absolute: inside the root if it is absolute, else against
 * `base` (NULL: the working directory). */
static char *resolve(const char *root, const char *base, const char *path, util_error **err)
{
    if (path[0] == '/')
        return in_root(root, path);
    if (base != NULL)
        return util_xasprintf("%s/%s", base, path);
    char cwd[4096];
    if (getcwd(cwd, sizeof(cwd)) == NULL) {
        util_error_set(err, errno, "resolving %s against the working directory", path);
        return NULL;
    }
    return util_xasprintf("%s%s%s", cwd, strcmp(cwd, "/") == 0 ? "" : "/", path);
}

static void add_backend(spin_store_backend **list, size_t *n, const char *label,
                        spinapi_backend_kind kind, char *location)
{
    *list = util_xrealloc(*list, (*n + 1) * sizeof(**list));
    (*list)[(*n)++] = (spin_store_backend){util_xstrdup(label), kind, location};
}

static bool has_label(const spin_store_backend *list, size_t n, const char *label)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].label, label) == 0)
            return true;
    return false;
}

/* The string at `key` of one labelled table; NULL (no error) when absent. */
static int get_string(const char *file, const char *table, const toml_entry *entry,
                      const char *key, const char **out, util_error **err)
{
    const toml_value *v = util_toml_get(entry->value, key);
    *out = NULL;
    if (v == NULL)
        return 0;
    *out = util_toml_string(v);
    if (*out == NULL)
        return util_error_set(err, 0, "%s:%u: [%s.%s] '%s' must be a string", file, v->line,
                              table, entry->key, key);
    return 0;
}

/* Every key of the table must be one the type reads. */
static int only_keys(const char *file, const char *table, const toml_entry *entry,
                     const char *type, const char *const *keys, size_t nkeys, util_error **err)
{
    for (size_t i = 0; i < util_toml_len(entry->value); i++) {
        const toml_entry *e = util_toml_entry_at(entry->value, i);
        bool known = strcmp(e->key, "type") == 0;
        for (size_t k = 0; k < nkeys && !known; k++)
            known = strcmp(e->key, keys[k]) == 0;
        if (!known)
            return util_error_set(err, 0, "%s:%u: [%s.%s] unknown key '%s' for type \"%s\"",
                                  file, e->line, table, entry->key, e->key, type);
    }
    return 0;
}

typedef struct parse_ctx {
    const char *file;
    const char *file_dir; /* base of key-value paths */
    const char *root;
    spin_app_stores *out;
} parse_ctx;

static int parse_kv_store(const parse_ctx *p, const toml_entry *entry, util_error **err)
{
    const char *type, *path, *url;
    if (get_string(p->file, KV_TABLE, entry, "type", &type, err) < 0)
        return -1;
    if (type == NULL)
        return util_error_set(err, 0, "%s:%u: [%s.%s] needs a 'type' (\"spin\" or \"redis\")",
                              p->file, entry->line, KV_TABLE, entry->key);
    if (strcmp(type, "spin") == 0) {
        static const char *const keys[] = {"path"};
        if (only_keys(p->file, KV_TABLE, entry, type, keys, 1, err) < 0 ||
            get_string(p->file, KV_TABLE, entry, "path", &path, err) < 0)
            return -1;
        char *location = NULL;
        if (path && (location = resolve(p->root, p->file_dir, path, err)) == NULL)
            return -1;
        add_backend(&p->out->kv, &p->out->nkv, entry->key,
                    path ? SPINAPI_BACKEND_SQLITE_FILE : SPINAPI_BACKEND_SQLITE_MEMORY, location);
        return 0;
    }
    if (strcmp(type, "redis") == 0) {
        static const char *const keys[] = {"url"};
        if (only_keys(p->file, KV_TABLE, entry, type, keys, 1, err) < 0 ||
            get_string(p->file, KV_TABLE, entry, "url", &url, err) < 0)
            return -1;
        if (url == NULL)
            return util_error_set(err, 0, "%s:%u: [%s.%s] type \"redis\" needs a 'url'",
                                  p->file, entry->line, KV_TABLE, entry->key);
        add_backend(&p->out->kv, &p->out->nkv, entry->key, SPINAPI_BACKEND_REDIS,
                    util_xstrdup(url));
        return 0;
    }
    if (strcmp(type, "azure_cosmos") == 0 || strcmp(type, "aws_dynamo") == 0)
        return util_error_set(err, 0,
                              "%s:%u: [%s.%s] type \"%s\" is not supported by this host (it "
                              "has \"spin\" and \"redis\")",
                              p->file, entry->line, KV_TABLE, entry->key, type);
    return util_error_set(err, 0,
                          "%s:%u: [%s.%s] unknown type \"%s\" (expected \"spin\" or \"redis\")",
                          p->file, entry->line, KV_TABLE, entry->key, type);
}

static int parse_sqlite_database(const parse_ctx *p, const toml_entry *entry, util_error **err)
{
    const char *type, *path;
    if (get_string(p->file, SQL_TABLE, entry, "type", &type, err) < 0)
        return -1;
    if (type == NULL)
        return util_error_set(err, 0, "%s:%u: [%s.%s] needs a 'type' (\"spin\")", p->file,
                              entry->line, SQL_TABLE, entry->key);
    if (strcmp(type, "libsql") == 0)
        return util_error_set(err, 0,
                              "%s:%u: [%s.%s] type \"libsql\" is not supported by this host (it "
                              "has \"spin\")",
                              p->file, entry->line, SQL_TABLE, entry->key);
    if (strcmp(type, "spin") != 0)
        return util_error_set(err, 0, "%s:%u: [%s.%s] unknown type \"%s\" (expected \"spin\")",
                              p->file, entry->line, SQL_TABLE, entry->key, type);
    static const char *const keys[] = {"path"};
    if (only_keys(p->file, SQL_TABLE, entry, type, keys, 1, err) < 0 ||
        get_string(p->file, SQL_TABLE, entry, "path", &path, err) < 0)
        return -1;
    /* Spin resolves a database path against the working directory. */
    char *location = NULL;
    if (path && (location = resolve(p->root, NULL, path, err)) == NULL)
        return -1;
    add_backend(&p->out->sql, &p->out->nsql, entry->key,
                path ? SPINAPI_BACKEND_SQLITE_FILE : SPINAPI_BACKEND_SQLITE_MEMORY, location);
    return 0;
}

static int parse_tables(const parse_ctx *p, const toml_entry *top, util_error **err)
{
    bool kv = strcmp(top->key, KV_TABLE) == 0;
    if (!toml_is(top->value, TOML_TABLE))
        return util_error_set(err, 0, "%s:%u: '%s' must be a table of labelled tables ([%s.<label>])",
                              p->file, top->line, top->key, top->key);
    for (size_t i = 0; i < util_toml_len(top->value); i++) {
        const toml_entry *e = util_toml_entry_at(top->value, i);
        if (!toml_is(e->value, TOML_TABLE))
            return util_error_set(err, 0, "%s:%u: [%s.%s] must be a table", p->file, e->line,
                                  top->key, e->key);
        if ((kv ? parse_kv_store(p, e, err) : parse_sqlite_database(p, e, err)) < 0)
            return -1;
    }
    return 0;
}

/* state_dir: the toml's (already checked to be a string by app_config.c,
 * but checked again: tests call this alone), else the default. */
static int find_state_dir(const toml_value *doc, const spin_stores_source *src, char **out,
                          util_error **err)
{
    const toml_value *v = doc ? util_toml_get(doc, "state_dir") : NULL;
    *out = NULL;
    if (v != NULL) {
        const char *s = util_toml_string(v);
        if (s == NULL)
            return util_error_set(err, 0, "%s:%u: 'state_dir' must be a string",
                                  src->runtime_config, v->line);
        if (s[0] == '\0') /* "" = no state dir, as in Spin */
            return 0;
        *out = resolve(src->root_dir, NULL, s, err);
        return *out ? 0 : -1;
    }
    if (src->root_dir != NULL)
        *out = in_root(src->root_dir, "/.spin");
    else if (src->app_dir != NULL)
        *out = util_xasprintf("%s/.spin", src->app_dir);
    return 0;
}

int spin_app_stores_from_toml(const toml_value *doc, const spin_stores_source *src,
                              spin_app_stores *out, util_error **err)
{
    memset(out, 0, sizeof(*out));
    cleanup_free char *file_dir = NULL;
    if (src->runtime_config != NULL) {
        file_dir = util_xstrdup(src->runtime_config);
        char *slash = strrchr(file_dir, '/');
        if (slash == NULL) {
            free(file_dir);
            file_dir = NULL; /* a bare file name: its directory is the cwd */
        } else {
            slash[slash == file_dir] = '\0';
        }
    }
    parse_ctx p = {src->runtime_config ? src->runtime_config : "runtime config", file_dir,
                   src->root_dir, out};
    for (size_t i = 0; doc && i < util_toml_len(doc); i++) {
        const toml_entry *e = util_toml_entry_at(doc, i);
        if ((strcmp(e->key, KV_TABLE) == 0 || strcmp(e->key, SQL_TABLE) == 0) &&
            parse_tables(&p, e, err) < 0)
            goto fail;
    }
    if (find_state_dir(doc, src, &out->state_dir, err) < 0)
        goto fail;
    const char *dir = out->state_dir;
    if (!has_label(out->kv, out->nkv, "default"))
        add_backend(&out->kv, &out->nkv, "default",
                    dir ? SPINAPI_BACKEND_SQLITE_FILE : SPINAPI_BACKEND_SQLITE_MEMORY,
                    dir ? util_xasprintf("%s/sqlite_key_value.db", dir) : NULL);
    if (!has_label(out->sql, out->nsql, "default"))
        add_backend(&out->sql, &out->nsql, "default",
                    dir ? SPINAPI_BACKEND_SQLITE_FILE : SPINAPI_BACKEND_SQLITE_MEMORY,
                    dir ? util_xasprintf("%s/sqlite_db.db", dir) : NULL);
    return 0;
fail:
    spin_app_stores_clear(out);
    return -1;
}

int spin_app_stores_load(const spin_stores_source *src, spin_app_stores *out, util_error **err)
{
    cleanup_toml toml_value *doc = NULL;
    if (src->runtime_config != NULL &&
        (doc = util_toml_parse_file(src->runtime_config, err)) == NULL) {
        memset(out, 0, sizeof(*out));
        return util_error_wrap(err, "runtime config");
    }
    return spin_app_stores_from_toml(doc, src, out, err);
}

static void free_backends(spin_store_backend *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(list[i].label);
        free(list[i].location);
    }
    free(list);
}

void spin_app_stores_clear(spin_app_stores *s)
{
    free(s->state_dir);
    free_backends(s->kv, s->nkv);
    free_backends(s->sql, s->nsql);
    memset(s, 0, sizeof(*s));
}
