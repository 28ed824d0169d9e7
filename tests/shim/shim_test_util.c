/*
 * shim_test_util.c - the fake containerd events endpoint and a typed Task
 * client for the shim tests.
 */
#include "shim_test_util.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int sink_handler(void *ctx, const ttrpc_call *call, uint8_t **resp, size_t *resp_len,
                        ttrpc_status *st)
{
    events_sink *s = ctx;
    if (strcmp(call->service, "containerd.services.events.ttrpc.v1.Events") != 0 ||
        strcmp(call->method, "Forward") != 0)
        return shim_ttrpc_status_set(st, TTRPC_UNIMPLEMENTED, "unexpected %s/%s", call->service,
                                     call->method);
    Containerd__Events__ForwardRequest *f =
        containerd__events__forward_request__unpack(NULL, call->payload_len, call->payload);
    if (f == NULL || f->envelope == NULL)
        return shim_ttrpc_status_set(st, TTRPC_INVALID_ARGUMENT, "bad ForwardRequest");
    pthread_mutex_lock(&s->lock);
    if (s->n < 256) {
        s->topics[s->n] = util_xstrdup(f->envelope->topic);
        s->namespaces[s->n] = util_xstrdup(f->envelope->namespace_);
        s->n++;
    }
    Google__Protobuf__Any *a = f->envelope->event;
    if (a && strcmp(a->type_url, "containerd.events.TaskExit") == 0 && s->n_exits < 16) {
        Containerd__Events__TaskExit *e =
            containerd__events__task_exit__unpack(NULL, a->value.len, a->value.data);
        if (e) {
            Containerd__Events__TaskExit *d = &s->exits[s->n_exits++];
            containerd__events__task_exit__init(d);
            d->container_id = util_xstrdup(e->container_id);
            d->id = util_xstrdup(e->id);
            d->pid = e->pid;
            d->exit_status = e->exit_status;
            containerd__events__task_exit__free_unpacked(e, NULL);
        }
    }
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    containerd__events__forward_request__free_unpacked(f, NULL);
    Google__Protobuf__Empty e = GOOGLE__PROTOBUF__EMPTY__INIT;
    *resp_len = shim_pb_pack(&e.base, resp);
    return 0;
}

static void *sink_thread(void *arg)
{
    shim_ttrpc_server_run(arg);
    return NULL;
}

int events_sink_start(events_sink *s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    static int seq;
    snprintf(s->path, sizeof s->path, "/tmp/shim-events-%d-%d.sock", (int)getpid(), seq++);
    unlink(s->path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, s->path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 16) < 0)
        return -1;
    s->server = shim_ttrpc_server_new(fd, sink_handler, s);
    return pthread_create(&s->thread, NULL, sink_thread, s->server);
}

void events_sink_stop(events_sink *s)
{
    shim_ttrpc_server_stop(s->server);
    pthread_join(s->thread, NULL);
    shim_ttrpc_server_free(s->server);
    unlink(s->path);
    for (size_t i = 0; i < s->n; i++) {
        free(s->topics[i]);
        free(s->namespaces[i]);
    }
    for (size_t i = 0; i < s->n_exits; i++) {
        free(s->exits[i].container_id);
        free(s->exits[i].id);
    }
}

size_t events_sink_wait(events_sink *s, size_t n)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    pthread_mutex_lock(&s->lock);
    while (s->n < n) {
        if (pthread_cond_timedwait(&s->cond, &s->lock, &deadline) != 0)
            break;
    }
    size_t got = s->n;
    pthread_mutex_unlock(&s->lock);
    return got;
}

char *events_sink_topics(events_sink *s)
{
    util_buf b = {0};
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n; i++) {
        const char *t = strrchr(s->topics[i], '/');
        util_buf_printf(&b, "%s%s", i ? "," : "", t ? t + 1 : s->topics[i]);
    }
    pthread_mutex_unlock(&s->lock);
    if (b.data == NULL)
        return util_xstrdup("");
    return util_buf_steal(&b, NULL);
}

int task_call(ttrpc_client *c, const char *method, const ProtobufCMessage *req,
              const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **out, char **msg)
{
    uint8_t *buf = NULL;
    size_t len = shim_pb_pack(req, &buf);
    uint8_t *resp = NULL;
    size_t resp_len = 0;
    ttrpc_status st = {0, NULL};
    util_error *err = NULL;
    if (out)
        *out = NULL;
    int rc = shim_ttrpc_client_call(c, "containerd.task.v2.Task", method, "testns", buf, len, &resp,
                                    &resp_len, &st, &err);
    free(buf);
    if (rc < 0) {
        if (msg)
            *msg = util_xstrdup(err->msg);
        util_error_free(&err);
        return -1;
    }
    if (st.code == 0 && out && resp_desc)
        *out = protobuf_c_message_unpack(resp_desc, NULL, resp_len, resp);
    free(resp);
    if (msg)
        *msg = st.message;
    else
        free(st.message);
    return st.code;
}
