/*
 * ttrpc_frame.c - ttrpc frame encoding and an incremental frame reader.
 *
 * The reader is a byte-fed state machine (header, then data) so a frame may
 * arrive split across any number of reads, and several frames may arrive in
 * one.  Frames over 4 MiB are not buffered: their data is skipped as it
 * streams past, and the frame is still reported (flagged oversized) because
 * ttrpc answers it with ResourceExhausted on its stream instead of dropping
 * the connection.
 */
#include "ttrpc.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void shim_ttrpc_header_encode(const ttrpc_header *h, uint8_t out[TTRPC_HEADER_LEN])
{
    put_be32(out, h->length);
    put_be32(out + 4, h->stream_id);
    out[8] = h->type;
    out[9] = h->flags;
}

void shim_ttrpc_header_decode(const uint8_t in[TTRPC_HEADER_LEN], ttrpc_header *h)
{
    h->length = get_be32(in);
    h->stream_id = get_be32(in + 4);
    h->type = in[8];
    h->flags = in[9];
}

int shim_ttrpc_reader_feed(ttrpc_reader *r, const uint8_t *buf, size_t len, size_t *consumed,
                           ttrpc_frame *frame)
{
    size_t used = 0;
    if (r->hdr_got < TTRPC_HEADER_LEN) {
        size_t n = TTRPC_HEADER_LEN - r->hdr_got;
        if (n > len)
            n = len;
        memcpy(r->hdr + r->hdr_got, buf, n);
        r->hdr_got += n;
        used += n;
        if (r->hdr_got < TTRPC_HEADER_LEN) {
            *consumed = used;
            return 0;
        }
        shim_ttrpc_header_decode(r->hdr, &r->h);
        r->data_got = 0;
        r->discarding = r->h.length > TTRPC_MAX_DATA;
        if (!r->discarding)
            r->data = util_xmalloc(r->h.length ? r->h.length : 1);
    }
    size_t want = r->h.length - r->data_got;
    size_t n = len - used;
    if (n > want)
        n = want;
    if (!r->discarding)
        memcpy(r->data + r->data_got, buf + used, n);
    r->data_got += n;
    used += n;
    *consumed = used;
    if (r->data_got < r->h.length)
        return 0;
    frame->h = r->h;
    frame->oversized = r->discarding;
    frame->data = r->discarding ? NULL : r->data;
    r->data = NULL;
    r->hdr_got = 0;
    r->data_got = 0;
    r->discarding = false;
    return 1;
}

void shim_ttrpc_reader_free(ttrpc_reader *r)
{
    free(r->data);
    memset(r, 0, sizeof *r);
}

int shim_ttrpc_write_frame(int fd, uint32_t stream_id, uint8_t type, uint8_t flags,
                           const void *data, size_t len)
{
    if (len > TTRPC_MAX_DATA) {
        errno = EMSGSIZE;
        return -1;
    }
    uint8_t hdr[TTRPC_HEADER_LEN];
    ttrpc_header h = {(uint32_t)len, stream_id, type, flags};
    shim_ttrpc_header_encode(&h, hdr);
    struct iovec iov[2] = {{hdr, sizeof hdr}, {(void *)data, len}};
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
    size_t total = sizeof hdr + len;
    while (total > 0) {
        ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        total -= (size_t)n;
        /* advance the iovecs past what was sent */
        while (n > 0 && msg.msg_iovlen > 0) {
            if ((size_t)n >= msg.msg_iov[0].iov_len) {
                n -= (ssize_t)msg.msg_iov[0].iov_len;
                msg.msg_iov++;
                msg.msg_iovlen--;
            } else {
                msg.msg_iov[0].iov_base = (char *)msg.msg_iov[0].iov_base + n;
                msg.msg_iov[0].iov_len -= (size_t)n;
                n = 0;
            }
        }
    }
    return 0;
}
