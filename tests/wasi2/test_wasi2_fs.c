/*
 * test_wasi2_fs.c - wasi:filesystem through the linker, as a guest calls
 * it: preopens, open-at with create / read / write / stat, directory
 * listings, rename / unlink / mkdir, every escape from a preopen refused
 * (`..`, absolute paths, symlinks pointing out), a read-only preopen
 * refusing every change, file streams, and the error codes of the usual
 * mistakes.
 *
 * The tree, in a fresh temp directory:
 *   root/           preopened read-write as "/"
 *   root/to-root -> /               root/up -> ../outside
 *   outside/secret
 *   ro/             preopened read-only as "/ro"
 *   ro/kept         a file the read-only preopen must leave alone
 */
#include "wasi2_test_util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define TYPES WASI2_FS_TYPES
#define M(name) "[method]descriptor." name

static char base[64], root[96], ro[96];
static component_linker *L;
static component_call *C;
static wasi2_ctx *ctx;
static component_val rootdir, rodir; /* own<descriptor> of the two preopens */
static int out_fd = -1;              /* the guests' stdout, a file */

static void write_file(const char *dir, const char *name, const char *text)
{
    char p[192];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        abort();
    close(fd);
}

static void setup(void)
{
    snprintf(base, sizeof base, "/tmp/test_wasi2_fs.XXXXXX");
    if (mkdtemp(base) == NULL)
        abort();
    snprintf(root, sizeof root, "%s/root", base);
    snprintf(ro, sizeof ro, "%s/ro", base);
    char p[192];
    snprintf(p, sizeof p, "%s/outside", base);
    if (mkdir(root, 0755) || mkdir(ro, 0755) || mkdir(p, 0755))
        abort();
    write_file(p, "secret", "do not read");
    write_file(ro, "kept", "ro data");
    snprintf(p, sizeof p, "%s/to-root", root);
    if (symlink("/", p))
        abort();
    snprintf(p, sizeof p, "%s/up", root);
    if (symlink("../outside", p))
        abort();

    wasi2_config c;
    wasi2_config_init(&c);
    wasi2_preopen pre[] = {{.host_path = root, .guest_path = "/"},
                           {.host_path = ro, .guest_path = "/ro", .read_only = true}};
    c.preopens = pre;
    c.npreopens = 2;
    snprintf(p, sizeof p, "%s/stdout", base);
    out_fd = open(p, O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0644);
    c.stdout_fd = out_fd;
    util_error *err = NULL;
    ctx = wasi2_ctx_new(&c, &err);
    L = component_linker_new();
    if (ctx == NULL || wasi2_define(L, NULL, &err) < 0) {
        fprintf(stderr, "setup: %s\n", err ? err->msg : "?");
        exit(2);
    }
    C = component_call_new(ctx);
}

static void teardown(void)
{
    wasi2_descriptor_drop(rootdir.of.resource.rep);
    wasi2_descriptor_drop(rodir.of.resource.rep);
    component_call_free(C);
    component_linker_free(L);
    wasi2_ctx_free(ctx);
    close(out_fd);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", base);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", base);
}

/* ---- call helpers ------------------------------------------------------ */

static component_val r; /* the last result */

static int call(const char *name, const component_val *args, size_t n)
{
    component_call_reset(C);
    memset(&r, 0, sizeof r);
    return host_call(L, C, TYPES, name, args, n, &r);
}

/* open-at on `dir`; the new descriptor's own value, or kind BOOL with the
 * error code in .of.u when it failed. */
static component_val open_at(const component_val *dir, uint64_t pflags, const char *path,
                             uint64_t oflags, uint64_t flags)
{
    component_val a[] = {V_BORROW(*dir), V_FLAGS(pflags), V_STR(path), V_FLAGS(oflags),
                         V_FLAGS(flags)};
    component_val out = {.kind = COMPONENT_VAL_BOOL, .of.u = 999};
    if (call(M("open-at"), a, 5) != 0)
        return out;
    if (ok_of(&r) != NULL)
        return *ok_of(&r);
    out.of.u = (uint64_t)err_of(&r);
    return out;
}

static bool opened(const component_val *v)
{
    return v->kind == COMPONENT_VAL_OWN;
}

static void drop(component_val *v)
{
    if (opened(v))
        wasi2_descriptor_drop(v->of.resource.rep);
}

/* The error code of `method` (self, path) on `dir`, -1 if it succeeded. */
static int path_op(const component_val *dir, const char *method, const char *path)
{
    component_val a[] = {V_BORROW(*dir), V_STR(path)};
    if (call(method, a, 2) != 0)
        return 999;
    return err_of(&r);
}

static int two_path_op(const component_val *dir, const char *method, const char *p1,
                       const char *p2)
{
    component_val a[] = {V_BORROW(*dir), V_STR(p1), V_BORROW(*dir), V_STR(p2)};
    if (strcmp(method, M("symlink-at")) == 0) {
        component_val b[] = {V_BORROW(*dir), V_STR(p1), V_STR(p2)};
        return call(method, b, 3) != 0 ? 999 : err_of(&r);
    }
    return call(method, a, 4) != 0 ? 999 : err_of(&r);
}

static int stat_at(const component_val *dir, const char *path, bool follow, uint32_t *type,
                   uint64_t *size)
{
    component_val a[] = {V_BORROW(*dir), V_FLAGS(follow ? PF_SYMLINK_FOLLOW : 0), V_STR(path)};
    if (call(M("stat-at"), a, 3) != 0)
        return 999;
    const component_val *st = ok_of(&r);
    if (st == NULL)
        return err_of(&r);
    *type = st->of.record.fields[0].of.variant.disc;
    *size = st->of.record.fields[2].of.u;
    return -1;
}

/* write(buffer, offset) -> bytes written, or -(error code) - 1. */
static long long write_at(const component_val *d, const char *text, uint64_t off)
{
    component_val a[] = {V_BORROW(*d), V_BYTES(text, strlen(text)), V_U64(off)};
    if (call(M("write"), a, 3) != 0)
        return -1000;
    return ok_of(&r) ? (long long)ok_of(&r)->of.u : -err_of(&r) - 1;
}

/* read(len, offset) into buf (NUL-terminated); *eof; the error code or -1. */
static int read_at(const component_val *d, uint64_t len, uint64_t off, char *buf, size_t cap,
                   bool *eof)
{
    component_val a[] = {V_BORROW(*d), V_U64(len), V_U64(off)};
    if (call(M("read"), a, 3) != 0)
        return 999;
    const component_val *t = ok_of(&r);
    if (t == NULL)
        return err_of(&r);
    const component_val *bytes = &t->of.record.fields[0];
    size_t n = bytes->of.list.n < cap - 1 ? bytes->of.list.n : cap - 1;
    memcpy(buf, bytes->of.list.raw, n);
    buf[n] = '\0';
    *eof = t->of.record.fields[1].of.b;
    return -1;
}

/* ---- tests ------------------------------------------------------------- */

static void test_get_directories(void)
{
    component_call_reset(C);
    component_val list;
    CHECK_INT(host_call(L, C, WASI2_FS_PREOPENS, "get-directories", NULL, 0, &list), 0);
    CHECK_INT(list.of.list.n, 2);
    if (list.of.list.n != 2)
        exit(1);
    const component_val *a = list.of.list.items[0].of.record.fields;
    const component_val *b = list.of.list.items[1].of.record.fields;
    CHECK(a[1].of.str.len == 1 && memcmp(a[1].of.str.ptr, "/", 1) == 0);
    CHECK(b[1].of.str.len == 3 && memcmp(b[1].of.str.ptr, "/ro", 3) == 0);
    rootdir = a[0];
    rodir = b[0];
    CHECK(rootdir.kind == COMPONENT_VAL_OWN && rodir.kind == COMPONENT_VAL_OWN);

    component_val self = V_BORROW(rootdir);
    CHECK_INT(call(M("get-type"), &self, 1), 0);
    CHECK(ok_of(&r) && ok_of(&r)->of.variant.disc == DT2_DIRECTORY);
    CHECK_INT(call(M("get-flags"), &self, 1), 0);
    CHECK(ok_of(&r) && ok_of(&r)->of.flags == (DF_READ | DF_MUTATE_DIRECTORY));
    self = V_BORROW(rodir);
    CHECK_INT(call(M("get-flags"), &self, 1), 0);
    CHECK(ok_of(&r) && ok_of(&r)->of.flags == DF_READ);
}

static void test_open_create_write_read_stat(void)
{
    component_val f = open_at(&rootdir, 0, "a.txt", OF_CREATE, DF_READ | DF_WRITE);
    CHECK(opened(&f));
    if (!opened(&f))
        return;
    CHECK_INT(write_at(&f, "hello world", 0), 11);
    CHECK_INT(write_at(&f, "HELLO", 0), 5);
    char buf[64];
    bool eof = true;
    CHECK_INT(read_at(&f, 100, 0, buf, sizeof buf, &eof), -1);
    CHECK_STR(buf, "HELLO world");
    CHECK(!eof);
    CHECK_INT(read_at(&f, 3, 6, buf, sizeof buf, &eof), -1);
    CHECK_STR(buf, "wor");
    CHECK_INT(read_at(&f, 10, 11, buf, sizeof buf, &eof), -1);
    CHECK_STR(buf, "");
    CHECK(eof);

    /* A host caller may give the bytes as items, not packed. */
    component_val items[2] = {V_U8('h'), V_U8('E')};
    component_val wi[] = {V_BORROW(f),
                          {.kind = COMPONENT_VAL_LIST, .of.list = {items, NULL, 2}}, V_U64(0)};
    CHECK_INT(call(M("write"), wi, 3), 0);
    CHECK(ok_of(&r) != NULL && ok_of(&r)->of.u == 2);
    CHECK_INT(read_at(&f, 5, 0, buf, sizeof buf, &eof), -1);
    CHECK_STR(buf, "hELLO");
    CHECK_INT(write_at(&f, "HE", 0), 2);

    component_val self = V_BORROW(f);
    CHECK_INT(call(M("stat"), &self, 1), 0);
    const component_val *st = ok_of(&r);
    CHECK(st != NULL && st->of.record.fields[0].of.variant.disc == DT2_REGULAR);
    CHECK(st != NULL && st->of.record.fields[2].of.u == 11);
    CHECK(st != NULL && st->of.record.fields[4].of.variant.disc == 1); /* some(mtime) */

    component_val sz[] = {V_BORROW(f), V_U64(4)};
    CHECK_INT(call(M("set-size"), sz, 2), 0);
    CHECK(ok_of(&r) == NULL && err_of(&r) == -1);
    uint32_t type = 99;
    uint64_t size = 99;
    CHECK_INT(stat_at(&rootdir, "a.txt", false, &type, &size), -1);
    CHECK_INT(type, DT2_REGULAR);
    CHECK_INT(size, 4);

    /* The host sees what the guest wrote. */
    char p[192], text[16] = {0};
    snprintf(p, sizeof p, "%s/a.txt", root);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0 && read(fd, text, sizeof text - 1) == 4);
    close(fd);
    CHECK_STR(text, "HELL");

    /* A second open of the same file is the same object, with the same hash. */
    component_val g = open_at(&rootdir, 0, "a.txt", 0, DF_READ);
    CHECK(opened(&g));
    component_val same[] = {V_BORROW(f), V_BORROW(g)};
    CHECK_INT(call(M("is-same-object"), same, 2), 0);
    CHECK(r.kind == COMPONENT_VAL_BOOL && r.of.b);
    CHECK_INT(call(M("metadata-hash"), same, 1), 0);
    uint64_t h1 = ok_of(&r) ? ok_of(&r)->of.record.fields[0].of.u : 0;
    component_val at[] = {V_BORROW(rootdir), V_FLAGS(0), V_STR("a.txt")};
    CHECK_INT(call(M("metadata-hash-at"), at, 3), 0);
    CHECK(ok_of(&r) != NULL && ok_of(&r)->of.record.fields[0].of.u == h1);
    component_val other[] = {V_BORROW(f), V_BORROW(rootdir)};
    CHECK_INT(call(M("is-same-object"), other, 2), 0);
    CHECK(r.kind == COMPONENT_VAL_BOOL && !r.of.b);
    drop(&g);
    drop(&f);
}

static void test_read_directory(void)
{
    component_val d = open_at(&rootdir, 0, "list", OF_CREATE, DF_WRITE);
    drop(&d);
    CHECK_INT(path_op(&rootdir, M("create-directory-at"), "listed"), -1);
    component_val sub = open_at(&rootdir, 0, "listed", OF_DIRECTORY, DF_READ);
    CHECK(opened(&sub));
    if (!opened(&sub))
        return;
    component_val f = open_at(&sub, 0, "file", OF_CREATE, DF_WRITE);
    drop(&f);
    CHECK_INT(path_op(&sub, M("create-directory-at"), "dir"), -1);
    CHECK_INT(two_path_op(&sub, M("symlink-at"), "file", "link"), -1);

    component_val self = V_BORROW(sub);
    CHECK_INT(call(M("read-directory"), &self, 1), 0);
    CHECK(ok_of(&r) != NULL);
    if (ok_of(&r) == NULL)
        return;
    component_val stream = *ok_of(&r);
    int seen = 0, entries = 0;
    for (int i = 0; i < 10; i++) {
        component_val s = V_BORROW(stream);
        CHECK_INT(call("[method]directory-entry-stream.read-directory-entry", &s, 1), 0);
        const component_val *opt = ok_of(&r);
        CHECK(opt != NULL);
        if (opt == NULL || opt->of.variant.disc == 0)
            break;
        const component_val *e = opt->of.variant.payload->of.record.fields;
        char name[32] = {0};
        memcpy(name, e[1].of.str.ptr, e[1].of.str.len < 31 ? e[1].of.str.len : 31);
        uint32_t type = e[0].of.variant.disc;
        entries++;
        if (strcmp(name, "file") == 0 && type == DT2_REGULAR)
            seen |= 1;
        else if (strcmp(name, "dir") == 0 && type == DT2_DIRECTORY)
            seen |= 2;
        else if (strcmp(name, "link") == 0 && type == DT2_SYMLINK)
            seen |= 4;
        else
            fprintf(stderr, "unexpected entry %s (type %u)\n", name, type);
    }
    CHECK_INT(entries, 3); /* no "." or ".." */
    CHECK_INT(seen, 7);
    wasi2_dir_stream_drop(stream.of.resource.rep);

    /* read-directory on a file: not-directory. */
    f = open_at(&sub, 0, "file", 0, DF_READ);
    self = V_BORROW(f);
    CHECK_INT(call(M("read-directory"), &self, 1), 0);
    CHECK_INT(err_of(&r), FSE_NOT_DIRECTORY);
    drop(&f);
    drop(&sub);
}

static void test_rename_unlink_mkdir(void)
{
    component_val f = open_at(&rootdir, 0, "old", OF_CREATE, DF_WRITE);
    drop(&f);
    CHECK_INT(path_op(&rootdir, M("create-directory-at"), "d"), -1);
    CHECK_INT(path_op(&rootdir, M("create-directory-at"), "d"), FSE_EXIST);
    CHECK_INT(two_path_op(&rootdir, M("rename-at"), "old", "d/new"), -1);
    uint32_t type;
    uint64_t size;
    CHECK_INT(stat_at(&rootdir, "old", false, &type, &size), FSE_NO_ENTRY);
    CHECK_INT(stat_at(&rootdir, "d/new", false, &type, &size), -1);
    CHECK_INT(type, DT2_REGULAR);
    CHECK_INT(path_op(&rootdir, M("remove-directory-at"), "d"), FSE_NOT_EMPTY);
    CHECK_INT(path_op(&rootdir, M("unlink-file-at"), "d"), FSE_IS_DIRECTORY);
    CHECK_INT(path_op(&rootdir, M("unlink-file-at"), "d/new"), -1);
    CHECK_INT(path_op(&rootdir, M("unlink-file-at"), "d/new"), FSE_NO_ENTRY);
    CHECK_INT(path_op(&rootdir, M("remove-directory-at"), "d"), -1);
    CHECK_INT(stat_at(&rootdir, "d", false, &type, &size), FSE_NO_ENTRY);

    /* link-at and readlink-at */
    f = open_at(&rootdir, 0, "orig", OF_CREATE, DF_WRITE);
    drop(&f);
    component_val la[] = {V_BORROW(rootdir), V_FLAGS(0), V_STR("orig"), V_BORROW(rootdir),
                          V_STR("hard")};
    CHECK_INT(call(M("link-at"), la, 5), 0);
    CHECK_INT(err_of(&r), -1);
    CHECK_INT(two_path_op(&rootdir, M("symlink-at"), "orig", "soft"), -1);
    component_val rl[] = {V_BORROW(rootdir), V_STR("soft")};
    CHECK_INT(call(M("readlink-at"), rl, 2), 0);
    CHECK(ok_of(&r) != NULL && ok_of(&r)->of.str.len == 4 &&
          memcmp(ok_of(&r)->of.str.ptr, "orig", 4) == 0);
}

/* Every way out of the preopen is refused with not-permitted, as preview 1
 * refuses them with notcapable; nothing outside is opened or changed. */
static void test_escapes_refused(void)
{
    static const char *const paths[] = {"../outside/secret", "/etc/passwd", "to-root/etc/passwd",
                                        "up/secret", "a/../../outside/secret"};
    uint32_t t0;
    uint64_t s0;
    if (stat_at(&rootdir, "a", false, &t0, &s0) != -1)
        CHECK_INT(path_op(&rootdir, M("create-directory-at"), "a"), -1);
    for (size_t i = 0; i < UTIL_ARRAY_LEN(paths); i++) {
        component_val f = open_at(&rootdir, PF_SYMLINK_FOLLOW, paths[i], 0, DF_READ);
        CHECK(!opened(&f));
        if (opened(&f)) {
            fprintf(stderr, "escaped with %s\n", paths[i]);
            drop(&f);
        }
        CHECK_INT(f.of.u, FSE_NOT_PERMITTED);
        uint32_t type;
        uint64_t size;
        CHECK_INT(stat_at(&rootdir, paths[i], true, &type, &size), FSE_NOT_PERMITTED);
    }
    /* Following a link to / is refused; the link itself may be looked at. */
    component_val f = open_at(&rootdir, PF_SYMLINK_FOLLOW, "to-root", OF_DIRECTORY, DF_READ);
    CHECK(!opened(&f) && f.of.u == FSE_NOT_PERMITTED);
    drop(&f);
    uint32_t type = 0;
    uint64_t size;
    CHECK_INT(stat_at(&rootdir, "to-root", false, &type, &size), -1);
    CHECK_INT(type, DT2_SYMLINK);
    /* Changes outside are refused too. */
    CHECK_INT(path_op(&rootdir, M("unlink-file-at"), "../outside/secret"), FSE_NOT_PERMITTED);
    CHECK_INT(path_op(&rootdir, M("create-directory-at"), "up/new"), FSE_NOT_PERMITTED);
    CHECK_INT(two_path_op(&rootdir, M("rename-at"), "../outside/secret", "stolen"),
              FSE_NOT_PERMITTED);
    CHECK_INT(two_path_op(&rootdir, M("symlink-at"), "/etc/passwd", "pw"), FSE_NOT_PERMITTED);
    char p[192];
    snprintf(p, sizeof p, "%s/outside/secret", base);
    CHECK(access(p, F_OK) == 0);
    snprintf(p, sizeof p, "%s/outside/new", base);
    CHECK(access(p, F_OK) != 0);
}

/* The same with hostio's component walk instead of openat2 (old kernels,
 * seccomp policies): both refuse the same escapes. */
static void test_escapes_refused_without_openat2(void)
{
    hostio_set_openat2(false);
    test_escapes_refused();
    hostio_set_openat2(true);
}

static void test_read_only_preopen(void)
{
    component_val f = open_at(&rodir, 0, "new", OF_CREATE, DF_WRITE);
    CHECK(!opened(&f) && f.of.u == FSE_READ_ONLY);
    f = open_at(&rodir, 0, "kept", 0, DF_READ | DF_WRITE);
    CHECK(!opened(&f) && f.of.u == FSE_READ_ONLY);
    f = open_at(&rodir, 0, "kept", OF_TRUNCATE, DF_READ);
    CHECK(!opened(&f) && f.of.u == FSE_READ_ONLY);
    CHECK_INT(path_op(&rodir, M("create-directory-at"), "d"), FSE_READ_ONLY);
    CHECK_INT(path_op(&rodir, M("unlink-file-at"), "kept"), FSE_READ_ONLY);
    CHECK_INT(two_path_op(&rodir, M("rename-at"), "kept", "moved"), FSE_READ_ONLY);
    CHECK_INT(two_path_op(&rodir, M("symlink-at"), "kept", "l"), FSE_READ_ONLY);

    /* Reading works; the file opened for reading refuses every change. */
    f = open_at(&rodir, 0, "kept", 0, DF_READ);
    CHECK(opened(&f));
    if (!opened(&f))
        return;
    char buf[32];
    bool eof;
    CHECK_INT(read_at(&f, 32, 0, buf, sizeof buf, &eof), -1);
    CHECK_STR(buf, "ro data");
    CHECK_INT(write_at(&f, "x", 0), -FSE_READ_ONLY - 1);
    component_val sz[] = {V_BORROW(f), V_U64(0)};
    CHECK_INT(call(M("set-size"), sz, 2), 0);
    CHECK_INT(err_of(&r), FSE_READ_ONLY);
    component_val ws[] = {V_BORROW(f), V_U64(0)};
    CHECK_INT(call(M("write-via-stream"), ws, 2), 0);
    CHECK_INT(err_of(&r), FSE_READ_ONLY);
    CHECK_INT(call(M("append-via-stream"), ws, 1), 0);
    CHECK_INT(err_of(&r), FSE_READ_ONLY);
    drop(&f);

    char p[192], text[16] = {0};
    snprintf(p, sizeof p, "%s/kept", ro);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0 && read(fd, text, sizeof text - 1) == 7);
    close(fd);
    CHECK_STR(text, "ro data");
}

static void test_error_codes(void)
{
    component_val f = open_at(&rootdir, 0, "missing", 0, DF_READ);
    CHECK(!opened(&f) && f.of.u == FSE_NO_ENTRY);
    f = open_at(&rootdir, 0, "e.txt", OF_CREATE | OF_EXCLUSIVE, DF_WRITE);
    CHECK(opened(&f));
    drop(&f);
    f = open_at(&rootdir, 0, "e.txt", OF_CREATE | OF_EXCLUSIVE, DF_WRITE);
    CHECK(!opened(&f) && f.of.u == FSE_EXIST);
    f = open_at(&rootdir, 0, "e.txt/", 0, DF_READ);
    CHECK(!opened(&f) && f.of.u == FSE_NOT_DIRECTORY);
    f = open_at(&rootdir, 0, "e.txt", OF_DIRECTORY, DF_READ);
    CHECK(!opened(&f) && f.of.u == FSE_NOT_DIRECTORY);
    f = open_at(&rootdir, 0, "", 0, DF_READ);
    CHECK(!opened(&f) && f.of.u == FSE_NO_ENTRY);
    CHECK_INT(path_op(&rootdir, M("create-directory-at"), "wd"), -1);
    f = open_at(&rootdir, 0, "wd", OF_DIRECTORY, DF_READ | DF_WRITE);
    CHECK(!opened(&f) && f.of.u == FSE_IS_DIRECTORY);
    f = open_at(&rootdir, 0, "e.txt", OF_TRUNCATE, DF_READ);
    CHECK(!opened(&f) && f.of.u == FSE_INVALID); /* truncating needs write */
    drop(&f);
    /* set-times-at: a timestamp lands; nanoseconds past a second are invalid. */
    component_val when[3] = {V_U64(1000000000), V_U32(5)};
    when[2] = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {when, 2}};
    component_val ts = {.kind = COMPONENT_VAL_VARIANT, .of.variant = {2, &when[2]}};
    component_val st[] = {V_BORROW(rootdir), V_FLAGS(0), V_STR("e.txt"), V_ENUM(0), ts};
    CHECK_INT(call(M("set-times-at"), st, 5), 0);
    CHECK_INT(err_of(&r), -1);
    component_val sa[] = {V_BORROW(rootdir), V_FLAGS(0), V_STR("e.txt")};
    CHECK_INT(call(M("stat-at"), sa, 3), 0);
    const component_val *mt = ok_of(&r) ? &ok_of(&r)->of.record.fields[4] : NULL;
    CHECK(mt != NULL && mt->of.variant.disc == 1 &&
          mt->of.variant.payload->of.record.fields[0].of.u == 1000000000 &&
          mt->of.variant.payload->of.record.fields[1].of.u == 5);
    when[1] = V_U32(2000000000);
    CHECK_INT(call(M("set-times-at"), st, 5), 0);
    CHECK_INT(err_of(&r), FSE_INVALID);
    /* A path with a NUL can name no file. */
    component_val nul[] = {V_BORROW(rootdir), V_FLAGS(0),
                           {.kind = COMPONENT_VAL_STRING, .of.str = {"a\0b", 3}}, V_FLAGS(0),
                           V_FLAGS(DF_READ)};
    CHECK_INT(call(M("open-at"), nul, 5), 0);
    CHECK_INT(err_of(&r), FSE_ILLEGAL_BYTE_SEQUENCE);

    /* A file opened for reading is no writer; a file is no directory. */
    f = open_at(&rootdir, 0, "e.txt", 0, DF_READ);
    CHECK(opened(&f));
    if (!opened(&f))
        return;
    CHECK_INT(write_at(&f, "x", 0), -FSE_BAD_DESCRIPTOR - 1);
    CHECK_INT(path_op(&f, M("create-directory-at"), "x"), FSE_NOT_DIRECTORY);
    drop(&f);
    f = open_at(&rootdir, 0, "e.txt", 0, DF_WRITE);
    char buf[8];
    bool eof;
    CHECK_INT(read_at(&f, 4, 0, buf, sizeof buf, &eof), FSE_BAD_DESCRIPTOR);
    drop(&f);
}

/* read-via-stream / write-via-stream / append-via-stream through wasi:io. */
static void test_streams(void)
{
    const char *io = WASI2_IFACE("wasi:io/streams");
    component_val f = open_at(&rootdir, 0, "s.txt", OF_CREATE | OF_TRUNCATE, DF_READ | DF_WRITE);
    CHECK(opened(&f));
    if (!opened(&f))
        return;
    component_val a[] = {V_BORROW(f), V_U64(2)};
    CHECK_INT(call(M("write-via-stream"), a, 2), 0);
    CHECK(ok_of(&r) != NULL);
    if (ok_of(&r) == NULL)
        return;
    component_val out = *ok_of(&r);
    component_call_reset(C);
    component_val w[] = {V_BORROW(out), V_BYTES("abcdef", 6)};
    CHECK_INT(host_call(L, C, io, "[method]output-stream.blocking-write-and-flush", w, 2, &r), 0);
    CHECK_INT(err_of(&r), -1);
    component_val w2[] = {V_BORROW(out), V_BYTES("gh", 2)};
    CHECK_INT(host_call(L, C, io, "[method]output-stream.blocking-write-and-flush", w2, 2, &r),
              0);
    wasi2_stream_release((wasi2_stream *)out.of.resource.rep);

    CHECK_INT(call(M("append-via-stream"), a, 1), 0);
    CHECK(ok_of(&r) != NULL);
    component_val app = *ok_of(&r);
    component_val w3[] = {V_BORROW(app), V_BYTES("!", 1)};
    CHECK_INT(host_call(L, C, io, "[method]output-stream.blocking-write-and-flush", w3, 2, &r),
              0);
    wasi2_stream_release((wasi2_stream *)app.of.resource.rep);

    /* The file holds two zero bytes (the gap before offset 2), then the
     * writes in order, then the append. */
    char buf[32];
    bool eof;
    CHECK_INT(read_at(&f, 32, 2, buf, sizeof buf, &eof), -1);
    CHECK_STR(buf, "abcdefgh!");

    component_val rd[] = {V_BORROW(f), V_U64(4)};
    CHECK_INT(call(M("read-via-stream"), rd, 2), 0);
    CHECK(ok_of(&r) != NULL);
    component_val in = *ok_of(&r);
    char got[32] = {0};
    size_t used = 0;
    for (int i = 0; i < 10; i++) {
        component_val rq[] = {V_BORROW(in), V_U64(4)};
        component_call_reset(C);
        CHECK_INT(host_call(L, C, io, "[method]input-stream.blocking-read", rq, 2, &r), 0);
        if (ok_of(&r) == NULL)
            break; /* closed: the end of the file */
        const component_val *bytes = ok_of(&r);
        if (used + bytes->of.list.n < sizeof got) {
            memcpy(got + used, bytes->of.list.raw, bytes->of.list.n);
            used += bytes->of.list.n;
        }
    }
    CHECK_STR(got, "cdefgh!");
    wasi2_stream_release((wasi2_stream *)in.of.resource.rep);
    drop(&f);
}

/* Real components built by wasi-libc and cargo-component import
 * wasi:filesystem (0.2.0 .. 0.2.12): they link against wasi2_define's
 * linker, every import type-checked against these signatures, and
 * c-hello-cmd runs (its preview 1 adapter asks get-directories for the
 * preopens through the real canonical ABI). */
static void test_real_components_link_and_run(void)
{
    static const char *const names[] = {"c-hello-cmd", "c-reactor",
                                        "gh-runwasi-component-hello-world.rust-cmd",
                                        "gh-spin-test-command.rust-cmd"};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(names); i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/real/%s.wasm", COMPONENTS_DIR, names[i]);
        char *bytes = NULL;
        size_t len = 0;
        util_error *err = NULL;
        if (util_read_file(path, &bytes, &len, &err) < 0) {
            fprintf(stderr, "%s\n", err->msg);
            util_error_free(&err);
            CHECK(0);
            continue;
        }
        component_pre *pre = component_pre_new((const uint8_t *)bytes, len, L, &err);
        if (pre == NULL)
            fprintf(stderr, "%s: %s\n", names[i], err ? err->msg : "?");
        CHECK(pre != NULL);
        util_error_free(&err);
        if (pre != NULL && i == 0) {
            wasm_store *store = wasm_store_new(NULL);
            wasm_result res;
            memset(&res, 0, sizeof res);
            component_instance *inst = component_instantiate(pre, store, ctx, &res);
            CHECK(inst != NULL);
            const component_func *run =
                inst ? component_instance_func(inst, "wasi:cli/run@0.2.0", "run") : NULL;
            CHECK(run != NULL);
            if (run != NULL) {
                component_val out;
                int rc = component_func_call(inst, run, NULL, 0, &out, &res);
                if (rc < 0)
                    fprintf(stderr, "run: %s\n", res.message);
                CHECK(rc == 0 && out.of.variant.disc == 0);
                CHECK(rc == 0 && component_func_post_return(inst, run, &res) == 0);
                char text[256] = {0};
                CHECK(pread(out_fd, text, sizeof text - 1, 0) > 0);
                CHECK(strstr(text, "hello from C") != NULL);
            }
            component_instance_free(inst);
            wasm_store_free(store);
        }
        component_pre_free(pre);
        free(bytes);
    }
}

int main(void)
{
    setup();
    RUN(test_get_directories);
    RUN(test_open_create_write_read_stat);
    RUN(test_read_directory);
    RUN(test_rename_unlink_mkdir);
    RUN(test_escapes_refused);
    RUN(test_escapes_refused_without_openat2);
    RUN(test_read_only_preopen);
    RUN(test_error_codes);
    RUN(test_streams);
    RUN(test_real_components_link_and_run);
    teardown();
    return TEST_SUMMARY();
}
