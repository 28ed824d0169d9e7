/*
 * redis_handler.c - a redis trigger component in C against the canonical
 * ABI (for test_up_redis.py): it exports fermyon:spin/inbound-redis and,
 * for each message M, opens the redis server of the Spin variable
 * `redis_address` through fermyon:spin/redis@2.0.0 and sets got:M to M.
 * The message "trap" traps, "fail" returns error::error.
 */
#include <stddef.h>
#include <stdint.h>

#define VAR(name) __attribute__((import_module("fermyon:spin/variables@2.0.0"), import_name(name)))
#define REDIS(name) __attribute__((import_module("fermyon:spin/redis@2.0.0"), import_name(name)))

VAR("get") void var_get(const char *name, size_t len, void *ret);
REDIS("[static]connection.open") void redis_open(const char *addr, size_t len, void *ret);
REDIS("[method]connection.set")
void redis_set(int32_t self, const char *key, size_t klen, const uint8_t *val, size_t vlen,
               void *ret);
REDIS("[resource-drop]connection") void redis_drop(int32_t self);

struct str {
    const char *ptr;
    size_t len;
};

/* result<T, error> where T is a string or a handle and error a variant
 * whose payload (if any) is a string: tag @0, payload @4. */
struct result {
    uint8_t is_err;
    union {
        struct str text;
        int32_t handle;
        struct {
            uint8_t tag;
            struct str text;
        } err;
    } u;
};

static _Alignas(16) uint8_t heap[256 * 1024];
static size_t heap_used;

__attribute__((export_name("cabi_realloc"))) void *cabi_realloc(void *old, size_t old_size,
                                                                 size_t align, size_t size)
{
    size_t at = (heap_used + align - 1) & ~(align - 1);
    if (at + size > sizeof heap)
        __builtin_trap();
    heap_used = at + size;
    if (old)
        __builtin_memcpy(heap + at, old, old_size < size ? old_size : size);
    return heap + at;
}

static int is(const uint8_t *p, size_t n, const char *word)
{
    size_t i = 0;
    for (; word[i]; i++)
        if (i >= n || p[i] != (uint8_t)word[i])
            return 0;
    return i == n;
}

static uint8_t ret_area[4];

static uint8_t *answer(int failed)
{
    ret_area[0] = (uint8_t)failed;
    ret_area[1] = 1; /* error::error */
    return ret_area;
}

__attribute__((export_name("fermyon:spin/inbound-redis#handle-message"))) uint8_t *
handle_message(const uint8_t *msg, size_t len)
{
    if (is(msg, len, "trap"))
        __builtin_trap();
    if (is(msg, len, "fail"))
        return answer(1);
    struct result addr, conn, set;
    var_get("redis_address", 13, &addr);
    if (addr.is_err)
        return answer(1);
    redis_open(addr.u.text.ptr, addr.u.text.len, &conn);
    if (conn.is_err)
        return answer(1);
    char *key = cabi_realloc(NULL, 0, 1, len + 4);
    __builtin_memcpy(key, "got:", 4);
    __builtin_memcpy(key + 4, msg, len);
    redis_set(conn.u.handle, key, len + 4, msg, len, &set);
    redis_drop(conn.u.handle);
    return answer(set.is_err);
}
