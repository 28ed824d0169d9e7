/*
 * files.c - expands a component's `files` into (host path, guest path)
 * pairs, following the rules of Spin's loader (see spin_component_files in
 * manifest.h).
 *
 * Globs are matched by our own small matcher rather than glob(3): Spin's
 * patterns have `**` (any number of directories), which POSIX glob lacks,
 * and exclude_files use "path" matching in which `*` also crosses '/', as
 * the Rust glob crate's Pattern::matches_path does by default.  A walk
 * starts at the pattern's longest literal directory prefix, so a pattern in
 * static/ only reads static/.  Directory symlinks are followed (like Spin) with a
 * depth cap so a loop cannot hang the loader.
 */
#include "manifest.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_WALK_DEPTH 32

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

static void add_mount(spin_mounts *out, const char *host, const char *guest, bool is_dir)
{
    out->items = util_xrealloc(out->items, (out->len + 1) * sizeof(*out->items));
    out->items[out->len].host_path = util_xstrdup(host);
    out->items[out->len].guest_path = util_xstrdup(guest);
    out->items[out->len].is_dir = is_dir;
    out->len++;
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

static void strv_add(spin_strv *v, const char *s)
{
    v->items = util_xrealloc(v->items, (v->len + 1) * sizeof(char *));
    v->items[v->len++] = util_xstrdup(s);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects regular files below root/rel (recursively) into `files` as paths
 * relative to root, sorted. */
static int walk(const char *root, const char *rel, int depth, spin_strv *files, util_error **err)
{
    if (depth > MAX_WALK_DEPTH)
        return util_error_set(err, ELOOP, "%s/%s: directories nested too deeply", root, rel);
    cleanup_free char *dir = join(root, rel);
    DIR *d = opendir(dir);
    if (d == NULL)
        return util_error_set(err, errno, "open directory %s", dir);
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        names = util_xrealloc(names, (n + 1) * sizeof(char *));
        names[n++] = util_xstrdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(char *), cmp_str);
    int r = 0;
    for (size_t i = 0; i < n; i++) {
        cleanup_free char *child = join(rel, names[i]);
        cleanup_free char *full = join(root, child);
        struct stat st;
        if (r == 0 && stat(full, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                r = walk(root, child, depth + 1, files, err);
            else if (S_ISREG(st.st_mode))
                strv_add(files, child);
        }
        free(names[i]);
    }
    free(names);
    return r;
}

static void strv_clear(spin_strv *v)
{
    for (size_t i = 0; i < v->len; i++)
        free(v->items[i]);
    free(v->items);
    v->items = NULL;
    v->len = 0;
}

/* Mounts every non-excluded file below app-relative dir `rel` under `guest`. */
static int mount_tree(const spin_manifest *m, const spin_component *c, const char *rel,
                      const char *guest, spin_mounts *out, util_error **err)
{
    spin_strv files = {0};
    cleanup_free char *dir = join(m->dir, rel);
    if (walk(dir, "", 0, &files, err) < 0) {
        strv_clear(&files);
        return -1;
    }
    for (size_t i = 0; i < files.len; i++) {
        cleanup_free char *app_rel = join(rel, files.items[i]);
        if (excluded(c, app_rel))
            continue;
        cleanup_free char *host = join(m->dir, app_rel);
        cleanup_free char *g = join(guest, files.items[i]);
        add_mount(out, host, g, false);
    }
    strv_clear(&files);
    return 0;
}

static int expand_pattern(const spin_manifest *m, const spin_component *c, const char *pattern,
                          spin_mounts *out, util_error **err)
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
    cleanup_free char *host = join(m->dir, rel);
    struct stat st;
    if (stat(host, &st) == 0) {
        cleanup_free char *guest = util_xasprintf("/%s", rel);
        if (S_ISDIR(st.st_mode)) {
            if (c->exclude_files.len == 0) {
                add_mount(out, host, guest, true);
                return 0;
            }
            return mount_tree(m, c, rel, guest, out, err);
        }
        if (!excluded(c, rel))
            add_mount(out, host, guest, false);
        return 0;
    }
    if (!is_glob(rel))
        return util_error_set(err, 0, "'%s' does not exist and doesn't appear to be a glob pattern",
                              pattern);
    /* Walk from the longest directory prefix without glob characters. */
    cleanup_free char *base = util_xstrdup(rel);
    char *g = base + (strpbrk(base, "*?[") - base);
    while (g > base && g[-1] != '/')
        g--;
    if (g > base)
        g[-1] = '\0';
    else
        base[0] = '\0';
    cleanup_free char *base_host = join(m->dir, base);
    if (stat(base_host, &st) != 0 || !S_ISDIR(st.st_mode))
        return 0; /* nothing can match, as with an empty glob in Spin */
    spin_strv files = {0};
    if (walk(base_host, "", 0, &files, err) < 0) {
        strv_clear(&files);
        return -1;
    }
    for (size_t i = 0; i < files.len; i++) {
        cleanup_free char *app_rel = join(base, files.items[i]);
        if (!gmatch(rel, app_rel, false) || excluded(c, app_rel))
            continue;
        cleanup_free char *h = join(m->dir, app_rel);
        cleanup_free char *guest = util_xasprintf("/%s", app_rel);
        add_mount(out, h, guest, false);
    }
    strv_clear(&files);
    return 0;
}

static int expand_placement(const spin_manifest *m, const spin_component *c,
                            const spin_files_entry *f, spin_mounts *out, util_error **err)
{
    cleanup_free char *rel = normalize_rel(f->source);
    if (rel == NULL)
        return util_error_set(err, 0, "file source '%s' is outside the application directory",
                              f->source);
    cleanup_free char *host = join(m->dir, rel);
    struct stat st;
    if (stat(host, &st) != 0)
        return util_error_set(err, 0, "file or directory '%s' does not exist", f->source);
    if (!S_ISDIR(st.st_mode)) {
        if (!excluded(c, rel))
            add_mount(out, host, f->destination, false);
        return 0;
    }
    if (c->exclude_files.len == 0) {
        add_mount(out, host, f->destination, true);
        return 0;
    }
    return mount_tree(m, c, rel, f->destination, out, err);
}

int spin_component_files(const spin_manifest *m, const spin_component *c, spin_mounts *out,
                         util_error **err)
{
    spin_mounts res = {0};
    for (size_t i = 0; i < c->n_files; i++) {
        const spin_files_entry *f = &c->files[i];
        int r = f->destination ? expand_placement(m, c, f, &res, err)
                               : expand_pattern(m, c, f->source, &res, err);
        if (r < 0) {
            spin_mounts_free(&res);
            return util_error_wrap(err, "component '%s': files", c->id);
        }
    }
    *out = res;
    return 0;
}

void spin_mounts_free(spin_mounts *mounts)
{
    for (size_t i = 0; i < mounts->len; i++) {
        free(mounts->items[i].host_path);
        free(mounts->items[i].guest_path);
    }
    free(mounts->items);
    mounts->items = NULL;
    mounts->len = 0;
}
