/*
 * llm.c - Spin's llm interface, fermyon:spin/llm@2.0.0 and Spin 1's
 * unversioned fermyon:spin/llm (the same WIT): infer and
 * generate-embeddings, answered as containerd-shim-spin answers them.
 *
 * The reference shim is built without Spin's `llm` feature, so its
 * factor-llm runs the NoopLlmEngine: no model is ever loaded and every
 * call a component may make fails with runtime-error("Local LLM
 * operations are not supported in this version of Spin.").  Before the
 * engine, factor-llm's host checks the model against the component's
 * `ai_models`; a model it does not list is invalid-input with Spin's
 * access-denied text.  Both answers are here word for word, so a guest
 * that reports the error shows what it would show under the shim.  A
 * model engine (a local one or `[llm_compute] type = "remote_http"`) is
 * not part of this host.
 */
#include "spinapi_internal.h"

#include <string.h>

#define LLM2 "fermyon:spin/llm@2.0.0"
#define LLM1 "fermyon:spin/llm"

enum { LLM_MODEL_NOT_SUPPORTED, LLM_RUNTIME_ERROR, LLM_INVALID_INPUT };

#define NOOP_ENGINE_MESSAGE "Local LLM operations are not supported in this version of Spin."

/* The error both functions return for `model` (a string value). */
static int refuse(component_call *call, void *env, const component_val *model,
                  component_val *result)
{
    const spinapi_ctx *ctx = spinapi_host_ctx(env, call);
    const spinapi_component *c = ctx->c;
    if (!spinapi_allowed(c->ai_models, c->nai_models, model->of.str.ptr, model->of.str.len)) {
        cleanup_free char *msg = util_xasprintf(
            "The component does not have access to use '%.*s'. To give the component access, "
            "add '%.*s' to the 'ai_models' key for the component in your spin.toml manifest",
            (int)model->of.str.len, model->of.str.ptr, (int)model->of.str.len,
            model->of.str.ptr);
        return spinapi_err(call, LLM_INVALID_INPUT, msg, result);
    }
    return spinapi_err(call, LLM_RUNTIME_ERROR, NOOP_ENGINE_MESSAGE, result);
}

static int infer(component_call *call, void *env, const component_val *args, size_t nargs,
                 component_val *result)
{
    (void)nargs;
    return refuse(call, env, &args[0], result);
}

static int generate_embeddings(component_call *call, void *env, const component_val *args,
                               size_t nargs, component_val *result)
{
    (void)nargs;
    return refuse(call, env, &args[0], result);
}

static const spinapi_func llm_funcs[] = {
    {"infer",
     "func(model: inferencing-model, prompt: string, params: option<inferencing-params>) -> "
     "result<inferencing-result, error>",
     infer},
    {"generate-embeddings",
     "func(model: embedding-model, text: list<string>) -> result<embeddings-result, error>",
     generate_embeddings},
};

static int define_llm(component_linker *l, const char *iface, spinapi_host *h,
                      util_error **err)
{
    static const char *const types[][2] = {
        {"inferencing-model", "string"},
        {"inferencing-params",
         "record{max-tokens: u32, repeat-penalty: f32, repeat-penalty-last-n-token-count: u32, "
         "temperature: f32, top-k: u32, top-p: f32}"},
        {"error", "variant{model-not-supported, runtime-error(string), invalid-input(string)}"},
        {"inferencing-usage", "record{prompt-token-count: u32, generated-token-count: u32}"},
        {"inferencing-result", "record{text: string, usage: inferencing-usage}"},
        {"embedding-model", "string"},
        {"embeddings-usage", "record{prompt-token-count: u32}"},
        {"embeddings-result", "record{embeddings: list<list<f32>>, usage: embeddings-usage}"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(types); i++)
        if (component_linker_define_type(l, iface, types[i][0], types[i][1], err) < 0)
            return -1;
    return spinapi_define_funcs(l, iface, llm_funcs, UTIL_ARRAY_LEN(llm_funcs), h, err);
}

int spinapi_define_llm(component_linker *l, spinapi_host *h, util_error **err)
{
    return define_llm(l, LLM2, h, err) < 0 || define_llm(l, LLM1, h, err) < 0 ? -1 : 0;
}
