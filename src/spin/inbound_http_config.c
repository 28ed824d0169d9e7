/*
 * inbound_http_config.c - Spin 1's `spin-config` import for core modules
 * (spin-config.wit: get-config: func(key: string) -> expected<string,
 * error>), backed by the component's variables as rendered at load.
 *
 * The import has wit-bindgen 0.2's shape: (key ptr, key len, return
 * pointer), the result written at the return pointer as the canonical ABI
 * lays out expected<string, error> (tag u8 @0; ok: string @4; err: the
 * error variant @4 = tag u8 @4, its string @8), the strings allocated in
 * the guest through its canonical_abi_realloc.  The answers are Spin's
 * (factor-variables, spin-expressions): a key that is no valid variable
 * name is invalid-key, a key the component has no variable for is
 * provider("no variable for ...").
 *
 * The function is defined once per component, store-free, with the
 * component's runtime as its environment, so every request's instance
 * reads the same rendered variables without a lookup of its own.
 */
#include "inbound_http.h"
#include "manifest.h"

#include <stdio.h>
#include <string.h>

enum { CONFIG_ERR_PROVIDER, CONFIG_ERR_INVALID_KEY, CONFIG_ERR_INVALID_SCHEMA, CONFIG_ERR_OTHER };

/* Spin's rule for a variable name: NULL if `key` is one, else why not
 * (in buf). */
static const char *key_problem(const char *key, char *buf, size_t size)
{
    size_t n = strlen(key);
    if (n == 0)
        return "must not be empty";
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            snprintf(buf, size,
                     "invalid character '%c'. Variable names may contain only lower-case "
                     "letters, numbers, and underscores.",
                     c);
            return buf;
        }
    }
    if (!(key[0] >= 'a' && key[0] <= 'z'))
        return "must start with a lowercase ASCII letter";
    if (key[n - 1] == '_')
        return "must end with a lowercase ASCII letter or digit";
    if (strstr(key, "__"))
        return "must not contain multiple consecutive underscores";
    return NULL;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
    p[3] = (uint8_t)(v >> 24);
}

/* Copies `s` into the guest through its canonical_abi_realloc; the
 * address in *ptr.  Traps (returns -1 after wasm_caller_trap) when the
 * allocator fails or answers outside memory. */
static int guest_string(wasm_caller *c, const char *s, uint32_t *ptr)
{
    uint32_t len = (uint32_t)strlen(s);
    wasm_func *realloc_fn =
        wasm_instance_func(wasm_caller_instance(c), "canonical_abi_realloc");
    if (!realloc_fn)
        return wasm_caller_trap(c, "spin-config: the module exports no canonical_abi_realloc");
    wasm_val args[4] = {{.i32 = 0}, {.i32 = 0}, {.i32 = 1}, {.i32 = (int32_t)len}}, ret;
    wasm_result res;
    wasm_result_init(&res);
    if (len > 0 &&
        wasm_func_call(wasm_caller_store(c), realloc_fn, args, 4, &ret, 1, &res) != 0)
        return wasm_caller_trap(c, "spin-config: canonical_abi_realloc failed: %s",
                                res.message);
    uint32_t at = len > 0 ? (uint32_t)ret.i32 : 1;
    uint64_t size = 0;
    uint8_t *mem = wasm_caller_memory(c, &size);
    if (!mem || (uint64_t)at + len > size)
        return wasm_caller_trap(c, "spin-config: canonical_abi_realloc returned %u, outside "
                                   "memory", at);
    memcpy(mem + at, s, len);
    *ptr = at;
    return 0;
}

/* get-config(key_ptr, key_len, ret_ptr) */
static int get_config(wasm_caller *c, void *env, const wasm_val *args, wasm_val *results)
{
    (void)results;
    const spin_component_runtime *comp = env;
    uint32_t kptr = (uint32_t)args[0].i32, klen = (uint32_t)args[1].i32,
             ret = (uint32_t)args[2].i32;
    uint64_t size = 0;
    uint8_t *mem = wasm_caller_memory(c, &size);
    if (!mem || (uint64_t)kptr + klen > size)
        return wasm_caller_trap(c, "spin-config get-config: the key lies outside memory");
    if (ret % 4 != 0 || (uint64_t)ret + 16 > size)
        return wasm_caller_trap(c, "spin-config get-config: bad return pointer %u", ret);
    cleanup_free char *key = util_xstrndup((const char *)mem + kptr, klen);
    if (strlen(key) != klen)
        return wasm_caller_trap(c, "spin-config get-config: the key holds a NUL byte");

    const char *value = NULL;
    cleanup_free char *message = NULL;
    int error = -1;
    char why[160];
    const char *problem = key_problem(key, why, sizeof(why));
    if (problem) {
        error = CONFIG_ERR_INVALID_KEY;
        message = util_xasprintf("\"%s\": %s", key, problem);
    } else {
        for (size_t i = 0; i < comp->nvariables && !value; i++)
            if (strcmp(comp->variables[i].key, key) == 0)
                value = comp->variables[i].value;
        if (!value) {
            error = CONFIG_ERR_PROVIDER;
            message = util_xasprintf("no variable for \"%s\".\"%s\"", comp->id, key);
        }
    }
    const char *text = value ? value : message;
    uint32_t sptr = 0;
    if (guest_string(c, text, &sptr) < 0)
        return -1;
    mem = wasm_caller_memory(c, &size); /* the allocation may have grown it */
    uint8_t *r = mem + ret;
    memset(r, 0, 16);
    if (value) {
        r[0] = 0;
        put_u32(r + 4, sptr);
        put_u32(r + 8, (uint32_t)strlen(text));
    } else {
        r[0] = 1;
        r[4] = (uint8_t)error;
        put_u32(r + 8, sptr);
        put_u32(r + 12, (uint32_t)strlen(text));
    }
    return 0;
}

int spin_inbound_define_config(wasm_linker *l, spin_component_runtime *comp)
{
    return wasm_linker_define_func(l, "spin-config", "get-config", "iii:", get_config, comp);
}
