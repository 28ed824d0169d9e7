/* A command-trigger guest (built as a preview-1 module and, wrapped by
 * jco new --wasi-command, as a WASI 0.2 command component): prints its
 * argv, the manifest's WHO and its whole stdin (read to EOF: the lines
 * joined by '|' and the byte count), then acts on its
 * last argument: "exit=N" exits with N, "trap" traps, "spin" loops for
 * ever (a stop must interrupt it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    printf("argc=%d", argc);
    for (int i = 0; i < argc; i++)
        printf(" [%s]", argv[i]);
    const char *who = getenv("WHO");
    printf("\nwho=%s\n", who ? who : "(unset)");
    const char *last = argc > 1 ? argv[argc - 1] : "";
    if (strcmp(last, "spin") == 0) {
        fflush(stdout);
        for (volatile unsigned long i = 0;; i++) {
        }
    }
    /* Everything up to EOF: a container's stdin must reach it once the
     * client has closed its end. */
    printf("stdin=");
    size_t bytes = 0;
    int ch;
    while ((ch = getchar()) != EOF) {
        bytes++;
        putchar(ch == '\n' ? '|' : ch);
    }
    printf(" bytes=%zu\n", bytes);
    fflush(stdout);
    if (strcmp(last, "trap") == 0)
        __builtin_trap();
    if (strncmp(last, "exit=", 5) == 0)
        return atoi(last + 5);
    return 0;
}
