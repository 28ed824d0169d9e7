/*
 * legacy.c - calls the `wasi_unstable` (snapshot 0) functions whose ABI
 * differs from preview 1 and prints what came back, so the test can check
 * the host adapts them: fd_seek's whence numbering (CUR=0, END=1, SET=2),
 * the 56-byte filestat with a 32-bit nlink, and the clock subscription
 * with its extra identifier field.  Expects a preopen (fd 3) holding
 * "ten.txt" with 10 bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#define OLD(name) __attribute__((import_module("wasi_unstable"), import_name(#name)))
OLD(fd_write) int32_t old_fd_write(int32_t, int32_t, int32_t, int32_t);
OLD(fd_seek) int32_t old_fd_seek(int32_t, int64_t, int32_t, int32_t);
OLD(fd_filestat_get) int32_t old_fd_filestat_get(int32_t, int32_t);
OLD(path_filestat_get) int32_t old_path_filestat_get(int32_t, int32_t, int32_t, int32_t, int32_t);
OLD(poll_oneoff) int32_t old_poll_oneoff(int32_t, int32_t, int32_t, int32_t);

int main(void)
{
    static const char msg[] = "legacy fd_write\n";
    uint32_t iov[2] = {(uint32_t)(uintptr_t)msg, sizeof(msg) - 1};
    uint32_t n = 0;
    int e = old_fd_write(1, (int32_t)(uintptr_t)iov, 1, (int32_t)(uintptr_t)&n);
    printf("write = %d %u\n", e, (unsigned)n);

    __wasi_fd_t fd;
    e = __wasi_path_open(3, 0, "ten.txt", 0, __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL |
                         __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_FILESTAT_GET, 0, 0, &fd);
    printf("open = %d\n", e);
    uint64_t pos = 99;
    e = old_fd_seek((int32_t)fd, 3, 2, (int32_t)(uintptr_t)&pos); /* SET */
    printf("seek set 3 = %d %llu\n", e, (unsigned long long)pos);
    e = old_fd_seek((int32_t)fd, 1, 0, (int32_t)(uintptr_t)&pos); /* CUR */
    printf("seek cur 1 = %d %llu\n", e, (unsigned long long)pos);
    e = old_fd_seek((int32_t)fd, -2, 1, (int32_t)(uintptr_t)&pos); /* END */
    printf("seek end -2 = %d %llu\n", e, (unsigned long long)pos);
    e = old_fd_seek((int32_t)fd, 0, 3, (int32_t)(uintptr_t)&pos);
    printf("seek bad whence = %d\n", e);

    /* 56 bytes: dev, ino, filetype@16, nlink u32@20, size@24, atim, mtim, ctim */
    uint8_t st[56 + 8];
    memset(st, 0xAA, sizeof(st));
    e = old_fd_filestat_get((int32_t)fd, (int32_t)(uintptr_t)st);
    uint32_t nlink;
    uint64_t size;
    memcpy(&nlink, st + 20, 4);
    memcpy(&size, st + 24, 8);
    printf("fd_filestat = %d type=%d nlink=%u size=%llu after=%02x\n", e, st[16],
           (unsigned)nlink, (unsigned long long)size, st[56]);
    memset(st, 0xAA, sizeof(st));
    e = old_path_filestat_get(3, 0, (int32_t)(uintptr_t) "ten.txt", 7, (int32_t)(uintptr_t)st);
    memcpy(&size, st + 24, 8);
    printf("path_filestat = %d type=%d size=%llu after=%02x\n", e, st[16],
           (unsigned long long)size, st[56]);

    /* 56-byte subscription: userdata, tag@8, identifier@16, clock id@24,
     * timeout@32, precision@40, flags@48 */
    uint8_t sub[56];
    memset(sub, 0, sizeof(sub));
    uint64_t ud = 0xBEEF, timeout = 1000000;
    uint32_t id = 1;
    memcpy(sub, &ud, 8);
    memcpy(sub + 24, &id, 4);
    memcpy(sub + 32, &timeout, 8);
    uint8_t ev[32];
    memset(ev, 0, sizeof(ev));
    e = old_poll_oneoff((int32_t)(uintptr_t)sub, (int32_t)(uintptr_t)ev, 1,
                        (int32_t)(uintptr_t)&n);
    uint64_t got;
    memcpy(&got, ev, 8);
    printf("poll = %d n=%u userdata=%llx type=%d\n", e, (unsigned)n, (unsigned long long)got,
           ev[10]);
    return 0;
}
