/*
 * badptr.c - hands WASI functions pointers outside linear memory (and
 * ranges that run past its end) and prints the errno each returns, so the
 * test can check the host answers `fault` (21) instead of crashing or
 * writing anywhere.  The last line proves the program kept running.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

/* Declared by hand: wasi-libc's wrapper would strlen() the bad pointer. */
int32_t raw_path_open(int32_t, int32_t, int32_t, int32_t, int32_t, int64_t, int64_t, int32_t,
                      int32_t) __attribute__((import_module("wasi_snapshot_preview1"),
                                              import_name("path_open")));

/* Past any memory this small program has (it never grows to 4 GiB). */
#define FAR ((uintptr_t)0xFFFFFFF0u)

int main(void)
{
    size_t mem_end = __builtin_wasm_memory_size(0) * 65536;
    __wasi_size_t n;
    __wasi_ciovec_t bad_iov = {(const uint8_t *)FAR, 64};
    __wasi_ciovec_t edge_iov = {(const uint8_t *)(mem_end - 4), 8};
    printf("fd_write iovs %d\n", __wasi_fd_write(1, (const __wasi_ciovec_t *)FAR, 1, &n));
    printf("fd_write buf %d\n", __wasi_fd_write(1, &bad_iov, 1, &n));
    printf("fd_write edge %d\n", __wasi_fd_write(1, &edge_iov, 1, &n));
    printf("fd_write nwritten %d\n",
           __wasi_fd_write(1, &edge_iov, 0, (__wasi_size_t *)(mem_end - 2)));
    printf("random_get %d\n", __wasi_random_get((uint8_t *)(mem_end - 8), 16));
    printf("args_sizes_get %d\n",
           __wasi_args_sizes_get((__wasi_size_t *)FAR, (__wasi_size_t *)FAR));
    printf("clock_time_get %d\n",
           __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, (__wasi_timestamp_t *)FAR));
    printf("fd_fdstat_get %d\n", __wasi_fd_fdstat_get(1, (__wasi_fdstat_t *)FAR));
    printf("fd_prestat_get %d\n", __wasi_fd_prestat_get(3, (__wasi_prestat_t *)FAR));
    __wasi_fd_t fd;
    printf("path_open path %d\n", raw_path_open(3, 0, (int32_t)FAR, 8, 0, 0, 0, 0, (int32_t)&fd));
    printf("path_open fd %d\n", raw_path_open(3, 0, (int32_t)(uintptr_t)".", 1, 0, 0, 0, 0,
                                              (int32_t)(mem_end - 2)));
    __wasi_event_t ev;
    printf("poll_oneoff %d\n",
           __wasi_poll_oneoff((const __wasi_subscription_t *)FAR, &ev, 1, &n));
    printf("clock_time_get bad clock %d\n", __wasi_clock_time_get(99, 1, (__wasi_timestamp_t *)&ev));
    printf("fd_close bad fd %d\n", __wasi_fd_close(1234));
    printf("still running\n");
    return 0;
}
