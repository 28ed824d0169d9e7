/*
 * reactor.c - a WASI reactor (no _start; libc set up by _initialize).
 * `greet` prints a value a constructor sets, so it shows whether the host
 * ran _initialize before invoking an export.
 */
#include <stdio.h>

static int ready;

__attribute__((constructor)) static void init(void)
{
    ready = 42;
}

__attribute__((export_name("greet"))) void greet(void)
{
    printf("ready=%d\n", ready);
    fflush(stdout);
}

__attribute__((export_name("add"))) int add(int a, int b)
{
    return a + b;
}
