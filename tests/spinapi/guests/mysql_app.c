/*
 * mysql_app.c - a wasi:http component that uses fermyon:spin/mysql@2.0.0
 * (for tests/spinapi/test_up_rdbms.py), in C against the canonical ABI.
 * On each request it opens the Spin variable `db_url`, creates the table
 * pets if needed, inserts a row with one parameter of each kind it
 * stores (int32, str, floating64, binary, db-null), reads it back by a
 * str parameter and answers with what came back:
 *   rows=<n>
 *   id=7 name=Rover weight_x10=125 photo=<bytes> owner=null
 *   types=<the columns' db-data-type cases>
 *   denied: <error case> <text>    opening a host it may not reach
 *   bad sql: <error case>          a statement the server rejects
 * or "open: <case> <text>" when db_url does not open.
 */
#include "http_guest.h"

#define MY(name) __attribute__((import_module("fermyon:spin/mysql@2.0.0"), import_name(name)))
MY("[static]connection.open") void my_open(const char *addr, size_t len, void *ret);
MY("[method]connection.query")
void my_query(int32_t self, const char *sql, size_t len, const void *params, size_t n, void *ret);
MY("[method]connection.execute")
void my_execute(int32_t self, const char *sql, size_t len, const void *params, size_t n,
                void *ret);
MY("[resource-drop]connection") void my_drop(int32_t self);

/* parameter-value and db-value: the case, then the payload at offset 8. */
enum { INT32 = 3, FLOATING64 = 10, STR = 11, BINARY = 12, DB_NULL = 13 };
struct value {
    uint8_t tag;
    _Alignas(8) union {
        int32_t i32;
        int64_t i64;
        double f64;
        struct {
            const void *ptr;
            size_t len;
        } bytes;
    } u;
};
_Static_assert(sizeof(struct value) == 16, "db-value is 16 bytes");

struct column {
    const char *name;
    size_t name_len;
    uint8_t type;
};
struct row {
    const struct value *values;
    size_t n;
};
struct query_result {
    uint8_t is_err;
    union {
        struct {
            const struct column *columns;
            size_t ncolumns;
            const struct row *rows;
            size_t nrows;
        } ok;
        struct error_string err;
    } u;
};
struct unit_result {
    uint8_t is_err;
    struct error_string err;
};
struct open_result {
    uint8_t is_err;
    union {
        int32_t handle;
        struct error_string err;
    } u;
};

static struct value str_value(const char *s)
{
    return (struct value){.tag = STR, .u.bytes = {s, cstrlen(s)}};
}

static void exec(int32_t c, const char *sql, const struct value *p, size_t n)
{
    struct unit_result r;
    my_execute(c, sql, cstrlen(sql), p, n, &r);
    if (r.is_err) {
        append_str("execute failed: ");
        append(r.err.ptr, r.err.len);
        append_str("\n");
    }
}

static void show_row(const struct row *row)
{
    const struct value *v = row->values;
    append_str("id=");
    append_num(v[0].u.i32);
    append_str(" name=");
    append(v[1].u.bytes.ptr, v[1].u.bytes.len);
    append_str(" weight_x10=");
    append_num((int64_t)(v[2].u.f64 * 10));
    append_str(" photo=");
    append_num((int64_t)v[3].u.bytes.len);
    append_str(v[4].tag == DB_NULL ? " owner=null\n" : " owner=SET\n");
}

static void run(void)
{
    size_t alen;
    const char *addr = variable("db_url", &alen);
    struct open_result o;
    my_open(addr, alen, &o);
    if (o.is_err) {
        append_str("open: ");
        append_num(o.u.err.tag);
        append_str(" ");
        append(o.u.err.ptr, o.u.err.len);
        append_str("\n");
        return;
    }
    int32_t c = o.u.handle;
    exec(c, "CREATE TABLE IF NOT EXISTS pets (id INT, name VARCHAR(50), weight DOUBLE,"
            " photo BLOB, owner TEXT)", 0, 0);
    static const uint8_t photo[] = {0, 1, 2};
    struct value p[5] = {{.tag = INT32, .u.i32 = 7}, str_value("Rover"),
                         {.tag = FLOATING64, .u.f64 = 12.5},
                         {.tag = BINARY, .u.bytes = {photo, sizeof photo}}, {.tag = DB_NULL}};
    exec(c, "INSERT INTO pets VALUES (?, ?, ?, ?, ?)", p, 5);
    struct query_result q;
    static const char select[] = "SELECT id, name, weight, photo, owner FROM pets WHERE name = ?";
    my_query(c, select, sizeof select - 1, &p[1], 1, &q);
    if (q.is_err) {
        append_str("query failed: ");
        append(q.u.err.ptr, q.u.err.len);
        append_str("\n");
    } else {
        append_str("rows=");
        append_num((int64_t)q.u.ok.nrows);
        append_str("\n");
        if (q.u.ok.nrows > 0)
            show_row(&q.u.ok.rows[0]);
        append_str("types=");
        for (size_t i = 0; i < q.u.ok.ncolumns; i++) {
            append_num(q.u.ok.columns[i].type);
            append_str(i + 1 < q.u.ok.ncolumns ? " " : "\n");
        }
    }
    my_query(c, "SELEKT", 6, 0, 0, &q);
    append_str("bad sql: ");
    append_num(q.is_err ? q.u.err.tag : -1);
    append_str("\n");
    my_drop(c);

    static const char denied[] = "mysql://spin:spin-pass@203.0.113.9/spin";
    my_open(denied, sizeof denied - 1, &o);
    append_str("denied: ");
    append_num(o.is_err ? o.u.err.tag : -1);
    append_str(" ");
    if (o.is_err)
        append(o.u.err.ptr, o.u.err.len);
    append_str("\n");
}

__attribute__((export_name("wasi:http/incoming-handler@0.2.12#handle"))) void
handle(int32_t req, int32_t outparam)
{
    req_drop(req);
    run();
    respond(outparam);
}
