/*
 * chaos.c - calls every preview 1 function (except proc_exit) thousands of
 * times with pseudo-random arguments: fds that exist and do not, flag and
 * rights bits in and out of range, and pointers that are valid (inside a
 * scratch buffer), straddle the end of memory or lie far beyond it.  The
 * host must answer each call with an errno; the test checks the program
 * reaches its end (exit status 0) with the host alive, and run under
 * ASan/UBSan it shows the host never touched memory it should not.
 *
 * Valid pointers only ever point into `scratch`, so whatever the host
 * writes cannot corrupt the program itself.  Clock subscriptions get tiny
 * timeouts so poll_oneoff never sleeps long.
 *
 * usage: chaos [ITERATIONS [SEED]]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))
typedef int32_t i32;
typedef int64_t i64;

IMPORT(args_get) i32 w_args_get(i32, i32);
IMPORT(args_sizes_get) i32 w_args_sizes_get(i32, i32);
IMPORT(environ_get) i32 w_environ_get(i32, i32);
IMPORT(environ_sizes_get) i32 w_environ_sizes_get(i32, i32);
IMPORT(clock_res_get) i32 w_clock_res_get(i32, i32);
IMPORT(clock_time_get) i32 w_clock_time_get(i32, i64, i32);
IMPORT(fd_advise) i32 w_fd_advise(i32, i64, i64, i32);
IMPORT(fd_allocate) i32 w_fd_allocate(i32, i64, i64);
IMPORT(fd_close) i32 w_fd_close(i32);
IMPORT(fd_datasync) i32 w_fd_datasync(i32);
IMPORT(fd_fdstat_get) i32 w_fd_fdstat_get(i32, i32);
IMPORT(fd_fdstat_set_flags) i32 w_fd_fdstat_set_flags(i32, i32);
IMPORT(fd_fdstat_set_rights) i32 w_fd_fdstat_set_rights(i32, i64, i64);
IMPORT(fd_filestat_get) i32 w_fd_filestat_get(i32, i32);
IMPORT(fd_filestat_set_size) i32 w_fd_filestat_set_size(i32, i64);
IMPORT(fd_filestat_set_times) i32 w_fd_filestat_set_times(i32, i64, i64, i32);
IMPORT(fd_pread) i32 w_fd_pread(i32, i32, i32, i64, i32);
IMPORT(fd_prestat_get) i32 w_fd_prestat_get(i32, i32);
IMPORT(fd_prestat_dir_name) i32 w_fd_prestat_dir_name(i32, i32, i32);
IMPORT(fd_pwrite) i32 w_fd_pwrite(i32, i32, i32, i64, i32);
IMPORT(fd_read) i32 w_fd_read(i32, i32, i32, i32);
IMPORT(fd_readdir) i32 w_fd_readdir(i32, i32, i32, i64, i32);
IMPORT(fd_renumber) i32 w_fd_renumber(i32, i32);
IMPORT(fd_seek) i32 w_fd_seek(i32, i64, i32, i32);
IMPORT(fd_sync) i32 w_fd_sync(i32);
IMPORT(fd_tell) i32 w_fd_tell(i32, i32);
IMPORT(fd_write) i32 w_fd_write(i32, i32, i32, i32);
IMPORT(path_create_directory) i32 w_path_create_directory(i32, i32, i32);
IMPORT(path_filestat_get) i32 w_path_filestat_get(i32, i32, i32, i32, i32);
IMPORT(path_filestat_set_times) i32 w_path_filestat_set_times(i32, i32, i32, i32, i64, i64, i32);
IMPORT(path_link) i32 w_path_link(i32, i32, i32, i32, i32, i32, i32);
IMPORT(path_open) i32 w_path_open(i32, i32, i32, i32, i32, i64, i64, i32, i32);
IMPORT(path_readlink) i32 w_path_readlink(i32, i32, i32, i32, i32, i32);
IMPORT(path_remove_directory) i32 w_path_remove_directory(i32, i32, i32);
IMPORT(path_rename) i32 w_path_rename(i32, i32, i32, i32, i32, i32);
IMPORT(path_symlink) i32 w_path_symlink(i32, i32, i32, i32, i32);
IMPORT(path_unlink_file) i32 w_path_unlink_file(i32, i32, i32);
IMPORT(poll_oneoff) i32 w_poll_oneoff(i32, i32, i32, i32);
IMPORT(proc_raise) i32 w_proc_raise(i32);
IMPORT(random_get) i32 w_random_get(i32, i32);
IMPORT(sched_yield) i32 w_sched_yield(void);
IMPORT(sock_accept) i32 w_sock_accept(i32, i32, i32);
IMPORT(sock_recv) i32 w_sock_recv(i32, i32, i32, i32, i32, i32);
IMPORT(sock_send) i32 w_sock_send(i32, i32, i32, i32, i32);
IMPORT(sock_shutdown) i32 w_sock_shutdown(i32, i32);

#define SCRATCH 65536
static uint8_t scratch[SCRATCH];
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t mem_end;
static long succeeded;
/* Counts calls the host answered with success (0). */
#define OK succeeded += 0 ==

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint32_t below(uint32_t n)
{
    return (uint32_t)(next() % n);
}

/* A (pointer, length) pair: mostly valid, sometimes out of bounds. */
static void region(i32 *ptr, i32 *len, uint32_t maxlen)
{
    uint32_t l = below(maxlen + 1);
    switch (below(8)) {
    case 0: /* beyond the end of memory */
        *ptr = (i32)(mem_end + below(1u << 20));
        *len = (i32)l;
        return;
    case 1: /* straddling the end */
        *ptr = (i32)(mem_end - below(16));
        *len = (i32)(l + 16);
        return;
    case 2: /* wrapping around 4 GiB */
        *ptr = (i32)(0xFFFFFFFFu - below(64));
        *len = (i32)(l + 64);
        return;
    default: {
        if (l > SCRATCH)
            l = SCRATCH;
        uint32_t off = below(SCRATCH - l + 1);
        *ptr = (i32)(uintptr_t)(scratch + off);
        *len = (i32)l;
        return;
    }
    }
}

static i32 ptr_for(uint32_t size)
{
    i32 p, l;
    region(&p, &l, size);
    if (below(4) != 0) { /* valid and big enough */
        p = (i32)(uintptr_t)(scratch + below(SCRATCH - size));
    }
    return p;
}

/* A fresh set of guest iovecs in scratch pointing into scratch. */
static void iovs(i32 *ptr, i32 *n)
{
    uint32_t count = below(5);
    uint32_t base = below(1024) & ~7u;
    uint8_t *a = scratch + base;
    for (uint32_t i = 0; i < count; i++) {
        i32 p, l;
        region(&p, &l, 512);
        if (below(3) != 0) { /* keep most buffers in the upper part of scratch */
            p = (i32)(uintptr_t)(scratch + 8192 + below(SCRATCH - 8192 - 512));
            l = (i32)below(512);
        }
        memcpy(a + 8 * i, &p, 4);
        memcpy(a + 8 * i + 4, &l, 4);
    }
    *ptr = below(8) == 0 ? (i32)(mem_end - 4) : (i32)(uintptr_t)a;
    *n = (i32)(below(16) == 0 ? 0x7FFFFFFF : count);
}

/* Path-like bytes so path functions get past their first checks. */
static void path(i32 *ptr, i32 *len)
{
    static const char alphabet[] = "ab./";
    uint32_t off = 16384 + below(1024), l = below(12);
    for (uint32_t i = 0; i < l; i++)
        scratch[off + i] = (uint8_t)alphabet[below(4)];
    if (below(32) == 0)
        scratch[off + below(l + 1)] = 0;
    *ptr = (i32)(uintptr_t)(scratch + off);
    *len = (i32)l;
    if (below(10) == 0)
        region(ptr, len, 64);
}

static i32 fd(void)
{
    switch (below(10)) {
    case 0: return (i32)next();
    case 1: return -1;
    default: return (i32)below(10);
    }
}

/* Any fd but stdio, for calls that change a descriptor or its file (the
 * program's own output must survive to print the final line). */
static i32 fd_nostdio(void)
{
    i32 f = fd();
    return (f >= 0 && f <= 2) ? 3 + (i32)below(7) : f;
}

static i64 r64(void)
{
    switch (below(4)) {
    case 0: return (i64)next();
    case 1: return (i64)below(4096);
    case 2: return -1;
    default: return 0;
    }
}

static void poll_call(void)
{
    /* subscriptions with small clock timeouts and random fds */
    uint32_t n = below(4);
    uint8_t *subs = scratch + 32768;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *s = subs + 48 * i;
        memset(s, 0, 48);
        s[8] = (uint8_t)below(4);
        if (s[8] == 0) {
            uint32_t id = below(5);
            uint64_t timeout = below(100000); /* < 0.1 ms */
            uint16_t flags = (uint16_t)below(2);
            if (flags)
                timeout = 0; /* absolute 0: already due */
            memcpy(s + 16, &id, 4);
            memcpy(s + 24, &timeout, 8);
            memcpy(s + 40, &flags, 2);
        } else {
            i32 f = fd_nostdio(); /* stdin could block */
            memcpy(s + 16, &f, 4);
        }
    }
    /* no subscription that could block forever: add a due clock */
    uint8_t *s = subs + 48 * n;
    memset(s, 0, 48);
    uint32_t id = 1;
    memcpy(s + 16, &id, 4);
    n++;
    i32 out = below(8) == 0 ? (i32)mem_end : (i32)(uintptr_t)(scratch + 40960);
    OK w_poll_oneoff(below(16) == 0 ? (i32)mem_end : (i32)(uintptr_t)subs, out, (i32)n,
                  ptr_for(4));
}

int main(int argc, char **argv)
{
    long iterations = argc > 1 ? atol(argv[1]) : 20000;
    if (argc > 2)
        rng ^= (uint64_t)atol(argv[2]) * 0x2545F4914F6CDD1Dull;
    mem_end = (uint32_t)(__builtin_wasm_memory_size(0) * 65536);
    long calls = 0;
    for (long it = 0; it < iterations; it++) {
        i32 a, b, c, d;
        uint32_t which = below(45);
        calls++;
        switch (which) {
        case 0: OK w_args_get(ptr_for(64), ptr_for(256)); break;
        case 1: OK w_args_sizes_get(ptr_for(4), ptr_for(4)); break;
        case 2: OK w_environ_get(ptr_for(64), ptr_for(256)); break;
        case 3: OK w_environ_sizes_get(ptr_for(4), ptr_for(4)); break;
        case 4: OK w_clock_res_get((i32)below(6), ptr_for(8)); break;
        case 5: OK w_clock_time_get((i32)below(6), r64(), ptr_for(8)); break;
        case 6: OK w_fd_advise(fd(), r64(), r64(), (i32)below(8)); break;
        case 7: OK w_fd_allocate(fd_nostdio(), r64() & 0xFFFF, r64() & 0xFFFF); break;
        case 8: OK w_fd_close(4 + (i32)below(6)); break; /* keep the preopen */
        case 9: OK w_fd_datasync(fd()); break;
        case 10: OK w_fd_fdstat_get(fd(), ptr_for(24)); break;
        case 11: OK w_fd_fdstat_set_flags(fd_nostdio(), (i32)below(64)); break;
        case 12: OK w_fd_fdstat_set_rights(fd_nostdio(), r64(), r64()); break;
        case 13: OK w_fd_filestat_get(fd(), ptr_for(64)); break;
        case 14: OK w_fd_filestat_set_size(fd_nostdio(), r64() & 0xFFFF); break;
        case 15: OK w_fd_filestat_set_times(fd_nostdio(), r64(), r64(), (i32)below(32)); break;
        case 16: iovs(&a, &b); OK w_fd_pread(fd_nostdio(), a, b, r64(), ptr_for(4)); break;
        case 17: OK w_fd_prestat_get(fd(), ptr_for(8)); break;
        case 18: region(&a, &b, 64); OK w_fd_prestat_dir_name(fd(), a, b); break;
        case 19: iovs(&a, &b); OK w_fd_pwrite(fd_nostdio(), a, b, r64() & 0xFFFF, ptr_for(4)); break;
        case 20: iovs(&a, &b); OK w_fd_read(fd_nostdio(), a, b, ptr_for(4)); break;
        case 21: region(&a, &b, 2048); OK w_fd_readdir(fd(), a, b, r64(), ptr_for(4)); break;
        case 22: OK w_fd_renumber(4 + (i32)below(6), 4 + (i32)below(6)); break;
        case 23: OK w_fd_seek(fd_nostdio(), r64(), (i32)below(4), ptr_for(8)); break;
        case 24: OK w_fd_sync(fd()); break;
        case 25: OK w_fd_tell(fd(), ptr_for(8)); break;
        case 26: iovs(&a, &b); OK w_fd_write(fd_nostdio(), a, b, ptr_for(4)); break;
        case 27: path(&a, &b); OK w_path_create_directory(fd(), a, b); break;
        case 28: path(&a, &b); OK w_path_filestat_get(fd(), (i32)below(3), a, b, ptr_for(64)); break;
        case 29: path(&a, &b); OK w_path_filestat_set_times(fd(), (i32)below(3), a, b, r64(), r64(), (i32)below(32)); break;
        case 30: path(&a, &b); path(&c, &d); OK w_path_link(fd(), (i32)below(3), a, b, fd(), c, d); break;
        case 31:
            path(&a, &b);
            OK w_path_open(fd(), (i32)below(3), a, b, (i32)below(32), r64(), r64(),
                        (i32)below(64), ptr_for(4));
            break;
        case 32: path(&a, &b); region(&c, &d, 256); OK w_path_readlink(fd(), a, b, c, d, ptr_for(4)); break;
        case 33: path(&a, &b); OK w_path_remove_directory(fd(), a, b); break;
        case 34: path(&a, &b); path(&c, &d); OK w_path_rename(fd(), a, b, fd(), c, d); break;
        case 35: path(&a, &b); path(&c, &d); OK w_path_symlink(a, b, fd(), c, d); break;
        case 36: path(&a, &b); OK w_path_unlink_file(fd(), a, b); break;
        case 37: poll_call(); break;
        case 38: OK w_proc_raise((i32)below(40)); break;
        case 39: region(&a, &b, 4096); OK w_random_get(a, b); break;
        case 40: OK w_sched_yield(); break;
        case 41: OK w_sock_accept(fd(), (i32)below(8), ptr_for(4)); break;
        case 42: iovs(&a, &b); OK w_sock_recv(fd_nostdio(), a, b, (i32)below(4), ptr_for(4), ptr_for(2)); break;
        case 43: iovs(&a, &b); OK w_sock_send(fd_nostdio(), a, b, (i32)below(2), ptr_for(4)); break;
        case 44: OK w_sock_shutdown(fd_nostdio(), (i32)below(5)); break;
        }
    }
    printf("chaos: %ld calls, %ld succeeded, host still answering\n", calls, succeeded);
    return 0;
}
