/*
 * test_hostio.c - src/hostio below any WASI: path resolution beneath a
 * directory, with openat2 and with the component walk (every escape
 * refused the same way by both, links inside followed, the last component
 * always a plain name), and the descriptor table (lowest free number,
 * rights checks, renumbering, who closes what).
 */
#include "hostio.h"
#include "test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char base[64];
static char root_real[PATH_MAX];
static int root_fd = -1;

static void make_tree(void)
{
    snprintf(base, sizeof base, "/tmp/test_hostio.XXXXXX");
    if (mkdtemp(base) == NULL)
        abort();
    char p[256];
    static const char *const dirs[] = {"root", "outside", "root/a", "root/a/b"};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(dirs); i++) {
        snprintf(p, sizeof p, "%s/%s", base, dirs[i]);
        CHECK_INT(mkdir(p, 0755), 0);
    }
    snprintf(p, sizeof p, "%s/root/f", base);
    close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    static const char *const links[][2] = {
        {"up", ".."},        {"abs", "/etc"},       {"loop", "loop"},
        {"ok", "a"},         {"a/out", "../../outside"}, {"a/b/top", "../.."},
        {"a/rel", "b/../../f"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(links); i++) {
        snprintf(p, sizeof p, "%s/root/%s", base, links[i][0]);
        CHECK_INT(symlink(links[i][1], p), 0);
    }
    snprintf(p, sizeof p, "%s/root", base);
    root_fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(root_fd >= 0);
    CHECK(realpath(p, root_real) != NULL);
}

static void remove_tree(void)
{
    close(root_fd);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", base);
    CHECK_INT(system(cmd), 0);
}

/* The directory a resolution ended in, relative to root ("" = root). */
static const char *dir_below_root(const hostio_path *p, char *buf, size_t len)
{
    char link[64], real[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", p->dirfd);
    ssize_t n = readlink(link, real, sizeof real - 1);
    if (n < 0)
        return "?";
    real[n] = '\0';
    size_t rl = strlen(root_real);
    if (strncmp(real, root_real, rl) != 0 || (real[rl] != '\0' && real[rl] != '/'))
        return "ESCAPED";
    snprintf(buf, len, "%s", real[rl] == '/' ? real + rl + 1 : "");
    return buf;
}

/* Resolves and checks the answer, the directory and the last name. */
static void expect(const char *path, bool follow, int rc, const char *dir, const char *name)
{
    hostio_path p;
    int got = hostio_path_resolve(root_fd, path, follow, &p);
    if (got != rc)
        fprintf(stderr, "  path \"%s\" follow=%d: got %d, want %d\n", path, follow, got, rc);
    CHECK_INT(got, rc);
    if (got == 0 && rc == 0) {
        char buf[PATH_MAX];
        CHECK_STR(dir_below_root(&p, buf, sizeof buf), dir);
        CHECK_STR(p.name, name);
    }
    hostio_path_fini(&p);
    CHECK(p.name == NULL && p.dirfd == -1);
}

static void escapes_refused(void)
{
    expect("", false, ENOENT, NULL, NULL);
    expect("/etc/passwd", false, HOSTIO_ENOTCAPABLE, NULL, NULL);
    expect("../outside/x", false, HOSTIO_ENOTCAPABLE, NULL, NULL);
    expect("a/b/../../../outside", false, HOSTIO_ENOTCAPABLE, NULL, NULL);
    expect("..", false, HOSTIO_ENOTCAPABLE, NULL, NULL);
    expect("up/x", false, HOSTIO_ENOTCAPABLE, NULL, NULL);
    expect("abs/passwd", false, HOSTIO_ENOTCAPABLE, NULL, NULL);
    expect("a/out/x", false, HOSTIO_ENOTCAPABLE, NULL, NULL);
    expect("a/b/top/../x", false, HOSTIO_ENOTCAPABLE, NULL, NULL);
    expect("up", true, HOSTIO_ENOTCAPABLE, NULL, NULL);
    expect("loop/x", false, ELOOP, NULL, NULL);
    expect("f/x", false, ENOTDIR, NULL, NULL);
    expect("nothere/x", false, ENOENT, NULL, NULL);
}

static void inside_resolved(void)
{
    expect("f", false, 0, "", "f");
    expect("a/b/c", false, 0, "a/b", "c");
    expect("a/b/../b/c", false, 0, "a/b", "c");
    expect("ok/b/c", false, 0, "a/b", "c"); /* a link inside is followed */
    expect("a/b/", false, 0, "a", "b");     /* trailing slash: must_dir */
    expect(".", false, 0, "", ".");
    expect("a/..", false, 0, "", ".");
    /* the last component is a name, not followed unless asked */
    expect("up", false, 0, "", "up");
    expect("a/rel", false, 0, "a", "rel");
    expect("a/rel", true, 0, "", "f");
    expect("ok", true, 0, "", "a");
    expect("a/b/top/f", false, 0, "", "f"); /* a link back to the root is fine */
}

static void test_paths_with_openat2(void)
{
    hostio_set_openat2(true);
    escapes_refused();
    inside_resolved();
}

static void test_paths_with_the_walk(void)
{
    hostio_set_openat2(false);
    escapes_refused();
    inside_resolved();
    hostio_set_openat2(true);
}

static void test_trailing_slash_name(void)
{
    hostio_path p;
    CHECK_INT(hostio_path_resolve(root_fd, "a/b/", false, &p), 0);
    CHECK(p.must_dir);
    char buf[64];
    CHECK_STR(hostio_path_name_slash(&p, buf, sizeof buf), "b/");
    hostio_path_fini(&p);
    CHECK_INT(hostio_path_resolve(root_fd, "a/b", false, &p), 0);
    CHECK(!p.must_dir);
    CHECK_STR(hostio_path_name_slash(&p, buf, sizeof buf), "b");
    hostio_path_fini(&p);
}

/* ---- descriptor table --------------------------------------------------- */

static bool is_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

static hostio_fd host_entry(int fd, uint64_t rights)
{
    hostio_fd f = {.kind = HOSTIO_FD_HOST, .host = fd, .rights_base = rights};
    return f;
}

/* The *at operations both WASIs share: each refuses the escapes the
 * resolver refuses, and keeps the edge cases preview 1 defined. */
static void test_at_operations(void)
{
    struct stat st;
    int fd = -1;
    CHECK_INT(hostio_open_at(root_fd, "../outside/x", false, O_RDONLY, false, &fd, &st),
              HOSTIO_ENOTCAPABLE);
    CHECK_INT(hostio_open_at(root_fd, "abs/passwd", true, O_RDONLY, false, &fd, &st),
              HOSTIO_ENOTCAPABLE);
    CHECK_INT(hostio_open_at(root_fd, "abs", true, O_RDONLY | O_DIRECTORY, false, &fd, &st),
              HOSTIO_ENOTCAPABLE);
    CHECK_INT(hostio_open_at(root_fd, "abs", false, O_RDONLY | O_DIRECTORY, false, &fd, &st),
              ENOTDIR); /* a link we may not follow is no directory */
    CHECK_INT(hostio_open_at(root_fd, "a", false, O_WRONLY | O_DIRECTORY, false, &fd, &st),
              EISDIR);
    CHECK_INT(hostio_open_at(root_fd, "new/", false, O_RDWR | O_CREAT, false, &fd, &st),
              EINVAL);
    CHECK_INT(fd, -1);
    CHECK_INT(hostio_open_at(root_fd, "a/rel", true, O_RDONLY, false, &fd, &st), 0);
    CHECK(fd >= 0 && S_ISREG(st.st_mode));
    close(fd);

    CHECK_INT(hostio_mkdir_at(root_fd, "up/made"), HOSTIO_ENOTCAPABLE);
    CHECK_INT(hostio_mkdir_at(root_fd, "made"), 0);
    CHECK_INT(hostio_mkdir_at(root_fd, "made"), EEXIST);
    CHECK_INT(hostio_stat_at(root_fd, "f/", false, &st), ENOTDIR);
    CHECK_INT(hostio_stat_at(root_fd, "up", false, &st), 0);
    CHECK(S_ISLNK(st.st_mode));
    CHECK_INT(hostio_stat_at(root_fd, "up", true, &st), HOSTIO_ENOTCAPABLE);
    CHECK_INT(hostio_symlink_at("/etc", root_fd, "abs2"), HOSTIO_ENOTCAPABLE);
    CHECK_INT(hostio_symlink_at("f", root_fd, "made/"), EEXIST);
    CHECK_INT(hostio_link_at(root_fd, "a", false, root_fd, "a-link"), EPERM);
    CHECK_INT(hostio_rename_at(root_fd, "f", root_fd, "made/"), ENOTDIR);
    CHECK_INT(hostio_rename_at(root_fd, "../outside", root_fd, "in"), HOSTIO_ENOTCAPABLE);
    CHECK_INT(hostio_unlink_at(root_fd, "made/"), EISDIR);
    CHECK_INT(hostio_unlink_at(root_fd, "f/"), ENOTDIR);
    char target[64];
    size_t n = 0;
    CHECK_INT(hostio_readlink_at(root_fd, "up", target, sizeof target, &n), 0);
    CHECK(n == 2 && memcmp(target, "..", 2) == 0);
    CHECK_INT(hostio_mkdir_at(root_fd, "made/sub"), 0);
    CHECK_INT(hostio_rmdir_at(root_fd, "made"), ENOTEMPTY);
    CHECK_INT(hostio_rmdir_at(root_fd, "made/sub"), 0);
    CHECK_INT(hostio_rmdir_at(root_fd, "made"), 0);
    CHECK_INT(hostio_dirent_filetype(root_fd, "a", DT_UNKNOWN), HOSTIO_FT_DIR);
    CHECK_INT(hostio_dirent_filetype(root_fd, "up", DT_LNK), HOSTIO_FT_SYMLINK);
}

static void test_lowest_free_number_and_rights(void)
{
    hostio_fdtable t;
    hostio_fdtable_init(&t, 3);
    CHECK(hostio_fd_get(&t, 0) == NULL); /* slots start free */
    uint32_t n = 99;
    hostio_fd e = host_entry(dup(0), 1 | 4);
    CHECK_INT(hostio_fd_insert(&t, &e, &n), 0);
    CHECK_INT(n, 0);
    for (uint32_t want = 1; want < 20; want++) { /* grows past the first slots */
        e = host_entry(dup(0), 1);
        CHECK_INT(hostio_fd_insert(&t, &e, &n), 0);
        CHECK_INT(n, want);
    }
    hostio_fd *f = NULL;
    CHECK_INT(hostio_fd_check(&t, 0, 1 | 4, &f), 0);
    CHECK(f == hostio_fd_get(&t, 0));
    CHECK_INT(hostio_fd_check(&t, 0, 2, &f), HOSTIO_ENOTCAPABLE);
    CHECK_INT(hostio_fd_check(&t, 5000, 0, &f), EBADF);
    /* a released number is the next one handed out */
    int host7 = hostio_fd_get(&t, 7)->host;
    hostio_fd_release(hostio_fd_get(&t, 7));
    CHECK(!is_open(host7));
    CHECK(hostio_fd_get(&t, 7) == NULL);
    e = host_entry(dup(0), 1);
    CHECK_INT(hostio_fd_insert(&t, &e, &n), 0);
    CHECK_INT(n, 7);
    hostio_fdtable_free(&t);
    CHECK(t.fds == NULL && t.nfds == 0);
}

static void test_renumber_and_ownership(void)
{
    hostio_fdtable t;
    hostio_fdtable_init(&t, 0);
    int borrowed = dup(1), owned = dup(1), other = dup(1);
    hostio_fd e = host_entry(borrowed, 0);
    e.borrowed = true;
    e.write_limited = true;
    e.write_left = 42;
    uint32_t nb, no, nx;
    CHECK_INT(hostio_fd_insert(&t, &e, &nb), 0);
    e = host_entry(owned, 0);
    CHECK_INT(hostio_fd_insert(&t, &e, &no), 0);
    e = host_entry(other, 0);
    CHECK_INT(hostio_fd_insert(&t, &e, &nx), 0);
    /* renumbering onto an open number closes what was there; the entry,
     * write budget included, moves */
    CHECK_INT(hostio_fd_renumber(&t, nb, nx), 0);
    CHECK(!is_open(other));
    CHECK(hostio_fd_get(&t, nb) == NULL);
    hostio_fd *moved = hostio_fd_get(&t, nx);
    CHECK(moved != NULL && moved->host == borrowed && moved->write_left == 42);
    CHECK_INT(hostio_fd_renumber(&t, nb, no), EBADF); /* from a free slot */
    CHECK_INT(hostio_fd_renumber(&t, no, no), 0);
    CHECK(is_open(owned));
    /* freeing the table closes what it owns, never what it borrowed */
    hostio_fdtable_free(&t);
    CHECK(!is_open(owned));
    CHECK(is_open(borrowed));
    close(borrowed);
}

static void test_preopen(void)
{
    hostio_fdtable t;
    hostio_fdtable_init(&t, 1);
    util_error *err = NULL;
    char p[128];
    snprintf(p, sizeof p, "%s/root", base);
    CHECK_INT(hostio_fd_open_preopen(&t.fds[0], p, "/", true, &err), 0);
    hostio_fd *f = hostio_fd_get(&t, 0);
    CHECK(f != NULL && f->filetype == HOSTIO_FT_DIR && f->read_only && !f->borrowed);
    CHECK_STR(f ? f->preopen : NULL, "/");
    hostio_fd spare;
    snprintf(p, sizeof p, "%s/root/f", base);
    CHECK_INT(hostio_fd_open_preopen(&spare, p, "/f", false, &err), -1);
    CHECK(err != NULL && strstr(err->msg, "preopen directory") != NULL &&
          strstr(err->msg, "root/f") != NULL);
    util_error_free(&err);
    hostio_fdtable_free(&t);
}

int main(void)
{
    make_tree();
    RUN(test_paths_with_openat2);
    RUN(test_paths_with_the_walk);
    RUN(test_trailing_slash_name);
    RUN(test_at_operations);
    RUN(test_lowest_free_number_and_rights);
    RUN(test_renumber_and_ownership);
    RUN(test_preopen);
    remove_tree();
    return TEST_SUMMARY();
}
