/*
 * mqtt_app.c - a wasi:http component that uses fermyon:spin/mqtt@2.0.0
 * (for tests/spinapi/test_up_rdbms.py), in C against the canonical ABI.
 * On each request it opens the Spin variable `mqtt_url` (no user name or
 * password, keep-alive 30 s), publishes "hello from a component" to
 * spin/up at QoS 1 and answers:
 *   published          (or "publish: <error case> <text>")
 *   denied: <error case> <text>   opening a host it may not reach
 * or "open: <case>" when mqtt_url does not open.
 */
#include "http_guest.h"

#define MQ(name) __attribute__((import_module("fermyon:spin/mqtt@2.0.0"), import_name(name)))
MQ("[static]connection.open")
void mq_open(const char *addr, size_t alen, const char *user, size_t ulen, const char *pass,
             size_t plen, int64_t keepalive, void *ret);
MQ("[method]connection.publish")
void mq_publish(int32_t self, const char *topic, size_t tlen, const void *payload, size_t len,
                int32_t qos, void *ret);
MQ("[resource-drop]connection") void mq_drop(int32_t self);

enum { AT_LEAST_ONCE = 1 };

struct open_result {
    uint8_t is_err;
    union {
        int32_t handle;
        struct error_string err;
    } u;
};
struct unit_result {
    uint8_t is_err;
    struct error_string err;
};

static void show_error(const struct error_string *e)
{
    append_num(e->tag);
    if (e->tag >= 2) { /* connection-failed(string), other(string) */
        append_str(" ");
        append(e->ptr, e->len);
    }
    append_str("\n");
}

static void run(void)
{
    size_t alen;
    const char *addr = variable("mqtt_url", &alen);
    struct open_result o;
    mq_open(addr, alen, "", 0, "", 0, 30, &o);
    if (o.is_err) {
        append_str("open: ");
        show_error(&o.u.err);
        return;
    }
    static const char msg[] = "hello from a component";
    struct unit_result r;
    mq_publish(o.u.handle, "spin/up", 7, msg, sizeof msg - 1, AT_LEAST_ONCE, &r);
    if (r.is_err) {
        append_str("publish: ");
        show_error(&r.err);
    } else {
        append_str("published\n");
    }
    mq_drop(o.u.handle);
    static const char denied[] = "mqtt://203.0.113.9?client_id=x";
    mq_open(denied, sizeof denied - 1, "", 0, "", 0, 30, &o);
    append_str("denied: ");
    if (o.is_err)
        show_error(&o.u.err);
    else
        append_str("NOT DENIED\n");
}

__attribute__((export_name("wasi:http/incoming-handler@0.2.12#handle"))) void
handle(int32_t req, int32_t outparam)
{
    req_drop(req);
    run();
    respond(outparam);
}
