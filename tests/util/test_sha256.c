/*
 * test_sha256.c - util_sha256_*: the FIPS 180-2 / NIST example vectors,
 * messages whose padding fits in one block or needs a second, and the
 * streaming interface agreeing with the one-shot call however the message
 * is split (and being reusable after final).
 */
#include "test.h"
#include "util.h"

#include <string.h>

static const char empty_hex[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static void test_known_vectors(void)
{
    char hex[UTIL_SHA256_HEX_SIZE];
    util_sha256_hex("", 0, hex);
    CHECK_STR(hex, empty_hex);
    util_sha256_hex("abc", 3, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    util_sha256_hex(m, strlen(m), hex);
    CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char a[1000];
    memset(a, 'a', sizeof a);
    util_sha256_hex(a, 55, hex); /* the padding fits in one block */
    CHECK_STR(hex, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    util_sha256_hex(a, 64, hex); /* the padding needs a second block */
    CHECK_STR(hex, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
    util_sha256_hex(a, 1000, hex);
    CHECK_STR(hex, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

static void test_binary_digest_and_hex_agree(void)
{
    uint8_t d[UTIL_SHA256_SIZE];
    char hex[UTIL_SHA256_HEX_SIZE];
    util_sha256("abc", 3, d);
    CHECK_INT(d[0], 0xba);
    CHECK_INT(d[31], 0xad);
    util_sha256_to_hex(d, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_streaming_matches_one_shot(void)
{
    /* a million 'a's, the third FIPS vector, in uneven pieces */
    static char chunk[4099];
    memset(chunk, 'a', sizeof chunk);
    util_sha256_ctx *h = util_sha256_new();
    size_t left = 1000000;
    for (size_t piece = 1; left > 0; piece = piece * 3 % sizeof chunk + 1) {
        size_t n = piece < left ? piece : left;
        util_sha256_update(h, chunk, n);
        left -= n;
    }
    uint8_t d[UTIL_SHA256_SIZE];
    char hex[UTIL_SHA256_HEX_SIZE];
    util_sha256_final(h, d);
    util_sha256_to_hex(d, hex);
    CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    /* final leaves the state ready for the next message */
    util_sha256_final(h, d);
    util_sha256_to_hex(d, hex);
    CHECK_STR(hex, empty_hex);
    util_sha256_free(h);
}

int main(void)
{
    RUN(test_known_vectors);
    RUN(test_binary_digest_and_hex_agree);
    RUN(test_streaming_matches_one_shot);
    return TEST_SUMMARY();
}
