/*
 * mysql_client.h - the MySQL client of src/spinapi (private to the layer
 * and its tests): mysql:// addresses checked against the component's
 * allowed hosts and parsed as Spin's client (mysql_async) reads them, one
 * prepared statement at a time with every wait bounded by the request's
 * deadline, results as spinapi_mysql_rows.  mysql.c serves
 * fermyon:spin/mysql@2.0.0 and the unversioned fermyon:spin/mysql with it;
 * spinapi.h's spinapi_mysql_oneshot serves Spin 1's outbound-mysql.
 */
#ifndef SPINAPI_MYSQL_CLIENT_H
#define SPINAPI_MYSQL_CLIENT_H

#include "spinapi_internal.h"

/* One open connection (MariaDB Connector/C's MYSQL). */
typedef struct spinapi_mysql_conn spinapi_mysql_conn;

/* Spin's per-instance connection table size. */
#define SPINAPI_MYSQL_MAX_CONNECTIONS 1024
/* The longest connecting may take, unless the deadline comes sooner. */
#define SPINAPI_MYSQL_CONNECT_TIMEOUT_MS 10000
/* How long stopping a statement the deadline cut off may take. */
#define SPINAPI_MYSQL_KILL_TIMEOUT_MS 2000
/* Spin's bound on the bytes of one query's rows (MAX_HOST_BUFFERED_BYTES). */
#define SPINAPI_MYSQL_MAX_RESULT_BYTES ((size_t)128 << 20)

/* Opens a connection for component c: 0 and *out, or -1 with the
 * connection-failed text in msg (a host c may not reach is Spin's
 * "address <address> is not permitted"). */
int spinapi_mysql_connect(const spinapi_component *c, uint64_t deadline_ns, const char *address,
                          size_t len, spinapi_mysql_conn **out, char *msg, size_t size);
void spinapi_mysql_disconnect(spinapi_mysql_conn *m);

/* Runs one statement with its parameters (bound, never pasted into the
 * text); rows NULL discards any result (execute).  0, or -1 with
 * *error_case (SPINAPI_RDBMS_*) and the text in msg.  A deadline that
 * passes leaves the connection broken (later statements fail at once)
 * and has the server stop the statement (KILL QUERY from a second
 * session, bounded by SPINAPI_MYSQL_KILL_TIMEOUT_MS). */
int spinapi_mysql_run(spinapi_mysql_conn *m, uint64_t deadline_ns, const char *sql, size_t len,
                      const spinapi_rdbms_value *params, size_t nparams, spinapi_mysql_rows *rows,
                      int *error_case, char *msg, size_t size);

#endif
