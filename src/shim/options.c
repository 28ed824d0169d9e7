/*
 * options.c - the task options containerd may pass (the same Any on
 * `start`'s stdin and in CreateTaskRequest.options).
 *
 * CRI sends runtimeoptions.v1.Options only when the runtime has an options
 * table; containerd 1.7+ puts the table's TOML in config_body.  We record
 * what arrived and read SystemdCgroup from it; nothing here may fail a task:
 * an options type we do not know is ignored with a debug line.
 */
#include "proto.h"
#include "shim_internal.h"

#include <string.h>

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

void shim_options_parse_any(const char *type_url, const uint8_t *value, size_t len,
                            shim_runtime_options *out)
{
    memset(out, 0, sizeof *out);
    if (type_url == NULL || !ends_with(type_url, "runtimeoptions.v1.Options")) {
        util_log_debug("options: ignoring options of type %s", type_url ? type_url : "(none)");
        return;
    }
    Runtimeoptions__V1__Options *o = runtimeoptions__v1__options__unpack(NULL, len, value);
    if (o == NULL) {
        util_log_warn("options: malformed runtimeoptions.v1.Options ignored");
        return;
    }
    out->present = true;
    out->type_url = util_xstrdup(o->type_url ? o->type_url : "");
    out->config_path = util_xstrdup(o->config_path ? o->config_path : "");
    out->config_body = o->config_body.len
                           ? util_xstrndup((const char *)o->config_body.data, o->config_body.len)
                           : util_xstrdup("");
    runtimeoptions__v1__options__free_unpacked(o, NULL);
    if (out->config_body[0]) {
        util_error *err = NULL;
        toml_value *t = toml_parse(out->config_body, strlen(out->config_body), "options", &err);
        if (t == NULL) {
            util_log_warn("options: config_body is not TOML (%s); ignored", err->msg);
            util_error_free(&err);
            return;
        }
        bool b;
        if (toml_bool(toml_get(t, "SystemdCgroup"), &b))
            out->systemd_cgroup = b;
        toml_free(t);
    }
}

void shim_options_parse(const uint8_t *any, size_t len, shim_runtime_options *out)
{
    memset(out, 0, sizeof *out);
    if (len == 0)
        return;
    Google__Protobuf__Any *a = google__protobuf__any__unpack(NULL, len, any);
    if (a == NULL) {
        util_log_warn("options: stdin is not a google.protobuf.Any; ignored");
        return;
    }
    shim_options_parse_any(a->type_url, a->value.data, a->value.len, out);
    google__protobuf__any__free_unpacked(a, NULL);
}

void shim_options_free(shim_runtime_options *o)
{
    free(o->type_url);
    free(o->config_path);
    free(o->config_body);
    memset(o, 0, sizeof *o);
}
