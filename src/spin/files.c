/*
 * files.c - expands a component's `files` into (app file, guest path)
 * pairs, following the rules of Spin's loader (see spin_component_files in
 * manifest.h) and our link rule (files_internal.h).
 *
 * Globs are matched by our own small matcher rather than glob(3): Spin's
 * patterns have `**` (any number of directories), which POSIX glob lacks,
 * and exclude_files use "path" matching in which `*` also crosses '/', as
 * the Rust glob crate's Pattern::matches_path does by default.  A walk
 * starts at the pattern's longest literal directory prefix, so a pattern in
 * static/ only reads static/.  Walking and resolving go through
 * files_tree.c, which never lets the kernel follow a link: what a guest
 * gets is always a regular file inside the app directory.  Globs and
 * exclude_files match the path as the guest will see it (through link
 * names), as Spin's do.
 */
#include "files_internal.h"

#include <errno.h>
#include <string.h>

/* ---- glob matching ------------------------------------------------------ */

static bool match_class(const char **pp, char c)
{
    const char *p = *pp + 1;
    bool negate = false, hit = false;
    if (*p == '!' || *p == '^') {
        negate = true;
        p++;
    }
    bool first = true;
    while (*p && (*p != ']' || first)) {
        char lo = *p, hi = *p;
        if (p[1] == '-' && p[2] && p[2] != ']') {
            hi = p[2];
            p += 2;
        }
        if (c >= lo && c <= hi)
            hit = true;
        p++;
        first = false;
    }
    if (*p != ']')
        return false; /* unterminated class: matches nothing */
    *pp = p + 1;
    return hit != negate;
}

/* Remembers (pattern, string) positions already known not to match, so
 * patterns with many stars stay polynomial instead of exponential. */
typedef struct glob_ctx {
    const char *pat, *str;
    size_t slen;
    bool star_crosses;
    unsigned char *failed; /* (plen + 1) x (slen + 1) bits, as bytes */
} glob_ctx;

static bool gm(glob_ctx *g, const char *p, const char *s)
{
    size_t key = (size_t)(p - g->pat) * (g->slen + 1) + (size_t)(s - g->str);
    if (g->failed[key])
        return false;
    bool ok = false;
    while (*p) {
        if (p[0] == '*' && p[1] == '*' && (p == g->pat || p[-1] == '/') &&
            (p[2] == '/' || p[2] == '\0')) {
            if (p[2] == '\0') {
                ok = true;
                goto out;
            }
            for (const char *q = s;;) {
                if (gm(g, p + 3, q)) {
                    ok = true;
                    goto out;
                }
                q = strchr(q, '/');
                if (q == NULL)
                    goto out;
                q++;
            }
        }
        switch (*p) {
        case '*':
            while (*p == '*')
                p++;
            for (const char *q = s;; q++) {
                if (gm(g, p, q)) {
                    ok = true;
                    goto out;
                }
                if (*q == '\0' || (!g->star_crosses && *q == '/'))
                    goto out;
            }
        case '?':
            if (*s == '\0' || (*s == '/' && !g->star_crosses))
                goto out;
            p++;
            s++;
            break;
        case '[':
            if (*s == '\0' || !match_class(&p, *s))
                goto out;
            s++;
            break;
        default:
            if (*p != *s)
                goto out;
            p++;
            s++;
        }
    }
    ok = *s == '\0';
out:
    if (!ok)
        g->failed[key] = 1;
    return ok;
}

static bool gmatch(const char *pattern, const char *path, bool star_crosses)
{
    glob_ctx g = {.pat = pattern, .str = path, .slen = strlen(path), .star_crosses = star_crosses};
    g.failed = util_xcalloc((strlen(pattern) + 1) * (g.slen + 1), 1);
    bool ok = gm(&g, pattern, path);
    free(g.failed);
    return ok;
}

static bool is_glob(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

/* ---- paths -------------------------------------------------------------- */

/* Lexically normalises a path relative to the app dir; NULL if it is
 * absolute or climbs out with "..". */
static char *normalize_rel(const char *path)
{
    if (path[0] == '/')
        return NULL;
    util_buf b = {0};
    util_buf_reserve(&b, strlen(path) + 1);
    b.data[0] = '\0';
    const char *p = path;
    while (*p) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.')) {
            /* skip */
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (b.len == 0) {
                util_buf_free(&b);
                return NULL;
            }
            char *slash = strrchr(b.data, '/');
            b.len = slash ? (size_t)(slash - b.data) : 0;
            b.data[b.len] = '\0';
        } else {
            if (b.len)
                util_buf_append(&b, "/", 1);
            util_buf_append(&b, p, n);
        }
        if (end == NULL)
            break;
        p = end + 1;
    }
    return util_buf_steal(&b, NULL);
}

static char *join(const char *a, const char *b)
{
    if (b[0] == '\0')
        return util_xstrdup(a);
    if (a[0] == '\0')
        return util_xstrdup(b);
    size_t n = strlen(a);
    return util_xasprintf("%s%s%s", a, a[n - 1] == '/' ? "" : "/", b);
}

/* ---- expansion ------------------------------------------------------------ */

typedef struct expand_ctx {
    app_tree *tree;
    const spin_component *c;
    spin_mounts *out;
    /* Only plain files and directories met so far, none excluded. */
    bool clean;
    /* The resolved directory of a { source, destination = "/" } entry. */
    char *root_dir;
} expand_ctx;

static void add_mount(spin_mounts *out, const char *app_path, const char *guest)
{
    out->items = util_xrealloc(out->items, (out->len + 1) * sizeof(*out->items));
    out->items[out->len].app_path = util_xstrdup(app_path);
    out->items[out->len].guest_path = util_xstrdup(guest);
    out->len++;
}

static void add_skipped(spin_mounts *out, const char *path, const char *why)
{
    out->skipped.items =
        util_xrealloc(out->skipped.items, (out->skipped.len + 1) * sizeof(char *));
    out->skipped.items[out->skipped.len++] = util_xasprintf("%s: %s", path, why);
}

static bool excluded(const spin_component *c, const char *app_rel)
{
    for (size_t i = 0; i < c->exclude_files.len; i++) {
        const char *pat = c->exclude_files.items[i];
        while (pat[0] == '.' && pat[1] == '/')
            pat += 2;
        if (gmatch(pat, app_rel, true))
            return true;
    }
    return false;
}

/* Mounts the files below directory `real` (seen in the app dir as
 * `apparent`): each under guest_base, or, with a glob, those matching it
 * at "/" + their app-relative path. */
static int mount_walk(expand_ctx *x, const char *real, const char *apparent,
                      const char *guest_base, const char *glob, util_error **err)
{
    tree_walk w;
    if (spin_app_tree_walk(x->tree, real, &w, err) < 0)
        return -1;
    if (w.links_seen)
        x->clean = false;
    for (size_t i = 0; i < w.nfiles; i++) {
        cleanup_free char *app_rel = join(apparent, w.files[i].apparent);
        if (glob && !gmatch(glob, app_rel, false))
            continue;
        if (excluded(x->c, app_rel)) {
            x->clean = false;
            continue;
        }
        cleanup_free char *guest =
            glob ? util_xasprintf("/%s", app_rel) : join(guest_base, w.files[i].apparent);
        add_mount(x->out, w.files[i].real, guest);
    }
    for (size_t i = 0; i < w.nskipped; i++) {
        cleanup_free char *app_rel = join(apparent, w.skipped[i].apparent);
        if (excluded(x->c, app_rel))
            continue;
        x->clean = false;
        add_skipped(x->out, app_rel, w.skipped[i].why);
    }
    spin_tree_walk_free(&w);
    return 0;
}

static int refuse_resolved(tree_res r, const char *what, const char *name, util_error **err)
{
    if (r == TREE_OUTSIDE)
        return util_error_set(err, 0,
                              "%s '%s' leads outside the application directory (through a "
                              "symbolic link); only files inside it can be mounted",
                              what, name);
    return util_error_set(err, 0, "%s '%s' %s", what, name, spin_tree_res_reason(r));
}

static int expand_glob(expand_ctx *x, const char *pattern, const char *rel, util_error **err)
{
    /* Walk from the longest directory prefix without glob characters. */
    cleanup_free char *base = util_xstrdup(rel);
    char *g = base + (strpbrk(base, "*?[") - base);
    while (g > base && g[-1] != '/')
        g--;
    if (g > base)
        g[-1] = '\0';
    else
        base[0] = '\0';
    cleanup_free char *real = NULL;
    struct stat st;
    tree_res r = spin_app_tree_resolve(x->tree, base, &real, &st);
    if (r == TREE_OUTSIDE || r == TREE_LOOP)
        return refuse_resolved(r, "file pattern", pattern, err);
    if (r != TREE_OK || !S_ISDIR(st.st_mode))
        return 0; /* nothing can match, as with an empty glob in Spin */
    return mount_walk(x, real, base, NULL, rel, err);
}

static int expand_pattern(expand_ctx *x, const char *pattern, util_error **err)
{
    size_t n = strlen(pattern);
    if (strcmp(pattern, "..") == 0 || (n >= 3 && strcmp(pattern + n - 3, "/..") == 0))
        return util_error_set(err, 0,
                              "file pattern '%s' can't end in a parent directory path (..); "
                              "use { source, destination } or a pattern ending in **/*",
                              pattern);
    if (strcmp(pattern, ".") == 0 || (n >= 2 && strcmp(pattern + n - 2, "/.") == 0))
        return util_error_set(err, 0,
                              "file pattern '%s' can't end in a current directory path (.); "
                              "use { source, destination } or a pattern ending in **/*",
                              pattern);
    cleanup_free char *rel = normalize_rel(pattern);
    if (rel == NULL)
        return util_error_set(err, 0,
                              "file pattern '%s' is outside the application directory", pattern);
    cleanup_free char *real = NULL;
    struct stat st;
    tree_res r = spin_app_tree_resolve(x->tree, rel, &real, &st);
    if (r == TREE_MISSING) {
        if (!is_glob(rel))
            return util_error_set(err, 0,
                                  "'%s' does not exist and doesn't appear to be a glob pattern",
                                  pattern);
        return expand_glob(x, pattern, rel, err);
    }
    if (r != TREE_OK)
        return refuse_resolved(r, "file pattern", pattern, err);
    cleanup_free char *guest = util_xasprintf("/%s", rel);
    if (S_ISDIR(st.st_mode))
        return mount_walk(x, real, rel, guest, NULL, err);
    if (!S_ISREG(st.st_mode))
        return util_error_set(err, 0, "'%s' is not a regular file or directory", pattern);
    if (excluded(x->c, rel))
        x->clean = false;
    else
        add_mount(x->out, real, guest);
    return 0;
}

static int expand_placement(expand_ctx *x, const spin_files_entry *f, util_error **err)
{
    cleanup_free char *rel = normalize_rel(f->source);
    if (rel == NULL)
        return util_error_set(err, 0, "file source '%s' is outside the application directory",
                              f->source);
    cleanup_free char *real = NULL;
    struct stat st;
    tree_res r = spin_app_tree_resolve(x->tree, rel, &real, &st);
    if (r == TREE_MISSING)
        return util_error_set(err, 0, "file or directory '%s' does not exist", f->source);
    if (r != TREE_OK)
        return refuse_resolved(r, "file source", f->source, err);
    if (S_ISDIR(st.st_mode)) {
        if (strcmp(f->destination, "/") == 0 && x->root_dir == NULL)
            x->root_dir = util_xstrdup(real);
        return mount_walk(x, real, rel, f->destination, NULL, err);
    }
    if (!S_ISREG(st.st_mode))
        return util_error_set(err, 0, "file source '%s' is not a regular file or directory",
                              f->source);
    if (f->destination[strlen(f->destination) - 1] == '/')
        return util_error_set(err, 0,
                              "destination '%s' ends in '/', but source '%s' is a file: give "
                              "the file's name",
                              f->destination, f->source);
    if (excluded(x->c, rel))
        x->clean = false;
    else
        add_mount(x->out, real, f->destination);
    return 0;
}

int spin_files_expand(app_tree *t, const spin_component *c, spin_mounts *out, util_error **err)
{
    memset(out, 0, sizeof(*out));
    expand_ctx x = {.tree = t, .c = c, .out = out, .clean = true};
    for (size_t i = 0; i < c->n_files; i++) {
        const spin_files_entry *f = &c->files[i];
        int r = f->destination ? expand_placement(&x, f, err) : expand_pattern(&x, f->source, err);
        if (r < 0) {
            free(x.root_dir);
            spin_mounts_free(out);
            return util_error_wrap(err, "component '%s': files", c->id);
        }
    }
    if (c->n_files == 1 && x.root_dir && x.clean)
        out->whole_dir = steal_pointer(&x.root_dir);
    free(x.root_dir);
    return 0;
}

int spin_component_files(const spin_manifest *m, const spin_component *c, spin_mounts *out,
                         util_error **err)
{
    memset(out, 0, sizeof(*out));
    if (c->n_files == 0)
        return 0;
    app_tree t;
    if (spin_app_tree_open(&t, m->dir, err) < 0)
        return util_error_wrap(err, "component '%s': files", c->id);
    int r = spin_files_expand(&t, c, out, err);
    spin_app_tree_close(&t);
    return r;
}

void spin_mounts_free(spin_mounts *mounts)
{
    for (size_t i = 0; i < mounts->len; i++) {
        free(mounts->items[i].app_path);
        free(mounts->items[i].guest_path);
    }
    free(mounts->items);
    for (size_t i = 0; i < mounts->skipped.len; i++)
        free(mounts->skipped.items[i]);
    free(mounts->skipped.items);
    free(mounts->whole_dir);
    memset(mounts, 0, sizeof(*mounts));
}
