/*
 * cmd_shim.c - the `shim` sub-command: containerd's invocations (`start`,
 * `delete`, or none for the daemon), all handled by the shim layer.
 */
#include "commands.h"
#include "shim.h"

int cmd_shim(int argc, char **argv)
{
    return shim_main(argc, argv);
}
