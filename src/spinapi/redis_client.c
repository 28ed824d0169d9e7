/*
 * redis_client.c - the redis client behind Spin's outbound redis APIs, on
 * hiredis's blocking API.
 *
 * Why blocking: a guest's host call blocks its instance's thread anyway
 * (one request, one thread), so an event loop would buy nothing; what
 * matters is that no wait is unbounded.  Every connect and every command
 * therefore runs with a socket timeout: the layer's fixed bound, or less
 * when the instance's request deadline (spinapi_ctx_set_deadline) comes
 * sooner, so a dead or silent server costs a request at most its own
 * deadline, never a hang.
 *
 * An address is refused before any connection is tried unless it is a
 * well-formed redis:// URL whose host and port (6379 by default) the
 * component's allowed_outbound_hosts admit: Spin answers both with
 * error::invalid-address.  Connections belong to the spinapi_ctx (a
 * doubly linked list, at most Spin's 1024); a guest's drop closes one
 * early, and the context closes what is left when the instance ends.
 */
#include "redis_client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

struct spinapi_redis_conn {
    spinapi_conn_link link; /* in ctx->redis */
    spinapi_ctx *ctx;
    redisContext *rc;
    char *where; /* host:port, for messages */
};

/* ---- addresses ------------------------------------------------------- */

void spinapi_redis_address_clear(spinapi_redis_address *a)
{
    free(a->host);
    free(a->user);
    free(a->password);
    memset(a, 0, sizeof(*a));
}

static int parse_userinfo(const char *s, size_t n, spinapi_redis_address *out, util_error **err)
{
    const char *colon = memchr(s, ':', n);
    size_t ulen = colon ? (size_t)(colon - s) : n;
    if (ulen > 0 && (out->user = spinapi_percent_decode(s, ulen)) == NULL)
        return util_error_set(err, 0, "the user name has a bad %%-escape");
    if (colon && (out->password = spinapi_percent_decode(colon + 1, n - ulen - 1)) == NULL)
        return util_error_set(err, 0, "the password has a bad %%-escape");
    return 0;
}

static int parse_port(const char *s, size_t n, uint16_t *port, util_error **err)
{
    unsigned long v = 0;
    if (n == 0 || n > 5)
        return util_error_set(err, 0, "bad port '%.*s'", (int)n, s);
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return util_error_set(err, 0, "bad port '%.*s'", (int)n, s);
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v == 0 || v > 65535)
        return util_error_set(err, 0, "port %lu is out of range", v);
    *port = (uint16_t)v;
    return 0;
}

/* host[:port] or [v6]:port */
static int parse_hostport(const char *s, size_t n, spinapi_redis_address *out, util_error **err)
{
    const char *host = s, *rest;
    size_t hlen;
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (close == NULL)
            return util_error_set(err, 0, "an IPv6 address without its ']'");
        host = s + 1;
        hlen = (size_t)(close - host);
        rest = close + 1;
    } else {
        const char *colon = memchr(s, ':', n);
        hlen = colon ? (size_t)(colon - s) : n;
        rest = s + hlen;
    }
    size_t rlen = n - (size_t)(rest - s);
    if (hlen == 0)
        return util_error_set(err, 0, "no host");
    for (size_t i = 0; i < hlen; i++)
        if ((unsigned char)host[i] <= ' ' || host[i] == '%' || host[i] == '\\')
            return util_error_set(err, 0, "the host has a character URLs do not allow");
    out->port = 6379;
    if (rlen > 0) {
        if (rest[0] != ':')
            return util_error_set(err, 0, "junk after the host");
        if (parse_port(rest + 1, rlen - 1, &out->port, err) < 0)
            return -1;
    }
    out->host = util_xstrndup(host, hlen);
    return 0;
}

/* "" or "/" or "/N": the database number. */
static int parse_db(const char *s, size_t n, long *db, util_error **err)
{
    *db = 0;
    if (n <= 1)
        return 0;
    long v = 0;
    for (size_t i = 1; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || v > 100000000)
            return util_error_set(err, 0, "the path must be a database number, not '%.*s'",
                                  (int)n, s);
        v = v * 10 + (s[i] - '0');
    }
    *db = v;
    return 0;
}

static int parse_address(const char *s, size_t n, spinapi_redis_address *out, util_error **err)
{
    static const char scheme[] = "redis://";
    if (memchr(s, '\0', n))
        return util_error_set(err, 0, "it holds a NUL byte");
    if (n < sizeof(scheme) - 1 || strncasecmp(s, scheme, sizeof(scheme) - 1) != 0)
        return util_error_set(err, 0, "not a redis:// URL");
    s += sizeof(scheme) - 1;
    n -= sizeof(scheme) - 1;
    /* The query and fragment (redis-rs options) are not used here. */
    size_t end = strcspn(s, "?#");
    n = end < n ? end : n;
    size_t auth_end = strcspn(s, "/");
    auth_end = auth_end < n ? auth_end : n;
    const char *at = NULL;
    for (size_t i = 0; i < auth_end; i++)
        if (s[i] == '@')
            at = s + i;
    const char *hp = s;
    if (at) {
        if (parse_userinfo(s, (size_t)(at - s), out, err) < 0)
            return -1;
        hp = at + 1;
    }
    if (parse_hostport(hp, (size_t)(s + auth_end - hp), out, err) < 0)
        return -1;
    return parse_db(s + auth_end, n - auth_end, &out->db, err);
}

int spinapi_redis_parse_address(const char *address, size_t len, spinapi_redis_address *out,
                                util_error **err)
{
    memset(out, 0, sizeof(*out));
    if (parse_address(address, len, out, err) < 0) {
        spinapi_redis_address_clear(out);
        return util_error_wrap(err, "invalid redis address '%.*s'", (int)len, address);
    }
    return 0;
}

/* ---- time bounds ------------------------------------------------------ */

/* How long the next wait may take: the bound, or what is left before the
 * context's deadline if that is sooner; 0 when the deadline has passed. */
static uint64_t wait_ms(const spinapi_ctx *ctx, uint64_t bound_ms)
{
    if (ctx->redis_timeout_ms && ctx->redis_timeout_ms < bound_ms)
        bound_ms = ctx->redis_timeout_ms;
    uint64_t left = spinapi_ms_left(ctx->deadline_ns);
    return left < bound_ms ? left : bound_ms;
}

static struct timeval timeval_of(uint64_t ms)
{
    return (struct timeval){.tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000};
}

/* ---- connections ------------------------------------------------------- */

/* What went wrong on the connection, as one message. */
static int conn_failure(const spinapi_redis_conn *c, const char *doing, util_error **err)
{
    const redisContext *rc = c->rc;
    if (rc->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK))
        return util_error_set(err, 0, "redis %s: %s: no answer in time", c->where, doing);
    if (rc->err == REDIS_ERR_EOF)
        return util_error_set(err, 0, "redis %s: %s: the server closed the connection",
                              c->where, doing);
    return util_error_set(err, 0, "redis %s: %s: %s", c->where, doing,
                          rc->errstr[0] ? rc->errstr : "connection failed");
}

redisReply *spinapi_redis_command(spinapi_redis_conn *c, int argc, const char **argv,
                                  const size_t *lens, util_error **err)
{
    if (c->rc->err)
        return conn_failure(c, "the connection is broken", err), NULL;
    uint64_t ms = wait_ms(c->ctx, SPINAPI_REDIS_COMMAND_TIMEOUT_MS);
    if (ms == 0) {
        util_error_set(err, 0, "redis %s: the request's deadline has passed", c->where);
        return NULL;
    }
    if (redisSetTimeout(c->rc, timeval_of(ms)) != REDIS_OK) {
        conn_failure(c, "setting the timeout", err);
        return NULL;
    }
    redisReply *r = redisCommandArgv(c->rc, argc, argv, lens);
    if (r == NULL) {
        conn_failure(c, argv[0], err);
        return NULL;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        util_error_set(err, 0, "%.*s", (int)r->len, r->str);
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

bool spinapi_redis_broken(const spinapi_redis_conn *c)
{
    return c->rc == NULL || c->rc->err != 0;
}

/* A command whose reply only has to be a success (AUTH, SELECT). */
static int command_ok(spinapi_redis_conn *c, int argc, const char **argv, util_error **err)
{
    size_t lens[3];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    redisReply *r = spinapi_redis_command(c, argc, argv, lens, err);
    if (r == NULL)
        return -1;
    freeReplyObject(r);
    return 0;
}

void spinapi_redis_close(spinapi_redis_conn *c)
{
    if (c == NULL)
        return;
    spinapi_conn_link_remove(&c->link);
    if (c->rc)
        redisFree(c->rc);
    free(c->where);
    free(c);
}

void spinapi_redis_close_all(spinapi_ctx *ctx)
{
    while (ctx->redis)
        spinapi_redis_close(SPINAPI_CONN_OF(ctx->redis, spinapi_redis_conn));
}

static bool host_allowed(const spinapi_ctx *ctx, const spinapi_redis_address *a)
{
    const spinapi_component *comp = ctx->c;
    return comp->outbound_allowed != NULL &&
           comp->outbound_allowed(comp->outbound_self, "redis", a->host, a->port);
}

/* Connects, authenticates and selects the database. */
static int connect_conn(spinapi_redis_conn *c, const spinapi_redis_address *a, util_error **err)
{
    uint64_t ms = wait_ms(c->ctx, SPINAPI_REDIS_CONNECT_TIMEOUT_MS);
    if (ms == 0)
        return util_error_set(err, 0, "redis %s: the request's deadline has passed", c->where);
    c->rc = redisConnectWithTimeout(a->host, a->port, timeval_of(ms));
    if (c->rc == NULL)
        return util_error_set(err, ENOMEM, "redis %s: connecting", c->where);
    if (c->rc->err)
        return conn_failure(c, "connecting", err);
    if (a->password) {
        const char *argv[3] = {"AUTH", a->user ? a->user : a->password, a->password};
        if (command_ok(c, a->user ? 3 : 2, argv, err) < 0)
            return -1;
    }
    if (a->db != 0) {
        char db[24];
        snprintf(db, sizeof(db), "%ld", a->db);
        const char *argv[2] = {"SELECT", db};
        if (command_ok(c, 2, argv, err) < 0)
            return -1;
    }
    return 0;
}

static int open_conn(spinapi_ctx *ctx, const char *address, size_t len, bool check_host,
                     spinapi_redis_conn **out, util_error **err)
{
    spinapi_redis_address a;
    util_error *why = NULL;
    if (spinapi_redis_parse_address(address, len, &a, &why) < 0) {
        if (!check_host) /* a runtime config's url: say what is wrong with it */
            util_error_set(err, 0, "redis store url: %s", why ? why->msg : "invalid");
        util_error_free(&why);
        return SPINAPI_REDIS_INVALID_ADDRESS;
    }
    if (check_host && !host_allowed(ctx, &a)) {
        spinapi_redis_address_clear(&a);
        return SPINAPI_REDIS_INVALID_ADDRESS;
    }
    if (spinapi_conn_link_count(ctx->redis) >= SPINAPI_REDIS_MAX_CONNECTIONS) {
        spinapi_redis_address_clear(&a);
        return SPINAPI_REDIS_TOO_MANY_CONNECTIONS;
    }
    spinapi_redis_conn *c = util_xcalloc(1, sizeof(*c));
    c->ctx = ctx;
    c->where = strchr(a.host, ':') ? util_xasprintf("[%s]:%u", a.host, a.port)
                                   : util_xasprintf("%s:%u", a.host, a.port);
    spinapi_conn_link_add(&ctx->redis, &c->link);
    int rc = connect_conn(c, &a, err);
    spinapi_redis_address_clear(&a);
    if (rc < 0) {
        spinapi_redis_close(c);
        return SPINAPI_REDIS_OTHER;
    }
    *out = c;
    return SPINAPI_REDIS_OK;
}

int spinapi_redis_open(spinapi_ctx *ctx, const char *address, size_t len,
                       spinapi_redis_conn **out, util_error **err)
{
    return open_conn(ctx, address, len, true, out, err);
}

int spinapi_redis_open_trusted(spinapi_ctx *ctx, const char *address, size_t len,
                               spinapi_redis_conn **out, util_error **err)
{
    return open_conn(ctx, address, len, false, out, err);
}

/* ---- Spin 1: one command per connection ---------------------------------- */

int spinapi_redis_oneshot(spinapi_component *comp, uint64_t deadline_ns, const char *address,
                          size_t address_len, int argc, const char **argv, const size_t *lens,
                          spinapi_redis_reply *out, util_error **err)
{
    memset(out, 0, sizeof(*out));
    spinapi_ctx *ctx = spinapi_ctx_new(comp);
    spinapi_ctx_set_deadline(ctx, deadline_ns);
    spinapi_redis_conn *c = NULL;
    int rc = spinapi_redis_open(ctx, address, address_len, &c, err);
    if (rc != SPINAPI_REDIS_OK) {
        if (rc != SPINAPI_REDIS_OTHER)
            util_error_set(err, 0, "redis address '%.*s' is invalid or not allowed",
                           (int)address_len, address);
        spinapi_ctx_free(ctx);
        return -1;
    }
    redisReply *r = spinapi_redis_command(c, argc, argv, lens, err);
    if (r != NULL) {
        switch (r->type) {
        case REDIS_REPLY_NIL:
            out->kind = SPINAPI_REDIS_REPLY_NIL;
            break;
        case REDIS_REPLY_INTEGER:
            out->kind = SPINAPI_REDIS_REPLY_INT;
            out->integer = r->integer;
            break;
        case REDIS_REPLY_STRING:
        case REDIS_REPLY_STATUS:
            out->kind = r->type == REDIS_REPLY_STRING ? SPINAPI_REDIS_REPLY_BYTES
                                                      : SPINAPI_REDIS_REPLY_STATUS;
            out->bytes = util_xmalloc(r->len ? r->len : 1);
            memcpy(out->bytes, r->str, r->len);
            out->len = r->len;
            break;
        default:
            out->kind = SPINAPI_REDIS_REPLY_OTHER;
            break;
        }
        freeReplyObject(r);
    }
    spinapi_ctx_free(ctx); /* closes the connection */
    return r != NULL ? 0 : -1;
}

/* ---- the redis trigger's connection ------------------------------------- */

/* One command on a fresh context during the dial; -1 with *err. */
static int dial_command(redisContext *rc, const char *where, int argc, const char **argv,
                        util_error **err)
{
    redisReply *r = redisCommandArgv(rc, argc, argv, NULL);
    if (!r)
        return util_error_set(err, 0, "redis %s: %s: %s", where, argv[0],
                              rc->errstr[0] ? rc->errstr : "no answer");
    int ok = r->type == REDIS_REPLY_ERROR ? -1 : 0;
    if (ok < 0)
        util_error_set(err, 0, "redis %s: %s: %s", where, argv[0], r->str);
    freeReplyObject(r);
    return ok;
}

int spinapi_redis_dial(const char *address, uint64_t timeout_ms, char **where,
                       util_error **err)
{
    spinapi_redis_address a;
    if (spinapi_redis_parse_address(address, strlen(address), &a, err) < 0)
        return -1;
    *where = strchr(a.host, ':') ? util_xasprintf("[%s]:%u", a.host, a.port)
                                 : util_xasprintf("%s:%u", a.host, a.port);
    redisContext *rc = redisConnectWithTimeout(a.host, a.port, timeval_of(timeout_ms));
    int fd = -1;
    if (!rc) {
        util_error_set(err, ENOMEM, "redis %s: connecting", *where);
    } else if (rc->err) {
        util_error_set(err, 0, "redis %s: connecting: %s", *where,
                       rc->errstr[0] ? rc->errstr : "connection failed");
    } else {
        redisSetTimeout(rc, timeval_of(timeout_ms));
        char db[24];
        snprintf(db, sizeof(db), "%ld", a.db);
        const char *auth[3] = {"AUTH", a.user ? a.user : a.password, a.password};
        const char *select[2] = {"SELECT", db};
        if ((!a.password || dial_command(rc, *where, a.user ? 3 : 2, auth, err) == 0) &&
            (a.db == 0 || dial_command(rc, *where, 2, select, err) == 0)) {
            fd = redisFreeKeepFd(rc);
            rc = NULL;
        }
    }
    if (rc)
        redisFree(rc);
    spinapi_redis_address_clear(&a);
    if (fd < 0) {
        free(*where);
        *where = NULL;
    }
    return fd;
}
