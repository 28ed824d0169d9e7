/*
 * oci_fetch_probe.c - runs oci_fetch_artifact against a real containerd
 * for test_containerd.py and reports what came back, so the Python side
 * can compare it with the blobs it built:
 *
 *   oci_fetch_probe SOCKET NAMESPACE CONTAINER_ID OUTDIR [TIMEOUT_MS]
 *
 * Exit 0 and "artifact IMAGE MANIFEST_DIGEST" then one line per layer
 * "INDEX MEDIA_TYPE DIGEST LENGTH" (its bytes in OUTDIR/INDEX); exit 0
 * and "not an artifact"; or exit 1 and the error on stderr.
 */
#include "oci.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: %s SOCKET NAMESPACE CONTAINER_ID OUTDIR [TIMEOUT_MS]\n", argv[0]);
        return 2;
    }
    util_log_set_level(UTIL_LOG_DEBUG);
    oci_fetch_options o = {.address = argv[1], .ns = argv[2], .container_id = argv[3],
                           .timeout_ms = argc == 6 ? strtoull(argv[5], NULL, 10) : 0};
    const char *env_max = getenv("OCI_MAX_TOTAL_BYTES");
    if (env_max)
        o.max_total_bytes = strtoull(env_max, NULL, 10);
    cleanup_oci_artifact oci_artifact *a = NULL;
    util_error *err = NULL;
    if (oci_fetch_artifact(&o, &a, &err) < 0) {
        util_error_report(&err, "fetch");
        return 1;
    }
    if (a == NULL) {
        printf("not an artifact\n");
        return 0;
    }
    printf("artifact %s %s\n", a->image_name, a->manifest_digest);
    for (size_t i = 0; i < a->n_layers; i++) {
        const oci_layer *l = &a->layers[i];
        printf("%zu %s %s %zu\n", i, l->media_type, l->digest, l->len);
        cleanup_free char *path = util_xasprintf("%s/%zu", argv[4], i);
        if (util_write_file_atomic(path, l->data, l->len, 0644, &err) < 0) {
            util_error_report(&err, "write");
            return 1;
        }
    }
    return 0;
}
