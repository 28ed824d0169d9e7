/*
 * hostile.c - a Wagi component that misbehaves on request, for the tests
 * of what the HTTP trigger does with guests that never answer, answer too
 * much or crash.  It dispatches on PATH_INFO:
 *   /hello     a normal response ("hello")
 *   /echo      the request body back
 *   /loop      spins forever without a host call (only an interrupt or
 *              the request deadline stops it)
 *   /sleep     sleeps an hour in poll_oneoff (the deadline ends the wait)
 *   /flood     writes a header, then N MiB (QUERY_STRING, default 300) to
 *              stdout in 1 MiB writes; "flood finished" on stderr if every
 *              write went through, "flood write failed" if one failed
 *   /trap      traps (unreachable) a few calls deep, so the backtrace has
 *              several frames
 * Anything else is Status 404.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile unsigned long spins;

static void spin_forever(void)
{
    for (;;)
        spins++;
}

static void flood(const char *query)
{
    long mib = query && *query ? atol(query) : 300;
    static char chunk[1 << 20];
    memset(chunk, 'x', sizeof(chunk));
    static const char head[] = "Content-Type: text/plain\n\n";
    if (write(1, head, sizeof(head) - 1) != (ssize_t)(sizeof(head) - 1)) {
        fprintf(stderr, "flood write failed\n");
        exit(1);
    }
    for (long i = 0; i < mib; i++) {
        size_t done = 0;
        while (done < sizeof(chunk)) {
            ssize_t n = write(1, chunk + done, sizeof(chunk) - done);
            if (n <= 0) {
                fprintf(stderr, "flood write failed\n");
                exit(1);
            }
            done += (size_t)n;
        }
    }
    fprintf(stderr, "flood finished\n");
}

/* noinline: each level is a frame of its own in the trap's backtrace. */
__attribute__((noinline)) static void crash_inner(int depth)
{
    if (depth == 0)
        __builtin_trap();
    crash_inner(depth - 1);
    spins++; /* not a tail call */
}

int main(void)
{
    const char *path = getenv("PATH_INFO");
    if (!path)
        path = "";
    if (strcmp(path, "/hello") == 0) {
        printf("Content-Type: text/plain\n\nhello\n");
    } else if (strcmp(path, "/echo") == 0) {
        printf("Content-Type: text/plain\n\n");
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
            fwrite(buf, 1, n, stdout);
    } else if (strcmp(path, "/loop") == 0) {
        spin_forever();
    } else if (strcmp(path, "/sleep") == 0) {
        sleep(3600);
        printf("Content-Type: text/plain\n\nwoke up\n");
    } else if (strcmp(path, "/flood") == 0) {
        flood(getenv("QUERY_STRING"));
    } else if (strcmp(path, "/trap") == 0) {
        crash_inner(5);
    } else {
        printf("Status: 404\n\n");
    }
    return 0;
}
