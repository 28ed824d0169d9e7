/*
 * locked_app.h - the one in-memory model of a Spin application, equivalent
 * to Spin's locked app (`spin.lock`, the LockedApp JSON of Spin 3.x).
 * INTERNAL to src/spin: other layers go through spin.h.
 *
 * Whatever an app comes from, it is normalised into this model before
 * anything runs:
 *   - spin_locked_app_from_manifest(): a spin.toml (v1 or v2, as parsed by
 *     manifest.c), normalised the way Spin's loader (`spin up`) does it;
 *   - spin_locked_app_from_json(): LockedApp JSON, e.g. the locked-app layer
 *     of an OCI artifact, or a spin.lock written by Spin or by
 *     spin_locked_app_to_json().
 *
 * The model has typed fields for everything the host uses and keeps the
 * open-ended parts of the schema (app and component metadata, each
 * trigger's trigger_config, host requirements, dependencies) as json-c
 * objects, so re-serialising loses nothing Spin would keep.  The typed views
 * of those objects (http route, executor, allowed hosts, ...) are computed
 * once, when the model is built: treat the json objects as read-only.
 *
 * Validation is Spin's: unknown fields are ignored (Spin 3 reads newer locks
 * that way), but a `must_understand` entry or a required host requirement
 * this host does not know is refused, and an HTTP trigger_config is checked
 * as Spin's HTTP trigger checks it (unknown fields refused).  Beyond Spin,
 * things a hostile artifact could use against the host are refused: component
 * ids that are not kebab-case (they become directory names), file paths with
 * "..", duplicate ids, strings with NUL bytes.  Every error names the JSON
 * path of the offending value: "components[2].source.digest: not a sha256
 * digest ...".
 *
 * All strings are owned by the model; absent optional strings are NULL,
 * absent lists are empty.  Everything is freed by spin_locked_app_free().
 */
#ifndef SPIN_LOCKED_APP_H
#define SPIN_LOCKED_APP_H

#include "manifest.h"

#include <stdint.h>

struct json_object;

/* The largest LockedApp JSON document read (the locked-app layer of an OCI
 * artifact holds at most 128 inline bytes per file). */
#define SPIN_LOCKED_MAX_JSON_BYTES ((size_t)16 << 20)
/* Nesting depth limit for the JSON parser (trigger_config is free-form). */
#define SPIN_LOCKED_MAX_JSON_DEPTH 64

/* The only content type Spin writes for component sources. */
#define SPIN_LOCKED_WASM_CONTENT_TYPE "application/wasm"

/* Entries of `must_understand` (bit flags). */
enum {
    SPIN_LOCKED_MU_HOST_REQUIREMENTS = 1u << 0,           /* "host_requirements" */
    SPIN_LOCKED_MU_COMPONENT_HOST_REQUIREMENTS = 1u << 1, /* "component_host_requirements" */
};

/* A ContentRef: where content comes from.  At least one of the three is
 * set.  Spin's file form uses `source` ("file:///abs/path"); the OCI form
 * uses `digest` (naming a layer), plus `inline` for content of 128 bytes or
 * less. */
typedef struct spin_locked_content {
    char *source;         /* a URI, or NULL */
    uint8_t *inline_data; /* the decoded bytes (NUL-terminated for convenience) */
    size_t inline_len;
    bool has_inline; /* tells "inline": "" from no inline */
    char *digest;    /* "sha256:" + 64 lowercase hex digits, or NULL */
} spin_locked_content;

/* One entry of a component's `files`: content placed at a guest path.  The
 * path is as written: absolute ("/", "/static") or relative to the guest
 * root ("assets/a.txt"); it never has a ".." component.  A file:// source
 * may name a directory (mounted whole) or a file. */
typedef struct spin_locked_file {
    spin_locked_content content;
    char *path;
} spin_locked_file;

typedef struct spin_locked_variable {
    char *name; /* lower_snake_case */
    char *description;
    char *default_value; /* NULL: the variable is required */
    bool secret;
    bool required; /* default_value == NULL */
} spin_locked_variable;

/* ---- HTTP trigger (trigger_type "http") --------------------------------- */

typedef enum {
    SPIN_LOCKED_EXECUTOR_HTTP,            /* "http", alias "spin"; the default */
    SPIN_LOCKED_EXECUTOR_WAGI,            /* "wagi" */
    SPIN_LOCKED_EXECUTOR_WASIP3_UNSTABLE, /* "wasip3-unstable" */
} spin_locked_executor_kind;

typedef struct spin_locked_http_trigger {
    char *route;         /* with a leading '/' added if missing; NULL when private */
    bool route_private;  /* route = { private = true } */
    bool route_wildcard; /* route ends in "/..." */
    char *component;     /* NULL when the trigger has a static response */
    spin_locked_executor_kind executor;
    char *wagi_argv;       /* WAGI: default "${SCRIPT_NAME} ${ARGS}" */
    char *wagi_entrypoint; /* WAGI: default "_start" (deprecated) */
    spin_static_response *static_response; /* NULL unless configured */
} spin_locked_http_trigger;

typedef struct spin_locked_trigger {
    char *id;
    char *trigger_type; /* "http", "redis", ... */
    struct json_object *config; /* trigger_config as written (NULL = JSON null) */
    spin_locked_http_trigger *http; /* the typed view; NULL unless trigger_type is "http" */
} spin_locked_trigger;

/* ---- components --------------------------------------------------------- */

typedef struct spin_locked_component {
    char *id; /* kebab-case */
    struct json_object *metadata; /* as written; NULL when absent */
    /* Typed views of metadata: */
    char *description;
    /* allowed_outbound_hosts followed by what a legacy allowed_http_hosts
     * list means (as Spin's runtime converts it: no database access). */
    spin_strv allowed_outbound_hosts;
    spin_strv allowed_http_hosts; /* the legacy list as written */
    spin_strv key_value_stores;
    spin_strv databases; /* sqlite_databases in spin.toml */
    spin_strv ai_models;
    char *content_type; /* of the source; "application/wasm" */
    spin_locked_content source;
    spin_kv *env; /* sorted by key */
    size_t n_env;
    spin_locked_file *files;
    size_t n_files;
    /* `config`: component variables, sorted by name; each value is a
     * template ("{{ api_host }}/v1") whose variables are app variables. */
    spin_component_variable *config;
    size_t n_config;
    struct json_object *dependencies; /* opaque; NULL when none */
    struct json_object *host_requirements; /* NULL when none */
    bool requires_service_chaining; /* host_requirements.local_service_chaining */
} spin_locked_component;

/* ---- the application ---------------------------------------------------- */

typedef struct spin_locked_app {
    int spin_lock_version; /* as read (0 or 1); the writer derives it */
    unsigned must_understand; /* SPIN_LOCKED_MU_* */
    struct json_object *metadata; /* as written; NULL when absent */
    /* Typed views of metadata: */
    char *name, *version, *description;
    spin_strv authors;
    char *origin;    /* "file:///.../spin.toml" when loaded from a file */
    char *http_base; /* app-level HTTP trigger `base` (only "/" is accepted) */
    struct json_object *host_requirements; /* NULL when none */
    bool requires_service_chaining;
    spin_locked_variable *variables; /* sorted by name */
    size_t n_variables;
    spin_locked_trigger *triggers;
    size_t n_triggers;
    spin_locked_component *components;
    size_t n_components;
} spin_locked_app;

/* Parses LockedApp JSON (spin_lock_version 0 or 1).  On error returns -1
 * with *err naming the JSON path of what is wrong. */
int spin_locked_app_from_json(const char *data, size_t len, spin_locked_app **out,
                              util_error **err);

/* Normalises a parsed spin.toml the way Spin's loader does (FilesMountStrategy
 * aside, see below):
 *   - metadata: name, version, description, authors, `triggers` (the
 *     [application.trigger.<type>] tables; v1: the app-wide trigger table
 *     without `type`), `trigger` (the same plus `type` when the app has one
 *     trigger type), and `origin` (the manifest as a file:// URI);
 *   - triggers keep their ids (v1: "trigger-<component>"; v2: as written or
 *     generated by manifest.c as Spin does) and their table as
 *     trigger_config, with `component` always an id;
 *   - component sources become file:// URIs of absolute paths; a
 *     { url, digest } source stays a URL with its digest (the host fetches
 *     it); registry sources are refused (no URI can name them);
 *   - `files` are expanded by spin_component_files() against `app_dir`: one
 *     clean directory placed at "/" stays one { source: file://<dir>,
 *     path: "/" } entry; anything else becomes one entry per file (links
 *     resolved inside the app, skipped entries left out);
 *   - allowed hosts (legacy allowed_http_hosts converted), key-value stores,
 *     databases, AI models, env, variables and component config as written;
 *     `local_service_chaining` becomes a component host requirement when an
 *     allowed host is *.spin.internal.
 * `app_dir` is the directory relative paths resolve against (NULL = the
 * manifest's directory); relative directories are made absolute against the
 * working directory, lexically, as Spin does. */
int spin_locked_app_from_manifest(const spin_manifest *m, const char *app_dir,
                                  spin_locked_app **out, util_error **err);

/* The model as LockedApp JSON: what Spin writes as spin.lock (pretty, keys
 * of maps sorted, optional fields omitted when empty, spin_lock_version 1
 * only when must_understand or host_requirements is non-empty).  The
 * returned string is NUL-terminated; *len (if non-NULL) is its length. */
char *spin_locked_app_to_json(const spin_locked_app *app, size_t *len);
/* The same as a json-c tree (the caller owns it: json_object_put). */
struct json_object *spin_locked_app_to_object(const spin_locked_app *app);

void spin_locked_app_free(spin_locked_app *app);
void spin_locked_app_freep(spin_locked_app **app);
#define cleanup_locked_app __attribute__((cleanup(spin_locked_app_freep)))

const spin_locked_component *spin_locked_app_component(const spin_locked_app *app,
                                                       const char *id);
const spin_locked_trigger *spin_locked_app_trigger(const spin_locked_app *app, const char *id);
const spin_locked_variable *spin_locked_app_variable(const spin_locked_app *app,
                                                     const char *name);

/* The app-level settings of a trigger type, where Spin's runtime finds
 * them: metadata.triggers.<type>, else the pre-2.0 metadata.trigger when its
 * `type` is <type> (returned without `type`).  A new reference (release it
 * with json_object_put), or NULL when the app has none. */
struct json_object *spin_locked_app_trigger_metadata(const spin_locked_app *app,
                                                     const char *trigger_type);

/* What to preopen as the component's "/" (NULL in *files_dir when it has
 * no files), from its file:// `files` entries below `app_dir` (files_stage.c):
 * one directory at "/" as is, else a copy under *staging (created on first
 * need; the caller removes it with spin_staging_remove).  Each source is
 * opened again beneath app_dir without following links; files of a
 * directory entry that the rules of spin_component_files leave out are
 * logged and skipped.  Entries with no source (an OCI artifact's: inline
 * bytes, or a digest naming <content_dir>/data/<digest>) are placed at
 * their path, which must be relative with normal components only; a
 * component may not mix both kinds. */
int spin_locked_files_dir(const char *app_dir, const char *content_dir,
                          const spin_locked_component *c, char **staging, char **files_dir,
                          util_error **err);

/* "file:///a%20b/c.wasm" -> "/a b/c.wasm".  Only file: URIs with an empty
 * or "localhost" host; percent-escapes are decoded, an escaped NUL or '/'
 * is refused. */
char *spin_locked_file_uri_to_path(const char *uri, util_error **err);
/* An absolute path as a file:// URI, percent-encoding what a URL path may
 * not hold (spaces, '%', '?', '#', non-ASCII bytes, ...). */
char *spin_locked_path_to_file_uri(const char *abs_path);

#endif
