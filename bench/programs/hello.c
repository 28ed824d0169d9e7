/* hello.c - the smallest WASI program: measures process start-up cost. */
#include <stdio.h>

int main(void)
{
    puts("hello");
    return 0;
}
