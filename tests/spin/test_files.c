/*
 * Unit tests of spin_component_files: a real directory tree under /tmp is
 * mounted through every kind of `files` entry Spin documents (plain files,
 * directories, globs with `**`, { source, destination } placements) with
 * and without exclude_files, and escaping the app directory is refused.
 * A hostile tree (links out of the app by absolute and relative paths,
 * to "/", dangling, looping, a FIFO) is expanded and staged, and exactly
 * the files inside the app come out, never the secret beside it.
 */
#include "locked_app.h"
#include "manifest.h"
#include "test.h"

#include <fcntl.h>
#include <ftw.h>
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

/* "guest<-app-path" list, then "[whole DIR]" when the component's one
 * directory can be preopened as is, then "[skipped: ...]". */
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
    util_buf_append(&b, "", 0);
    for (size_t i = 0; i < mounts.len; i++)
        util_buf_printf(&b, "%s%s<-%s", i ? " " : "", mounts.items[i].guest_path,
                        mounts.items[i].app_path);
    if (mounts.whole_dir)
        util_buf_printf(&b, " [whole %s]", mounts.whole_dir);
    for (size_t i = 0; i < mounts.skipped.len; i++)
        util_buf_printf(&b, "%s%s", i ? "; " : " [skipped: ", mounts.skipped.items[i]);
    if (mounts.skipped.len)
        util_buf_append_str(&b, "]");
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
        {"files = [\"static\"]",
         "/static/a.html<-static/a.html /static/b.css<-static/b.css "
         "/static/secret/key.html<-static/secret/key.html /static/sub/c.html<-static/sub/c.html "
         "/static/sub/deeper/d.html<-static/sub/deeper/d.html"},
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
        {"files = [{ source = \"assets\", destination = \"/\" }]",
         "/img/logo.png<-assets/img/logo.png /readme.txt<-assets/readme.txt [whole assets]"},
        /* Excluding something makes the directory differ from what the guest sees. */
        {"files = [{ source = \"assets\", destination = \"/\" }]\nexclude_files = [\"**/*.txt\"]",
         "/img/logo.png<-assets/img/logo.png"},
        {"files = [{ source = \"assets\", destination = \"/data/\" }]",
         "/data/img/logo.png<-assets/img/logo.png /data/readme.txt<-assets/readme.txt"},
        {"files = [{ source = \"index.html\", destination = \"/data/\" }]",
         "error: component 'web': files: destination '/data/' ends in '/', but source "
         "'index.html' is a file: give the file's name"},
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

/* A link back up is a loop: skipped (and said so), not walked until some
 * depth limit, and not fatal. */
static void test_symlink_loop_is_skipped(void)
{
    make_tree();
    cleanup_free char *link = util_xasprintf("%s/static/sub/loop", app_dir);
    CHECK_INT(symlink("..", link), 0);
    cleanup_free char *got = describe("files = [\"static/**/*.css\"]");
    CHECK_STR(got, "/static/b.css<-static/b.css [skipped: static/sub/loop: a symbolic link to a "
                   "directory that contains it (a loop)]");
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

/* ---- hostile trees -------------------------------------------------------- */

static char outside_dir[64];

static void put_text(const char *dir, const char *rel, const char *text)
{
    cleanup_free char *path = util_xasprintf("%s/%s", dir, rel);
    cleanup_free char *parent = util_xstrdup(path);
    *strrchr(parent, '/') = '\0';
    util_error *err = NULL;
    CHECK_INT(util_mkdir_p(parent, 0755, &err), 0);
    CHECK_INT(util_write_file_atomic(path, text, strlen(text), 0644, &err), 0);
    util_error_free(&err);
}

static void link_at(const char *target, const char *rel)
{
    cleanup_free char *path = util_xasprintf("%s/%s", app_dir, rel);
    CHECK_INT(symlink(target, path), 0);
}

/* public/ holds two real files and every kind of entry the rule must
 * handle; outside_dir, beside the app, holds the secret. */
static void make_hostile_tree(void)
{
    make_tree();
    strcpy(outside_dir, "/tmp/test_files_outside_XXXXXX");
    CHECK(mkdtemp(outside_dir) != NULL);
    put_text(outside_dir, "secret.txt", "TOP SECRET\n");
    put_text(app_dir, "public/index.html", "index\n");
    put_text(app_dir, "shared/s.txt", "shared\n");
    link_at("index.html", "public/alias.html");     /* a file inside: resolved */
    link_at("../shared", "public/shared");          /* a directory inside: resolved */
    link_at(outside_dir, "public/secret-dir");      /* absolute, to a directory outside */
    cleanup_free char *up = util_xasprintf("../..%s", outside_dir + 4);
    link_at(up, "public/up");                       /* relative, climbing out */
    link_at("/", "public/root");                    /* the host's root */
    link_at("/etc/passwd", "public/passwd");        /* a host file */
    link_at("nowhere", "public/dangling");          /* dangling */
    link_at(".", "public/loop");                    /* a loop */
    cleanup_free char *real_app = realpath(app_dir, NULL);
    cleanup_free char *abs_inside = util_xasprintf("%s/shared", real_app);
    link_at(abs_inside, "public/app-abs");          /* absolute, but inside the app */
    cleanup_free char *fifo = util_xasprintf("%s/public/fifo", app_dir);
    CHECK_INT(mkfifo(fifo, 0644), 0);
}

static void remove_hostile_tree(void)
{
    remove_tree(app_dir);
    remove_tree(outside_dir);
}

#define HOSTILE_SKIPS                                                                       \
    "public/dangling: a dangling symbolic link; "                                           \
    "public/fifo: not a regular file or directory; "                                        \
    "public/loop: a symbolic link to a directory that contains it (a loop); "               \
    "public/passwd: a symbolic link leading outside the application directory; "            \
    "public/root: a symbolic link leading outside the application directory; "              \
    "public/secret-dir: a symbolic link leading outside the application directory; "        \
    "public/up: a symbolic link leading outside the application directory"

static void test_hostile_tree_expands_to_files_inside_only(void)
{
    make_hostile_tree();
    cleanup_free char *placed = describe("files = [{ source = \"public\", destination = \"/\" }]");
    CHECK_STR(placed, "/alias.html<-public/index.html /app-abs/s.txt<-shared/s.txt "
                      "/index.html<-public/index.html /shared/s.txt<-shared/s.txt "
                      "[skipped: " HOSTILE_SKIPS "]");
    /* The same rule for a named directory and a glob (matched through link names). */
    cleanup_free char *named = describe("files = [\"public\"]");
    CHECK_STR(named, "/public/alias.html<-public/index.html /public/app-abs/s.txt<-shared/s.txt "
                     "/public/index.html<-public/index.html /public/shared/s.txt<-shared/s.txt "
                     "[skipped: " HOSTILE_SKIPS "]");
    cleanup_free char *glob = describe("files = [\"public/**/*.txt\"]");
    CHECK_STR(glob, "/public/app-abs/s.txt<-shared/s.txt /public/shared/s.txt<-shared/s.txt "
                    "[skipped: " HOSTILE_SKIPS "]");
    /* What exclude_files removes is not reported. */
    cleanup_free char *quiet =
        describe("files = [\"public/*.html\"]\nexclude_files = [\"public/dangling\", "
                 "\"public/fifo\", \"public/passwd\", \"public/root\", \"public/secret-dir\", "
                 "\"public/up\"]");
    CHECK_STR(quiet, "/public/alias.html<-public/index.html /public/index.html<-public/index.html "
                     "[skipped: public/loop: a symbolic link to a directory that contains it (a "
                     "loop)]");
    remove_hostile_tree();
}

/* A source or pattern naming a way out is the manifest's own mistake. */
static void test_named_links_out_are_errors(void)
{
    make_hostile_tree();
    struct {
        const char *files, *want;
    } cases[] = {
        {"files = [{ source = \"public/secret-dir\", destination = \"/s\" }]",
         "error: component 'web': files: file source 'public/secret-dir' leads outside the "
         "application directory (through a symbolic link); only files inside it can be mounted"},
        {"files = [{ source = \"public/root/etc\", destination = \"/etc\" }]",
         "error: component 'web': files: file source 'public/root/etc' leads outside the "
         "application directory (through a symbolic link); only files inside it can be mounted"},
        {"files = [\"public/passwd\"]",
         "error: component 'web': files: file pattern 'public/passwd' leads outside the "
         "application directory (through a symbolic link); only files inside it can be mounted"},
        {"files = [\"public/secret-dir/*.txt\"]",
         "error: component 'web': files: file pattern 'public/secret-dir/*.txt' leads outside the "
         "application directory (through a symbolic link); only files inside it can be mounted"},
        {"files = [\"public/fifo\"]",
         "error: component 'web': files: 'public/fifo' is not a regular file or directory"},
        {"files = [{ source = \"public/dangling\", destination = \"/d\" }]",
         "error: component 'web': files: file or directory 'public/dangling' does not exist"},
        /* A link inside the app is as good as its target. */
        {"files = [{ source = \"public/alias.html\", destination = \"/a\" }]",
         "/a<-public/index.html"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(cases); i++) {
        cleanup_free char *got = describe(cases[i].files);
        CHECK_STR(got, cases[i].want);
    }
    remove_hostile_tree();
}

/* Listing of a staged tree, sorted: "path=content" for files, "path/"
 * for directories, "path@" for anything else (there must be none: nftw
 * with FTW_PHYS shows a link as what it is). */
static spin_strv listing;
static size_t listing_skip;

static int list_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)flag;
    (void)ftw;
    if (strlen(path) <= listing_skip)
        return 0; /* the root itself */
    const char *rel = path + listing_skip;
    char *item;
    if (S_ISDIR(st->st_mode)) {
        item = util_xasprintf("%s/", rel);
    } else if (S_ISREG(st->st_mode)) {
        cleanup_free char *data = NULL;
        size_t len = 0;
        util_error *err = NULL;
        CHECK_INT(util_read_file(path, &data, &len, &err), 0);
        util_error_free(&err);
        if (len && data[len - 1] == '\n')
            data[len - 1] = '\0';
        item = util_xasprintf("%s=%s", rel, data ? data : "");
    } else {
        item = util_xasprintf("%s@", rel);
    }
    listing.items = util_xrealloc(listing.items, (listing.len + 1) * sizeof(char *));
    listing.items[listing.len++] = item;
    return 0;
}

static int cmp_items(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *list_tree(const char *dir)
{
    listing_skip = strlen(dir) + 1;
    CHECK_INT(nftw(dir, list_entry, 16, FTW_PHYS), 0);
    qsort(listing.items, listing.len, sizeof(char *), cmp_items);
    util_buf b = {0};
    util_buf_append(&b, "", 0);
    for (size_t i = 0; i < listing.len; i++) {
        util_buf_printf(&b, "%s ", listing.items[i]);
        free(listing.items[i]);
    }
    free(listing.items);
    listing.items = NULL;
    listing.len = 0;
    return util_buf_steal(&b, NULL);
}

typedef struct staged {
    char *staging, *files_dir, *error;
} staged;

/* Stages the model's files of its first component, as the loader does. */
static staged stage_model(const spin_locked_app *app)
{
    staged s = {0};
    util_error *err = NULL;
    if (spin_locked_files_dir(app_dir, NULL, &app->components[0], &s.staging, &s.files_dir, &err) < 0)
        s.error = util_xstrdup(err->msg);
    util_error_free(&err);
    return s;
}

/* The manifest through the app model to a staged tree. */
static staged stage(const char *files_toml)
{
    staged s = {0};
    cleanup_manifest spin_manifest *m = load_with(files_toml);
    CHECK(m != NULL);
    util_error *err = NULL;
    cleanup_locked_app spin_locked_app *app = NULL;
    if (m && spin_locked_app_from_manifest(m, NULL, &app, &err) < 0)
        s.error = util_xstrdup(err->msg);
    util_error_free(&err);
    return app ? stage_model(app) : s;
}

static void staged_free(staged *s)
{
    if (s->staging)
        remove_tree(s->staging);
    free(s->staging);
    free(s->files_dir);
    free(s->error);
}

/* A staging directory on another filesystem than the app (/dev/shm is a
 * tmpfs), where files cannot be hard-linked and are copied; NULL if there
 * is none. */
static const char *other_filesystem(void)
{
    struct stat a, b;
    if (stat(app_dir, &a) < 0 || stat("/dev/shm", &b) < 0 || a.st_dev == b.st_dev)
        return NULL;
    return "/dev/shm";
}

static void test_hostile_tree_stages_only_files_inside(void)
{
    make_hostile_tree();
    /* Linked (same filesystem) and copied (another one): the same result. */
    const char *tmpdirs[] = {"/tmp", other_filesystem()};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(tmpdirs) && tmpdirs[i]; i++) {
        setenv("TMPDIR", tmpdirs[i], 1);
        staged s = stage("files = [{ source = \"public\", destination = \"/\" }]");
        CHECK(s.error == NULL);
        CHECK(s.files_dir != NULL && s.staging != NULL);
        if (s.files_dir) {
            /* Exactly the files inside, as regular files (nftw FTW_PHYS would
             * list a link with '@'), and never the secret. */
            cleanup_free char *got = list_tree(s.files_dir);
            CHECK_STR(got, "alias.html=index app-abs/ app-abs/s.txt=shared index.html=index "
                           "shared/ shared/s.txt=shared ");
            CHECK(strstr(got, "SECRET") == NULL);
            CHECK(strncmp(s.files_dir, tmpdirs[i], strlen(tmpdirs[i])) == 0);
        }
        staged_free(&s);
    }
    unsetenv("TMPDIR");
    remove_hostile_tree();
}

/* Each level links twice to the next: 2^20 paths from 21 directories.  The
 * walk stops with an error instead of enumerating them. */
static void test_link_multiplied_tree_is_bounded(void)
{
    make_tree();
    for (int i = 0; i <= 20; i++) {
        cleanup_free char *f = util_xasprintf("d%d/f", i);
        put(f);
    }
    for (int i = 0; i < 20; i++) {
        cleanup_free char *target = util_xasprintf("../d%d", i + 1);
        cleanup_free char *a = util_xasprintf("d%d/a", i);
        cleanup_free char *b = util_xasprintf("d%d/b", i);
        link_at(target, a);
        link_at(target, b);
    }
    cleanup_free char *got = describe("files = [\"d0\"]");
    CHECK_STR(got, "error: component 'web': files: more than 65536 files and directories below "
                   "symbolic links to directories (links can multiply a tree; name the "
                   "directories themselves instead)");
    remove_tree(app_dir);
}

/* A clean directory at "/" is preopened as it is; no copy is made. */
static void test_clean_directory_is_used_in_place(void)
{
    make_tree();
    staged s = stage("files = [{ source = \"assets\", destination = \"/\" }]");
    CHECK(s.error == NULL && s.staging == NULL);
    cleanup_free char *want = util_xasprintf("%s/assets", app_dir);
    CHECK_STR(s.files_dir ? s.files_dir : "(null)", want);
    staged_free(&s);
    /* One link inside it and it is staged instead: the guest must see
     * files, whichever way they reach it. */
    link_at("readme.txt", "assets/again.txt");
    staged t = stage("files = [{ source = \"assets\", destination = \"/\" }]");
    CHECK(t.error == NULL && t.staging != NULL);
    if (t.files_dir) {
        cleanup_free char *got = list_tree(t.files_dir);
        CHECK_STR(got, "again.txt=assets/readme.txt img/ img/logo.png=assets/img/logo.png "
                       "readme.txt=assets/readme.txt ");
    }
    staged_free(&t);
    remove_tree(app_dir);
}

/* Two entries for one guest path: the later wins, and the app's own file
 * (which the first may have been hard-linked to) keeps its contents. */
static void test_later_entries_replace_without_writing_app_files(void)
{
    make_tree();
    const char *tmpdirs[] = {"/tmp", other_filesystem()};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(tmpdirs) && tmpdirs[i]; i++) {
        setenv("TMPDIR", tmpdirs[i], 1);
        staged s = stage("files = [\"index.html\", { source = \"assets/readme.txt\", "
                         "destination = \"/index.html\" }]");
        CHECK(s.error == NULL);
        if (s.files_dir) {
            cleanup_free char *got = list_tree(s.files_dir);
            CHECK_STR(got, "index.html=assets/readme.txt ");
        }
        cleanup_free char *index = util_xasprintf("%s/index.html", app_dir);
        cleanup_free char *data = NULL;
        size_t len = 0;
        util_error *err = NULL;
        CHECK_INT(util_read_file(index, &data, &len, &err), 0);
        CHECK_STR(data ? data : "", "index.html");
        util_error_free(&err);
        staged_free(&s);
    }
    unsetenv("TMPDIR");
    /* A file where the guest tree already has a directory is an error. */
    staged d = stage("files = [\"static\", { source = \"index.html\", destination = "
                     "\"/static/sub\" }]");
    CHECK_STR(d.error ? d.error : "(none)",
              "component 'web': files: placing /static/sub over an earlier entry: Is a "
              "directory");
    staged_free(&d);
    remove_tree(app_dir);
}

/* A locked app (e.g. Spin's spin.lock) given as JSON: its `files`. */
static spin_locked_app *locked_with_files(const char *files_json)
{
    cleanup_free char *doc = util_xasprintf(
        "{\"spin_lock_version\":0,\"triggers\":[],\"components\":[{\"id\":\"web\","
        "\"source\":{\"content_type\":\"application/wasm\",\"source\":\"file:///w.wasm\"},"
        "\"files\":[%s]}]}",
        files_json);
    spin_locked_app *app = NULL;
    util_error *err = NULL;
    if (spin_locked_app_from_json(doc, strlen(doc), &app, &err) < 0)
        fprintf(stderr, "locked app: %s\n", err->msg);
    util_error_free(&err);
    return app;
}

static staged stage_json(const char *files_json_fmt)
{
    cleanup_free char *files = util_xasprintf(files_json_fmt, app_dir, app_dir);
    cleanup_locked_app spin_locked_app *app = locked_with_files(files);
    CHECK(app != NULL);
    staged s = {0};
    return app ? stage_model(app) : s;
}

/* Spin's file-form lock names directories at any guest path: they are
 * walked and staged with the files entries beside them. */
static void test_locked_directory_and_file_entries_are_staged(void)
{
    make_tree();
    staged s = stage_json("{\"source\":\"file://%s/static/sub\",\"path\":\"/www\"},"
                          "{\"source\":\"file://%s/assets/readme.txt\",\"path\":\"r.txt\"}");
    CHECK(s.error == NULL);
    CHECK(s.staging != NULL);
    if (s.files_dir) {
        cleanup_free char *got = list_tree(s.files_dir);
        CHECK_STR(got, "r.txt=assets/readme.txt www/ www/c.html=static/sub/c.html www/deeper/ "
                       "www/deeper/d.html=static/sub/deeper/d.html ");
    }
    staged_free(&s);
    remove_tree(app_dir);
}

/* What a locked app names must be a file below the app directory, reached
 * without a link; content by digest needs the content store. */
static void test_locked_entries_outside_or_through_links_are_refused(void)
{
    make_tree();
    link_at("static", "alias");
    staged out = stage_json("{\"source\":\"file:///etc/passwd\",\"path\":\"/p\"}");
    cleanup_free char *want = util_xasprintf("component 'web': files: the source of /p "
                                             "(/etc/passwd) is not inside the application "
                                             "directory %s",
                                             app_dir);
    CHECK_STR(out.error ? out.error : "(none)", want);
    CHECK(out.files_dir == NULL);
    staged_free(&out);
    staged up = stage_json("{\"source\":\"file://%s/../x\",\"path\":\"/p\"}");
    CHECK_STR(up.error ? up.error : "(none)",
              "component 'web': files: the source of /p: leads outside the application "
              "directory");
    staged_free(&up);
    staged link = stage_json("{\"source\":\"file://%s/alias/a.html\",\"path\":\"/a\"}");
    CHECK_STR(link.error ? link.error : "(none)",
              "component 'web': files: the source of /a passes through a symbolic link");
    staged_free(&link);
    staged digest = stage_json("{\"digest\":\"sha256:"
                               "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\","
                               "\"path\":\"/d\"}");
    /* Content by digest (an artifact's) takes relative paths only. */
    CHECK_STR(digest.error ? digest.error : "(none)",
              "component 'web': files: path '/d' must be relative, with no empty, '.' or '..' "
              "component");
    staged_free(&digest);
    remove_tree(app_dir);
}

int main(void)
{
    RUN(test_files_patterns_and_placements);
    RUN(test_locked_directory_and_file_entries_are_staged);
    RUN(test_locked_entries_outside_or_through_links_are_refused);
    RUN(test_symlink_loop_is_skipped);
    RUN(test_many_star_patterns_stay_fast);
    RUN(test_hostile_tree_expands_to_files_inside_only);
    RUN(test_named_links_out_are_errors);
    RUN(test_hostile_tree_stages_only_files_inside);
    RUN(test_link_multiplied_tree_is_bounded);
    RUN(test_clean_directory_is_used_in_place);
    RUN(test_later_entries_replace_without_writing_app_files);
    return TEST_SUMMARY();
}
