/*
 * test_memory_image.c - copy-on-write memory images (src/engine/image.c)
 * must be indistinguishable from copying the data segments: every instance
 * of a module sees the initial memory whatever an earlier one wrote or
 * grew, segments at page boundaries and in the last partial page land
 * where they should and later segments overwrite earlier ones, memory.init
 * and data.drop behave as the spec says after instantiation, a segment
 * that does not fit still traps, and offsets read from imported globals
 * take the copy path.  The image path itself is observed in
 * /proc/self/maps (the image is the memfd "wasm-memory-image"), and many
 * instantiations leave no mapping or descriptor behind.
 *
 * The same file tests the per-thread pool of reservations (pool.c): a
 * freed store's memory reservation is kept (still mapped) and the next
 * store on the thread takes it back reset to the initial memory; pooling
 * off (WASM_POOL_SIZE=0) unmaps; a thread's pool is unmapped when it exits.
 * Big heap blocks of an instance (table elements, function records) are
 * pooled too, and the next instance that takes them back sees a fresh
 * table, fresh functions and fresh globals (pooled.wat).
 */
#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "wasm.h"

/*
 * (module
 *   (memory (export "mem") 2 10)
 *   (data (i32.const 0) "\01\02")
 *   (data (i32.const 65534) "abcd")        ;; across the Wasm (and OS) page boundary
 *   (data (i32.const 70000) "tail")        ;; inside a page: the image's last partial page
 *   (data (i32.const 131071) "z")          ;; the last byte of the initial memory
 *   (data $p "passive!")
 *   (data (i32.const 1) "\07")             ;; overwrites the second byte (module order)
 *   (func (export "load8") (param i32) (result i32) local.get 0 i32.load8_u)
 *   (func (export "store8") (param i32 i32) local.get 0 local.get 1 i32.store8)
 *   (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
 *   (func (export "init") (param i32 i32) local.get 0 i32.const 0 local.get 1 memory.init $p)
 *   (func (export "drop") data.drop $p)
 *   (func (export "init_active") (param i32) local.get 0 i32.const 0 i32.const 1 memory.init 0))
 */
static const uint8_t image_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x12, 0x04, 0x60,
    0x01, 0x7f, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x00, 0x60, 0x00, 0x00,
    0x60, 0x01, 0x7f, 0x00, 0x03, 0x07, 0x06, 0x00, 0x01, 0x00, 0x01, 0x02,
    0x03, 0x05, 0x04, 0x01, 0x01, 0x02, 0x0a, 0x07, 0x3b, 0x07, 0x03, 0x6d,
    0x65, 0x6d, 0x02, 0x00, 0x05, 0x6c, 0x6f, 0x61, 0x64, 0x38, 0x00, 0x00,
    0x06, 0x73, 0x74, 0x6f, 0x72, 0x65, 0x38, 0x00, 0x01, 0x04, 0x67, 0x72,
    0x6f, 0x77, 0x00, 0x02, 0x04, 0x69, 0x6e, 0x69, 0x74, 0x00, 0x03, 0x04,
    0x64, 0x72, 0x6f, 0x70, 0x00, 0x04, 0x0b, 0x69, 0x6e, 0x69, 0x74, 0x5f,
    0x61, 0x63, 0x74, 0x69, 0x76, 0x65, 0x00, 0x05, 0x0c, 0x01, 0x06, 0x0a,
    0x3a, 0x06, 0x07, 0x00, 0x20, 0x00, 0x2d, 0x00, 0x00, 0x0b, 0x09, 0x00,
    0x20, 0x00, 0x20, 0x01, 0x3a, 0x00, 0x00, 0x0b, 0x06, 0x00, 0x20, 0x00,
    0x40, 0x00, 0x0b, 0x0c, 0x00, 0x20, 0x00, 0x41, 0x00, 0x20, 0x01, 0xfc,
    0x08, 0x04, 0x00, 0x0b, 0x05, 0x00, 0xfc, 0x09, 0x04, 0x0b, 0x0c, 0x00,
    0x20, 0x00, 0x41, 0x00, 0x41, 0x01, 0xfc, 0x08, 0x00, 0x00, 0x0b, 0x0b,
    0x36, 0x06, 0x00, 0x41, 0x00, 0x0b, 0x02, 0x01, 0x02, 0x00, 0x41, 0xfe,
    0xff, 0x03, 0x0b, 0x04, 0x61, 0x62, 0x63, 0x64, 0x00, 0x41, 0xf0, 0xa2,
    0x04, 0x0b, 0x04, 0x74, 0x61, 0x69, 0x6c, 0x00, 0x41, 0xff, 0xff, 0x07,
    0x0b, 0x01, 0x7a, 0x01, 0x08, 0x70, 0x61, 0x73, 0x73, 0x69, 0x76, 0x65,
    0x21, 0x00, 0x41, 0x01, 0x0b, 0x01, 0x07,
};

/*
 * (module
 *   (import "env" "off" (global i32))
 *   (memory (export "mem") 1)
 *   (data (global.get 0) "hi")
 *   (func (export "load8") (param i32) (result i32) local.get 0 i32.load8_u))
 */
static const uint8_t imported_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60,
    0x01, 0x7f, 0x01, 0x7f, 0x02, 0x0c, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x03,
    0x6f, 0x66, 0x66, 0x03, 0x7f, 0x00, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03,
    0x01, 0x00, 0x01, 0x07, 0x0f, 0x02, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00,
    0x05, 0x6c, 0x6f, 0x61, 0x64, 0x38, 0x00, 0x00, 0x0a, 0x09, 0x01, 0x07,
    0x00, 0x20, 0x00, 0x2d, 0x00, 0x00, 0x0b, 0x0b, 0x08, 0x01, 0x00, 0x23,
    0x00, 0x0b, 0x02, 0x68, 0x69,
};

/*
 * (module
 *   (memory (export "mem") 1)
 *   (data (i32.const 0) "ok")
 *   (data (i32.const 65535) "ab")          ;; one byte past the end: traps
 *   (func (export "load8") (param i32) (result i32) local.get 0 i32.load8_u))
 */
static const uint8_t traps_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60,
    0x01, 0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00,
    0x01, 0x07, 0x0f, 0x02, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x05, 0x6c,
    0x6f, 0x61, 0x64, 0x38, 0x00, 0x00, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x20,
    0x00, 0x2d, 0x00, 0x00, 0x0b, 0x0b, 0x11, 0x02, 0x00, 0x41, 0x00, 0x0b,
    0x02, 0x6f, 0x6b, 0x00, 0x41, 0xff, 0xff, 0x03, 0x0b, 0x02, 0x61, 0x62,
};

/* ---- helpers ------------------------------------------------------------ */

static wasm_module *load(const uint8_t *bytes, size_t len)
{
    wasm_result r;
    wasm_result_init(&r);
    wasm_module *m = wasm_module_new(bytes, len, NULL, &r);
    if (!m)
        fprintf(stderr, "module rejected: %s\n", r.message);
    return m;
}

static int32_t call(wasm_store *s, wasm_instance *in, const char *name, size_t nargs, int32_t a,
                    int32_t b, wasm_result *r)
{
    wasm_val args[2], res[1];
    memset(args, 0, sizeof args);
    memset(res, 0, sizeof res);
    args[0].i32 = a;
    args[1].i32 = b;
    wasm_result_init(r);
    wasm_func *f = wasm_instance_func(in, name);
    if (!f) {
        r->kind = WASM_UNLINKABLE;
        return -1;
    }
    wasm_func *fn = f;
    const char *sig = wasm_func_signature(f), *colon = sig ? strchr(sig, ':') : NULL;
    size_t nres = colon ? strlen(colon + 1) : 0;
    wasm_func_call(s, fn, args, nargs, res, nres, r);
    return res[0].i32;
}

static int32_t load8(wasm_store *s, wasm_instance *in, int32_t addr)
{
    wasm_result r;
    int32_t v = call(s, in, "load8", 1, addr, 0, &r);
    CHECK_INT(r.kind, WASM_OK);
    return v;
}

/* Lines of /proc/self/maps naming `what` (NULL: all lines). */
static int count_maps(const char *what)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (!what || strstr(line, what))
            n++;
    fclose(f);
    return n;
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* Whether some mapping of /proc/self/maps starts at p. */
static bool mapped_at(const void *p)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = strtoull(line, NULL, 16) == (unsigned long long)(uintptr_t)p;
    fclose(f);
    return found;
}

/* The initial contents every instance of image_wasm must see. */
static void check_initial(wasm_store *s, wasm_instance *in)
{
    CHECK_INT(load8(s, in, 0), 1);
    CHECK_INT(load8(s, in, 1), 7);
    CHECK_INT(load8(s, in, 2), 0);
    CHECK_INT(load8(s, in, 65533), 0);
    CHECK_INT(load8(s, in, 65534), 'a');
    CHECK_INT(load8(s, in, 65535), 'b');
    CHECK_INT(load8(s, in, 65536), 'c');
    CHECK_INT(load8(s, in, 65537), 'd');
    CHECK_INT(load8(s, in, 65538), 0);
    CHECK_INT(load8(s, in, 69999), 0);
    CHECK_INT(load8(s, in, 70000), 't');
    CHECK_INT(load8(s, in, 70003), 'l');
    CHECK_INT(load8(s, in, 70004), 0);  /* the rest of the image's last page */
    CHECK_INT(load8(s, in, 100000), 0); /* past the image, inside the memory */
    CHECK_INT(load8(s, in, 131070), 0);
    CHECK_INT(load8(s, in, 131071), 'z');
    wasm_memory *mem = wasm_instance_memory(in, "mem");
    CHECK(mem && wasm_memory_size(mem) == 2 * 65536);
}

/* ---- tests -------------------------------------------------------------- */

/* Two instances (in one store and in two stores): writes and growth of the
 * first are invisible to the second; the image is what they map. */
static void test_instances_see_the_initial_memory(void)
{
    wasm_module *m = load(image_wasm, sizeof image_wasm);
    CHECK(m != NULL);
    if (!m)
        return;
    wasm_store *s = wasm_store_new(NULL);
    wasm_result r;
    wasm_instance *a = wasm_instantiate(s, m, NULL, &r);
    CHECK(a != NULL);
    CHECK(count_maps("wasm-memory-image") >= 1);
    check_initial(s, a);
    call(s, a, "store8", 2, 0, 99, &r);
    call(s, a, "store8", 2, 65535, 98, &r);
    call(s, a, "store8", 2, 70001, 97, &r);
    CHECK_INT(call(s, a, "grow", 1, 1, 0, &r), 2);
    call(s, a, "store8", 2, 2 * 65536 + 5, 96, &r);
    CHECK_INT(load8(s, a, 0), 99);
    CHECK_INT(load8(s, a, 2 * 65536 + 5), 96);

    wasm_instance *b = wasm_instantiate(s, m, NULL, &r);
    CHECK(b != NULL);
    check_initial(s, b);
    wasm_store *s2 = wasm_store_new(NULL);
    wasm_instance *c = wasm_instantiate(s2, m, NULL, &r);
    CHECK(c != NULL);
    check_initial(s2, c);
    /* growing past the initial memory still gives zero pages */
    CHECK_INT(call(s2, c, "grow", 1, 1, 0, &r), 2);
    CHECK_INT(load8(s2, c, 2 * 65536 + 5), 0);
    /* and the first instance kept its own writes */
    CHECK_INT(load8(s, a, 65535), 98);
    CHECK_INT(load8(s, a, 70001), 97);
    wasm_store_free(s2);
    wasm_store_free(s);
    wasm_module_free(m);
    CHECK_INT(count_maps("wasm-memory-image"), 0);
}

/* Active segments count as dropped after instantiation; the passive one
 * is copied by memory.init until data.drop, as before. */
static void test_bulk_memory_after_instantiation(void)
{
    wasm_module *m = load(image_wasm, sizeof image_wasm);
    if (!m)
        return;
    wasm_store *s = wasm_store_new(NULL);
    wasm_result r;
    wasm_instance *in = wasm_instantiate(s, m, NULL, &r);
    CHECK(in != NULL);
    call(s, in, "init_active", 1, 10, 0, &r);
    CHECK_INT(r.kind, WASM_TRAP);
    CHECK(strstr(r.message, "out of bounds memory access") != NULL);
    call(s, in, "init", 2, 200, 8, &r);
    CHECK_INT(r.kind, WASM_OK);
    CHECK_INT(load8(s, in, 200), 'p');
    CHECK_INT(load8(s, in, 207), '!');
    call(s, in, "drop", 0, 0, 0, &r);
    CHECK_INT(r.kind, WASM_OK);
    call(s, in, "init", 2, 300, 1, &r);
    CHECK_INT(r.kind, WASM_TRAP);
    CHECK_INT(load8(s, in, 300), 0);
    /* a new instance has its passive segment back */
    wasm_instance *in2 = wasm_instantiate(s, m, NULL, &r);
    CHECK(in2 != NULL);
    call(s, in2, "init", 2, 300, 1, &r);
    CHECK_INT(r.kind, WASM_OK);
    CHECK_INT(load8(s, in2, 300), 'p');
    CHECK_INT(load8(s, in2, 200), 0);
    wasm_store_free(s);
    wasm_module_free(m);
}

static void test_segment_out_of_bounds_still_traps(void)
{
    wasm_module *m = load(traps_wasm, sizeof traps_wasm);
    if (!m)
        return;
    for (int i = 0; i < 2; i++) {
        wasm_store *s = wasm_store_new(NULL);
        wasm_result r;
        wasm_instance *in = wasm_instantiate(s, m, NULL, &r);
        CHECK(in == NULL);
        CHECK_INT(r.kind, WASM_TRAP);
        CHECK(strstr(r.message, "out of bounds memory access") != NULL);
        wasm_store_free(s);
    }
    CHECK_INT(count_maps("wasm-memory-image"), 0);
    wasm_module_free(m);
}

/* An offset read from an imported global is known only at instantiation:
 * no image, and each instance gets the segment at its own offset. */
static void test_imported_global_offset_copies(void)
{
    wasm_module *m = load(imported_wasm, sizeof imported_wasm);
    if (!m)
        return;
    int32_t offsets[] = {0, 4095, 4096, 65534};
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        wasm_store *s = wasm_store_new(NULL);
        wasm_linker *l = wasm_linker_new();
        wasm_val v = {.i32 = offsets[i]};
        wasm_extern g = {.kind = WASM_EXTERN_GLOBAL, .of.global = wasm_global_new(s, WASM_I32, false, v)};
        wasm_linker_define(l, "env", "off", g);
        wasm_result r;
        wasm_instance *in = wasm_instantiate(s, m, l, &r);
        CHECK(in != NULL);
        if (in) {
            CHECK_INT(count_maps("wasm-memory-image"), 0);
            CHECK_INT(load8(s, in, offsets[i]), 'h');
            CHECK_INT(load8(s, in, offsets[i] + 1), 'i');
            if (offsets[i] > 0)
                CHECK_INT(load8(s, in, offsets[i] - 1), 0);
        }
        wasm_linker_free(l);
        wasm_store_free(s);
    }
    wasm_module_free(m);
}

/* Many instantiations leave no mapping and no descriptor behind; the
 * module holds one memfd, closed when it dies. */
static void test_no_leaked_mappings_or_descriptors(void)
{
    int fds0 = count_fds();
    wasm_module *m = load(image_wasm, sizeof image_wasm);
    if (!m)
        return;
    CHECK_INT(count_fds(), fds0 + 1);
    for (int warm = 0; warm < 20; warm++) {
        wasm_store *s = wasm_store_new(NULL);
        wasm_instance *in = wasm_instantiate(s, m, NULL, NULL);
        CHECK(in != NULL);
        wasm_store_free(s);
    }
    int maps0 = count_maps(NULL);
    for (int i = 0; i < 2000; i++) {
        wasm_store *s = wasm_store_new(NULL);
        wasm_result r;
        wasm_instance *in = wasm_instantiate(s, m, NULL, &r);
        CHECK(in != NULL);
        if (in && i % 500 == 0) {
            check_initial(s, in);
            call(s, in, "store8", 2, 65535, i, &r);
        }
        wasm_store_free(s);
    }
    int maps1 = count_maps(NULL);
    /* an allocator may map a few arenas; a leak would be 2000 or more */
    CHECK(maps1 - maps0 < 20);
    CHECK_INT(count_fds(), fds0 + 1);
    CHECK_INT(count_maps("wasm-memory-image"), 0);
    wasm_module_free(m);
    CHECK_INT(count_fds(), fds0);
}

/* WASM_MEMORY_IMAGES=0 turns images off: the copy path gives the same
 * memory. */
static void test_images_can_be_turned_off(void)
{
    setenv("WASM_MEMORY_IMAGES", "0", 1);
    int fds0 = count_fds();
    wasm_module *m = load(image_wasm, sizeof image_wasm);
    unsetenv("WASM_MEMORY_IMAGES");
    if (!m)
        return;
    CHECK_INT(count_fds(), fds0);
    wasm_store *s = wasm_store_new(NULL);
    wasm_instance *in = wasm_instantiate(s, m, NULL, NULL);
    CHECK(in != NULL);
    CHECK_INT(count_maps("wasm-memory-image"), 0);
    if (in)
        check_initial(s, in);
    wasm_store_free(s);
    wasm_module_free(m);
}

/* A store's memory reservation outlives it in the thread's pool and comes
 * back to the next store reset: initial contents, initial size. */
static void test_pool_reuses_reset_reservations(void)
{
    setenv("WASM_POOL_SIZE", "4", 1);
    wasm_module *m = load(image_wasm, sizeof image_wasm);
    if (!m)
        return;
    wasm_result r;
    wasm_store *s1 = wasm_store_new(NULL);
    wasm_instance *a = wasm_instantiate(s1, m, NULL, &r);
    CHECK(a != NULL);
    if (!a)
        return;
    uint8_t *base = wasm_memory_data(wasm_instance_memory(a, "mem"));
    call(s1, a, "store8", 2, 0, 99, &r);
    call(s1, a, "store8", 2, 70001, 98, &r);
    call(s1, a, "store8", 2, 100000, 97, &r);
    CHECK_INT(call(s1, a, "grow", 1, 1, 0, &r), 2);
    call(s1, a, "store8", 2, 2 * 65536 + 1, 96, &r);
    wasm_store_free(s1);
    CHECK(mapped_at(base)); /* kept, not unmapped */

    wasm_store *s2 = wasm_store_new(NULL);
    wasm_instance *b = wasm_instantiate(s2, m, NULL, &r);
    CHECK(b != NULL);
    if (b) {
        CHECK(wasm_memory_data(wasm_instance_memory(b, "mem")) == base);
        check_initial(s2, b);
        call(s2, b, "load8", 1, 2 * 65536 + 1, 0, &r); /* the old growth is gone */
        CHECK_INT(r.kind, WASM_TRAP);
    }
    setenv("WASM_POOL_SIZE", "0", 1);
    wasm_store_free(s2);
    CHECK(!mapped_at(base)); /* pooling off: unmapped */
    setenv("WASM_POOL_SIZE", "4", 1);
    wasm_module_free(m);
    unsetenv("WASM_POOL_SIZE");
}

static wasm_module *load_file(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", WASM_DIR, name);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f)
        return NULL;
    static uint8_t buf[1 << 16];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return load(buf, len);
}

/* One instance of pooled.wat dirties its table (an element set, growth),
 * its global; the next store's instance takes the pooled blocks back (its
 * functions sit where the first one's did, while a block of the same size
 * malloc'd in between did not get them) and sees the module's initial
 * state only. */
static void test_pool_gives_fresh_tables_and_functions(void)
{
    setenv("WASM_POOL_SIZE", "4", 1);
    wasm_module *m = load_file("engine_pooled.wasm");
    if (!m)
        return;
    wasm_result r;
    wasm_store *s1 = wasm_store_new(NULL);
    wasm_instance *a = wasm_instantiate(s1, m, NULL, &r);
    CHECK(a != NULL);
    if (!a)
        return;
    wasm_func *put_a = wasm_instance_func(a, "put");
    call(s1, a, "put", 1, 3000, 0, &r);
    CHECK_INT(call(s1, a, "call_at", 1, 3000, 0, &r), 101);
    CHECK_INT(call(s1, a, "grow", 1, 10, 0, &r), 4096);
    call(s1, a, "put", 1, 4100, 0, &r);
    CHECK_INT(call(s1, a, "bump", 0, 0, 0, &r), 8);
    wasm_store_free(s1);
    /* what malloc would hand out next at the sizes of the blocks */
    void *decoys[8];
    for (size_t i = 0; i < 8; i++)
        decoys[i] = malloc(4096 * sizeof(void *));

    wasm_store *s2 = wasm_store_new(NULL);
    wasm_instance *b = wasm_instantiate(s2, m, NULL, &r);
    CHECK(b != NULL);
    if (b) {
        CHECK(wasm_instance_func(b, "put") == put_a); /* the pooled records */
        CHECK_INT(call(s2, b, "size", 0, 0, 0, &r), 4096);
        CHECK_INT(call(s2, b, "is_null", 1, 3000, 0, &r), 1);
        CHECK_INT(call(s2, b, "is_null", 1, 4095, 0, &r), 1);
        CHECK_INT(call(s2, b, "is_null", 1, 0, 0, &r), 1);
        CHECK_INT(call(s2, b, "call_at", 1, 10, 0, &r), 100);
        CHECK_INT(call(s2, b, "call_at", 1, 11, 0, &r), 101);
        call(s2, b, "call_at", 1, 3000, 0, &r);
        CHECK_INT(r.kind, WASM_TRAP);
        CHECK_INT(call(s2, b, "bump", 0, 0, 0, &r), 8);
    }
    wasm_store_free(s2);
    for (size_t i = 0; i < 8; i++)
        free(decoys[i]);
    wasm_module_free(m);
    unsetenv("WASM_POOL_SIZE");
}

static void *instantiate_on_a_thread(void *arg)
{
    wasm_module *m = arg;
    wasm_store *s = wasm_store_new(NULL);
    wasm_instance *in = wasm_instantiate(s, m, NULL, NULL);
    void *base = in ? wasm_memory_data(wasm_instance_memory(in, "mem")) : NULL;
    if (in)
        check_initial(s, in);
    wasm_store_free(s);
    CHECK(base && mapped_at(base));
    return base;
}

/* A thread's pool is unmapped when the thread ends. */
static void test_pool_ends_with_its_thread(void)
{
    wasm_module *m = load(image_wasm, sizeof image_wasm);
    if (!m)
        return;
    pthread_t t;
    void *base = NULL;
    CHECK_INT(pthread_create(&t, NULL, instantiate_on_a_thread, m), 0);
    pthread_join(t, &base);
    CHECK(base != NULL);
    CHECK(!mapped_at(base));
    wasm_module_free(m);
}

int main(void)
{
    RUN(test_instances_see_the_initial_memory);
    RUN(test_bulk_memory_after_instantiation);
    RUN(test_segment_out_of_bounds_still_traps);
    RUN(test_imported_global_offset_copies);
    RUN(test_no_leaked_mappings_or_descriptors);
    RUN(test_images_can_be_turned_off);
    RUN(test_pool_reuses_reset_reservations);
    RUN(test_pool_ends_with_its_thread);
    RUN(test_pool_gives_fresh_tables_and_functions);
    return TEST_SUMMARY();
}
