/* cmd_up.c - the `up` sub-command (not built yet: says so and fails). */
#include "commands.h"

#include <stdio.h>

int cmd_up(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "containerd-shim-spin-v2: the 'up' command is not implemented yet\n");
    return 2;
}
