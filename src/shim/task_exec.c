/*
 * shim_task_exec.c - Exec: an extra process in a running container (kubectl
 * exec, exec probes, `ctr task exec`).  Start/Wait/Kill/Delete/State of an
 * exec are the lifecycle calls with exec_id set (task_lifecycle.c).
 */
#include "task_internal.h"

#include <string.h>

int shim_task_exec(shim_service *s, const ttrpc_call *call, uint8_t **resp, size_t *resp_len,
                   ttrpc_status *st)
{
    Containerd__Task__V2__ExecProcessRequest *req =
        containerd__task__v2__exec_process_request__unpack(NULL, call->payload_len,
                                                           call->payload);
    if (req == NULL)
        return shim_ttrpc_status_set(st, TTRPC_INVALID_ARGUMENT, "malformed Exec request");
    int rc = -1;
    task *t = NULL;
    exec_proc *e = NULL;
    cleanup_free char *json = NULL;
    if (req->exec_id == NULL || req->exec_id[0] == '\0') {
        shim_ttrpc_status_set(st, TTRPC_INVALID_ARGUMENT, "exec: exec_id is empty");
        goto out;
    }
    if (req->spec == NULL || req->spec->value.len == 0) {
        shim_ttrpc_status_set(st, TTRPC_INVALID_ARGUMENT, "exec %s: process spec is missing",
                              req->exec_id);
        goto out;
    }
    if (req->terminal) {
        shim_ttrpc_status_set(st, TTRPC_UNIMPLEMENTED, "exec %s: terminals are not supported",
                              req->exec_id);
        goto out;
    }
    t = shim_task_get(s, req->id, st);
    if (t == NULL)
        goto out;
    pthread_mutex_lock(&s->lock);
    shim_task_sync_locked(s, t);
    bool running = t->c && t->p.started && !t->p.exited;
    bool dup = shim_task_find_exec(t, req->exec_id) != NULL;
    if (running && !dup) {
        /* reserve the id before the slow create */
        e = util_xcalloc(1, sizeof *e);
        e->id = util_xstrdup(req->exec_id);
        e->stdin_path = util_xstrdup(req->stdin ? req->stdin : "");
        e->stdout_path = util_xstrdup(req->stdout ? req->stdout : "");
        e->stderr_path = util_xstrdup(req->stderr ? req->stderr : "");
        e->busy = true; /* until created: a Delete must not free it */
        e->next = t->execs;
        t->execs = e;
    }
    pthread_mutex_unlock(&s->lock);
    if (dup) {
        shim_ttrpc_status_set(st, TTRPC_ALREADY_EXISTS, "exec %s of task %s already exists",
                              req->exec_id, t->id);
        goto out;
    }
    if (!running) {
        shim_ttrpc_status_set(st, TTRPC_FAILED_PRECONDITION, "exec %s: task %s is not running",
                              req->exec_id, t->id);
        goto out;
    }
    json = util_xstrndup((const char *)req->spec->value.data,
                                            req->spec->value.len);
    container_stdio io = {e->stdin_path, e->stdout_path, e->stderr_path, false};
    util_error *err = NULL;
    pthread_mutex_lock(&t->op);
    int c = container_exec_create(t->c, req->exec_id, json, &io, &err);
    pthread_mutex_unlock(&t->op);
    if (c < 0) {
        shim_task_error(st, &err, "exec");
        pthread_mutex_lock(&s->lock);
        shim_task_unlink_exec_locked(t, e);
        pthread_mutex_unlock(&s->lock);
        shim_exec_proc_free(e);
        goto out;
    }
    pthread_mutex_lock(&s->lock);
    e->busy = false;
    pthread_mutex_unlock(&s->lock);
    Containerd__Events__TaskExecAdded ev = CONTAINERD__EVENTS__TASK_EXEC_ADDED__INIT;
    ev.container_id = t->id;
    ev.exec_id = req->exec_id;
    shim_events_publish(s->ev, "/tasks/exec-added", "containerd.events.TaskExecAdded", &ev.base);
    rc = shim_task_reply_empty(resp, resp_len);
out:
    if (t)
        shim_task_put(s, t);
    containerd__task__v2__exec_process_request__free_unpacked(req, NULL);
    return rc;
}
