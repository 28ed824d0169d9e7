/*
 * redis_client.h - the redis client of src/spinapi (private to the layer,
 * its tests and, through spinapi.h's door, Spin 1's outbound-redis):
 * redis:// addresses checked against the component's allowed hosts,
 * connections owned by the instance's spinapi_ctx, one command at a time
 * with bounded waits.  redis.c serves fermyon:spin/redis@2.0.0 with it.
 */
#ifndef SPINAPI_REDIS_CLIENT_H
#define SPINAPI_REDIS_CLIENT_H

#include "spinapi_internal.h"

#include <hiredis.h>

/* A redis:// address taken apart (every string malloc'd). */
typedef struct spinapi_redis_address {
    char *host; /* without the brackets of an IPv6 literal */
    uint16_t port; /* 6379 unless given */
    char *user; /* NULL: none */
    char *password; /* NULL: none */
    long db; /* the path's number; 0 unless given */
} spinapi_redis_address;

/* Parses redis://[[user]:password@]host[:port][/db]; -1 with *err naming
 * what is wrong. */
int spinapi_redis_parse_address(const char *address, size_t len, spinapi_redis_address *out,
                                util_error **err);
void spinapi_redis_address_clear(spinapi_redis_address *a);

/* One open connection, in its context's list until closed. */
typedef struct spinapi_redis_conn spinapi_redis_conn;

/* What opening answers (the cases of Spin's redis error variant). */
enum { SPINAPI_REDIS_OK = -1, SPINAPI_REDIS_INVALID_ADDRESS = 0,
       SPINAPI_REDIS_TOO_MANY_CONNECTIONS = 1, SPINAPI_REDIS_TYPE_ERROR = 2,
       SPINAPI_REDIS_OTHER = 3 };

/* Spin's per-instance connection table size. */
#define SPINAPI_REDIS_MAX_CONNECTIONS 1024
/* The longest a connect or one command may wait for the server, unless
 * the context's deadline comes sooner. */
#define SPINAPI_REDIS_CONNECT_TIMEOUT_MS 5000
#define SPINAPI_REDIS_COMMAND_TIMEOUT_MS 30000

/* Opens a connection for ctx: SPINAPI_REDIS_OK and *out, or
 * INVALID_ADDRESS (unparsable, or a host the component may not reach, as
 * Spin refuses it), TOO_MANY_CONNECTIONS, or OTHER with *err (cannot
 * connect, authenticate or select the database). */
int spinapi_redis_open(spinapi_ctx *ctx, const char *address, size_t len,
                       spinapi_redis_conn **out, util_error **err);
/* The same for an address the operator wrote (a runtime config's redis
 * key-value store): not checked against allowed_outbound_hosts, as Spin
 * does not check it; an unparsable one is INVALID_ADDRESS with *err. */
int spinapi_redis_open_trusted(spinapi_ctx *ctx, const char *address, size_t len,
                               spinapi_redis_conn **out, util_error **err);
/* Closes the connection and takes it out of its context. */
void spinapi_redis_close(spinapi_redis_conn *c);
/* Closes every connection of ctx (the instance ends). */
void spinapi_redis_close_all(spinapi_ctx *ctx);

/* Whether the connection broke (a later command cannot succeed). */
bool spinapi_redis_broken(const spinapi_redis_conn *c);
/* Sends one command and waits for its reply (freeReplyObject it).  A
 * server error reply, a broken connection or a timeout is NULL with *err
 * (the server's text, or what failed). */
redisReply *spinapi_redis_command(spinapi_redis_conn *c, int argc, const char **argv,
                                  const size_t *lens, util_error **err);

#endif
