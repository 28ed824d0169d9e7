/*
 * hello.c - a WASI command used by tests and as a first example.
 *
 * It greets, then prints its arguments and environment, and acts on options
 * so one program can exercise the WASI surface a test needs:
 *   --stdin          echo standard input ("stdin: ...")
 *   --read PATH      print a file's content (from a preopened directory)
 *   --write PATH TXT create/overwrite a file with TXT
 *   --sleep MS       sleep (poll_oneoff) before exiting
 *   --loop           run until a signal ends the process
 *   --trap           execute `unreachable`
 *   --exit N         exit with status N
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern char **environ;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int cat_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
        return 1;
    }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        fwrite(buf, 1, n, stdout);
    fclose(f);
    return 0;
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "cannot create %s: %s\n", path, strerror(errno));
        return 1;
    }
    fputs(text, f);
    return fclose(f) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    int exit_code = 0;
    printf("hello from wasm\n");
    for (int i = 0; i < argc; i++)
        printf("arg[%d]=%s\n", i, argv[i]);
    for (char **e = environ; *e; e++)
        printf("env %s\n", *e);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--exit") == 0 && i + 1 < argc) {
            exit_code = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--stdin") == 0) {
            char buf[4096];
            size_t n;
            printf("stdin: ");
            while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
                fwrite(buf, 1, n, stdout);
            printf("\n");
        } else if (strcmp(argv[i], "--read") == 0 && i + 1 < argc) {
            if (cat_file(argv[++i]) != 0)
                exit_code = 1;
        } else if (strcmp(argv[i], "--write") == 0 && i + 2 < argc) {
            if (write_file(argv[i + 1], argv[i + 2]) != 0)
                exit_code = 1;
            i += 2;
        } else if (strcmp(argv[i], "--sleep") == 0 && i + 1 < argc) {
            sleep_ms(atol(argv[++i]));
        } else if (strcmp(argv[i], "--loop") == 0) {
            fflush(stdout);
            for (;;)
                sleep_ms(50);
        } else if (strcmp(argv[i], "--trap") == 0) {
            fflush(stdout);
            __builtin_trap();
        }
    }
    fflush(stdout);
    return exit_code;
}
