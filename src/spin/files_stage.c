/*
 * files_stage.c - gives a component's `files`, as the app model lists them
 * (file:// entries, locked_app.h), a directory the WASI layer can preopen
 * as the guest's "/" (spin_locked_files_dir).
 *
 * WASI preopens are directories while Spin places individual files, so in
 * general the files are staged: a private tree (one directory per
 * component under a mkdtemp directory) holding exactly the entries' guest
 * paths.  Every source must lie below the app directory and is opened
 * again beneath it, without following any link (files_tree.c), so a model
 * read from elsewhere gets the same checks as one built from a manifest.
 * A file entry is checked to be a regular file and only then placed:
 * hard-linked through its descriptor (/proc/self/fd, so the inode linked
 * is the one checked) or, when that is refused (another filesystem, no
 * /proc), copied from it.  A directory entry (Spin's own spin.lock has
 * them) is walked with the rules of spin_component_files and each file
 * placed the same way.  A destination already present is unlinked first,
 * never truncated: it may be a hard link to a file of the app, which must
 * not be written.
 *
 * A component whose files are one directory at "/" skips the copy and
 * preopens that directory as is.  A model built from a manifest has such
 * an entry only for one clean directory (whole_dir in manifest.h); the
 * WASI layer keeps the guest beneath it (RESOLVE_BENEATH), and the
 * directory holds nothing a staged copy would not (but empty directories,
 * which only files bring into a staged tree), so both ways show the guest
 * the same files.  That costs one walk of the directory at start-up (when
 * the model is built), no copy.
 *
 * The app removes the staging tree when it stops (spin_staging_remove),
 * also when the stop had to abandon guests that would not end.
 */
#include "files_internal.h"
#include "locked_app.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Creates *staging on first use.  A FROM-scratch image may have no /tmp:
 * fall back to the state dir Spin uses (/.spin), then to the app dir. */
static int ensure_staging(const char *app_dir, char **staging, util_error **err)
{
    if (*staging)
        return 0;
    const char *tmp = getenv("TMPDIR");
    cleanup_free char *state = util_xasprintf("%s/.spin", app_dir);
    const char *bases[] = {tmp && *tmp ? tmp : "/tmp", state, app_dir};
    int last = 0;
    for (size_t i = 0; i < UTIL_ARRAY_LEN(bases); i++) {
        if (i == 1)
            mkdir(state, 0755);
        char *tmpl = util_xasprintf("%s/spin-files-XXXXXX", bases[i]);
        if (mkdtemp(tmpl)) {
            *staging = tmpl;
            return 0;
        }
        last = errno;
        free(tmpl);
    }
    return util_error_set(err, last, "creating a staging directory for component files");
}

/* Copies the open file `from` to a new file `to` (`guest` names it). */
static int copy_fd(int from, const char *to, const char *guest, util_error **err)
{
    cleanup_fd int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
    if (out < 0)
        return util_error_set(err, errno, "placing %s", guest);
    char buf[65536];
    for (;;) {
        ssize_t n = read(from, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return util_error_set(err, errno, "reading the file for %s", guest);
        if (n == 0)
            return 0;
        if (util_write_all(out, buf, (size_t)n) < 0)
            return util_error_set(err, errno, "writing %s", guest);
    }
}

/* Makes the directory `dir` (below the staging root) exist.  Files come
 * in walk order, so most share the previous one's directory: that one is
 * remembered in *last and not made again. */
static int make_parent(const char *dir, char **last, util_error **err)
{
    if (*last && strcmp(*last, dir) == 0)
        return 0;
    if (mkdir(dir, 0755) < 0 && errno != EEXIST && util_mkdir_p(dir, 0755, err) < 0)
        return -1;
    free(*last);
    *last = util_xstrdup(dir);
    return 0;
}

/* Links (or copies) the open file src to dst.  A dst already there (an
 * earlier entry for the same guest path) is unlinked, never written: it
 * may be a hard link to one of the app's files. */
static int place(int src, const char *dst, const char *guest, util_error **err)
{
    char proc[64];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", src);
    bool linked = linkat(AT_FDCWD, proc, AT_FDCWD, dst, AT_SYMLINK_FOLLOW) == 0;
    if (!linked && errno == EEXIST) {
        if (unlink(dst) < 0)
            return util_error_set(err, errno, "placing %s over an earlier entry", guest);
        linked = linkat(AT_FDCWD, proc, AT_FDCWD, dst, AT_SYMLINK_FOLLOW) == 0;
    }
    if (linked)
        return 0;
    /* Not linkable (another filesystem, no /proc, protected_hardlinks). */
    if (unlink(dst) < 0 && errno != ENOENT)
        return util_error_set(err, errno, "placing %s over an earlier entry", guest);
    return copy_fd(src, dst, guest, err);
}

/* Places the app file mnt->app_path at root + mnt->guest_path. */
static int stage_file(const app_tree *t, const char *root, const spin_mount *mnt, char **last_dir,
                      util_error **err)
{
    cleanup_fd int src = spin_app_tree_open_at(t, mnt->app_path, O_RDONLY | O_NONBLOCK, err);
    if (src < 0)
        return -1;
    struct stat st;
    if (fstat(src, &st) < 0 || !S_ISREG(st.st_mode))
        return util_error_set(err, 0, "'%s' is no longer a regular file", mnt->app_path);
    cleanup_free char *dst = util_xasprintf("%s%s", root, mnt->guest_path);
    cleanup_free char *parent = util_xstrdup(dst);
    *strrchr(parent, '/') = '\0';
    if (make_parent(parent, last_dir, err) < 0)
        return util_error_wrap(err, "placing %s", mnt->guest_path);
    return place(src, dst, mnt->guest_path, err);
}

/* ---- staging from the app model ---------------------------------------- */

/* The app-relative path of a file:// source below app_dir ("" for the
 * directory itself), or NULL with *err naming the entry. */
static char *app_relative(const char *app_dir, const spin_locked_file *f, util_error **err)
{
    if (!f->content.source) {
        util_error_set(err, 0,
                       "the entry for %s has no file source (content by digest or inline is "
                       "not supported here yet)",
                       f->path);
        return NULL;
    }
    cleanup_free char *path = spin_locked_file_uri_to_path(f->content.source, err);
    if (!path) {
        util_error_wrap(err, "the entry for %s", f->path);
        return NULL;
    }
    size_t n = strlen(app_dir);
    while (n > 1 && app_dir[n - 1] == '/')
        n--;
    if (strncmp(path, app_dir, n) == 0 && path[n] == '\0')
        return util_xstrdup("");
    if (strncmp(path, app_dir, n) == 0 && (path[n] == '/' || n == 1))
        return util_xstrdup(path + n + (path[n] == '/'));
    util_error_set(err, 0, "the source of %s (%s) is not inside the application directory %s",
                   f->path, path, app_dir);
    return NULL;
}

/* The resolved, link-free form of `rel`, which must already be one. */
static int resolve_entry(app_tree *t, const char *rel, const char *guest, struct stat *st,
                         util_error **err)
{
    cleanup_free char *real = NULL;
    tree_res r = spin_app_tree_resolve(t, rel, &real, st);
    if (r != TREE_OK)
        return util_error_set(err, 0, "the source of %s: %s", guest, spin_tree_res_reason(r));
    if (strcmp(real, rel) != 0)
        return util_error_set(err, 0, "the source of %s passes through a symbolic link", guest);
    return 0;
}

/* "/" + "a/b" -> "/a/b"; "/www" + "a" -> "/www/a"; "x" -> "/x". */
static char *guest_join(const char *dir, const char *name)
{
    const char *lead = dir[0] == '/' ? "" : "/";
    size_t n = strlen(dir);
    bool slash = n > 0 && dir[n - 1] == '/';
    if (!name)
        return util_xasprintf("%s%s", lead, dir);
    return util_xasprintf("%s%s%s%s", lead, dir, slash ? "" : "/", name);
}

/* Stages every file of the directory `rel` below the guest path `guest`. */
static int stage_dir(app_tree *t, const char *root, const char *rel, const char *guest,
                     const char *id, char **last_dir, util_error **err)
{
    tree_walk walk;
    if (spin_app_tree_walk(t, rel, &walk, err) < 0)
        return -1;
    for (size_t i = 0; i < walk.nskipped; i++)
        util_log_warn("component '%s': files: skipped %s: %s", id, walk.skipped[i].apparent,
                      walk.skipped[i].why);
    int r = 0;
    for (size_t i = 0; r == 0 && i < walk.nfiles; i++) {
        cleanup_free char *g = guest_join(guest, walk.files[i].apparent);
        spin_mount mnt = {.app_path = walk.files[i].real, .guest_path = g};
        r = stage_file(t, root, &mnt, last_dir, err);
    }
    spin_tree_walk_free(&walk);
    return r;
}

static int stage_entry(app_tree *t, const char *app_dir, const char *root,
                       const spin_locked_file *f, const char *id, char **last_dir,
                       util_error **err)
{
    cleanup_free char *rel = app_relative(app_dir, f, err);
    struct stat st;
    if (!rel || resolve_entry(t, rel, f->path, &st, err) < 0)
        return -1;
    if (S_ISDIR(st.st_mode))
        return stage_dir(t, root, rel, f->path, id, last_dir, err);
    cleanup_free char *g = guest_join(f->path, NULL);
    spin_mount mnt = {.app_path = rel, .guest_path = g};
    return stage_file(t, root, &mnt, last_dir, err);
}

/* One directory at "/": preopened as is (see whole_dir above). */
static bool is_whole_dir(app_tree *t, const char *app_dir, const spin_locked_component *c,
                         char **dir)
{
    if (c->n_files != 1 || strcmp(c->files[0].path, "/") != 0)
        return false;
    util_error *err = NULL;
    cleanup_free char *rel = app_relative(app_dir, &c->files[0], &err);
    struct stat st;
    bool whole = rel && resolve_entry(t, rel, "/", &st, &err) == 0 && S_ISDIR(st.st_mode);
    util_error_free(&err);
    if (whole)
        *dir = rel[0] ? util_xasprintf("%s/%s", app_dir, rel) : util_xstrdup(app_dir);
    return whole;
}

static int stage_entries(app_tree *t, const char *app_dir, const spin_locked_component *c,
                         char **staging, char **files_dir, util_error **err)
{
    if (ensure_staging(app_dir, staging, err) < 0)
        return -1;
    cleanup_free char *root = util_xasprintf("%s/%s", *staging, c->id);
    if (util_mkdir_p(root, 0755, err) < 0)
        return -1;
    cleanup_free char *last_dir = NULL;
    for (size_t i = 0; i < c->n_files; i++)
        if (stage_entry(t, app_dir, root, &c->files[i], c->id, &last_dir, err) < 0)
            return -1;
    *files_dir = steal_pointer(&root);
    return 0;
}

/* ---- staging content by digest or inline (an OCI artifact's files) ------ */

/* Spin's is_safe_to_join: relative, every component a normal name. */
static bool safe_relative(const char *path)
{
    if (path[0] == '\0' || path[0] == '/')
        return false;
    for (const char *p = path;;) {
        size_t n = strcspn(p, "/");
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        p += n;
        if (*p == '\0')
            return true;
        p++;
    }
}

/* Writes inline bytes as the new file dst (an earlier entry's file there
 * is unlinked, as place() does). */
static int write_inline(const spin_locked_content *ct, const char *dst, const char *guest,
                        util_error **err)
{
    if (unlink(dst) < 0 && errno != ENOENT)
        return util_error_set(err, errno, "placing %s over an earlier entry", guest);
    cleanup_fd int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
    if (out < 0)
        return util_error_set(err, errno, "placing %s", guest);
    if (util_write_all(out, ct->inline_data, ct->inline_len) < 0)
        return util_error_set(err, errno, "writing %s", guest);
    return 0;
}

/* The data layer of `digest` in the cache, opened without following a
 * link; a missing one is named. */
static int open_data(const char *content_dir, const char *digest, const char *guest,
                     util_error **err)
{
    if (!content_dir)
        return util_error_set(err, 0, "%s: content by digest needs the artifact's cache", guest);
    cleanup_free char *path = util_xasprintf("%s/data/%s", content_dir, digest);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return util_error_set(err, 0, "%s: its content %s is not in the artifact (no layer %s)",
                              guest, digest, path);
    if (fd < 0)
        return util_error_set(err, errno, "%s: opening %s", guest, path);
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return util_error_set(err, 0, "%s: %s is not a regular file", guest, path);
    }
    return fd;
}

static int stage_content_entry(const char *content_dir, const char *root,
                               const spin_locked_file *f, char **last_dir, util_error **err)
{
    if (!safe_relative(f->path))
        return util_error_set(err, 0,
                              "path '%s' must be relative, with no empty, '.' or '..' "
                              "component",
                              f->path);
    cleanup_free char *guest = util_xasprintf("/%s", f->path);
    cleanup_free char *dst = util_xasprintf("%s/%s", root, f->path);
    cleanup_free char *parent = util_xstrdup(dst);
    *strrchr(parent, '/') = '\0';
    if (make_parent(parent, last_dir, err) < 0)
        return util_error_wrap(err, "placing %s", guest);
    if (f->content.has_inline)
        return write_inline(&f->content, dst, guest, err);
    cleanup_fd int src = open_data(content_dir, f->content.digest, guest, err);
    if (src < 0)
        return -1;
    return place(src, dst, guest, err);
}

/* Every entry is content (no file source): each placed at its path below
 * the component's staging root, as Spin's OciLoader copies them to
 * assets/<id>/<path>; a data layer is hard-linked when it can be (no
 * copy: the preopen is read-only), else copied. */
static int stage_content(const char *app_dir, const char *content_dir,
                         const spin_locked_component *c, char **staging, char **files_dir,
                         util_error **err)
{
    if (ensure_staging(app_dir, staging, err) < 0)
        return -1;
    cleanup_free char *root = util_xasprintf("%s/%s", *staging, c->id);
    if (util_mkdir_p(root, 0755, err) < 0)
        return -1;
    cleanup_free char *last_dir = NULL;
    for (size_t i = 0; i < c->n_files; i++)
        if (stage_content_entry(content_dir, root, &c->files[i], &last_dir, err) < 0)
            return -1;
    *files_dir = steal_pointer(&root);
    return 0;
}

int spin_locked_files_dir(const char *app_dir, const char *content_dir,
                          const spin_locked_component *c, char **staging, char **files_dir,
                          util_error **err)
{
    *files_dir = NULL;
    if (c->n_files == 0)
        return 0;
    size_t by_content = 0;
    for (size_t i = 0; i < c->n_files; i++)
        by_content += c->files[i].content.source == NULL;
    if (by_content > 0 && by_content < c->n_files)
        return util_error_set(err, 0,
                              "component '%s': files: mixes file sources with content by "
                              "digest or inline",
                              c->id);
    if (by_content > 0 && !app_dir)
        return util_error_set(err, 0,
                              "component '%s': files: the app has no directory to stage them in",
                              c->id);
    if (by_content > 0)
        return stage_content(app_dir, content_dir, c, staging, files_dir, err) < 0
                   ? util_error_wrap(err, "component '%s': files", c->id)
                   : 0;
    if (!app_dir)
        return util_error_set(err, 0,
                              "component '%s': files: the app has no directory to take them from",
                              c->id);
    app_tree t;
    if (spin_app_tree_open(&t, app_dir, err) < 0)
        return util_error_wrap(err, "component '%s': files", c->id);
    int r = 0;
    if (!is_whole_dir(&t, app_dir, c, files_dir))
        r = stage_entries(&t, app_dir, c, staging, files_dir, err);
    spin_app_tree_close(&t);
    return r < 0 ? util_error_wrap(err, "component '%s': files", c->id) : 0;
}

/* ---- removal --------------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP || flag == FTW_D)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

void spin_staging_remove(char **staging)
{
    if (*staging) {
        nftw(*staging, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(*staging);
        *staging = NULL;
    }
}
