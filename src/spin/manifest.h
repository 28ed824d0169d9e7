/*
 * manifest.h - the Spin application manifest (spin.toml), as Spin 3 reads
 * it.  INTERNAL to src/spin: other layers go through spin.h.
 *
 * spin_manifest_load() reads spin.toml version 2, or version 1 normalised to
 * the version 2 model, and validates it the way Spin's serde schema does:
 * an unknown field, a value of the wrong type, a malformed id or a template
 * naming an undeclared variable is an error naming the file and the field,
 * e.g. "spin.toml:7:1: [component.hello]: unknown field 'sorce'".  Nothing
 * is fetched or read besides the manifest itself: component sources stay as
 * written (relative paths resolve against `dir`), and `files` are expanded
 * on demand by spin_component_files().
 *
 * All strings are owned by the manifest; everything is freed by
 * spin_manifest_free().  Absent optional strings are NULL, absent lists are
 * empty (len 0).
 */
#ifndef SPIN_MANIFEST_H
#define SPIN_MANIFEST_H

#include "util.h"

typedef struct spin_strv {
    char **items;
    size_t len;
} spin_strv;

typedef struct spin_kv {
    char *key;
    char *value;
} spin_kv;

/* ---- templates ("https://{{ api_host }}/users") ------------------------- */

typedef enum { SPIN_TPL_LITERAL, SPIN_TPL_VARIABLE } spin_template_part_kind;

typedef struct spin_template_part {
    spin_template_part_kind kind;
    char *text; /* the literal text, or the variable name (trimmed) */
} spin_template_part;

typedef struct spin_template {
    char *raw; /* as written */
    spin_template_part *parts;
    size_t len;
} spin_template;

/* Splits `text` into literal and {{ variable }} parts; variable names must
 * be lower snake case.  "{{" without "}}" is an error. */
int spin_template_parse(const char *text, spin_template *out, util_error **err);
void spin_template_free(spin_template *t);
/* Renders a template; `lookup` returns the value of a variable or NULL if it
 * has none (which makes rendering fail with an error naming the variable). */
typedef const char *(*spin_template_lookup)(void *ctx, const char *name);
char *spin_template_render(const spin_template *t, spin_template_lookup lookup, void *ctx,
                           util_error **err);

/* ---- application variables ---------------------------------------------- */

typedef struct spin_variable {
    char *name;          /* lower_snake_case */
    char *default_value; /* NULL when required */
    char *description;
    bool required;
    bool secret;
} spin_variable;

/* ---- components --------------------------------------------------------- */

typedef enum {
    SPIN_SOURCE_FILE,     /* source = "path/to.wasm" */
    SPIN_SOURCE_URL,      /* source = { url, digest } */
    SPIN_SOURCE_REGISTRY, /* source = { registry?, package, version } */
} spin_source_kind;

typedef struct spin_source {
    spin_source_kind kind;
    char *path;             /* FILE: as written, relative to the manifest dir */
    char *url, *digest;     /* URL */
    char *registry;         /* REGISTRY: NULL = default registry */
    char *package, *version; /* REGISTRY */
} spin_source;

typedef struct spin_files_entry {
    /* A glob/path pattern string (destination NULL), or a
     * { source, destination } placement. */
    char *source;
    char *destination;
} spin_files_entry;

typedef enum {
    SPIN_DEP_VERSION,   /* "pkg:name/iface" = ">= 0.1.0" */
    SPIN_DEP_PACKAGE,   /* { version, registry?, package?, export? } */
    SPIN_DEP_LOCAL,     /* { path, export? } */
    SPIN_DEP_URL,       /* { url, digest, export? } */
    SPIN_DEP_COMPONENT, /* { component = "<id of this app>", export? } */
} spin_dependency_kind;

typedef struct spin_dependency {
    char *name; /* the import it satisfies, e.g. "foo:bar/baz@0.1.0" */
    spin_dependency_kind kind;
    char *version, *registry, *package, *export_name, *path, *url, *digest, *component;
} spin_dependency;

typedef struct spin_component_variable {
    char *name; /* lower_snake_case */
    spin_template value;
} spin_component_variable;

typedef struct spin_component {
    char *id; /* kebab-case */
    char *description;
    spin_source source;
    spin_files_entry *files;
    size_t n_files;
    spin_strv exclude_files;
    spin_kv *environment;
    size_t n_environment;
    spin_component_variable *variables;
    size_t n_variables;
    /* allowed_outbound_hosts followed by what the legacy allowed_http_hosts
     * translate to (as Spin normalises them); may contain templates. */
    spin_strv allowed_outbound_hosts;
    spin_strv allowed_http_hosts; /* the legacy field as written */
    spin_strv key_value_stores;
    spin_strv sqlite_databases;
    spin_strv ai_models;
    spin_dependency *dependencies;
    size_t n_dependencies;
    bool dependencies_inherit_configuration;
    unsigned line; /* where it was defined in the manifest */
} spin_component;

/* ---- triggers ----------------------------------------------------------- */

typedef enum {
    SPIN_EXECUTOR_HTTP, /* default; "spin" is an alias (wasi:http or fermyon:spin/inbound-http) */
    SPIN_EXECUTOR_WAGI,
} spin_executor_kind;

typedef struct spin_http_executor {
    spin_executor_kind kind;
    char *argv;       /* WAGI: default "${SCRIPT_NAME} ${ARGS}" */
    char *entrypoint; /* WAGI: default "_start" (deprecated field) */
} spin_http_executor;

typedef struct spin_static_response {
    int status_code; /* default 200 */
    spin_kv *headers;
    size_t n_headers;
    char *body; /* NULL = empty */
} spin_static_response;

typedef struct spin_trigger {
    char *type; /* "http", "redis", ... */
    char *id;   /* as written, or generated: "trigger-<component>" / "<type>-<n>" */
    /* The component id (inline components are added to the component list
     * with a generated id); NULL for an HTTP static_response trigger. */
    char *component;
    /* false for any trigger type other than http: the host reports
     * "unsupported trigger type X" rather than the loader failing. */
    bool supported;
    /* HTTP only. */
    char *route;   /* NULL when private */
    bool route_private;
    bool route_wildcard; /* route ends in "/..." */
    spin_http_executor executor;
    spin_static_response *static_response; /* NULL unless configured */
    /* The trigger's raw table, for trigger types this loader does not know. */
    const toml_value *config;
    unsigned line;
} spin_trigger;

/* ---- the application ---------------------------------------------------- */

typedef struct spin_manifest {
    char *path; /* the manifest file */
    char *dir;  /* its directory: relative sources and files resolve here */
    int manifest_version; /* 1 or 2, as written */
    char *name;
    char *version;
    char *description;
    spin_strv authors;
    /* [application.trigger.<type>] tables, raw; NULL if absent (and for v1,
     * whose only app-wide trigger setting, base, is checked at load). */
    const toml_value *trigger_global_configs;
    spin_variable *variables;
    size_t n_variables;
    spin_trigger *triggers;
    size_t n_triggers;
    spin_component *components;
    size_t n_components;
    toml_value *doc; /* owns the raw tables referenced above */
} spin_manifest;

/* `path` is a spin.toml file or a directory containing one. */
spin_manifest *spin_manifest_load(const char *path, util_error **err);
/* Parses manifest text; `path` names it in messages and fixes `dir`. */
spin_manifest *spin_manifest_parse(const char *data, size_t len, const char *path,
                                   util_error **err);
void spin_manifest_free(spin_manifest *m);
void spin_manifest_freep(spin_manifest **m);
#define cleanup_manifest __attribute__((cleanup(spin_manifest_freep)))

const spin_component *spin_manifest_component(const spin_manifest *m, const char *id);
const spin_variable *spin_manifest_variable(const spin_manifest *m, const char *name);

/* ---- files mounted into a component ------------------------------------- */

typedef struct spin_mount {
    char *app_path;   /* the file, relative to the manifest dir, every link resolved */
    char *guest_path; /* absolute guest path, "/" separated */
} spin_mount;

typedef struct spin_mounts {
    spin_mount *items;
    size_t len;
    /* "<path>: <why>" for each entry the link rule left out (see below). */
    spin_strv skipped;
    /* When the component's files are one directory placed at "/" holding
     * only regular files and directories (no link, nothing skipped or
     * excluded), that directory (app-relative, links resolved): the guest
     * sees the same whether it is preopened as is or staged.  NULL
     * otherwise. */
    char *whole_dir;
} spin_mounts;

/* Expands a component's `files` the way Spin's loader does: a pattern that
 * names an existing file mounts it at the same relative path; an existing
 * directory mounts every file below it; otherwise it is a glob (`*`, `?`,
 * `[...]`, `**`) matched against files below the manifest dir.  A
 * { source, destination } placement of a directory mounts every file below
 * it under `destination`; of a file, that file at `destination`.
 * exclude_files globs (relative to the manifest dir) remove matches.  One
 * entry per file, in manifest order, files of one entry sorted by path.
 *
 * The link rule, stricter than Spin (which follows every link): only
 * regular files and directories inside the manifest dir are mounted.  A
 * symbolic link that resolves inside it stands for its target (the
 * target's contents under the link's name); one found below a named
 * directory or glob base that leads outside, dangles or loops is skipped,
 * as is a FIFO, socket or device (listed in `skipped`, never fatal).  A
 * source or pattern that itself climbs out ("..", an absolute path, a
 * link to elsewhere) is an error. */
int spin_component_files(const spin_manifest *m, const spin_component *c, spin_mounts *out,
                         util_error **err);
void spin_mounts_free(spin_mounts *mounts);

/* Removes the staging directory *staging (if any) with everything in it,
 * never following links, and sets *staging to NULL. */
void spin_staging_remove(char **staging);

/* Identifier rules of Spin (spin_serde::Id): words separated by `delim`,
 * each starting with a letter (later words may start with a digit), made of
 * ASCII letters and digits, all lower or all upper case (`lower` requires
 * lower).  Returns NULL if valid, else a static reason. */
const char *spin_id_check(const char *id, char delim, bool lower);

#endif
