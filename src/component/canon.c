/*
 * canon.c - the canonical definitions (section 8): lift, lower, the
 * resource built-ins, and the async, stream/future, error-context and
 * thread built-ins of the newer format.
 *
 * One table gives each opcode its name and the immediates that follow it,
 * so decoding and naming cannot drift apart; a new built-in is one row.
 * The slice decodes and index-checks them all and keeps them, though only
 * lift, lower and resource.new/drop/rep are what WASI 0.2 components use;
 * an opcode not in the table is refused by number.
 */
#include "component_internal.h"

#include <string.h>

/* Immediates, in order: T type index, O canon options, R result list,
 * V core valtype + slot, A async flag, C cancellable flag, M core memory,
 * Y core type index, B core table, S shared flag. */
typedef struct {
    uint8_t op;
    const char *name;
    const char *imm;
} canon_row;

static const canon_row CANON_TABLE[] = {
    {0x00, "lift", ""}, /* read by read_lift */
    {0x01, "lower", ""}, /* read by read_lower */
    {0x02, "resource.new", "T"},
    {0x03, "resource.drop", "T"},
    {0x04, "resource.rep", "T"},
    {0x05, "task.cancel", ""},
    {0x06, "subtask.cancel", "A"},
    {0x09, "task.return", "RO"},
    {0x0a, "context.get", "V"},
    {0x0b, "context.set", "V"},
    {0x0c, "thread.yield", "C"},
    {0x0d, "subtask.drop", ""},
    {0x0e, "stream.new", "T"},
    {0x0f, "stream.read", "TO"},
    {0x10, "stream.write", "TO"},
    {0x11, "stream.cancel-read", "TA"},
    {0x12, "stream.cancel-write", "TA"},
    {0x13, "stream.drop-readable", "T"},
    {0x14, "stream.drop-writable", "T"},
    {0x15, "future.new", "T"},
    {0x16, "future.read", "TO"},
    {0x17, "future.write", "TO"},
    {0x18, "future.cancel-read", "TA"},
    {0x19, "future.cancel-write", "TA"},
    {0x1a, "future.drop-readable", "T"},
    {0x1b, "future.drop-writable", "T"},
    {0x1c, "error-context.new", "O"},
    {0x1d, "error-context.debug-message", "O"},
    {0x1e, "error-context.drop", ""},
    {0x1f, "waitable-set.new", ""},
    {0x20, "waitable-set.wait", "CM"},
    {0x21, "waitable-set.poll", "CM"},
    {0x22, "waitable-set.drop", ""},
    {0x23, "waitable.join", ""},
    {0x24, "backpressure.inc", ""},
    {0x25, "backpressure.dec", ""},
    {0x26, "thread.index", ""},
    {0x27, "thread.new-indirect", "YB"},
    {0x28, "thread.resume-later", ""},
    {0x29, "thread.suspend", "C"},
    {0x2a, "thread.suspend-then-resume", "C"},
    {0x2b, "thread.yield-then-resume", "C"},
    {0x2c, "thread.suspend-then-promote", "C"},
    {0x2d, "thread.yield-then-promote", "C"},
    {0x40, "thread.spawn-ref", "SY"},
    {0x41, "thread.spawn-indirect", "SYB"},
    {0x42, "thread.available-parallelism", "S"},
};

static const canon_row *canon_row_of(uint32_t op)
{
    for (size_t i = 0; i < UTIL_ARRAY_LEN(CANON_TABLE); i++)
        if (CANON_TABLE[i].op == op)
            return &CANON_TABLE[i];
    return NULL;
}

const char *component_canon_name(uint32_t kind)
{
    const canon_row *row = canon_row_of(kind);
    return row ? row->name : "unknown";
}

static int read_index(comp_reader *r, const comp_scope *s, component_sort sort, uint32_t *out)
{
    if (component_u32(r, out) < 0)
        return -1;
    return component_check_index(r, s, sort, *out);
}

static int read_flag(comp_reader *r, bool *out)
{
    uint8_t b;
    if (component_byte(r, &b) < 0)
        return -1;
    if (b > 1)
        return component_fail_at(r, r->pos - 1, "bad flag 0x%02x", b);
    *out = b;
    return 0;
}

static int read_opts(comp_reader *r, const comp_scope *s, component_canon *c)
{
    uint32_t n;
    bool seen[8] = {false};
    if (component_vec_count(r, 1, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t opt;
        size_t at = r->pos;
        if (component_byte(r, &opt) < 0)
            return -1;
        if (opt > 0x07)
            return component_fail_at(r, at, "unknown canon option 0x%02x", opt);
        uint8_t group = opt <= 0x02 ? 0 : opt; /* the encodings conflict with each other */
        if (seen[group])
            return component_fail_at(r, at, "duplicate or conflicting canon option 0x%02x", opt);
        seen[group] = true;
        switch (opt) {
        case 0x00: case 0x01: case 0x02:
            c->encoding = (component_string_encoding)opt;
            break;
        case 0x03:
            c->has_memory = true;
            if (read_index(r, s, COMPONENT_SORT_CORE_MEMORY, &c->memory) < 0)
                return -1;
            break;
        case 0x04:
            c->has_realloc = true;
            if (read_index(r, s, COMPONENT_SORT_CORE_FUNC, &c->realloc) < 0)
                return -1;
            break;
        case 0x05:
            c->has_post_return = true;
            if (read_index(r, s, COMPONENT_SORT_CORE_FUNC, &c->post_return) < 0)
                return -1;
            break;
        case 0x06:
            c->async = true;
            break;
        case 0x07:
            c->has_callback = true;
            if (read_index(r, s, COMPONENT_SORT_CORE_FUNC, &c->callback) < 0)
                return -1;
            break;
        }
    }
    return 0;
}

/* A type index that names a resource (new/drop/rep) or any type (the rest). */
static int read_canon_type(comp_reader *r, const comp_scope *s, component_canon *c)
{
    size_t at = r->pos;
    if (read_index(r, s, COMPONENT_SORT_TYPE, &c->type) < 0)
        return -1;
    if (c->kind > COMPONENT_CANON_RESOURCE_REP)
        return 0;
    component_type_kind k = component_scope_resolve(s, c->type)->kind;
    if (k == COMPONENT_TYPE_RESOURCE || k == COMPONENT_TYPE_IMPORT_SUB ||
        k == COMPONENT_TYPE_ALIAS || k == COMPONENT_TYPE_IMPORT_EQ)
        return 0;
    return component_fail_at(r, at, "%s of type %" PRIu32 ", which is not a resource",
                        component_canon_name(c->kind), c->type);
}

static int read_result_list(comp_reader *r, const comp_scope *s)
{
    uint8_t tag, zero;
    component_valtype v;
    if (component_byte(r, &tag) < 0)
        return -1;
    if (tag == 0x00)
        return component_read_valtype(r, s, &v);
    if (tag == 0x01 && component_byte(r, &zero) == 0 && zero == 0x00)
        return 0;
    return component_fail_at(r, r->pos - 1, "bad result list");
}

static int read_immediates(comp_reader *r, const comp_scope *s, const char *imm,
                           component_canon *c)
{
    uint8_t valtype;
    for (; *imm; imm++) {
        int rc = 0;
        switch (*imm) {
        case 'T': rc = read_canon_type(r, s, c); break;
        case 'O': rc = read_opts(r, s, c); break;
        case 'R': rc = read_result_list(r, s); break;
        case 'V':
            if (component_byte(r, &valtype) < 0 || component_u32(r, &c->imm) < 0)
                return -1;
            if (valtype != 0x7f)
                return component_fail(r, "context slot type 0x%02x is not i32", valtype);
            break;
        case 'A': rc = read_flag(r, &c->async); break;
        case 'C': rc = read_flag(r, &c->cancellable); break;
        case 'S': {
            bool shared;
            rc = read_flag(r, &shared);
            break;
        }
        case 'M':
            c->has_memory = true;
            rc = read_index(r, s, COMPONENT_SORT_CORE_MEMORY, &c->memory);
            break;
        case 'Y': rc = read_index(r, s, COMPONENT_SORT_CORE_TYPE, &c->type); break;
        case 'B': rc = read_index(r, s, COMPONENT_SORT_CORE_TABLE, &c->imm); break;
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int expect_func_sort(comp_reader *r)
{
    uint8_t b;
    if (component_byte(r, &b) < 0)
        return -1;
    return b == 0x00 ? 0 : component_fail_at(r, r->pos - 1, "expected 0x00 (func), found 0x%02x", b);
}

static int read_lift(comp_reader *r, comp_scope *s, component_canon *c)
{
    size_t at;
    if (expect_func_sort(r) < 0 || read_index(r, s, COMPONENT_SORT_CORE_FUNC, &c->func) < 0 ||
        read_opts(r, s, c) < 0)
        return -1;
    at = r->pos;
    if (read_index(r, s, COMPONENT_SORT_TYPE, &c->type) < 0)
        return -1;
    component_type_kind k = component_scope_resolve(s, c->type)->kind;
    if (k != COMPONENT_TYPE_FUNC && k != COMPONENT_TYPE_ALIAS && k != COMPONENT_TYPE_IMPORT_EQ)
        return component_fail_at(r, at, "lift to type %" PRIu32 ", which is not a function type",
                            c->type);
    c->result = s->counts[COMPONENT_SORT_FUNC]++;
    return 0;
}

int component_read_canon(comp_reader *r, comp_scope *s, component_canon *c)
{
    uint8_t op;
    size_t at = r->pos;
    memset(c, 0, sizeof(*c));
    if (component_byte(r, &op) < 0)
        return -1;
    c->kind = op;
    if (op == COMPONENT_CANON_LIFT)
        return read_lift(r, s, c);
    if (op == COMPONENT_CANON_LOWER) {
        if (expect_func_sort(r) < 0 || read_index(r, s, COMPONENT_SORT_FUNC, &c->func) < 0 ||
            read_opts(r, s, c) < 0)
            return -1;
    } else {
        const canon_row *row = canon_row_of(op);
        if (!row)
            return component_fail_at(r, at, "unknown canon 0x%02x", op);
        if (read_immediates(r, s, row->imm, c) < 0)
            return -1;
    }
    c->result = s->counts[COMPONENT_SORT_CORE_FUNC]++;
    return 0;
}
