/*
 * http_executors.c - the executor registry of the HTTP trigger: which
 * `executor = { type = ... }` this host runs, and how each is set up.
 *
 * The trigger asks for an executor by type name and gets an instance of
 * the vtable in http_executor.h; it never names an executor itself.  The
 * built-in kinds are one table, here.  A kind with no create function is
 * one this host knows of but cannot run yet (the Spin HTTP executor and
 * the component-model ones): choosing it gets the same clear error as an
 * unknown type, naming what does run.  The default type, "http", is
 * several executors: which one runs a component depends on what it
 * exports, as Spin's HandlerType decides (http_create).
 * spin_http_executor_register adds
 * kinds at run time (tests, future executors) and is searched first, so
 * that a new executor can take over a type from the table.
 *
 * Each kind's create function does the start-up checks of its executor
 * (Wagi: no deprecated entrypoint, a `_start` export, every import linked)
 * so that a component unfit for it fails before the listener is bound.
 */
#include "component.h"
#include "http_executor.h"
#include "inbound_http.h"
#include "wagi_link.h"
#include "wasm.h"

#include <string.h>

static int wagi_create(const spin_http_executor_setup *s, spin_http_executor_instance *out,
                       util_error **err)
{
    const char *id = s->comp->id;
    if (s->wagi_entrypoint && strcmp(s->wagi_entrypoint, "_start") != 0)
        return util_error_set(err, 0, "Wagi component '%s' cannot use deprecated 'entrypoint' field",
                              id);
    if (s->comp->pre) /* a WASI 0.2 command: wasi:cli/run, linked at load */
        return spin_wagi_component_check(s->comp, err) < 0
                   ? -1
                   : spin_wagi_executor_new(s->wagi_argv, out, err);
    if (!wasm_module_export_signature(s->comp->module, "_start"))
        return util_error_set(err, 0,
                              "component '%s': failed to find wasi command interface for wagi "
                              "executor (no '_start' export)",
                              id);
    if (!s->comp->wagi_resolution &&
        spin_wagi_link(id, s->comp->module, &s->comp->wagi_resolution, err) < 0)
        return -1;
    return spin_wagi_executor_new(s->wagi_argv, out, err);
}

/* What Spin says when a component exports no handler it knows. */
static int no_handler(const char *id, util_error **err)
{
    return util_error_set(
        err, 0,
        "component '%s': Expected component to export one of "
        "`wasi:http/incoming-handler@0.2.0-rc-2023-10-18`, "
        "`wasi:http/incoming-handler@0.2.0-rc-2023-11-10`, `wasi:http/incoming-handler@0.2.*` "
        "or `fermyon:spin/inbound-http` but it exported none of those. This may mean the "
        "component handles a different trigger (a WASI command runs with executor = "
        "{ type = \"wagi\" }), or that its `wasi:http` export is newer than those supported",
        id);
}

/* A core module: Spin 1's inbound-http runs; a Spin 2.0 SDK module
 * (wit-bindgen exports such as "wasi:http/incoming-handler@...#handle")
 * became a component at load (world_module.c) unless it lacks the
 * component-type sections that say how. */
static int module_without_handler(const spin_component_runtime *comp, util_error **err)
{
    for (size_t i = 0; i < wasm_module_export_count(comp->module); i++) {
        const char *name = wasm_module_export(comp->module, i).name;
        if (strncmp(name, "wasi:http/incoming-handler@", 27) == 0)
            return util_error_set(err, 0,
                                  "component '%s' is a core module exporting %s but carries "
                                  "no component-type custom sections, which making it a "
                                  "component needs (build it with wit-bindgen, or as a "
                                  "component)",
                                  comp->id, name);
    }
    return no_handler(comp->id, err);
}

/* `type = "http"`: the executor follows the component's exports. */
static int http_create(const spin_http_executor_setup *s, spin_http_executor_instance *out,
                       util_error **err)
{
    const spin_component_runtime *comp = s->comp;
    if (comp->module)
        return wasm_module_export_signature(comp->module, "handle-http-request")
                   ? spin_inbound_http_executor_create(s, out, err)
                   : module_without_handler(comp, err);
    const component *c = component_pre_component(comp->pre);
    bool wasi_http = component_find_interface_export(c, "wasi:http/incoming-handler") != NULL;
    bool spin_http = component_find_interface_export(c, "fermyon:spin/inbound-http") != NULL;
    if (wasi_http && spin_http)
        return util_error_set(err, 0,
                              "component '%s' exports multiple different handlers but it's "
                              "expected to export only one",
                              comp->id);
    if (wasi_http) /* which version, and only one: the handler decides */
        return spin_wasi_http_executor_create(s, out, err);
    if (spin_http)
        return spin_inbound_http_executor_create(s, out, err);
    return no_handler(comp->id, err);
}

static const spin_http_executor_kind builtin[] = {
    {.type = "wagi", .what = "the Wagi executor", .create = wagi_create},
    {.type = "http",
     .what = "the Spin HTTP executor (wasi:http/incoming-handler or fermyon:spin/inbound-http)",
     .create = http_create},
    {.type = "wasip3-unstable", .what = "the WASIp3 HTTP executor (wasip3-unstable)"},
};

#define MAX_REGISTERED 8
static const spin_http_executor_kind *registered[MAX_REGISTERED];
static size_t nregistered;

static const spin_http_executor_kind *find(const char *type)
{
    for (size_t i = nregistered; i-- > 0;)
        if (strcmp(registered[i]->type, type) == 0)
            return registered[i];
    for (size_t i = 0; i < UTIL_ARRAY_LEN(builtin); i++)
        if (strcmp(builtin[i].type, type) == 0)
            return &builtin[i];
    return NULL;
}

int spin_http_executor_register(const spin_http_executor_kind *kind, util_error **err)
{
    if (nregistered == MAX_REGISTERED)
        return util_error_set(err, 0, "executor type '%s': at most %d executor types can be added",
                              kind->type, MAX_REGISTERED);
    registered[nregistered++] = kind;
    return 0;
}

/* `executor = { type = "wagi" }` for each type that runs, once each. */
static void runnable_types(util_buf *out)
{
    const char *types[MAX_REGISTERED + UTIL_ARRAY_LEN(builtin)];
    size_t n = 0;
    for (size_t i = 0; i < UTIL_ARRAY_LEN(builtin); i++)
        types[n++] = builtin[i].type;
    for (size_t i = 0; i < nregistered; i++)
        types[n++] = registered[i]->type;
    size_t listed = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen = seen || strcmp(types[j], types[i]) == 0;
        const spin_http_executor_kind *k = find(types[i]);
        if (seen || !k->create)
            continue;
        util_buf_printf(out, "%s{ type = \"%s\" }", listed++ ? ", " : "executor = ", types[i]);
    }
    if (listed == 0)
        util_buf_printf(out, "no executor");
}

int spin_http_executor_create(const char *type, const spin_http_executor_setup *setup,
                              spin_http_executor_instance *out, util_error **err)
{
    const spin_http_executor_kind *k = find(type);
    if (k && k->create)
        return k->create(setup, out, err);
    util_buf runs = {0};
    runnable_types(&runs);
    if (k)
        util_error_set(err, 0, "component '%s' uses %s, which this host does not support yet; only %s runs",
                       setup->comp->id, k->what, runs.data);
    else
        util_error_set(err, 0,
                       "component '%s': executor type '%s' is unknown to this host; only %s runs",
                       setup->comp->id, type, runs.data);
    util_buf_free(&runs);
    return -1;
}
