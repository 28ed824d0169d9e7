/*
 * spec_runner.c - the WebAssembly spec test suite against our engine.
 *
 *   spec_runner [--expected FILE] [--write-expected FILE] [--tail-call]
 *               [--no-extended-const] [--decode-only] [--verbose]
 *               DIR|SCRIPT.json...
 *   spec_runner [--tail-call] [--no-extended-const] --exec SCRIPT.json
 *               (one script, in-process)
 *
 * Every script runs in a forked child (spec_exec.c) that reports one line
 * per command on a pipe; a crash or a hang (alarm) of the child fails the
 * commands it did not report, and the run goes on with the next script.
 * Scripts named simd_* are counted as skipped: SIMD is not implemented.
 *
 * A command is named "<suite>/<script>.json:<line>", where <suite> is the
 * folder holding the script (core, extended-const ...).  The expectations
 * file lists known failures by those names (# comments); the run fails only
 * if a command NOT listed fails, and reports the listed ones that now pass
 * so the list can shrink.  --write-expected writes the current failures in
 * that format, grouped by script with the first failure's reason.
 *
 * Features follow the suite being run: --tail-call enables the tail-call
 * proposal, --no-extended-const turns the engine's default extended-const
 * off, as the core/ scripts test core 2.0 constant expressions.
 *
 * --decode-only runs only what the decoder and validator decide (module
 * compilation, assert_malformed, assert_invalid) and skips the rest.
 *
 * The last line is always "N passed, N failed, N skipped".
 */
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spec.h"
#include "util.h"

#define CHILD_TIMEOUT_S 600

typedef struct strset {
    char **items;
    size_t len, cap;
} strset;

static void strset_add(strset *s, const char *v)
{
    if (s->len == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->items = util_xrealloc(s->items, s->cap * sizeof *s->items);
    }
    s->items[s->len++] = util_xstrdup(v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool strset_has(const strset *s, const char *v)
{
    return s->len && bsearch(&v, s->items, s->len, sizeof *s->items, cmp_str) != NULL;
}

typedef struct totals {
    long passed, failed, skipped;
    long unexpected, listed_failing, listed_passing;
} totals;

typedef struct opts {
    strset expected;
    FILE *write_expected;
    unsigned flags;
    bool verbose;
} opts;

static int load_expected(const char *path, strset *set)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "spec_runner: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        p[strcspn(p, "#\r\n")] = '\0';
        size_t n = strlen(p);
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            p[--n] = '\0';
        if (n)
            strset_add(set, p);
    }
    fclose(f);
    if (set->len) /* an empty list has no array to sort */
        qsort(set->items, set->len, sizeof *set->items, cmp_str);
    return 0;
}

/* The line numbers of the script's commands, in order. */
static int *command_lines(const char *path, size_t *n)
{
    json_object *root = json_object_from_file(path);
    json_object *cmds;
    *n = 0;
    if (!root || !json_object_object_get_ex(root, "commands", &cmds)) {
        if (root)
            json_object_put(root);
        return NULL;
    }
    *n = json_object_array_length(cmds);
    int *lines = util_xcalloc(*n ? *n : 1, sizeof *lines);
    for (size_t i = 0; i < *n; i++) {
        json_object *l;
        if (json_object_object_get_ex(json_object_array_get_idx(cmds, i), "line", &l))
            lines[i] = json_object_get_int(l);
    }
    json_object_put(root);
    return lines;
}

typedef struct outcome {
    char status; /* 'P', 'F', 'S', or 0 when the child never reported it */
    char *msg;
} outcome;

static void record(const opts *o, totals *t, const char *name, char status, const char *msg,
                   char **first_fail)
{
    bool listed = strset_has(&o->expected, name);
    if (status == 'S') {
        t->skipped++;
        if (o->verbose)
            printf("%s: skipped: %s\n", name, msg);
        return;
    }
    if (status == 'P') {
        t->passed++;
        if (listed) {
            t->listed_passing++;
            printf("%s: listed as failing but passes now\n", name);
        }
        return;
    }
    t->failed++;
    if (listed) {
        t->listed_failing++;
        if (o->verbose)
            printf("%s: (expected) %s\n", name, msg);
    } else {
        t->unexpected++;
        printf("%s: %s\n", name, msg);
    }
    if (o->write_expected) {
        if (!*first_fail)
            *first_fail = util_xstrdup(msg);
        fprintf(o->write_expected, "%s\n", name);
    }
}

static void run_script(const opts *o, totals *t, const char *path, const char *suite,
                       const char *file)
{
    size_t n;
    cleanup_free int *lines = command_lines(path, &n);
    if (!lines) {
        printf("%s/%s: cannot read the script\n", suite, file);
        t->failed++;
        t->unexpected++;
        return;
    }
    outcome *res = util_xcalloc(n ? n : 1, sizeof *res);
    bool simd = strncmp(file, "simd_", 5) == 0;
    int status = 0;
    if (!simd) {
        int fds[2];
        if (pipe(fds) < 0) {
            perror("pipe");
            exit(2);
        }
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            exit(2);
        }
        if (pid == 0) {
            close(fds[0]);
            alarm(CHILD_TIMEOUT_S);
            FILE *out = fdopen(fds[1], "w");
            int rc = spec_exec_file(path, out, o->flags);
            fclose(out);
            _exit(rc < 0 ? 3 : 0);
        }
        close(fds[1]);
        FILE *in = fdopen(fds[0], "r");
        char buf[2048];
        size_t next = 0;
        while (fgets(buf, sizeof buf, in)) {
            buf[strcspn(buf, "\n")] = '\0';
            char *end;
            long line = strtol(buf, &end, 10);
            if (*end != ' ' || !end[1])
                continue;
            char st = end[1];
            const char *msg = end[2] ? end + 3 : "";
            /* results arrive in command order; match by line from `next` */
            for (size_t i = next; i < n; i++)
                if (lines[i] == line) {
                    res[i].status = st;
                    res[i].msg = util_xstrdup(msg);
                    next = i + 1;
                    break;
                }
        }
        fclose(in);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    char *first_fail = NULL;
    for (size_t i = 0; i < n; i++) {
        char name[512];
        snprintf(name, sizeof name, "%s/%s:%d", suite, file, lines[i]);
        char st = simd ? 'S' : res[i].status;
        char why[128];
        const char *msg = res[i].msg;
        if (simd) {
            msg = "SIMD is not supported";
        } else if (!st) {
            if (WIFSIGNALED(status))
                snprintf(why, sizeof why, "not run: the script's process died of signal %d",
                         WTERMSIG(status));
            else
                snprintf(why, sizeof why, "not run: the script's process exited with %d",
                         WEXITSTATUS(status));
            st = 'F';
            msg = why;
        }
        record(o, t, name, st, msg ? msg : "", &first_fail);
        free(res[i].msg);
    }
    if (first_fail && o->write_expected)
        fprintf(o->write_expected, "# ^ %s/%s: e.g. %s\n\n", suite, file, first_fail);
    free(first_fail);
    free(res);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static void run_dir(const opts *o, totals *t, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        printf("%s: %s\n", dir, strerror(errno));
        t->failed++;
        t->unexpected++;
        return;
    }
    strset files = {0};
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0)
            strset_add(&files, e->d_name);
    }
    closedir(d);
    if (files.len)
        qsort(files.items, files.len, sizeof *files.items, cmp_str);
    cleanup_free char *copy = util_xstrdup(dir);
    size_t cl = strlen(copy);
    while (cl > 1 && copy[cl - 1] == '/')
        copy[--cl] = '\0';
    const char *suite = base_name(copy);
    for (size_t i = 0; i < files.len; i++) {
        cleanup_free char *path = util_xasprintf("%s/%s", copy, files.items[i]);
        run_script(o, t, path, suite, files.items[i]);
        free(files.items[i]);
    }
    free(files.items);
}

int main(int argc, char **argv)
{
    opts o = {0};
    totals t = {0};
    int first = 1;
    for (; first < argc && strncmp(argv[first], "--", 2) == 0; first++) {
        if (strcmp(argv[first], "--expected") == 0 && first + 1 < argc) {
            if (load_expected(argv[++first], &o.expected) < 0)
                return 2;
        } else if (strcmp(argv[first], "--write-expected") == 0 && first + 1 < argc) {
            o.write_expected = fopen(argv[++first], "w");
            if (!o.write_expected) {
                perror(argv[first]);
                return 2;
            }
        } else if (strcmp(argv[first], "--exec") == 0 && first + 1 < argc) {
            /* debugging aid: one script, in this process, raw result lines */
            return spec_exec_file(argv[first + 1], stdout, o.flags) < 0 ? 2 : 0;
        } else if (strcmp(argv[first], "--tail-call") == 0) {
            o.flags |= SPEC_TAIL_CALL;
        } else if (strcmp(argv[first], "--no-extended-const") == 0) {
            o.flags |= SPEC_NO_EXTENDED_CONST;
        } else if (strcmp(argv[first], "--decode-only") == 0) {
            o.flags |= SPEC_DECODE_ONLY;
        } else if (strcmp(argv[first], "--verbose") == 0) {
            o.verbose = true;
        } else {
            fprintf(stderr, "spec_runner: unknown option %s\n", argv[first]);
            return 2;
        }
    }
    if (first >= argc) {
        fprintf(stderr, "usage: spec_runner [--expected FILE] [--write-expected FILE] "
                        "[--tail-call] [--no-extended-const] [--decode-only] [--verbose] "
                        "DIR|SCRIPT.json...\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    for (int i = first; i < argc; i++) {
        size_t len = strlen(argv[i]);
        if (len > 5 && strcmp(argv[i] + len - 5, ".json") == 0) {
            cleanup_free char *dir = util_xstrdup(argv[i]);
            char *slash = strrchr(dir, '/');
            const char *suite = ".";
            if (slash) {
                *slash = '\0';
                suite = base_name(dir);
            }
            run_script(&o, &t, argv[i], suite, base_name(argv[i]));
        } else {
            run_dir(&o, &t, argv[i]);
        }
    }
    if (o.write_expected)
        fclose(o.write_expected);
    if (o.expected.len)
        printf("expected failures: %zu listed, %ld still fail, %ld now pass (remove them)\n",
               o.expected.len, t.listed_failing, t.listed_passing);
    printf("unexpected failures: %ld\n", t.unexpected);
    printf("%ld passed, %ld failed, %ld skipped\n", t.passed, t.failed, t.skipped);
    for (size_t i = 0; i < o.expected.len; i++)
        free(o.expected.items[i]);
    free(o.expected.items);
    return t.unexpected ? 1 : 0;
}
