/*
 * jco_fixtures.c - the conformance runner on jco's canonical-ABI fixtures
 * (wit-bindgen's runtime test components, ../shared/corpora/components/
 * jco/transpile/runtime).  jco checks each with a TypeScript host
 * (packages/jco-transpile/test/fixtures/runtime/NAME.ts); here every
 * fixture has a host in C with the same behaviour and the same assertions
 * (jco_fx_*.c), run through our linker, instantiation and canonical ABI.
 *
 * For each fixture: a fresh linker gets the WASI subset the preview-1
 * adapter imports plus the fixture's own imports, component_pre_new links
 * and type-checks, component_instantiate makes an instance in a fresh
 * store, and the fixture's run function calls exports and checks results
 * and what the host functions saw.  One line per fixture (PASS / FAIL
 * with the first failure / SKIP with the reason), then
 * "N passed, N failed, N skipped".
 *
 * The ctest fails when a fixture listed in jco_fixtures_expected.txt does
 * not pass: the list grows as the runtime does.  Arguments: optional
 * fixture names to run only those (for debugging).
 */
#include "jco_fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef JCO_RUNTIME_DIR
#error "JCO_RUNTIME_DIR must name the jco runtime fixtures folder"
#endif
#ifndef JCO_EXPECTED_FILE
#error "JCO_EXPECTED_FILE must name the expected-results list"
#endif

typedef enum { OUTCOME_PASS, OUTCOME_FAIL, OUTCOME_SKIP } outcome;

/* Links, instantiates and runs one fixture; FAIL with cx->why filled. */
static outcome run_fixture(const jco_fixture *fx, jco_ctx *cx)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", JCO_RUNTIME_DIR, fx->file);
    util_error *err = NULL;
    char *bytes = NULL;
    size_t len = 0;
    if (util_read_file(path, &bytes, &len, &err) != 0) {
        jco_fail(cx, "read %s: %s", fx->file, err->msg);
        util_error_free(&err);
        return OUTCOME_FAIL;
    }
    component_linker *l = component_linker_new();
    if (jco_wasi_define(l, &err) != 0 || (fx->define && fx->define(cx, l, &err) != 0)) {
        jco_fail(cx, "host definitions: %s", err->msg);
        util_error_free(&err);
        component_linker_free(l);
        free(bytes);
        return OUTCOME_FAIL;
    }
    component_pre *pre = component_pre_new((const uint8_t *)bytes, len, l, &err);
    component_linker_free(l);
    free(bytes);
    if (!pre) {
        jco_fail(cx, "link: %s", err->msg);
        util_error_free(&err);
        return OUTCOME_FAIL;
    }
    wasm_store *store = wasm_store_new(NULL);
    wasm_result res;
    wasm_result_init(&res);
    cx->inst = component_instantiate(pre, store, cx, &res);
    outcome o = OUTCOME_FAIL;
    if (!cx->inst) {
        jco_fail(cx, "instantiate: %s", res.message);
    } else {
        int rc = fx->run(cx);
        if (rc == 0)
            rc = jco_finish_call(cx);
        else
            jco_finish_call(cx);
        o = rc == 0 && !cx->why[0] ? OUTCOME_PASS : OUTCOME_FAIL;
        component_instance_free(cx->inst);
    }
    wasm_store_free(store);
    component_pre_free(pre);
    return o;
}

/* The expected-results list: one fixture name a line, '#' comments. */
typedef struct name_list {
    char **names;
    bool *seen;
    size_t n;
} name_list;

static void read_expected(name_list *out)
{
    *out = (name_list){0};
    FILE *f = fopen(JCO_EXPECTED_FILE, "r");
    if (!f) {
        fprintf(stderr, "cannot read %s\n", JCO_EXPECTED_FILE);
        exit(2);
    }
    char line[256];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "#\r\n")] = '\0';
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        size_t n = strlen(s);
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            s[--n] = '\0';
        if (n == 0)
            continue;
        out->names = realloc(out->names, (out->n + 1) * sizeof *out->names);
        out->seen = realloc(out->seen, (out->n + 1) * sizeof *out->seen);
        out->names[out->n] = util_xstrdup(s);
        out->seen[out->n] = false;
        out->n++;
    }
    fclose(f);
}

static bool expected(name_list *exp, const char *name)
{
    for (size_t i = 0; i < exp->n; i++)
        if (strcmp(exp->names[i], name) == 0) {
            exp->seen[i] = true;
            return true;
        }
    return false;
}

static bool selected(int argc, char **argv, const char *name)
{
    if (argc < 2)
        return true;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    const struct {
        const jco_fixture *list;
        size_t n;
    } tables[] = {
        {jco_fixtures_scalar, jco_fixtures_scalar_count},
        {jco_fixtures_compound, jco_fixtures_compound_count},
        {jco_fixtures_resource, jco_fixtures_resource_count},
        {jco_fixtures_witbindgen, jco_fixtures_witbindgen_count},
    };
    name_list exp;
    read_expected(&exp);
    int passed = 0, failed = 0, skipped = 0, regressions = 0;
    for (size_t t = 0; t < UTIL_ARRAY_LEN(tables); t++) {
        for (size_t i = 0; i < tables[t].n; i++) {
            const jco_fixture *fx = &tables[t].list[i];
            if (!selected(argc, argv, fx->name))
                continue;
            bool must_pass = expected(&exp, fx->name);
            if (fx->skip) {
                printf("SKIP %s: %s\n", fx->name, fx->skip);
                skipped++;
                regressions += must_pass;
                continue;
            }
            jco_ctx *cx = util_xcalloc(1, sizeof *cx);
            outcome o = run_fixture(fx, cx);
            if (o == OUTCOME_PASS) {
                printf("PASS %s\n", fx->name);
                passed++;
            } else {
                printf("FAIL %s: %s\n", fx->name, cx->why);
                failed++;
                regressions += must_pass;
            }
            fflush(stdout);
            util_buf_free(&cx->out);
            util_buf_free(&cx->err);
            free(cx);
        }
    }
    for (size_t i = 0; i < exp.n; i++) {
        if (!exp.seen[i] && argc < 2) {
            printf("FAIL %s: listed in the expected results but not a fixture\n", exp.names[i]);
            regressions++;
        }
        free(exp.names[i]);
    }
    free(exp.names);
    free(exp.seen);
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    if (regressions) {
        printf("%d fixture(s) listed in %s did not pass\n", regressions, JCO_EXPECTED_FILE);
        return 1;
    }
    return 0;
}
