/*
 * handles.c - the per-instance handle tables that give resources their
 * own/borrow semantics (CanonicalABI.md, "Table State" and "Resource
 * State").
 *
 * A table is an array of slots indexed by handle; slot 0 is never used,
 * so 0 can never name a resource.  Freed slots go on a free list and are
 * reused last-freed-first, as the spec's table does.  Each live slot holds
 * the resource type (the identity checks compare pointers), the rep, and:
 *  - for an own: a lend count, raised when a call borrows it (lifting a
 *    borrow<T> from this instance) and lowered when that call ends; an own
 *    that is lent out cannot be moved away or dropped;
 *  - for a borrow: the call (scope) it was created for; it must be dropped
 *    before that call returns.
 * Loans are kept in a small list of (scope, handle) so that ending a call
 * releases exactly the loans that call took.  Checking the end of a call
 * scans the table only when borrow handles are alive at all, which is rare
 * and short-lived.
 *
 * The table also remembers which resource types its instance defines:
 * lowering a borrow of such a type into this instance passes the rep
 * itself (the spec's rule), not a handle.
 *
 * Every misuse is a trap whose message names the handle, what it is and
 * what was expected.
 */
#include "abi.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* The spec's Table.MAX_LENGTH. */
#define HANDLES_MAX ((1u << 28) - 1)

typedef struct handle_slot {
    component_resource_type *type; /* NULL: free */
    uintptr_t rep;
    uint32_t lends;     /* loans of this handle by calls still running */
    uint32_t scope;     /* borrow: the call it was created for */
    uint32_t next_free; /* free slot: the next free one (0: none) */
    bool own;
} handle_slot;

typedef struct handle_loan {
    uint32_t scope;
    uint32_t handle;
} handle_loan;

struct component_handles {
    handle_slot *slots;
    uint32_t nslots, cap; /* nslots counts slot 0 */
    uint32_t free_head;
    uint32_t live_borrows;
    handle_loan *loans;
    size_t nloans, loans_cap;
    const component_resource_type **defined;
    size_t ndefined, defined_cap;
};

static int handles_trap(wasm_result *res, const char *fmt, ...) UTIL_PRINTF(2, 3);

static int handles_trap(wasm_result *res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (res) {
        res->kind = WASM_TRAP;
        vsnprintf(res->message, sizeof res->message, fmt, ap);
        res->backtrace[0] = '\0';
    }
    va_end(ap);
    return -1;
}

static const char *type_name(const component_resource_type *t)
{
    return t && t->name ? t->name : "(unnamed resource)";
}

component_handles *component_handles_new(void)
{
    component_handles *h = util_xcalloc(1, sizeof *h);
    h->nslots = 1; /* slot 0 is never a handle */
    h->cap = 8;
    h->slots = util_xcalloc(h->cap, sizeof *h->slots);
    return h;
}

void component_handles_free(component_handles *h)
{
    if (!h)
        return;
    for (uint32_t i = 1; i < h->nslots; i++) {
        handle_slot *s = &h->slots[i];
        if (s->type && s->own && s->type->host && s->type->host_dtor)
            s->type->host_dtor(s->rep);
    }
    free(h->slots);
    free(h->loans);
    free(h->defined);
    free(h);
}

static uint32_t add_slot(component_handles *h, component_resource_type *type, uintptr_t rep,
                         bool own, uint32_t scope)
{
    uint32_t i = h->free_head;
    if (i) {
        h->free_head = h->slots[i].next_free;
    } else {
        if (h->nslots > HANDLES_MAX)
            return 0;
        if (h->nslots == h->cap) {
            h->cap *= 2;
            h->slots = util_xrealloc(h->slots, h->cap * sizeof *h->slots);
        }
        i = h->nslots++;
    }
    h->slots[i] = (handle_slot){.type = type, .rep = rep, .own = own, .scope = scope};
    if (!own)
        h->live_borrows++;
    return i;
}

static void remove_slot(component_handles *h, uint32_t i)
{
    if (!h->slots[i].own)
        h->live_borrows--;
    h->slots[i] = (handle_slot){.next_free = h->free_head};
    h->free_head = i;
}

uint32_t component_handles_new_own(component_handles *h, component_resource_type *type,
                                   uintptr_t rep)
{
    return add_slot(h, type, rep, true, 0);
}

uint32_t component_handles_new_borrow(component_handles *h, component_resource_type *type,
                                      uintptr_t rep, uint32_t scope)
{
    return add_slot(h, type, rep, false, scope);
}

/* The live slot of `handle` whose type is `type`, or NULL after a trap. */
static handle_slot *lookup(component_handles *h, uint32_t handle, component_resource_type *type,
                           wasm_result *res)
{
    if (handle == 0 || handle >= h->nslots || !h->slots[handle].type) {
        handles_trap(res, "unknown handle %u (expected a %s)", handle, type_name(type));
        return NULL;
    }
    handle_slot *s = &h->slots[handle];
    if (s->type != type) {
        handles_trap(res, "handle %u is a %s, expected %s", handle, type_name(s->type),
                     type_name(type));
        return NULL;
    }
    return s;
}

/* The trap for moving or dropping a handle while calls borrow it (the
 * spec's lend count): `action` is what was refused. */
static int still_lent(wasm_result *res, const char *action, uint32_t handle,
                      component_resource_type *type, uint32_t lends)
{
    return handles_trap(res, "cannot %s handle %u (%s): it is lent to %u call%s still running",
                        action, handle, type_name(type), lends, lends == 1 ? "" : "s");
}

int component_handles_take_own(component_handles *h, uint32_t handle,
                               component_resource_type *type, uintptr_t *rep, wasm_result *res)
{
    handle_slot *s = lookup(h, handle, type, res);
    if (!s)
        return -1;
    if (!s->own)
        return handles_trap(res, "handle %u is a borrow of %s, expected an own", handle,
                            type_name(type));
    if (s->lends)
        return still_lent(res, "move own", handle, type, s->lends);
    *rep = s->rep;
    remove_slot(h, handle);
    return 0;
}

int component_handles_lend(component_handles *h, uint32_t handle, component_resource_type *type,
                           uint32_t scope, uintptr_t *rep, wasm_result *res)
{
    handle_slot *s = lookup(h, handle, type, res);
    if (!s)
        return -1;
    if (h->nloans == h->loans_cap) {
        h->loans_cap = h->loans_cap ? h->loans_cap * 2 : 8;
        h->loans = util_xrealloc(h->loans, h->loans_cap * sizeof *h->loans);
    }
    h->loans[h->nloans++] = (handle_loan){.scope = scope, .handle = handle};
    s->lends++;
    *rep = s->rep;
    return 0;
}

int component_handles_rep(component_handles *h, uint32_t handle, component_resource_type *type,
                          uintptr_t *rep, wasm_result *res)
{
    handle_slot *s = lookup(h, handle, type, res);
    if (!s)
        return -1;
    *rep = s->rep;
    return 0;
}

int component_handles_drop(component_handles *h, uint32_t handle, component_resource_type *type,
                           uintptr_t *rep, bool *run_dtor, wasm_result *res)
{
    handle_slot *s = lookup(h, handle, type, res);
    if (!s)
        return -1;
    if (s->lends)
        return still_lent(res, "drop", handle, type, s->lends);
    *rep = s->rep;
    *run_dtor = s->own;
    remove_slot(h, handle);
    return 0;
}

int component_handles_end_call(component_handles *h, uint32_t scope, wasm_result *res)
{
    size_t kept = 0;
    for (size_t i = 0; i < h->nloans; i++) {
        handle_loan l = h->loans[i];
        if (l.scope == scope)
            h->slots[l.handle].lends--;
        else
            h->loans[kept++] = l;
    }
    h->nloans = kept;
    if (h->live_borrows == 0)
        return 0;
    for (uint32_t i = 1; i < h->nslots; i++) {
        handle_slot *s = &h->slots[i];
        if (s->type && !s->own && s->scope == scope)
            return handles_trap(res, "borrow handle %u (%s) created for this call was not "
                                     "dropped before the call returned", i, type_name(s->type));
    }
    return 0;
}

int component_handles_define_type(component_handles *h, const component_resource_type *type)
{
    if (component_handles_defines(h, type))
        return 0;
    if (h->ndefined == h->defined_cap) {
        h->defined_cap = h->defined_cap ? h->defined_cap * 2 : 4;
        h->defined = util_xrealloc(h->defined, h->defined_cap * sizeof *h->defined);
    }
    h->defined[h->ndefined++] = type;
    return 0;
}

bool component_handles_defines(const component_handles *h, const component_resource_type *type)
{
    for (size_t i = 0; i < h->ndefined; i++)
        if (h->defined[i] == type)
            return true;
    return false;
}

bool component_handles_next_own(const component_handles *h, uint32_t *handle,
                                component_resource_type **type, uintptr_t *rep)
{
    for (uint32_t i = *handle + 1; i < h->nslots; i++) {
        const handle_slot *s = &h->slots[i];
        if (s->type && s->own) {
            *handle = i;
            *type = s->type;
            *rep = s->rep;
            return true;
        }
    }
    *handle = h->nslots;
    return false;
}
