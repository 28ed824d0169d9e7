/*
 * oci_install_layout.c - a test driver: installs layers given on the
 * command line into a rootfs with oci_artifact_install, so that Python
 * tests can feed it an OCI layout written by tools/spin-oci-pack (they read
 * the manifest; this program only does what the shim does once fetch has
 * the layers in memory).
 *
 *   oci_install_layout ROOTFS MEDIA_TYPE DIGEST FILE [MEDIA_TYPE DIGEST FILE]...
 *
 * Exit 0 when installed, 1 with the error on stderr otherwise.
 */
#include "oci.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 2 || (argc - 2) % 3 != 0) {
        fprintf(stderr, "usage: %s ROOTFS [MEDIA_TYPE DIGEST FILE]...\n", argv[0]);
        return 2;
    }
    cleanup_oci_artifact oci_artifact *a = util_xcalloc(1, sizeof(*a));
    a->image_name = util_xstrdup("test/layout:latest");
    size_t n = (size_t)(argc - 2) / 3;
    a->layers = util_xcalloc(n + 1, sizeof(*a->layers));
    util_error *err = NULL;
    for (size_t i = 0; i < n; i++) {
        oci_layer *l = &a->layers[a->n_layers++];
        l->media_type = util_xstrdup(argv[2 + 3 * i]);
        l->digest = util_xstrdup(argv[3 + 3 * i]);
        char *data = NULL;
        if (util_read_file(argv[4 + 3 * i], &data, &l->len, &err) < 0) {
            util_error_report(&err, "oci_install_layout");
            return 1;
        }
        l->data = (uint8_t *)data;
    }
    if (oci_artifact_install(a, argv[1], &err) < 0) {
        util_error_report(&err, "oci_install_layout");
        return 1;
    }
    return 0;
}
