/*
 * manifest.c - what the fetch reads out of an image manifest and an image
 * config, and the check of a blob against its descriptor.
 *
 * Only the fields the fetch acts on are read, and read strictly: a
 * manifest needs schemaVersion 2, a config descriptor and a layers array
 * whose entries each have a mediaType, a digest and a non-negative size.
 * Its own mediaType is optional: `spin registry push` leaves it out (the
 * registry learns it from the Content-Type), so the descriptor containerd
 * keeps for the image is what says "manifest".  An index (a `manifests`
 * array, or an index mediaType) is reported as such, not as broken: the
 * reference reads only single manifests, and an index is simply not a
 * Spin artifact.  Of the config only `architecture` matters.
 *
 * JSON goes through json-c's strict tokener, with a depth limit and the
 * whole input required to be one value, as src/spin reads locked apps.
 */
#include "oci_internal.h"

#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#define JSON_MAX_DEPTH 32

static int parse_json(const char *what, const char *data, size_t len, struct json_object **out,
                      util_error **err)
{
    *out = NULL;
    if (len > OCI_MAX_MANIFEST_BYTES || len > (size_t)INT32_MAX)
        return util_error_set(err, 0, "%s: %zu bytes, over the limit of %u", what, len,
                              OCI_MAX_MANIFEST_BYTES);
    if (memchr(data, '\0', len) != NULL)
        return util_error_set(err, 0, "%s: a NUL byte in JSON", what);
    struct json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH);
    if (tok == NULL)
        return util_error_set(err, 0, "%s: out of memory", what);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    struct json_object *root = json_tokener_parse_ex(tok, data, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (jerr != json_tokener_success || root == NULL) {
        json_object_put(root);
        return util_error_set(err, 0, "%s: invalid JSON at byte %zu: %s", what, end,
                              jerr == json_tokener_success
                                  ? "no value"
                                  : json_tokener_error_desc(jerr));
    }
    for (size_t i = end; i < len; i++)
        if (strchr(" \t\r\n", data[i]) == NULL) {
            json_object_put(root);
            return util_error_set(err, 0, "%s: invalid JSON at byte %zu: trailing characters",
                                  what, i);
        }
    if (!json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return util_error_set(err, 0, "%s: expected a JSON object", what);
    }
    *out = root;
    return 0;
}

/* A string member, or NULL when absent; -1 when present but not a string. */
static int opt_string(struct json_object *o, const char *key, const char **out)
{
    struct json_object *v;
    *out = NULL;
    if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
        return 0;
    if (!json_object_is_type(v, json_type_string))
        return -1;
    *out = json_object_get_string(v);
    return 0;
}

static int parse_descriptor(struct json_object *o, const char *what, oci_descriptor *d,
                            util_error **err)
{
    if (!json_object_is_type(o, json_type_object))
        return util_error_set(err, 0, "%s: expected an object", what);
    const char *mt, *digest;
    if (opt_string(o, "mediaType", &mt) < 0 || mt == NULL)
        return util_error_set(err, 0, "%s: mediaType: expected a string", what);
    if (opt_string(o, "digest", &digest) < 0 || digest == NULL)
        return util_error_set(err, 0, "%s: digest: expected a string", what);
    struct json_object *size;
    if (!json_object_object_get_ex(o, "size", &size) || !json_object_is_type(size, json_type_int))
        return util_error_set(err, 0, "%s: size: expected an integer", what);
    errno = 0;
    int64_t n = json_object_get_int64(size);
    if (n < 0 || errno == EINVAL)
        return util_error_set(err, 0, "%s: size: expected a non-negative integer", what);
    d->media_type = util_xstrdup(mt);
    d->digest = util_xstrdup(digest);
    d->size = n;
    return 0;
}

bool oci_is_index_type(const char *media_type)
{
    return media_type != NULL &&
           (strcmp(media_type, "application/vnd.oci.image.index.v1+json") == 0 ||
            strcmp(media_type, "application/vnd.docker.distribution.manifest.list.v2+json") == 0);
}

static int parse_layers(struct json_object *root, oci_manifest *m, util_error **err)
{
    struct json_object *layers;
    if (!json_object_object_get_ex(root, "layers", &layers))
        return 0; /* no layers: nothing to fetch, the caller says so */
    if (!json_object_is_type(layers, json_type_array))
        return util_error_set(err, 0, "manifest: layers: expected an array");
    size_t n = json_object_array_length(layers);
    m->layers = util_xcalloc(n ? n : 1, sizeof *m->layers);
    for (size_t i = 0; i < n; i++) {
        char what[48];
        snprintf(what, sizeof what, "manifest: layers[%zu]", i);
        if (parse_descriptor(json_object_array_get_idx(layers, i), what, &m->layers[i], err) < 0)
            return -1;
        m->n_layers = i + 1;
    }
    return 0;
}

static int manifest_from_object(struct json_object *root, oci_manifest *m, bool *is_index,
                                util_error **err)
{
    const char *mt;
    if (opt_string(root, "mediaType", &mt) < 0)
        return util_error_set(err, 0, "manifest: mediaType: expected a string");
    struct json_object *v;
    if (oci_is_index_type(mt) || json_object_object_get_ex(root, "manifests", &v)) {
        *is_index = true;
        return util_error_set(err, 0, "manifest: an image index, not a manifest");
    }
    if (!json_object_object_get_ex(root, "schemaVersion", &v) ||
        !json_object_is_type(v, json_type_int) || json_object_get_int64(v) != 2)
        return util_error_set(err, 0, "manifest: schemaVersion: expected 2");
    m->media_type = mt ? util_xstrdup(mt) : NULL;
    if (!json_object_object_get_ex(root, "config", &v))
        return util_error_set(err, 0, "manifest: config: missing");
    if (parse_descriptor(v, "manifest: config", &m->config, err) < 0)
        return -1;
    return parse_layers(root, m, err);
}

int oci_manifest_parse(const char *json, size_t len, oci_manifest *m, bool *is_index,
                       util_error **err)
{
    memset(m, 0, sizeof *m);
    *is_index = false;
    struct json_object *root;
    if (parse_json("manifest", json, len, &root, err) < 0)
        return -1;
    int rc = manifest_from_object(root, m, is_index, err);
    json_object_put(root);
    if (rc < 0)
        oci_manifest_clear(m);
    return rc;
}

void oci_manifest_clear(oci_manifest *m)
{
    free(m->media_type);
    oci_descriptor_clear(&m->config);
    for (size_t i = 0; i < m->n_layers; i++)
        oci_descriptor_clear(&m->layers[i]);
    free(m->layers);
    memset(m, 0, sizeof *m);
}

int oci_config_architecture(const char *json, size_t len, char **arch, util_error **err)
{
    *arch = NULL;
    struct json_object *root;
    if (parse_json("image config", json, len, &root, err) < 0)
        return -1;
    const char *a;
    int rc = opt_string(root, "architecture", &a);
    if (rc < 0)
        util_error_set(err, 0, "image config: architecture: expected a string");
    else if (a != NULL)
        *arch = util_xstrdup(a);
    json_object_put(root);
    return rc;
}

bool oci_is_spin_layer_type(const char *media_type)
{
    static const char *const types[] = {OCI_MEDIA_SPIN_LOCKED_APP, OCI_MEDIA_WASM_LAYER,
                                        OCI_MEDIA_DATA_LAYER, OCI_MEDIA_ARCHIVE_LAYER,
                                        OCI_MEDIA_WKG_WASM};
    for (size_t i = 0; media_type && i < UTIL_ARRAY_LEN(types); i++)
        if (strcmp(media_type, types[i]) == 0)
            return true;
    return false;
}

int oci_blob_check(const oci_descriptor *d, const uint8_t *data, size_t len, util_error **err)
{
    if (!oci_digest_valid(d->digest))
        return util_error_set(err, 0, "%s: not a sha256 digest of 64 lowercase hex digits",
                              d->digest);
    if (d->size < 0 || (uint64_t)d->size != len)
        return util_error_set(err, 0, "%s: %zu bytes, the descriptor says %lld", d->digest, len,
                              (long long)d->size);
    char hex[UTIL_SHA256_HEX_SIZE];
    util_sha256_hex(data, len, hex);
    if (strcmp(hex, d->digest + 7) != 0)
        return util_error_set(err, 0, "%s: digest mismatch: the bytes hash to sha256:%s",
                              d->digest, hex);
    return 0;
}
