/*
 * spec_exec.c - runs the commands of one spec test script (wast2json
 * output) through the engine's public API, wasm.h, and nothing else.
 *
 * One store and one linker per script: the `spectest` host module is
 * defined first, `register` adds a module's exports under a name, and
 * every `module` command instantiates into the same store, so registered
 * instances can be imported by later modules exactly as in the reference
 * interpreter.  Text modules (.wat) are skipped: we are a binary-only
 * engine.  Values cross as strings of unsigned decimals (floats as their
 * bit patterns); externref values n are the host pointers n+1, so that
 * externref 0 is not the null reference.
 *
 * Messages are compared like the reference interpreter does: the expected
 * text must be a prefix of the engine's message.  The one exception is a
 * command whose .wasm does not encode what its .wast text says (a converter
 * artifact, listed in `artifacts` below with the reason): the module must
 * still fail the same way (kind), only its message is not compared.
 */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spec.h"
#include "util.h"
#include "wasm.h"

#define MAX_VALS 64
#define INVOKE_TIMEOUT_NS (20ull * 1000000000ull)

typedef struct named {
    char *name;
    wasm_instance *inst;
} named;

typedef struct ctx {
    const char *dir; /* folder of the script */
    wasm_store *store;
    wasm_linker *linker;
    wasm_instance *current;
    named *names;
    size_t nnames;
    FILE *out;
    const char *script; /* base name of the .json, for find_artifact */
    wasm_features features;
    bool decode_only;
} ctx;

/* ---- converter artifacts --------------------------------------------------- */

typedef struct artifact {
    const char *script; /* base name of the .json */
    int line;
    const char *why;
} artifact;

static const artifact artifacts[] = {
    /* select.2.wasm is 01 01 41 01 1B 0B: wast2json (wabt 1.0.32 alike)
     * writes "(select (result) ...)" as the untyped select 0x1B, which
     * here underflows the stack ("type mismatch"); only 1C 00 would be the
     * text's empty result list ("invalid result arity", see test_decode). */
    {"select.json", 324, "wast2json encodes (select (result)) as untyped select"},
};

/* The artifact entry of this command, or NULL. */
static const artifact *find_artifact(const char *script, int line)
{
    for (size_t i = 0; i < sizeof artifacts / sizeof artifacts[0]; i++)
        if (artifacts[i].line == line && strcmp(artifacts[i].script, script) == 0)
            return &artifacts[i];
    return NULL;
}

/* ---- reporting -------------------------------------------------------------- */

static void report(ctx *c, int line, char what, const char *fmt, ...) UTIL_PRINTF(4, 5);
static void report(ctx *c, int line, char what, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (char *p = msg; *p; p++)
        if (*p == '\n')
            *p = ' ';
    fprintf(c->out, "%d %c %s\n", line, what, msg);
    fflush(c->out);
}

static const char *kind_name(wasm_result_kind k)
{
    switch (k) {
    case WASM_OK: return "ok";
    case WASM_MALFORMED: return "malformed";
    case WASM_INVALID: return "invalid";
    case WASM_UNLINKABLE: return "unlinkable";
    case WASM_TRAP: return "trap";
    case WASM_EXIT: return "exit";
    case WASM_INTERRUPTED: return "interrupted";
    case WASM_RESOURCE: return "resource";
    }
    return "?";
}

static bool prefix_of(const char *want, const char *got)
{
    return strncmp(want, got, strlen(want)) == 0;
}

/* ---- json helpers ----------------------------------------------------------- */

static const char *jstr(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v))
        return NULL;
    return json_object_get_string(v);
}

static json_object *jget(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* ---- the spectest module -------------------------------------------------- */

static int host_print(wasm_caller *caller, void *env, const wasm_val *args, wasm_val *results)
{
    (void)caller, (void)env, (void)args, (void)results;
    return 0;
}

static void define_spectest(ctx *c)
{
    static const struct { const char *name, *sig; } prints[] = {
        {"print", ":"},          {"print_i32", "i:"},     {"print_i64", "I:"},
        {"print_f32", "f:"},     {"print_f64", "F:"},     {"print_i32_f32", "if:"},
        {"print_f64_f64", "FF:"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(prints); i++)
        wasm_linker_define_host(c->linker, c->store, "spectest", prints[i].name, prints[i].sig,
                                host_print, NULL);
    wasm_val v;
    v.i64 = 0;
    v.i32 = 666;
    wasm_extern e = {.kind = WASM_EXTERN_GLOBAL};
    e.of.global = wasm_global_new(c->store, WASM_I32, false, v);
    wasm_linker_define(c->linker, "spectest", "global_i32", e);
    v.i64 = 666;
    e.of.global = wasm_global_new(c->store, WASM_I64, false, v);
    wasm_linker_define(c->linker, "spectest", "global_i64", e);
    v.i64 = 0;
    v.f32 = 666.6f;
    e.of.global = wasm_global_new(c->store, WASM_F32, false, v);
    wasm_linker_define(c->linker, "spectest", "global_f32", e);
    v.f64 = 666.6;
    e.of.global = wasm_global_new(c->store, WASM_F64, false, v);
    wasm_linker_define(c->linker, "spectest", "global_f64", e);

    wasm_result res;
    wasm_result_init(&res);
    wasm_val null = {.funcref = NULL};
    wasm_extern t = {.kind = WASM_EXTERN_TABLE};
    t.of.table = wasm_table_new(c->store, WASM_FUNCREF, (wasm_limits){10, 20}, null, &res);
    if (t.of.table)
        wasm_linker_define(c->linker, "spectest", "table", t);
    wasm_extern mem = {.kind = WASM_EXTERN_MEMORY};
    mem.of.memory = wasm_memory_new(c->store, (wasm_limits){1, 2}, &res);
    if (mem.of.memory)
        wasm_linker_define(c->linker, "spectest", "memory", mem);
}

/* ---- values ----------------------------------------------------------------- */

typedef enum { EXP_EXACT, EXP_NAN_CANONICAL, EXP_NAN_ARITHMETIC, EXP_NONNULL } exp_kind;

typedef struct spec_val {
    wasm_valtype type;
    exp_kind kind;
    wasm_val v;
} spec_val;

/* Returns false for types we do not run (v128). */
static bool parse_val(json_object *o, spec_val *out, const char **why)
{
    const char *type = jstr(o, "type");
    const char *value = jstr(o, "value");
    memset(out, 0, sizeof *out);
    out->kind = EXP_EXACT;
    if (!type) {
        *why = "value without type";
        return false;
    }
    if (strcmp(type, "v128") == 0) {
        *why = "v128";
        return false;
    }
    if (strcmp(type, "funcref") == 0 || strcmp(type, "externref") == 0) {
        out->type = type[0] == 'f' ? WASM_FUNCREF : WASM_EXTERNREF;
        if (!value)
            out->kind = EXP_NONNULL;
        else if (strcmp(value, "null") == 0)
            out->v.externref = NULL;
        else if (out->type == WASM_EXTERNREF)
            out->v.externref = (void *)(uintptr_t)(strtoull(value, NULL, 10) + 1);
        else {
            *why = "funcref constant";
            return false;
        }
        return true;
    }
    if (!value) {
        *why = "value missing";
        return false;
    }
    if (strcmp(value, "nan:canonical") == 0)
        out->kind = EXP_NAN_CANONICAL;
    else if (strcmp(value, "nan:arithmetic") == 0)
        out->kind = EXP_NAN_ARITHMETIC;
    uint64_t bits = out->kind == EXP_EXACT ? strtoull(value, NULL, 10) : 0;
    if (strcmp(type, "i32") == 0) {
        out->type = WASM_I32;
        out->v.i32 = (int32_t)(uint32_t)bits;
    } else if (strcmp(type, "i64") == 0) {
        out->type = WASM_I64;
        out->v.i64 = (int64_t)bits;
    } else if (strcmp(type, "f32") == 0) {
        out->type = WASM_F32;
        out->v.f32_bits = (uint32_t)bits;
    } else if (strcmp(type, "f64") == 0) {
        out->type = WASM_F64;
        out->v.f64_bits = bits;
    } else {
        *why = type;
        return false;
    }
    return true;
}

static void format_val(char *buf, size_t n, wasm_valtype t, wasm_val v)
{
    switch (t) {
    case WASM_I32: snprintf(buf, n, "i32:%" PRIu32, (uint32_t)v.i32); break;
    case WASM_I64: snprintf(buf, n, "i64:%" PRIu64, (uint64_t)v.i64); break;
    case WASM_F32: snprintf(buf, n, "f32:0x%08" PRIx32, v.f32_bits); break;
    case WASM_F64: snprintf(buf, n, "f64:0x%016" PRIx64, v.f64_bits); break;
    case WASM_FUNCREF: snprintf(buf, n, "funcref:%s", v.funcref ? "non-null" : "null"); break;
    case WASM_EXTERNREF:
        if (v.externref)
            snprintf(buf, n, "externref:%" PRIuPTR, (uintptr_t)v.externref - 1);
        else
            snprintf(buf, n, "externref:null");
        break;
    default: snprintf(buf, n, "?"); break;
    }
}

static bool val_matches(const spec_val *want, wasm_val got)
{
    switch (want->kind) {
    case EXP_NAN_CANONICAL:
        if (want->type == WASM_F32)
            return (got.f32_bits & 0x7FFFFFFFu) == 0x7FC00000u;
        return (got.f64_bits & 0x7FFFFFFFFFFFFFFFull) == 0x7FF8000000000000ull;
    case EXP_NAN_ARITHMETIC:
        if (want->type == WASM_F32)
            return (got.f32_bits & 0x7FC00000u) == 0x7FC00000u;
        return (got.f64_bits & 0x7FF8000000000000ull) == 0x7FF8000000000000ull;
    case EXP_NONNULL:
        return got.externref != NULL;
    case EXP_EXACT:
        break;
    }
    switch (want->type) {
    case WASM_I32: return got.i32 == want->v.i32;
    case WASM_I64: return got.i64 == want->v.i64;
    case WASM_F32: return got.f32_bits == want->v.f32_bits;
    case WASM_F64: return got.f64_bits == want->v.f64_bits;
    default: return got.externref == want->v.externref;
    }
}

static wasm_valtype letter_type(char ch)
{
    switch (ch) {
    case 'i': return WASM_I32;
    case 'I': return WASM_I64;
    case 'f': return WASM_F32;
    case 'F': return WASM_F64;
    case 'r': return WASM_FUNCREF;
    case 'e': return WASM_EXTERNREF;
    default: return WASM_V128;
    }
}

/* ---- modules ---------------------------------------------------------------- */

static wasm_instance *find_instance(ctx *c, const char *name)
{
    if (!name)
        return c->current;
    for (size_t i = 0; i < c->nnames; i++)
        if (strcmp(c->names[i].name, name) == 0)
            return c->names[i].inst;
    return NULL;
}

static void set_name(ctx *c, const char *name, wasm_instance *inst)
{
    for (size_t i = 0; i < c->nnames; i++)
        if (strcmp(c->names[i].name, name) == 0) {
            c->names[i].inst = inst;
            return;
        }
    c->names = util_xrealloc(c->names, (c->nnames + 1) * sizeof *c->names);
    c->names[c->nnames++] = (named){util_xstrdup(name), inst};
}

/* Loads and compiles filename; NULL with res filled on failure. */
static wasm_module *load_module(ctx *c, const char *filename, wasm_result *res)
{
    wasm_result_init(res);
    cleanup_free char *path = util_xasprintf("%s/%s", c->dir, filename);
    cleanup_free char *data = NULL;
    size_t len;
    util_error *err = NULL;
    if (util_read_file(path, &data, &len, &err) < 0) {
        snprintf(res->message, sizeof res->message, "%s", err->msg);
        res->kind = WASM_RESOURCE;
        util_error_free(&err);
        return NULL;
    }
    return wasm_module_new((const uint8_t *)data, len, &c->features, res);
}

static bool is_simd_refusal(const wasm_result *res)
{
    return strstr(res->message, "SIMD") != NULL;
}

static void cmd_module(ctx *c, json_object *cmd, int line)
{
    const char *filename = jstr(cmd, "filename");
    const char *name = jstr(cmd, "name");
    wasm_result res;
    c->current = NULL;
    if (!filename) {
        report(c, line, 'F', "module command without filename");
        return;
    }
    wasm_module *m = load_module(c, filename, &res);
    if (!m) {
        if (is_simd_refusal(&res))
            report(c, line, 'S', "%s: %s", filename, res.message);
        else
            report(c, line, 'F', "%s: %s: %s", filename, kind_name(res.kind), res.message);
        return;
    }
    if (c->decode_only) {
        wasm_module_free(m);
        report(c, line, 'P', "module decoded");
        return;
    }
    wasm_instance *inst = wasm_instantiate(c->store, m, c->linker, &res);
    wasm_module_free(m);
    if (!inst) {
        report(c, line, 'F', "%s: instantiate: %s: %s", filename, kind_name(res.kind),
               res.message);
        return;
    }
    c->current = inst;
    if (name)
        set_name(c, name, inst);
    report(c, line, 'P', "module");
}

/* assert_invalid / assert_malformed / assert_unlinkable / assert_uninstantiable */
static void cmd_module_fails(ctx *c, json_object *cmd, int line, const char *type)
{
    const char *filename = jstr(cmd, "filename");
    const char *text = jstr(cmd, "text");
    const char *mtype = jstr(cmd, "module_type");
    if (mtype && strcmp(mtype, "text") == 0) {
        report(c, line, 'S', "text module");
        return;
    }
    if (!filename || !text) {
        report(c, line, 'F', "%s without filename/text", type);
        return;
    }
    bool want_decode_fail = strcmp(type, "assert_invalid") == 0 ||
                            strcmp(type, "assert_malformed") == 0;
    if (c->decode_only && !want_decode_fail) {
        report(c, line, 'S', "decode only");
        return;
    }
    wasm_result_kind want = strcmp(type, "assert_invalid") == 0     ? WASM_INVALID
                            : strcmp(type, "assert_malformed") == 0 ? WASM_MALFORMED
                            : strcmp(type, "assert_unlinkable") == 0 ? WASM_UNLINKABLE
                                                                    : WASM_TRAP;
    wasm_result res;
    const artifact *art;
    wasm_module *m = load_module(c, filename, &res);
    if (!m) {
        if (is_simd_refusal(&res))
            report(c, line, 'S', "%s: %s", filename, res.message);
        else if (!want_decode_fail)
            report(c, line, 'F', "%s: %s: expected %s \"%s\", module failed: %s: %s", filename,
                   type, kind_name(want), text, kind_name(res.kind), res.message);
        else if (res.kind != want)
            report(c, line, 'F', "%s: %s: expected %s \"%s\", got %s \"%s\"", filename, type,
                   kind_name(want), text, kind_name(res.kind), res.message);
        else if (!prefix_of(text, res.message) && (art = find_artifact(c->script, line)))
            report(c, line, 'P', "%s (message \"%s\" not compared: %s)", type, res.message,
                   art->why);
        else if (!prefix_of(text, res.message))
            report(c, line, 'F', "%s: %s: expected %s \"%s\", got %s \"%s\"", filename, type,
                   kind_name(want), text, kind_name(res.kind), res.message);
        else
            report(c, line, 'P', "%s", type);
        return;
    }
    if (want_decode_fail) {
        wasm_module_free(m);
        report(c, line, 'F', "%s: %s: expected %s \"%s\", module was accepted", filename, type,
               kind_name(want), text);
        return;
    }
    wasm_instance *inst = wasm_instantiate(c->store, m, c->linker, &res);
    wasm_module_free(m);
    if (inst)
        report(c, line, 'F', "%s: %s: expected %s \"%s\", instantiation succeeded", filename,
               type, kind_name(want), text);
    else if (res.kind != want || !prefix_of(text, res.message))
        report(c, line, 'F', "%s: %s: expected %s \"%s\", got %s \"%s\"", filename, type,
               kind_name(want), text, kind_name(res.kind), res.message);
    else
        report(c, line, 'P', "%s", type);
}

static void cmd_register(ctx *c, json_object *cmd, int line)
{
    const char *as = jstr(cmd, "as");
    const char *name = jstr(cmd, "name");
    wasm_instance *inst = find_instance(c, name);
    if (!as || !inst) {
        report(c, line, 'F', "register: no module %s", name ? name : "(current)");
        return;
    }
    wasm_linker_define_instance(c->linker, as, inst);
    report(c, line, 'P', "register");
}

/* ---- actions ---------------------------------------------------------------- */

typedef enum { ACT_OK, ACT_FAILED, ACT_SKIP, ACT_ERROR } act_status;

/* Performs an invoke/get.  ACT_FAILED: the engine reported res (trap...);
 * ACT_ERROR / ACT_SKIP: message in `why`. */
static act_status do_action(ctx *c, json_object *act, wasm_val *results, wasm_valtype *types,
                            size_t *nresults, wasm_result *res, char *why, size_t whylen)
{
    const char *type = jstr(act, "type");
    const char *field = jstr(act, "field");
    const char *modname = jstr(act, "module");
    json_object *jfield = jget(act, "field");
    /* names may hold NUL bytes ("\u0000..." in names.json) */
    size_t field_len = jfield ? (size_t)json_object_get_string_len(jfield) : 0;
    wasm_result_init(res);
    wasm_instance *inst = find_instance(c, modname);
    if (!inst || !field || !type) {
        snprintf(why, whylen, "no instance %s", modname ? modname : "(current)");
        return ACT_ERROR;
    }
    wasm_extern ext;
    if (!wasm_instance_export_n(inst, field, field_len, &ext)) {
        snprintf(why, whylen, "no export \"%s\"", field);
        return ACT_ERROR;
    }
    if (strcmp(type, "get") == 0) {
        if (ext.kind != WASM_EXTERN_GLOBAL) {
            snprintf(why, whylen, "\"%s\" is not a global", field);
            return ACT_ERROR;
        }
        results[0] = wasm_global_get(ext.of.global);
        types[0] = wasm_global_type(ext.of.global);
        *nresults = 1;
        return ACT_OK;
    }
    if (strcmp(type, "invoke") != 0) {
        snprintf(why, whylen, "unknown action %s", type);
        return ACT_ERROR;
    }
    if (ext.kind != WASM_EXTERN_FUNC) {
        snprintf(why, whylen, "\"%s\" is not a function", field);
        return ACT_ERROR;
    }
    const char *sig = wasm_func_signature(ext.of.func);
    const char *colon = sig ? strchr(sig, ':') : NULL;
    if (!colon) {
        snprintf(why, whylen, "bad signature");
        return ACT_ERROR;
    }
    json_object *jargs = jget(act, "args");
    size_t nargs = jargs ? json_object_array_length(jargs) : 0;
    if (nargs > MAX_VALS || strlen(colon + 1) > MAX_VALS) {
        snprintf(why, whylen, "too many values");
        return ACT_ERROR;
    }
    wasm_val args[MAX_VALS];
    for (size_t i = 0; i < nargs; i++) {
        spec_val sv;
        const char *skip = NULL;
        if (!parse_val(json_object_array_get_idx(jargs, i), &sv, &skip)) {
            snprintf(why, whylen, "argument: %s", skip);
            return ACT_SKIP;
        }
        args[i] = sv.v;
    }
    *nresults = strlen(colon + 1);
    for (size_t i = 0; i < *nresults; i++)
        types[i] = letter_type(colon[1 + i]);
    memset(results, 0, sizeof(wasm_val) * MAX_VALS);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    wasm_store_set_deadline(c->store, (uint64_t)ts.tv_sec * 1000000000ull +
                                          (uint64_t)ts.tv_nsec + INVOKE_TIMEOUT_NS);
    int rc = wasm_func_call(c->store, ext.of.func, args, nargs, results, *nresults, res);
    wasm_store_set_deadline(c->store, 0);
    return rc == 0 ? ACT_OK : ACT_FAILED;
}

static void cmd_action(ctx *c, json_object *cmd, int line, const char *type)
{
    json_object *act = jget(cmd, "action");
    wasm_val results[MAX_VALS];
    wasm_valtype types[MAX_VALS];
    size_t n = 0;
    wasm_result res;
    char why[256] = "";
    if (!act) {
        report(c, line, 'F', "%s without action", type);
        return;
    }
    act_status st = do_action(c, act, results, types, &n, &res, why, sizeof why);
    if (st == ACT_SKIP) {
        report(c, line, 'S', "%s", why);
        return;
    }
    if (st == ACT_ERROR) {
        report(c, line, 'F', "%s: %s", type, why);
        return;
    }
    const char *field = jstr(act, "field");
    bool is_trap = strcmp(type, "assert_trap") == 0;
    bool is_exhaustion = strcmp(type, "assert_exhaustion") == 0;
    if (is_trap || is_exhaustion) {
        const char *text = jstr(cmd, "text");
        if (st == ACT_OK)
            report(c, line, 'F', "%s \"%s\": expected trap \"%s\", returned normally", type,
                   field, text ? text : "");
        else if (res.kind != WASM_TRAP || !text || !prefix_of(text, res.message))
            report(c, line, 'F', "%s \"%s\": expected trap \"%s\", got %s \"%s\"", type, field,
                   text ? text : "", kind_name(res.kind), res.message);
        else
            report(c, line, 'P', "%s", type);
        return;
    }
    if (st == ACT_FAILED) {
        report(c, line, 'F', "%s \"%s\": %s \"%s\"", type, field, kind_name(res.kind),
               res.message);
        return;
    }
    json_object *jexp = jget(cmd, "expected");
    size_t nexp = jexp ? json_object_array_length(jexp) : 0;
    if (strcmp(type, "action") == 0) {
        report(c, line, 'P', "action");
        return;
    }
    if (nexp != n) {
        report(c, line, 'F', "%s \"%s\": %zu results, expected %zu", type, field, n, nexp);
        return;
    }
    for (size_t i = 0; i < nexp; i++) {
        spec_val want;
        const char *skip = NULL;
        if (!parse_val(json_object_array_get_idx(jexp, i), &want, &skip)) {
            report(c, line, 'S', "result: %s", skip);
            return;
        }
        if (want.type != types[i] || !val_matches(&want, results[i])) {
            char got[64], exp[64];
            format_val(got, sizeof got, types[i], results[i]);
            if (want.kind == EXP_EXACT)
                format_val(exp, sizeof exp, want.type, want.v);
            else
                snprintf(exp, sizeof exp, "%s", jstr(json_object_array_get_idx(jexp, i), "value")
                                                    ? "nan" : "non-null ref");
            report(c, line, 'F', "%s \"%s\": result %zu is %s, expected %s", type, field, i, got,
                   exp);
            return;
        }
    }
    report(c, line, 'P', "%s", type);
}

/* ---- the script ------------------------------------------------------------- */

int spec_exec_file(const char *json_path, FILE *out, unsigned flags)
{
    json_object *root = json_object_from_file(json_path);
    if (!root)
        return -1;
    json_object *cmds = jget(root, "commands");
    if (!cmds) {
        json_object_put(root);
        return -1;
    }
    cleanup_free char *dir = util_xstrdup(json_path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        strcpy(dir, ".");
    ctx c = {.dir = dir, .out = out};
    c.features.tail_call = (flags & SPEC_TAIL_CALL) != 0;
    c.decode_only = (flags & SPEC_DECODE_ONLY) != 0;
    c.features.no_extended_const = (flags & SPEC_NO_EXTENDED_CONST) != 0;
    c.script = strrchr(json_path, '/') ? strrchr(json_path, '/') + 1 : json_path;
    wasm_store_config cfg = {0};
    c.store = wasm_store_new(&cfg);
    c.linker = wasm_linker_new();
    define_spectest(&c);

    size_t n = json_object_array_length(cmds);
    for (size_t i = 0; i < n; i++) {
        json_object *cmd = json_object_array_get_idx(cmds, i);
        const char *type = jstr(cmd, "type");
        json_object *jl = jget(cmd, "line");
        int line = jl ? json_object_get_int(jl) : 0;
        if (!type)
            report(&c, line, 'F', "command without type");
        else if (strcmp(type, "module") == 0)
            cmd_module(&c, cmd, line);
        else if (c.decode_only && strcmp(type, "assert_invalid") != 0 &&
                 strcmp(type, "assert_malformed") != 0)
            report(&c, line, 'S', "decode only");
        else if (strcmp(type, "register") == 0)
            cmd_register(&c, cmd, line);
        else if (strcmp(type, "assert_invalid") == 0 || strcmp(type, "assert_malformed") == 0 ||
                 strcmp(type, "assert_unlinkable") == 0 ||
                 strcmp(type, "assert_uninstantiable") == 0)
            cmd_module_fails(&c, cmd, line, type);
        else if (strcmp(type, "action") == 0 || strcmp(type, "assert_return") == 0 ||
                 strcmp(type, "assert_trap") == 0 || strcmp(type, "assert_exhaustion") == 0)
            cmd_action(&c, cmd, line, type);
        else
            report(&c, line, 'F', "unknown command %s", type);
    }
    wasm_linker_free(c.linker);
    wasm_store_free(c.store);
    for (size_t i = 0; i < c.nnames; i++)
        free(c.names[i].name);
    free(c.names);
    json_object_put(root);
    return 0;
}
