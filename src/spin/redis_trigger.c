/*
 * redis_trigger.c - Spin's redis trigger: `[[trigger.redis]] channel,
 * component, address?` with the app-wide `[application.trigger.redis]
 * address`, each message published on a channel handled by a fresh
 * instance of every component subscribed to it (redis_handler.c).
 *
 * Loading is Spin's: unknown fields of a trigger are refused, the address
 * (the trigger's, else the app's) and the channel are templates rendered
 * with the app's variables, and the triggers are grouped by address, then
 * by channel, so each server gets one subscriber connection.  Every
 * component is checked before anything connects.  Starting connects and
 * subscribes to every server (a server unreachable at start is a start-up
 * error, as in Spin) and prints Spin's "Active Channels" lines.
 *
 * Each server's subscriber is a thread of its own on hiredis (the blocking
 * context, read through poll() together with an eventfd that stop()
 * signals, so nothing waits unboundedly and no event loop is needed).
 * Messages are handled one after another in the order they arrive, as
 * Spin's subscriber awaits each; a handler that traps or returns an error
 * is logged (one line, a warning) and the next message is read.  Where
 * Spin 3.6 ends the trigger (and so the app) when the server goes away,
 * this subscriber reconnects with a growing backoff (100 ms doubling to
 * 5 s), subscribes again and goes on: messages published while it was
 * away are lost, as pub/sub has no memory.
 *
 * Stopping wakes the subscriber through its eventfd; a handler still
 * running gets a grace period, then its store is interrupted.
 */
#include "app_internal.h"
#include "component.h"
#include "redis_trigger.h"
#include "spinapi.h"

#include <errno.h>
#include <hiredis.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define REDIS_TYPE "redis"
#define CONNECT_TIMEOUT_MS 5000
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000
#define STOP_GRACE_MS 10000

typedef struct channel {
    char *name;
    spin_component_runtime **comps; /* in manifest order */
    size_t ncomps;
} channel;

typedef struct subscriber {
    char *address;
    char *where; /* host:port, once connected */
    channel *channels;
    size_t nchannels;
    redisContext *rc;
    pthread_t thread;
    bool started;
    int wake_fd; /* eventfd: stop() */
    pthread_mutex_t lock; /* guards store and stopping */
    wasm_store *store;    /* the running handler's store */
    bool stopping;
} subscriber;

typedef struct redis_trigger {
    subscriber *subs;
    size_t nsubs;
} redis_trigger;

/* ---- loading -------------------------------------------------------------- */

static const char *string_field(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    return NULL;
}

static int check_fields(const spin_locked_trigger *t, util_error **err)
{
    if (!t->config || !json_object_is_type(t->config, json_type_object))
        return util_error_set(err, 0, "trigger '%s': a redis trigger needs `channel` and "
                              "`component`", t->id);
    json_object_object_foreach(t->config, key, val)
    {
        if (strcmp(key, "component") != 0 && strcmp(key, "channel") != 0 &&
            strcmp(key, "address") != 0)
            return util_error_set(err, 0,
                                  "trigger '%s': unknown redis trigger field '%s' (expected one "
                                  "of: component, channel, address)",
                                  t->id, key);
        if (!json_object_is_type(val, json_type_string))
            return util_error_set(err, 0, "trigger '%s': `%s` must be a string", t->id, key);
    }
    if (!string_field(t->config, "channel") || !string_field(t->config, "component"))
        return util_error_set(err, 0, "trigger '%s': a redis trigger needs `%s`", t->id,
                              string_field(t->config, "channel") ? "component" : "channel");
    return 0;
}

static const char *lookup_var(void *vars, const char *name)
{
    return spin_resolved_var(vars, name);
}

/* A `{{ variable }}` template of the trigger rendered with the app's
 * variables, as Spin resolves the address and the channel. */
static char *render(const spin_loaded_app *app, const char *text, const char *what,
                    const spin_locked_trigger *t, util_error **err)
{
    spin_template tpl;
    if (spin_template_parse(text, &tpl, err) < 0) {
        util_error_wrap(err, "trigger '%s': %s", t->id, what);
        return NULL;
    }
    char *out = spin_template_render(&tpl, lookup_var, (void *)&app->vars, err);
    spin_template_free(&tpl);
    if (!out)
        util_error_wrap(err, "trigger '%s': %s '%s'", t->id, what, text);
    return out;
}

static subscriber *subscriber_for(redis_trigger *rt, const char *address)
{
    for (size_t i = 0; i < rt->nsubs; i++)
        if (strcmp(rt->subs[i].address, address) == 0)
            return &rt->subs[i];
    rt->subs = util_xrealloc(rt->subs, (rt->nsubs + 1) * sizeof(*rt->subs));
    subscriber *s = &rt->subs[rt->nsubs++];
    memset(s, 0, sizeof(*s));
    s->address = util_xstrdup(address);
    s->wake_fd = -1;
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

static void add_component(subscriber *s, const char *name, spin_component_runtime *comp)
{
    channel *ch = NULL;
    for (size_t i = 0; i < s->nchannels && !ch; i++)
        if (strcmp(s->channels[i].name, name) == 0)
            ch = &s->channels[i];
    if (!ch) {
        s->channels = util_xrealloc(s->channels, (s->nchannels + 1) * sizeof(*s->channels));
        ch = &s->channels[s->nchannels++];
        *ch = (channel){.name = util_xstrdup(name)};
    }
    ch->comps = util_xrealloc(ch->comps, (ch->ncomps + 1) * sizeof(*ch->comps));
    ch->comps[ch->ncomps++] = comp;
}

static int load_entry(spin_loaded_app *app, redis_trigger *rt, const spin_locked_trigger *t,
                      const char *default_address, util_error **err)
{
    if (check_fields(t, err) < 0)
        return -1;
    const char *address = string_field(t->config, "address");
    if (!address)
        address = default_address;
    if (!address)
        return util_error_set(err, 0,
                              "trigger '%s': no redis address (set the trigger's `address` or "
                              "[application.trigger.redis] address)",
                              t->id);
    cleanup_free char *addr = render(app, address, "address", t, err);
    cleanup_free char *chan = addr ? render(app, string_field(t->config, "channel"), "channel",
                                            t, err)
                                   : NULL;
    if (!chan)
        return -1;
    spin_component_runtime *comp = spin_app_component(app, spin_trigger_component(t), err);
    if (!comp || spin_redis_guest_check(comp, err) < 0)
        return -1;
    add_component(subscriber_for(rt, addr), chan, comp);
    return 0;
}

static void redis_free(void *self)
{
    redis_trigger *rt = self;
    if (!rt)
        return;
    for (size_t i = 0; i < rt->nsubs; i++) {
        subscriber *s = &rt->subs[i];
        for (size_t j = 0; j < s->nchannels; j++) {
            free(s->channels[j].name);
            free(s->channels[j].comps);
        }
        free(s->channels);
        if (s->rc)
            redisFree(s->rc);
        if (s->wake_fd >= 0)
            close(s->wake_fd);
        pthread_mutex_destroy(&s->lock);
        free(s->address);
        free(s->where);
    }
    free(rt->subs);
    free(rt);
}

static int redis_load(spin_loaded_app *app, const spin_locked_trigger *const *entries, size_t n,
                      void **self, util_error **err)
{
    redis_trigger *rt = util_xcalloc(1, sizeof(*rt));
    *self = rt;
    struct json_object *meta = spin_locked_app_trigger_metadata(app->locked, REDIS_TYPE);
    const char *default_address = string_field(meta, "address");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = load_entry(app, rt, entries[i], default_address, err);
    json_object_put(meta);
    return rc;
}

/* ---- connections -------------------------------------------------------------- */

/* Connects and subscribes to every channel, reading each confirmation. */
static int subscribe(subscriber *s, util_error **err)
{
    char *where = NULL;
    int fd = spinapi_redis_dial(s->address, CONNECT_TIMEOUT_MS, &where, err);
    if (fd < 0)
        return util_error_wrap(err, "redis trigger");
    free(s->where);
    s->where = where;
    redisContext *rc = redisConnectFd(fd);
    if (!rc || rc->err) {
        if (rc)
            redisFree(rc);
        else
            close(fd);
        return util_error_set(err, ENOMEM, "redis trigger %s: setting up the connection", where);
    }
    for (size_t i = 0; i < s->nchannels; i++) {
        const char *argv[2] = {"SUBSCRIBE", s->channels[i].name};
        redisReply *r = redisCommandArgv(rc, 2, argv, NULL);
        bool ok = r && r->type == REDIS_REPLY_ARRAY;
        if (!ok) {
            util_error_set(err, 0, "redis trigger %s: subscribing to channel '%s': %s", where,
                           s->channels[i].name,
                           r && r->type == REDIS_REPLY_ERROR ? r->str
                           : rc->errstr[0]                   ? rc->errstr
                                                             : "unexpected reply");
            if (r)
                freeReplyObject(r);
            redisFree(rc);
            return -1;
        }
        freeReplyObject(r);
    }
    s->rc = rc;
    return 0;
}

static void disconnect(subscriber *s)
{
    if (s->rc)
        redisFree(s->rc);
    s->rc = NULL;
}

/* Waits until the connection has data (1), stop() is called (0), or the
 * wait fails (-1). */
static int wait_readable(subscriber *s)
{
    struct pollfd p[2] = {{s->rc->fd, POLLIN, 0}, {s->wake_fd, POLLIN, 0}};
    for (;;) {
        int n = poll(p, 2, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (p[1].revents)
            return 0;
        return 1;
    }
}

/* Sleeps `ms` unless stop() comes first; true if it did. */
static bool stop_within(subscriber *s, uint64_t ms)
{
    struct pollfd p = {s->wake_fd, POLLIN, 0};
    int n;
    do
        n = poll(&p, 1, (int)ms);
    while (n < 0 && errno == EINTR);
    return n > 0;
}

/* The next reply on the connection: 1 and *reply, 0 on stop, -1 when the
 * connection is lost (*why says how). */
static int next_reply(subscriber *s, redisReply **reply, const char **why)
{
    for (;;) {
        void *r = NULL;
        if (redisGetReplyFromReader(s->rc, &r) != REDIS_OK) {
            *why = s->rc->errstr[0] ? s->rc->errstr : "protocol error";
            return -1;
        }
        if (r) {
            *reply = r;
            return 1;
        }
        int ready = wait_readable(s);
        if (ready <= 0) {
            *why = "poll failed";
            return ready;
        }
        if (redisBufferRead(s->rc) != REDIS_OK) {
            *why = s->rc->err == REDIS_ERR_EOF ? "the server closed the connection"
                   : s->rc->errstr[0]         ? s->rc->errstr
                                              : "read failed";
            return -1;
        }
    }
}

/* Reconnects with a growing backoff until it works (true) or stop() is
 * called (false).  Logs the outage once and the recovery. */
static bool reconnect(subscriber *s, const char *why)
{
    util_log_warn("redis trigger: lost the connection to %s (%s); reconnecting", s->where, why);
    disconnect(s);
    uint64_t backoff = BACKOFF_FIRST_MS;
    for (;;) {
        if (stop_within(s, backoff))
            return false;
        util_error *err = NULL;
        if (subscribe(s, &err) == 0) {
            util_log_warn("redis trigger: reconnected to %s", s->where);
            return true;
        }
        util_log_debug("%s", err ? err->msg : "reconnect failed");
        util_error_free(&err);
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
    }
}

/* ---- messages ------------------------------------------------------------------- */

static bool watch_store(void *arg, wasm_store *store)
{
    subscriber *s = arg;
    pthread_mutex_lock(&s->lock);
    s->store = store;
    bool stopping = s->stopping;
    pthread_mutex_unlock(&s->lock);
    return store && stopping;
}

static void dispatch(subscriber *s, const redisReply *r)
{
    /* ["message", channel, payload] */
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
        r->element[0]->type != REDIS_REPLY_STRING || strcmp(r->element[0]->str, "message") != 0 ||
        r->element[1]->type != REDIS_REPLY_STRING || r->element[2]->type != REDIS_REPLY_STRING)
        return;
    const redisReply *name = r->element[1], *payload = r->element[2];
    const channel *ch = NULL;
    for (size_t i = 0; i < s->nchannels && !ch; i++)
        if (strcmp(s->channels[i].name, name->str) == 0)
            ch = &s->channels[i];
    if (!ch) {
        util_log_error("Error handling message from %s: message from unexpected channel '%s'",
                       s->where, name->str);
        return;
    }
    spin_redis_watch w = {watch_store, s};
    for (size_t i = 0; i < ch->ncomps; i++) {
        util_error *err = NULL;
        if (spin_redis_handle(ch->comps[i], &w, (const uint8_t *)payload->str, payload->len,
                              &err) < 0)
            util_log_warn("redis trigger: message on %s/%s: %s", s->where, ch->name,
                          err ? err->msg : "the handler failed");
        util_error_free(&err);
    }
}

static void *subscriber_thread(void *arg)
{
    subscriber *s = arg;
    for (;;) {
        redisReply *r = NULL;
        const char *why = NULL;
        int got = next_reply(s, &r, &why);
        if (got == 0)
            break;
        if (got < 0) {
            cleanup_free char *reason = util_xstrdup(why);
            if (!reconnect(s, reason))
                break;
            continue;
        }
        dispatch(s, r);
        freeReplyObject(r);
    }
    return NULL;
}

/* ---- the registry's ops ------------------------------------------------------- */

static int redis_start(void *self, util_buf *banner, util_error **err)
{
    redis_trigger *rt = self;
    for (size_t i = 0; i < rt->nsubs; i++) {
        subscriber *s = &rt->subs[i];
        s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (s->wake_fd < 0)
            return util_error_set(err, errno, "redis trigger: eventfd");
        if (subscribe(s, err) < 0)
            return -1;
        util_buf_printf(banner, "Active Channels on %s:\n", s->where);
        for (size_t j = 0; j < s->nchannels; j++) {
            util_buf_printf(banner, "\t%s/%s: [", s->where, s->channels[j].name);
            for (size_t k = 0; k < s->channels[j].ncomps; k++)
                util_buf_printf(banner, "%s%s", k ? "," : "", s->channels[j].comps[k]->id);
            util_buf_printf(banner, "]\n");
        }
    }
    for (size_t i = 0; i < rt->nsubs; i++) {
        subscriber *s = &rt->subs[i];
        int e = pthread_create(&s->thread, NULL, subscriber_thread, s);
        if (e != 0)
            return util_error_set(err, e, "redis trigger: starting its thread");
        s->started = true;
    }
    return 0;
}

static bool join_within(pthread_t t, uint64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)(ms / 1000);
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    return pthread_timedjoin_np(t, NULL, &until) == 0;
}

/* Wakes the subscriber; a handler still running after the grace period
 * has its store interrupted.  False if one still would not end. */
static bool stop_subscriber(subscriber *s)
{
    if (!s->started)
        return true;
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_mutex_unlock(&s->lock);
    uint64_t one = 1;
    ssize_t w = write(s->wake_fd, &one, sizeof(one));
    (void)w;
    if (join_within(s->thread, STOP_GRACE_MS))
        goto joined;
    pthread_mutex_lock(&s->lock);
    if (s->store)
        wasm_store_interrupt(s->store);
    pthread_mutex_unlock(&s->lock);
    if (join_within(s->thread, STOP_GRACE_MS))
        goto joined;
    util_log_error("redis trigger: a handler on %s did not stop: leaving it", s->where);
    return false;
joined:
    s->started = false;
    return true;
}

static bool redis_stop(void *self)
{
    redis_trigger *rt = self;
    bool finished = true;
    for (size_t i = 0; i < rt->nsubs; i++)
        finished = stop_subscriber(&rt->subs[i]) && finished;
    return finished;
}

const spin_trigger_ops spin_redis_trigger_ops = {
    .type = REDIS_TYPE,
    .load = redis_load,
    .start = redis_start,
    .stop = redis_stop,
    .free = redis_free,
};
