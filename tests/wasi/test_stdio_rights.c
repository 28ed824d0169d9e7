/*
 * test_stdio_rights.c - the guest's stdio keeps to its direction even when
 * the embedder backs it with regular files (memfds, as the Spin host
 * does): stdin is read-only, stdout and stderr are write-only and not
 * seekable, so a guest can neither read back nor rewind its output, nor
 * write into its input, and cannot regain those rights.  wasmtime behaves
 * the same way (its stdio are one-way streams).
 */
#include "test.h"
#include "util.h"
#include "wasi.h"
#include "wasm.h"

#include <sys/mman.h>
#include <unistd.h>

#define WE_BADF 8
#define WE_NOTCAPABLE 76

static int memfd_with(const char *name, const char *text)
{
    int fd = memfd_create(name, 0);
    CHECK(fd >= 0);
    if (text) {
        CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
        lseek(fd, 0, SEEK_SET);
    }
    return fd;
}

static char *contents(int fd)
{
    static char buf[4096];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

/* The errno the guest printed for `probe` ("probe N" line), or -1. */
static int result_of(const char *out, const char *probe)
{
    char key[64];
    snprintf(key, sizeof key, "%s ", probe);
    for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, key, strlen(key)) == 0)
            return atoi(p + strlen(key));
    }
    return -1;
}

static bool refused(int e)
{
    return e == WE_NOTCAPABLE || e == WE_BADF;
}

static void test_stdio_is_one_way(void)
{
    char *bytes = NULL;
    size_t len = 0;
    util_error *err = NULL;
    CHECK_INT(util_read_file(WASM_DIR "/stdio_rights.wasm", &bytes, &len, &err), 0);
    if (bytes == NULL) {
        util_error_free(&err);
        return;
    }
    wasm_result res;
    wasm_result_init(&res);
    wasm_module *m = wasm_module_new((const uint8_t *)bytes, len, NULL, &res);
    free(bytes);
    CHECK(m != NULL);
    if (m == NULL)
        return;
    int in = memfd_with("stdin", "hello"), out = memfd_with("stdout", NULL),
        errfd = memfd_with("stderr", NULL);
    wasi_config cfg;
    wasi_config_init(&cfg);
    const char *argv[] = {"stdio_rights"};
    cfg.argv = argv;
    cfg.argc = 1;
    cfg.stdin_fd = in;
    cfg.stdout_fd = out;
    cfg.stderr_fd = errfd;
    int code = -1;
    wasm_result_init(&res);
    CHECK_INT(wasi_run_command(m, &cfg, NULL, NULL, &res, &code, &err), 0);
    if (err)
        util_error_free(&err);
    CHECK_INT(code, 0);
    const char *o = contents(out);
    CHECK_INT(result_of(o, "read0"), 0);
    CHECK(refused(result_of(o, "write0")));
    CHECK(refused(result_of(o, "read1")));
    CHECK(refused(result_of(o, "pread1")));
    CHECK(refused(result_of(o, "seek1")));
    CHECK(refused(result_of(o, "tell1")));
    CHECK(refused(result_of(o, "read2")));
    CHECK(refused(result_of(o, "seek2")));
    CHECK_INT(result_of(o, "write2"), 0);
    CHECK_INT(result_of(o, "regain1"), WE_NOTCAPABLE);
    CHECK_INT(result_of(o, "rights1_read_or_seek"), 0);
    CHECK_INT(result_of(o, "rights0_write"), 0);
    /* nothing was written into the input; stderr got its one byte */
    CHECK_STR(contents(in), "hello");
    CHECK_STR(contents(errfd), "x");
    close(in);
    close(out);
    close(errfd);
    wasm_module_free(m);
}

int main(void)
{
    RUN(test_stdio_is_one_way);
    return TEST_SUMMARY();
}
