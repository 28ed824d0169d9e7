/*
 * fuzz_manifest.c - libFuzzer target for the spin.toml loader.
 *
 * Loading must never crash on any input; it either fails with a message
 * naming the file, or yields a manifest whose invariants hold: every id is
 * valid, every trigger has an id, its component exists, and an HTTP trigger
 * has a component or a static response, every component variable only refers to
 * declared variables.  A violation aborts.
 */
#include "manifest.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    util_log_set_level(UTIL_LOG_ERROR);
    util_error *err = NULL;
    spin_manifest *m = spin_manifest_parse((const char *)data, size, "fuzz/spin.toml", &err);
    if (m == NULL) {
        if (err == NULL || strncmp(err->msg, "fuzz/spin.toml:", 15) != 0)
            abort();
        util_error_free(&err);
        return 0;
    }
    if (m->name == NULL || (m->manifest_version != 1 && m->manifest_version != 2))
        abort();
    for (size_t i = 0; i < m->n_components; i++)
        if (spin_id_check(m->components[i].id, '-', false) != NULL)
            abort();
    for (size_t i = 0; i < m->n_triggers; i++) {
        const spin_trigger *t = &m->triggers[i];
        if (t->id == NULL || t->type == NULL)
            abort();
        if (t->component != NULL && spin_manifest_component(m, t->component) == NULL)
            abort();
        /* Only HTTP is interpreted; other types may legitimately use other
         * keys (e.g. `components`) that the host reports as unsupported. */
        if (t->supported && t->component == NULL && t->static_response == NULL)
            abort();
        if (t->supported && t->route == NULL && !t->route_private)
            abort();
    }
    for (size_t i = 0; i < m->n_components; i++) {
        const spin_component *c = &m->components[i];
        for (size_t k = 0; k < c->n_variables; k++)
            for (size_t p = 0; p < c->variables[k].value.len; p++)
                if (c->variables[k].value.parts[p].kind == SPIN_TPL_VARIABLE &&
                    spin_manifest_variable(m, c->variables[k].value.parts[p].text) == NULL)
                    abort();
    }
    spin_manifest_free(m);
    return 0;
}
