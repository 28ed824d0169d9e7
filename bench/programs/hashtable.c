/* hashtable.c - a hash table with open addressing: inserts, lookups, deletes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct { uint32_t key, value; } slot;

static uint32_t hash(uint32_t x)
{
    x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16;
    return x;
}

int main(int argc, char **argv)
{
    uint32_t n = argc > 1 ? (uint32_t)atoi(argv[1]) : 2000000;
    uint32_t cap = 1;
    while (cap < n * 2)
        cap <<= 1;
    slot *t = calloc(cap, sizeof(slot));
    uint64_t found = 0;
    for (int round = 0; round < 4; round++) {
        for (uint32_t i = 1; i <= n; i++) {
            uint32_t k = hash(i + (uint32_t)round * n) | 1, h = hash(k) & (cap - 1);
            while (t[h].key != 0 && t[h].key != k)
                h = (h + 1) & (cap - 1);
            t[h].key = k;
            t[h].value = i;
        }
        for (uint32_t i = 1; i <= n; i++) {
            uint32_t k = hash(i * 3 + (uint32_t)round * n) | 1, h = hash(k) & (cap - 1);
            while (t[h].key != 0) {
                if (t[h].key == k) { found += t[h].value; break; }
                h = (h + 1) & (cap - 1);
            }
        }
        for (uint32_t i = 0; i < cap; i++)
            t[i].key = 0;
    }
    printf("hashtable %u found %llu\n", n, (unsigned long long)found);
    free(t);
    return 0;
}
