/*
 * runner.h - the joint between the sandbox and the Wasm column, and the
 * only door into src/runner.
 *
 * The container layer (container.h) runs ELF and `#!` programs by execve
 * and knows nothing of Wasm; this layer gives it two handlers that run
 * Wasm in the set-up container process instead (container.h, "handlers",
 * says when each step runs):
 *
 *   runner_spin_handler  "spin": process.args ["/"] with /spin.toml in the
 *                        rootfs is a Spin app (app dir "/"); so is a rootfs
 *                        with /spin.json, the locked app an OCI artifact's
 *                        install (oci.h) leaves, with any args but a native
 *                        arg0 (Kubernetes passes ["/"], containerd-shim-spin's
 *                        harness "bogus-arg"), run from /spin.json and its
 *                        /.cache.  Served by the Spin host (spin_app_run)
 *                        with the process's env and stdio; a start-up error
 *                        is printed on stderr, exit 137 (as runwasi).
 *                        prepare loads the HTTP library in the shim before
 *                        the fork (for "/" or a <rootfs>/spin.json), since
 *                        after pivot_root the host's copy is out of sight
 *                        (and a node without it gets a Create error naming
 *                        the package).  "/" with neither file fails Create.
 *   runner_wasi_handler  "wasi": a file starting with "\0asm", or one whose
 *                        name ends in ".wasm" and is no ELF or `#!` file (a
 *                        ".wasm" need not be executable), is a WASI command:
 *                        load reads and validates it before Create returns
 *                        (a broken module fails Create, naming the file);
 *                        run gives it the process's args, env, stdio and the
 *                        container's root as "/"; features, exit status and
 *                        messages are the policy `run` and Spin share
 *                        (wasi.h, "one policy": exit = the guest's code, a
 *                        trap prints message + backtrace on stderr and exits
 *                        134, a module that cannot start exits 1);
 *                        SIGTERM/SIGINT/SIGHUP end it with 128 + signal
 *                        although it is pid 1.
 *
 * The order matters only for "/" (a directory no WASI module can be), but
 * it is fixed: Spin first, then WASI.
 */
#ifndef RUNNER_RUNNER_H
#define RUNNER_RUNNER_H

#include "container.h"
#include "util.h"

extern const container_handler runner_spin_handler;
extern const container_handler runner_wasi_handler;

/* Registers both with the container layer, Spin first.  Call once at
 * start-up, before any container is created. */
int runner_register_handlers(util_error **err);

#endif
