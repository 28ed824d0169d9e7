/*
 * files_internal.h - the application directory as component `files` see
 * it (internal to files.c, files_tree.c and files_stage.c).
 *
 * The rule, the same whether a component's files are staged or its one
 * directory is preopened as is: only regular files and directories of the
 * application directory are ever shown to a guest.  Symbolic links are
 * read (readlinkat), never followed by the kernel, and resolved by hand
 * against the application directory: one that stays inside it stands for
 * what it points to (its target's contents appear under the link's name);
 * one that leads outside, dangles, loops or repeats a directory it lies
 * in is skipped, as is anything that is neither a file nor a directory
 * (FIFO, socket, device).  What a walk skips is reported, not fatal.
 *
 * Everything is opened relative to a descriptor of the application
 * directory, one component at a time with O_NOFOLLOW, along a path whose
 * links were already resolved: if the tree changes between resolving and
 * opening, the open fails instead of following a new link out.
 */
#ifndef SPIN_FILES_INTERNAL_H
#define SPIN_FILES_INTERNAL_H

#include "manifest.h"

#include <sys/stat.h>

typedef struct app_tree {
    int fd;         /* the manifest directory */
    char *real;     /* its canonical absolute path (absolute link targets below it stay inside) */
    size_t entries;        /* directory entries visited so far (bounded) */
    size_t linked_entries; /* of those, below a directory reached through a link */
} app_tree;

int spin_app_tree_open(app_tree *t, const char *dir, util_error **err);
void spin_app_tree_close(app_tree *t);

typedef enum {
    TREE_OK,
    TREE_MISSING, /* nothing there, or a dangling link on the way */
    TREE_OUTSIDE, /* ".." above the application directory, or a link leading out of it */
    TREE_LOOP,    /* too many links in a row */
} tree_res;

/* Why a path did not resolve, for messages ("leads outside ..."). */
const char *spin_tree_res_reason(tree_res r);

/* Resolves `path` (relative to the application directory; may contain
 * "..", "." and links) to *real: the same place as a relative path with no
 * link, "." or ".." in it ("" = the application directory itself).  *st is
 * its lstat. */
tree_res spin_app_tree_resolve(app_tree *t, const char *path, char **real, struct stat *st);

typedef struct tree_file {
    char *apparent; /* relative to the walked directory, through link names */
    char *real;     /* relative to the application directory, no links */
} tree_file;

typedef struct tree_skip {
    char *apparent;  /* relative to the walked directory */
    const char *why; /* static text */
} tree_skip;

typedef struct tree_walk {
    tree_file *files; /* depth first, names sorted in each directory */
    size_t nfiles;
    tree_skip *skipped; /* what the rule left out, same order */
    size_t nskipped;
    bool links_seen; /* some entry was a symbolic link */
} tree_walk;

/* Collects every regular file below the directory `real` (a resolved,
 * link-free app-relative path).  Fails only on I/O errors, directories
 * nested too deeply or a tree too large; everything the rule leaves out
 * lands in `skipped`. */
int spin_app_tree_walk(app_tree *t, const char *real, tree_walk *out, util_error **err);
void spin_tree_walk_free(tree_walk *w);

/* spin_component_files over the app_tree already open (files.c). */
int spin_files_expand(app_tree *t, const spin_component *c, spin_mounts *out, util_error **err);

/* Opens the resolved app-relative path `real` without following any link
 * (each component O_NOFOLLOW, relative to the application directory). */
int spin_app_tree_open_at(const app_tree *t, const char *real, int flags, util_error **err);

#endif
