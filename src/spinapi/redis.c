/*
 * redis.c - fermyon:spin/redis@2.0.0 for components: resource connection
 * (open, publish, get, set, incr, del, sadd, smembers, srem, execute) on
 * redis_client.c, answering as Spin's factor-outbound-redis does.
 *
 * open refuses an address that is no redis:// URL or whose host the
 * component may not reach with error::invalid-address, and the 1025th
 * connection of an instance with too-many-connections.  Every other
 * failure (cannot connect, a server error reply, a timeout) is
 * other(<message>).  A reply of a shape the function cannot return (a
 * get that is no string, an incr that is no integer) is type-error.
 * execute flattens nested arrays into one list of results, as Spin does;
 * a member or status that is not UTF-8 cannot be a WIT string and is
 * type-error.  The connection handle's destructor closes the connection.
 */
#include "redis_client.h"

#include <string.h>

#define IFACE "fermyon:spin/redis@2.0.0"

enum { RESULT_NIL, RESULT_STATUS, RESULT_INT64, RESULT_BINARY };
enum { PARAM_INT64, PARAM_BINARY };

/* ---- commands --------------------------------------------------------- */

typedef struct command {
    const char **argv;
    size_t *lens;
    int argc;
    char (*numbers)[24]; /* the text of integer arguments */
} command;

static void command_init(command *c, size_t max_args)
{
    c->argv = util_xcalloc(max_args, sizeof(*c->argv));
    c->lens = util_xcalloc(max_args, sizeof(*c->lens));
    c->numbers = util_xcalloc(max_args, sizeof(*c->numbers));
    c->argc = 0;
}

static void command_free(command *c)
{
    free(c->argv);
    free(c->lens);
    free(c->numbers);
}

static void add_arg(command *c, const void *p, size_t len)
{
    c->argv[c->argc] = len ? p : "";
    c->lens[c->argc++] = len;
}

static void add_str(command *c, const component_val *s)
{
    add_arg(c, s->of.str.ptr, s->of.str.len);
}

static void add_strs(command *c, const component_val *list)
{
    for (size_t i = 0; i < list->of.list.n; i++)
        add_str(c, &list->of.list.items[i]);
}

static void add_int(command *c, int64_t v)
{
    int n = snprintf(c->numbers[c->argc], sizeof(c->numbers[0]), "%lld", (long long)v);
    add_arg(c, c->numbers[c->argc], (size_t)n);
}

static int add_bytes(component_call *call, command *c, const component_val *list)
{
    const uint8_t *b = spinapi_list_bytes(call, list);
    if (b == NULL)
        return component_call_trap(call, "redis: out of call memory");
    add_arg(c, b, list->of.list.n);
    return 0;
}

static spinapi_redis_conn *conn_of(const component_val *self)
{
    return (spinapi_redis_conn *)self->of.resource.rep;
}

/* Runs the command: the reply in *reply (1), or *result = err(other(...))
 * and 0, or -1 (a trap).  Frees the command. */
static int run(component_call *call, spinapi_redis_conn *conn, command *c, redisReply **reply,
               component_val *result)
{
    util_error *err = NULL;
    *reply = spinapi_redis_command(conn, c->argc, c->argv, c->lens, &err);
    command_free(c);
    if (*reply)
        return 1;
    int rc = spinapi_err(call, SPINAPI_REDIS_OTHER, err ? err->msg : "redis: failed", result);
    util_error_free(&err);
    return rc < 0 ? -1 : 0;
}

static int type_error(component_call *call, redisReply *r, component_val *result)
{
    freeReplyObject(r);
    return spinapi_err(call, SPINAPI_REDIS_TYPE_ERROR, NULL, result);
}

static bool is_utf8(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint8_t b = s[i];
        size_t extra = b < 0x80 ? 0 : (b & 0xe0) == 0xc0 ? 1 : (b & 0xf0) == 0xe0 ? 2
                                  : (b & 0xf8) == 0xf0 ? 3 : 4;
        if (extra == 4 || (extra == 1 && b < 0xc2) || i + extra >= n + (extra ? 0 : 1))
            return false;
        uint32_t cp = extra == 0 ? b : b & (0x3f >> extra);
        for (size_t k = 1; k <= extra; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((extra == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
        i += extra + 1;
    }
    return true;
}

/* ---- results ----------------------------------------------------------- */

static int ok_unit(component_call *call, component_val *result)
{
    return spinapi_variant(call, 0, NULL, result);
}

static int ok_val(component_call *call, component_val v, component_val *result)
{
    return spinapi_variant(call, 0, &v, result);
}

static int bytes_of(component_call *call, const redisReply *r, component_val *out)
{
    uint8_t *p = component_call_alloc(call, r->len ? r->len : 1);
    if (p == NULL)
        return component_call_trap(call, "redis: the reply is too large for the host");
    if (r->len)
        memcpy(p, r->str, r->len);
    *out = (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {.raw = p, .n = r->len}};
    return 0;
}

/* An integer reply as u32 (counts), or type-error. */
static int ok_count(component_call *call, redisReply *r, component_val *result)
{
    if (r->type != REDIS_REPLY_INTEGER || r->integer < 0 || r->integer > UINT32_MAX)
        return type_error(call, r, result);
    component_val v = {.kind = COMPONENT_VAL_U32, .of.u = (uint64_t)r->integer};
    freeReplyObject(r);
    return ok_val(call, v, result);
}

/* ---- the functions ------------------------------------------------------ */

static int open_fn(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    const spinapi_host *h = env;
    spinapi_redis_conn *conn = NULL;
    util_error *err = NULL;
    int rc = spinapi_redis_open(spinapi_host_ctx(h, call), args[0].of.str.ptr,
                                args[0].of.str.len, &conn, &err);
    if (rc == SPINAPI_REDIS_OK) {
        component_val own = spinapi_own(h->redis2, conn);
        return spinapi_variant(call, 0, &own, result);
    }
    int out = spinapi_err(call, (uint32_t)rc, rc == SPINAPI_REDIS_OTHER && err ? err->msg : NULL,
                          result);
    util_error_free(&err);
    return out;
}

static int publish_fn(component_call *call, void *env, const component_val *args, size_t nargs,
                      component_val *result)
{
    command c;
    command_init(&c, 3);
    add_arg(&c, "PUBLISH", 7);
    add_str(&c, &args[1]);
    if (add_bytes(call, &c, &args[2]) < 0)
        return command_free(&c), -1;
    redisReply *r;
    int rc = run(call, conn_of(&args[0]), &c, &r, result);
    if (rc <= 0)
        return rc;
    freeReplyObject(r);
    return ok_unit(call, result);
}

static int get_fn(component_call *call, void *env, const component_val *args, size_t nargs,
                  component_val *result)
{
    command c;
    command_init(&c, 2);
    add_arg(&c, "GET", 3);
    add_str(&c, &args[1]);
    redisReply *r;
    int rc = run(call, conn_of(&args[0]), &c, &r, result);
    if (rc <= 0)
        return rc;
    component_val opt = {.kind = COMPONENT_VAL_VARIANT, .of.variant = {0, NULL}};
    if (r->type == REDIS_REPLY_STRING) {
        component_val bytes;
        if (bytes_of(call, r, &bytes) < 0 || spinapi_variant(call, 1, &bytes, &opt) < 0)
            return freeReplyObject(r), -1;
    } else if (r->type != REDIS_REPLY_NIL) {
        return type_error(call, r, result);
    }
    freeReplyObject(r);
    return ok_val(call, opt, result);
}

static int set_fn(component_call *call, void *env, const component_val *args, size_t nargs,
                  component_val *result)
{
    command c;
    command_init(&c, 3);
    add_arg(&c, "SET", 3);
    add_str(&c, &args[1]);
    if (add_bytes(call, &c, &args[2]) < 0)
        return command_free(&c), -1;
    redisReply *r;
    int rc = run(call, conn_of(&args[0]), &c, &r, result);
    if (rc <= 0)
        return rc;
    freeReplyObject(r);
    return ok_unit(call, result);
}

static int incr_fn(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    command c;
    command_init(&c, 3);
    add_arg(&c, "INCRBY", 6);
    add_str(&c, &args[1]);
    add_int(&c, 1);
    redisReply *r;
    int rc = run(call, conn_of(&args[0]), &c, &r, result);
    if (rc <= 0)
        return rc;
    if (r->type != REDIS_REPLY_INTEGER)
        return type_error(call, r, result);
    component_val v = {.kind = COMPONENT_VAL_S64, .of.s = r->integer};
    freeReplyObject(r);
    return ok_val(call, v, result);
}

/* DEL keys... / SADD key values... / SREM key values...: a count. */
static int count_command(component_call *call, const char *name, const component_val *self,
                         const component_val *key, const component_val *list,
                         component_val *result)
{
    command c;
    command_init(&c, list->of.list.n + 2);
    add_arg(&c, name, strlen(name));
    if (key)
        add_str(&c, key);
    add_strs(&c, list);
    redisReply *r;
    int rc = run(call, conn_of(self), &c, &r, result);
    return rc <= 0 ? rc : ok_count(call, r, result);
}

static int del_fn(component_call *call, void *env, const component_val *args, size_t nargs,
                  component_val *result)
{
    return count_command(call, "DEL", &args[0], NULL, &args[1], result);
}

static int sadd_fn(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    return count_command(call, "SADD", &args[0], &args[1], &args[2], result);
}

static int srem_fn(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    return count_command(call, "SREM", &args[0], &args[1], &args[2], result);
}

static int smembers_fn(component_call *call, void *env, const component_val *args, size_t nargs,
                       component_val *result)
{
    command c;
    command_init(&c, 2);
    add_arg(&c, "SMEMBERS", 8);
    add_str(&c, &args[1]);
    redisReply *r;
    int rc = run(call, conn_of(&args[0]), &c, &r, result);
    if (rc <= 0)
        return rc;
    if (r->type != REDIS_REPLY_ARRAY)
        return type_error(call, r, result);
    component_val *items = component_call_vals(call, r->elements ? r->elements : 1);
    if (items == NULL)
        return freeReplyObject(r), component_call_trap(call, "smembers: out of call memory");
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_STRING || !is_utf8((const uint8_t *)e->str, e->len))
            return type_error(call, r, result);
        if (spinapi_str_copy(call, e->str, e->len, &items[i]) < 0)
            return freeReplyObject(r), component_call_trap(call, "smembers: out of call memory");
    }
    component_val list = {.kind = COMPONENT_VAL_LIST,
                          .of.list = {.items = items, .n = r->elements}};
    freeReplyObject(r);
    return ok_val(call, list, result);
}

/* ---- execute ------------------------------------------------------------- */

static size_t count_flat(const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY)
        return 1;
    size_t n = 0;
    for (size_t i = 0; i < r->elements; i++)
        n += count_flat(r->element[i]);
    return n;
}

/* Appends r (arrays flattened) to out[*n]: 0, 1 for a value no
 * redis-result can carry, -1 for a trap. */
static int flatten(component_call *call, const redisReply *r, component_val *out, size_t *n)
{
    component_val p;
    switch (r->type) {
    case REDIS_REPLY_ARRAY:
        for (size_t i = 0; i < r->elements; i++) {
            int rc = flatten(call, r->element[i], out, n);
            if (rc != 0)
                return rc;
        }
        return 0;
    case REDIS_REPLY_NIL:
        out[(*n)++] = (component_val){.kind = COMPONENT_VAL_VARIANT,
                                      .of.variant = {RESULT_NIL, NULL}};
        return 0;
    case REDIS_REPLY_INTEGER:
        p = (component_val){.kind = COMPONENT_VAL_S64, .of.s = r->integer};
        return spinapi_variant(call, RESULT_INT64, &p, &out[(*n)++]);
    case REDIS_REPLY_STRING:
        if (bytes_of(call, r, &p) < 0)
            return -1;
        return spinapi_variant(call, RESULT_BINARY, &p, &out[(*n)++]);
    case REDIS_REPLY_STATUS:
        if (!is_utf8((const uint8_t *)r->str, r->len))
            return 1;
        if (spinapi_str_copy(call, r->str, r->len, &p) < 0)
            return component_call_trap(call, "execute: out of call memory");
        return spinapi_variant(call, RESULT_STATUS, &p, &out[(*n)++]);
    default:
        return 1;
    }
}

static int execute_fn(component_call *call, void *env, const component_val *args, size_t nargs,
                      component_val *result)
{
    const component_val *params = &args[2];
    command c;
    command_init(&c, params->of.list.n + 1);
    add_str(&c, &args[1]);
    for (size_t i = 0; i < params->of.list.n; i++) {
        const component_val *v = &params->of.list.items[i];
        if (v->of.variant.disc == PARAM_INT64)
            add_int(&c, v->of.variant.payload->of.s);
        else if (add_bytes(call, &c, v->of.variant.payload) < 0)
            return command_free(&c), -1;
    }
    redisReply *r;
    int rc = run(call, conn_of(&args[0]), &c, &r, result);
    if (rc <= 0)
        return rc;
    size_t total = count_flat(r), n = 0;
    component_val *items = component_call_vals(call, total ? total : 1);
    if (items == NULL)
        return freeReplyObject(r), component_call_trap(call, "execute: out of call memory");
    rc = flatten(call, r, items, &n);
    if (rc == 1)
        return type_error(call, r, result);
    freeReplyObject(r);
    if (rc < 0)
        return -1;
    component_val list = {.kind = COMPONENT_VAL_LIST, .of.list = {.items = items, .n = n}};
    return ok_val(call, list, result);
}

/* ---- registration --------------------------------------------------------- */

static void conn_free(uintptr_t rep)
{
    spinapi_redis_close((spinapi_redis_conn *)rep);
}

#define CONN "self: borrow<connection>"
static const spinapi_func redis2_funcs[] = {
    {"[static]connection.open", "func(address: string) -> result<own<connection>, error>",
     open_fn},
    {"[method]connection.publish",
     "func(" CONN ", channel: string, payload: payload) -> result<_, error>", publish_fn},
    {"[method]connection.get", "func(" CONN ", key: string) -> result<option<payload>, error>",
     get_fn},
    {"[method]connection.set", "func(" CONN ", key: string, value: payload) -> result<_, error>",
     set_fn},
    {"[method]connection.incr", "func(" CONN ", key: string) -> result<s64, error>", incr_fn},
    {"[method]connection.del", "func(" CONN ", keys: list<string>) -> result<u32, error>",
     del_fn},
    {"[method]connection.sadd",
     "func(" CONN ", key: string, values: list<string>) -> result<u32, error>", sadd_fn},
    {"[method]connection.smembers", "func(" CONN ", key: string) -> result<list<string>, error>",
     smembers_fn},
    {"[method]connection.srem",
     "func(" CONN ", key: string, values: list<string>) -> result<u32, error>", srem_fn},
    {"[method]connection.execute",
     "func(" CONN ", command: string, arguments: list<redis-parameter>) -> "
     "result<list<redis-result>, error>",
     execute_fn},
};

int spinapi_define_redis(component_linker *l, spinapi_host *h, util_error **err)
{
    h->redis2 = component_linker_define_resource(l, IFACE, "connection", conn_free, err);
    if (h->redis2 == NULL ||
        component_linker_define_type(l, IFACE, "error",
                                     "variant{invalid-address, too-many-connections, "
                                     "type-error, other(string)}",
                                     err) < 0 ||
        component_linker_define_type(l, IFACE, "payload", "list<u8>", err) < 0 ||
        component_linker_define_type(l, IFACE, "redis-parameter",
                                     "variant{int64(s64), binary(payload)}", err) < 0 ||
        component_linker_define_type(l, IFACE, "redis-result",
                                     "variant{nil, status(string), int64(s64), binary(payload)}",
                                     err) < 0 ||
        spinapi_define_funcs(l, IFACE, redis2_funcs, UTIL_ARRAY_LEN(redis2_funcs), h, err) < 0)
        return -1;
    return 0;
}
