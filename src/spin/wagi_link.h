/*
 * wagi_link.h - refusing, at load, a Wagi component whose module cannot be
 * linked (internal to src/spin).
 */
#ifndef SPIN_WAGI_LINK_H
#define SPIN_WAGI_LINK_H

#include "util.h"
#include "wasm.h"

/* Checks that every import of `module` resolves, with the right type, to
 * what the Wagi executor gives each request (the WASI preview 1 functions).
 * Fails naming the component, the first import that does not and its
 * type, e.g. "component 'x': cannot link its module: import env::foo
 * (func (param i32) (result i32)) is not provided by the host ...". */
int spin_wagi_link_check(const char *component, const wasm_module *module, util_error **err);

#endif
