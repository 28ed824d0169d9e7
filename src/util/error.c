/*
 * error.c - the explicit error object passed down every fallible call.
 *
 * Messages are built once, at the failure site, with all the context that is
 * known there; each caller up the chain may prefix its own context.  Nothing
 * is logged here: whoever finally handles the error decides where it goes.
 */
#include "util.h"

#include <errno.h>
#include <string.h>

static char *format_message(int status, const char *fmt, va_list ap)
{
    char *msg = util_xvasprintf(fmt, ap);
    if (status != 0) {
        char *with_errno = util_xasprintf("%s: %s", msg, strerror(status));
        free(msg);
        msg = with_errno;
    }
    return msg;
}

int util_error_set(util_error **err, int status, const char *fmt, ...)
{
    if (err == NULL)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    char *msg = format_message(status, fmt, ap);
    va_end(ap);
    if (*err != NULL) /* never leak an earlier, unhandled error */
        util_error_free(err);
    util_error *e = util_xmalloc(sizeof(*e));
    e->status = status;
    e->msg = msg;
    *err = e;
    return -1;
}

int util_error_wrap(util_error **err, const char *fmt, ...)
{
    if (err == NULL || *err == NULL)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    char *prefix = format_message(0, fmt, ap);
    va_end(ap);
    char *msg = util_xasprintf("%s: %s", prefix, (*err)->msg);
    free(prefix);
    free((*err)->msg);
    (*err)->msg = msg;
    return -1;
}

void util_error_free(util_error **err)
{
    if (err == NULL || *err == NULL)
        return;
    free((*err)->msg);
    free(*err);
    *err = NULL;
}

void util_error_report(util_error **err, const char *prefix)
{
    if (err == NULL || *err == NULL)
        return;
    if (prefix != NULL)
        fprintf(stderr, "%s: %s\n", prefix, (*err)->msg);
    else
        fprintf(stderr, "%s\n", (*err)->msg);
    util_error_free(err);
}
