/*
 * test_oci_install.c - oci_artifact_install on hand-built artifacts: the
 * layout of oci.h for each layer kind, archive layers (built here with
 * libarchive's writer), the wkg package's synthesised locked app, and
 * every refusal leaving the rootfs exactly as it was.
 */
#include "install_internal.h"
#include "oci.h"
#include "test.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------- */

static char *digest_of(const void *data, size_t len)
{
    char hex[UTIL_SHA256_HEX_SIZE];
    util_sha256_hex(data, len, hex);
    return util_xasprintf("sha256:%s", hex);
}

static oci_layer layer(const char *media, const void *data, size_t len)
{
    oci_layer l = {.media_type = util_xstrdup(media), .digest = digest_of(data, len),
                   .data = util_xmalloc(len ? len : 1), .len = len};
    memcpy(l.data, data, len);
    return l;
}

static oci_artifact *artifact(size_t n, const oci_layer *layers)
{
    oci_artifact *a = util_xcalloc(1, sizeof(*a));
    a->image_name = util_xstrdup("docker.io/test/app:1");
    a->layers = util_xcalloc(n, sizeof(*a->layers));
    memcpy(a->layers, layers, n * sizeof(*layers));
    a->n_layers = n;
    return a;
}

static char *make_rootfs(void)
{
    char *dir = util_xstrdup("/tmp/oci-install-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    return dir;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void remove_rootfs(char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

/* The names in `dir`, sorted, '|'-joined ("" when empty). */
static char *listing(const char *dir)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    util_buf b = {0};
    util_buf_append_str(&b, "");
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
            if (b.len)
                util_buf_append_str(&b, "|");
            util_buf_append_str(&b, names[i]->d_name);
        }
        free(names[i]);
    }
    free(names);
    return util_buf_steal(&b, NULL);
}

static char *read_at(const char *root, const char *rel)
{
    cleanup_free char *path = util_xasprintf("%s/%s", root, rel);
    char *data = NULL;
    size_t len = 0;
    util_error *err = NULL;
    if (util_read_file(path, &data, &len, &err) < 0) {
        util_error_free(&err);
        return NULL;
    }
    return data;
}

static bool err_has(const util_error *err, const char *needle)
{
    bool ok = err && strstr(err->msg, needle);
    if (!ok)
        fprintf(stderr, "  error \"%s\" lacks \"%s\"\n", err ? err->msg : "(none)", needle);
    return ok;
}

/* A tar.gz in memory: entries of {path, type, bytes}. */
typedef struct tar_entry {
    const char *path;
    mode_t type; /* AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR */
    const char *bytes; /* content, or the link target */
} tar_entry;

static oci_layer archive_layer(const tar_entry *entries, size_t n)
{
    size_t cap = (size_t)32 << 20, used = 0;
    char *buf = util_xmalloc(cap);
    struct archive *w = archive_write_new();
    archive_write_add_filter_gzip(w);
    archive_write_set_format_pax_restricted(w);
    archive_write_open_memory(w, buf, cap, &used);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, entries[i].path);
        archive_entry_set_filetype(e, entries[i].type);
        archive_entry_set_perm(e, 0644);
        size_t len = entries[i].type == AE_IFREG ? strlen(entries[i].bytes) : 0;
        if (entries[i].type == AE_IFLNK)
            archive_entry_set_symlink(e, entries[i].bytes);
        archive_entry_set_size(e, (la_int64_t)len);
        archive_write_header(w, e);
        if (len)
            archive_write_data(w, entries[i].bytes, len);
        archive_entry_free(e);
    }
    archive_write_close(w);
    archive_write_free(w);
    oci_layer l = layer(OCI_MEDIA_ARCHIVE_LAYER, buf, used);
    free(buf);
    return l;
}

static const char LOCKED[] = "{\"spin_lock_version\":0,\"components\":[],\"triggers\":[]}";
static const char WASM[] = "\0asm\1\0\0\0";
static const char DATA[] = "static asset line\n";

/* ---- the layout ---------------------------------------------------------- */

static void test_current_format_layout(void)
{
    oci_layer ls[] = {layer(OCI_MEDIA_WASM_LAYER, WASM, 8),
                      layer(OCI_MEDIA_DATA_LAYER, DATA, strlen(DATA)),
                      layer(OCI_MEDIA_SPIN_LOCKED_APP, LOCKED, strlen(LOCKED))};
    cleanup_oci_artifact oci_artifact *a = artifact(3, ls);
    char *root = make_rootfs();
    util_error *err = NULL;
    CHECK_INT(oci_artifact_install(a, root, &err), 0);
    CHECK(err == NULL);
    cleanup_free char *top = listing(root);
    CHECK_STR(top, ".cache|spin.json"); /* and no staging directory left */
    cleanup_free char *json = read_at(root, "spin.json");
    CHECK_STR(json, LOCKED);
    cleanup_free char *wrel = util_xasprintf(".cache/registry/wasm/%s", a->layers[0].digest);
    cleanup_free char *wasm = read_at(root, wrel);
    CHECK(wasm && memcmp(wasm, WASM, 8) == 0);
    cleanup_free char *drel = util_xasprintf(".cache/registry/data/%s", a->layers[1].digest);
    cleanup_free char *data = read_at(root, drel);
    CHECK_STR(data, DATA);
    cleanup_free char *reg = util_xasprintf("%s/.cache/registry", root);
    cleanup_free char *regs = listing(reg);
    CHECK_STR(regs, "data|wasm");
    remove_rootfs(root);
}

static void test_archive_layer_by_digest(void)
{
    tar_entry es[] = {
        {"./", AE_IFDIR, NULL},
        {"./index.html", AE_IFREG, "<h1>from an archive layer</h1>\n"},
        {"./sub/", AE_IFDIR, NULL},
        {"./sub/b.txt", AE_IFREG, "bee\n"},
        {"../../escape.txt", AE_IFREG, "tar paths are never paths\n"},
        {"./link", AE_IFLNK, "/etc/passwd"},
    };
    oci_layer ls[] = {archive_layer(es, UTIL_ARRAY_LEN(es)),
                      layer(OCI_MEDIA_SPIN_LOCKED_APP, LOCKED, strlen(LOCKED))};
    cleanup_oci_artifact oci_artifact *a = artifact(2, ls);
    char *root = make_rootfs();
    util_error *err = NULL;
    CHECK_INT(oci_artifact_install(a, root, &err), 0);
    if (err)
        fprintf(stderr, "  %s\n", err->msg);
    util_error_free(&err);
    const char *files[] = {es[1].bytes, es[3].bytes, es[4].bytes};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(files); i++) {
        cleanup_free char *d = digest_of(files[i], strlen(files[i]));
        cleanup_free char *rel = util_xasprintf(".cache/registry/data/%s", d);
        cleanup_free char *got = read_at(root, rel);
        CHECK_STR(got, files[i]);
    }
    cleanup_free char *data_dir = util_xasprintf("%s/.cache/registry/data", root);
    DIR *d = opendir(data_dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    CHECK_INT(n, 3); /* the three files; no link, no temporary names */
    cleanup_free char *top = listing(root);
    CHECK_STR(top, ".cache|spin.json");
    struct stat st;
    cleanup_free char *parent = util_xasprintf("%s/../escape.txt", root);
    CHECK(stat(parent, &st) < 0);
    remove_rootfs(root);
}

static void test_wkg_single_layer(void)
{
    oci_layer ls[] = {layer(OCI_MEDIA_WKG_WASM, WASM, 8)};
    cleanup_oci_artifact oci_artifact *a = artifact(1, ls);
    char *root = make_rootfs();
    util_error *err = NULL;
    CHECK_INT(oci_artifact_install(a, root, &err), 0);
    util_error_free(&err);
    cleanup_free char *json = read_at(root, "spin.json");
    cleanup_free char *expect = oci_wkg_locked_app(a->layers[0].digest);
    CHECK_STR(json, expect);
    CHECK(json && strstr(json, "\"route\":\"/...\""));
    CHECK(json && strstr(json, "\"id\":\"http-trigger1-component\""));
    cleanup_free char *rel = util_xasprintf(".cache/registry/wasm/%s", a->layers[0].digest);
    cleanup_free char *wasm = read_at(root, rel);
    CHECK(wasm != NULL);
    remove_rootfs(root);
}

/* ---- refusals: the rootfs stays as it was -------------------------------- */

/* Installs `a` into a fresh rootfs, expects a failure naming `needle` and
 * an empty rootfs afterwards. */
static void expect_refused(oci_artifact *a, const char *needle)
{
    char *root = make_rootfs();
    util_error *err = NULL;
    CHECK_INT(oci_artifact_install(a, root, &err), -1);
    CHECK(err_has(err, needle));
    util_error_free(&err);
    cleanup_free char *top = listing(root);
    CHECK_STR(top, "");
    remove_rootfs(root);
}

static void test_refused_artifacts(void)
{
    {
        oci_layer ls[] = {layer(OCI_MEDIA_WASM_LAYER, WASM, 8)};
        cleanup_oci_artifact oci_artifact *a = artifact(1, ls);
        expect_refused(a, "no locked-app layer");
    }
    {
        oci_layer ls[] = {layer(OCI_MEDIA_WKG_WASM, WASM, 8),
                          layer(OCI_MEDIA_DATA_LAYER, DATA, strlen(DATA))};
        cleanup_oci_artifact oci_artifact *a = artifact(2, ls);
        expect_refused(a, "expected a single layer in a wkg");
    }
    {
        oci_layer ls[] = {layer("application/x-unknown", DATA, strlen(DATA)),
                          layer(OCI_MEDIA_SPIN_LOCKED_APP, LOCKED, strlen(LOCKED))};
        cleanup_oci_artifact oci_artifact *a = artifact(2, ls);
        expect_refused(a, "unknown media type application/x-unknown");
    }
    const char *bad[] = {"sha256:../../../etc/passwd", "sha512:00",
                         "sha256:ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789"};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(bad); i++) {
        oci_layer ls[] = {layer(OCI_MEDIA_DATA_LAYER, DATA, strlen(DATA)),
                          layer(OCI_MEDIA_SPIN_LOCKED_APP, LOCKED, strlen(LOCKED))};
        free(ls[0].digest);
        ls[0].digest = util_xstrdup(bad[i]);
        cleanup_oci_artifact oci_artifact *a = artifact(2, ls);
        expect_refused(a, "is not \"sha256:\" followed by 64 lowercase hex digits");
    }
}

/* A layer that fails after others were written: nothing of them stays. */
static void test_failing_layer_leaves_rootfs_empty(void)
{
    tar_entry dev[] = {{"./ok.txt", AE_IFREG, "fine\n"}, {"./null", AE_IFCHR, NULL}};
    {
        oci_layer ls[] = {layer(OCI_MEDIA_WASM_LAYER, WASM, 8),
                          layer(OCI_MEDIA_DATA_LAYER, DATA, strlen(DATA)),
                          archive_layer(dev, UTIL_ARRAY_LEN(dev)),
                          layer(OCI_MEDIA_SPIN_LOCKED_APP, LOCKED, strlen(LOCKED))};
        cleanup_oci_artifact oci_artifact *a = artifact(4, ls);
        expect_refused(a, "entry './null': a character device is not allowed");
    }
    {
        oci_layer ls[] = {layer(OCI_MEDIA_WASM_LAYER, WASM, 8),
                          layer(OCI_MEDIA_ARCHIVE_LAYER, DATA, strlen(DATA)),
                          layer(OCI_MEDIA_SPIN_LOCKED_APP, LOCKED, strlen(LOCKED))};
        cleanup_oci_artifact oci_artifact *a = artifact(3, ls);
        expect_refused(a, OCI_MEDIA_ARCHIVE_LAYER);
    }
    {
        /* A truncated tar.gz: the archive is cut in the middle. */
        tar_entry big[] = {{"./a.txt", AE_IFREG, "0123456789abcdef0123456789abcdef\n"}};
        oci_layer arc = archive_layer(big, 1);
        arc.len /= 2;
        free(arc.digest);
        arc.digest = digest_of(arc.data, arc.len);
        oci_layer ls[] = {arc, layer(OCI_MEDIA_SPIN_LOCKED_APP, LOCKED, strlen(LOCKED))};
        cleanup_oci_artifact oci_artifact *a = artifact(2, ls);
        expect_refused(a, arc.digest);
    }
}

/* A rootfs that is not empty: nothing is replaced, and a half-published
 * install (.cache moved, spin.json refused) is moved back. */
static void test_nonempty_rootfs_untouched(void)
{
    oci_layer ls[] = {layer(OCI_MEDIA_SPIN_LOCKED_APP, LOCKED, strlen(LOCKED))};
    cleanup_oci_artifact oci_artifact *a = artifact(1, ls);
    char *root = make_rootfs();
    cleanup_free char *mine = util_xasprintf("%s/spin.json", root);
    util_error *err = NULL;
    CHECK_INT(util_write_file_atomic(mine, "mine", 4, 0644, &err), 0);
    CHECK_INT(oci_artifact_install(a, root, &err), -1);
    CHECK(err_has(err, "moving /spin.json into place"));
    util_error_free(&err);
    cleanup_free char *top = listing(root);
    CHECK_STR(top, "spin.json");
    cleanup_free char *kept = read_at(root, "spin.json");
    CHECK_STR(kept, "mine");
    remove_rootfs(root);
}

/* Gzips `len` bytes as they are (libarchive's raw format: no tar around). */
static oci_layer gzip_layer(const void *bytes, size_t len)
{
    size_t cap = len + 4096, used = 0;
    char *buf = util_xmalloc(cap);
    struct archive *w = archive_write_new();
    archive_write_add_filter_gzip(w);
    archive_write_set_format_raw(w);
    archive_write_open_memory(w, buf, cap, &used);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_filetype(e, AE_IFREG);
    archive_write_header(w, e);
    archive_write_data(w, bytes, len);
    archive_entry_free(e);
    archive_write_close(w);
    archive_write_free(w);
    oci_layer l = layer(OCI_MEDIA_ARCHIVE_LAYER, buf, used);
    free(buf);
    return l;
}

/* A ustar header for a regular file `name` claiming `size` bytes. */
static void ustar_header(char h[512], const char *name, unsigned long long size)
{
    memset(h, 0, 512);
    snprintf(h, 100, "%s", name);
    memcpy(h + 100, "0000644", 8);
    memcpy(h + 108, "0000000", 8);
    memcpy(h + 116, "0000000", 8);
    snprintf(h + 124, 12, "%011llo", size);
    memcpy(h + 136, "00000000000", 12);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += (unsigned char)h[i];
    snprintf(h + 148, 8, "%06o", sum);
}

/* The bounds: a header claiming more than OCI_ARCHIVE_MAX_BYTES fails
 * before a byte is read; more than OCI_ARCHIVE_MAX_ENTRIES entries fail. */
static void test_archive_bounds(void)
{
    char tar[1024 * 3] = {0};
    ustar_header(tar, "huge.bin", (OCI_ARCHIVE_MAX_BYTES + 1));
    {
        oci_layer ls[] = {gzip_layer(tar, sizeof(tar)),
                          layer(OCI_MEDIA_SPIN_LOCKED_APP, LOCKED, strlen(LOCKED))};
        cleanup_oci_artifact oci_artifact *a = artifact(2, ls);
        expect_refused(a, "entry 'huge.bin': the archive unpacks to more than 1073741824 bytes");
    }
    size_t n = OCI_ARCHIVE_MAX_ENTRIES + 1;
    tar_entry *dirs = util_xcalloc(n, sizeof(*dirs));
    char (*names)[16] = util_xcalloc(n, sizeof(*names));
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof(names[i]), "d%zu/", i);
        dirs[i] = (tar_entry){names[i], AE_IFDIR, NULL};
    }
    {
        oci_layer ls[] = {archive_layer(dirs, n),
                          layer(OCI_MEDIA_SPIN_LOCKED_APP, LOCKED, strlen(LOCKED))};
        cleanup_oci_artifact oci_artifact *a = artifact(2, ls);
        expect_refused(a, "more than 100000 entries");
    }
    /* The bounds hold for the artifact's archive layers together: the same
     * entries split over two layers, each under the bound, are refused. */
    {
        size_t half = n / 2;
        oci_layer ls[] = {archive_layer(dirs, half), archive_layer(dirs + half, n - half),
                          layer(OCI_MEDIA_SPIN_LOCKED_APP, LOCKED, strlen(LOCKED))};
        cleanup_oci_artifact oci_artifact *a = artifact(3, ls);
        expect_refused(a, "more than 100000 entries");
    }
    free(dirs);
    free(names);
}

static void test_missing_libarchive_named(void)
{
    tar_entry es[] = {{"./a.txt", AE_IFREG, "a\n"}};
    oci_layer ls[] = {archive_layer(es, 1),
                      layer(OCI_MEDIA_SPIN_LOCKED_APP, LOCKED, strlen(LOCKED))};
    cleanup_oci_artifact oci_artifact *a = artifact(2, ls);
    oci_archive_set_soname("libarchive-not-here.so.13");
    expect_refused(a, "install the Debian package libarchive13");
    oci_archive_set_soname(NULL);
}

int main(void)
{
    RUN(test_current_format_layout);
    RUN(test_archive_layer_by_digest);
    RUN(test_wkg_single_layer);
    RUN(test_refused_artifacts);
    RUN(test_failing_layer_leaves_rootfs_empty);
    RUN(test_nonempty_rootfs_untouched);
    RUN(test_archive_bounds);
    RUN(test_missing_libarchive_named);
    return TEST_SUMMARY();
}
