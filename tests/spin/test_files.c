/*
 * Unit tests of spin_component_files: a real directory tree under /tmp is
 * mounted through every kind of `files` entry Spin documents (plain files,
 * directories, globs with `**`, { source, destination } placements) with
 * and without exclude_files, and escaping the app directory is refused.
 */
#include "manifest.h"
#include "test.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char app_dir[64];

static void put(const char *rel)
{
    cleanup_free char *path = util_xasprintf("%s/%s", app_dir, rel);
    cleanup_free char *dir = util_xstrdup(path);
    *strrchr(dir, '/') = '\0';
    util_error *err = NULL;
    CHECK_INT(util_mkdir_p(dir, 0755, &err), 0);
    CHECK_INT(util_write_file_atomic(path, rel, strlen(rel), 0644, &err), 0);
    util_error_free(&err);
}

static void make_tree(void)
{
    strcpy(app_dir, "/tmp/test_files_XXXXXX");
    CHECK(mkdtemp(app_dir) != NULL);
    put("index.html");
    put("static/a.html");
    put("static/b.css");
    put("static/sub/c.html");
    put("static/sub/deeper/d.html");
    put("static/secret/key.html");
    put("assets/img/logo.png");
    put("assets/readme.txt");
}

static void remove_tree(const char *dir)
{
    cleanup_free char *cmd = util_xasprintf("rm -rf '%s'", dir);
    CHECK_INT(system(cmd), 0);
}

/* Loads a manifest whose component "web" has the given files lines. */
static spin_manifest *load_with(const char *files_toml)
{
    cleanup_free char *doc = util_xasprintf("spin_manifest_version = 2\n[application]\nname = "
                                            "\"f\"\n[[trigger.http]]\nroute = \"/...\"\n"
                                            "component = \"web\"\n[component.web]\nsource = "
                                            "\"w.wasm\"\n%s\n",
                                            files_toml);
    cleanup_free char *path = util_xasprintf("%s/spin.toml", app_dir);
    util_error *err = NULL;
    spin_manifest *m = spin_manifest_parse(doc, strlen(doc), path, &err);
    if (m == NULL) {
        fprintf(stderr, "%s\n", err->msg);
        util_error_free(&err);
    }
    return m;
}

/* "guest<-host-relative" list, with a trailing '/' for directory mounts. */
static char *describe(const char *files_toml)
{
    cleanup_manifest spin_manifest *m = load_with(files_toml);
    if (m == NULL)
        return util_xstrdup("(manifest error)");
    spin_mounts mounts;
    util_error *err = NULL;
    if (spin_component_files(m, &m->components[0], &mounts, &err) < 0) {
        char *msg = util_xasprintf("error: %s", err->msg);
        util_error_free(&err);
        return msg;
    }
    util_buf b = {0};
    util_buf_reserve(&b, 64);
    size_t n = strlen(app_dir);
    for (size_t i = 0; i < mounts.len; i++) {
        const char *h = mounts.items[i].host_path;
        if (strncmp(h, app_dir, n) == 0)
            h += n + 1;
        util_buf_printf(&b, "%s%s<-%s%s", i ? " " : "", mounts.items[i].guest_path, h,
                        mounts.items[i].is_dir ? "/" : "");
    }
    spin_mounts_free(&mounts);
    return util_buf_steal(&b, NULL);
}

static void test_files_patterns_and_placements(void)
{
    make_tree();
    struct {
        const char *files, *want;
    } cases[] = {
        {"files = [\"index.html\"]", "/index.html<-index.html"},
        {"files = [\"./index.html\"]", "/index.html<-index.html"},
        {"files = [\"static\"]", "/static<-static/"},
        {"files = [\"static/*.html\"]", "/static/a.html<-static/a.html"},
        {"files = [\"static/**/*.html\"]",
         "/static/a.html<-static/a.html /static/secret/key.html<-static/secret/key.html "
         "/static/sub/c.html<-static/sub/c.html "
         "/static/sub/deeper/d.html<-static/sub/deeper/d.html"},
        {"files = [\"static/**/*.html\"]\nexclude_files = [\"static/secret/*\", \"**/d.html\"]",
         "/static/a.html<-static/a.html /static/sub/c.html<-static/sub/c.html"},
        {"files = [\"static/sub/**\"]",
         "/static/sub/c.html<-static/sub/c.html /static/sub/deeper/d.html<-static/sub/deeper/"
         "d.html"},
        {"files = [\"*.[hc]tml\", \"static/?.css\"]",
         "/index.html<-index.html /static/b.css<-static/b.css"},
        {"files = [\"nothing/*.txt\"]", ""},
        {"files = [{ source = \"assets\", destination = \"/\" }]", "/<-assets/"},
        {"files = [{ source = \"assets\", destination = \"/data\" }]\nexclude_files = "
         "[\"assets/*.txt\"]",
         "/data/img/logo.png<-assets/img/logo.png"},
        {"files = [{ source = \"assets/readme.txt\", destination = \"/README\" }]",
         "/README<-assets/readme.txt"},
        {"files = [\"static\"]\nexclude_files = [\"static/secret/*\", \"static/sub/*\"]",
         "/static/a.html<-static/a.html /static/b.css<-static/b.css"},
        {"files = [\"missing.txt\"]",
         "error: component 'web': files: 'missing.txt' does not exist and doesn't appear to be a "
         "glob pattern"},
        {"files = [\"../outside/*\"]",
         "error: component 'web': files: file pattern '../outside/*' is outside the application "
         "directory"},
        {"files = [\"static/..\"]",
         "error: component 'web': files: file pattern 'static/..' can't end in a parent "
         "directory path (..); use { source, destination } or a pattern ending in **/*"},
        {"files = [{ source = \"/etc\", destination = \"/etc\" }]",
         "error: component 'web': files: file source '/etc' is outside the application "
         "directory"},
        {"files = [{ source = \"nope\", destination = \"/x\" }]",
         "error: component 'web': files: file or directory 'nope' does not exist"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(cases); i++) {
        cleanup_free char *got = describe(cases[i].files);
        if (strcmp(got, cases[i].want) != 0)
            fprintf(stderr, "case %zu: %s\n", i, cases[i].files);
        CHECK_STR(got, cases[i].want);
    }
    remove_tree(app_dir);
}

static void test_symlink_loop_does_not_hang(void)
{
    make_tree();
    cleanup_free char *link = util_xasprintf("%s/static/sub/loop", app_dir);
    CHECK_INT(symlink("..", link), 0);
    cleanup_free char *got = describe("files = [\"static/**/*.css\"]");
    CHECK(strstr(got, "directories nested too deeply") != NULL);
    remove_tree(app_dir);
}

/* Backtracking over many stars must not explode (it would never finish). */
static void test_many_star_patterns_stay_fast(void)
{
    make_tree();
    put("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.txt");
    cleanup_free char *none = describe("files = [\"*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b\"]");
    CHECK_STR(none, "");
    cleanup_free char *one = describe("files = [\"*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*.txt\"]");
    CHECK_STR(one, "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.txt<-"
                   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.txt");
    remove_tree(app_dir);
}

int main(void)
{
    RUN(test_files_patterns_and_placements);
    RUN(test_symlink_loop_does_not_hang);
    RUN(test_many_star_patterns_stay_fast);
    return TEST_SUMMARY();
}
