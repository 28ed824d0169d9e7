/*
 * events.c - publishing task events to containerd.
 *
 * RPC handlers and the reaper only queue an event; one publisher thread
 * sends them in order over ttrpc (Events/Forward with an Envelope), so a
 * slow or restarting containerd never blocks a Task RPC.  A failed send
 * reconnects and retries the same event a few times before dropping it
 * (like the Go shim's publisher), keeping Create < Start < Exit < Delete
 * order because nothing overtakes the event at the head of the queue.
 */
#include "proto.h"
#include "shim_internal.h"
#include "ttrpc.h"

#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_ATTEMPTS 5
#define MAX_QUEUE 4096

typedef struct event_item {
    uint8_t *data; /* packed ForwardRequest */
    size_t len;
    char *topic;
    struct event_item *next;
} event_item;

struct shim_events {
    char *addr;
    char *ns;
    pthread_mutex_t lock;
    pthread_cond_t cond;      /* queue became non-empty / stop */
    pthread_cond_t drained;   /* queue became empty */
    event_item *head, *tail;
    size_t queued;
    bool busy;                /* the thread holds an item it is sending */
    bool stop;
    pthread_t thread;
    bool has_thread;
};

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bool send_one(shim_events *ev, ttrpc_client *c, bool *connected, event_item *it)
{
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        util_error *err = NULL;
        if (!*connected) {
            if (shim_ttrpc_client_connect(c, ev->addr, &err) == 0) {
                *connected = true;
            } else {
                util_log_debug("events: %s", err->msg);
                util_error_free(&err);
            }
        }
        if (*connected) {
            uint8_t *resp = NULL;
            size_t resp_len = 0;
            ttrpc_status st = {0, NULL};
            int rc = shim_ttrpc_client_call(c, "containerd.services.events.ttrpc.v1.Events",
                                            "Forward", ev->ns, it->data, it->len, &resp,
                                            &resp_len, &st, &err);
            free(resp);
            if (rc == 0 && st.code == TTRPC_OK) {
                free(st.message);
                return true;
            }
            if (rc == 0)
                util_log_warn("events: forward %s: code %d: %s", it->topic, st.code,
                              st.message ? st.message : "");
            else {
                util_log_warn("events: forward %s: %s", it->topic, err->msg);
                util_error_free(&err);
            }
            free(st.message);
            shim_ttrpc_client_close(c);
            *connected = false;
        }
        pthread_mutex_lock(&ev->lock);
        bool stopping = ev->stop;
        pthread_mutex_unlock(&ev->lock);
        if (stopping && attempt >= 2)
            break;
        sleep_ms(100u * (unsigned)attempt);
    }
    util_log_error("events: dropped %s after %d attempts", it->topic, MAX_ATTEMPTS);
    return false;
}

static void *publisher(void *arg)
{
    shim_events *ev = arg;
    ttrpc_client c = {.fd = -1};
    bool connected = false;
    pthread_mutex_lock(&ev->lock);
    for (;;) {
        while (ev->head == NULL && !ev->stop)
            pthread_cond_wait(&ev->cond, &ev->lock);
        if (ev->head == NULL && ev->stop)
            break;
        event_item *it = ev->head;
        ev->head = it->next;
        if (ev->head == NULL)
            ev->tail = NULL;
        ev->busy = true;
        pthread_mutex_unlock(&ev->lock);
        send_one(ev, &c, &connected, it);
        free(it->data);
        free(it->topic);
        free(it);
        pthread_mutex_lock(&ev->lock);
        ev->busy = false;
        ev->queued--;
        if (ev->queued == 0)
            pthread_cond_broadcast(&ev->drained);
    }
    pthread_mutex_unlock(&ev->lock);
    if (connected)
        shim_ttrpc_client_close(&c);
    return NULL;
}

shim_events *shim_events_new(const char *addr, const char *ns)
{
    shim_events *ev = util_xcalloc(1, sizeof *ev);
    ev->addr = addr && addr[0] ? util_xstrdup(addr) : NULL;
    ev->ns = util_xstrdup(ns ? ns : "default");
    pthread_mutex_init(&ev->lock, NULL);
    pthread_cond_init(&ev->cond, NULL);
    pthread_cond_init(&ev->drained, NULL);
    if (ev->addr && pthread_create(&ev->thread, NULL, publisher, ev) == 0)
        ev->has_thread = true;
    return ev;
}

void shim_events_publish(shim_events *ev, const char *topic, const char *type_url,
                         const ProtobufCMessage *event)
{
    if (ev == NULL || !ev->has_thread) {
        util_log_debug("events: no TTRPC_ADDRESS; %s not published", topic);
        return;
    }
    Containerd__Events__Envelope env = CONTAINERD__EVENTS__ENVELOPE__INIT;
    Containerd__Events__ForwardRequest fwd = CONTAINERD__EVENTS__FORWARD_REQUEST__INIT;
    pb_timestamp ts;
    pb_any any;
    shim_pb_timestamp_set(&ts, util_realtime_ns());
    shim_pb_any_pack(&any, type_url, event);
    env.timestamp = &ts;
    env.namespace_ = ev->ns;
    env.topic = (char *)topic;
    env.event = &any;
    fwd.envelope = &env;
    event_item *it = util_xcalloc(1, sizeof *it);
    it->len = shim_pb_pack(&fwd.base, &it->data);
    it->topic = util_xstrdup(topic);
    shim_pb_any_clear(&any);
    pthread_mutex_lock(&ev->lock);
    if (ev->queued >= MAX_QUEUE) {
        pthread_mutex_unlock(&ev->lock);
        util_log_error("events: queue full; %s dropped", topic);
        free(it->data);
        free(it->topic);
        free(it);
        return;
    }
    if (ev->tail)
        ev->tail->next = it;
    else
        ev->head = it;
    ev->tail = it;
    ev->queued++;
    pthread_cond_signal(&ev->cond);
    pthread_mutex_unlock(&ev->lock);
}

size_t shim_events_flush(shim_events *ev, unsigned timeout_ms)
{
    if (ev == NULL || !ev->has_thread)
        return 0;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&ev->lock);
    while (ev->queued > 0) {
        if (pthread_cond_timedwait(&ev->drained, &ev->lock, &deadline) != 0)
            break;
    }
    size_t left = ev->queued;
    pthread_mutex_unlock(&ev->lock);
    return left;
}

void shim_events_free(shim_events *ev)
{
    if (ev == NULL)
        return;
    if (ev->has_thread) {
        pthread_mutex_lock(&ev->lock);
        ev->stop = true;
        pthread_cond_signal(&ev->cond);
        pthread_mutex_unlock(&ev->lock);
        pthread_join(ev->thread, NULL);
    }
    for (event_item *it = ev->head, *next; it; it = next) {
        next = it->next;
        free(it->data);
        free(it->topic);
        free(it);
    }
    pthread_mutex_destroy(&ev->lock);
    pthread_cond_destroy(&ev->cond);
    pthread_cond_destroy(&ev->drained);
    free(ev->addr);
    free(ev->ns);
    free(ev);
}
