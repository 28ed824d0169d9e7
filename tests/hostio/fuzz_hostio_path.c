/*
 * fuzz_hostio_path.c - libFuzzer target for the sandbox's path resolution
 * (src/hostio/path.c).  Each input is a guest path (plus a byte choosing
 * symlink-follow and openat2 vs the component walk), resolved beneath a
 * fixed tree full of traps: `..` links, an absolute link, a loop, a link
 * that climbs out through a subdirectory, and a sibling directory that
 * must stay unreachable.  Invariant checked: whenever resolution succeeds,
 * the directory it returns is the root or below it, and the last
 * component is a plain name (no '/', never "..").
 *
 * The invariant is about the resolver itself, below the WASI functions,
 * which hostio.h offers as is.
 */
#include "hostio.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int root_fd = -1;
static char root_real[4096];
static char base_dir[64];

static int remove_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static void cleanup(void)
{
    nftw(base_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup(void)
{
    char base[] = "/tmp/fuzz_hostio_path.XXXXXX";
    if (mkdtemp(base) == NULL)
        abort();
    snprintf(base_dir, sizeof(base_dir), "%s", base);
    atexit(cleanup);
    char p[4200];
    snprintf(p, sizeof(p), "%s/root", base);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/outside", base);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/root/a", base);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/root/a/b", base);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/root/f", base);
    close(open(p, O_CREAT | O_WRONLY, 0644));
    static const char *const links[][2] = {
        {"up", ".."}, {"abs", "/"}, {"loop", "loop"}, {"deep", "a/b/../../.."},
        {"ok", "a"}, {"dangling", "nothere"}, {"a/b/top", "../.."}, {"a/out", "../../outside"},
        {"fdir", "f/"}, {"a/rel", "b/../../f"},
    };
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        snprintf(p, sizeof(p), "%s/root/%s", base, links[i][0]);
        if (symlink(links[i][1], p) < 0)
            abort();
    }
    snprintf(p, sizeof(p), "%s/root", base);
    root_fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0 || realpath(p, root_real) == NULL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (root_fd < 0)
        setup();
    if (size < 1)
        return 0;
    bool follow = data[0] & 1;
    hostio_set_openat2(!(data[0] & 2));
    size_t n = size - 1 > 512 ? 512 : size - 1;
    char *path = util_xstrndup((const char *)data + 1, n); /* stops at a NUL */

    hostio_path wp;
    int rc = hostio_path_resolve(root_fd, path, follow, &wp);
    if (rc == 0) {
        char link[64], real[4096];
        snprintf(link, sizeof(link), "/proc/self/fd/%d", wp.dirfd);
        ssize_t len = readlink(link, real, sizeof(real) - 1);
        if (len < 0)
            abort();
        real[len] = '\0';
        size_t rl = strlen(root_real);
        if (strncmp(real, root_real, rl) != 0 || (real[rl] != '\0' && real[rl] != '/')) {
            fprintf(stderr, "ESCAPE: path \"%s\" resolved to directory %s\n", path, real);
            abort();
        }
        if (strchr(wp.name, '/') != NULL || strcmp(wp.name, "..") == 0 || wp.name[0] == '\0') {
            fprintf(stderr, "BAD NAME: path \"%s\" -> name \"%s\"\n", path, wp.name);
            abort();
        }
    }
    hostio_path_fini(&wp);
    free(path);
    return 0;
}
