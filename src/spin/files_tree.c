/*
 * files_tree.c - resolving, walking and opening paths of the application
 * directory without ever leaving it (the rule is in files_internal.h).
 *
 * Resolution is realpath(3) done by hand and confined: components are
 * consumed left to right against a link-free prefix, ".." pops that
 * prefix (popping past the top means "outside"), and a link is replaced
 * by its target, read with readlinkat and spliced in front of what is
 * left.  An absolute target is inside only if it lies below the
 * directory's canonical path (in a container the app sits at "/", so
 * every absolute target is inside).  lstat-style calls decide; the
 * kernel never follows a link for us.
 *
 * The walk reads each directory once (names sorted so results are
 * stable), descends into real subdirectories through openat(O_NOFOLLOW),
 * and resolves each link it meets.  A directory reached through a link is
 * refused when it is one being walked already or an ancestor of the link
 * (a loop).  Links to directories can still make a small tree look
 * exponentially large (each level linking twice to the next), so the
 * entries found below linked directories are capped much lower than those
 * of real directories, whose number the disk bounds.
 */
#include "files_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#define MAX_LINK_HOPS 40          /* as the kernel's own limit */
#define MAX_WALK_DEPTH 64         /* directories nested inside one another */
#define MAX_WALK_ENTRIES (1u << 20) /* per component, bounding memory */
#define MAX_LINKED_ENTRIES (1u << 16) /* of those, below directories reached by a link */

int spin_app_tree_open(app_tree *t, const char *dir, util_error **err)
{
    t->entries = t->linked_entries = 0;
    t->real = NULL;
    t->fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (t->fd < 0)
        return util_error_set(err, errno, "opening the application directory %s", dir);
    t->real = realpath(dir, NULL);
    if (t->real == NULL) {
        int e = errno;
        close(t->fd);
        t->fd = -1;
        return util_error_set(err, e, "resolving the application directory %s", dir);
    }
    return 0;
}

void spin_app_tree_close(app_tree *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
    free(t->real);
    t->real = NULL;
}

const char *spin_tree_res_reason(tree_res r)
{
    switch (r) {
    case TREE_OK: return "resolves";
    case TREE_MISSING: return "does not exist (or is a dangling symbolic link)";
    case TREE_OUTSIDE: return "leads outside the application directory";
    case TREE_LOOP: return "has too many levels of symbolic links";
    }
    return "?";
}

/* The target of the link `path` (relative to dirfd), or NULL. */
static char *read_link(int dirfd, const char *path)
{
    size_t cap = 256;
    for (;;) {
        char *buf = util_xmalloc(cap);
        ssize_t n = readlinkat(dirfd, path, buf, cap);
        if (n < 0) {
            free(buf);
            return NULL;
        }
        if ((size_t)n < cap) {
            buf[n] = '\0';
            return buf;
        }
        free(buf);
        if (cap >= PATH_MAX * 4)
            return NULL;
        cap *= 2;
    }
}

/* The part of absolute `target` below the application directory ("" for
 * the directory itself), or NULL if it lies elsewhere on the host. */
static const char *inside_part(const app_tree *t, const char *target)
{
    if (strcmp(t->real, "/") == 0)
        return target + 1;
    size_t n = strlen(t->real);
    if (strncmp(target, t->real, n) != 0 || (target[n] != '/' && target[n] != '\0'))
        return NULL;
    return target + n + (target[n] == '/');
}

static int stat_at(const app_tree *t, const util_buf *path, struct stat *st)
{
    return fstatat(t->fd, path->len ? path->data : ".", st, AT_SYMLINK_NOFOLLOW);
}

/* Drops the last component of a link-free path. */
static void pop_component(util_buf *done)
{
    char *slash = strrchr(done->data, '/');
    done->len = slash ? (size_t)(slash - done->data) : 0;
    done->data[done->len] = '\0';
}

/* Replaces the link at the end of `done` by its target: `*todo` becomes
 * target + "/" + what was left after the link. */
static tree_res splice_link(const app_tree *t, util_buf *done, size_t link_start, char **todo,
                            const char *rest)
{
    cleanup_free char *target = read_link(t->fd, done->data);
    if (target == NULL)
        return TREE_MISSING;
    done->len = link_start;
    done->data[done->len] = '\0';
    const char *rel = target;
    if (target[0] == '/') {
        rel = inside_part(t, target);
        if (rel == NULL)
            return TREE_OUTSIDE;
        done->len = 0;
        done->data[0] = '\0';
    }
    char *next = util_xasprintf("%s/%s", rel, rest);
    free(*todo);
    *todo = next;
    return TREE_OK;
}

tree_res spin_app_tree_resolve(app_tree *t, const char *path, char **real, struct stat *st)
{
    util_buf done = {0};
    util_buf_append(&done, "", 0);
    char *todo = util_xstrdup(path);
    size_t pos = 0;
    unsigned hops = 0;
    tree_res r = TREE_OK;
    if (stat_at(t, &done, st) < 0)
        r = TREE_MISSING;
    while (r == TREE_OK && todo[pos]) {
        const char *name = todo + pos;
        size_t n = strcspn(name, "/");
        size_t next = pos + n + (name[n] == '/');
        if (n == 0 || (n == 1 && name[0] == '.')) {
            pos = next;
            continue;
        }
        if (n == 2 && name[0] == '.' && name[1] == '.') {
            if (done.len == 0)
                r = TREE_OUTSIDE;
            else
                pop_component(&done);
            pos = next;
            continue;
        }
        if (stat_at(t, &done, st) < 0 || !S_ISDIR(st->st_mode)) {
            r = TREE_MISSING;
            break;
        }
        size_t link_start = done.len;
        if (done.len)
            util_buf_append(&done, "/", 1);
        util_buf_append(&done, name, n);
        if (stat_at(t, &done, st) < 0) {
            r = TREE_MISSING;
            break;
        }
        if (!S_ISLNK(st->st_mode)) {
            pos = next;
            continue;
        }
        if (++hops > MAX_LINK_HOPS) {
            r = TREE_LOOP;
            break;
        }
        r = splice_link(t, &done, link_start, &todo, todo + next);
        pos = 0;
    }
    free(todo);
    if (r == TREE_OK && stat_at(t, &done, st) < 0)
        r = TREE_MISSING;
    if (r != TREE_OK) {
        util_buf_free(&done);
        *real = NULL;
        return r;
    }
    *real = util_buf_steal(&done, NULL);
    return TREE_OK;
}

int spin_app_tree_open_at(const app_tree *t, const char *real, int flags, util_error **err)
{
    int dirfd = t->fd;
    int fd = -1;
    cleanup_free char *copy = util_xstrdup(real);
    char *save = NULL;
    char *name = strtok_r(copy, "/", &save);
    if (name == NULL)
        fd = openat(t->fd, ".", flags | O_CLOEXEC);
    while (name) {
        char *next = strtok_r(NULL, "/", &save);
        int f = next ? O_PATH | O_DIRECTORY : flags;
        fd = openat(dirfd, name, f | O_NOFOLLOW | O_CLOEXEC);
        int saved = errno;
        if (dirfd != t->fd)
            close(dirfd);
        errno = saved;
        if (fd < 0)
            break;
        dirfd = fd;
        name = next;
    }
    if (fd < 0)
        return util_error_set(err, errno, "opening '%s' in the application directory", real);
    return fd;
}

/* ---- walking ------------------------------------------------------------- */

typedef struct walk_state {
    app_tree *t;
    tree_walk *out;
    const char **stack; /* real paths of the directories being walked */
    size_t depth;
    unsigned links_above; /* directories on the stack reached through a link */
} walk_state;

static char *join_rel(const char *a, const char *b)
{
    return a[0] ? util_xasprintf("%s/%s", a, b) : util_xstrdup(b);
}

static void add_file(tree_walk *out, const char *apparent, const char *real)
{
    out->files = util_xrealloc(out->files, (out->nfiles + 1) * sizeof(*out->files));
    out->files[out->nfiles].apparent = util_xstrdup(apparent);
    out->files[out->nfiles].real = util_xstrdup(real);
    out->nfiles++;
}

static void add_skipped(tree_walk *out, const char *apparent, const char *why)
{
    out->skipped = util_xrealloc(out->skipped, (out->nskipped + 1) * sizeof(*out->skipped));
    out->skipped[out->nskipped].apparent = util_xstrdup(apparent);
    out->skipped[out->nskipped].why = why;
    out->nskipped++;
}

/* True if walking directory `real` again would never end: it is being
 * walked already, or it contains the directory `from` where the link is. */
static bool is_loop(const walk_state *w, const char *real, const char *from)
{
    for (size_t i = 0; i < w->depth; i++)
        if (strcmp(w->stack[i], real) == 0)
            return true;
    size_t n = strlen(real);
    return n == 0 || (strncmp(from, real, n) == 0 && (from[n] == '/' || from[n] == '\0'));
}

static int walk_dir(walk_state *w, int dirfd, const char *real, const char *apparent,
                    util_error **err);

static const char *link_reason(tree_res r)
{
    switch (r) {
    case TREE_OUTSIDE: return "a symbolic link leading outside the application directory";
    case TREE_LOOP: return "a symbolic link with too many levels of links";
    default: return "a dangling symbolic link";
    }
}

/* A directory entry that is a link: stands for its target, or is skipped. */
static int walk_link(walk_state *w, const char *dir_real, const char *real, const char *apparent,
                     util_error **err)
{
    w->out->links_seen = true;
    cleanup_free char *target = NULL;
    struct stat st;
    tree_res r = spin_app_tree_resolve(w->t, real, &target, &st);
    if (r != TREE_OK) {
        add_skipped(w->out, apparent, link_reason(r));
        return 0;
    }
    if (S_ISREG(st.st_mode)) {
        add_file(w->out, apparent, target);
        return 0;
    }
    if (!S_ISDIR(st.st_mode)) {
        add_skipped(w->out, apparent,
                    "a symbolic link to something that is not a regular file or directory");
        return 0;
    }
    if (is_loop(w, target, dir_real)) {
        add_skipped(w->out, apparent, "a symbolic link to a directory that contains it (a loop)");
        return 0;
    }
    int fd = spin_app_tree_open_at(w->t, target, O_RDONLY | O_DIRECTORY, NULL);
    if (fd < 0) {
        add_skipped(w->out, apparent, "a symbolic link whose directory cannot be opened");
        return 0;
    }
    w->links_above++;
    int walked = walk_dir(w, fd, target, apparent, err);
    w->links_above--;
    return walked;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a directory, sorted; takes ownership of dirfd's stream. */
static char **read_names(int dirfd, size_t *n)
{
    DIR *d = fdopendir(dirfd);
    if (d == NULL) {
        close(dirfd);
        return NULL;
    }
    char **names = NULL;
    *n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        names = util_xrealloc(names, (*n + 1) * sizeof(char *));
        names[(*n)++] = util_xstrdup(de->d_name);
    }
    closedir(d);
    qsort(names, *n, sizeof(char *), cmp_names);
    return names ? names : util_xcalloc(1, sizeof(char *));
}

static int walk_entry(walk_state *w, int dirfd, const char *dir_real, const char *name,
                      const char *dir_apparent, util_error **err)
{
    cleanup_free char *real = join_rel(dir_real, name);
    cleanup_free char *apparent = join_rel(dir_apparent, name);
    if (++w->t->entries > MAX_WALK_ENTRIES)
        return util_error_set(err, 0, "more than %u files and directories", MAX_WALK_ENTRIES);
    if (w->links_above && ++w->t->linked_entries > MAX_LINKED_ENTRIES)
        return util_error_set(err, 0,
                              "more than %u files and directories below symbolic links to "
                              "directories (links can multiply a tree; name the directories "
                              "themselves instead)",
                              MAX_LINKED_ENTRIES);
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        add_skipped(w->out, apparent, "vanished while being read");
        return 0;
    }
    if (S_ISREG(st.st_mode)) {
        add_file(w->out, apparent, real);
        return 0;
    }
    if (S_ISLNK(st.st_mode))
        return walk_link(w, dir_real, real, apparent, err);
    if (!S_ISDIR(st.st_mode)) {
        add_skipped(w->out, apparent, "not a regular file or directory");
        return 0;
    }
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return util_error_set(err, errno, "opening directory '%s'", real);
    return walk_dir(w, fd, real, apparent, err);
}

/* Walks the open directory dirfd (closed here) at `real`, seen by the
 * guest as `apparent`. */
static int walk_dir(walk_state *w, int dirfd, const char *real, const char *apparent,
                    util_error **err)
{
    if (w->depth >= MAX_WALK_DEPTH) {
        close(dirfd);
        return util_error_set(err, ELOOP, "'%s': directories nested too deeply", real);
    }
    int fd = dup(dirfd);
    size_t n = 0;
    char **names = fd < 0 ? NULL : read_names(fd, &n);
    if (names == NULL) {
        close(dirfd);
        return util_error_set(err, errno, "reading directory '%s'", real);
    }
    w->stack[w->depth++] = real;
    int r = 0;
    for (size_t i = 0; i < n; i++) {
        if (r == 0)
            r = walk_entry(w, dirfd, real, names[i], apparent, err);
        free(names[i]);
    }
    free(names);
    w->depth--;
    close(dirfd);
    return r;
}

int spin_app_tree_walk(app_tree *t, const char *real, tree_walk *out, util_error **err)
{
    memset(out, 0, sizeof(*out));
    int fd = spin_app_tree_open_at(t, real, O_RDONLY | O_DIRECTORY, err);
    if (fd < 0)
        return -1;
    const char *stack[MAX_WALK_DEPTH];
    walk_state w = {.t = t, .out = out, .stack = stack};
    if (walk_dir(&w, fd, real, "", err) < 0) {
        spin_tree_walk_free(out);
        return -1;
    }
    return 0;
}

void spin_tree_walk_free(tree_walk *w)
{
    for (size_t i = 0; i < w->nfiles; i++) {
        free(w->files[i].apparent);
        free(w->files[i].real);
    }
    free(w->files);
    for (size_t i = 0; i < w->nskipped; i++)
        free(w->skipped[i].apparent);
    free(w->skipped);
    memset(w, 0, sizeof(*w));
}
