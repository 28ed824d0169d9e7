/* A Wagi program that tests/spin/CMakeLists.txt turns into a WASI 0.2
 * command component (jco new --wasi-command): it answers with what it got
 * as argv, QUERY_STRING, an env entry of the manifest and stdin (the
 * request body), exits with 3 when the query is "fail" and writes 300 MiB
 * when it is "flood" (saying on stderr how many MiB the host took). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *q = getenv("QUERY_STRING");
    if (q && strcmp(q, "fail") == 0)
        return 3;
    if (q && strcmp(q, "flood") == 0) { /* 300 MiB, past the host's 256 MiB */
        static char block[1 << 20];
        memset(block, 'x', sizeof block);
        printf("Content-Type: text/plain\n\n");
        int written = 0;
        for (int i = 0; i < 300; i++)
            written += fwrite(block, 1, sizeof block, stdout) == sizeof block;
        fprintf(stderr, "flood: %d MiB written\n", written);
        return 0;
    }
    printf("Content-Type: text/plain\n\n");
    printf("argc=%d", argc);
    for (int i = 0; i < argc; i++)
        printf(" [%s]", argv[i]);
    const char *who = getenv("WHO");
    printf("\nquery=%s who=%s\n", q ? q : "(unset)", who ? who : "(unset)");
    char buf[4096];
    size_t n;
    printf("stdin=");
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
        fwrite(buf, 1, n, stdout);
    printf("\n");
    return 0;
}
