/*
 * files_stage.c - gives a component's `files` a directory the WASI layer
 * can preopen as the guest's "/" (spin_component_files_dir).
 *
 * WASI preopens are directories while Spin places individual files, so in
 * general the files are staged: a private tree (one directory per
 * component under a mkdtemp directory) holding exactly the guest paths of
 * spin_component_files.  Each file is opened first, relative to the app
 * directory and without following any link (files_tree.c), checked to be
 * a regular file, and only then placed: hard-linked through its
 * descriptor (/proc/self/fd, so the inode linked is the one checked) or,
 * when that is refused (another filesystem, no /proc), copied from it.
 * A destination already present is unlinked first, never truncated: it
 * may be a hard link to a file of the app, which must not be written.
 *
 * A component whose files are one clean directory at "/" (see whole_dir)
 * skips the copy and preopens that directory as is; the WASI layer keeps
 * the guest beneath it (RESOLVE_BENEATH), and the directory holds nothing
 * a staged copy would not (but empty directories, which only files bring
 * into a staged tree), so both ways show the guest the same files.  That
 * costs one walk of the directory at start-up, no copy.
 *
 * The app removes the staging tree when it stops (spin_staging_remove),
 * also when the stop had to abandon guests that would not end.
 */
#include "files_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Creates *staging on first use.  A FROM-scratch image may have no /tmp:
 * fall back to the state dir Spin uses (/.spin), then to the app dir. */
static int ensure_staging(const spin_manifest *m, char **staging, util_error **err)
{
    if (*staging)
        return 0;
    const char *tmp = getenv("TMPDIR");
    cleanup_free char *state = util_xasprintf("%s/.spin", m->dir);
    const char *bases[] = {tmp && *tmp ? tmp : "/tmp", state, m->dir};
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

static int stage_all(const spin_manifest *m, const spin_component *c, const app_tree *t,
                     const spin_mounts *mounts, char **staging, char **files_dir,
                     util_error **err)
{
    if (ensure_staging(m, staging, err) < 0)
        return -1;
    cleanup_free char *root = util_xasprintf("%s/%s", *staging, c->id);
    if (util_mkdir_p(root, 0755, err) < 0)
        return -1;
    cleanup_free char *last_dir = NULL;
    for (size_t i = 0; i < mounts->len; i++)
        if (stage_file(t, root, &mounts->items[i], &last_dir, err) < 0)
            return util_error_wrap(err, "component '%s': files", c->id);
    *files_dir = steal_pointer(&root);
    return 0;
}

int spin_component_files_dir(const spin_manifest *m, const spin_component *c, char **staging,
                             char **files_dir, util_error **err)
{
    *files_dir = NULL;
    if (c->n_files == 0)
        return 0;
    app_tree t;
    if (spin_app_tree_open(&t, m->dir, err) < 0)
        return util_error_wrap(err, "component '%s': files", c->id);
    spin_mounts mounts;
    int r = spin_files_expand(&t, c, &mounts, err);
    if (r == 0) {
        for (size_t i = 0; i < mounts.skipped.len; i++)
            util_log_warn("component '%s': files: skipped %s", c->id, mounts.skipped.items[i]);
        if (mounts.whole_dir)
            *files_dir = mounts.whole_dir[0] ? util_xasprintf("%s/%s", m->dir, mounts.whole_dir)
                                             : util_xstrdup(m->dir);
        else if (mounts.len > 0)
            r = stage_all(m, c, &t, &mounts, staging, files_dir, err);
        spin_mounts_free(&mounts);
    }
    spin_app_tree_close(&t);
    return r;
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
