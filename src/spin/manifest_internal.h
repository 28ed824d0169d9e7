/*
 * manifest_internal.h - helpers shared by the files that read spin.toml
 * (manifest.c, manifest_component.c, manifest_trigger.c, manifest_v1.c).
 *
 * Every reader walks a TOML table entry by entry, dispatching on the key and
 * failing on any key it does not know, so errors come out in document order
 * and always carry "<file>:<line>:<col>: <section>: ...".
 */
#ifndef SPIN_MANIFEST_INTERNAL_H
#define SPIN_MANIFEST_INTERNAL_H

#include "manifest.h"

typedef struct mctx {
    const char *file; /* name used in messages */
    util_error **err;
} mctx;

/* "<file>:<line>:<col>: <section>: <message>"; returns -1. */
int spin_mfail(mctx *c, unsigned line, unsigned col, const char *section, const char *fmt, ...)
    UTIL_PRINTF(5, 6);
/* Unknown key `e` in `section`; lists the keys that are accepted. */
int spin_mfail_unknown(mctx *c, const char *section, const toml_entry *e, const char *const *known);
/* A required field missing from `table`. */
int spin_mfail_missing(mctx *c, const char *section, const toml_value *table, const char *field);

/* Typed field readers: each fails with the section and key on a type
 * mismatch.  Strings may not contain NUL bytes. */
int spin_mget_string(mctx *c, const char *section, const toml_entry *e, char **out);
int spin_mget_bool(mctx *c, const char *section, const toml_entry *e, bool *out);
int spin_mget_strv(mctx *c, const char *section, const toml_entry *e, spin_strv *out);
int spin_mget_str_map(mctx *c, const char *section, const toml_entry *e, spin_kv **out, size_t *n);
int spin_mwant_table(mctx *c, const char *section, const toml_entry *e);
/* Checks a string value (already read) against an id rule; `what` names it. */
int spin_mcheck_id(mctx *c, const char *section, unsigned line, unsigned col, const char *what,
                   const char *id, char delim, bool lower);

void spin_strv_free(spin_strv *v);
void spin_strv_push(spin_strv *v, const char *s);
void spin_kv_free(spin_kv *kv, size_t n);

/* Components: `table` is [component.<id>] (v2), an inline component, or a
 * v1 [[component]] (with `v1` true: id, trigger and config are accepted and
 * `trigger_out` receives the [component.trigger] table). */
int spin_manifest_read_component(mctx *c, spin_manifest *m, const char *id, const toml_value *table,
                                 const char *section, bool v1, spin_component *out,
                                 const toml_value **trigger_out);
void spin_manifest_component_free(spin_component *comp);
/* Checks templates of component variables and allowed hosts against the
 * app's variables (called once all variables are known). */
int spin_manifest_check_component_templates(mctx *c, const spin_manifest *m,
                                            const spin_component *comp);
/* Appends the allowed_outbound_hosts the legacy allowed_http_hosts mean. */
int spin_manifest_convert_http_hosts(mctx *c, const char *section, unsigned line, unsigned col,
                                     const spin_strv *http_hosts, bool allow_databases,
                                     spin_strv *outbound);

/* Triggers: reads the type-specific keys of an HTTP trigger (route,
 * executor, static_response); returns 1 if `e` was one of them, 0 if not,
 * -1 on error. */
int spin_manifest_read_http_field(mctx *c, const char *section, const toml_entry *e,
                                  spin_trigger *t);
/* Final checks of an HTTP trigger: route present, component xor static response. */
int spin_manifest_finish_http_trigger(mctx *c, const char *section, const toml_value *table,
                                      spin_trigger *t);
void spin_manifest_trigger_free(spin_trigger *t);
/* `base` of [application.trigger.http] (or a v1 trigger table). */
int spin_manifest_check_http_base(mctx *c, const char *section, const toml_value *table);

int spin_manifest_read_v1(mctx *c, spin_manifest *m, const toml_value *root);
int spin_manifest_read_variables(mctx *c, spin_manifest *m, const toml_entry *vars);
/* Trigger -> component references, dependency references and templates. */
int spin_manifest_check_references(mctx *c, const spin_manifest *m);

spin_component *spin_manifest_add_component(spin_manifest *m);
spin_trigger *spin_manifest_add_trigger(spin_manifest *m);

#endif
