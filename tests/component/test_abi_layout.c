/*
 * test_abi_layout.c - the canonical ABI's sizes, alignments and flattening
 * of resolved types, and the core signatures of lifted and lowered
 * functions, against the values CanonicalABI.md's definitions give.
 */
#include "rtype_build.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

static component_rtype_pool *pool;

static component_rtype *node(component_type_kind kind)
{
    return rt_node(pool, kind);
}

/* A record/tuple/variant of the given children (NULL = case without payload). */
static component_rtype *with_fields(component_type_kind kind, size_t n,
                                    const component_rtype *const *types)
{
    return rt_with(pool, kind, n, types, "f");
}

static int layout(component_rtype *t)
{
    util_error *err = NULL;
    int r = component_rtype_layout(t, &err);
    if (err) {
        fprintf(stderr, "layout: %s\n", err->msg);
        util_error_free(&err);
    }
    return r;
}

static void flat_is(const component_rtype *t, const char *letters)
{
    char got[COMPONENT_MAX_FLAT_KEPT + 1];
    size_t n = 0;
    for (uint32_t i = 0; i < t->nflat && i < COMPONENT_MAX_FLAT_KEPT; i++)
        got[n++] = t->flat[i] == WASM_I64 ? 'I' : t->flat[i] == WASM_F32 ? 'f'
                 : t->flat[i] == WASM_F64 ? 'F' : 'i';
    got[n] = '\0';
    CHECK_STR(got, letters);
}

static void test_records_pad_to_their_largest_field(void)
{
    const component_rtype *f[] = {P(COMPONENT_PRIM_U8), P(COMPONENT_PRIM_U32),
                                  P(COMPONENT_PRIM_U8)};
    component_rtype *r = with_fields(COMPONENT_TYPE_RECORD, 3, f);
    CHECK_INT(layout(r), 0);
    CHECK_INT(r->size, 12);
    CHECK_INT(r->align, 4);
    flat_is(r, "iii");
    CHECK_INT(r->depth, 2);
}

static void test_variants_join_their_cases(void)
{
    const component_rtype *c[] = {P(COMPONENT_PRIM_U8), P(COMPONENT_PRIM_F32),
                                  P(COMPONENT_PRIM_U64), NULL};
    component_rtype *v = with_fields(COMPONENT_TYPE_VARIANT, 4, c);
    CHECK_INT(layout(v), 0);
    CHECK_INT(v->size, 16); /* u8 discriminant, payload at 8 */
    CHECK_INT(v->align, 8);
    flat_is(v, "iI");

    component_rtype *opt = node(COMPONENT_TYPE_OPTION);
    opt->a = P(COMPONENT_PRIM_F32);
    CHECK_INT(layout(opt), 0);
    flat_is(opt, "if");
    CHECK_INT(opt->size, 8);

    component_rtype *res = node(COMPONENT_TYPE_RESULT);
    res->a = P(COMPONENT_PRIM_F32);
    res->b = P(COMPONENT_PRIM_U32);
    CHECK_INT(layout(res), 0);
    flat_is(res, "ii"); /* f32 joined with i32 is i32 */

    component_rtype *r2 = node(COMPONENT_TYPE_RESULT);
    r2->a = P(COMPONENT_PRIM_F64);
    r2->b = P(COMPONENT_PRIM_STRING);
    CHECK_INT(layout(r2), 0);
    flat_is(r2, "iIi"); /* f64 with i32 is i64, then the string's length */
    CHECK_INT(r2->size, 16);

    component_rtype *empty = node(COMPONENT_TYPE_RESULT);
    CHECK_INT(layout(empty), 0);
    flat_is(empty, "i");
    CHECK_INT(empty->size, 1);
}

static void test_discriminant_grows_with_cases(void)
{
    component_rtype *e = with_fields(COMPONENT_TYPE_ENUM, 257, NULL);
    CHECK_INT(layout(e), 0);
    CHECK_INT(e->size, 2);
    CHECK_INT(e->align, 2);
    component_rtype *small = with_fields(COMPONENT_TYPE_ENUM, 256, NULL);
    CHECK_INT(layout(small), 0);
    CHECK_INT(small->size, 1);
}

static void test_flags_sizes(void)
{
    size_t counts[] = {1, 8, 9, 16, 17, 32, 33, 64};
    uint32_t sizes[] = {1, 1, 2, 2, 4, 4, 8, 8};
    const char *flats[] = {"i", "i", "i", "i", "i", "i", "ii", "ii"};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        component_rtype *f = with_fields(COMPONENT_TYPE_FLAGS, counts[i], NULL);
        CHECK_INT(layout(f), 0);
        CHECK_INT(f->size, sizes[i]);
        flat_is(f, flats[i]);
    }
    component_rtype *too_many = with_fields(COMPONENT_TYPE_FLAGS, 65, NULL);
    CHECK_INT(layout(too_many), -1);
}

static void test_lists_strings_and_handles(void)
{
    component_rtype *l = node(COMPONENT_TYPE_LIST);
    l->a = P(COMPONENT_PRIM_U64);
    CHECK_INT(layout(l), 0);
    CHECK_INT(l->size, 8);
    CHECK_INT(l->align, 4);
    flat_is(l, "ii");
    flat_is(P(COMPONENT_PRIM_STRING), "ii");
    component_rtype *own = node(COMPONENT_TYPE_OWN);
    CHECK_INT(layout(own), 0);
    CHECK_INT(own->size, 4);
    flat_is(own, "i");
}

static void test_nesting_is_bounded(void)
{
    const component_rtype *t = P(COMPONENT_PRIM_U8);
    for (int i = 0; i < COMPONENT_MAX_TYPE_DEPTH - 1; i++) {
        component_rtype *l = node(COMPONENT_TYPE_LIST);
        l->a = t;
        t = l;
    }
    CHECK_INT(layout((component_rtype *)t), 0);
    CHECK_INT(t->depth, COMPONENT_MAX_TYPE_DEPTH);
    component_rtype *deeper = node(COMPONENT_TYPE_LIST);
    deeper->a = t;
    CHECK_INT(layout(deeper), -1);
}

static void test_huge_values_are_refused(void)
{
    /* A tuple of 2^20 tuples of 2^13 u64s would be 64 GiB. */
    const component_rtype *u64s[8192];
    for (size_t i = 0; i < 8192; i++)
        u64s[i] = P(COMPONENT_PRIM_U64);
    component_rtype *inner = with_fields(COMPONENT_TYPE_TUPLE, 8192, u64s);
    CHECK_INT(layout(inner), 0);
    CHECK_INT(inner->size, 65536);
    const component_rtype **outer_fields = calloc(1 << 16, sizeof *outer_fields);
    for (size_t i = 0; i < 1 << 16; i++)
        outer_fields[i] = inner;
    component_rtype *outer = with_fields(COMPONENT_TYPE_TUPLE, 1 << 16, outer_fields);
    CHECK_INT(layout(outer), -1);
    free(outer_fields);
}

static component_rfunc *func(size_t nparams, const component_rtype *param,
                             const component_rtype *result)
{
    component_rfunc *f = component_rtype_pool_alloc(pool, sizeof *f);
    f->params = component_rtype_pool_alloc(pool, nparams * sizeof *f->params + 1);
    f->nparams = (uint32_t)nparams;
    for (size_t i = 0; i < nparams; i++) {
        f->params[i].label = "p";
        f->params[i].type = param;
    }
    f->result = result;
    util_error *err = NULL;
    CHECK_INT(component_rfunc_layout(f, &err), 0);
    util_error_free(&err);
    return f;
}

static void test_function_signatures(void)
{
    component_rfunc *add = func(2, P(COMPONENT_PRIM_U32), P(COMPONENT_PRIM_U32));
    CHECK_STR(add->lift_sig, "ii:i");
    CHECK_STR(add->lower_sig, "ii:i");
    CHECK(!add->params_in_memory && !add->result_in_memory);

    component_rfunc *greet = func(1, P(COMPONENT_PRIM_STRING), P(COMPONENT_PRIM_STRING));
    CHECK_STR(greet->lift_sig, "ii:i"); /* returns a pointer to (ptr, len) */
    CHECK_STR(greet->lower_sig, "iii:"); /* takes a return pointer */
    CHECK(greet->result_in_memory);
    CHECK_INT(greet->nflat_results, 1);

    component_rfunc *sixteen = func(16, P(COMPONENT_PRIM_F64), NULL);
    CHECK_STR(sixteen->lift_sig, "FFFFFFFFFFFFFFFF:");
    CHECK(!sixteen->params_in_memory);

    component_rfunc *seventeen = func(17, P(COMPONENT_PRIM_U8), P(COMPONENT_PRIM_S64));
    CHECK(seventeen->params_in_memory);
    CHECK_STR(seventeen->lift_sig, "i:I");
    CHECK_STR(seventeen->lower_sig, "i:I");
    CHECK_INT(seventeen->nflat_params, 1);

    component_rfunc *nothing = func(0, NULL, NULL);
    CHECK_STR(nothing->lift_sig, ":");
}

int main(void)
{
    pool = component_rtype_pool_new();
    RUN(test_records_pad_to_their_largest_field);
    RUN(test_variants_join_their_cases);
    RUN(test_discriminant_grows_with_cases);
    RUN(test_flags_sizes);
    RUN(test_lists_strings_and_handles);
    RUN(test_nesting_is_bounded);
    RUN(test_huge_values_are_refused);
    RUN(test_function_signatures);
    component_rtype_pool_free(pool);
    return TEST_SUMMARY();
}
