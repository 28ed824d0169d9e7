/*
 * spinapi_test_util.h - calling Spin's host APIs the way a guest would:
 * a spinapi_component made from a config, a linker with spinapi_define, and
 * one component_linker_call per host function (which also checks every
 * argument and result against the registered WIT signature).
 */
#ifndef TESTS_SPINAPI_TEST_UTIL_H
#define TESTS_SPINAPI_TEST_UTIL_H

#include "spinapi_internal.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define V_STR(s) ((component_val){.kind = COMPONENT_VAL_STRING, .of.str = {(s), strlen(s)}})
#define V_BYTES(p, n) ((component_val){.kind = COMPONENT_VAL_LIST, .of.list = {NULL, (p), (n)}})
#define V_S64(x) ((component_val){.kind = COMPONENT_VAL_S64, .of.s = (x)})
#define V_NONE ((component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {0, NULL}})
#define V_BORROW(own)                                                                           \
    ((component_val){.kind = COMPONENT_VAL_BORROW, .of.resource = (own).of.resource})

typedef struct fixture {
    spinapi_component *comp;
    spinapi_ctx *ctx;
    component_linker *l;
    component_call *call;
    char error[512]; /* the last call's linker error or trap, "" if none */
} fixture;

static inline fixture *fixture_new(const spinapi_component_config *cfg)
{
    fixture *f = util_xcalloc(1, sizeof(*f));
    util_error *err = NULL;
    f->comp = spinapi_component_new(cfg, &err);
    f->l = component_linker_new();
    if (f->comp == NULL || spinapi_define(f->l, NULL, &err) < 0) {
        fprintf(stderr, "setup: %s\n", err ? err->msg : "?");
        abort();
    }
    f->ctx = spinapi_ctx_new(f->comp);
    f->call = component_call_new(f->ctx);
    return f;
}

static inline void fixture_free(fixture *f)
{
    component_call_free(f->call);
    component_linker_free(f->l);
    spinapi_ctx_free(f->ctx);
    spinapi_component_free(f->comp);
    free(f);
}

/* One host call; 0, or -1 with f->error set (and the check failed unless
 * the caller expects it: see call_fails). */
static inline int call_quiet(fixture *f, const char *iface, const char *name,
                             const component_val *args, size_t nargs, component_val *result)
{
    util_error *err = NULL;
    f->error[0] = '\0';
    int rc = component_linker_call(f->l, iface, name, f->call, args, nargs, result, &err);
    if (rc < 0) {
        snprintf(f->error, sizeof(f->error), "%s", err ? err->msg : "(no error)");
        util_error_free(&err);
    }
    return rc;
}

static inline int call(fixture *f, const char *iface, const char *name, const component_val *args,
                       size_t nargs, component_val *result)
{
    int rc = call_quiet(f, iface, name, args, nargs, result);
    if (rc < 0) {
        fprintf(stderr, "%s %s: %s\n", iface, name, f->error);
        test_checks_failed++;
    }
    return rc;
}

static inline bool is_ok(const component_val *r)
{
    return r->kind == COMPONENT_VAL_VARIANT && r->of.variant.disc == 0;
}

/* The case of a result's error variant, or -1 if it is ok. */
static inline int err_case(const component_val *r)
{
    if (r->kind != COMPONENT_VAL_VARIANT || r->of.variant.disc != 1)
        return -1;
    return (int)r->of.variant.payload->of.variant.disc;
}

/* The string an error case carries ("" if none). */
static inline const char *err_text(const component_val *r, char *buf, size_t size)
{
    buf[0] = '\0';
    if (err_case(r) >= 0) {
        const component_val *p = r->of.variant.payload->of.variant.payload;
        if (p && p->kind == COMPONENT_VAL_STRING)
            snprintf(buf, size, "%.*s", (int)p->of.str.len, p->of.str.ptr);
    }
    return buf;
}

static inline const component_val *ok_of(const component_val *r)
{
    return is_ok(r) ? r->of.variant.payload : NULL;
}

/* A string value as a C string in buf. */
static inline const char *str_of(const component_val *v, char *buf, size_t size)
{
    snprintf(buf, size, "%.*s", (int)v->of.str.len, v->of.str.ptr);
    return buf;
}

/* A fresh empty directory under TMPDIR (malloc'd). */
static inline char *temp_dir(void)
{
    const char *base = getenv("TMPDIR");
    char *dir = util_xasprintf("%s/spinapi-test-XXXXXX", base && *base ? base : "/tmp");
    if (mkdtemp(dir) == NULL)
        abort();
    return dir;
}

static inline void remove_tree(const char *dir)
{
    char *cmd = util_xasprintf("rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    free(cmd);
}

#endif
