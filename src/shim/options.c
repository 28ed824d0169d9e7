/*
 * options.c - the shim options an operator sets in containerd's config
 * (`runtimes.spin.options`), and the Any that carries them to us.
 *
 * containerd puts the options in a runtimeoptions.v1.Options, on `start`'s
 * stdin and in CreateTaskRequest.options, but only if the runtime has an
 * options table.  containerd 1.7+ and 2.x copy the whole table as TOML into
 * config_body; containerd 1.6 knows only ConfigPath and sends that path, so
 * we read the file.  When both arrive the file is read first and the body
 * overrides it key by key (the body is what containerd itself parsed).
 *
 * Nothing here may fail a task: an unreadable file, bad TOML, an unknown key
 * or a value of the wrong type becomes a warning and the default stays.
 * Parsing never logs, because `start` must print nothing but the address
 * (containerd reads its combined output); the warnings are collected in the
 * options and shim_options_report() logs them from the daemon, each distinct
 * text once per shim process, however many tasks repeat the same options,
 * and whatever the log level: the quiet default must not hide a mistake in
 * the operator's configuration.
 */
#include "proto.h"
#include "shim_internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <string.h>

#define OPTIONS_TYPE "runtimeoptions.v1.Options"
#define MAX_WARNINGS 32

static void add_warning(shim_runtime_options *o, const char *fmt, ...) UTIL_PRINTF(2, 3);

static void add_warning(shim_runtime_options *o, const char *fmt, ...)
{
    if (o->nwarnings == MAX_WARNINGS)
        return;
    if (o->warnings == NULL)
        o->warnings = util_xcalloc(MAX_WARNINGS, sizeof *o->warnings);
    va_list ap;
    va_start(ap, fmt);
    o->warnings[o->nwarnings++] = util_xvasprintf(fmt, ap);
    va_end(ap);
}

static void set_defaults(shim_runtime_options *o)
{
    memset(o, 0, sizeof *o);
    o->grpc_max_write_chunk_size = SHIM_DEFAULT_GRPC_CHUNK;
    o->log_level = UTIL_LOG_ERROR;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void want_bool(shim_runtime_options *o, const toml_entry *e, const char *source,
                      bool *out)
{
    if (!util_toml_bool(e->value, out))
        add_warning(o, "options: %s (%s line %u): expected a boolean, got %s; keeping %s",
                    e->key, source, e->line, util_toml_type_name(e->value->type),
                    *out ? "true" : "false");
}

static void apply_chunk_size(shim_runtime_options *o, const toml_entry *e, const char *source)
{
    int64_t v = 0;
    if (!toml_is(e->value, TOML_INTEGER) || !util_toml_int(e->value, &v))
        add_warning(o, "options: %s (%s line %u): expected an integer, got %s; keeping %lld",
                    e->key, source, e->line, util_toml_type_name(e->value->type),
                    (long long)o->grpc_max_write_chunk_size);
    else if (v <= 0)
        add_warning(o, "options: %s (%s line %u): must be positive, got %lld; keeping %lld",
                    e->key, source, e->line, (long long)v,
                    (long long)o->grpc_max_write_chunk_size);
    else
        o->grpc_max_write_chunk_size = v;
}

static void apply_log_level(shim_runtime_options *o, const toml_entry *e, const char *source)
{
    const char *name = util_toml_string(e->value);
    util_log_level level;
    if (name == NULL)
        add_warning(o, "options: %s (%s line %u): expected a string, got %s", e->key, source,
                    e->line, util_toml_type_name(e->value->type));
    else if (util_log_parse_level(name, &level) < 0)
        add_warning(o,
                    "options: %s (%s line %u): unknown level \"%s\" (use error, warn, info, "
                    "debug or trace)",
                    e->key, source, e->line, name);
    else {
        o->log_level = level;
        o->log_level_set = true;
    }
}

/* One key of the options table. */
static void apply_entry(shim_runtime_options *o, const toml_entry *e, const char *source)
{
    if (strcmp(e->key, "SystemdCgroup") == 0 || strcmp(e->key, "systemd_cgroup") == 0)
        want_bool(o, e, source, &o->systemd_cgroup);
    else if (strcmp(e->key, "DISABLE_PRECOMPILATION") == 0)
        want_bool(o, e, source, &o->disable_precompilation);
    else if (strcmp(e->key, "GRPC_MAX_WRITE_CHUNK_SIZE_BYTES") == 0)
        apply_chunk_size(o, e, source);
    else if (strcmp(e->key, "LogLevel") == 0 || strcmp(e->key, "log_level") == 0)
        apply_log_level(o, e, source);
    else
        add_warning(o, "options: unknown key %s (%s line %u) ignored", e->key, source, e->line);
}

static void apply_toml(shim_runtime_options *o, const char *text, size_t len, const char *source)
{
    util_error *err = NULL;
    cleanup_toml toml_value *t = util_toml_parse(text, len, source, &err);
    if (t == NULL) {
        add_warning(o, "options: %s is not valid TOML (%s); its keys are ignored", source,
                    err->msg);
        util_error_free(&err);
        return;
    }
    for (size_t i = 0; i < util_toml_len(t); i++)
        apply_entry(o, util_toml_entry_at(t, i), source);
}

static void apply_config_file(shim_runtime_options *o, const char *path)
{
    cleanup_free char *text = NULL;
    size_t len = 0;
    util_error *err = NULL;
    if (util_read_file(path, &text, &len, &err) < 0) {
        add_warning(o, "options: cannot read ConfigPath %s (%s); using defaults", path,
                    err->msg);
        util_error_free(&err);
        return;
    }
    apply_toml(o, text, len, path);
}

void shim_options_parse_any(const char *type_url, const uint8_t *value, size_t len,
                            shim_runtime_options *out)
{
    set_defaults(out);
    if (type_url == NULL || !ends_with(type_url, OPTIONS_TYPE)) {
        /* runc's options, say, when a runtime entry is switched to us:
         * nothing of ours is in there. */
        add_warning(out, "options: ignoring options of type %s (expected %s)",
                    type_url && type_url[0] ? type_url : "(none)", OPTIONS_TYPE);
        return;
    }
    Runtimeoptions__V1__Options *o = runtimeoptions__v1__options__unpack(NULL, len, value);
    if (o == NULL) {
        add_warning(out, "options: malformed %s ignored", OPTIONS_TYPE);
        return;
    }
    out->present = true;
    out->type_url = util_xstrdup(o->type_url ? o->type_url : "");
    out->config_path = util_xstrdup(o->config_path ? o->config_path : "");
    out->config_body = o->config_body.len ? util_xstrndup((const char *)o->config_body.data,
                                                          o->config_body.len)
                                          : util_xstrdup(""); /* data is NULL then */
    size_t body_len = o->config_body.len;
    runtimeoptions__v1__options__free_unpacked(o, NULL);

    if (out->config_path[0])
        apply_config_file(out, out->config_path);
    if (body_len)
        apply_toml(out, out->config_body, body_len, "config_body");
}

void shim_options_parse(const uint8_t *any, size_t len, shim_runtime_options *out)
{
    if (len == 0) {
        set_defaults(out);
        return;
    }
    Google__Protobuf__Any *a = google__protobuf__any__unpack(NULL, len, any);
    if (a == NULL) {
        set_defaults(out);
        add_warning(out, "options: not a google.protobuf.Any (%zu bytes); ignored", len);
        return;
    }
    shim_options_parse_any(a->type_url, a->value.data, a->value.len, out);
    google__protobuf__any__free_unpacked(a, NULL);
}

/* ---- reporting, once per process --------------------------------------- */

static pthread_mutex_t reported_lock = PTHREAD_MUTEX_INITIALIZER;
static char **reported;
static size_t nreported, capreported;

/* True the first time this process sees `text`. */
static bool first_time(const char *text)
{
    bool first = true;
    pthread_mutex_lock(&reported_lock);
    for (size_t i = 0; i < nreported && first; i++)
        first = strcmp(reported[i], text) != 0;
    if (first) {
        if (nreported == capreported) {
            capreported = capreported ? capreported * 2 : 8;
            reported = util_xrealloc(reported, capreported * sizeof *reported);
        }
        reported[nreported++] = util_xstrdup(text);
    }
    pthread_mutex_unlock(&reported_lock);
    return first;
}

void shim_options_report(const shim_runtime_options *o, const char *context)
{
    for (size_t i = 0; i < o->nwarnings; i++)
        if (first_time(o->warnings[i]))
            util_log_unfiltered(UTIL_LOG_WARN, "%s", o->warnings[i]);
    if (o->present)
        util_log_debug("%s: options config_path=%s SystemdCgroup=%s DISABLE_PRECOMPILATION=%s "
                       "GRPC_MAX_WRITE_CHUNK_SIZE_BYTES=%lld LogLevel=%s",
                       context, o->config_path[0] ? o->config_path : "(none)",
                       o->systemd_cgroup ? "true" : "false",
                       o->disable_precompilation ? "true" : "false",
                       (long long)o->grpc_max_write_chunk_size,
                       o->log_level_set ? util_log_level_name(o->log_level) : "(default)");
}

void shim_options_free(shim_runtime_options *o)
{
    free(o->type_url);
    free(o->config_path);
    free(o->config_body);
    for (size_t i = 0; i < o->nwarnings; i++)
        free(o->warnings[i]);
    free(o->warnings);
    memset(o, 0, sizeof *o);
}

/* ---- the options `start` received, for the daemon it forks ------------ */

static shim_runtime_options start_options;
static bool start_options_kept;

void shim_options_keep_for_daemon(shim_runtime_options *o)
{
    shim_options_free(&start_options);
    start_options = *o;
    start_options_kept = true;
    memset(o, 0, sizeof *o);
}

const shim_runtime_options *shim_options_for_daemon(void)
{
    return start_options_kept ? &start_options : NULL;
}
