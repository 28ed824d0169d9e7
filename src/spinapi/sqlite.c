/*
 * sqlite.c - SQL databases for components: fermyon:spin/sqlite@2.0.0 and
 * spin:sqlite/sqlite@3.0.0 (the same connection, plus last-insert-rowid
 * and changes), served from the component's SQLite backends as Spin's
 * factor-sqlite and sqlite-inproc serve them.
 *
 * open checks the label against the component's sqlite_databases
 * (access-denied), then finds its backend (no-such-database) and opens it.
 * execute prepares exactly one statement (more is an io error, as rusqlite
 * refuses them), binds the parameters by position and steps it to the end,
 * copying every row into the call's memory under the backend's mutex.
 * Every SQLite failure is io(<SQLite's message>).  A connection handle is
 * the backend itself: nothing per connection needs freeing, and the
 * backend lives as long as the component.
 */
#include "spinapi_internal.h"

#include <string.h>

enum { SQL_NO_SUCH_DATABASE, SQL_ACCESS_DENIED, SQL_INVALID_CONNECTION, SQL_DATABASE_FULL,
       SQL_IO };
enum { VAL_INTEGER, VAL_REAL, VAL_TEXT, VAL_BLOB, VAL_NULL };

int spinapi_sql_open(spinapi_ctx *ctx, const char *s, size_t n, spinapi_db **out,
                     util_error **err)
{
    spinapi_component *c = ctx->c;
    if (!spinapi_allowed(c->sql_allowed, c->nsql_allowed, s, n))
        return SPINAPI_OPEN_ACCESS_DENIED;
    spinapi_db *db = spinapi_db_find(c->sql, c->nsql, s, n);
    if (db == NULL)
        return SPINAPI_OPEN_NO_SUCH_STORE;
    if (spinapi_db_acquire(db, err) < 0)
        return SPINAPI_OPEN_FAILED;
    spinapi_db_release(db);
    *out = db;
    return SPINAPI_OPEN_OK;
}

static int open_connection(component_call *call, const spinapi_host *h,
                           component_resource_type *type, const component_val *label,
                           component_val *result)
{
    spinapi_db *db = NULL;
    util_error *err = NULL;
    switch (spinapi_sql_open(spinapi_host_ctx(h, call), label->of.str.ptr, label->of.str.len,
                             &db, &err)) {
    case SPINAPI_OPEN_ACCESS_DENIED:
        return spinapi_err(call, SQL_ACCESS_DENIED, NULL, result);
    case SPINAPI_OPEN_NO_SUCH_STORE:
        return spinapi_err(call, SQL_NO_SUCH_DATABASE, NULL, result);
    case SPINAPI_OPEN_FAILED: {
        int rc = spinapi_err(call, SQL_IO, err->msg, result);
        util_error_free(&err);
        return rc;
    }
    }
    component_val own = spinapi_own(type, db);
    return spinapi_variant(call, 0, &own, result);
}

static int open2(component_call *call, void *env, const component_val *args, size_t nargs,
                 component_val *result)
{
    const spinapi_host *h = env;
    return open_connection(call, h, h->connection2, &args[0], result);
}

static int open3(component_call *call, void *env, const component_val *args, size_t nargs,
                 component_val *result)
{
    const spinapi_host *h = env;
    return open_connection(call, h, h->connection3, &args[0], result);
}

static int bind_params(sqlite3_stmt *st, const component_val *params, size_t n,
                       component_call *call)
{
    for (size_t i = 0; i < n; i++) {
        const component_val *v = &params[i];
        const component_val *p = v->of.variant.payload;
        int idx = (int)i + 1, rc;
        switch (v->of.variant.disc) {
        case VAL_INTEGER:
            rc = sqlite3_bind_int64(st, idx, p->of.s);
            break;
        case VAL_REAL:
            rc = sqlite3_bind_double(st, idx, p->of.f64);
            break;
        case VAL_TEXT:
            rc = sqlite3_bind_text64(st, idx, p->of.str.len ? p->of.str.ptr : "",
                                     p->of.str.len, SQLITE_STATIC, SQLITE_UTF8);
            break;
        case VAL_BLOB: {
            const uint8_t *b = spinapi_list_bytes(call, p);
            if (b == NULL)
                return SQLITE_NOMEM;
            rc = sqlite3_bind_blob64(st, idx, p->of.list.n ? (const void *)b : "",
                                     p->of.list.n, SQLITE_STATIC);
            break;
        }
        default:
            rc = sqlite3_bind_null(st, idx);
            break;
        }
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

/* One column of the current row as a value variant. */
static int column_value(component_call *call, sqlite3_stmt *st, int col, component_val *out)
{
    component_val p;
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_INTEGER:
        p = (component_val){.kind = COMPONENT_VAL_S64, .of.s = sqlite3_column_int64(st, col)};
        return spinapi_variant(call, VAL_INTEGER, &p, out);
    case SQLITE_FLOAT:
        p = (component_val){.kind = COMPONENT_VAL_F64, .of.f64 = sqlite3_column_double(st, col)};
        return spinapi_variant(call, VAL_REAL, &p, out);
    case SQLITE_TEXT: {
        const unsigned char *t = sqlite3_column_text(st, col);
        if (spinapi_str_copy(call, t, (size_t)sqlite3_column_bytes(st, col), &p) < 0)
            return -1;
        return spinapi_variant(call, VAL_TEXT, &p, out);
    }
    case SQLITE_BLOB: {
        size_t n = (size_t)sqlite3_column_bytes(st, col);
        uint8_t *b = component_call_alloc(call, n ? n : 1);
        if (b == NULL)
            return -1;
        if (n)
            memcpy(b, sqlite3_column_blob(st, col), n);
        p = (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {.raw = b, .n = n}};
        return spinapi_variant(call, VAL_BLOB, &p, out);
    }
    default:
        *out = (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {VAL_NULL, NULL}};
        return 0;
    }
}

/* Steps st to the end, building query-result{columns, rows}.  Returns the
 * SQLite result code (SQLITE_DONE on success) or -1 when the call's memory
 * ran out. */
static int collect_rows(component_call *call, sqlite3_stmt *st, component_val *out)
{
    int ncol = sqlite3_column_count(st);
    component_val *fields = component_call_vals(call, 2);
    component_val *cols = component_call_vals(call, ncol ? (size_t)ncol : 1);
    if (fields == NULL || cols == NULL)
        return -1;
    for (int i = 0; i < ncol; i++) {
        const char *name = sqlite3_column_name(st, i);
        if (spinapi_str_copy(call, name ? name : "", name ? strlen(name) : 0, &cols[i]) < 0)
            return -1;
    }
    size_t nrows = 0, cap = 0;
    component_val *rows = NULL;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (nrows == cap) {
            cap = cap ? 2 * cap : 16;
            component_val *bigger = component_call_vals(call, cap);
            if (bigger == NULL)
                return -1;
            if (nrows)
                memcpy(bigger, rows, nrows * sizeof(*rows));
            rows = bigger;
        }
        component_val *values = component_call_vals(call, ncol ? (size_t)ncol : 1);
        component_val *record = component_call_vals(call, 1);
        if (values == NULL || record == NULL)
            return -1;
        for (int i = 0; i < ncol; i++)
            if (column_value(call, st, i, &values[i]) < 0)
                return -1;
        *record = (component_val){.kind = COMPONENT_VAL_LIST,
                                  .of.list = {.items = values, .n = (size_t)ncol}};
        rows[nrows++] = (component_val){.kind = COMPONENT_VAL_RECORD,
                                        .of.record = {record, 1}};
    }
    if (rows == NULL && (rows = component_call_vals(call, 1)) == NULL)
        return -1;
    fields[0] = (component_val){.kind = COMPONENT_VAL_LIST,
                                .of.list = {.items = cols, .n = (size_t)ncol}};
    fields[1] = (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {.items = rows, .n = nrows}};
    *out = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {fields, 2}};
    return rc;
}

/* Whether the text after the first statement holds another one (blanks,
 * semicolons and comments do not count: SQLite prepares them to nothing). */
static bool another_statement(sqlite3 *db, const char *tail, const char *end)
{
    if (tail == NULL || tail >= end)
        return false;
    sqlite3_stmt *next = NULL;
    const char *rest = NULL;
    int rc = sqlite3_prepare_v2(db, tail, (int)(end - tail), &next, &rest);
    sqlite3_finalize(next);
    /* A tail that does not even parse is a second statement too. */
    return rc != SQLITE_OK || next != NULL;
}

/* The error of a failed statement: database-full for SQLITE_FULL, else
 * io with SQLite's message. */
static int sql_failure(component_call *call, sqlite3 *db, int rc, component_val *result)
{
    if (rc == SQLITE_FULL)
        return spinapi_err(call, SQL_DATABASE_FULL, NULL, result);
    return spinapi_err(call, SQL_IO, sqlite3_errmsg(db), result);
}

static int execute_locked(component_call *call, spinapi_db *d, const component_val *statement,
                          const component_val *params, component_val *result)
{
    const char *sql = statement->of.str.ptr;
    size_t len = statement->of.str.len;
    const char *tail = NULL;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(d->db, len ? sql : "", (int)len, &st, &tail);
    if (rc != SQLITE_OK)
        return sql_failure(call, d->db, rc, result);
    if (st != NULL && another_statement(d->db, tail, sql + len)) {
        sqlite3_finalize(st);
        return spinapi_err(call, SQL_IO, "Multiple statements provided", result);
    }
    size_t nparams = params->of.list.n;
    int wanted = st ? sqlite3_bind_parameter_count(st) : 0;
    if ((size_t)wanted != nparams) {
        char msg[96];
        snprintf(msg, sizeof(msg), "Wrong number of parameters passed to query. Got %zu, needed %d",
                 nparams, wanted);
        sqlite3_finalize(st);
        return spinapi_err(call, SQL_IO, msg, result);
    }
    component_val qr;
    if (st == NULL) { /* only blanks or a comment: no statement, no rows */
        component_val *fields = component_call_vals(call, 2);
        if (fields == NULL)
            return component_call_trap(call, "execute: out of call memory");
        fields[0] = fields[1] = (component_val){.kind = COMPONENT_VAL_LIST,
                                                .of.list = {.items = fields, .n = 0}};
        qr = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {fields, 2}};
        return spinapi_variant(call, 0, &qr, result);
    }
    rc = bind_params(st, params->of.list.items, nparams, call);
    if (rc == SQLITE_OK)
        rc = collect_rows(call, st, &qr);
    if (rc == -1 || rc == SQLITE_NOMEM) {
        sqlite3_finalize(st);
        return spinapi_err(call, SQL_IO, "the query result is too large for the host", result);
    }
    if (rc != SQLITE_DONE) {
        int out = sql_failure(call, d->db, rc, result);
        sqlite3_finalize(st);
        return out;
    }
    sqlite3_finalize(st);
    return spinapi_variant(call, 0, &qr, result);
}

/* SQLite's progress handler: non-zero stops the statement (SQLITE_INTERRUPT). */
static int past_deadline(void *deadline)
{
    return util_monotonic_ns() >= *(const uint64_t *)deadline;
}

int spinapi_sql_execute(component_call *call, const spinapi_ctx *ctx, spinapi_db *d,
                        const component_val *statement, const component_val *params,
                        component_val *result)
{
    util_error *err = NULL;
    if (spinapi_db_acquire(d, &err) < 0) {
        int rc = spinapi_err(call, SQL_IO, err->msg, result);
        util_error_free(&err);
        return rc;
    }
    /* The connection is shared: the handler is this call's, under the lock. */
    uint64_t deadline = ctx->deadline_ns;
    if (deadline)
        sqlite3_progress_handler(d->db, 1000, past_deadline, &deadline);
    int rc = execute_locked(call, d, statement, params, result);
    if (deadline)
        sqlite3_progress_handler(d->db, 0, NULL, NULL);
    spinapi_db_release(d);
    return rc;
}

static int execute(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    return spinapi_sql_execute(call, spinapi_host_ctx(env, call),
                               (spinapi_db *)args[0].of.resource.rep, &args[1], &args[2], result);
}

static int last_insert_rowid(component_call *call, void *env, const component_val *args,
                             size_t nargs, component_val *result)
{
    spinapi_db *d = (spinapi_db *)args[0].of.resource.rep;
    if (spinapi_db_acquire(d, NULL) < 0)
        return component_call_trap(call, "last-insert-rowid: database %s cannot be opened",
                                   d->label);
    *result = (component_val){.kind = COMPONENT_VAL_S64, .of.s = sqlite3_last_insert_rowid(d->db)};
    spinapi_db_release(d);
    return 0;
}

static int changes(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    spinapi_db *d = (spinapi_db *)args[0].of.resource.rep;
    if (spinapi_db_acquire(d, NULL) < 0)
        return component_call_trap(call, "changes: database %s cannot be opened", d->label);
    *result = (component_val){.kind = COMPONENT_VAL_U64,
                              .of.u = (uint64_t)sqlite3_changes64(d->db)};
    spinapi_db_release(d);
    return 0;
}

#define CONN "self: borrow<connection>"
#define EXECUTE_SIG                                                                             \
    "func(" CONN ", statement: string, parameters: list<value>) -> result<query-result, error>"

static const spinapi_func sqlite2_funcs[] = {
    {"[static]connection.open", "func(database: string) -> result<own<connection>, error>",
     open2},
    {"[method]connection.execute", EXECUTE_SIG, execute},
};

static const spinapi_func sqlite3_funcs[] = {
    {"[static]connection.open", "func(database: string) -> result<own<connection>, error>",
     open3},
    {"[method]connection.execute", EXECUTE_SIG, execute},
    {"[method]connection.last-insert-rowid", "func(" CONN ") -> s64", last_insert_rowid},
    {"[method]connection.changes", "func(" CONN ") -> u64", changes},
};

int spinapi_define_sqlite_types(component_linker *l, const char *iface, util_error **err)
{
    return component_linker_define_type(l, iface, "error",
                                        "variant{no-such-database, access-denied, "
                                        "invalid-connection, database-full, io(string)}",
                                        err) < 0 ||
                   component_linker_define_type(l, iface, "value",
                                                "variant{integer(s64), real(f64), text(string), "
                                                "blob(list<u8>), null}",
                                                err) < 0 ||
                   component_linker_define_type(l, iface, "row-result",
                                                "record{values: list<value>}", err) < 0 ||
                   component_linker_define_type(l, iface, "query-result",
                                                "record{columns: list<string>, "
                                                "rows: list<row-result>}",
                                                err) < 0
               ? -1
               : 0;
}

#define SPIN_SQLITE2 "fermyon:spin/sqlite@2.0.0"
#define SPIN_SQLITE3 "spin:sqlite/sqlite@3.0.0"

int spinapi_define_sqlite(component_linker *l, spinapi_host *h, util_error **err)
{
    /* The backend is the connection's rep and outlives it: no destructor. */
    h->connection2 = component_linker_define_resource(l, SPIN_SQLITE2, "connection", NULL, err);
    if (h->connection2 == NULL || spinapi_define_sqlite_types(l, SPIN_SQLITE2, err) < 0 ||
        spinapi_define_funcs(l, SPIN_SQLITE2, sqlite2_funcs, UTIL_ARRAY_LEN(sqlite2_funcs), h,
                             err) < 0)
        return -1;
    h->connection3 = component_linker_define_resource(l, SPIN_SQLITE3, "connection", NULL, err);
    if (h->connection3 == NULL || spinapi_define_sqlite_types(l, SPIN_SQLITE3, err) < 0 ||
        spinapi_define_funcs(l, SPIN_SQLITE3, sqlite3_funcs, UTIL_ARRAY_LEN(sqlite3_funcs), h,
                             err) < 0)
        return -1;
    return 0;
}
