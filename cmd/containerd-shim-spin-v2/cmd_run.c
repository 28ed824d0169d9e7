/* cmd_run.c - the `run` sub-command (not built yet: says so and fails). */
#include "commands.h"

#include <stdio.h>

int cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "containerd-shim-spin-v2: the 'run' command is not implemented yet\n");
    return 2;
}
