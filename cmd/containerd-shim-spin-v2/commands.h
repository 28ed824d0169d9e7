/*
 * commands.h - the sub-commands of containerd-shim-spin-v2 and the option
 * tables they share with the help text.
 *
 * containerd runs the binary with Go-style flags and an action word
 * (`start`, `delete`, or none for the long-lived server): that is cmd_shim.
 * People run `run` (a WASI program, like `wasmtime run`) and `up` (a Spin
 * app, like `spin up`).  Each returns the process exit status.
 *
 * A command describes itself once, in a cli_command: its options (one row
 * each), its environment variables and its exit codes.  The parser
 * (cli_next), the usage line, `--help` and the binary's top-level usage are
 * all made from that description, so adding a flag is one row in the table
 * plus one `case` where the command applies it, and the help can never
 * forget it.
 */
#ifndef CMD_COMMANDS_H
#define CMD_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

int cmd_shim(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_up(int argc, char **argv);
void cmd_print_version(const char *argv0);

/* Exit status of every command line mistake (as in `up`, wasmtime, spin
 * and most Unix tools), distinct from a program's own failure. */
#define CLI_EXIT_USAGE 2

/* One option of a command. */
typedef struct cli_option {
    int id;                 /* what the command's switch acts on */
    const char *name;       /* "--env" */
    const char *short_name; /* "-e", or NULL */
    const char *value;      /* placeholder of the value ("K=V"); NULL = a switch */
    bool repeatable;        /* may be given more than once ("..." in the usage) */
    const char *help;       /* what it does; wrapped when printed */
} cli_option;

/* A line of a two-column list: an environment variable or an exit code. */
typedef struct cli_item {
    const char *term;
    const char *help;
} cli_item;

typedef struct cli_command {
    const char *name;     /* "run" */
    const char *operands; /* after the options: "FILE.wasm [ARGS...]", or NULL */
    const char *summary;  /* one line: what the command does */
    const char *details;  /* paragraph after the summary, or NULL */
    const cli_option *options;
    size_t noptions;
    const cli_item *environment;
    size_t nenvironment;
    const cli_item *exit_status;
    size_t nexit_status;
} cli_command;

extern const cli_command cmd_run_spec;
extern const cli_command cmd_up_spec;

/* Walks argv[1..] of a command.  Options are "--name VALUE",
 * "--name=VALUE", "-s VALUE"; "--" ends them, and so does the first word
 * that is not an option (an operand). */
typedef struct cli_parser {
    const cli_command *cmd;
    int argc;
    char **argv;
    int next; /* index of the next word; at CLI_END, of the first operand */
} cli_parser;

enum cli_step {
    CLI_ERROR = -1, /* message and usage printed on stderr: exit CLI_EXIT_USAGE */
    CLI_END = 0,    /* no more options: operands (if any) start at p->next */
    CLI_OPTION = 1, /* *opt is the option, *value its value (NULL for a switch) */
    CLI_HELP = 2,   /* -h or --help: print cli_print_help(cmd, stdout), exit 0 */
};

void cli_parser_init(cli_parser *p, const cli_command *cmd, int argc, char **argv);
int cli_next(cli_parser *p, const cli_option **opt, const char **value);

/* "usage: containerd-shim-spin-v2 NAME [--opt V]... OPERANDS", wrapped. */
void cli_print_usage(const cli_command *cmd, FILE *out);
/* The same line after `lead` instead of "usage: ". */
void cli_print_synopsis(const cli_command *cmd, FILE *out, const char *lead);
/* `text` word-wrapped, every line indented by `indent`. */
void cli_print_paragraph(FILE *out, const char *text, size_t indent);
/* The usage, then summary, details, options, environment and exit status. */
void cli_print_help(const cli_command *cmd, FILE *out);
/* Prints "containerd-shim-spin-v2 NAME: <message>", the usage and a
 * pointer to --help on stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
