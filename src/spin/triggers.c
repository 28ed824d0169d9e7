/*
 * triggers.c - the trigger registry: which trigger types this host runs.
 *
 * The loader groups an app's triggers by type and asks this registry for
 * each type's ops (app_internal.h, spin_trigger_ops); it never names a
 * trigger type itself.  The built-in types are one table, here, so adding
 * a trigger is one row; spin_trigger_register adds more at run time for
 * tests and hosts that bring their own, and is searched first so that
 * they can also stand in for a built-in type.  No constructor tricks:
 * what runs is what this file lists plus what a caller registered.
 */
#include "app_internal.h"

#include <json-c/json.h>
#include <string.h>

static const spin_trigger_ops *const builtin[] = {
    &spin_http_trigger_ops,
    &spin_command_trigger_ops,
    &spin_redis_trigger_ops,
};

#define MAX_REGISTERED 8
static const spin_trigger_ops *registered[MAX_REGISTERED];
static size_t nregistered;

const spin_trigger_ops *spin_trigger_find(const char *type)
{
    for (size_t i = nregistered; i-- > 0;)
        if (strcmp(registered[i]->type, type) == 0)
            return registered[i];
    for (size_t i = 0; i < UTIL_ARRAY_LEN(builtin); i++)
        if (strcmp(builtin[i]->type, type) == 0)
            return builtin[i];
    return NULL;
}

int spin_trigger_register(const spin_trigger_ops *ops, util_error **err)
{
    if (nregistered == MAX_REGISTERED)
        return util_error_set(err, 0, "trigger type '%s': at most %d trigger types can be added",
                              ops->type, MAX_REGISTERED);
    registered[nregistered++] = ops;
    return 0;
}

/* "only 'http'", "supported: 'http', 'redis'": each supported type once. */
static void supported_types(util_buf *out)
{
    const spin_trigger_ops *all[MAX_REGISTERED + UTIL_ARRAY_LEN(builtin)];
    size_t n = 0;
    for (size_t i = 0; i < UTIL_ARRAY_LEN(builtin); i++)
        all[n++] = builtin[i];
    for (size_t i = 0; i < nregistered; i++)
        all[n++] = registered[i];
    util_buf list = {0};
    size_t listed = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen = seen || strcmp(all[j]->type, all[i]->type) == 0;
        if (!seen)
            util_buf_printf(&list, "%s'%s'", listed++ ? ", " : "", all[i]->type);
    }
    util_buf_printf(out, "%s%s", listed > 1 ? "supported: " : "only ", list.data);
    util_buf_free(&list);
}

int spin_trigger_unsupported(const spin_locked_trigger *t, util_error **err)
{
    util_buf types = {0};
    supported_types(&types);
    util_error_set(err, 0, "trigger '%s': trigger type '%s' is not supported by this host yet (%s)",
                   t->id, t->trigger_type, types.data);
    util_buf_free(&types);
    return -1;
}

const char *spin_trigger_component(const spin_locked_trigger *t)
{
    if (t->http)
        return t->http->component;
    struct json_object *v = NULL;
    if (t->config && json_object_object_get_ex(t->config, "component", &v) &&
        json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    return NULL;
}
