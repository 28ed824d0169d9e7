/*
 * oci.h - Spin apps published as OCI artifacts, and the only door into
 * src/oci.
 *
 * `spin registry push` publishes an app as an OCI artifact: an image config
 * with architecture "wasm", no rootfs layers, one layer per component, one
 * per static file (or a tar.gz per file-mount directory) and the locked app
 * JSON as the last layer.  containerd gives such a container an EMPTY
 * rootfs snapshot; the layers stay in its content store.  This layer, used
 * by the shim during Task.Create, brings them into that rootfs, laid out as
 * containerd-shim-spin lays them out, so that the Spin host inside the
 * container finds an app to load:
 *
 *   /spin.json                                 the locked app (LockedApp JSON)
 *   /.cache/registry/wasm/sha256:<hex>         each wasm layer, by digest
 *   /.cache/registry/data/sha256:<hex>         each data layer, and each file
 *                                              of an archive layer, by the
 *                                              digest of its own bytes
 *
 * A `wkg oci push` package (a single `application/wasm` layer) gets the
 * wasm file plus a /spin.json synthesised the way Spin's from_wasm_file
 * makes a one-component HTTP app.
 *
 * Two halves, two files families:
 *
 *   fetch    (grpc*.c, containerd.c) a gRPC client of containerd's API on
 *            the shim's -address socket, namespace from -namespace:
 *            Containers.Get -> image name; Images.Get -> manifest
 *            descriptor; Content.Read of manifest, config and the Spin
 *            layers (runwasi's load_modules, step by step).
 *   install  (install*.c) writes a fetched artifact into a rootfs
 *            directory, all or nothing.
 *
 * What is an error and what is "not an artifact" follows the reference:
 * no socket, any gRPC failure, a config whose architecture is not "wasm",
 * or no layer of a Spin media type means the container is NOT an artifact
 * (fetch returns 0 with *out = NULL and logs why at debug/warn level), and
 * the rootfs path (/spin.toml, ELF, .wasm) decides what runs.  Content that
 * IS a Spin artifact but is broken (a digest or size mismatch, a truncated
 * or oversized layer, more than one application/wasm layer, the pre-2.0
 * format with the locked app as the config, a corrupt archive) is an
 * error: -1 with *err naming the layer and what is wrong.
 *
 * Every call is bounded: connecting and each unary call by
 * opts->timeout_ms, each layer by its declared size and the total by
 * opts->max_total_bytes, so a slow or missing containerd never holds up a
 * container for long (the shim only asks when the rootfs is empty, so the
 * pause container and ordinary images never wait at all).
 */
#ifndef OCI_OCI_H
#define OCI_OCI_H

#include "util.h"

#include <stddef.h>
#include <stdint.h>

/* Media types of the layers a Spin artifact may hold (containerd-shim-spin
 * constants.rs, spin crates/oci). */
#define OCI_MEDIA_SPIN_LOCKED_APP "application/vnd.fermyon.spin.application.v1+config"
#define OCI_MEDIA_WASM_LAYER "application/vnd.wasm.content.layer.v1+wasm"
#define OCI_MEDIA_DATA_LAYER "application/vnd.wasm.content.layer.v1+data"
#define OCI_MEDIA_ARCHIVE_LAYER "application/vnd.wasm.content.bundle.v1.tar+gzip"
#define OCI_MEDIA_WKG_WASM "application/wasm"

/* One layer as read from the content store: its descriptor (from the
 * manifest) and its bytes, checked against the descriptor's size and
 * digest. */
typedef struct oci_layer {
    char *media_type; /* one of OCI_MEDIA_* */
    char *digest;     /* "sha256:<64 lowercase hex>" */
    uint8_t *data;
    size_t len;
} oci_layer;

/* The Spin layers of an artifact, in manifest order (other layers are left
 * out, as runwasi filters them). */
typedef struct oci_artifact {
    char *image_name;      /* Container.image, e.g. "docker.io/x/app:1" */
    char *manifest_digest; /* the image's target */
    oci_layer *layers;
    size_t n_layers;
} oci_artifact;

void oci_artifact_free(oci_artifact *a);
void oci_artifact_freep(oci_artifact **a);
#define cleanup_oci_artifact __attribute__((cleanup(oci_artifact_freep)))

typedef struct oci_fetch_options {
    const char *address;      /* containerd's gRPC socket (the shim's -address) */
    const char *ns;           /* the shim's -namespace */
    const char *container_id; /* the task id: the container record to read */
    uint64_t timeout_ms;      /* connect + each unary call; 0 = 5000 */
    uint64_t max_total_bytes; /* all layers together; 0 = 1 GiB */
} oci_fetch_options;

/* Fetches the Spin layers of the container's image.  0 with *out set: an
 * artifact; 0 with *out = NULL: not one (see above, the rootfs decides);
 * -1 with *err: a broken artifact. */
int oci_fetch_artifact(const oci_fetch_options *opts, oci_artifact **out, util_error **err);

/* Writes `a` into the directory `rootfs` (the container's root on the
 * host, empty) in the layout above.  Files are written under a temporary
 * name and renamed into place, and on failure everything written is
 * removed, so the rootfs holds the whole app or nothing of it.  Errors
 * name the layer (and for an archive the entry) at fault. */
int oci_artifact_install(const oci_artifact *a, const char *rootfs, util_error **err);

#endif
