/*
 * fetch.c - oci_fetch_artifact: runwasi's load_modules, step by step, on
 * the client of containerd.c.
 *
 *   Containers.Get(task id)      -> the image name
 *   Images.Get(name)             -> the target descriptor (a manifest)
 *   Content.Read(target)         -> the manifest, checked against the target
 *   Content.Read(config)         -> architecture must be "wasm"
 *   manifest.layers filtered to the Spin media types, each Content.Read
 *   and checked against its descriptor (size, then sha256).
 *
 * The split between "not an artifact" (0, *out NULL; the rootfs decides)
 * and "a broken artifact" (-1) follows oci.h.  Until the config says
 * "wasm" nothing is known to be Spin's, so a failure to talk to containerd
 * or a manifest or config we cannot read gives "not an artifact", with a
 * warning naming why (the operator sees it in the shim's log); bytes that
 * contradict their own descriptor are an error wherever they occur, since
 * containerd's store should never hold them.  Once the layers are known to
 * be a Spin app's, any failure to read one is an error naming the layer:
 * falling back to an empty rootfs would only fail later, less clearly.
 *
 * Bounds: each unary call and the manifest and config reads have
 * opts->timeout_ms; a layer read gets that plus a second per 8 MiB it
 * declares; a layer is never read past its declared size, and the declared
 * sizes together must fit opts->max_total_bytes before the first is read.
 */
#include "oci_internal.h"

#include <string.h>

#define DEFAULT_TIMEOUT_MS 5000
#define DEFAULT_MAX_TOTAL (1ull << 30)
/* the slowest a layer may arrive before its read times out */
#define LAYER_BYTES_PER_SECOND (8ull << 20)

typedef struct fetch {
    const oci_fetch_options *opts;
    oci_grpc_conn *conn;
    uint64_t timeout_ms;
    uint64_t max_total;
    char *image;
    oci_descriptor target;
    oci_manifest manifest;
} fetch;

/* "Not an artifact" because of `e`: logged, freed, 0. */
static int not_artifact_warn(const fetch *f, util_error **e)
{
    util_log_warn("container %s: not a Spin OCI artifact (the rootfs decides): %s",
                  f->opts->container_id, (*e)->msg);
    util_error_free(e);
    return 0;
}

static bool is_manifest_type(const char *mt)
{
    return strcmp(mt, "application/vnd.oci.image.manifest.v1+json") == 0 ||
           strcmp(mt, "application/vnd.docker.distribution.manifest.v2+json") == 0;
}

/* Reads a blob, never more than d->size bytes, and checks it against d;
 * a failure is OCI_ERR_TRANSPORT or OCI_ERR_CONTENT (oci_internal.h). */
static int read_checked(fetch *f, const oci_descriptor *d, uint64_t timeout_ms, uint8_t **data,
                        size_t *len, util_error **err)
{
    if (!oci_digest_valid(d->digest)) {
        util_error_set(err, 0, "%s: not a sha256 digest of 64 lowercase hex digits", d->digest);
        return OCI_ERR_CONTENT;
    }
    int rc = oci_containerd_read(f->conn, d->digest, (size_t)d->size, timeout_ms, data, len, err);
    if (rc < 0) {
        util_error_wrap(err, "%s", d->digest);
        return rc;
    }
    if (oci_blob_check(d, *data, *len, err) < 0) {
        free(*data);
        *data = NULL;
        return OCI_ERR_CONTENT;
    }
    return 0;
}

/* Steps 1 to 3: the manifest of the container's image.  1 = go on,
 * 0 = not an artifact, -1 = error. */
static int find_manifest(fetch *f, util_error **err)
{
    util_error *e = NULL;
    if (oci_containerd_container_image(f->conn, f->opts->container_id, f->timeout_ms, &f->image,
                                       &e) < 0)
        return not_artifact_warn(f, &e);
    if (f->image[0] == '\0') {
        util_log_debug("container %s: no image in its record: not an artifact",
                       f->opts->container_id);
        return 0;
    }
    if (oci_containerd_image_target(f->conn, f->image, f->timeout_ms, &f->target, &e) < 0)
        return not_artifact_warn(f, &e);
    if (!is_manifest_type(f->target.media_type)) {
        util_log_debug("container %s: image %s is a %s, not a single manifest: not an artifact",
                       f->opts->container_id, f->image, f->target.media_type);
        return 0;
    }
    if (f->target.size < 0 || (uint64_t)f->target.size > OCI_MAX_MANIFEST_BYTES) {
        util_error_set(&e, 0, "image %s: manifest of %lld bytes, over the limit of %u", f->image,
                       (long long)f->target.size, OCI_MAX_MANIFEST_BYTES);
        return not_artifact_warn(f, &e);
    }
    uint8_t *bytes = NULL;
    size_t len = 0;
    int rc = read_checked(f, &f->target, f->timeout_ms, &bytes, &len, &e);
    if (rc == OCI_ERR_TRANSPORT)
        return not_artifact_warn(f, &e);
    if (rc < 0) {
        *err = e;
        return util_error_wrap(err, "image %s: manifest", f->image);
    }
    bool is_index = false;
    rc = oci_manifest_parse((const char *)bytes, len, &f->manifest, &is_index, &e);
    free(bytes);
    if (rc < 0 && is_index) {
        util_log_debug("container %s: image %s: %s: not an artifact", f->opts->container_id,
                       f->image, e->msg);
        util_error_free(&e);
        return 0;
    }
    if (rc < 0)
        return not_artifact_warn(f, &e);
    return 1;
}

/* Step 4: the config says whether this is a Wasm artifact at all. */
static int check_config(fetch *f, util_error **err)
{
    const oci_descriptor *cd = &f->manifest.config;
    if (strcmp(cd->media_type, OCI_MEDIA_SPIN_LOCKED_APP) == 0)
        return util_error_set(err, 0,
                              "image %s: Spin artifact in the pre-2.0 format (the locked app is "
                              "the image config): re-push it with Spin 2.0 or later",
                              f->image);
    util_error *e = NULL;
    if (cd->size < 0 || (uint64_t)cd->size > OCI_MAX_MANIFEST_BYTES) {
        util_error_set(&e, 0, "image %s: config of %lld bytes, over the limit of %u", f->image,
                       (long long)cd->size, OCI_MAX_MANIFEST_BYTES);
        return not_artifact_warn(f, &e);
    }
    uint8_t *bytes = NULL;
    size_t len = 0;
    int rc = read_checked(f, cd, f->timeout_ms, &bytes, &len, &e);
    if (rc == OCI_ERR_TRANSPORT)
        return not_artifact_warn(f, &e);
    if (rc < 0) {
        *err = e;
        return util_error_wrap(err, "image %s: config", f->image);
    }
    cleanup_free char *arch = NULL;
    rc = oci_config_architecture((const char *)bytes, len, &arch, &e);
    free(bytes);
    if (rc < 0)
        return not_artifact_warn(f, &e);
    if (arch == NULL || strcmp(arch, "wasm") != 0) {
        util_log_debug("container %s: image %s: architecture %s, not wasm: not an artifact",
                       f->opts->container_id, f->image, arch ? arch : "(none)");
        return 0;
    }
    return 1;
}

/* Step 5: which layers to read, and whether they fit the limits. */
static int select_layers(fetch *f, size_t *n_spin, util_error **err)
{
    size_t n = 0, wkg = 0;
    uint64_t total = 0;
    for (size_t i = 0; i < f->manifest.n_layers; i++) {
        const oci_descriptor *d = &f->manifest.layers[i];
        if (!oci_is_spin_layer_type(d->media_type))
            continue;
        n++;
        if (strcmp(d->media_type, OCI_MEDIA_WKG_WASM) == 0 && ++wkg > 1)
            return util_error_set(err, 0,
                                  "image %s: layer %s: a second %s layer (a wkg package has "
                                  "exactly one)",
                                  f->image, d->digest, OCI_MEDIA_WKG_WASM);
        if ((uint64_t)d->size > f->max_total - total)
            return util_error_set(err, 0,
                                  "image %s: layer %s (%lld bytes) takes the layers over the "
                                  "limit of %llu bytes",
                                  f->image, d->digest, (long long)d->size,
                                  (unsigned long long)f->max_total);
        total += (uint64_t)d->size;
    }
    *n_spin = n;
    return 0;
}

/* Step 6: each Spin layer, read and checked, into the artifact. */
static int read_layers(fetch *f, oci_artifact *a, util_error **err)
{
    for (size_t i = 0; i < f->manifest.n_layers; i++) {
        const oci_descriptor *d = &f->manifest.layers[i];
        if (!oci_is_spin_layer_type(d->media_type))
            continue;
        uint64_t timeout = f->timeout_ms + (uint64_t)d->size * 1000 / LAYER_BYTES_PER_SECOND;
        oci_layer *l = &a->layers[a->n_layers];
        if (read_checked(f, d, timeout, &l->data, &l->len, err) < 0)
            return util_error_wrap(err, "image %s: layer %zu (%s)", f->image, i, d->media_type);
        l->media_type = util_xstrdup(d->media_type);
        l->digest = util_xstrdup(d->digest);
        a->n_layers++;
    }
    return 0;
}

static int fetch_run(fetch *f, oci_artifact **out, util_error **err)
{
    int rc = find_manifest(f, err);
    if (rc <= 0)
        return rc;
    if ((rc = check_config(f, err)) <= 0)
        return rc;
    size_t n_spin = 0;
    if (select_layers(f, &n_spin, err) < 0)
        return -1;
    if (n_spin == 0) {
        util_log_debug("container %s: image %s has no layer of a Spin media type: not an "
                       "artifact",
                       f->opts->container_id, f->image);
        return 0;
    }
    cleanup_oci_artifact oci_artifact *a = util_xcalloc(1, sizeof *a);
    a->layers = util_xcalloc(n_spin, sizeof *a->layers);
    if (read_layers(f, a, err) < 0)
        return -1;
    a->image_name = steal_pointer(&f->image);
    a->manifest_digest = util_xstrdup(f->target.digest);
    *out = steal_pointer(&a);
    return 0;
}

int oci_fetch_artifact(const oci_fetch_options *opts, oci_artifact **out, util_error **err)
{
    *out = NULL;
    if (opts == NULL || opts->container_id == NULL || opts->container_id[0] == '\0')
        return util_error_set(err, 0, "fetch artifact: no container id");
    fetch f = {
        .opts = opts,
        .timeout_ms = opts->timeout_ms ? opts->timeout_ms : DEFAULT_TIMEOUT_MS,
        .max_total = opts->max_total_bytes ? opts->max_total_bytes : DEFAULT_MAX_TOTAL,
    };
    util_error *e = NULL;
    f.conn = oci_grpc_open(opts->address, opts->ns, f.timeout_ms, &e);
    if (f.conn == NULL)
        return not_artifact_warn(&f, &e);
    int rc = fetch_run(&f, out, err);
    oci_grpc_close(f.conn);
    free(f.image);
    oci_descriptor_clear(&f.target);
    oci_manifest_clear(&f.manifest);
    return rc < 0 ? -1 : 0;
}
