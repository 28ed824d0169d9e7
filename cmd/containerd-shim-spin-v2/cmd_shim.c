/*
 * cmd_shim.c - the `shim` sub-command: containerd's invocations (`start`,
 * `delete`, or none for the daemon), all handled by the shim layer.
 *
 * The container sandbox runs only ELF and `#!` programs by itself; the
 * binary registers the runner's handlers first, so containers can also be
 * WASI modules and Spin apps.
 */
#include "commands.h"
#include "runner.h"
#include "shim.h"

int cmd_shim(int argc, char **argv)
{
    util_error *err = NULL;
    if (runner_register_handlers(&err) < 0) {
        util_error_report(&err, "containerd-shim-spin-v2");
        return 1;
    }
    return shim_main(argc, argv);
}
