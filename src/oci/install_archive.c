/*
 * install_archive.c - unpacks an archive layer
 * (application/vnd.wasm.content.bundle.v1.tar+gzip) into the data cache.
 *
 * `spin registry push` with archive layers sends one tar.gz per file-mount
 * source directory; the locked app still lists every file by the digest of
 * its own bytes.  Spin unpacks the archive and stores each file as
 * data/sha256:<its digest> (spin crates/oci unpack_archive_layer); so do
 * we, straight from the archive stream: each regular file is written to a
 * temporary name in the staging data directory while it is hashed, then
 * renamed to its digest.  The tar's paths are never used as paths, so no
 * entry name ("../../etc/passwd", "/abs") can place anything anywhere.
 *
 * Entries: directories are skipped (paths do not matter); symbolic links
 * are skipped with a warning, as Spin's unpacking keeps regular files only;
 * hard links, devices, FIFOs and sockets are refused (a pushed archive has
 * none: the tar is built following links).  At most
 * OCI_ARCHIVE_MAX_ENTRIES entries and OCI_ARCHIVE_MAX_BYTES of content, for
 * all the artifact's archive layers together.
 *
 * Why libarchive, and why loaded with dlopen: tar with its pax/GNU
 * extensions and gzip are a well-kept library's job (Debian's libarchive13,
 * which brings zlib), not ours; but only the shim, and only for an archive
 * artifact, needs it, so like libcurl in src/wasi2/http_client.c it is
 * opened on first use: the binary starts without it and a node lacking it
 * gets an error naming the Debian package.  Only <archive.h> is used at
 * build time, for the functions' types.
 */
#include "install_internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ARCHIVE_SONAME "libarchive.so.13"
#define ARCHIVE_PACKAGE "libarchive13"

/* ---- libarchive, loaded once --------------------------------------------- */

static struct {
    __typeof__(archive_read_new) *read_new;
    __typeof__(archive_read_support_filter_gzip) *support_gzip;
    __typeof__(archive_read_support_format_tar) *support_tar;
    __typeof__(archive_read_open_memory) *open_memory;
    __typeof__(archive_read_next_header) *next_header;
    __typeof__(archive_read_data) *read_data;
    __typeof__(archive_read_free) *read_free;
    __typeof__(archive_error_string) *error_string;
    __typeof__(archive_entry_filetype) *entry_filetype;
    __typeof__(archive_entry_pathname) *entry_pathname;
    __typeof__(archive_entry_size) *entry_size;
    __typeof__(archive_entry_hardlink) *entry_hardlink;
} la;

static pthread_mutex_t la_lock = PTHREAD_MUTEX_INITIALIZER;
static void *la_handle;
static const char *la_soname = ARCHIVE_SONAME;

void oci_archive_set_soname(const char *soname)
{
    pthread_mutex_lock(&la_lock);
    if (la_handle)
        util_dl_close(la_handle);
    la_handle = NULL;
    la_soname = soname ? soname : ARCHIVE_SONAME;
    pthread_mutex_unlock(&la_lock);
}

static int archive_load(util_error **err)
{
    const util_dl_symbol syms[] = {
        UTIL_DL_SYMBOL("archive_read_new", la.read_new),
        UTIL_DL_SYMBOL("archive_read_support_filter_gzip", la.support_gzip),
        UTIL_DL_SYMBOL("archive_read_support_format_tar", la.support_tar),
        UTIL_DL_SYMBOL("archive_read_open_memory", la.open_memory),
        UTIL_DL_SYMBOL("archive_read_next_header", la.next_header),
        UTIL_DL_SYMBOL("archive_read_data", la.read_data),
        UTIL_DL_SYMBOL("archive_read_free", la.read_free),
        UTIL_DL_SYMBOL("archive_error_string", la.error_string),
        UTIL_DL_SYMBOL("archive_entry_filetype", la.entry_filetype),
        UTIL_DL_SYMBOL("archive_entry_pathname", la.entry_pathname),
        UTIL_DL_SYMBOL("archive_entry_size", la.entry_size),
        UTIL_DL_SYMBOL("archive_entry_hardlink", la.entry_hardlink),
    };
    pthread_mutex_lock(&la_lock);
    if (!la_handle)
        la_handle = util_dl_open(la_soname, ARCHIVE_PACKAGE, syms, UTIL_ARRAY_LEN(syms), err);
    int r = la_handle ? 0 : -1;
    pthread_mutex_unlock(&la_lock);
    return r;
}

/* ---- unpacking ----------------------------------------------------------- */

typedef struct unpack {
    struct archive *ar;
    int data_fd;
    uint64_t total; /* content bytes so far */
    unsigned n_files;
} unpack;

static const char *entry_name(struct archive_entry *e)
{
    const char *p = la.entry_pathname(e);
    return p ? p : "(no name)";
}

static int archive_fail(unpack *u, const char *what, struct archive_entry *e, util_error **err)
{
    const char *why = la.error_string(u->ar);
    if (e)
        return util_error_set(err, 0, "entry '%s': %s: %s", entry_name(e), what,
                              why ? why : "corrupt archive");
    return util_error_set(err, 0, "%s: %s", what, why ? why : "corrupt archive");
}

/* Streams the current entry's bytes into `fd`, hashing them. */
static int copy_entry(unpack *u, struct archive_entry *e, int fd, uint8_t digest[UTIL_SHA256_SIZE],
                      util_error **err)
{
    util_sha256_ctx *h = util_sha256_new();
    char buf[65536];
    int r = 0;
    for (;;) {
        la_ssize_t n = la.read_data(u->ar, buf, sizeof(buf));
        if (n == 0)
            break;
        if (n < 0) {
            r = archive_fail(u, "reading its bytes", e, err);
            break;
        }
        u->total += (uint64_t)n;
        if (u->total > OCI_ARCHIVE_MAX_BYTES) {
            r = util_error_set(err, 0, "entry '%s': the archive unpacks to more than %llu bytes",
                               entry_name(e), (unsigned long long)OCI_ARCHIVE_MAX_BYTES);
            break;
        }
        util_sha256_update(h, buf, (size_t)n);
        if (util_write_all(fd, buf, (size_t)n) < 0) {
            r = util_error_set(err, errno, "entry '%s': writing it", entry_name(e));
            break;
        }
    }
    util_sha256_final(h, digest);
    util_sha256_free(h);
    return r;
}

/* One regular file: to a temporary name, then to data/sha256:<hex>. */
static int store_file(unpack *u, struct archive_entry *e, util_error **err)
{
    la_int64_t declared = la.entry_size(e);
    if (declared > 0 && (uint64_t)declared > OCI_ARCHIVE_MAX_BYTES - u->total)
        return util_error_set(err, 0, "entry '%s': the archive unpacks to more than %llu bytes",
                              entry_name(e), (unsigned long long)OCI_ARCHIVE_MAX_BYTES);
    char tmp[48];
    snprintf(tmp, sizeof(tmp), ".unpack-%u", u->n_files++);
    int fd = openat(u->data_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return util_error_set(err, errno, "entry '%s': creating a file for it", entry_name(e));
    uint8_t digest[UTIL_SHA256_SIZE];
    int r = copy_entry(u, e, fd, digest, err);
    if (close(fd) < 0 && r == 0)
        r = util_error_set(err, errno, "entry '%s': writing it", entry_name(e));
    if (r == 0) {
        char name[7 + UTIL_SHA256_HEX_SIZE] = "sha256:";
        util_sha256_to_hex(digest, name + 7);
        if (renameat(u->data_fd, tmp, u->data_fd, name) < 0)
            r = util_error_set(err, errno, "entry '%s': storing it as %s", entry_name(e), name);
    }
    if (r < 0)
        unlinkat(u->data_fd, tmp, 0);
    return r;
}

static const char *refused_kind(mode_t type)
{
    switch (type) {
    case AE_IFCHR: return "a character device";
    case AE_IFBLK: return "a block device";
    case AE_IFIFO: return "a FIFO";
    case AE_IFSOCK: return "a socket";
    default: return "not a regular file, directory or symbolic link";
    }
}

static int unpack_entry(unpack *u, struct archive_entry *e, const char *layer, util_error **err)
{
    mode_t type = la.entry_filetype(e);
    if (type == AE_IFDIR)
        return 0;
    if (type == AE_IFLNK) {
        util_log_warn("archive layer %s: skipped the symbolic link '%s' (only regular files are "
                      "kept)",
                      layer, entry_name(e));
        return 0;
    }
    if (type == AE_IFREG && la.entry_hardlink(e))
        return util_error_set(err, 0, "entry '%s': hard links are not allowed", entry_name(e));
    if (type != AE_IFREG)
        return util_error_set(err, 0, "entry '%s': %s is not allowed", entry_name(e),
                              refused_kind(type));
    return store_file(u, e, err);
}

int oci_install_archive(oci_stage *stage, const oci_layer *layer, util_error **err)
{
    if (archive_load(err) < 0)
        return util_error_wrap(err, "unpacking an archive layer needs libarchive");
    unpack u = {.ar = la.read_new(), .data_fd = stage->data_fd, .total = stage->archive_bytes};
    if (!u.ar)
        return util_error_set(err, ENOMEM, "libarchive: archive_read_new");
    int r = 0;
    if (la.support_gzip(u.ar) != ARCHIVE_OK || la.support_tar(u.ar) != ARCHIVE_OK ||
        la.open_memory(u.ar, layer->data, layer->len) != ARCHIVE_OK)
        r = archive_fail(&u, "not a tar+gzip archive", NULL, err);
    unsigned n = stage->archive_entries;
    for (; r == 0; n++) {
        struct archive_entry *e = NULL;
        int st = la.next_header(u.ar, &e);
        if (st == ARCHIVE_EOF)
            break;
        if (st != ARCHIVE_OK && st != ARCHIVE_WARN) {
            bool first = n == stage->archive_entries;
            r = archive_fail(&u, first ? "reading the first entry" : "reading the next entry",
                             NULL, err);
            break;
        }
        if (n >= OCI_ARCHIVE_MAX_ENTRIES) {
            r = util_error_set(err, 0, "more than %u entries", OCI_ARCHIVE_MAX_ENTRIES);
            break;
        }
        r = unpack_entry(&u, e, layer->digest, err);
    }
    la.read_free(u.ar);
    stage->archive_bytes = u.total;
    stage->archive_entries = n;
    return r;
}
