/*
 * fuzz_locked_app.c - libFuzzer target for the LockedApp JSON reader and
 * writer (src/spin/locked_app*.c).
 *
 * Reading must never crash or leak on any input; it either fails with a
 * message, or yields a model whose invariants hold: component ids are
 * kebab-case and unique, every HTTP trigger has a route (or is private) and
 * exactly one of a component that exists or a static response, file paths
 * have no "..", config templates only name declared variables.  A model is
 * then written back and read again, which must succeed and write the same
 * text: the writer and reader agree on everything they accept.  A violation
 * aborts.
 */
#include "locked_app.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_invariants(const spin_locked_app *app)
{
    for (size_t i = 0; i < app->n_components; i++) {
        const spin_locked_component *c = &app->components[i];
        if (spin_id_check(c->id, '-', false) != NULL || spin_locked_app_component(app, c->id) != c)
            abort();
        if (c->source.source == NULL && !c->source.has_inline && c->source.digest == NULL)
            abort();
        for (size_t k = 0; k < c->n_files; k++) {
            const char *p = c->files[k].path;
            if (p[0] == '\0' || strcmp(p, "..") == 0 || strncmp(p, "../", 3) == 0 ||
                strstr(p, "/../") != NULL)
                abort();
            size_t n = strlen(p);
            if (n >= 3 && strcmp(p + n - 3, "/..") == 0)
                abort();
        }
        for (size_t k = 0; k < c->n_config; k++)
            for (size_t p = 0; p < c->config[k].value.len; p++)
                if (c->config[k].value.parts[p].kind == SPIN_TPL_VARIABLE &&
                    spin_locked_app_variable(app, c->config[k].value.parts[p].text) == NULL)
                    abort();
    }
    for (size_t i = 0; i < app->n_triggers; i++) {
        const spin_locked_trigger *t = &app->triggers[i];
        if (spin_locked_app_trigger(app, t->id) != t)
            abort();
        if ((strcmp(t->trigger_type, "http") == 0) != (t->http != NULL))
            abort();
        if (t->http == NULL)
            continue;
        if ((t->http->component == NULL) == (t->http->static_response == NULL))
            abort();
        if (t->http->component && spin_locked_app_component(app, t->http->component) == NULL)
            abort();
        if ((t->http->route == NULL) != t->http->route_private)
            abort();
        if (t->http->route && t->http->route[0] != '/')
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    spin_locked_app *app = NULL;
    util_error *err = NULL;
    if (spin_locked_app_from_json((const char *)data, size, &app, &err) < 0) {
        if (err == NULL || app != NULL || err->msg[0] == '\0')
            abort();
        util_error_free(&err);
        return 0;
    }
    check_invariants(app);
    size_t len = 0;
    char *json = spin_locked_app_to_json(app, &len);
    spin_locked_app *again = NULL;
    if (spin_locked_app_from_json(json, len, &again, &err) < 0)
        abort();
    char *json2 = spin_locked_app_to_json(again, NULL);
    if (strcmp(json, json2) != 0)
        abort();
    free(json);
    free(json2);
    spin_locked_app_free(again);
    spin_locked_app_free(app);
    return 0;
}
