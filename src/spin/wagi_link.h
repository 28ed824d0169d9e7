/*
 * wagi_link.h - refusing, at load, a Wagi component whose module cannot be
 * linked (internal to src/spin).
 */
#ifndef SPIN_WAGI_LINK_H
#define SPIN_WAGI_LINK_H

#include "util.h"
#include "wasm.h"

/* Resolves every import of `module` to what the Wagi executor gives each
 * request (the WASI preview 1 functions, store-free: wasi_define_for_stores)
 * into *out, which every request then instantiates from.  Fails naming the
 * component, the first import that does not resolve and its type, e.g.
 * "component 'x': cannot link its module: import env::foo (func (param
 * i32) (result i32)) is not provided by the host ...". */
int spin_wagi_link(const char *component, wasm_module *module, wasm_resolution **out,
                   util_error **err);

/* How many resolutions spin_wagi_link made in this process (a test hook:
 * requests must not add to it). */
size_t spin_wagi_link_count(void);

#endif
