/*
 * oci_internal.h - the private interfaces between the files of the fetch
 * half of src/oci (gRPC framing, the HTTP/2 transport, containerd's
 * services, the manifest and config checks).  Tests and the fuzz target
 * include it; other layers see only oci.h.
 *
 * Errors come in two kinds, because the reference (runwasi's
 * load_modules) treats them differently: a failure to TALK to containerd
 * (no socket, a timeout, a gRPC status other than OK) means "not an
 * artifact, let the rootfs decide", while bytes that arrived but are wrong
 * (a frame cut short, an offset out of order, more bytes than declared, a
 * digest mismatch) are an error of the artifact.  Functions that can fail
 * both ways return OCI_ERR_TRANSPORT (-2) or OCI_ERR_CONTENT (-1), each
 * with *err set.
 */
#ifndef OCI_OCI_INTERNAL_H
#define OCI_OCI_INTERNAL_H

#include "oci.h"

#include <stdbool.h>

#define OCI_ERR_CONTENT (-1)
#define OCI_ERR_TRANSPORT (-2)

/* The largest gRPC message we accept (containerd's own default limit;
 * Content.Read sends 1 MiB chunks). */
#define OCI_GRPC_MAX_MESSAGE (16u << 20)
/* Manifests and configs: the OCI distribution spec's 4 MiB. */
#define OCI_MAX_MANIFEST_BYTES (4u << 20)
/* A unary reply (a Container record carries its whole runtime spec). */
#define OCI_MAX_UNARY_REPLY (4u << 20)

/* ---- gRPC framing (grpc_frame.c) --------------------------------------- */

/* Appends one length-prefixed message (flag 0, 4-byte big-endian length). */
void oci_grpc_frame(const uint8_t *msg, size_t len, util_buf *out);

typedef int (*oci_grpc_message_fn)(void *ctx, const uint8_t *msg, size_t len, util_error **err);

/* Splits a response body into its messages and calls fn for each in order.
 * Fails (OCI_ERR_CONTENT) on a compressed message (we never offer an
 * encoding), a message longer than max_message, or a body that ends inside
 * a frame ("truncated"); a failing fn stops the walk with its value. */
int oci_grpc_parse_frames(const uint8_t *body, size_t len, size_t max_message,
                          oci_grpc_message_fn fn, void *ctx, util_error **err);

/* What the response headers and trailers said. */
typedef struct oci_grpc_status {
    long http_status;      /* from the status line, 0 before it */
    bool grpc_content;     /* content-type application/grpc[+...] */
    bool have_status;      /* grpc-status seen (headers or trailers) */
    int code;              /* grpc-status */
    char *message;         /* grpc-message, percent-decoded, or NULL */
} oci_grpc_status;

/* Feeds one raw header or trailer line ("name: value\r\n", or the status
 * line "HTTP/2 200"); lines may come from the headers or, for grpc-status
 * and grpc-message, the trailers (a trailers-only answer carries them in
 * the headers). */
void oci_grpc_status_line(oci_grpc_status *st, const char *line, size_t len);
void oci_grpc_status_clear(oci_grpc_status *st);
/* grpc-message's percent-encoding undone (malformed escapes kept as is). */
char *oci_grpc_percent_decode(const char *s, size_t len);
/* "NotFound" etc. for a gRPC status code. */
const char *oci_grpc_code_name(int code);

/* ---- the HTTP/2 transport (grpc_client.c, libcurl via curl_load.c) ----- */

typedef struct oci_grpc_conn oci_grpc_conn;

/* A client of containerd on the Unix socket `address` ("/path" or
 * "unix:///path"), every call carrying `containerd-namespace: ns`.  Nothing
 * is sent yet; fails only when libcurl cannot be loaded or an argument
 * cannot go into a header. */
oci_grpc_conn *oci_grpc_open(const char *address, const char *ns, uint64_t connect_timeout_ms,
                             util_error **err);
void oci_grpc_close(oci_grpc_conn *c);

/* One call of `method` ("/pkg.Service/Method") with one request message;
 * the whole response body (all its frames) goes into *body, at most
 * max_body bytes.  0 on grpc-status 0; OCI_ERR_TRANSPORT for a failed
 * connection, a timeout, an HTTP or gRPC error status; OCI_ERR_CONTENT for
 * a body over max_body. */
int oci_grpc_call(oci_grpc_conn *c, const char *method, const uint8_t *req, size_t req_len,
                  size_t max_body, uint64_t timeout_ms, util_buf *body, util_error **err);

/* ---- containerd's services (containerd.c) ------------------------------ */

typedef struct oci_descriptor {
    char *media_type;
    char *digest;
    int64_t size;
} oci_descriptor;

void oci_descriptor_clear(oci_descriptor *d);

/* Containers.Get -> Container.image (may be ""). */
int oci_containerd_container_image(oci_grpc_conn *c, const char *id, uint64_t timeout_ms,
                                   char **image, util_error **err);
/* Images.Get -> Image.target. */
int oci_containerd_image_target(oci_grpc_conn *c, const char *name, uint64_t timeout_ms,
                                oci_descriptor *target, util_error **err);
/* Content.Read of a whole blob, its chunks joined in order; fails
 * (OCI_ERR_CONTENT) when the chunks are out of order or carry more than
 * max_len bytes.  The size is NOT checked against a descriptor here. */
int oci_containerd_read(oci_grpc_conn *c, const char *digest, size_t max_len,
                        uint64_t timeout_ms, uint8_t **data, size_t *len, util_error **err);

/* The record Containers.Create makes (the tests' stand-in for what
 * `ctr run` does on a containerd that can unpack artifacts). */
typedef struct oci_container_record {
    const char *id;
    const char *image;
    const char *runtime;      /* e.g. "io.containerd.spin.v2" */
    const char *spec_json;    /* an OCI runtime spec */
    const char *snapshotter;  /* e.g. "overlayfs" */
    const char *snapshot_key; /* an existing snapshot */
} oci_container_record;
int oci_containerd_create_container(oci_grpc_conn *c, const oci_container_record *rec,
                                    uint64_t timeout_ms, util_error **err);

/* The decoding half of Content.Read, apart for tests and the fuzzer: a
 * response body of ReadContentResponse frames -> the joined data. */
int oci_content_read_decode(const uint8_t *body, size_t len, size_t max_len, util_buf *out,
                            util_error **err);

/* ---- manifests, configs, blobs (manifest.c) ---------------------------- */

typedef struct oci_manifest {
    char *media_type; /* NULL when the JSON has none (spin registry push) */
    oci_descriptor config;
    oci_descriptor *layers;
    size_t n_layers;
} oci_manifest;

/* Reads an image manifest.  An index (mediaType of an index, or a
 * `manifests` array) is refused with *is_index set, so that the caller can
 * say "not an artifact" rather than "broken". */
int oci_manifest_parse(const char *json, size_t len, oci_manifest *m, bool *is_index,
                       util_error **err);
void oci_manifest_clear(oci_manifest *m);

/* The image config's architecture (NULL when it has none). */
int oci_config_architecture(const char *json, size_t len, char **arch, util_error **err);

/* True for the OCI_MEDIA_* layer types the shim fetches. */
bool oci_is_spin_layer_type(const char *media_type);
/* True for index media types (OCI and Docker). */
bool oci_is_index_type(const char *media_type);
/* "sha256:" and 64 lowercase hex digits (install.c; also in install_internal.h). */
bool oci_digest_valid(const char *digest);
/* Checks bytes against their descriptor: exact size, then sha256 digest.
 * The error names `what` (e.g. "layer sha256:...") and what is wrong. */
int oci_blob_check(const oci_descriptor *d, const uint8_t *data, size_t len, util_error **err);

#endif
