/*
 * oci_create_container.c - Containers.Create through our own gRPC client,
 * for tests on containerd 1.6.20, whose `ctr run` / `ctr container create`
 * refuse Spin artifacts ("mismatched image rootfs and manifest layers",
 * fixed only in 1.6.25/1.7.7).  The record names the image, our runtime,
 * a runtime spec (JSON file) and an already prepared (empty) snapshot,
 * which is what a fixed containerd's client would have made; `ctr task
 * start` then runs it.
 *
 *   oci_create_container SOCKET NAMESPACE ID IMAGE RUNTIME SPEC.json
 *                        SNAPSHOTTER SNAPSHOT_KEY
 */
#include "oci_internal.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 9) {
        fprintf(stderr, "usage: %s SOCKET NAMESPACE ID IMAGE RUNTIME SPEC.json SNAPSHOTTER "
                        "SNAPSHOT_KEY\n",
                argv[0]);
        return 2;
    }
    util_error *err = NULL;
    cleanup_free char *spec = NULL;
    size_t len;
    if (util_read_file(argv[6], &spec, &len, &err) < 0) {
        util_error_report(&err, argv[0]);
        return 1;
    }
    oci_grpc_conn *c = oci_grpc_open(argv[1], argv[2], 5000, &err);
    if (c == NULL) {
        util_error_report(&err, argv[0]);
        return 1;
    }
    oci_container_record rec = {.id = argv[3], .image = argv[4], .runtime = argv[5],
                                .spec_json = spec, .snapshotter = argv[7],
                                .snapshot_key = argv[8]};
    int rc = oci_containerd_create_container(c, &rec, 10000, &err);
    oci_grpc_close(c);
    if (rc < 0) {
        util_error_report(&err, argv[0]);
        return 1;
    }
    return 0;
}
