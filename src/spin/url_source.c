/*
 * url_source.c - a component whose spin.toml source is
 * { url = "https://.../x.wasm", digest = "sha256:<hex>" }, fetched as Spin
 * fetches it: downloaded once, checked against its digest, and kept in
 * Spin's cache layout ($XDG_CACHE_HOME/spin/registry/wasm/sha256:<hex>,
 * else ~/.cache/...) so the next start reads the file instead.
 *
 * A cached file is re-hashed before use (a truncated or tampered cache
 * entry is fetched again, never run); a download is bounded in size and
 * time and written with util_write_file_atomic, so a crash never leaves a
 * partial file under the digest's name.  A download that does not match
 * its digest is never written.  libcurl comes from the process's one
 * loader (util_curl_load), which a container preloads before pivot_root
 * when its manifest has a URL source (preload.c).  When no cache
 * directory can be made (no HOME, a read-only root) the bytes are still
 * used, only not kept.
 */
#include "app_internal.h"
#include "util_curl.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define URL_SOURCE_MAX_BYTES ((size_t)256 << 20)
#define URL_SOURCE_TIMEOUT_MS 120000L
#define URL_SOURCE_CONNECT_TIMEOUT_MS 15000L

/* The cache directory for wasm sources, or NULL when neither
 * XDG_CACHE_HOME nor HOME is set. */
static char *cache_dir(void)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (xdg && xdg[0] == '/')
        return util_xasprintf("%s/spin/registry/wasm", xdg);
    const char *home = getenv("HOME");
    if (home && home[0] == '/')
        return util_xasprintf("%s/.cache/spin/registry/wasm", home);
    return NULL;
}

static bool digest_matches(const char *bytes, size_t len, const char *digest, char got[UTIL_SHA256_HEX_SIZE])
{
    util_sha256_hex(bytes, len, got);
    return strcmp(got, digest + strlen("sha256:")) == 0;
}

/* The digest is "sha256:" and 64 lowercase hex digits (it names a file). */
static bool digest_well_formed(const char *digest)
{
    if (strncmp(digest, "sha256:", 7) != 0 || strlen(digest) != 7 + 64)
        return false;
    for (const char *p = digest + 7; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

typedef struct download {
    util_buf buf;
    bool too_big;
} download;

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    download *d = arg;
    size_t len = size * n;
    if (d->buf.len + len > URL_SOURCE_MAX_BYTES) {
        d->too_big = true;
        return 0;
    }
    util_buf_append(&d->buf, data, len);
    return len;
}

/* GETs url into *bytes (malloc'd, NUL-terminated); any failure, a non-2xx
 * status or a body over the bound is an error saying which. */
static int download_url(const char *url, char **bytes, size_t *len, util_error **err)
{
    const util_curl_api *curl = util_curl_load(err);
    if (!curl)
        return -1;
    CURL *h = curl->easy_init();
    if (!h)
        return util_error_set(err, 0, "curl_easy_init failed");
    download d = {0};
    curl->easy_setopt(h, CURLOPT_URL, url);
    curl->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl->easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    curl->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl->easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, URL_SOURCE_CONNECT_TIMEOUT_MS);
    curl->easy_setopt(h, CURLOPT_TIMEOUT_MS, URL_SOURCE_TIMEOUT_MS);
    curl->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl->easy_setopt(h, CURLOPT_WRITEDATA, &d);
    CURLcode rc = curl->easy_perform(h);
    long status = 0;
    curl->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl->easy_cleanup(h);
    int ret = -1;
    if (d.too_big)
        util_error_set(err, 0, "download is larger than %zu MiB", URL_SOURCE_MAX_BYTES >> 20);
    else if (rc != CURLE_OK)
        util_error_set(err, 0, "download failed: %s", curl->easy_strerror(rc));
    else if (status < 200 || status > 299)
        util_error_set(err, 0, "download failed: HTTP status %ld", status);
    else
        ret = 0;
    if (ret < 0) {
        util_buf_free(&d.buf);
        return -1;
    }
    *bytes = util_buf_steal(&d.buf, len);
    return 0;
}

/* The cached copy, if there is one and it still matches its digest. */
static bool read_cached(const char *path, const char *digest, char **bytes, size_t *len)
{
    if (!path || access(path, F_OK) != 0)
        return false;
    util_error *e = NULL;
    if (util_read_file(path, bytes, len, &e) < 0) {
        util_error_free(&e);
        return false;
    }
    char got[UTIL_SHA256_HEX_SIZE];
    if (digest_matches(*bytes, *len, digest, got))
        return true;
    util_log_warn("cached %s does not match its digest (it hashes to sha256:%s); fetching it again",
                  path, got);
    free(*bytes);
    *bytes = NULL;
    return false;
}

static void write_cache(const char *dir, const char *path, const char *bytes, size_t len)
{
    util_error *e = NULL;
    if (util_mkdir_p(dir, 0755, &e) < 0 || util_write_file_atomic(path, bytes, len, 0644, &e) < 0) {
        util_log_warn("not caching %s: %s", path, e->msg);
        util_error_free(&e);
    }
}

int spin_url_source_bytes(const char *id, const char *url, const char *digest, char **bytes,
                          size_t *len, char **name, util_error **err)
{
    if (!digest || !digest_well_formed(digest))
        return util_error_set(err, 0,
                              "component '%s': source %s: digest '%s' is not sha256: and 64 "
                              "lowercase hex digits",
                              id, url, digest ? digest : "(none)");
    cleanup_free char *dir = cache_dir();
    cleanup_free char *path = dir ? util_xasprintf("%s/%s", dir, digest) : NULL;
    *name = util_xasprintf("%s (%s)", id, url);
    if (read_cached(path, digest, bytes, len))
        return 0;
    if (download_url(url, bytes, len, err) < 0)
        return util_error_wrap(err, "component '%s': source %s", id, url);
    char got[UTIL_SHA256_HEX_SIZE];
    if (!digest_matches(*bytes, *len, digest, got)) {
        free(*bytes);
        *bytes = NULL;
        return util_error_set(err, 0,
                              "component '%s': source %s: digest mismatch: expected %s, got sha256:%s",
                              id, url, digest, got);
    }
    if (path)
        write_cache(dir, path, *bytes, *len);
    return 0;
}
