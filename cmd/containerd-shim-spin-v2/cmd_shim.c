/* cmd_shim.c - the `shim` sub-command (not built yet: says so and fails). */
#include "commands.h"

#include <stdio.h>

int cmd_shim(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "containerd-shim-spin-v2: the 'shim' command is not implemented yet\n");
    return 2;
}
