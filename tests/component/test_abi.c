/*
 * test_abi.c - the handle tables (handles.c): slots, the free list, own
 * and borrow semantics and every trap they lead to.
 */
#include "abi.h"
#include "test.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static wasm_result res;

/* True if the last call trapped with a message containing `needle`. */
static bool trapped(const char *needle)
{
    if (res.kind == WASM_TRAP && strstr(res.message, needle))
        return true;
    fprintf(stderr, "  expected a trap with \"%s\", got kind %d: \"%s\"\n", needle, res.kind,
            res.message);
    return false;
}

/* ---- resource types ------------------------------------------------------ */

static int dtor_calls;
static uintptr_t dtor_reps;

static void count_dtor(uintptr_t rep)
{
    dtor_calls++;
    dtor_reps += rep;
}

static component_resource_type rt_in = {.name = "wasi:io/streams input-stream", .host = true,
                                        .host_dtor = count_dtor};
static component_resource_type rt_out = {.name = "wasi:io/streams output-stream", .host = true,
                                         .host_dtor = count_dtor};
static component_resource_type rt_guest = {.name = "guest-counter", .host = false};

/* ---- handle tables ------------------------------------------------------- */

static void test_handles_slot0_unused_and_free_list_reuse(void)
{
    component_handles *h = component_handles_new();
    uint32_t a = component_handles_new_own(h, &rt_in, 10);
    uint32_t b = component_handles_new_own(h, &rt_in, 20);
    uint32_t c = component_handles_new_own(h, &rt_in, 30);
    CHECK_INT(a, 1);
    CHECK_INT(b, 2);
    CHECK_INT(c, 3);
    uintptr_t rep = 0;
    bool dtor = false;
    CHECK_INT(component_handles_drop(h, b, &rt_in, &rep, &dtor, &res), 0);
    CHECK_INT(rep, 20);
    CHECK(dtor);
    CHECK_INT(component_handles_take_own(h, a, &rt_in, &rep, &res), 0);
    CHECK_INT(rep, 10);
    /* Last freed, first reused (the spec's free list is a stack). */
    CHECK_INT(component_handles_new_own(h, &rt_in, 40), 1);
    CHECK_INT(component_handles_new_own(h, &rt_in, 50), 2);
    CHECK_INT(component_handles_new_own(h, &rt_in, 60), 4);
    wasm_result_init(&res);
    CHECK_INT(component_handles_rep(h, 0, &rt_in, &rep, &res), -1);
    CHECK(trapped("unknown handle 0"));
    wasm_result_init(&res);
    CHECK_INT(component_handles_rep(h, 99, &rt_in, &rep, &res), -1);
    CHECK(trapped("unknown handle 99"));
    CHECK_INT(component_handles_rep(h, 4, &rt_in, &rep, &res), 0);
    CHECK_INT(rep, 60);
    dtor_calls = 0;
    component_handles_free(h);
    CHECK_INT(dtor_calls, 4);
}

static void test_handles_wrong_type_names_both(void)
{
    component_handles *h = component_handles_new();
    component_handles_new_own(h, &rt_in, 1);
    component_handles_new_own(h, &rt_in, 2);
    uint32_t out = component_handles_new_own(h, &rt_out, 3);
    uintptr_t rep;
    wasm_result_init(&res);
    CHECK_INT(component_handles_take_own(h, out, &rt_in, &rep, &res), -1);
    CHECK(trapped("handle 3 is a wasi:io/streams output-stream, expected "
                  "wasi:io/streams input-stream"));
    /* The failed move left the handle where it was. */
    CHECK_INT(component_handles_rep(h, out, &rt_out, &rep, &res), 0);
    CHECK_INT(rep, 3);
    component_handles_free(h);
}

static void test_handles_lend_blocks_move_and_drop_until_call_ends(void)
{
    component_handles *h = component_handles_new();
    uint32_t a = component_handles_new_own(h, &rt_in, 7);
    uintptr_t rep = 0;
    bool dtor;
    CHECK_INT(component_handles_lend(h, a, &rt_in, 5, &rep, &res), 0);
    CHECK_INT(rep, 7);
    wasm_result_init(&res);
    CHECK_INT(component_handles_take_own(h, a, &rt_in, &rep, &res), -1);
    CHECK(trapped("cannot move own handle 1 (wasi:io/streams input-stream): it is lent"));
    wasm_result_init(&res);
    CHECK_INT(component_handles_drop(h, a, &rt_in, &rep, &dtor, &res), -1);
    CHECK(trapped("cannot drop handle 1"));
    /* Another call's end releases nothing. */
    CHECK_INT(component_handles_end_call(h, 4, &res), 0);
    wasm_result_init(&res);
    CHECK_INT(component_handles_drop(h, a, &rt_in, &rep, &dtor, &res), -1);
    CHECK_INT(component_handles_end_call(h, 5, &res), 0);
    wasm_result_init(&res);
    CHECK_INT(component_handles_drop(h, a, &rt_in, &rep, &dtor, &res), 0);
    CHECK(dtor);
    component_handles_free(h);
}

static void test_handles_borrow_must_die_before_its_call_ends(void)
{
    component_handles *h = component_handles_new();
    uint32_t b = component_handles_new_borrow(h, &rt_in, 9, 3);
    uintptr_t rep;
    bool dtor = true;
    wasm_result_init(&res);
    CHECK_INT(component_handles_take_own(h, b, &rt_in, &rep, &res), -1);
    CHECK(trapped("handle 1 is a borrow of wasi:io/streams input-stream, expected an own"));
    CHECK_INT(component_handles_end_call(h, 2, &res), 0); /* another call */
    wasm_result_init(&res);
    CHECK_INT(component_handles_end_call(h, 3, &res), -1);
    CHECK(trapped("borrow handle 1 (wasi:io/streams input-stream) created for this call was "
                  "not dropped"));
    wasm_result_init(&res);
    CHECK_INT(component_handles_drop(h, b, &rt_in, &rep, &dtor, &res), 0);
    CHECK(!dtor); /* a borrow's drop runs no destructor */
    CHECK_INT(rep, 9);
    CHECK_INT(component_handles_end_call(h, 3, &res), 0);
    dtor_calls = 0;
    component_handles_free(h);
    CHECK_INT(dtor_calls, 0);
}

static void test_handles_free_runs_only_host_dtors_and_iterates_owns(void)
{
    component_handles *h = component_handles_new();
    component_handles_new_own(h, &rt_in, 100);
    component_handles_new_own(h, &rt_guest, 5);
    component_handles_new_borrow(h, &rt_out, 1000, 1);
    component_handles_new_own(h, &rt_out, 200);
    uint32_t it = 0;
    component_resource_type *type;
    uintptr_t rep, sum = 0;
    int n = 0;
    while (component_handles_next_own(h, &it, &type, &rep)) {
        n++;
        sum += rep;
    }
    CHECK_INT(n, 3);
    CHECK_INT(sum, 305);
    dtor_calls = 0;
    dtor_reps = 0;
    component_handles_free(h);
    CHECK_INT(dtor_calls, 2);
    CHECK_INT(dtor_reps, 300);
}

int main(void)
{
    RUN(test_handles_slot0_unused_and_free_list_reuse);
    RUN(test_handles_wrong_type_names_both);
    RUN(test_handles_lend_blocks_move_and_drop_until_call_ends);
    RUN(test_handles_borrow_must_die_before_its_call_ends);
    RUN(test_handles_free_runs_only_host_dtors_and_iterates_owns);
    return TEST_SUMMARY();
}
