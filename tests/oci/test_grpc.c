/*
 * test_grpc.c - the fetch half's parts that need no containerd: gRPC
 * framing and status lines, Content.Read's chunk joining, manifest and
 * config reading, and the check of a blob against its descriptor.  The
 * same code against a real containerd is test_containerd.py.
 */
#include "oci_internal.h"
#include "test.h"

#include "containerd_api.pb-c.h"

#include <stdlib.h>
#include <string.h>

typedef struct collected {
    size_t n;
    size_t lens[8];
    char text[256];
} collected;

static int collect(void *ctx, const uint8_t *msg, size_t len, util_error **err)
{
    (void)err;
    collected *c = ctx;
    if (c->n < 8)
        c->lens[c->n] = len;
    c->n++;
    strncat(c->text, (const char *)msg, len < 64 ? len : 64);
    strcat(c->text, "|");
    return 0;
}

static void test_frames_roundtrip(void)
{
    util_buf b = {0};
    oci_grpc_frame((const uint8_t *)"abc", 3, &b);
    oci_grpc_frame(NULL, 0, &b);
    oci_grpc_frame((const uint8_t *)"hello", 5, &b);
    CHECK_INT(b.len, 5 + 3 + 5 + 0 + 5 + 5);
    CHECK_INT((uint8_t)b.data[0], 0);
    CHECK_INT((uint8_t)b.data[4], 3);
    collected c = {0};
    util_error *err = NULL;
    CHECK_INT(oci_grpc_parse_frames((const uint8_t *)b.data, b.len, 16, collect, &c, &err), 0);
    CHECK_INT(c.n, 3);
    CHECK_INT(c.lens[1], 0);
    CHECK_STR(c.text, "abc||hello|");
    util_buf_free(&b);
}

static void expect_frame_error(const uint8_t *body, size_t len, size_t max, const char *needle)
{
    collected c = {0};
    util_error *err = NULL;
    CHECK_INT(oci_grpc_parse_frames(body, len, max, collect, &c, &err), OCI_ERR_CONTENT);
    CHECK(err != NULL && strstr(err->msg, needle) != NULL);
    if (err && !strstr(err->msg, needle))
        fprintf(stderr, "  message: %s\n", err->msg);
    util_error_free(&err);
}

static void test_frames_refused(void)
{
    /* a prefix cut short */
    expect_frame_error((const uint8_t *)"\0\0\0", 3, 16, "5-byte message prefix");
    /* a message cut short */
    expect_frame_error((const uint8_t *)"\0\0\0\0\x09" "abc", 8, 16, "has 3 of 9 bytes");
    /* compressed */
    expect_frame_error((const uint8_t *)"\1\0\0\0\1x", 6, 16, "compressed");
    /* over the message limit */
    expect_frame_error((const uint8_t *)"\0\0\0\0\x20", 5, 16, "over the limit of 16");
}

static void feed(oci_grpc_status *st, const char *line)
{
    oci_grpc_status_line(st, line, strlen(line));
}

static void test_status_from_trailers(void)
{
    oci_grpc_status st = {0};
    feed(&st, "HTTP/2 200\r\n");
    feed(&st, "Content-Type: application/grpc\r\n");
    feed(&st, "\r\n");
    CHECK(!st.have_status);
    feed(&st, "grpc-status: 5\r\n");
    feed(&st, "grpc-message: image %22x%22: not found%zz\r\n");
    CHECK_INT(st.http_status, 200);
    CHECK(st.grpc_content);
    CHECK(st.have_status);
    CHECK_INT(st.code, 5);
    CHECK_STR(st.message, "image \"x\": not found%zz");
    CHECK_STR(oci_grpc_code_name(st.code), "NotFound");
    oci_grpc_status_clear(&st);

    /* trailers-only: everything in the headers; an unreadable code is not OK */
    feed(&st, "HTTP/2 200\r\n");
    feed(&st, "content-type: application/grpc+proto\r\n");
    feed(&st, "grpc-status: abc\r\n");
    CHECK(st.grpc_content);
    CHECK(st.have_status);
    CHECK_INT(st.code, 2);
    oci_grpc_status_clear(&st);

    /* a status line of endless digits (found by fuzz_oci_grpc: it overflowed) */
    feed(&st, "HTTP/2 40555599999999999999999999999999999999999999\r\n");
    CHECK_INT(st.http_status, 999);
    feed(&st, "HTTP/2 415\r\n");
    feed(&st, "content-type: application/grpcx\r\n");
    CHECK_INT(st.http_status, 415);
    CHECK(!st.grpc_content);
    oci_grpc_status_clear(&st);
}

/* A Content.Read body of chunks at the given offsets. */
static void read_body(util_buf *b, const char *const *chunks, const int64_t *offsets, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        OciContainerd__ReadContentResponse r = OCI_CONTAINERD__READ_CONTENT_RESPONSE__INIT;
        r.offset = offsets[i];
        r.data.data = (uint8_t *)chunks[i];
        r.data.len = strlen(chunks[i]);
        uint8_t buf[256];
        size_t len = oci_containerd__read_content_response__pack(&r, buf);
        oci_grpc_frame(buf, len, b);
    }
}

static void test_content_read_joins_in_order(void)
{
    const char *chunks[] = {"hello ", "", "world"};
    int64_t offsets[] = {0, 6, 6};
    util_buf body = {0}, out = {0};
    read_body(&body, chunks, offsets, 3);
    util_error *err = NULL;
    CHECK_INT(oci_content_read_decode((const uint8_t *)body.data, body.len, 11, &out, &err), 0);
    CHECK_INT(out.len, 11);
    CHECK(out.data && memcmp(out.data, "hello world", 11) == 0);
    util_buf_free(&out);

    /* one byte more than allowed */
    CHECK_INT(oci_content_read_decode((const uint8_t *)body.data, body.len, 10, &out, &err),
              OCI_ERR_CONTENT);
    CHECK(err && strstr(err->msg, "more than the 10 bytes"));
    util_error_free(&err);
    util_buf_free(&out);
    util_buf_free(&body);

    /* a gap, and an overlap */
    int64_t gap[] = {0, 7, 7};
    read_body(&body, chunks, gap, 3);
    CHECK_INT(oci_content_read_decode((const uint8_t *)body.data, body.len, 64, &out, &err),
              OCI_ERR_CONTENT);
    CHECK(err && strstr(err->msg, "offset 7, expected 6"));
    util_error_free(&err);
    util_buf_free(&out);
    util_buf_free(&body);
    int64_t overlap[] = {0, 6, 3};
    read_body(&body, chunks, overlap, 3);
    CHECK_INT(oci_content_read_decode((const uint8_t *)body.data, body.len, 64, &out, &err),
              OCI_ERR_CONTENT);
    util_error_free(&err);
    util_buf_free(&out);

    /* the stream cut inside the last message */
    body.len -= 2;
    CHECK_INT(oci_content_read_decode((const uint8_t *)body.data, body.len, 64, &out, &err),
              OCI_ERR_CONTENT);
    CHECK(err && strstr(err->msg, "truncated"));
    util_error_free(&err);
    util_buf_free(&out);
    util_buf_free(&body);

    /* not a ReadContentResponse */
    oci_grpc_frame((const uint8_t *)"\x0a\x05" "ab", 4, &body);
    CHECK_INT(oci_content_read_decode((const uint8_t *)body.data, body.len, 64, &out, &err),
              OCI_ERR_CONTENT);
    CHECK(err && strstr(err->msg, "does not decode"));
    util_error_free(&err);
    util_buf_free(&out);
    util_buf_free(&body);
}

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const char MANIFEST_NO_MT[] =
    "{\"schemaVersion\":2,"
    "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
    "\"digest\":\"sha256:" D64 "\",\"size\":209},"
    "\"layers\":[{\"mediaType\":\"application/vnd.wasm.content.layer.v1+wasm\","
    "\"digest\":\"sha256:" D64 "\",\"size\":8},"
    "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:" D64
    "\",\"size\":0}],"
    "\"annotations\":{\"org.opencontainers.image.title\":\"x\"}}";

static void test_manifest_without_media_type(void)
{
    oci_manifest m;
    bool is_index;
    util_error *err = NULL;
    CHECK_INT(oci_manifest_parse(MANIFEST_NO_MT, strlen(MANIFEST_NO_MT), &m, &is_index, &err), 0);
    CHECK(m.media_type == NULL);
    CHECK_STR(m.config.media_type, "application/vnd.oci.image.config.v1+json");
    CHECK_INT(m.config.size, 209);
    CHECK_INT(m.n_layers, 2);
    CHECK_STR(m.layers[0].media_type, OCI_MEDIA_WASM_LAYER);
    CHECK(oci_is_spin_layer_type(m.layers[0].media_type));
    CHECK(!oci_is_spin_layer_type(m.layers[1].media_type));
    oci_manifest_clear(&m);
}

static void expect_manifest_error(const char *json, const char *needle, bool want_index)
{
    oci_manifest m;
    bool is_index = !want_index;
    util_error *err = NULL;
    CHECK_INT(oci_manifest_parse(json, strlen(json), &m, &is_index, &err), -1);
    CHECK(is_index == want_index);
    CHECK(err && strstr(err->msg, needle));
    if (err && !strstr(err->msg, needle))
        fprintf(stderr, "  message: %s\n", err->msg);
    util_error_free(&err);
}

static void test_manifest_refused(void)
{
    expect_manifest_error("{\"schemaVersion\":2,\"mediaType\":"
                          "\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}",
                          "image index", true);
    expect_manifest_error("{\"schemaVersion\":2,\"manifests\":[]}", "image index", true);
    expect_manifest_error("{\"schemaVersion\":1,\"config\":{}}", "schemaVersion", false);
    expect_manifest_error("{\"schemaVersion\":2}", "config: missing", false);
    expect_manifest_error("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":\"b\","
                          "\"size\":-1}}",
                          "non-negative", false);
    expect_manifest_error("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":\"b\","
                          "\"size\":1},\"layers\":[{\"mediaType\":\"a\",\"size\":1}]}",
                          "layers[0]: digest", false);
    expect_manifest_error("{\"schemaVersion\":2} x", "invalid JSON at byte 20", false);
    expect_manifest_error("[2]", "expected a JSON object", false);
    expect_manifest_error("{\"schemaVersion\":2,", "invalid JSON", false);
}

static void test_config_architecture(void)
{
    char *arch = NULL;
    util_error *err = NULL;
    const char *cfg = "{\"architecture\":\"wasm\",\"os\":\"wasip1\",\"rootfs\":{\"type\":"
                      "\"layers\",\"diff_ids\":[]}}";
    CHECK_INT(oci_config_architecture(cfg, strlen(cfg), &arch, &err), 0);
    CHECK_STR(arch, "wasm");
    free(arch);
    CHECK_INT(oci_config_architecture("{\"os\":\"linux\"}", 14, &arch, &err), 0);
    CHECK(arch == NULL);
    CHECK_INT(oci_config_architecture("{\"architecture\":1}", 18, &arch, &err), -1);
    util_error_free(&err);
}

static void test_blob_check(void)
{
    const char *bytes = "static asset line\n";
    char hex[UTIL_SHA256_HEX_SIZE];
    util_sha256_hex(bytes, strlen(bytes), hex);
    cleanup_free char *digest = util_xasprintf("sha256:%s", hex);
    oci_descriptor d = {.media_type = (char *)OCI_MEDIA_DATA_LAYER, .digest = digest,
                        .size = (int64_t)strlen(bytes)};
    util_error *err = NULL;
    CHECK_INT(oci_blob_check(&d, (const uint8_t *)bytes, strlen(bytes), &err), 0);

    /* one byte changed: same size, wrong digest, named */
    cleanup_free char *tampered = util_xstrdup(bytes);
    tampered[0] = 'S';
    CHECK_INT(oci_blob_check(&d, (const uint8_t *)tampered, strlen(bytes), &err), -1);
    CHECK(err && strstr(err->msg, digest) && strstr(err->msg, "digest mismatch"));
    util_error_free(&err);

    /* truncated and oversized */
    CHECK_INT(oci_blob_check(&d, (const uint8_t *)bytes, strlen(bytes) - 1, &err), -1);
    CHECK(err && strstr(err->msg, digest) && strstr(err->msg, "the descriptor says 18"));
    util_error_free(&err);
    d.size = 4;
    CHECK_INT(oci_blob_check(&d, (const uint8_t *)bytes, strlen(bytes), &err), -1);
    CHECK(err && strstr(err->msg, "18 bytes, the descriptor says 4"));
    util_error_free(&err);

    /* not a sha256 digest */
    CHECK(!oci_digest_valid("sha512:" D64));
    CHECK(!oci_digest_valid("sha256:" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
    CHECK(!oci_digest_valid("sha256:../../etc/passwd"));
    CHECK(oci_digest_valid("sha256:" D64));
}

static void test_open_refuses_bad_namespace(void)
{
    util_error *err = NULL;
    CHECK(oci_grpc_open("/nonexistent.sock", "a\r\nx-evil: 1", 100, &err) == NULL);
    CHECK(err && strstr(err->msg, "namespace"));
    util_error_free(&err);
    CHECK(oci_grpc_open("", "default", 100, &err) == NULL);
    util_error_free(&err);
}

/* No socket at all: not an artifact, at once, with no error. */
static void test_fetch_without_socket(void)
{
    oci_fetch_options o = {.address = "/nonexistent/containerd.sock", .ns = "default",
                           .container_id = "c1", .timeout_ms = 2000};
    oci_artifact *a = (oci_artifact *)1;
    util_error *err = NULL;
    CHECK_INT(oci_fetch_artifact(&o, &a, &err), 0);
    CHECK(a == NULL);
    CHECK(err == NULL);
    util_error_free(&err);
}

int main(void)
{
    RUN(test_frames_roundtrip);
    RUN(test_frames_refused);
    RUN(test_status_from_trailers);
    RUN(test_content_read_joins_in_order);
    RUN(test_manifest_without_media_type);
    RUN(test_manifest_refused);
    RUN(test_config_architecture);
    RUN(test_blob_check);
    RUN(test_open_refuses_bad_namespace);
    RUN(test_fetch_without_socket);
    return TEST_SUMMARY();
}
