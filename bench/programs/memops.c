/* memops.c - memory copy and fill of large buffers (bulk memory in Wasm). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 2000;
    size_t len = 4 << 20;
    uint8_t *a = malloc(len), *b = malloc(len);
    uint64_t sum = 0;
    for (int r = 0; r < rounds; r++) {
        memset(a, r & 0xff, len);
        memcpy(b, a, len - (size_t)(r % 64));
        memmove(b + 1, b, len / 2);
        sum += b[(size_t)r * 4099 % len] + a[len - 1 - (size_t)r % 1000];
    }
    printf("memops %d sum %llu\n", rounds, (unsigned long long)sum);
    free(a); free(b);
    return 0;
}
