/*
 * wasi2_test_util.h - calling the WASI 0.2 host the way a guest would:
 * values built by hand, one component_linker_call per host function
 * (which checks arguments and results against the WIT signatures), and
 * results taken apart.  Shared by test_wasi2_fs.c and test_wasi2_sockets.c.
 */
#ifndef TESTS_WASI2_TEST_UTIL_H
#define TESTS_WASI2_TEST_UTIL_H

#include "fsnet.h"
#include "test.h"

#define V_U64(x) ((component_val){.kind = COMPONENT_VAL_U64, .of.u = (x)})
#define V_U32(x) ((component_val){.kind = COMPONENT_VAL_U32, .of.u = (x)})
#define V_U16(x) ((component_val){.kind = COMPONENT_VAL_U16, .of.u = (x)})
#define V_U8(x) ((component_val){.kind = COMPONENT_VAL_U8, .of.u = (x)})
#define V_BOOL(x) ((component_val){.kind = COMPONENT_VAL_BOOL, .of.b = (x)})
#define V_FLAGS(x) ((component_val){.kind = COMPONENT_VAL_FLAGS, .of.flags = (x)})
#define V_ENUM(x) ((component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {(x), NULL}})
#define V_STR(s) ((component_val){.kind = COMPONENT_VAL_STRING, .of.str = {(s), strlen(s)}})
#define V_BYTES(p, n) ((component_val){.kind = COMPONENT_VAL_LIST, .of.list = {NULL, (p), (n)}})
/* A borrow of the resource an own value holds. */
#define V_BORROW(own)                                                                           \
    ((component_val){.kind = COMPONENT_VAL_BORROW, .of.resource = (own).of.resource})

/* One host call; fails the test (and returns -1) if the linker refuses it
 * or the function traps. */
static inline int host_call(const component_linker *l, component_call *call, const char *iface,
                            const char *name, const component_val *args, size_t nargs,
                            component_val *result)
{
    util_error *err = NULL;
    int rc = component_linker_call(l, iface, name, call, args, nargs, result, &err);
    if (rc != 0) {
        fprintf(stderr, "%s %s: %s\n", iface, name, err ? err->msg : "?");
        test_checks_failed++;
        util_error_free(&err);
    }
    return rc;
}

/* The error-code of a result<_, error-code>, or -1 if it is ok. */
static inline int err_of(const component_val *r)
{
    if (r->kind != COMPONENT_VAL_VARIANT || r->of.variant.disc != 1)
        return -1;
    return (int)r->of.variant.payload->of.variant.disc;
}

/* The ok payload of a result (NULL if it is an error or carries nothing). */
static inline const component_val *ok_of(const component_val *r)
{
    if (r->kind != COMPONENT_VAL_VARIANT || r->of.variant.disc != 0)
        return NULL;
    return r->of.variant.payload;
}

#endif
