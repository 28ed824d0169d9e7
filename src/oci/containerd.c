/*
 * containerd.c - the few calls of containerd's API the fetch needs, as C
 * functions: Containers.Get (container -> image name), Images.Get (image
 * -> manifest descriptor), Content.Read (a blob, streamed in chunks), and
 * Containers.Create for the tests.
 *
 * Messages are protobuf-c structs generated from proto/containerd_api.proto
 * (our own subset; field numbers are containerd's).  Each reply is decoded
 * from the frames grpc_frame.c splits out: a unary reply must be exactly
 * one message; a Content.Read stream is any number of ReadContentResponse
 * messages whose offsets must follow each other with no gap or overlap,
 * since a reader that joined them blindly could assemble a blob that was
 * never stored.  Strings that came off the wire are copied out before the
 * protobuf-c structs are freed.
 */
#include "oci_internal.h"

#include "containerd_api.pb-c.h"

#include <string.h>

#define SVC_CONTAINERS "/containerd.services.containers.v1.Containers/"
#define SVC_IMAGES "/containerd.services.images.v1.Images/"
#define SVC_CONTENT "/containerd.services.content.v1.Content/"

void oci_descriptor_clear(oci_descriptor *d)
{
    free(d->media_type);
    free(d->digest);
    memset(d, 0, sizeof *d);
}

static uint8_t *pack(const ProtobufCMessage *msg, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(msg);
    uint8_t *out = util_xmalloc(*len ? *len : 1);
    protobuf_c_message_pack(msg, out);
    return out;
}

typedef struct unary_reply {
    const ProtobufCMessageDescriptor *desc;
    ProtobufCMessage *msg;
    const char *method;
} unary_reply;

static int take_unary(void *ctx, const uint8_t *data, size_t len, util_error **err)
{
    unary_reply *u = ctx;
    if (u->msg != NULL) {
        util_error_set(err, 0, "%s: more than one reply message", u->method);
        return OCI_ERR_CONTENT;
    }
    u->msg = protobuf_c_message_unpack(u->desc, NULL, len, data);
    if (u->msg == NULL) {
        util_error_set(err, 0, "%s: the reply does not decode as %s", u->method, u->desc->name);
        return OCI_ERR_CONTENT;
    }
    return 0;
}

/* One request, one reply message (caller frees it with
 * protobuf_c_message_free_unpacked). */
static int unary(oci_grpc_conn *c, const char *method, const ProtobufCMessage *req,
                 const ProtobufCMessageDescriptor *reply_desc, uint64_t timeout_ms,
                 ProtobufCMessage **reply, util_error **err)
{
    size_t req_len;
    cleanup_free uint8_t *req_bytes = pack(req, &req_len);
    util_buf body = {0};
    int rc = oci_grpc_call(c, method, req_bytes, req_len, OCI_MAX_UNARY_REPLY, timeout_ms, &body,
                           err);
    unary_reply u = {.desc = reply_desc, .method = method};
    if (rc == 0)
        rc = oci_grpc_parse_frames((const uint8_t *)body.data, body.len, OCI_MAX_UNARY_REPLY,
                                   take_unary, &u, err);
    util_buf_free(&body);
    if (rc == 0 && u.msg == NULL) {
        util_error_set(err, 0, "%s: no reply message", method);
        rc = OCI_ERR_CONTENT;
    }
    if (rc < 0) {
        if (u.msg)
            protobuf_c_message_free_unpacked(u.msg, NULL);
        return rc;
    }
    *reply = u.msg;
    return 0;
}

int oci_containerd_container_image(oci_grpc_conn *c, const char *id, uint64_t timeout_ms,
                                   char **image, util_error **err)
{
    OciContainerd__GetContainerRequest req = OCI_CONTAINERD__GET_CONTAINER_REQUEST__INIT;
    req.id = (char *)id;
    ProtobufCMessage *m = NULL;
    int rc = unary(c, SVC_CONTAINERS "Get", &req.base,
                   &oci_containerd__get_container_response__descriptor, timeout_ms, &m, err);
    if (rc < 0)
        return rc;
    OciContainerd__GetContainerResponse *r = (OciContainerd__GetContainerResponse *)m;
    *image = util_xstrdup(r->container && r->container->image ? r->container->image : "");
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}

int oci_containerd_image_target(oci_grpc_conn *c, const char *name, uint64_t timeout_ms,
                                oci_descriptor *target, util_error **err)
{
    OciContainerd__GetImageRequest req = OCI_CONTAINERD__GET_IMAGE_REQUEST__INIT;
    req.name = (char *)name;
    ProtobufCMessage *m = NULL;
    int rc = unary(c, SVC_IMAGES "Get", &req.base, &oci_containerd__get_image_response__descriptor,
                   timeout_ms, &m, err);
    if (rc < 0)
        return rc;
    OciContainerd__GetImageResponse *r = (OciContainerd__GetImageResponse *)m;
    if (r->image == NULL || r->image->target == NULL) {
        protobuf_c_message_free_unpacked(m, NULL);
        util_error_set(err, 0, "Images.Get %s: the image has no target", name);
        return OCI_ERR_TRANSPORT;
    }
    const OciContainerd__Descriptor *d = r->image->target;
    target->media_type = util_xstrdup(d->media_type ? d->media_type : "");
    target->digest = util_xstrdup(d->digest ? d->digest : "");
    target->size = d->size;
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}

typedef struct read_join {
    util_buf *out;
    size_t max_len;
} read_join;

static int join_chunk(void *ctx, const uint8_t *data, size_t len, util_error **err)
{
    read_join *j = ctx;
    OciContainerd__ReadContentResponse *r =
        oci_containerd__read_content_response__unpack(NULL, len, data);
    if (r == NULL) {
        util_error_set(err, 0, "Content.Read: a chunk does not decode as ReadContentResponse");
        return OCI_ERR_CONTENT;
    }
    int rc = 0;
    if (r->offset < 0 || (uint64_t)r->offset != j->out->len) {
        util_error_set(err, 0, "Content.Read: a chunk at offset %lld, expected %zu",
                       (long long)r->offset, j->out->len);
        rc = OCI_ERR_CONTENT;
    } else if (r->data.len > j->max_len - j->out->len) {
        util_error_set(err, 0, "Content.Read: more than the %zu bytes expected", j->max_len);
        rc = OCI_ERR_CONTENT;
    } else if (r->data.len > 0) {
        util_buf_append(j->out, r->data.data, r->data.len);
    }
    oci_containerd__read_content_response__free_unpacked(r, NULL);
    return rc;
}

int oci_content_read_decode(const uint8_t *body, size_t len, size_t max_len, util_buf *out,
                            util_error **err)
{
    read_join j = {.out = out, .max_len = max_len};
    return oci_grpc_parse_frames(body, len, OCI_GRPC_MAX_MESSAGE, join_chunk, &j, err);
}

/* Room for the framing around max_len bytes of data: 5 bytes of prefix
 * and at most ~20 of protobuf per chunk, chunks of at least 32 KiB unless
 * a server splits much finer, which the limit then refuses. */
static size_t body_limit(size_t max_len)
{
    size_t overhead = 64 * (max_len / 32768 + 2);
    return max_len > SIZE_MAX - overhead ? SIZE_MAX : max_len + overhead;
}

int oci_containerd_read(oci_grpc_conn *c, const char *digest, size_t max_len,
                        uint64_t timeout_ms, uint8_t **data, size_t *len, util_error **err)
{
    OciContainerd__ReadContentRequest req = OCI_CONTAINERD__READ_CONTENT_REQUEST__INIT;
    req.digest = (char *)digest;
    size_t req_len;
    cleanup_free uint8_t *req_bytes = pack(&req.base, &req_len);
    util_buf body = {0};
    int rc = oci_grpc_call(c, SVC_CONTENT "Read", req_bytes, req_len, body_limit(max_len),
                           timeout_ms, &body, err);
    util_buf out = {0};
    if (rc == 0)
        rc = oci_content_read_decode((const uint8_t *)body.data, body.len, max_len, &out, err);
    util_buf_free(&body);
    if (rc < 0) {
        util_buf_free(&out);
        return rc;
    }
    *data = (uint8_t *)util_buf_steal(&out, len);
    if (*data == NULL)
        *data = util_xcalloc(1, 1); /* an empty blob is still a blob */
    return 0;
}

int oci_containerd_create_container(oci_grpc_conn *c, const oci_container_record *rec,
                                    uint64_t timeout_ms, util_error **err)
{
    OciContainerd__Any spec = OCI_CONTAINERD__ANY__INIT;
    spec.type_url = (char *)"types.containerd.io/opencontainers/runtime-spec/1/Spec";
    spec.value.data = (uint8_t *)rec->spec_json;
    spec.value.len = strlen(rec->spec_json);
    OciContainerd__Container__Runtime runtime = OCI_CONTAINERD__CONTAINER__RUNTIME__INIT;
    runtime.name = (char *)rec->runtime;
    OciContainerd__Container ct = OCI_CONTAINERD__CONTAINER__INIT;
    ct.id = (char *)rec->id;
    ct.image = (char *)(rec->image ? rec->image : "");
    ct.runtime = &runtime;
    ct.spec = &spec;
    ct.snapshotter = (char *)(rec->snapshotter ? rec->snapshotter : "");
    ct.snapshot_key = (char *)(rec->snapshot_key ? rec->snapshot_key : "");
    OciContainerd__CreateContainerRequest req = OCI_CONTAINERD__CREATE_CONTAINER_REQUEST__INIT;
    req.container = &ct;
    ProtobufCMessage *m = NULL;
    int rc = unary(c, SVC_CONTAINERS "Create", &req.base,
                   &oci_containerd__create_container_response__descriptor, timeout_ms, &m, err);
    if (rc < 0)
        return rc;
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}
