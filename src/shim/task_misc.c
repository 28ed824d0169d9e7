/*
 * task_misc.c - the Task calls outside the basic life cycle: Stats, Pids,
 * Pause/Resume, Update, CloseIO, ResizePty, Connect, Shutdown, Checkpoint.
 */
#include "task_internal.h"

#include <string.h>
#include <unistd.h>

/* Most of these requests start with `string id = 1`; PidsRequest,
 * StatsRequest, PauseRequest, ResumeRequest and ConnectRequest are only
 * that, so one decoder serves them all. */
static task *task_of(shim_service *s, const ttrpc_call *call, ttrpc_status *st)
{
    Containerd__Task__V2__PidsRequest *req =
        containerd__task__v2__pids_request__unpack(NULL, call->payload_len, call->payload);
    if (req == NULL) {
        shim_ttrpc_status_set(st, TTRPC_INVALID_ARGUMENT, "malformed %s request", call->method);
        return NULL;
    }
    task *t = shim_task_get(s, req->id, st);
    containerd__task__v2__pids_request__free_unpacked(req, NULL);
    if (t && t->c == NULL) {
        shim_ttrpc_status_set(st, TTRPC_NOT_FOUND, "task %s is still being created", t->id);
        shim_task_put(s, t);
        return NULL;
    }
    return t;
}

int shim_task_stats(shim_service *s, const ttrpc_call *call, uint8_t **resp, size_t *resp_len,
                    ttrpc_status *st)
{
    task *t = task_of(s, call, st);
    if (t == NULL)
        return -1;
    container_stats cs;
    util_error *err = NULL;
    pthread_mutex_lock(&t->op);
    int rc = container_stats_read(t->c, &cs, &err);
    pthread_mutex_unlock(&t->op);
    shim_task_put(s, t);
    if (rc < 0)
        return shim_task_error(st, &err, "stats");
    Containerd__Task__V2__StatsResponse r = CONTAINERD__TASK__V2__STATS_RESPONSE__INIT;
    pb_any any;
    shim_stats_to_any(&cs, &any);
    r.stats = &any;
    shim_task_reply(&r.base, resp, resp_len);
    shim_pb_any_clear(&any);
    return 0;
}

int shim_task_pids(shim_service *s, const ttrpc_call *call, uint8_t **resp, size_t *resp_len,
                   ttrpc_status *st)
{
    task *t = task_of(s, call, st);
    if (t == NULL)
        return -1;
    pid_t *pids = NULL;
    size_t n = 0;
    util_error *err = NULL;
    pthread_mutex_lock(&t->op);
    int rc = container_pids(t->c, &pids, &n, &err);
    pthread_mutex_unlock(&t->op);
    shim_task_put(s, t);
    if (rc < 0)
        return shim_task_error(st, &err, "pids");
    Containerd__Task__V2__PidsResponse r = CONTAINERD__TASK__V2__PIDS_RESPONSE__INIT;
    Containerd__Task__V2__ProcessInfo *infos = util_xcalloc(n + 1, sizeof *infos);
    Containerd__Task__V2__ProcessInfo **ptrs = util_xcalloc(n + 1, sizeof *ptrs);
    for (size_t i = 0; i < n; i++) {
        containerd__task__v2__process_info__init(&infos[i]);
        infos[i].pid = (uint32_t)pids[i];
        ptrs[i] = &infos[i];
    }
    r.processes = ptrs;
    r.n_processes = n;
    shim_task_reply(&r.base, resp, resp_len);
    free(infos);
    free(ptrs);
    free(pids);
    return 0;
}

static int pause_resume(shim_service *s, const ttrpc_call *call, uint8_t **resp,
                        size_t *resp_len, ttrpc_status *st, bool pause)
{
    task *t = task_of(s, call, st);
    if (t == NULL)
        return -1;
    util_error *err = NULL;
    pthread_mutex_lock(&t->op);
    int rc = pause ? container_pause(t->c, &err) : container_resume(t->c, &err);
    pthread_mutex_unlock(&t->op);
    if (rc < 0) {
        shim_task_put(s, t);
        return shim_task_error(st, &err, pause ? "pause" : "resume");
    }
    Containerd__Events__TaskPaused ev = CONTAINERD__EVENTS__TASK_PAUSED__INIT;
    ev.container_id = t->id;
    /* TaskPaused and TaskResumed have the same single field */
    shim_events_publish(s->ev, pause ? "/tasks/paused" : "/tasks/resumed",
                        pause ? "containerd.events.TaskPaused" : "containerd.events.TaskResumed",
                        &ev.base);
    shim_task_put(s, t);
    return shim_task_reply_empty(resp, resp_len);
}

int shim_task_pause(shim_service *s, const ttrpc_call *call, uint8_t **resp, size_t *resp_len,
                    ttrpc_status *st)
{
    return pause_resume(s, call, resp, resp_len, st, true);
}

int shim_task_resume(shim_service *s, const ttrpc_call *call, uint8_t **resp, size_t *resp_len,
                     ttrpc_status *st)
{
    return pause_resume(s, call, resp, resp_len, st, false);
}

int shim_task_update(shim_service *s, const ttrpc_call *call, uint8_t **resp, size_t *resp_len,
                     ttrpc_status *st)
{
    Containerd__Task__V2__UpdateTaskRequest *req =
        containerd__task__v2__update_task_request__unpack(NULL, call->payload_len, call->payload);
    if (req == NULL)
        return shim_ttrpc_status_set(st, TTRPC_INVALID_ARGUMENT, "malformed Update request");
    int rc = -1;
    task *t = shim_task_get(s, req->id, st);
    if (t == NULL)
        goto out;
    if (req->resources == NULL || req->resources->value.len == 0) {
        shim_ttrpc_status_set(st, TTRPC_INVALID_ARGUMENT, "update %s: resources are missing",
                              t->id);
    } else if (t->c == NULL) {
        shim_ttrpc_status_set(st, TTRPC_NOT_FOUND, "task %s is still being created", t->id);
    } else {
        cleanup_free char *json = util_xstrndup((const char *)req->resources->value.data,
                                                req->resources->value.len);
        util_error *err = NULL;
        pthread_mutex_lock(&t->op);
        int u = container_update(t->c, json, &err);
        pthread_mutex_unlock(&t->op);
        if (u < 0)
            shim_task_error(st, &err, "update");
        else
            rc = shim_task_reply_empty(resp, resp_len);
    }
    shim_task_put(s, t);
out:
    containerd__task__v2__update_task_request__free_unpacked(req, NULL);
    return rc;
}

int shim_task_close_io(shim_service *s, const ttrpc_call *call, uint8_t **resp, size_t *resp_len,
                       ttrpc_status *st)
{
    Containerd__Task__V2__CloseIORequest *req =
        containerd__task__v2__close_iorequest__unpack(NULL, call->payload_len, call->payload);
    if (req == NULL)
        return shim_ttrpc_status_set(st, TTRPC_INVALID_ARGUMENT, "malformed CloseIO request");
    int rc = -1;
    task *t = shim_task_get(s, req->id, st);
    if (t) {
        pthread_mutex_lock(&s->lock);
        bool found = !(req->exec_id && req->exec_id[0]) || shim_task_find_exec(t, req->exec_id);
        pthread_mutex_unlock(&s->lock);
        /* the container layer keeps a write end of the stdin FIFO so the
         * process sees no EOF before this call; dropping it lets EOF through */
        util_error *err = NULL;
        if (found && req->stdin && container_close_stdin(t->c, req->exec_id, &err) < 0)
            shim_task_error(st, &err, "close stdin");
        else if (found)
            rc = shim_task_reply_empty(resp, resp_len);
        else
            shim_ttrpc_status_set(st, TTRPC_NOT_FOUND, "exec %s of task %s not found", req->exec_id,
                                  t->id);
        shim_task_put(s, t);
    }
    containerd__task__v2__close_iorequest__free_unpacked(req, NULL);
    return rc;
}

int shim_task_resize_pty(shim_service *s, const ttrpc_call *call, uint8_t **resp, size_t *resp_len,
                         ttrpc_status *st)
{
    Containerd__Task__V2__ResizePtyRequest *req =
        containerd__task__v2__resize_pty_request__unpack(NULL, call->payload_len, call->payload);
    if (req == NULL)
        return shim_ttrpc_status_set(st, TTRPC_INVALID_ARGUMENT, "malformed ResizePty request");
    int rc = -1;
    task *t = shim_task_get(s, req->id, st);
    if (t) {
        /* Terminals are refused at Create/Exec, so there is never a pty to
         * resize: accept the call as the no-op it is. */
        rc = shim_task_reply_empty(resp, resp_len);
        shim_task_put(s, t);
    }
    containerd__task__v2__resize_pty_request__free_unpacked(req, NULL);
    return rc;
}

int shim_task_connect(shim_service *s, const ttrpc_call *call, uint8_t **resp, size_t *resp_len,
                      ttrpc_status *st)
{
    Containerd__Task__V2__ConnectRequest *req =
        containerd__task__v2__connect_request__unpack(NULL, call->payload_len, call->payload);
    if (req == NULL)
        return shim_ttrpc_status_set(st, TTRPC_INVALID_ARGUMENT, "malformed Connect request");
    Containerd__Task__V2__ConnectResponse r = CONTAINERD__TASK__V2__CONNECT_RESPONSE__INIT;
    r.shim_pid = (uint32_t)getpid();
    r.version = (char *)util_version;
    int rc = 0;
    if (req->id && req->id[0]) {
        task *t = shim_task_get(s, req->id, st);
        if (t == NULL) {
            rc = -1;
        } else {
            pthread_mutex_lock(&s->lock);
            r.task_pid = (uint32_t)t->p.pid;
            pthread_mutex_unlock(&s->lock);
            shim_task_put(s, t);
        }
    }
    if (rc == 0)
        shim_task_reply(&r.base, resp, resp_len);
    containerd__task__v2__connect_request__free_unpacked(req, NULL);
    return rc;
}

int shim_task_shutdown(shim_service *s, const ttrpc_call *call, uint8_t **resp, size_t *resp_len,
                       ttrpc_status *st)
{
    Containerd__Task__V2__ShutdownRequest *req =
        containerd__task__v2__shutdown_request__unpack(NULL, call->payload_len, call->payload);
    if (req == NULL)
        return shim_ttrpc_status_set(st, TTRPC_INVALID_ARGUMENT, "malformed Shutdown request");
    containerd__task__v2__shutdown_request__free_unpacked(req, NULL);
    /* One shim serves a whole pod: it only goes away with its last task
     * (like the Go shims, `now` does not override that). */
    pthread_mutex_lock(&s->lock);
    bool last = s->tasks == NULL;
    if (last)
        s->shutdown = true;
    pthread_mutex_unlock(&s->lock);
    if (last && s->on_exit)
        s->on_exit(s->on_exit_arg);
    return shim_task_reply_empty(resp, resp_len);
}

int shim_task_checkpoint(shim_service *s, const ttrpc_call *call, uint8_t **resp, size_t *resp_len,
                         ttrpc_status *st)
{
    return shim_ttrpc_status_set(st, TTRPC_UNIMPLEMENTED, "checkpoint is not supported");
}
