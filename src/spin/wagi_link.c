/*
 * wagi_link.c - links a Wagi component's module once at load, as Spin
 * pre-instantiates its components, so a module importing something the
 * host does not have fails `up --check` and start-up with a message,
 * instead of starting and answering every request with 500.
 *
 * The check cannot disagree with a request because it is what requests
 * use: the WASI functions are defined once, bound to no store and no
 * context (wasi_define_for_stores), the module's imports are resolved
 * through them once (wasm_linker_resolve_at), and every request
 * instantiates from that resolution with its own context as the store's
 * user_data.  Resolving allocates no guest memory and runs no code of the
 * module.
 */
#include "wagi_link.h"
#include "wasi.h"

#include <stdatomic.h>
#include <string.h>

static atomic_size_t resolutions;

static const char *value_type(char letter)
{
    switch (letter) {
    case 'i': return "i32";
    case 'I': return "i64";
    case 'f': return "f32";
    case 'F': return "f64";
    case 'r': return "funcref";
    case 'e': return "externref";
    case 'v': return "v128";
    }
    return "?";
}

/* "ii:i" -> "func (param i32 i32) (result i32)", as the text format writes it. */
static void append_func_type(util_buf *b, const char *sig)
{
    util_buf_append_str(b, "func");
    const char *colon = strchr(sig, ':');
    size_t nparams = colon ? (size_t)(colon - sig) : strlen(sig);
    if (nparams) {
        util_buf_append_str(b, " (param");
        for (size_t i = 0; i < nparams; i++)
            util_buf_printf(b, " %s", value_type(sig[i]));
        util_buf_append_str(b, ")");
    }
    if (colon && colon[1]) {
        util_buf_append_str(b, " (result");
        for (const char *p = colon + 1; *p; p++)
            util_buf_printf(b, " %s", value_type(*p));
        util_buf_append_str(b, ")");
    }
}

static const char *kind_name(wasm_extern_kind k)
{
    switch (k) {
    case WASM_EXTERN_FUNC: return "func";
    case WASM_EXTERN_TABLE: return "table";
    case WASM_EXTERN_MEMORY: return "memory";
    case WASM_EXTERN_GLOBAL: return "global";
    }
    return "?";
}

/* The error for import i, which the linker did not resolve. */
static int unlinkable(const char *component, const wasm_module *module, const wasm_linker *l,
                      size_t i, util_error **err)
{
    wasm_import_desc d = wasm_module_import(module, i);
    const char *sig = wasm_module_import_signature(module, i);
    util_buf b = {0};
    util_buf_printf(&b, "component '%s': cannot link its module: import %s::%s (", component,
                    d.module, d.name);
    if (sig)
        append_func_type(&b, sig);
    else
        util_buf_append_str(&b, kind_name(d.kind));
    const char *have = wasm_linker_func_signature(l, d.module, d.name);
    if (have) {
        util_buf_append_str(&b, ") does not match the host's ");
        append_func_type(&b, have);
    } else {
        util_buf_append_str(&b, ") is not provided by the host: the Wagi executor provides "
                                "only WASI preview 1 functions (wasi_snapshot_preview1, "
                                "wasi_unstable)");
    }
    int r = util_error_set(err, 0, "%s", b.data);
    util_buf_free(&b);
    return r;
}

int spin_wagi_link(const char *component, wasm_module *module, wasm_resolution **out,
                   util_error **err)
{
    wasm_linker *linker = wasm_linker_new();
    int r = wasi_define_for_stores(linker);
    if (r < 0) {
        r = util_error_set(err, 0, "component '%s': defining the WASI functions failed",
                           component);
    } else {
        size_t bad = 0;
        wasm_result res;
        *out = wasm_linker_resolve_at(linker, module, &bad, &res);
        if (*out == NULL)
            r = unlinkable(component, module, linker, bad, err);
        else
            atomic_fetch_add(&resolutions, 1);
    }
    wasm_linker_free(linker);
    return r;
}

size_t spin_wagi_link_count(void)
{
    return atomic_load(&resolutions);
}
