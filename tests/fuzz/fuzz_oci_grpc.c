/*
 * fuzz_oci_grpc.c - what the oci layer's fetch reads from containerd's
 * socket: gRPC response bodies (5-byte framed messages), the protobuf
 * replies inside them, grpc-status/grpc-message header lines, and the
 * manifest and config JSON that Content.Read delivers.
 *
 * Input: byte 0 picks the target (modulo 4), the rest is its input:
 *   0  a Content.Read body: frames of ReadContentResponse, joined (limit
 *      from byte 1), then the joined bytes read as a manifest and a config;
 *   1  manifest and config JSON directly;
 *   2  header/trailer lines split at '\n';
 *   3  a unary reply body: frames, each decoded as GetContainerResponse
 *      and GetImageResponse.
 * Invariants: no crash or leak; joined data never exceeds its limit; a
 * manifest that parses has a config and layers with strings and sizes
 * >= 0, one refused as an index fails; a gRPC code read is 0..9999 and
 * an HTTP status 0..999.
 */
#include "oci_internal.h"

#include "containerd_api.pb-c.h"

#include <assert.h>
#include <string.h>

static void check_manifest(const uint8_t *data, size_t size)
{
    oci_manifest m;
    bool is_index = false;
    util_error *err = NULL;
    int rc = oci_manifest_parse((const char *)data, size, &m, &is_index, &err);
    if (rc == 0) {
        assert(!is_index);
        assert(m.config.media_type && m.config.digest && m.config.size >= 0);
        for (size_t i = 0; i < m.n_layers; i++)
            assert(m.layers[i].media_type && m.layers[i].digest && m.layers[i].size >= 0);
        for (size_t i = 0; i < m.n_layers; i++)
            (void)oci_is_spin_layer_type(m.layers[i].media_type);
        oci_manifest_clear(&m);
    } else {
        assert(rc == -1 && err != NULL && err->msg[0] != '\0');
    }
    util_error_free(&err);
    char *arch = NULL;
    rc = oci_config_architecture((const char *)data, size, &arch, &err);
    assert(rc == 0 || (rc == -1 && arch == NULL && err != NULL));
    free(arch);
    util_error_free(&err);
}

static void fuzz_content_read(const uint8_t *data, size_t size)
{
    if (size < 1)
        return;
    size_t max_len = (size_t)data[0] * 64;
    util_buf out = {0};
    util_error *err = NULL;
    int rc = oci_content_read_decode(data + 1, size - 1, max_len, &out, &err);
    assert(rc == 0 || rc == OCI_ERR_CONTENT);
    assert(out.len <= max_len);
    if (rc == 0) {
        assert(err == NULL);
        check_manifest((const uint8_t *)(out.data ? out.data : ""), out.len);
    }
    util_error_free(&err);
    util_buf_free(&out);
}

static void fuzz_status_lines(const uint8_t *data, size_t size)
{
    oci_grpc_status st = {0};
    size_t start = 0;
    for (size_t i = 0; i <= size; i++)
        if (i == size || data[i] == '\n') {
            oci_grpc_status_line(&st, (const char *)data + start, i - start);
            start = i + 1;
        }
    assert(st.http_status >= 0 && st.http_status <= 999);
    if (st.have_status) {
        assert(st.code >= 0 && st.code <= 9999);
        (void)oci_grpc_code_name(st.code);
    }
    oci_grpc_status_clear(&st);
}

static int decode_replies(void *ctx, const uint8_t *msg, size_t len, util_error **err)
{
    (void)ctx;
    (void)err;
    OciContainerd__GetContainerResponse *c =
        oci_containerd__get_container_response__unpack(NULL, len, msg);
    if (c)
        oci_containerd__get_container_response__free_unpacked(c, NULL);
    OciContainerd__GetImageResponse *i = oci_containerd__get_image_response__unpack(NULL, len, msg);
    if (i)
        oci_containerd__get_image_response__free_unpacked(i, NULL);
    return 0;
}

static void fuzz_unary(const uint8_t *data, size_t size)
{
    util_error *err = NULL;
    int rc = oci_grpc_parse_frames(data, size, OCI_MAX_UNARY_REPLY, decode_replies, NULL, &err);
    assert(rc == 0 || (rc == OCI_ERR_CONTENT && err != NULL));
    util_error_free(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    switch (data[0] % 4) {
    case 0:
        fuzz_content_read(data + 1, size - 1);
        break;
    case 1:
        check_manifest(data + 1, size - 1);
        break;
    case 2:
        fuzz_status_lines(data + 1, size - 1);
        break;
    default:
        fuzz_unary(data + 1, size - 1);
        break;
    }
    return 0;
}
