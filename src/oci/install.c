/*
 * install.c - writes a fetched Spin artifact into a container's rootfs
 * (oci_artifact_install), all or nothing, in the layout of oci.h:
 * /spin.json, /.cache/registry/wasm/<digest>, /.cache/registry/data/<digest>.
 *
 * Design:
 *   - Check first: every layer has a known media type and a well-formed
 *     digest ("sha256:" + 64 lowercase hex, so a digest is a safe file
 *     name); exactly one locked-app layer, or a wkg package of exactly one
 *     application/wasm layer (containerd-shim-spin refuses more).
 *   - Build the whole tree in a staging directory made inside the rootfs
 *     (same filesystem, so publishing is two renames), reached only
 *     through descriptors: every directory is opened with O_NOFOLLOW and
 *     every file created with O_CREAT|O_EXCL|O_NOFOLLOW, so nothing that
 *     is or appears in the rootfs can redirect a write outside it.
 *   - Publish: rename .cache, then spin.json, into the rootfs without
 *     replacing anything (RENAME_NOREPLACE); if the second rename fails
 *     the first is undone.  spin.json comes last because its presence is
 *     what makes the rootfs an artifact app (src/runner's spin handler).
 *   - On any failure the staging tree is removed, so the rootfs is left as
 *     it was: empty.
 * The bytes are not hashed again here: fetch checked each layer against
 * its descriptor.  Archive entries, which no descriptor covers, are hashed
 * as they are unpacked (install_archive.c).
 */
#include "install_internal.h"
#include "oci.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

bool oci_digest_valid(const char *digest)
{
    if (!digest || strncmp(digest, "sha256:", 7) != 0 || strlen(digest) != 7 + 64)
        return false;
    for (const char *p = digest + 7; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

int oci_write_blob(int dirfd, const char *name, const void *data, size_t len, util_error **err)
{
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST)
        return 0; /* named by the digest of its bytes: already the same content */
    if (fd < 0)
        return util_error_set(err, errno, "creating %s", name);
    if (util_write_all(fd, data, len) < 0) {
        int e = errno;
        close(fd);
        return util_error_set(err, e, "writing %s", name);
    }
    if (close(fd) < 0)
        return util_error_set(err, errno, "writing %s", name);
    return 0;
}

/* ---- the staging tree ---------------------------------------------------- */

static int open_dir_at(int parent, const char *name)
{
    return openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* mkdir + open, refusing anything that is not the directory just made. */
static int make_dir_at(int parent, const char *name, util_error **err)
{
    if (mkdirat(parent, name, 0755) < 0)
        return util_error_set(err, errno, "creating %s", name);
    int fd = open_dir_at(parent, name);
    if (fd < 0)
        return util_error_set(err, errno, "opening %s", name);
    return fd;
}

/* Removes `name` below `parent` and everything in it, never following a
 * link (a link is removed, not its target). */
static void remove_tree_at(int parent, const char *name)
{
    if (unlinkat(parent, name, 0) == 0 || (errno != EISDIR && errno != EPERM))
        return;
    int fd = open_dir_at(parent, name);
    if (fd < 0)
        return;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return;
    }
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        remove_tree_at(dirfd(d), e->d_name);
    }
    closedir(d);
    unlinkat(parent, name, AT_REMOVEDIR);
}

typedef struct staging {
    int root_fd;    /* the rootfs */
    char name[64];  /* the staging directory's name in it */
    oci_stage fds;  /* its directories */
    int cache_fd, registry_fd;
} staging;

static void staging_close(staging *s)
{
    int *fds[] = {&s->fds.wasm_fd, &s->fds.data_fd, &s->registry_fd, &s->cache_fd,
                  &s->fds.top_fd};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(fds); i++)
        if (*fds[i] >= 0) {
            close(*fds[i]);
            *fds[i] = -1;
        }
}

/* A fresh directory ".spin-oci-<pid>-<n>" in the rootfs. */
static int staging_open(staging *s, util_error **err)
{
    static unsigned counter;
    for (int tries = 0; tries < 100; tries++) {
        unsigned n = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
        snprintf(s->name, sizeof(s->name), ".spin-oci-%ld-%u", (long)getpid(), n);
        if (mkdirat(s->root_fd, s->name, 0755) == 0)
            break;
        if (errno != EEXIST)
            return util_error_set(err, errno, "creating a staging directory in the rootfs");
        s->name[0] = '\0';
    }
    if (!s->name[0])
        return util_error_set(err, EEXIST, "creating a staging directory in the rootfs");
    s->fds.top_fd = open_dir_at(s->root_fd, s->name);
    if (s->fds.top_fd < 0)
        return util_error_set(err, errno, "opening the staging directory");
    if ((s->cache_fd = make_dir_at(s->fds.top_fd, ".cache", err)) < 0 ||
        (s->registry_fd = make_dir_at(s->cache_fd, "registry", err)) < 0 ||
        (s->fds.wasm_fd = make_dir_at(s->registry_fd, "wasm", err)) < 0 ||
        (s->fds.data_fd = make_dir_at(s->registry_fd, "data", err)) < 0)
        return util_error_wrap(err, "the staging directory");
    return 0;
}

/* Moves .cache, then spin.json, into the rootfs; undoes the first move
 * when the second fails. */
static int staging_publish(staging *s, util_error **err)
{
    if (renameat2(s->fds.top_fd, ".cache", s->root_fd, ".cache", RENAME_NOREPLACE) < 0)
        return util_error_set(err, errno, "moving /.cache into place (the rootfs must be empty)");
    if (renameat2(s->fds.top_fd, "spin.json", s->root_fd, "spin.json", RENAME_NOREPLACE) < 0) {
        int e = errno;
        if (renameat2(s->root_fd, ".cache", s->fds.top_fd, ".cache", RENAME_NOREPLACE) < 0)
            remove_tree_at(s->root_fd, ".cache");
        return util_error_set(err, e, "moving /spin.json into place (the rootfs must be empty)");
    }
    return 0;
}

/* ---- layers -------------------------------------------------------------- */

static bool is_media(const oci_layer *l, const char *type)
{
    return strcmp(l->media_type, type) == 0;
}

static bool known_media(const oci_layer *l)
{
    static const char *const types[] = {OCI_MEDIA_SPIN_LOCKED_APP, OCI_MEDIA_WASM_LAYER,
                                        OCI_MEDIA_DATA_LAYER, OCI_MEDIA_ARCHIVE_LAYER,
                                        OCI_MEDIA_WKG_WASM};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(types); i++)
        if (is_media(l, types[i]))
            return true;
    return false;
}

/* Everything that can be checked before a byte is written. */
static int check_artifact(const oci_artifact *a, util_error **err)
{
    size_t locked = 0, wkg = 0;
    for (size_t i = 0; i < a->n_layers; i++) {
        const oci_layer *l = &a->layers[i];
        if (!l->media_type || !known_media(l))
            return util_error_set(err, 0, "layer %zu (%s): unknown media type %s", i,
                                  l->digest ? l->digest : "no digest",
                                  l->media_type ? l->media_type : "(none)");
        if (!oci_digest_valid(l->digest))
            return util_error_set(err, 0,
                                  "layer %zu (%s): digest \"%s\" is not \"sha256:\" followed by "
                                  "64 lowercase hex digits",
                                  i, l->media_type, l->digest ? l->digest : "");
        if (l->len > 0 && !l->data)
            return util_error_set(err, 0, "layer %zu (%s): no bytes", i, l->digest);
        locked += is_media(l, OCI_MEDIA_SPIN_LOCKED_APP);
        wkg += is_media(l, OCI_MEDIA_WKG_WASM);
    }
    if (wkg > 0 && a->n_layers != 1)
        return util_error_set(err, 0,
                              "expected a single layer in a wkg (application/wasm) package, "
                              "found %zu layers",
                              a->n_layers);
    if (wkg == 0 && locked == 0)
        return util_error_set(err, 0, "the artifact has no locked-app layer (%s)",
                              OCI_MEDIA_SPIN_LOCKED_APP);
    if (wkg == 0 && locked > 1)
        return util_error_set(err, 0, "the artifact has %zu locked-app layers (%s), expected one",
                              locked, OCI_MEDIA_SPIN_LOCKED_APP);
    return 0;
}

static int install_layer(oci_stage *st, const oci_layer *l, util_error **err)
{
    int r;
    if (is_media(l, OCI_MEDIA_SPIN_LOCKED_APP)) {
        r = oci_write_blob(st->top_fd, "spin.json", l->data, l->len, err);
    } else if (is_media(l, OCI_MEDIA_WASM_LAYER)) {
        r = oci_write_blob(st->wasm_fd, l->digest, l->data, l->len, err);
    } else if (is_media(l, OCI_MEDIA_DATA_LAYER)) {
        r = oci_write_blob(st->data_fd, l->digest, l->data, l->len, err);
    } else if (is_media(l, OCI_MEDIA_ARCHIVE_LAYER)) {
        r = oci_install_archive(st, l, err);
    } else { /* OCI_MEDIA_WKG_WASM, the only layer (checked) */
        cleanup_free char *json = oci_wkg_locked_app(l->digest);
        r = oci_write_blob(st->wasm_fd, l->digest, l->data, l->len, err);
        if (r == 0)
            r = oci_write_blob(st->top_fd, "spin.json", json, strlen(json), err);
    }
    return r < 0 ? util_error_wrap(err, "layer %s (%s)", l->digest, l->media_type) : 0;
}

int oci_artifact_install(const oci_artifact *a, const char *rootfs, util_error **err)
{
    if (check_artifact(a, err) < 0)
        return util_error_wrap(err, "installing the Spin artifact %s",
                               a->image_name ? a->image_name : "");
    staging s = {.root_fd = -1,
                 .fds = {.wasm_fd = -1, .data_fd = -1, .top_fd = -1},
                 .cache_fd = -1,
                 .registry_fd = -1};
    s.root_fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s.root_fd < 0)
        return util_error_set(err, errno, "installing the Spin artifact: opening the rootfs %s",
                              rootfs);
    int r = staging_open(&s, err);
    for (size_t i = 0; r == 0 && i < a->n_layers; i++)
        r = install_layer(&s.fds, &a->layers[i], err);
    if (r == 0)
        r = staging_publish(&s, err);
    staging_close(&s);
    if (s.name[0])
        remove_tree_at(s.root_fd, s.name);
    close(s.root_fd);
    if (r < 0)
        return util_error_wrap(err, "installing the Spin artifact %s into %s",
                               a->image_name ? a->image_name : "", rootfs);
    return 0;
}

/* ---- freeing ------------------------------------------------------------- */

void oci_artifact_free(oci_artifact *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n_layers; i++) {
        free(a->layers[i].media_type);
        free(a->layers[i].digest);
        free(a->layers[i].data);
    }
    free(a->layers);
    free(a->image_name);
    free(a->manifest_digest);
    free(a);
}

void oci_artifact_freep(oci_artifact **a)
{
    oci_artifact_free(*a);
    *a = NULL;
}
