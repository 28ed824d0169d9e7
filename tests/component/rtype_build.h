/*
 * rtype_build.h - resolved types built by hand in a test's pool, the way
 * the linking code builds them, for the tests of the canonical ABI
 * (test_abi.c, test_abi_layout.c, tests/fuzz/fuzz_abi_lift.c): a bare
 * node, a node with children (record, tuple, variant, enum, flags) and a
 * node with one or two (list, option, result).  Nothing is laid out here:
 * each test decides when, since some check layout itself.
 */
#ifndef TESTS_COMPONENT_RTYPE_BUILD_H
#define TESTS_COMPONENT_RTYPE_BUILD_H

#include "rtype.h"

static inline const component_rtype *P(component_prim p)
{
    return component_rtype_prim(p);
}

static inline component_rtype *rt_node(component_rtype_pool *pool, component_type_kind kind)
{
    component_rtype *t = component_rtype_pool_alloc(pool, sizeof *t);
    t->kind = kind;
    return t;
}

/* `kind` with n children, each labelled `label` (a tuple's unlabelled);
 * types NULL: n cases without payload (enum, flags); a NULL child: a
 * variant case without payload. */
static inline component_rtype *rt_with(component_rtype_pool *pool, component_type_kind kind,
                                       size_t n, const component_rtype *const *types,
                                       const char *label)
{
    component_rtype *t = rt_node(pool, kind);
    t->fields = component_rtype_pool_alloc(pool, (n ? n : 1) * sizeof *t->fields);
    t->nfields = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        t->fields[i].label = kind == COMPONENT_TYPE_TUPLE ? NULL : label;
        t->fields[i].type = types ? types[i] : NULL;
    }
    return t;
}

/* list<a>, option<a>, result<a, b> (NULL: no such type). */
static inline component_rtype *rt_wrap(component_rtype_pool *pool, component_type_kind kind,
                                       const component_rtype *a, const component_rtype *b)
{
    component_rtype *t = rt_node(pool, kind);
    t->a = a;
    t->b = b;
    return t;
}

#endif
