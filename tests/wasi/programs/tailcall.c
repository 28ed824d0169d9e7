/*
 * tailcall.c - a WASI command that needs the tail-call proposal: built with
 * -mtail-call, its two functions hand over to each other with
 * `return_call` (musttail), N times (argv[1], default 1000000).
 *
 * Without real tail calls that is N nested frames, far beyond any call
 * stack, so the program only gets to print "tail calls: N" when the engine
 * both accepts return_call (the module is invalid without the feature) and
 * runs it in constant stack.  Under Wagi (REQUEST_METHOD is set) it first
 * prints the CGI header, so the same module is also a Spin component.
 * Exit status: 0 when the count came back whole, 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>

typedef unsigned long long u64;

static u64 ping(u64 left, u64 done);

/* noinline: each hop must stay a call, which musttail makes a return_call. */
static __attribute__((noinline)) u64 pong(u64 left, u64 done)
{
    if (left == 0)
        return done;
    __attribute__((musttail)) return ping(left - 1, done + 1);
}

static __attribute__((noinline)) u64 ping(u64 left, u64 done)
{
    __attribute__((musttail)) return pong(left, done);
}

int main(int argc, char **argv)
{
    u64 n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    if (getenv("REQUEST_METHOD") != NULL)
        printf("Content-Type: text/plain\n\n");
    u64 got = ping(n, 0);
    printf("tail calls: %llu\n", got);
    return got == n ? 0 : 1;
}
