/*
 * install_internal.h - the pieces of the install half (install*.c), private
 * to src/oci.
 *
 * oci_artifact_install (install.c) builds the whole layout in a staging
 * directory inside the rootfs, reached only through directory descriptors
 * opened without following links; the writers below put one blob each
 * into that staging tree.  install_archive.c unpacks a tar+gzip layer with
 * libarchive (loaded with dlopen on first use), install_wkg.c makes the
 * /spin.json of a single application/wasm layer.
 */
#ifndef OCI_INSTALL_INTERNAL_H
#define OCI_INSTALL_INTERNAL_H

#include "oci.h"

#include <stdbool.h>

/* Bounds on what one archive layer may unpack to (a gzip bomb or a tar of
 * a million empty files must fail, not fill the node). */
#define OCI_ARCHIVE_MAX_ENTRIES 100000
#define OCI_ARCHIVE_MAX_BYTES ((uint64_t)1 << 30)

/* "sha256:" followed by exactly 64 lowercase hex digits. */
bool oci_digest_valid(const char *digest);

/* The staging tree: descriptors of its cache directories. */
typedef struct oci_stage {
    int wasm_fd; /* .cache/registry/wasm */
    int data_fd; /* .cache/registry/data */
    int top_fd;  /* the staging directory itself (spin.json goes here) */
    /* What the artifact's archive layers have unpacked so far: the bounds
     * hold for all of them together, not per layer (else many small
     * layers could fill the node's disk). */
    uint64_t archive_bytes;
    unsigned archive_entries;
} oci_stage;

/* Writes `len` bytes as the new file `name` in `dirfd` (never following or
 * replacing anything; a file already there under a digest name holds the
 * same bytes and is kept). */
int oci_write_blob(int dirfd, const char *name, const void *data, size_t len, util_error **err);

/* Unpacks the tar+gzip `layer` into stage->data_fd (counting into the
 * stage's archive totals): each regular file
 * stored as sha256:<digest of its bytes>; tar paths are never used as
 * paths.  Directories are skipped, symbolic links skipped with a warning
 * (as Spin's unpacking, which keeps files only), hard links, devices,
 * FIFOs and sockets refused; bounded by the limits above.  Errors name
 * the entry. */
int oci_install_archive(oci_stage *stage, const oci_layer *layer, util_error **err);

/* The soname of libarchive to load: NULL restores the default
 * (libarchive.so.13).  For tests of the "library missing" error. */
void oci_archive_set_soname(const char *soname);

/* The LockedApp JSON Spin's from_wasm_file makes for the wasm file
 * /.cache/registry/wasm/<digest> (NUL-terminated, caller frees). */
char *oci_wkg_locked_app(const char *digest);

#endif
