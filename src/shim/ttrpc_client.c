/*
 * ttrpc_client.c - a synchronous ttrpc client: the event publisher's
 * connection to containerd, and the tests' way to drive the shim.
 *
 * One call at a time per client; responses for other streams (only
 * possible when a test interleaves with shim_ttrpc_client_send) are returned by
 * shim_ttrpc_client_recv in arrival order.
 */
#include "proto.h"
#include "ttrpc.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int shim_ttrpc_dial(const char *addr, util_error **err)
{
    if (strncmp(addr, "unix://", 7) == 0)
        addr += 7;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(addr) >= sizeof sa.sun_path)
        return util_error_set(err, 0, "socket path too long: %s", addr);
    strcpy(sa.sun_path, addr);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return util_error_set(err, errno, "socket");
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(fd);
        return util_error_set(err, e, "connect %s", addr);
    }
    return fd;
}

int shim_ttrpc_client_connect(ttrpc_client *c, const char *addr, util_error **err)
{
    memset(c, 0, sizeof *c);
    c->next_stream = 1;
    c->fd = shim_ttrpc_dial(addr, err);
    return c->fd < 0 ? -1 : 0;
}

void shim_ttrpc_client_close(ttrpc_client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    shim_ttrpc_reader_free(&c->reader);
}

int64_t shim_ttrpc_client_send(ttrpc_client *c, const char *service, const char *method,
                               const char *ns, const void *req, size_t req_len, util_error **err)
{
    Ttrpc__Request r = TTRPC__REQUEST__INIT;
    Ttrpc__KeyValue kv = TTRPC__KEY_VALUE__INIT;
    Ttrpc__KeyValue *md[1] = {&kv};
    r.service = (char *)service;
    r.method = (char *)method;
    r.payload.data = (uint8_t *)req;
    r.payload.len = req_len;
    if (ns) {
        kv.key = (char *)"containerd-namespace-ttrpc";
        kv.value = (char *)ns;
        r.metadata = md;
        r.n_metadata = 1;
    }
    cleanup_free uint8_t *buf = NULL;
    size_t n = shim_pb_pack(&r.base, &buf);
    uint32_t id = c->next_stream;
    c->next_stream += 2; /* client streams are odd */
    if (shim_ttrpc_write_frame(c->fd, id, TTRPC_TYPE_REQUEST, 0, buf, n) < 0)
        return util_error_set(err, errno, "ttrpc: send %s/%s", service, method);
    return id;
}

int shim_ttrpc_client_recv(ttrpc_client *c, uint32_t *stream_id, uint8_t **resp, size_t *resp_len,
                           ttrpc_status *st, util_error **err)
{
    uint8_t buf[4096];
    ttrpc_frame f;
    for (;;) {
        size_t used = 0;
        ssize_t n = recv(c->fd, buf, sizeof buf, MSG_PEEK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return util_error_set(err, errno, "ttrpc: receive");
        if (n == 0)
            return util_error_set(err, 0, "ttrpc: connection closed by peer");
        int got = shim_ttrpc_reader_feed(&c->reader, buf, (size_t)n, &used, &f);
        /* consume only the bytes of this frame; later frames stay queued in
         * the socket for the next call */
        if (util_read_all(c->fd, buf, used) != (ssize_t)used)
            return util_error_set(err, errno, "ttrpc: receive");
        if (got)
            break;
    }
    cleanup_free uint8_t *data = f.data;
    if (f.oversized)
        return util_error_set(err, 0, "ttrpc: response of %u bytes exceeds 4 MiB", f.h.length);
    if (f.h.type != TTRPC_TYPE_RESPONSE)
        return util_error_set(err, 0, "ttrpc: unexpected frame type %u", f.h.type);
    Ttrpc__Response *r = ttrpc__response__unpack(NULL, f.h.length, data);
    if (r == NULL)
        return util_error_set(err, 0, "ttrpc: malformed response");
    *stream_id = f.h.stream_id;
    st->code = r->status ? r->status->code : 0;
    st->message = util_xstrdup(r->status && r->status->message ? r->status->message : "");
    *resp_len = r->payload.len;
    *resp = util_xmalloc(r->payload.len ? r->payload.len : 1);
    if (r->payload.len)
        memcpy(*resp, r->payload.data, r->payload.len);
    ttrpc__response__free_unpacked(r, NULL);
    return 0;
}

int shim_ttrpc_client_call(ttrpc_client *c, const char *service, const char *method, const char *ns,
                           const void *req, size_t req_len, uint8_t **resp, size_t *resp_len,
                           ttrpc_status *st, util_error **err)
{
    int64_t id = shim_ttrpc_client_send(c, service, method, ns, req, req_len, err);
    if (id < 0)
        return -1;
    for (;;) {
        uint32_t got;
        if (shim_ttrpc_client_recv(c, &got, resp, resp_len, st, err) < 0)
            return -1;
        if (got == (uint32_t)id)
            return 0;
        free(*resp);
        free(st->message);
        st->message = NULL;
    }
}
