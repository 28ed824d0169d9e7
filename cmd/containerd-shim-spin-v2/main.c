/*
 * main.c - entry point of containerd-shim-spin-v2: picks the sub-command.
 *
 * The first argument decides: `run` and `up` are the local commands for
 * people; `-v`/`--version` prints the build; anything else is containerd's
 * shim command line, parsed by cmd_shim.
 */
#include "commands.h"
#include "util.h"

#include <string.h>

void cmd_print_version(const char *argv0)
{
    const char *name = strrchr(argv0, '/');
    name = name ? name + 1 : argv0;
    printf("%s:\n", name);
    printf("  Version:  %s\n", util_version);
    printf("  Revision: %s\n", util_revision);
    printf("  Build:    %s\n", util_build_info);
}

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage:\n"
            "  %s run [--dir HOST[::GUEST]]... [--env K=V]... [--invoke FUNC] FILE.wasm [ARGS...]\n"
            "  %s up --from DIR|FILE [--listen ADDR]\n"
            "  %s -namespace NS -address ADDR -id ID [-bundle DIR] [-debug] start|delete\n"
            "  %s -v | --version\n",
            argv0, argv0, argv0, argv0);
}

int main(int argc, char **argv)
{
    if (argc >= 2) {
        if (strcmp(argv[1], "run") == 0)
            return cmd_run(argc - 1, argv + 1);
        if (strcmp(argv[1], "up") == 0)
            return cmd_up(argc - 1, argv + 1);
        if (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0 ||
            strcmp(argv[1], "-version") == 0) {
            cmd_print_version(argv[0]);
            return 0;
        }
        if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
            usage(argv[0]);
            return 0;
        }
    }
    return cmd_shim(argc, argv);
}
