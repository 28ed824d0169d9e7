/*
 * wagi_link.h - refusing, at load, a Wagi component whose module cannot be
 * linked, and running Wagi components that are WebAssembly components
 * (internal to src/spin).
 */
#ifndef SPIN_WAGI_LINK_H
#define SPIN_WAGI_LINK_H

#include "http_executor.h"
#include "util.h"
#include "wasi.h"
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

/* ---- Wagi components (wagi_component.c) ---------------------------------- */

/* A component runs under Wagi if it exports wasi:cli/run; else an error
 * naming it. */
int spin_wagi_component_check(const spin_component_runtime *comp, util_error **err);
/* Runs comp->pre's wasi:cli/run with what `cfg` says (argv, env, stdio,
 * the files preopen, deadline); `job` (may be NULL) can cancel it.
 * Returns 0 when the command succeeded, else one of SPIN_EXEC_*. */
int spin_wagi_component_run(const spin_component_runtime *comp, const wasi_config *cfg,
                            spin_http_job *job, util_error **err);
struct component_instance;
/* Calls an instance's wasi:cli/run (Wagi, the command trigger); *ok: it
 * returned ok (an err result is exit 1).  -1 with `res` set on a trap or
 * when the component exports no wasi:cli/run. */
int spin_component_call_run(struct component_instance *inst, bool *ok, wasm_result *res);

#endif
