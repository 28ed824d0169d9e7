/*
 * sync.c - the messages between the shim and the processes it forks.
 *
 * A SOCK_SEQPACKET socketpair keeps message boundaries, so the helper and
 * the container process can both write to the same child end and the
 * parent reads whole messages (fixed-size structs) in order.  The child end
 * is close-on-exec: when execve succeeds the parent reads EOF, which is how
 * container_start() learns that the process is running, and any message
 * before that is an error text.
 */
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int container_sync_send(int fd, int type, int value, const char *text)
{
    sync_msg m;
    memset(&m, 0, sizeof(m));
    m.type = type;
    m.value = value;
    if (text)
        snprintf(m.text, sizeof(m.text), "%s", text);
    ssize_t w;
    do
        w = send(fd, &m, sizeof(m), MSG_NOSIGNAL);
    while (w < 0 && errno == EINTR);
    return w == (ssize_t)sizeof(m) ? 0 : -1;
}

int container_sync_recv(int fd, sync_msg *m)
{
    ssize_t r;
    do
        r = recv(fd, m, sizeof(*m), 0);
    while (r < 0 && errno == EINTR);
    if (r == 0) {
        errno = 0;
        return -1;
    }
    if (r != (ssize_t)sizeof(*m)) {
        if (r >= 0)
            errno = EPROTO;
        return -1;
    }
    m->text[sizeof(m->text) - 1] = '\0';
    return 0;
}

void container_sync_fail(int fd, int errnum, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (errnum && n >= 0 && (size_t)n < sizeof(text))
        snprintf(text + n, sizeof(text) - (size_t)n, ": %s", strerror(errnum));
    container_sync_send(fd, SYNC_ERROR, errnum, text);
    _exit(1);
}
