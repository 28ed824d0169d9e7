/*
 * fuzz_component.c - libFuzzer target for the component decoder
 * (src/component): any bytes must decode or be refused with an error that
 * names where, never crash, read out of bounds, leak or allocate without
 * bound.  A decoded model is walked in full (names, types, instances,
 * aliases, canons, nested components) and its indices checked against the
 * final index spaces, so a model that decoded but is inconsistent aborts.
 * Seeds: the real components of ../shared/corpora/components, copied into
 * the build tree.
 */
#include "component.h"

#include <string.h>

static size_t walk(const component *c, size_t depth)
{
    size_t sum = 0;
    for (size_t i = 0; i < component_import_count(c); i++)
        sum += strlen(component_import(c, i)->name.text);
    for (size_t i = 0; i < component_export_count(c); i++) {
        const component_extern *e = component_export(c, i);
        sum += strlen(e->name.text) + (e->name.version ? strlen(e->name.version) : 0);
        if (e->index >= component_count(c, e->sort))
            __builtin_trap();
    }
    for (uint32_t i = 0; i < component_count(c, COMPONENT_SORT_TYPE); i++) {
        const component_type *t = component_type_at(c, i);
        for (uint32_t f = 0; f < t->nfields; f++)
            sum += t->fields[f].label ? strlen(t->fields[f].label) : 0;
    }
    for (size_t i = 0; i < component_instance_count(c); i++) {
        const component_instance_def *d = component_instance_at(c, i);
        for (uint32_t a = 0; a < d->nargs; a++)
            if (d->args[a].index >= component_count(c, d->args[a].sort))
                __builtin_trap();
        sum += d->nargs;
    }
    for (size_t i = 0; i < component_alias_count(c); i++) {
        const component_alias *a = component_alias_at(c, i);
        if (a->index >= component_count(c, a->sort))
            __builtin_trap();
        sum += a->name ? strlen(a->name) : 0;
    }
    for (size_t i = 0; i < component_canon_count(c); i++)
        sum += strlen(component_canon_name(component_canon_at(c, i)->kind));
    for (size_t i = 0; i < component_nested_count(c); i++)
        sum += walk(component_nested_at(c, i), depth + 1);
    return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    component *c = NULL;
    util_error *err = NULL;
    if (component_decode(data, size, &c, &err) < 0) {
        if (!strstr(err->msg, "at offset 0x"))
            __builtin_trap();
        util_error_free(&err);
        return 0;
    }
    for (size_t i = 0; i < component_module_count(c); i++) {
        component_module_range m = component_module_at(c, i);
        if (m.offset + m.len > size)
            __builtin_trap();
    }
    volatile size_t sink = walk(c, 0);
    (void)sink;
    component_free(c);
    return 0;
}
