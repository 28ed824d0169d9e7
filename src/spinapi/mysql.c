/*
 * mysql.c - MySQL for components: fermyon:spin/mysql@2.0.0 (resource
 * connection: open, query, execute; types from rdbms-types@2.0.0) and
 * Spin 1's unversioned fermyon:spin/mysql (query and execute take the
 * address and open a connection for the one call), on mysql_client.c, as
 * Spin's factor-outbound-mysql serves them.
 *
 * Errors are the values Spin returns: a host allowed_outbound_hosts does
 * not allow, an unusable address and a server that cannot be reached or
 * refuses the login are connection-failed; what the server or the client
 * says about a statement is query-failed; a value the mapping cannot
 * carry is value-conversion-failed; rows larger than Spin's bound are
 * other.  Spin 1's mysql-error has the same cases one further on (its
 * case 0 is `success`), and other-error for other.
 *
 * A connection handle is a struct spinapi_mysql; each instance
 * (spinapi_ctx) keeps a list of its open ones (at most Spin's 1024) and
 * closes what the guest did not drop.
 */
#include "mysql_client.h"

#include <stdio.h>
#include <string.h>

#define MYSQL2 "fermyon:spin/mysql@2.0.0"
#define RDBMS2 "fermyon:spin/rdbms-types@2.0.0"
#define MYSQL1 "fermyon:spin/mysql"
#define RDBMS1 "fermyon:spin/rdbms-types"

struct spinapi_mysql {
    spinapi_conn_link link; /* in ctx->mysql_open */
    spinapi_mysql_conn *conn;
    spinapi_ctx *ctx;
    pthread_mutex_t lock; /* one statement at a time */
};

static void mysql_free(struct spinapi_mysql *p)
{
    spinapi_conn_link_remove(&p->link);
    spinapi_mysql_disconnect(p->conn);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

static void mysql_dtor(uintptr_t rep)
{
    if (rep)
        mysql_free((struct spinapi_mysql *)rep);
}

void spinapi_mysql_close_all(spinapi_ctx *ctx)
{
    while (ctx->mysql_open)
        mysql_free(SPINAPI_CONN_OF(ctx->mysql_open, struct spinapi_mysql));
}

/* Opens a connection for ctx: the handle, or NULL with msg. */
static struct spinapi_mysql *mysql_open(spinapi_ctx *ctx, const char *address, size_t len,
                                        char *msg, size_t size)
{
    if (spinapi_conn_link_count(ctx->mysql_open) >= SPINAPI_MYSQL_MAX_CONNECTIONS)
        return snprintf(msg, size, "too many connections"), NULL;
    spinapi_mysql_conn *conn = NULL;
    if (spinapi_mysql_connect(ctx->c, ctx->deadline_ns, address, len, &conn, msg, size) < 0)
        return NULL;
    struct spinapi_mysql *p = util_xcalloc(1, sizeof(*p));
    p->conn = conn;
    p->ctx = ctx;
    pthread_mutex_init(&p->lock, NULL);
    spinapi_conn_link_add(&ctx->mysql_open, &p->link);
    return p;
}

/* ---- values ------------------------------------------------------------------ */

/* The guest's parameter-values as the client takes them (pointing into
 * the call's memory); NULL only when that memory ran out. */
static spinapi_rdbms_value *params_of(component_call *call, const component_val *list)
{
    size_t n = list->of.list.n;
    spinapi_rdbms_value *out = component_call_alloc(call, (n ? n : 1) * sizeof(*out));
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const component_val *v = &list->of.list.items[i];
        const component_val *p = v->of.variant.payload;
        spinapi_rdbms_value *o = &out[i];
        memset(o, 0, sizeof(*o));
        o->kind = v->of.variant.disc <= SPINAPI_RDBMS_DB_NULL ? (spinapi_rdbms_kind)v->of.variant.disc
                                                              : SPINAPI_RDBMS_DB_NULL;
        switch (o->kind) {
        case SPINAPI_RDBMS_BOOLEAN: o->of.b = p->of.b; break;
        case SPINAPI_RDBMS_INT8: case SPINAPI_RDBMS_INT16: case SPINAPI_RDBMS_INT32:
        case SPINAPI_RDBMS_INT64: o->of.s = p->of.s; break;
        case SPINAPI_RDBMS_UINT8: case SPINAPI_RDBMS_UINT16: case SPINAPI_RDBMS_UINT32:
        case SPINAPI_RDBMS_UINT64: o->of.u = p->of.u; break;
        case SPINAPI_RDBMS_FLOATING32: o->of.f32 = p->of.f32; break;
        case SPINAPI_RDBMS_FLOATING64: o->of.f64 = p->of.f64; break;
        case SPINAPI_RDBMS_STR:
            o->of.bytes.ptr = (const uint8_t *)p->of.str.ptr, o->of.bytes.len = p->of.str.len;
            break;
        case SPINAPI_RDBMS_BINARY:
            if ((o->of.bytes.ptr = spinapi_list_bytes(call, p)) == NULL)
                return NULL;
            o->of.bytes.len = p->of.list.n;
            break;
        default: break;
        }
    }
    return out;
}

static const component_val_kind payload_kind[] = {
    [SPINAPI_RDBMS_BOOLEAN] = COMPONENT_VAL_BOOL, [SPINAPI_RDBMS_INT8] = COMPONENT_VAL_S8,
    [SPINAPI_RDBMS_INT16] = COMPONENT_VAL_S16,    [SPINAPI_RDBMS_INT32] = COMPONENT_VAL_S32,
    [SPINAPI_RDBMS_INT64] = COMPONENT_VAL_S64,    [SPINAPI_RDBMS_UINT8] = COMPONENT_VAL_U8,
    [SPINAPI_RDBMS_UINT16] = COMPONENT_VAL_U16,   [SPINAPI_RDBMS_UINT32] = COMPONENT_VAL_U32,
    [SPINAPI_RDBMS_UINT64] = COMPONENT_VAL_U64,   [SPINAPI_RDBMS_FLOATING32] = COMPONENT_VAL_F32,
    [SPINAPI_RDBMS_FLOATING64] = COMPONENT_VAL_F64,
};

/* One db-value in the call's memory; -1 when that memory ran out. */
static int db_value(component_call *call, const spinapi_rdbms_value *v, component_val *out)
{
    component_val *p = NULL;
    if (v->kind < SPINAPI_RDBMS_DB_NULL) {
        if ((p = component_call_vals(call, 1)) == NULL)
            return -1;
        p->kind = v->kind <= SPINAPI_RDBMS_FLOATING64 ? payload_kind[v->kind] : COMPONENT_VAL_LIST;
        switch (v->kind) {
        case SPINAPI_RDBMS_BOOLEAN: p->of.b = v->of.b; break;
        case SPINAPI_RDBMS_FLOATING32: p->of.f32 = v->of.f32; break;
        case SPINAPI_RDBMS_FLOATING64: p->of.f64 = v->of.f64; break;
        case SPINAPI_RDBMS_STR:
            if (spinapi_str_copy(call, v->of.bytes.ptr, v->of.bytes.len, p) < 0)
                return -1;
            break;
        case SPINAPI_RDBMS_BINARY: {
            uint8_t *b = component_call_alloc(call, v->of.bytes.len ? v->of.bytes.len : 1);
            if (b == NULL)
                return -1;
            memcpy(b, v->of.bytes.ptr, v->of.bytes.len);
            p->of.list = (__typeof__(p->of.list)){.raw = b, .n = v->of.bytes.len};
            break;
        }
        default:
            if (v->kind >= SPINAPI_RDBMS_UINT8)
                p->of.u = v->of.u;
            else
                p->of.s = v->of.s;
            break;
        }
    }
    *out = (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {v->kind, p}};
    return 0;
}

/* row-set{columns, rows} in the call's memory; -1 when it ran out. */
static int row_set(component_call *call, const spinapi_mysql_rows *rs, component_val *out)
{
    size_t nc = rs->ncols, nr = rs->nrows;
    component_val *fields = component_call_vals(call, 2);
    component_val *cols = component_call_vals(call, nc ? nc : 1);
    component_val *rows = component_call_vals(call, nr ? nr : 1);
    if (!fields || !cols || !rows)
        return -1;
    for (size_t c = 0; c < nc; c++) {
        component_val *col = component_call_vals(call, 2);
        if (col == NULL ||
            spinapi_str_copy(call, rs->names[c], strlen(rs->names[c]), &col[0]) < 0)
            return -1;
        col[1] = (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {rs->types[c], NULL}};
        cols[c] = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {col, 2}};
    }
    for (size_t r = 0; r < nr; r++) {
        component_val *vals = component_call_vals(call, nc ? nc : 1);
        if (vals == NULL)
            return -1;
        for (size_t c = 0; c < nc; c++)
            if (db_value(call, &rs->values[r * nc + c], &vals[c]) < 0)
                return -1;
        rows[r] = (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {.items = vals, .n = nc}};
    }
    fields[0] = (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {.items = cols, .n = nc}};
    fields[1] = (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {.items = rows, .n = nr}};
    *out = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {fields, 2}};
    return 0;
}

/* ---- the calls, shared by both versions ------------------------------------ */

/* err(<case>(msg)); v1 numbers the cases one further on. */
static int mysql_err(component_call *call, bool v1, int error_case, const char *msg,
                     component_val *out)
{
    return spinapi_err(call, (uint32_t)error_case + (v1 ? 1 : 0), msg, out);
}

/* Runs a statement on p: ok(row-set) / ok(unit), or the error value. */
static int run(component_call *call, bool v1, struct spinapi_mysql *p, const component_val *sql,
               const component_val *params, bool query, component_val *result)
{
    spinapi_rdbms_value *ps = params_of(call, params);
    if (ps == NULL)
        return component_call_trap(call, "mysql: out of call memory");
    char msg[1024];
    int error_case = 0;
    spinapi_mysql_rows rows;
    pthread_mutex_lock(&p->lock);
    int rc = spinapi_mysql_run(p->conn, p->ctx->deadline_ns, sql->of.str.ptr, sql->of.str.len,
                               ps, params->of.list.n, query ? &rows : NULL, &error_case, msg,
                               sizeof(msg));
    pthread_mutex_unlock(&p->lock);
    if (rc < 0)
        return mysql_err(call, v1, error_case, msg, result);
    if (!query)
        return spinapi_variant(call, 0, NULL, result);
    component_val set;
    rc = row_set(call, &rows, &set);
    spinapi_mysql_rows_clear(&rows);
    if (rc < 0)
        return mysql_err(call, v1, SPINAPI_RDBMS_OTHER_ERROR,
                         "the query result is too large for the host", result);
    return spinapi_variant(call, 0, &set, result);
}

static int open2(component_call *call, void *env, const component_val *args, size_t nargs,
                 component_val *result)
{
    (void)nargs;
    const spinapi_host *h = env;
    char msg[1024];
    spinapi_ctx *ctx = spinapi_host_ctx(h, call);
    struct spinapi_mysql *p =
        mysql_open(ctx, args[0].of.str.ptr, args[0].of.str.len, msg, sizeof(msg));
    if (p == NULL)
        return mysql_err(call, false, SPINAPI_RDBMS_CONNECTION_FAILED, msg, result);
    component_val own = spinapi_own(h->mysql2, p);
    return spinapi_variant(call, 0, &own, result);
}

static int query2(component_call *call, void *env, const component_val *args, size_t nargs,
                  component_val *result)
{
    (void)env, (void)nargs;
    return run(call, false, (struct spinapi_mysql *)args[0].of.resource.rep, &args[1], &args[2],
               true, result);
}

static int execute2(component_call *call, void *env, const component_val *args, size_t nargs,
                    component_val *result)
{
    (void)env, (void)nargs;
    return run(call, false, (struct spinapi_mysql *)args[0].of.resource.rep, &args[1], &args[2],
               false, result);
}

/* Spin 1: a connection for the one call, closed after it. */
static int oneshot1(component_call *call, const spinapi_host *h, const component_val *args,
                    bool query, component_val *result)
{
    char msg[1024];
    spinapi_ctx *ctx = spinapi_host_ctx(h, call);
    struct spinapi_mysql *p =
        mysql_open(ctx, args[0].of.str.ptr, args[0].of.str.len, msg, sizeof(msg));
    if (p == NULL)
        return mysql_err(call, true, SPINAPI_RDBMS_CONNECTION_FAILED, msg, result);
    int rc = run(call, true, p, &args[1], &args[2], query, result);
    mysql_free(p);
    return rc;
}

static int query1(component_call *call, void *env, const component_val *args, size_t nargs,
                  component_val *result)
{
    (void)nargs;
    return oneshot1(call, env, args, true, result);
}

static int execute1(component_call *call, void *env, const component_val *args, size_t nargs,
                    component_val *result)
{
    (void)nargs;
    return oneshot1(call, env, args, false, result);
}

/* ---- registration --------------------------------------------------------------- */

#define ERROR2 SPINAPI_RDBMS2_ERROR
#define ERROR1 SPINAPI_RDBMS1_ERROR
#define CONN "self: borrow<connection>"
#define PARAMS "params: list<parameter-value>"

static const spinapi_func mysql2_funcs[] = {
    {"[static]connection.open", "func(address: string) -> result<own<connection>, error>",
     open2},
    {"[method]connection.query",
     "func(" CONN ", statement: string, " PARAMS ") -> result<row-set, error>", query2},
    {"[method]connection.execute",
     "func(" CONN ", statement: string, " PARAMS ") -> result<_, error>", execute2},
};

static const spinapi_func mysql1_funcs[] = {
    {"query", "func(address: string, statement: string, " PARAMS
              ") -> result<row-set, mysql-error>", query1},
    {"execute", "func(address: string, statement: string, " PARAMS
                ") -> result<_, mysql-error>", execute1},
};

int spinapi_define_mysql(component_linker *l, spinapi_host *h, util_error **err)
{
    /* The rdbms-types interfaces hold the types; mysql `use`s them. */
    if (spinapi_define_rdbms2_types(l, RDBMS2, err) < 0 ||
        component_linker_define_type(l, RDBMS2, "error", ERROR2, err) < 0 ||
        spinapi_define_rdbms2_types(l, MYSQL2, err) < 0 ||
        component_linker_define_type(l, MYSQL2, "error", ERROR2, err) < 0)
        return -1;
    h->mysql2 = component_linker_define_resource(l, MYSQL2, "connection", mysql_dtor, err);
    if (h->mysql2 == NULL ||
        spinapi_define_funcs(l, MYSQL2, mysql2_funcs, UTIL_ARRAY_LEN(mysql2_funcs), h, err) < 0)
        return -1;
    if (spinapi_define_rdbms2_types(l, RDBMS1, err) < 0 ||
        spinapi_define_rdbms2_types(l, MYSQL1, err) < 0 ||
        component_linker_define_type(l, MYSQL1, "mysql-error", ERROR1, err) < 0 ||
        spinapi_define_funcs(l, MYSQL1, mysql1_funcs, UTIL_ARRAY_LEN(mysql1_funcs), h, err) < 0)
        return -1;
    return 0;
}
