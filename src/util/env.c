/*
 * env.c - an environment being put together: "K=V" strings in the order
 * their keys were first set, where setting a key again replaces its value
 * in place.  Spin components, Wagi's CGI variables and `run --env` all
 * build the list a WASI guest gets this way, and the result is handed over
 * as is: `items` is the NULL-terminated array environ_get and execve want.
 *
 * A linear search per set is deliberate: environments are tens of
 * entries, and keeping the first-set order makes what a guest sees
 * predictable (and testable).
 */
#include "util.h"

#include <string.h>

/* The index of `key` (length klen) in the list, or -1. */
static ssize_t env_find(const util_env *e, const char *key, size_t klen)
{
    for (size_t i = 0; i < e->len; i++)
        if (strncmp(e->items[i], key, klen) == 0 && e->items[i][klen] == '=')
            return (ssize_t)i;
    return -1;
}

/* Takes ownership of `kv`, whose key is its first klen bytes. */
static void env_put_owned(util_env *e, char *kv, size_t klen)
{
    ssize_t at = env_find(e, kv, klen);
    if (at >= 0) {
        free(e->items[at]);
        e->items[at] = kv;
        return;
    }
    if (e->len + 2 > e->cap) {
        e->cap = e->cap ? 2 * e->cap : 16;
        e->items = util_xrealloc(e->items, e->cap * sizeof(char *));
    }
    e->items[e->len++] = kv;
    e->items[e->len] = NULL;
}

void util_env_set(util_env *e, const char *key, const char *value)
{
    env_put_owned(e, util_xasprintf("%s=%s", key, value ? value : ""), strlen(key));
}

int util_env_put(util_env *e, const char *kv, util_error **err)
{
    const char *eq = strchr(kv, '=');
    if (eq == NULL || eq == kv)
        return util_error_set(err, 0, "'%s' is not KEY=VALUE with a non-empty KEY", kv);
    env_put_owned(e, util_xstrdup(kv), (size_t)(eq - kv));
    return 0;
}

const char *util_env_get(const util_env *e, const char *key)
{
    ssize_t at = env_find(e, key, strlen(key));
    return at >= 0 ? e->items[at] + strlen(key) + 1 : NULL;
}

void util_env_free(util_env *e)
{
    for (size_t i = 0; i < e->len; i++)
        free(e->items[i]);
    free(e->items);
    memset(e, 0, sizeof(*e));
}
