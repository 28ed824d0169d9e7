/*
 * jco_support.c - what every fixture of the jco conformance runner uses:
 * failure recording, calls into an instance with post-return bookkeeping,
 * value builders and checks, and the small WASI 0.2.0 host that the
 * preview-1 adapter inside wit-bindgen's test components imports.
 *
 * The WASI host is deliberately tiny (the real one is src/wasi2): the
 * test components only print through it when a guest assertion fails, so
 * stdout and stderr are buffers in the fixture's context, and the guest's
 * panic message ends up in the FAIL line.  Everything else answers as a
 * sandbox with nothing in it: no preopens, no environment, no terminal.
 */
#include "jco_fixtures.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- failures ------------------------------------------------------------ */

static void set_why(jco_ctx *cx, const char *fmt, va_list ap)
{
    if (cx->why[0])
        return; /* the first failure is the one that explains */
    vsnprintf(cx->why, sizeof cx->why, fmt, ap);
}

int jco_fail(jco_ctx *cx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_why(cx, fmt, ap);
    va_end(ap);
    return -1;
}

int jco_host_fail(component_call *call, const char *fmt, ...)
{
    jco_ctx *cx = component_call_data(call);
    va_list ap;
    va_start(ap, fmt);
    set_why(cx, fmt, ap);
    va_end(ap);
    return component_call_trap(call, "host assertion failed: %s", cx->why);
}

/* ---- calls ----------------------------------------------------------------- */

/* The last line the guest wrote to stderr (a Rust panic message), for
 * failure messages; "" when it wrote nothing. */
static const char *stderr_tail(const jco_ctx *cx)
{
    if (!cx->err.data || cx->err.len == 0)
        return "";
    size_t end = cx->err.len;
    while (end > 0 && cx->err.data[end - 1] == '\n')
        end--;
    size_t start = end;
    while (start > 0 && cx->err.data[start - 1] != '\n')
        start--;
    if (end - start > 200)
        start = end - 200;
    static char tail[256];
    snprintf(tail, sizeof tail, " (guest stderr: %.*s)", (int)(end - start),
             cx->err.data + start);
    return tail;
}

static const char *result_kind_name(wasm_result_kind k)
{
    switch (k) {
    case WASM_OK: return "ok";
    case WASM_MALFORMED: return "malformed";
    case WASM_INVALID: return "invalid";
    case WASM_UNLINKABLE: return "unlinkable";
    case WASM_TRAP: return "trap";
    case WASM_EXIT: return "exit";
    case WASM_INTERRUPTED: return "interrupted";
    case WASM_RESOURCE: return "resource limit";
    }
    return "?";
}

int jco_finish_call(jco_ctx *cx)
{
    if (!cx->pending)
        return 0;
    const component_func *f = cx->pending;
    cx->pending = NULL;
    wasm_result res;
    wasm_result_init(&res);
    if (component_func_post_return(cx->inst, f, &res) != 0)
        return jco_fail(cx, "post-return: %s: %s", result_kind_name(res.kind), res.message);
    return 0;
}

static const component_func *find_export(jco_ctx *cx, const char *iface, const char *name)
{
    const component_func *f = component_instance_func(cx->inst, iface, name);
    if (!f)
        jco_fail(cx, "no export %s%s%s", iface ? iface : "", iface ? "#" : "", name);
    return f;
}

int jco_call(jco_ctx *cx, const char *iface, const char *name, const component_val *args,
             size_t nargs, component_val *result)
{
    if (jco_finish_call(cx) != 0)
        return -1;
    const component_func *f = find_export(cx, iface, name);
    if (!f)
        return -1;
    wasm_result res;
    wasm_result_init(&res);
    if (component_func_call(cx->inst, f, args, nargs, result, &res) != 0) {
        if (cx->why[0]) /* a host assertion made the guest trap */
            return -1;
        return jco_fail(cx, "call %s: %s: %s%s", name, result_kind_name(res.kind), res.message,
                        stderr_tail(cx));
    }
    if (cx->why[0]) /* a host function saw a wrong value but did not trap */
        return -1;
    cx->pending = f;
    return 0;
}

int jco_call_traps(jco_ctx *cx, const char *iface, const char *name,
                   const component_val *args, size_t nargs)
{
    if (jco_finish_call(cx) != 0)
        return -1;
    const component_func *f = find_export(cx, iface, name);
    if (!f)
        return -1;
    wasm_result res;
    wasm_result_init(&res);
    component_val result;
    if (component_func_call(cx->inst, f, args, nargs, &result, &res) == 0) {
        cx->pending = f;
        return jco_fail(cx, "call %s returned; it must trap", name);
    }
    return 0;
}

/* ---- values ---------------------------------------------------------------- */

component_val jv_bool(bool b)
{
    return (component_val){.kind = COMPONENT_VAL_BOOL, .of.b = b};
}

component_val jv_s(component_val_kind k, int64_t v)
{
    return (component_val){.kind = k, .of.s = v};
}

component_val jv_u(component_val_kind k, uint64_t v)
{
    return (component_val){.kind = k, .of.u = v};
}

component_val jv_f32(float f)
{
    return (component_val){.kind = COMPONENT_VAL_F32, .of.f32 = f};
}

component_val jv_f64(double d)
{
    return (component_val){.kind = COMPONENT_VAL_F64, .of.f64 = d};
}

component_val jv_char(uint32_t ch)
{
    return (component_val){.kind = COMPONENT_VAL_CHAR, .of.ch = ch};
}

component_val jv_str(const char *s)
{
    return (component_val){.kind = COMPONENT_VAL_STRING, .of.str = {s, strlen(s)}};
}

component_val jv_list(component_val *items, size_t n)
{
    return (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {items, NULL, n}};
}

component_val jv_raw(const void *raw, size_t n)
{
    return (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {NULL, raw, n}};
}

component_val jv_record(component_val *fields, size_t n)
{
    return (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {fields, n}};
}

component_val jv_variant(uint32_t disc, component_val *payload)
{
    return (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {disc, payload}};
}

component_val jv_flags(uint64_t bits)
{
    return (component_val){.kind = COMPONENT_VAL_FLAGS, .of.flags = bits};
}

static bool is_signed(component_val_kind k)
{
    return k == COMPONENT_VAL_S8 || k == COMPONENT_VAL_S16 || k == COMPONENT_VAL_S32 ||
           k == COMPONENT_VAL_S64;
}

bool jv_is_bool(const component_val *v, bool b)
{
    return v->kind == COMPONENT_VAL_BOOL && v->of.b == b;
}

bool jv_is_s(const component_val *v, component_val_kind k, int64_t x)
{
    return v->kind == k && v->of.s == x;
}

bool jv_is_u(const component_val *v, component_val_kind k, uint64_t x)
{
    return v->kind == k && v->of.u == x;
}

bool jv_is_str(const component_val *v, const char *s)
{
    size_t n = strlen(s);
    return v->kind == COMPONENT_VAL_STRING && v->of.str.len == n &&
           (n == 0 || memcmp(v->of.str.ptr, s, n) == 0);
}

uint64_t jv_list_bits(const component_val *v, size_t i, size_t size)
{
    if (v->kind != COMPONENT_VAL_LIST || i >= v->of.list.n)
        return UINT64_MAX;
    if (v->of.list.raw) {
        const uint8_t *p = (const uint8_t *)v->of.list.raw + i * size;
        uint64_t x = 0;
        for (size_t b = 0; b < size; b++)
            x |= (uint64_t)p[b] << (8 * b);
        return x;
    }
    const component_val *e = &v->of.list.items[i];
    uint64_t mask = size == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * size)) - 1;
    if (e->kind == COMPONENT_VAL_F32) {
        uint32_t bits;
        memcpy(&bits, &e->of.f32, 4);
        return bits;
    }
    if (e->kind == COMPONENT_VAL_F64) {
        uint64_t bits;
        memcpy(&bits, &e->of.f64, 8);
        return bits;
    }
    return (is_signed(e->kind) ? (uint64_t)e->of.s : e->of.u) & mask;
}

uint32_t jv_disc(const component_val *v)
{
    return v->kind == COMPONENT_VAL_VARIANT ? v->of.variant.disc : UINT32_MAX;
}

static bool list_equal(const component_val *a, const component_val *b, size_t esize)
{
    if (a->of.list.n != b->of.list.n)
        return false;
    if (a->of.list.raw || b->of.list.raw) {
        if (esize == 0)
            return false;
        for (size_t i = 0; i < a->of.list.n; i++)
            if (jv_list_bits(a, i, esize) != jv_list_bits(b, i, esize))
                return false;
        return true;
    }
    for (size_t i = 0; i < a->of.list.n; i++)
        if (!jv_equal(&a->of.list.items[i], &b->of.list.items[i], esize))
            return false;
    return true;
}

bool jv_equal(const component_val *a, const component_val *b, size_t raw_elem_size)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case COMPONENT_VAL_BOOL: return a->of.b == b->of.b;
    case COMPONENT_VAL_F32:
        return isnan(a->of.f32) ? isnan(b->of.f32) : a->of.f32 == b->of.f32;
    case COMPONENT_VAL_F64:
        return isnan(a->of.f64) ? isnan(b->of.f64) : a->of.f64 == b->of.f64;
    case COMPONENT_VAL_CHAR: return a->of.ch == b->of.ch;
    case COMPONENT_VAL_STRING:
        return a->of.str.len == b->of.str.len &&
               (a->of.str.len == 0 || memcmp(a->of.str.ptr, b->of.str.ptr, a->of.str.len) == 0);
    case COMPONENT_VAL_LIST: return list_equal(a, b, raw_elem_size);
    case COMPONENT_VAL_RECORD:
        if (a->of.record.n != b->of.record.n)
            return false;
        for (size_t i = 0; i < a->of.record.n; i++)
            if (!jv_equal(&a->of.record.fields[i], &b->of.record.fields[i], raw_elem_size))
                return false;
        return true;
    case COMPONENT_VAL_VARIANT:
        if (a->of.variant.disc != b->of.variant.disc ||
            !a->of.variant.payload != !b->of.variant.payload)
            return false;
        return !a->of.variant.payload ||
               jv_equal(a->of.variant.payload, b->of.variant.payload, raw_elem_size);
    case COMPONENT_VAL_FLAGS: return a->of.flags == b->of.flags;
    case COMPONENT_VAL_OWN:
    case COMPONENT_VAL_BORROW:
        return a->of.resource.type == b->of.resource.type &&
               a->of.resource.rep == b->of.resource.rep;
    default: return a->of.u == b->of.u; /* integers, as their 64-bit pattern */
    }
}

static bool dup_into(component_call *call, component_val *to, const component_val *v,
                     size_t esize)
{
    *to = *v;
    switch (v->kind) {
    case COMPONENT_VAL_STRING: {
        char *s = component_call_alloc(call, v->of.str.len + 1);
        if (!s)
            return false;
        if (v->of.str.len)
            memcpy(s, v->of.str.ptr, v->of.str.len);
        to->of.str.ptr = s;
        return true;
    }
    case COMPONENT_VAL_LIST:
        if (v->of.list.raw) {
            void *raw = component_call_alloc(call, v->of.list.n * esize + 1);
            if (!raw)
                return false;
            if (v->of.list.n)
                memcpy(raw, v->of.list.raw, v->of.list.n * esize);
            to->of.list.raw = raw;
            return true;
        }
        if (v->of.list.n == 0)
            return true;
        to->of.list.items = component_call_vals(call, v->of.list.n);
        if (!to->of.list.items)
            return false;
        for (size_t i = 0; i < v->of.list.n; i++)
            if (!dup_into(call, &to->of.list.items[i], &v->of.list.items[i], esize))
                return false;
        return true;
    case COMPONENT_VAL_RECORD:
        if (v->of.record.n == 0)
            return true;
        to->of.record.fields = component_call_vals(call, v->of.record.n);
        if (!to->of.record.fields)
            return false;
        for (size_t i = 0; i < v->of.record.n; i++)
            if (!dup_into(call, &to->of.record.fields[i], &v->of.record.fields[i], esize))
                return false;
        return true;
    case COMPONENT_VAL_VARIANT:
        if (!v->of.variant.payload)
            return true;
        to->of.variant.payload = component_call_vals(call, 1);
        return to->of.variant.payload &&
               dup_into(call, to->of.variant.payload, v->of.variant.payload, esize);
    default: return true;
    }
}

component_val *jv_dup(component_call *call, const component_val *v, size_t raw_elem_size)
{
    component_val *to = component_call_vals(call, 1);
    if (!to || !dup_into(call, to, v, raw_elem_size)) {
        component_call_trap(call, "out of call memory");
        return NULL;
    }
    return to;
}

const char *jv_describe(const component_val *v, char *buf, size_t cap)
{
    switch (v->kind) {
    case COMPONENT_VAL_BOOL: snprintf(buf, cap, "bool %d", v->of.b); break;
    case COMPONENT_VAL_S8: case COMPONENT_VAL_S16: case COMPONENT_VAL_S32:
    case COMPONENT_VAL_S64:
        snprintf(buf, cap, "s%" PRId64, v->of.s);
        break;
    case COMPONENT_VAL_U8: case COMPONENT_VAL_U16: case COMPONENT_VAL_U32:
    case COMPONENT_VAL_U64:
        snprintf(buf, cap, "u%" PRIu64, v->of.u);
        break;
    case COMPONENT_VAL_F32: snprintf(buf, cap, "f32 %g", (double)v->of.f32); break;
    case COMPONENT_VAL_F64: snprintf(buf, cap, "f64 %g", v->of.f64); break;
    case COMPONENT_VAL_CHAR: snprintf(buf, cap, "char U+%04" PRIX32, v->of.ch); break;
    case COMPONENT_VAL_STRING:
        snprintf(buf, cap, "\"%.*s\"", (int)(v->of.str.len > 80 ? 80 : v->of.str.len),
                 v->of.str.ptr);
        break;
    case COMPONENT_VAL_LIST: snprintf(buf, cap, "list of %zu", v->of.list.n); break;
    case COMPONENT_VAL_RECORD: snprintf(buf, cap, "record of %zu", v->of.record.n); break;
    case COMPONENT_VAL_VARIANT:
        snprintf(buf, cap, "case %" PRIu32 "%s", v->of.variant.disc,
                 v->of.variant.payload ? " with payload" : "");
        break;
    case COMPONENT_VAL_FLAGS: snprintf(buf, cap, "flags 0x%" PRIx64, v->of.flags); break;
    case COMPONENT_VAL_OWN: snprintf(buf, cap, "own rep %" PRIuPTR, v->of.resource.rep); break;
    case COMPONENT_VAL_BORROW:
        snprintf(buf, cap, "borrow rep %" PRIuPTR, v->of.resource.rep);
        break;
    }
    return buf;
}

/* ---- host resource objects --------------------------------------------------- */

jco_obj *jco_obj_new(jco_ctx *cx, int64_t value)
{
    if (cx->nobjs == UTIL_ARRAY_LEN(cx->objs))
        return NULL;
    jco_obj *o = &cx->objs[cx->nobjs++];
    *o = (jco_obj){.cx = cx, .value = value};
    return o;
}

void jco_obj_dtor(uintptr_t rep)
{
    jco_obj *o = (jco_obj *)rep;
    o->drops++;
    o->cx->drops++;
}

jco_obj *jco_obj_of(jco_ctx *cx, const component_val *v, component_resource_type *type)
{
    if ((v->kind != COMPONENT_VAL_OWN && v->kind != COMPONENT_VAL_BORROW) ||
        v->of.resource.type != type)
        return NULL;
    for (size_t i = 0; i < cx->nobjs; i++)
        if ((uintptr_t)&cx->objs[i] == v->of.resource.rep)
            return &cx->objs[i];
    return NULL;
}

component_val jv_own(component_resource_type *type, uintptr_t rep)
{
    return (component_val){.kind = COMPONENT_VAL_OWN, .of.resource = {type, rep}};
}

component_val jv_borrow(component_resource_type *type, uintptr_t rep)
{
    return (component_val){.kind = COMPONENT_VAL_BORROW, .of.resource = {type, rep}};
}

/* ---- the WASI subset ------------------------------------------------------ */

#define IO_ERROR "wasi:io/error@0.2.0"
#define IO_STREAMS "wasi:io/streams@0.2.0"
#define FS_TYPES "wasi:filesystem/types@0.2.0"

/* Stream reps: which buffer an output-stream writes to. */
enum { STREAM_STDIN = 1, STREAM_STDOUT = 2, STREAM_STDERR = 3 };

static int ok_unit(component_val *result)
{
    *result = jv_variant(0, NULL);
    return 0;
}

static int stream_write(component_call *call, void *env, const component_val *args,
                        size_t nargs, component_val *result)
{
    (void)env, (void)nargs;
    jco_ctx *cx = component_call_data(call);
    util_buf *to = args[0].of.resource.rep == STREAM_STDERR ? &cx->err : &cx->out;
    const component_val *bytes = &args[1];
    if (bytes->of.list.raw) {
        util_buf_append(to, bytes->of.list.raw, bytes->of.list.n);
    } else {
        for (size_t i = 0; i < bytes->of.list.n; i++) {
            char c = (char)bytes->of.list.items[i].of.u;
            util_buf_append(to, &c, 1);
        }
    }
    return ok_unit(result);
}

static int stream_check_write(component_call *call, void *env, const component_val *args,
                              size_t nargs, component_val *result)
{
    (void)env, (void)args, (void)nargs;
    component_val *n = component_call_vals(call, 1);
    if (!n)
        return component_call_trap(call, "out of call memory");
    *n = jv_u(COMPONENT_VAL_U64, 4096);
    *result = jv_variant(0, n);
    return 0;
}

static int stream_flush(component_call *call, void *env, const component_val *args,
                        size_t nargs, component_val *result)
{
    (void)call, (void)env, (void)args, (void)nargs;
    return ok_unit(result);
}

static int get_stream(component_call *call, component_val *result,
                      component_resource_type *type, uintptr_t rep)
{
    (void)call;
    *result = (component_val){.kind = COMPONENT_VAL_OWN, .of.resource = {type, rep}};
    return 0;
}

/* `env` of the three: the stream's resource type. */
static int get_stdin(component_call *call, void *env, const component_val *args, size_t nargs,
                     component_val *result)
{
    (void)args, (void)nargs;
    return get_stream(call, result, env, STREAM_STDIN);
}

static int get_stdout(component_call *call, void *env, const component_val *args,
                      size_t nargs, component_val *result)
{
    (void)args, (void)nargs;
    return get_stream(call, result, env, STREAM_STDOUT);
}

static int get_stderr(component_call *call, void *env, const component_val *args,
                      size_t nargs, component_val *result)
{
    (void)args, (void)nargs;
    return get_stream(call, result, env, STREAM_STDERR);
}

/* Functions that answer "nothing": none for terminals and error codes,
 * an empty list for preopens and the environment. */
static int answer_none(component_call *call, void *env, const component_val *args,
                       size_t nargs, component_val *result)
{
    (void)call, (void)env, (void)args, (void)nargs;
    *result = jv_variant(0, NULL);
    return 0;
}

static int answer_empty_list(component_call *call, void *env, const component_val *args,
                             size_t nargs, component_val *result)
{
    (void)call, (void)env, (void)args, (void)nargs;
    *result = jv_list(NULL, 0);
    return 0;
}

/* Descriptor methods: there are no descriptors (no preopens), so any call
 * is the adapter's mistake; answer bad-descriptor (case 3 of error-code). */
static int answer_bad_descriptor(component_call *call, void *env, const component_val *args,
                                 size_t nargs, component_val *result)
{
    (void)env, (void)args, (void)nargs;
    component_val *code = component_call_vals(call, 1);
    if (!code)
        return component_call_trap(call, "out of call memory");
    *code = jv_variant(3, NULL);
    *result = jv_variant(1, code);
    return 0;
}

static int cli_exit(component_call *call, void *env, const component_val *args, size_t nargs,
                    component_val *result)
{
    (void)env, (void)nargs, (void)result;
    return component_call_exit(call, args[0].of.variant.disc == 0 ? 0 : 1);
}

typedef struct wasi_func {
    const char *iface, *name, *sig;
    component_host_fn fn;
    int env; /* ENV_OUT / ENV_IN: the function's env is that stream type */
} wasi_func;

enum { ENV_NONE, ENV_OUT, ENV_IN };

static const wasi_func wasi_funcs[] = {
    {IO_STREAMS, "[method]output-stream.check-write",
     "func(self: borrow<output-stream>) -> result<u64, stream-error>", stream_check_write, ENV_NONE},
    {IO_STREAMS, "[method]output-stream.write",
     "func(self: borrow<output-stream>, contents: list<u8>) -> result<_, stream-error>",
     stream_write, ENV_NONE},
    {IO_STREAMS, "[method]output-stream.blocking-write-and-flush",
     "func(self: borrow<output-stream>, contents: list<u8>) -> result<_, stream-error>",
     stream_write, ENV_NONE},
    {IO_STREAMS, "[method]output-stream.blocking-flush",
     "func(self: borrow<output-stream>) -> result<_, stream-error>", stream_flush, ENV_NONE},
    {"wasi:cli/stdin@0.2.0", "get-stdin", "func() -> own<input-stream>", get_stdin, ENV_IN},
    {"wasi:cli/stdout@0.2.0", "get-stdout", "func() -> own<output-stream>", get_stdout, ENV_OUT},
    {"wasi:cli/stderr@0.2.0", "get-stderr", "func() -> own<output-stream>", get_stderr, ENV_OUT},
    {"wasi:cli/terminal-stdin@0.2.0", "get-terminal-stdin",
     "func() -> option<own<terminal-input>>", answer_none, ENV_NONE},
    {"wasi:cli/terminal-stdout@0.2.0", "get-terminal-stdout",
     "func() -> option<own<terminal-output>>", answer_none, ENV_NONE},
    {"wasi:cli/terminal-stderr@0.2.0", "get-terminal-stderr",
     "func() -> option<own<terminal-output>>", answer_none, ENV_NONE},
    {"wasi:cli/environment@0.2.0", "get-environment", "func() -> list<tuple<string, string>>",
     answer_empty_list, ENV_NONE},
    {"wasi:cli/exit@0.2.0", "exit", "func(status: result)", cli_exit, ENV_NONE},
    {"wasi:filesystem/preopens@0.2.0", "get-directories",
     "func() -> list<tuple<own<descriptor>, string>>", answer_empty_list, ENV_NONE},
    {FS_TYPES, "[method]descriptor.write-via-stream",
     "func(self: borrow<descriptor>, offset: filesize) -> result<own<output-stream>, error-code>",
     answer_bad_descriptor, ENV_NONE},
    {FS_TYPES, "[method]descriptor.append-via-stream",
     "func(self: borrow<descriptor>) -> result<own<output-stream>, error-code>",
     answer_bad_descriptor, ENV_NONE},
    {FS_TYPES, "[method]descriptor.get-flags",
     "func(self: borrow<descriptor>) -> result<descriptor-flags, error-code>",
     answer_bad_descriptor, ENV_NONE},
    {FS_TYPES, "[method]descriptor.get-type",
     "func(self: borrow<descriptor>) -> result<descriptor-type, error-code>",
     answer_bad_descriptor, ENV_NONE},
    {FS_TYPES, "[method]descriptor.stat",
     "func(self: borrow<descriptor>) -> result<descriptor-stat, error-code>",
     answer_bad_descriptor, ENV_NONE},
    {FS_TYPES, "filesystem-error-code", "func(err: borrow<error>) -> option<error-code>",
     answer_none, ENV_NONE},
};

typedef struct wasi_type {
    const char *iface, *name, *text;
} wasi_type;

static const wasi_type wasi_types[] = {
    {IO_STREAMS, "stream-error", "variant{last-operation-failed(own<error>), closed}"},
    {"wasi:clocks/wall-clock@0.2.0", "datetime", "record{seconds: u64, nanoseconds: u32}"},
    {FS_TYPES, "filesize", "u64"},
    {FS_TYPES, "link-count", "u64"},
    {FS_TYPES, "datetime", "record{seconds: u64, nanoseconds: u32}"},
    {FS_TYPES, "error-code",
     "enum{access, would-block, already, bad-descriptor, busy, deadlock, quota, exist, "
     "file-too-large, illegal-byte-sequence, in-progress, interrupted, invalid, io, "
     "is-directory, loop, too-many-links, message-size, name-too-long, no-device, no-entry, "
     "no-lock, insufficient-memory, insufficient-space, not-directory, not-empty, "
     "not-recoverable, unsupported, no-tty, no-such-device, overflow, not-permitted, pipe, "
     "read-only, invalid-seek, text-file-busy, cross-device}"},
    {FS_TYPES, "descriptor-flags",
     "flags{read, write, file-integrity-sync, data-integrity-sync, requested-write-sync, "
     "mutate-directory}"},
    {FS_TYPES, "descriptor-type",
     "enum{unknown, block-device, character-device, directory, fifo, symbolic-link, "
     "regular-file, socket}"},
    {FS_TYPES, "descriptor-stat",
     "record{type: descriptor-type, link-count: link-count, size: filesize, "
     "data-access-timestamp: option<datetime>, data-modification-timestamp: option<datetime>, "
     "status-change-timestamp: option<datetime>}"},
};

/* Resource types and where each is visible; the stream types are
 * returned for the stdio functions' env. */
static int define_wasi_resources(component_linker *l, component_resource_type **out_type,
                                 component_resource_type **in_type, util_error **err)
{
    component_resource_type *error =
        component_linker_define_resource(l, IO_ERROR, "error", NULL, err);
    component_resource_type *out =
        error ? component_linker_define_resource(l, IO_STREAMS, "output-stream", NULL, err) : NULL;
    component_resource_type *in =
        out ? component_linker_define_resource(l, IO_STREAMS, "input-stream", NULL, err) : NULL;
    component_resource_type *tin =
        in ? component_linker_define_resource(l, "wasi:cli/terminal-input@0.2.0",
                                              "terminal-input", NULL, err)
           : NULL;
    component_resource_type *tout =
        tin ? component_linker_define_resource(l, "wasi:cli/terminal-output@0.2.0",
                                               "terminal-output", NULL, err)
            : NULL;
    component_resource_type *desc =
        tout ? component_linker_define_resource(l, FS_TYPES, "descriptor", NULL, err) : NULL;
    component_resource_type *dirs =
        desc ? component_linker_define_resource(l, FS_TYPES, "directory-entry-stream", NULL, err)
             : NULL;
    if (!dirs)
        return -1;
    *out_type = out;
    *in_type = in;
    struct {
        const char *iface, *name;
        component_resource_type *type;
    } aliases[] = {
        {IO_STREAMS, "error", error},
        {"wasi:cli/stdin@0.2.0", "input-stream", in},
        {"wasi:cli/stdout@0.2.0", "output-stream", out},
        {"wasi:cli/stderr@0.2.0", "output-stream", out},
        {"wasi:cli/terminal-stdin@0.2.0", "terminal-input", tin},
        {"wasi:cli/terminal-stdout@0.2.0", "terminal-output", tout},
        {"wasi:cli/terminal-stderr@0.2.0", "terminal-output", tout},
        {FS_TYPES, "output-stream", out},
        {FS_TYPES, "error", error},
        {"wasi:filesystem/preopens@0.2.0", "descriptor", desc},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(aliases); i++)
        if (component_linker_alias_resource(l, aliases[i].iface, aliases[i].name,
                                            aliases[i].type, err) != 0)
            return -1;
    return 0;
}

int jco_wasi_define(component_linker *l, util_error **err)
{
    component_resource_type *out, *in;
    if (define_wasi_resources(l, &out, &in, err) != 0)
        return -1;
    for (size_t i = 0; i < UTIL_ARRAY_LEN(wasi_types); i++)
        if (component_linker_define_type(l, wasi_types[i].iface, wasi_types[i].name,
                                         wasi_types[i].text, err) != 0)
            return -1;
    for (size_t i = 0; i < UTIL_ARRAY_LEN(wasi_funcs); i++) {
        const wasi_func *f = &wasi_funcs[i];
        void *env = f->env == ENV_OUT ? (void *)out : f->env == ENV_IN ? (void *)in : NULL;
        if (component_linker_define_func(l, f->iface, f->name, f->sig, f->fn, env, err) != 0)
            return -1;
    }
    return 0;
}
