/*
 * fuzz_spin_inbound_http.c - reading a Spin 1 module's response
 * (spin_inbound_lift_response) out of guest memory the fuzzer writes:
 * whatever the record's pointers, lengths and tags say, it either lifts a
 * response whose every byte came from inside memory or fails with a
 * message; it never reads outside memory (ASan) or crashes.  Input: 4
 * bytes of return pointer, then the memory.
 */
#include "inbound_http.h"

#include <fcntl.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    static int quiet = -1; /* a bad status logs a line: not one per input */
    if (quiet < 0) {
        quiet = open("/dev/null", O_WRONLY | O_CLOEXEC);
        util_log_set_fd(quiet);
    }
    uint32_t retptr = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
                      (uint32_t)data[3] << 24;
    /* the memory in a buffer of its own size, so any overread is caught */
    size_t n = size - 4;
    uint8_t *mem = util_xmalloc(n ? n : 1);
    memcpy(mem, data + 4, n);
    spin_inbound_response r;
    util_error *err = NULL;
    if (spin_inbound_lift_response(mem, n, retptr % (n + 64), &r, &err) == 0) {
        spin_http_response resp = {0};
        if (spin_inbound_response_finish(&r, "fuzz", &resp, &err) < 0)
            util_error_free(&err);
        spin_http_response_clear(&resp);
        spin_inbound_response_free(&r);
    } else {
        util_error_free(&err);
    }
    free(mem);
    return 0;
}
