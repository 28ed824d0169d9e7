/*
 * cli.c - option parsing and help text for the people-facing commands
 * (`run`, `up`), both made from one description per command (cli_command
 * in commands.h).
 *
 * Why a table: the help of `up` was one line on stderr and the usage lines
 * forgot half the flags, because the parser, the usage and the help were
 * three hand-written lists.  Now a flag exists in exactly one place; the
 * parser matches it, the usage line and `--help` print it.  Everything is
 * word-wrapped at 79 columns so rows stay short in the source.
 *
 * Conventions (those of wasmtime and spin): "--name VALUE", "--name=VALUE"
 * and "-s VALUE"; "--" ends the options; the first word that is not an
 * option ends them too (for `run` it is FILE, and what follows belongs to
 * the program).  -h/--help prints the help on stdout (exit 0); a mistake
 * prints what is wrong and the usage on stderr (exit 2).
 */
#include "commands.h"
#include "util.h"

#include <stdarg.h>
#include <string.h>

#define PROG "containerd-shim-spin-v2"
#define WIDTH 79
#define TERM_COLUMN 28 /* where descriptions start at most in option and item lists */

/* ---- word-wrapped output --------------------------------------------- */

typedef struct line {
    FILE *out;
    size_t col;
    size_t indent; /* column of continuation lines */
    bool fresh;    /* nothing written on this line since the indent */
} line;

static void line_start(line *l, FILE *out, const char *lead, size_t indent)
{
    *l = (line){.out = out, .col = strlen(lead), .indent = indent, .fresh = true};
    fputs(lead, out);
}

/* Writes one unbreakable word, first breaking the line if it would not fit. */
static void put_word(line *l, const char *w, size_t len)
{
    if (!l->fresh) {
        if (l->col + 1 + len > WIDTH) {
            fprintf(l->out, "\n%*s", (int)l->indent, "");
            l->col = l->indent;
        } else {
            fputc(' ', l->out);
            l->col++;
        }
    }
    fwrite(w, 1, len, l->out);
    l->col += len;
    l->fresh = false;
}

static void put_text(line *l, const char *text)
{
    for (const char *p = text; *p;) {
        p += strspn(p, " ");
        size_t len = strcspn(p, " ");
        if (len)
            put_word(l, p, len);
        p += len;
    }
}

static void line_end(line *l)
{
    fputc('\n', l->out);
}

/* "  term      description...", the description starting at `column`. */
static void put_item(FILE *out, const char *term, const char *help, size_t column)
{
    line l;
    line_start(&l, out, "  ", column);
    put_word(&l, term, strlen(term));
    if (l.col + 2 > column) /* a long term: the description goes below it */
        fprintf(out, "\n%*s", (int)column, "");
    else
        fprintf(out, "%*s", (int)(column - l.col), "");
    l.col = column;
    l.fresh = true;
    put_text(&l, help);
    line_end(&l);
}

/* Descriptions line up two columns after the longest term (up to a limit). */
static void put_items(FILE *out, const char *title, const cli_item *items, size_t n)
{
    if (n == 0)
        return;
    size_t column = 0;
    for (size_t i = 0; i < n; i++)
        if (2 + strlen(items[i].term) + 2 > column)
            column = 2 + strlen(items[i].term) + 2;
    if (column > TERM_COLUMN + 2)
        column = TERM_COLUMN + 2;
    fprintf(out, "\n%s:\n", title);
    for (size_t i = 0; i < n; i++)
        put_item(out, items[i].term, items[i].help, column);
}

/* ---- usage and help ---------------------------------------------------- */

/* "[-e|--env K=V]..." for the usage line. */
static char *usage_token(const cli_option *o)
{
    return util_xasprintf("[%s%s%s%s%s]%s", o->short_name ? o->short_name : "",
                          o->short_name ? "|" : "", o->name, o->value ? " " : "",
                          o->value ? o->value : "", o->repeatable ? "..." : "");
}

void cli_print_synopsis(const cli_command *cmd, FILE *out, const char *lead)
{
    line l;
    cleanup_free char *start = util_xasprintf("%s %s", PROG, cmd->name);
    line_start(&l, out, lead, strlen(lead) + 4);
    put_word(&l, start, strlen(start));
    for (size_t i = 0; i < cmd->noptions; i++) {
        cleanup_free char *tok = usage_token(&cmd->options[i]);
        put_word(&l, tok, strlen(tok));
    }
    if (cmd->operands)
        put_word(&l, cmd->operands, strlen(cmd->operands));
    line_end(&l);
}

void cli_print_usage(const cli_command *cmd, FILE *out)
{
    cli_print_synopsis(cmd, out, "usage: ");
}

void cli_print_paragraph(FILE *out, const char *text, size_t indent)
{
    line l;
    line_start(&l, out, "", indent);
    fprintf(out, "%*s", (int)indent, "");
    l.col = indent;
    put_text(&l, text);
    line_end(&l);
}

void cli_print_help(const cli_command *cmd, FILE *out)
{
    cli_print_usage(cmd, out);
    fputc('\n', out);
    cli_print_paragraph(out, cmd->summary, 0);
    if (cmd->details) {
        fputc('\n', out);
        cli_print_paragraph(out, cmd->details, 0);
    }
    fputs("\noptions:\n", out);
    for (size_t i = 0; i < cmd->noptions; i++) {
        const cli_option *o = &cmd->options[i];
        cleanup_free char *term = util_xasprintf("%s%s%s%s%s", o->short_name ? o->short_name : "",
                                                 o->short_name ? ", " : "    ", o->name,
                                                 o->value ? " " : "", o->value ? o->value : "");
        put_item(out, term, o->help, TERM_COLUMN);
    }
    put_item(out, "-h, --help", "print this help and exit", TERM_COLUMN);
    put_items(out, "environment", cmd->environment, cmd->nenvironment);
    put_items(out, "exit status", cmd->exit_status, cmd->nexit_status);
}

static void usage_error_v(const cli_command *cmd, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s %s: ", PROG, cmd->name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    cli_print_usage(cmd, stderr);
    fprintf(stderr, "Try '%s %s --help' for what each option does.\n", PROG, cmd->name);
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    usage_error_v(cmd, fmt, ap);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

/* ---- parsing ------------------------------------------------------------ */

void cli_parser_init(cli_parser *p, const cli_command *cmd, int argc, char **argv)
{
    *p = (cli_parser){.cmd = cmd, .argc = argc, .argv = argv, .next = 1};
}

static const cli_option *find_option(const cli_command *cmd, const char *word, size_t len)
{
    for (size_t i = 0; i < cmd->noptions; i++) {
        const cli_option *o = &cmd->options[i];
        if ((strlen(o->name) == len && strncmp(o->name, word, len) == 0) ||
            (o->short_name && strlen(o->short_name) == len &&
             strncmp(o->short_name, word, len) == 0))
            return o;
    }
    return NULL;
}

int cli_next(cli_parser *p, const cli_option **opt, const char **value)
{
    *opt = NULL;
    *value = NULL;
    if (p->next >= p->argc)
        return CLI_END;
    const char *a = p->argv[p->next];
    if (a[0] != '-' || a[1] == '\0') /* an operand ("-" alone is one too) */
        return CLI_END;
    p->next++;
    if (strcmp(a, "--") == 0)
        return CLI_END;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
        return CLI_HELP;
    /* Only long options take "=VALUE": "-e=K=V" would be ambiguous. */
    const char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
    const cli_option *o = find_option(p->cmd, a, eq ? (size_t)(eq - a) : strlen(a));
    if (o == NULL) {
        cli_usage_error(p->cmd, "unknown option '%s'", a);
        return CLI_ERROR;
    }
    if (o->value == NULL) {
        if (eq != NULL) {
            cli_usage_error(p->cmd, "%s takes no value (got '%s')", o->name, a);
            return CLI_ERROR;
        }
    } else if (eq != NULL) {
        *value = eq + 1;
    } else if (p->next < p->argc) {
        *value = p->argv[p->next++];
    } else {
        cli_usage_error(p->cmd, "%s needs a value (%s)", a, o->value);
        return CLI_ERROR;
    }
    *opt = o;
    return CLI_OPTION;
}
