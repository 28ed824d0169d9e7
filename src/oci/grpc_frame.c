/*
 * grpc_frame.c - gRPC's message framing and status reporting, apart from
 * the transport so that tests and the fuzzer reach them without a socket.
 *
 * gRPC over HTTP/2 sends each protobuf message as a 5-byte prefix (a flag
 * byte, 1 = compressed, and a 4-byte big-endian length) followed by the
 * message; a server stream is simply several of these one after another
 * in the DATA frames, split anywhere.  The transport therefore keeps the
 * whole body and this file walks it.  The outcome of a call is not the
 * HTTP status but `grpc-status` (and `grpc-message`, percent-encoded), in
 * the trailers, or in the headers when the server answers with no body at
 * all ("trailers-only"); the header lines are fed here one at a time.
 */
#include "oci_internal.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

void oci_grpc_frame(const uint8_t *msg, size_t len, util_buf *out)
{
    uint8_t prefix[5] = {0, (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
                         (uint8_t)len};
    util_buf_append(out, prefix, sizeof prefix);
    if (len > 0)
        util_buf_append(out, msg, len);
}

int oci_grpc_parse_frames(const uint8_t *body, size_t len, size_t max_message,
                          oci_grpc_message_fn fn, void *ctx, util_error **err)
{
    size_t pos = 0;
    for (size_t index = 0; pos < len; index++) {
        if (len - pos < 5) {
            util_error_set(err, 0,
                           "gRPC response truncated: %zu byte(s) of a 5-byte message prefix "
                           "at offset %zu",
                           len - pos, pos);
            return OCI_ERR_CONTENT;
        }
        uint8_t flag = body[pos];
        size_t n = (size_t)body[pos + 1] << 24 | (size_t)body[pos + 2] << 16 |
                   (size_t)body[pos + 3] << 8 | (size_t)body[pos + 4];
        if (flag != 0) {
            util_error_set(err, 0, "gRPC message %zu: compressed (flag %u), none was offered",
                           index, flag);
            return OCI_ERR_CONTENT;
        }
        if (n > max_message) {
            util_error_set(err, 0, "gRPC message %zu: %zu bytes, over the limit of %zu", index, n,
                           max_message);
            return OCI_ERR_CONTENT;
        }
        pos += 5;
        if (len - pos < n) {
            util_error_set(err, 0, "gRPC response truncated: message %zu has %zu of %zu bytes",
                           index, len - pos, n);
            return OCI_ERR_CONTENT;
        }
        int rc = fn(ctx, body + pos, n, err);
        if (rc < 0)
            return rc;
        pos += n;
    }
    return 0;
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

char *oci_grpc_percent_decode(const char *s, size_t len)
{
    char *out = util_xmalloc(len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] == '%' && len - i > 2 && (hi = hex_value((unsigned char)s[i + 1])) >= 0 &&
            (lo = hex_value((unsigned char)s[i + 2])) >= 0) {
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

/* Trims the line's CR/LF and surrounding blanks of the value. */
static bool header_value(const char *line, size_t len, const char *name, const char **value,
                         size_t *vlen)
{
    size_t nlen = strlen(name);
    if (len <= nlen || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
        return false;
    const char *v = line + nlen + 1;
    const char *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *value = v;
    *vlen = (size_t)(end - v);
    return true;
}

static bool parse_code(const char *v, size_t n, int *code)
{
    if (n == 0 || n > 4)
        return false;
    int c = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return false;
        c = c * 10 + (v[i] - '0');
    }
    *code = c;
    return true;
}

void oci_grpc_status_line(oci_grpc_status *st, const char *line, size_t len)
{
    const char *v;
    size_t n;
    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        const char *sp = memchr(line, ' ', len);
        st->http_status = 0;
        /* three digits; anything longer is not a status (999 = unusable) */
        if (sp != NULL)
            for (const char *p = sp + 1; p < line + len && *p >= '0' && *p <= '9'; p++)
                if ((st->http_status = st->http_status * 10 + (*p - '0')) > 999) {
                    st->http_status = 999;
                    break;
                }
    } else if (header_value(line, len, "content-type", &v, &n)) {
        const char *want = "application/grpc";
        size_t wl = strlen(want);
        st->grpc_content = n >= wl && strncasecmp(v, want, wl) == 0 &&
                           (n == wl || v[wl] == '+' || v[wl] == ';');
    } else if (header_value(line, len, "grpc-status", &v, &n)) {
        int code;
        if (parse_code(v, n, &code)) {
            st->code = code;
            st->have_status = true;
        } else {
            st->code = 2; /* Unknown: a status we cannot read is not OK */
            st->have_status = true;
        }
    } else if (header_value(line, len, "grpc-message", &v, &n)) {
        free(st->message);
        st->message = oci_grpc_percent_decode(v, n);
    }
}

void oci_grpc_status_clear(oci_grpc_status *st)
{
    free(st->message);
    memset(st, 0, sizeof *st);
}

const char *oci_grpc_code_name(int code)
{
    static const char *const names[] = {
        "OK",           "Canceled",          "Unknown",         "InvalidArgument",
        "DeadlineExceeded", "NotFound",      "AlreadyExists",   "PermissionDenied",
        "ResourceExhausted", "FailedPrecondition", "Aborted",   "OutOfRange",
        "Unimplemented", "Internal",         "Unavailable",     "DataLoss",
        "Unauthenticated",
    };
    if (code >= 0 && (size_t)code < UTIL_ARRAY_LEN(names))
        return names[code];
    return "status out of range";
}
