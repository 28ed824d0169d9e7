/*
 * test_llm.c - fermyon:spin/llm@2.0.0 and Spin 1's fermyon:spin/llm as
 * containerd-shim-spin answers them (its Spin has no llm feature: the
 * NoopLlmEngine): a model the component lists in ai_models gets
 * runtime-error with the noop engine's text, one it does not list gets
 * invalid-input with factor-llm's access-denied text; both functions,
 * both versions, with and without inferencing params.
 */
#include "spinapi_test_util.h"

#define LLM2 "fermyon:spin/llm@2.0.0"
#define LLM1 "fermyon:spin/llm"

enum { MODEL_NOT_SUPPORTED, RUNTIME_ERROR, INVALID_INPUT };

#define NOOP "Local LLM operations are not supported in this version of Spin."

static fixture *llm_fixture(void)
{
    static const char *const models[] = {"llama2-chat", "all-minilm-l6-v2"};
    spinapi_component_config cfg = {.id = "ai", .ai_models = models, .nai_models = 2};
    return fixture_new(&cfg);
}

static component_val some_params(component_val *fields, component_val *payload)
{
    fields[0] = (component_val){.kind = COMPONENT_VAL_U32, .of.u = 100};
    fields[1] = (component_val){.kind = COMPONENT_VAL_F32, .of.f32 = 1.1f};
    fields[2] = (component_val){.kind = COMPONENT_VAL_U32, .of.u = 64};
    fields[3] = (component_val){.kind = COMPONENT_VAL_F32, .of.f32 = 0.8f};
    fields[4] = (component_val){.kind = COMPONENT_VAL_U32, .of.u = 40};
    fields[5] = (component_val){.kind = COMPONENT_VAL_F32, .of.f32 = 0.9f};
    *payload = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {fields, 6}};
    return (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {1, payload}};
}

static void check_infer(fixture *f, const char *iface, const char *model, bool with_params,
                        int want_case, const char *want_text)
{
    component_val fields[6], payload;
    component_val a[3] = {V_STR(model), V_STR("Say hello"),
                          with_params ? some_params(fields, &payload) : V_NONE};
    component_val r;
    char buf[512];
    CHECK_INT(call(f, iface, "infer", a, 3, &r), 0);
    CHECK_INT(err_case(&r), want_case);
    CHECK_STR(err_text(&r, buf, sizeof(buf)), want_text);
}

static void check_embeddings(fixture *f, const char *iface, const char *model, int want_case,
                             const char *want_text)
{
    component_val texts[2] = {V_STR("a"), V_STR("b")};
    component_val list = {.kind = COMPONENT_VAL_LIST, .of.list = {texts, NULL, 2}};
    component_val a[2] = {V_STR(model), list};
    component_val r;
    char buf[512];
    CHECK_INT(call(f, iface, "generate-embeddings", a, 2, &r), 0);
    CHECK_INT(err_case(&r), want_case);
    CHECK_STR(err_text(&r, buf, sizeof(buf)), want_text);
}

static void test_allowed_model_gets_the_noop_engine_error(void)
{
    fixture *f = llm_fixture();
    const char *ifaces[] = {LLM2, LLM1};
    for (size_t i = 0; i < 2; i++) {
        check_infer(f, ifaces[i], "llama2-chat", false, RUNTIME_ERROR, NOOP);
        check_infer(f, ifaces[i], "llama2-chat", true, RUNTIME_ERROR, NOOP);
        check_embeddings(f, ifaces[i], "all-minilm-l6-v2", RUNTIME_ERROR, NOOP);
    }
    fixture_free(f);
}

static void test_unlisted_model_is_invalid_input(void)
{
    fixture *f = llm_fixture();
    const char *denied =
        "The component does not have access to use 'codellama-instruct'. To give the "
        "component access, add 'codellama-instruct' to the 'ai_models' key for the component "
        "in your spin.toml manifest";
    check_infer(f, LLM2, "codellama-instruct", false, INVALID_INPUT, denied);
    check_infer(f, LLM1, "codellama-instruct", true, INVALID_INPUT, denied);
    check_embeddings(f, LLM2, "codellama-instruct", INVALID_INPUT, denied);
    fixture_free(f);
    /* A component listing no models may use none. */
    spinapi_component_config none = {.id = "plain"};
    f = fixture_new(&none);
    component_val a[3] = {V_STR("llama2-chat"), V_STR("x"), V_NONE}, r;
    CHECK_INT(call(f, LLM2, "infer", a, 3, &r), 0);
    CHECK_INT(err_case(&r), INVALID_INPUT);
    fixture_free(f);
}

int main(void)
{
    RUN(test_allowed_model_gets_the_noop_engine_error);
    RUN(test_unlisted_model_is_invalid_input);
    return TEST_SUMMARY();
}
