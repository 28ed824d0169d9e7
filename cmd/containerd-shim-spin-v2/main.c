/*
 * main.c - entry point of containerd-shim-spin-v2: picks the sub-command.
 *
 * The first argument decides: `run` and `up` are the local commands for
 * people; `help`, -h, --help or nothing at all print the usage (stdout,
 * exit 0); -v/--version prints the build.  A word that starts with a dash
 * is containerd's shim command line (`-namespace NS -address A ... start`,
 * `-info`), handled by cmd_shim exactly as containerd expects.  Any other
 * word is a mistake: the usage on stderr, exit 2.
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

static void usage(FILE *out)
{
    fputs("containerd-shim-spin-v2: the Spin runtime for containerd (runtime type\n"
          "io.containerd.spin.v2), which also runs WebAssembly programs and Spin apps\n"
          "by hand.\n"
          "\n"
          "usage:\n",
          out);
    cli_print_synopsis(&cmd_run_spec, out, "  ");
    cli_print_paragraph(out, cmd_run_spec.summary, 6);
    cli_print_synopsis(&cmd_up_spec, out, "  ");
    cli_print_paragraph(out, cmd_up_spec.summary, 6);
    fputs("  containerd-shim-spin-v2 help [run|up]\n"
          "      Print this usage, or every option of a command (also: -h, --help).\n"
          "  containerd-shim-spin-v2 -v | --version\n"
          "      Print the version, revision and build.\n"
          "\n"
          "containerd runs the shim itself (not meant to be typed):\n"
          "  containerd-shim-spin-v2 -namespace NS -address ADDR -publish-binary BIN\n"
          "      -id ID [-bundle DIR] [-debug] start\n"
          "      Start (or reuse) the shim of the container's pod; print its address.\n"
          "  containerd-shim-spin-v2 -namespace NS -address ADDR -publish-binary BIN\n"
          "      -id ID -bundle DIR [-debug] delete\n"
          "      Clean up after a container whose shim is gone.\n"
          "  containerd-shim-spin-v2 -info\n"
          "      Describe the runtime to containerd 2.x (protobuf on stdout).\n"
          "  Without an action word the process serves the Task API (what start forks).\n"
          "\n"
          "Try 'containerd-shim-spin-v2 run --help' or 'containerd-shim-spin-v2 up --help'.\n",
          out);
}

static bool is_help_word(const char *a)
{
    return strcmp(a, "help") == 0 || strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0 ||
           strcmp(a, "-help") == 0;
}

/* `help`, `help run`, `help up`. */
static int help(int argc, char **argv)
{
    if (argc < 3) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[2], "run") == 0) {
        cli_print_help(&cmd_run_spec, stdout);
        return 0;
    }
    if (strcmp(argv[2], "up") == 0) {
        cli_print_help(&cmd_up_spec, stdout);
        return 0;
    }
    fprintf(stderr, "containerd-shim-spin-v2: no help for '%s' (commands: run, up)\n", argv[2]);
    return CLI_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stdout);
        return 0;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "up") == 0)
        return cmd_up(argc - 1, argv + 1);
    if (strcmp(cmd, "-v") == 0 || strcmp(cmd, "--version") == 0 ||
        strcmp(cmd, "-version") == 0) {
        cmd_print_version(argv[0]);
        return 0;
    }
    if (is_help_word(cmd))
        return help(argc, argv);
    /* containerd always passes flags before its action word. */
    if (cmd[0] == '-' || strcmp(cmd, "start") == 0 || strcmp(cmd, "delete") == 0)
        return cmd_shim(argc, argv);
    fprintf(stderr,
            "containerd-shim-spin-v2: unknown command '%s'\n"
            "usage: containerd-shim-spin-v2 run [OPTIONS] FILE.wasm [ARGS...]\n"
            "       containerd-shim-spin-v2 up [OPTIONS]\n"
            "       containerd-shim-spin-v2 help [run|up]\n"
            "       containerd-shim-spin-v2 -v | --version\n"
            "Try 'containerd-shim-spin-v2 help' for all commands and options.\n",
            cmd);
    return CLI_EXIT_USAGE;
}
