/*
 * variables.c - a component's variables as the guest asks for them:
 * fermyon:spin/variables@2.0.0 (get), wasi:config/store@0.2.0-draft-2024-09-27
 * (get, get-all) and Spin 1's unversioned fermyon:spin/config (get-config).
 *
 * The values were rendered by the Spin layer before the component was
 * made, so a lookup is a search of the component's pairs.  Names are
 * checked as Spin's expressions crate checks a variable key (lower-case
 * letters, digits and single underscores, starting with a letter and not
 * ending with an underscore) and refused with its wording; the three
 * interfaces then map "invalid" and "undefined" as Spin's factor-variables
 * does: wasi:config answers none for both, Spin 1's config calls an
 * undefined name a provider error.
 */
#include "spinapi_internal.h"

#include <stdio.h>
#include <string.h>

enum { VAR_OK, VAR_INVALID, VAR_UNDEFINED };

/* Spin's Key::validate; on failure the reason, as Spin words it. */
static const char *name_problem(const char *s, size_t n, char *buf, size_t bufsize)
{
    if (n == 0)
        return "must not be empty";
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            snprintf(buf, bufsize,
                     "invalid character '%c'. Variable names may contain only lower-case "
                     "letters, numbers, and underscores.",
                     (unsigned char)c >= 0x20 && (unsigned char)c < 0x7f ? c : '?');
            return buf;
        }
    }
    if (!(s[0] >= 'a' && s[0] <= 'z'))
        return "must start with a lowercase ASCII letter";
    if (s[n - 1] == '_')
        return "must end with a lowercase ASCII letter or digit";
    if (memmem(s, n, "__", 2) != NULL)
        return "must not contain multiple consecutive underscores";
    return NULL;
}

/* Looks `name` up; *value on VAR_OK, else *message (in the call's memory)
 * says why not. */
static int lookup(component_call *call, const spinapi_ctx *ctx, const component_val *name,
                  const char **value, char **message)
{
    const char *s = name->of.str.ptr;
    size_t n = name->of.str.len;
    char buf[160];
    const char *problem = name_problem(s, n, buf, sizeof(buf));
    const spinapi_component *c = ctx->c;
    if (problem == NULL) {
        for (size_t i = 0; i < c->nvars; i++)
            if (strlen(c->vars[i].name) == n && memcmp(c->vars[i].name, s, n) == 0) {
                *value = c->vars[i].value;
                return VAR_OK;
            }
    }
    /* The messages quote the name as Spin's Debug formatting does. */
    int len = problem ? snprintf(NULL, 0, "\"%.*s\": %s", (int)n, s, problem)
                      : snprintf(NULL, 0, "no variable for \"%s\".\"%.*s\"", c->id, (int)n, s);
    *message = component_call_alloc(call, (size_t)len + 1);
    if (*message != NULL) {
        if (problem)
            snprintf(*message, (size_t)len + 1, "\"%.*s\": %s", (int)n, s, problem);
        else
            snprintf(*message, (size_t)len + 1, "no variable for \"%s\".\"%.*s\"", c->id, (int)n,
                     s);
    }
    return problem ? VAR_INVALID : VAR_UNDEFINED;
}

static int ok_string(component_call *call, const char *value, component_val *result)
{
    component_val s = spinapi_str(value, strlen(value));
    return spinapi_variant(call, 0, &s, result);
}

/* ---- fermyon:spin/variables@2.0.0 ------------------------------------------ */

enum { V2_INVALID_NAME, V2_UNDEFINED, V2_PROVIDER, V2_OTHER };

static int variables_get(component_call *call, void *env, const component_val *args,
                         size_t nargs, component_val *result)
{
    const char *value = NULL;
    char *message = NULL;
    int r = lookup(call, spinapi_host_ctx(env, call), &args[0], &value, &message);
    if (r == VAR_OK)
        return ok_string(call, value, result);
    if (message == NULL)
        return component_call_trap(call, "variables.get: out of call memory");
    return spinapi_err(call, r == VAR_INVALID ? V2_INVALID_NAME : V2_UNDEFINED, message, result);
}

static const spinapi_func variables_funcs[] = {
    {"get", "func(name: string) -> result<string, error>", variables_get},
};

/* ---- fermyon:spin/config (Spin 1) ------------------------------------------- */

enum { V1_PROVIDER, V1_INVALID_KEY, V1_INVALID_SCHEMA, V1_OTHER };

static int config_get_config(component_call *call, void *env, const component_val *args,
                             size_t nargs, component_val *result)
{
    const char *value = NULL;
    char *message = NULL;
    int r = lookup(call, spinapi_host_ctx(env, call), &args[0], &value, &message);
    if (r == VAR_OK)
        return ok_string(call, value, result);
    if (message == NULL)
        return component_call_trap(call, "config.get-config: out of call memory");
    return spinapi_err(call, r == VAR_INVALID ? V1_INVALID_KEY : V1_PROVIDER, message, result);
}

static const spinapi_func config_funcs[] = {
    {"get-config", "func(key: string) -> result<string, error>", config_get_config},
};

/* ---- wasi:config/store@0.2.0-draft-2024-09-27 --------------------------------- */

static int store_get(component_call *call, void *env, const component_val *args, size_t nargs,
                     component_val *result)
{
    const char *value = NULL;
    char *message = NULL;
    component_val opt;
    if (lookup(call, spinapi_host_ctx(env, call), &args[0], &value, &message) != VAR_OK) {
        opt = (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {0, NULL}};
    } else {
        component_val s = spinapi_str(value, strlen(value));
        if (spinapi_variant(call, 1, &s, &opt) < 0)
            return -1;
    }
    return spinapi_variant(call, 0, &opt, result);
}

static int store_get_all(component_call *call, void *env, const component_val *args,
                         size_t nargs, component_val *result)
{
    const spinapi_component *c = spinapi_host_ctx(env, call)->c;
    component_val *items = component_call_vals(call, c->nvars ? 3 * c->nvars : 1);
    if (items == NULL)
        return component_call_trap(call, "get-all: out of call memory");
    component_val *pairs = items + c->nvars;
    for (size_t i = 0; i < c->nvars; i++) {
        pairs[2 * i] = spinapi_str(c->vars[i].name, strlen(c->vars[i].name));
        pairs[2 * i + 1] = spinapi_str(c->vars[i].value, strlen(c->vars[i].value));
        items[i] = (component_val){.kind = COMPONENT_VAL_RECORD,
                                   .of.record = {&pairs[2 * i], 2}};
    }
    component_val list = {.kind = COMPONENT_VAL_LIST, .of.list = {.items = items, .n = c->nvars}};
    return spinapi_variant(call, 0, &list, result);
}

static const spinapi_func wasi_config_funcs[] = {
    {"get", "func(key: string) -> result<option<string>, error>", store_get},
    {"get-all", "func() -> result<list<tuple<string, string>>, error>", store_get_all},
};

/* ---- registration ------------------------------------------------------------ */

#define SPIN_VARIABLES "fermyon:spin/variables@2.0.0"
#define SPIN_CONFIG "fermyon:spin/config"
#define WASI_CONFIG "wasi:config/store@0.2.0-draft-2024-09-27"

int spinapi_define_variables(component_linker *l, spinapi_host *h, util_error **err)
{
    if (component_linker_define_type(l, SPIN_VARIABLES, "error",
                                     "variant{invalid-name(string), undefined(string), "
                                     "provider(string), other(string)}",
                                     err) < 0 ||
        spinapi_define_funcs(l, SPIN_VARIABLES, variables_funcs,
                             UTIL_ARRAY_LEN(variables_funcs), h, err) < 0)
        return -1;
    if (component_linker_define_type(l, SPIN_CONFIG, "error",
                                     "variant{provider(string), invalid-key(string), "
                                     "invalid-schema(string), other(string)}",
                                     err) < 0 ||
        spinapi_define_funcs(l, SPIN_CONFIG, config_funcs, UTIL_ARRAY_LEN(config_funcs), h,
                             err) < 0)
        return -1;
    if (component_linker_define_type(l, WASI_CONFIG, "error",
                                     "variant{upstream(string), io(string)}", err) < 0 ||
        spinapi_define_funcs(l, WASI_CONFIG, wasi_config_funcs,
                             UTIL_ARRAY_LEN(wasi_config_funcs), h, err) < 0)
        return -1;
    return 0;
}
