/*
 * artifact.c - Spin OCI artifacts at Task.Create: the container layer's
 * prepare_rootfs hook, filled by the oci layer.
 *
 * containerd gives a container whose image is a Spin artifact an EMPTY
 * rootfs: the app's layers stay in its content store.  So once the rootfs
 * is mounted, and only if it is empty, the shim asks containerd (on the
 * -address socket, in its -namespace) what image the container was made
 * from and, for an artifact, writes its layers into the rootfs
 * (oci_fetch_artifact, oci_artifact_install), where the Spin handler finds
 * /spin.json.  A rootfs with anything in it (the pause container, every
 * ordinary image) is left alone without a word to containerd, so those
 * never wait on it.  "Not an artifact" (containerd unreachable, not a Wasm
 * image) leaves the empty rootfs to the usual path; a broken artifact is
 * the Create error, naming the layer.
 */
#include "task_internal.h"

#include "oci.h"

#include <dirent.h>
#include <string.h>

/* An empty directory; anything we cannot read counts as not empty (Create
 * then goes on and reports the real problem itself). */
static bool dir_is_empty(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return false;
    bool empty = true;
    for (struct dirent *e; empty && (e = readdir(d)) != NULL;)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            empty = false;
    closedir(d);
    return empty;
}

static void log_fetched(const char *id, const oci_artifact *a)
{
    util_log_debug("task %s: Spin artifact %s (manifest %s), %zu layer(s):", id, a->image_name,
                   a->manifest_digest, a->n_layers);
    for (size_t i = 0; i < a->n_layers; i++)
        util_log_debug("task %s:   %s %s %zu bytes", id, a->layers[i].media_type,
                       a->layers[i].digest, a->layers[i].len);
}

int shim_artifact_prepare_rootfs(void *ctx, const char *rootfs_dir, util_error **err)
{
    const shim_artifact_ctx *x = ctx;
    if (!dir_is_empty(rootfs_dir))
        return 0;
    if (x->address == NULL || x->address[0] == '\0') {
        util_log_debug("task %s: empty rootfs, but no containerd address to fetch from", x->id);
        return 0;
    }
    oci_fetch_options o = {.address = x->address, .ns = x->ns, .container_id = x->id};
    cleanup_oci_artifact oci_artifact *a = NULL;
    if (oci_fetch_artifact(&o, &a, err) < 0)
        return -1;
    if (a == NULL) {
        util_log_debug("task %s: empty rootfs and no Spin artifact", x->id);
        return 0;
    }
    log_fetched(x->id, a);
    if (oci_artifact_install(a, rootfs_dir, err) < 0)
        return util_error_wrap(err, "image %s: install", a->image_name);
    return 0;
}
