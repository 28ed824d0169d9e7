/*
 * http_trigger_load.c - the HTTP trigger as an entry of the trigger
 * registry: from the app's `http` triggers to a routing table and a
 * running server, and back.
 *
 * Loading does every check before anything is bound (Spin's order within
 * the trigger): per trigger its component's runtime (app_load.c) and its
 * executor (looked up by type in http_executors.c, which checks that the
 * component suits it), then the routing table, logging routes that can
 * never be reached.  Starting binds the listener and starts the server on
 * the handlers of http_trigger.c; stopping gives requests in progress a
 * grace period and reports whether some had to be abandoned.
 */
#include "app_internal.h"
#include "http_server.h"
#include "http_tracing.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The grace period requests in progress get when the app stops. */
#define STOP_GRACE_MS 10000

/* The registry's name of an executor (`executor = { type = ... }`). */
static const char *executor_type(spin_locked_executor_kind kind)
{
    switch (kind) {
    case SPIN_LOCKED_EXECUTOR_WAGI: return "wagi";
    case SPIN_LOCKED_EXECUTOR_WASIP3_UNSTABLE: return "wasip3-unstable";
    case SPIN_LOCKED_EXECUTOR_HTTP: break;
    }
    return "http";
}

static int load_target(spin_loaded_app *app, const spin_locked_trigger *t,
                       spin_http_target *target, util_error **err)
{
    const spin_locked_http_trigger *h = t->http;
    target->trigger_id = t->id;
    if (!h)
        return util_error_set(err, 0, "trigger '%s': not an HTTP trigger", t->id);
    if (h->static_response) {
        target->static_response = h->static_response;
        return 0;
    }
    target->comp = spin_app_component(app, h->component, err);
    if (!target->comp)
        return -1;
    spin_http_executor_setup setup = {
        .comp = target->comp,
        .wagi_argv = h->wagi_argv,
        .wagi_entrypoint = h->wagi_entrypoint,
    };
    return spin_http_executor_create(executor_type(h->executor), &setup, &target->exec, err);
}

/* The route as written (executors pass it on as the raw component route);
 * the typed view has a leading '/' added. */
static const char *raw_route(const spin_locked_trigger *t)
{
    struct json_object *v = NULL;
    if (t->config && json_object_object_get_ex(t->config, "route", &v) &&
        json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    return t->http->route;
}

static void log_unreachable_routes(const spin_router *router, const spin_route_duplicate *dups,
                                   size_t ndups)
{
    if (ndups) {
        util_log_error("The following component routes are duplicates and will never be used:");
        for (size_t i = 0; i < ndups; i++)
            util_log_error("  %s: %s (duplicate of %s)", dups[i].replaced_key, dups[i].route,
                           dups[i].effective_key);
    }
    if (spin_router_has_reserved(router))
        util_log_error("Routes under /.well-known/spin/ are handled by the Spin runtime and will "
                       "never be reached");
}

static int build_router(spin_http_trigger *ht, const spin_locked_trigger *const *entries,
                        util_error **err)
{
    spin_route_spec *specs = util_xcalloc(ht->ntargets + 1, sizeof(*specs));
    for (size_t i = 0; i < ht->ntargets; i++) {
        const spin_locked_trigger *t = entries[i];
        specs[i].route = t->http->route_private ? NULL : raw_route(t);
        specs[i].is_private = t->http->route_private;
        specs[i].key = t->http->component ? t->http->component : t->id;
        specs[i].target = i;
    }
    spin_route_duplicate *dups = NULL;
    size_t ndups = 0;
    ht->router = spin_router_build(specs, ht->ntargets, &dups, &ndups, err);
    free(specs);
    if (!ht->router)
        return -1;
    log_unreachable_routes(ht->router, dups, ndups);
    spin_route_duplicates_free(dups, ndups);
    return 0;
}

static void http_free(void *self)
{
    spin_http_trigger *ht = self;
    if (!ht)
        return;
    for (size_t i = 0; i < ht->ntargets; i++) {
        spin_http_target *t = &ht->targets[i];
        if (t->exec.ops && t->exec.ops->free)
            t->exec.ops->free(t->exec.self);
    }
    free(ht->targets);
    spin_router_free(ht->router);
    free(ht->bound);
    free(ht);
}

static int http_load(spin_loaded_app *app, const spin_locked_trigger *const *entries, size_t n,
                     void **self, util_error **err)
{
    spin_http_trigger *ht = util_xcalloc(1, sizeof(*ht));
    *self = ht;
    ht->app = app;
    ht->app_name = app->locked->name;
    ht->app_version = app->locked->version;
    ht->request_timeout_ms = app->request_timeout_ms;
    ht->targets = util_xcalloc(n + 1, sizeof(*ht->targets));
    for (size_t i = 0; i < n; i++) {
        if (load_target(app, entries[i], &ht->targets[i], err) < 0)
            return -1;
        ht->ntargets++;
    }
    return build_router(ht, entries, err);
}

static void describe_routes(const spin_http_trigger *ht, util_buf *b)
{
    util_buf_printf(b, "\nServing http://%s\nAvailable Routes:\n", ht->bound);
    const spin_router *r = ht->router;
    for (size_t i = 0; i < spin_router_count(r); i++) {
        const char *key = NULL;
        const char *disp = spin_router_display(r, i, &key);
        util_buf_printf(b, "  %s: http://%s%s\n", key, ht->bound, disp);
        const spin_locked_component *c = spin_locked_app_component(ht->app->locked, key);
        if (c && c->description)
            util_buf_printf(b, "    %s\n", c->description);
    }
}

static int http_start(void *self, util_buf *banner, util_error **err)
{
    spin_http_trigger *ht = self;
    const spin_run_options *opts = ht->app->opts;
    const char *addr = opts->listen_addr;
    if (!addr)
        addr = spin_env_lookup(opts->env, "SPIN_HTTP_LISTEN_ADDR");
    if (!addr || !*addr)
        addr = "0.0.0.0:80";
    int listen_fd = spin_http_listen(addr, &ht->bound, err);
    if (listen_fd < 0)
        return -1;
    spin_tracing_init(opts->env);
    spin_http_server_config cfg = {
        .listen_fd = listen_fd,
        .workers = opts->workers,
        .request_timeout_ms = ht->request_timeout_ms,
        .handler = spin_http_trigger_handle,
        .fast_handler = spin_http_trigger_fast,
        .stream_request = spin_http_trigger_streams,
        .ctx = ht,
    };
    /* SPIN_HTTP_MAX_REQUEST_BODY_BYTES: larger request bodies get 413. */
    const char *max_body = spin_env_lookup(opts->env, "SPIN_HTTP_MAX_REQUEST_BODY_BYTES");
    if (max_body && *max_body) {
        char *end = NULL;
        unsigned long long n = strtoull(max_body, &end, 10);
        if (*end != '\0' || n == 0 || max_body[0] == '-') {
            close(listen_fd);
            return util_error_set(err, 0,
                                  "SPIN_HTTP_MAX_REQUEST_BODY_BYTES='%s': expected a positive "
                                  "number of bytes", max_body);
        }
        cfg.max_body_bytes = (size_t)n;
    }
    ht->server = spin_http_server_start(&cfg, err);
    util_trace_mark("http-server-started");
    if (!ht->server) {
        close(listen_fd);
        return -1;
    }
    util_log_info("app '%s' (id %s) serving on %s", ht->app_name ? ht->app_name : "",
                  ht->app->app_id, ht->bound);
    describe_routes(ht, banner);
    return 0;
}

static bool http_stop(void *self)
{
    spin_http_trigger *ht = self;
    if (!ht->server)
        return true;
    bool finished = spin_http_server_stop(ht->server, STOP_GRACE_MS);
    ht->server = NULL;
    otel_shutdown(STOP_GRACE_MS); /* the last requests' spans go out */
    return finished;
}

const spin_trigger_ops spin_http_trigger_ops = {
    .type = "http",
    .load = http_load,
    .start = http_start,
    .stop = http_stop,
    .free = http_free,
};
