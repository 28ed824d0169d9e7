/*
 * http_conn_guard.h - per-connection protections around libmicrohttpd
 * 0.9.75 (internal to src/spin; see http_conn_guard.c for the why).
 *
 * http_server.c creates one guard per server, registers
 * spin_http_guard_notify as MHD_OPTION_NOTIFY_CONNECTION, passes every
 * library log message to spin_http_guard_mhd_log first, and calls the
 * request hooks below from its own callbacks.
 */
#ifndef SPIN_HTTP_CONN_GUARD_H
#define SPIN_HTTP_CONN_GUARD_H

#include "mhd_load.h"

#include <stdarg.h>
#include <stdbool.h>

typedef struct spin_http_guard spin_http_guard;

/* Starts the watchdog thread.  head_timeout_ms bounds the time from
 * accepting a connection (or from the request line, for later requests on
 * a keep-alive connection) to the end of the request head. */
spin_http_guard *spin_http_guard_new(const spin_mhd_api *mhd, unsigned head_timeout_ms,
                                     unsigned idle_timeout_s, util_error **err);
/* After the daemon has stopped (no connection left). */
void spin_http_guard_free(spin_http_guard *g);

/* Makes accept() wait for the client's first bytes, so the guard can look
 * at them when the connection starts (TCP_DEFER_ACCEPT). */
void spin_http_guard_listen_socket(spin_http_guard *g, int listen_fd);

/* MHD_NotifyConnectionCallback; cls is the guard. */
void spin_http_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                            enum MHD_ConnectionNotificationCode code);

/* From MHD_OPTION_URI_LOG_CALLBACK, after the caller copied `uri`. */
void spin_http_guard_request_line(spin_http_guard *g, struct MHD_Connection *conn,
                                  const char *uri);

/* From the first access-handler call.  `method` and `version` are the
 * handler's arguments, `uri` the pointer the URI log callback got and
 * `target` the copy made there.  Returns 0 if the request may be served
 * (then *origin and *authority are set for an absolute-form target, else
 * NULL), or the status to refuse it with, already logged. */
unsigned spin_http_guard_check_head(spin_http_guard *g, struct MHD_Connection *conn,
                                    const char *method, const char *version, const char *uri,
                                    const char *target, char **origin, char **authority);

/* From MHD_OPTION_NOTIFY_COMPLETED. */
void spin_http_guard_request_done(spin_http_guard *g, struct MHD_Connection *conn);

/* From the library's log callback.  Returns true if it handled (and
 * logged) the message itself. */
bool spin_http_guard_mhd_log(spin_http_guard *g, const char *fmt, va_list ap);

#endif
