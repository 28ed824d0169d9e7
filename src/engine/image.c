/*
 * image.c - copy-on-write images of a module's initial linear memory.
 *
 * Spin instantiates a module once per request.  Copying the active data
 * segments into every new memory costs time in proportion to the
 * initialised bytes (a pre-initialised JS engine has megabytes of them) and
 * touches every one of those pages.  Instead, when the module is loaded,
 * its initial memory (active segments applied in module order, zero
 * elsewhere) is written once into a sealed memfd, the "image", and every
 * instance maps that file MAP_PRIVATE | MAP_FIXED over the start of its
 * reservation (memory.c).  The kernel then shares the image's pages between
 * all instances and copies a page only when an instance writes to it.
 *
 * Why a memfd: a private file mapping is the only way to get copy-on-write
 * sharing of arbitrary contents between mappings; a memfd needs no file
 * system, is freed with its last reference, and can be sealed so that no
 * one (not even us, by mistake) changes an image that live instances map.
 *
 * The image is only an optimisation of the copy, so a module gets one only
 * when mapping it is indistinguishable from copying:
 *   - exactly one memory, defined (not imported) by the module: an imported
 *     memory's contents and size are not known at load;
 *   - every active data segment targets that memory with an offset computed
 *     from constants alone (i32.const and extended-const arithmetic; an
 *     offset reading an imported global is known only at instantiation);
 *   - every active segment fits in the memory's initial size, so no segment
 *     can trap (a trapping module takes the copy path and traps as before).
 * Passive segments are not in the image: memory.init copies them later as
 * before.  Anything else, or any failure to build the image (memfd_create
 * refused by a sandbox, no memory), silently leaves the copy path.
 * WASM_MEMORY_IMAGES=0 in the environment turns images off (for comparing
 * both paths, e.g. in benchmarks).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "leb128.h"
#include "module.h"
#include "runtime.h"

#define WASM_PAGE 65536ull

/* Evaluates an i32 constant expression that uses no global.get; returns
 * false for anything else (the offset then depends on an import). */
static bool const_offset(const uint8_t *p, uint32_t *out)
{
    uint32_t st[64];
    size_t sp = 0;
    for (;;) {
        uint8_t op = *p++;
        if (op == 0x0B)
            break;
        if (op == 0x41) {
            if (sp == sizeof st / sizeof st[0])
                return false;
            st[sp++] = (uint32_t)util_leb128_fast_s32(&p);
            continue;
        }
        if (sp < 2 || (op != 0x6A && op != 0x6B && op != 0x6C))
            return false;
        sp--;
        st[sp - 1] = op == 0x6A ? st[sp - 1] + st[sp]
                     : op == 0x6B ? st[sp - 1] - st[sp]
                                  : st[sp - 1] * st[sp];
    }
    if (sp != 1)
        return false;
    *out = st[0];
    return true;
}

/* The number of bytes the image must hold (the end of the highest active
 * segment), or 0 when the module cannot have an image. */
static uint64_t image_extent(const wasm_module *m)
{
    if (m->nmems != 1 || m->mems[0].imported)
        return 0;
    uint64_t initial = m->mems[0].limits.min * WASM_PAGE, end = 0;
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const wm_data *d = &m->datas[i];
        if (d->mode != WM_SEG_ACTIVE)
            continue;
        uint32_t off;
        if (d->memory != 0 || !const_offset(m->bytes + d->offset.start, &off))
            return 0;
        uint64_t seg_end = (uint64_t)off + (d->bytes.end - d->bytes.start);
        if (seg_end > initial)
            return 0;
        if (d->bytes.end > d->bytes.start && seg_end > end)
            end = seg_end;
    }
    return end;
}

static bool images_disabled(void)
{
    const char *v = getenv("WASM_MEMORY_IMAGES");
    return v && strcmp(v, "0") == 0;
}

/* Writes the active segments, in module order, into the shared mapping. */
static void write_segments(const wasm_module *m, uint8_t *dst)
{
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const wm_data *d = &m->datas[i];
        uint32_t off;
        if (d->mode != WM_SEG_ACTIVE || !const_offset(m->bytes + d->offset.start, &off))
            continue;
        memcpy(dst + off, m->bytes + d->bytes.start, d->bytes.end - d->bytes.start);
    }
}

void wasm_wm_image_build(wasm_module *m)
{
    uint64_t extent = image_extent(m);
    if (extent == 0 || images_disabled())
        return;
    long os_page = sysconf(_SC_PAGESIZE);
    size_t len = (size_t)((extent + (uint64_t)os_page - 1) / (uint64_t)os_page * (uint64_t)os_page);
    int fd = memfd_create("wasm-memory-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return;
    if (ftruncate(fd, (off_t)len) < 0)
        goto fail;
    uint8_t *dst = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (dst == MAP_FAILED)
        goto fail;
    write_segments(m, dst);
    munmap(dst, len);
    /* F_SEAL_WRITE fails while a writable shared mapping exists: the
     * munmap above must come first */
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
        goto fail;
    m->image_fd = fd;
    m->image_len = len;
    m->image_applied = util_xcalloc(m->ndatas ? m->ndatas : 1, sizeof(bool));
    for (uint32_t i = 0; i < m->ndatas; i++)
        m->image_applied[i] = m->datas[i].mode == WM_SEG_ACTIVE;
    return;
fail:
    close(fd);
}

void wasm_wm_image_free(wasm_module *m)
{
    if (m->image_len)
        close(m->image_fd);
    m->image_len = 0;
    free(m->image_applied);
    m->image_applied = NULL;
}

const bool *wasm_mv_image_applied(const wasm_module *m)
{
    return m->image_len ? m->image_applied : NULL;
}
