/*
 * wave.h - private to src/component: WAVE (the WebAssembly Value Encoding
 * of wasmtime's --invoke and wasm-tools) read into and written from
 * component_val, directed by resolved types.  The door is
 * component_func_call_text (component.h); these are for its tests.
 */
#ifndef COMPONENT_WAVE_H
#define COMPONENT_WAVE_H

#include "abi.h"
#include "util.h"

/* Reads the comma-separated arguments of `f` from `text` (what stands
 * between the parentheses of "name(...)"), allocating from `a`.  On error
 * `err` names the argument, the offset in `text` and what was expected. */
int component_wave_read_args(const component_rfunc *f, const char *text, component_arena *a,
                             component_val **args, util_error **err);
/* Reads exactly one value of type `t` (the whole text). */
int component_wave_read(const component_rtype *t, const char *text, component_arena *a,
                        component_val *out, util_error **err);
/* Appends `v` of type `t` as WAVE to `out`. */
void component_wave_write(const component_rtype *t, const component_val *v, util_buf *out);
/* True when `t` holds an own or borrow handle somewhere (WAVE has no
 * text for resources). */
bool component_wave_has_resource(const component_rtype *t);

#endif
