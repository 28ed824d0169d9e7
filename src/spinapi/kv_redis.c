/*
 * kv_redis.c - key-value stores of runtime-config type "redis"
 * ([key_value_store.<label>] type = "redis", url = "redis://..."), kept as
 * Spin's key-value-redis crate keeps them, so that Spin and this host read
 * each other's data: every key as it is (no label prefix: the url's
 * database is the store), values as redis strings, get-keys as KEYS *,
 * increment as INCRBY (a decimal counter), compare-and-swap as WATCH, GET,
 * MULTI, SET, EXEC.
 *
 * One connection per store, shared by every instance of the component
 * (Spin shares one ConnectionManager), opened on first use through
 * redis_client.c and used under the backend's mutex, which also keeps
 * WATCH ... EXEC of one swap from interleaving with another instance's
 * commands.  The url comes from the operator's runtime config, so it is
 * not checked against allowed_outbound_hosts (Spin does not check it
 * either).  Each command waits at most redis_client's bounds or the
 * opening instance's request deadline; a connection that broke is closed
 * and the next operation connects again.  Failures are error::other with
 * the server's or the connection's text, as Spin logs and returns them.
 */
#include "redis_client.h"

#include <string.h>

int spinapi_kv_redis_connect(spinapi_db *d, util_error **err)
{
    if (d->redis_ctx == NULL)
        d->redis_ctx = spinapi_ctx_new(NULL);
    spinapi_redis_conn *c = NULL;
    util_error *why = NULL;
    if (spinapi_redis_open_trusted(d->redis_ctx, d->location, strlen(d->location), &c, &why) !=
        SPINAPI_REDIS_OK) {
        util_error_set(err, 0, "key-value store '%s': %s", d->label,
                       why ? why->msg : "cannot connect");
        util_error_free(&why);
        return -1;
    }
    d->redis_conn = c;
    return 0;
}

void spinapi_kv_redis_close(spinapi_db *d)
{
    spinapi_ctx_free(d->redis_ctx); /* closes the connection */
    d->redis_ctx = NULL;
    d->redis_conn = NULL;
}

/* One command on the store's connection within the opener's deadline;
 * the reply, or NULL with *err (a broken connection is dropped). */
static redisReply *command(const spinapi_kv *kv, int argc, const char **argv,
                           const size_t *lens, util_error **err)
{
    spinapi_db *d = kv->db;
    spinapi_ctx_set_deadline(d->redis_ctx, kv->deadline_ns);
    redisReply *r = spinapi_redis_command(d->redis_conn, argc, argv, lens, err);
    if (r == NULL && spinapi_redis_broken(d->redis_conn)) {
        spinapi_redis_close(d->redis_conn);
        d->redis_conn = NULL;
    }
    return r;
}

/* A command on one key: argv[1] is the key. */
static redisReply *key_command(const spinapi_kv *kv, const char *name, const char *key,
                               size_t keylen, util_error **err)
{
    const char *argv[2] = {name, keylen ? key : ""};
    size_t lens[2] = {strlen(name), keylen};
    return command(kv, 2, argv, lens, err);
}

static int unexpected(redisReply *r, const char *what, util_error **err)
{
    freeReplyObject(r);
    return util_error_set(err, 0, "redis answered %s with an unexpected reply", what);
}

int spinapi_kv_redis_get(const spinapi_kv *kv, component_call *call, const char *key,
                         size_t keylen, const uint8_t **value, size_t *len, bool *found,
                         util_error **err)
{
    *value = NULL, *len = 0, *found = false;
    /* exists (call NULL) asks EXISTS, as Spin does. */
    redisReply *r = key_command(kv, call ? "GET" : "EXISTS", key, keylen, err);
    if (r == NULL)
        return -1;
    if (call == NULL) {
        if (r->type != REDIS_REPLY_INTEGER)
            return unexpected(r, "EXISTS", err);
        *found = r->integer > 0;
    } else if (r->type == REDIS_REPLY_STRING) {
        uint8_t *copy = component_call_alloc(call, r->len ? r->len : 1);
        if (copy == NULL) {
            freeReplyObject(r);
            return util_error_set(err, 0, "the value of the key is too large for the host");
        }
        memcpy(copy, r->str, r->len);
        *value = copy, *len = r->len, *found = true;
    } else if (r->type != REDIS_REPLY_NIL) {
        return unexpected(r, "GET", err);
    }
    freeReplyObject(r);
    return 0;
}

int spinapi_kv_redis_read(const spinapi_kv *kv, const char *key, size_t keylen, uint8_t **value,
                          size_t *len, bool *found, util_error **err)
{
    *value = NULL, *len = 0, *found = false;
    redisReply *r = key_command(kv, "GET", key, keylen, err);
    if (r == NULL)
        return -1;
    if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_NIL)
        return unexpected(r, "GET", err);
    if (r->type == REDIS_REPLY_STRING) {
        *value = util_xmalloc(r->len ? r->len : 1);
        memcpy(*value, r->str, r->len);
        *len = r->len, *found = true;
    }
    freeReplyObject(r);
    return 0;
}

int spinapi_kv_redis_set(const spinapi_kv *kv, const char *key, size_t keylen,
                         const uint8_t *value, size_t len, util_error **err)
{
    const char *argv[3] = {"SET", keylen ? key : "", len ? (const char *)value : ""};
    size_t lens[3] = {3, keylen, len};
    redisReply *r = command(kv, 3, argv, lens, err);
    if (r == NULL)
        return -1;
    freeReplyObject(r);
    return 0;
}

int spinapi_kv_redis_delete(const spinapi_kv *kv, const char *key, size_t keylen,
                            util_error **err)
{
    redisReply *r = key_command(kv, "DEL", key, keylen, err);
    if (r == NULL)
        return -1;
    freeReplyObject(r);
    return 0;
}

int spinapi_kv_redis_keys(const spinapi_kv *kv, component_call *call, component_val **keys,
                          size_t *n, util_error **err)
{
    const char *argv[2] = {"KEYS", "*"};
    size_t lens[2] = {4, 1};
    redisReply *r = command(kv, 2, argv, lens, err);
    if (r == NULL)
        return -1;
    if (r->type != REDIS_REPLY_ARRAY)
        return unexpected(r, "KEYS", err);
    component_val *out = component_call_vals(call, r->elements ? r->elements : 1);
    int rc = out ? 0 : util_error_set(err, 0, "too many keys for the host to return");
    for (size_t i = 0; rc == 0 && i < r->elements; i++) {
        const redisReply *k = r->element[i];
        if (k->type != REDIS_REPLY_STRING)
            rc = util_error_set(err, 0, "redis answered KEYS with a key that is no string");
        else if (spinapi_str_copy(call, k->str, k->len, &out[i]) < 0)
            rc = util_error_set(err, 0, "too many keys for the host to return");
    }
    *keys = out;
    *n = rc == 0 ? r->elements : 0;
    freeReplyObject(r);
    return rc;
}

int spinapi_kv_redis_increment(const spinapi_kv *kv, const char *key, size_t keylen,
                               int64_t delta, int64_t *out, util_error **err)
{
    char by[24];
    snprintf(by, sizeof(by), "%lld", (long long)delta);
    const char *argv[3] = {"INCRBY", keylen ? key : "", by};
    size_t lens[3] = {6, keylen, strlen(by)};
    redisReply *r = command(kv, 3, argv, lens, err);
    if (r == NULL)
        return -1;
    if (r->type != REDIS_REPLY_INTEGER)
        return unexpected(r, "INCRBY", err);
    *out = r->integer;
    freeReplyObject(r);
    return 0;
}

/* Whether GET's reply is what the cas saw (had_old: those bytes; else
 * no value). */
static bool unchanged(const redisReply *r, const uint8_t *old, size_t oldlen, bool had_old)
{
    if (!had_old)
        return r->type == REDIS_REPLY_NIL;
    return r->type == REDIS_REPLY_STRING && r->len == oldlen &&
           (oldlen == 0 || memcmp(r->str, old, oldlen) == 0);
}

static int simple(const spinapi_kv *kv, const char *name, util_error **err)
{
    const char *argv[1] = {name};
    size_t lens[1] = {strlen(name)};
    redisReply *r = command(kv, 1, argv, lens, err);
    if (r == NULL)
        return -1;
    freeReplyObject(r);
    return 0;
}

int spinapi_kv_redis_swap(const spinapi_kv *kv, const char *key, size_t keylen,
                          const uint8_t *old, size_t oldlen, bool had_old, const uint8_t *value,
                          size_t len, bool *swapped, util_error **err)
{
    *swapped = false;
    redisReply *r = key_command(kv, "WATCH", key, keylen, err);
    if (r == NULL)
        return -1;
    freeReplyObject(r);
    r = key_command(kv, "GET", key, keylen, err);
    if (r == NULL)
        return -1;
    bool same = unchanged(r, old, oldlen, had_old);
    freeReplyObject(r);
    if (!same) /* changed since current(): not swapped */
        return simple(kv, "UNWATCH", err);
    if (simple(kv, "MULTI", err) < 0)
        return -1;
    if (spinapi_kv_redis_set(kv, key, keylen, value, len, err) < 0) {
        util_error *ignored = NULL;
        simple(kv, "DISCARD", &ignored);
        util_error_free(&ignored);
        return -1;
    }
    const char *argv[1] = {"EXEC"};
    size_t lens[1] = {4};
    r = command(kv, 1, argv, lens, err);
    if (r == NULL)
        return -1;
    /* A nil reply: the key changed after WATCH, nothing was written. */
    *swapped = r->type == REDIS_REPLY_ARRAY;
    freeReplyObject(r);
    return 0;
}
