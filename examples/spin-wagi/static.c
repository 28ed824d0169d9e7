/*
 * static.c - a second Wagi component for the spin-wagi example: serves the
 * files Spin mounted into it (the component's `files`, preopened read-only
 * at "/"), with probes the tests use to see how the host treats a guest:
 *   /_argv     the argv the host built from the `argv` template, '|'-joined
 *   /_write    tries to create a file and reports whether that was refused
 *   /_alloc    tries to allocate 64 MiB (SPIN_MAX_INSTANCE_MEMORY caps it)
 *   /_trap     traps (unreachable)
 *   /_exit     exits with status 3
 *   /_garbage  writes output that is not a CGI response
 *   /_silent   writes nothing
 *   /_secret   answers a 64 KiB body of "secret-<QUERY_STRING>" lines
 *   /_peek     reports how many bytes its stdout held before it wrote and
 *              whether any earlier response could be read back from it
 *   /_seek     seeks its stdout 1 TiB ahead and writes one byte there
 * Anything else is a path below "/": its bytes, or Status 404.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *type_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot && strcmp(dot, ".html") == 0)
        return "text/html";
    if (dot && strcmp(dot, ".json") == 0)
        return "application/json";
    return "text/plain";
}

int main(int argc, char **argv)
{
    const char *path = getenv("PATH_INFO");
    if (!path || !*path || strcmp(path, "/") == 0)
        path = "/index.html";
    if (strcmp(path, "/_argv") == 0) {
        printf("Content-Type: text/plain\n\n");
        for (int i = 0; i < argc; i++)
            printf("%s%s", i ? "|" : "", argv[i]);
        printf("\n");
        return 0;
    }
    if (strcmp(path, "/_write") == 0) {
        FILE *f = fopen("/written.txt", "w");
        printf("Content-Type: text/plain\n\n%s\n", f ? "write allowed" : "write refused");
        if (f)
            fclose(f);
        return 0;
    }
    if (strcmp(path, "/_alloc") == 0) {
        /* volatile: the compiler may not drop an allocation it can see
         * is only written. */
        static char *volatile keep;
        size_t n = 64u << 20;
        keep = malloc(n);
        if (keep)
            memset(keep, 1, n);
        printf("Content-Type: text/plain\n\n%s\n", keep ? "allocated" : "allocation failed");
        free(keep);
        return 0;
    }
    if (strcmp(path, "/_trap") == 0)
        __builtin_trap();
    if (strcmp(path, "/_exit") == 0) {
        printf("Content-Type: text/plain\n\nabout to fail\n");
        fflush(stdout);
        exit(3);
    }
    if (strcmp(path, "/_garbage") == 0) {
        printf("this is not a CGI response\n");
        return 0;
    }
    if (strcmp(path, "/_silent") == 0)
        return 0;
    if (strcmp(path, "/_secret") == 0) {
        const char *q = getenv("QUERY_STRING");
        printf("Content-Type: text/plain\n\n");
        for (int i = 0; i < 4096; i++)
            printf("secret-%s\n", q ? q : "");
        return 0;
    }
    if (strcmp(path, "/_peek") == 0) {
        /* Raw fd 1, before stdio writes anything there. */
        struct stat st;
        long long held = fstat(1, &st) == 0 ? (long long)st.st_size : -1;
        char buf[256] = {0};
        ssize_t n = pread(1, buf, sizeof(buf) - 1, 0);
        lseek(1, 0, SEEK_SET);
        printf("Content-Type: text/plain\n\nheld=%lld read=%s\n", held,
               n > 0 && strstr(buf, "secret-") ? "secret" : "nothing");
        return 0;
    }
    if (strcmp(path, "/_seek") == 0) {
        printf("Content-Type: text/plain\n\nfar away\n");
        fflush(stdout);
        lseek(1, (off_t)1 << 40, SEEK_SET);
        write(1, "x", 1);
        return 0;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("Status: 404\nContent-Type: text/plain\n\nno such file: %s (%s)\n", path,
               strerror(errno));
        return 0;
    }
    printf("Content-Type: %s\n\n", type_of(path));
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        fwrite(buf, 1, n, stdout);
    fclose(f);
    return 0;
}
