/*
 * task_service.c - the containerd.task.v2.Task service: task registry,
 * method dispatch, and turning reaped pids into exit records and events.
 *
 * Exits are recorded by the reaper thread (via container_process_exited)
 * and also re-derived from the container layer whenever a handler looks, so
 * an exit that happens while a Create is still returning is never lost.
 * Events keep containerd's order: a TaskExit that races ahead of its
 * TaskStart is held back and published right after it.
 */
#include "task_internal.h"

#include <errno.h>
#include <string.h>

shim_service *shim_service_new(const char *ns, const char *bundle_dir, shim_events *ev)
{
    (void)bundle_dir;
    shim_service *s = util_xcalloc(1, sizeof *s);
    s->ns = util_xstrdup(ns ? ns : "default");
    s->ev = ev;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->changed, NULL);
    return s;
}

void shim_task_free(task *t)
{
    if (t->c) {
        util_error *err = NULL;
        if (!t->deleted && container_delete(t->c, &err) < 0) {
            util_log_warn("task %s: cleanup: %s", t->id, err->msg);
            util_error_free(&err);
        }
        container_free(t->c);
    }
    for (exec_proc *e = t->execs, *next; e; e = next) {
        next = e->next;
        shim_exec_proc_free(e);
    }
    shim_options_free(&t->opts);
    pthread_mutex_destroy(&t->op);
    free(t->id);
    free(t->bundle);
    free(t->stdin_path);
    free(t->stdout_path);
    free(t->stderr_path);
    free(t);
}

void shim_service_free(shim_service *s)
{
    if (s == NULL)
        return;
    for (task *t = s->tasks, *next; t; t = next) {
        next = t->next;
        shim_task_free(t);
    }
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->changed);
    free(s->ns);
    free(s->address);
    free(s);
}

void shim_service_set_containerd_address(shim_service *s, const char *address)
{
    free(s->address);
    s->address = address ? util_xstrdup(address) : NULL;
}

void shim_service_on_exit(shim_service *s, void (*fn)(void *), void *arg)
{
    s->on_exit = fn;
    s->on_exit_arg = arg;
}

size_t shim_service_task_count(shim_service *s)
{
    size_t n = 0;
    pthread_mutex_lock(&s->lock);
    for (task *t = s->tasks; t; t = t->next)
        n++;
    pthread_mutex_unlock(&s->lock);
    return n;
}

bool shim_service_should_exit(shim_service *s)
{
    pthread_mutex_lock(&s->lock);
    bool r = s->shutdown && s->tasks == NULL;
    pthread_mutex_unlock(&s->lock);
    return r;
}

task *shim_task_get(shim_service *s, const char *id, ttrpc_status *st)
{
    pthread_mutex_lock(&s->lock);
    task *t = s->tasks;
    while (t && strcmp(t->id, id) != 0)
        t = t->next;
    if (t)
        t->refs++;
    pthread_mutex_unlock(&s->lock);
    if (t == NULL)
        shim_ttrpc_status_set(st, TTRPC_NOT_FOUND, "task %s not found", id ? id : "");
    return t;
}

void shim_task_put(shim_service *s, task *t)
{
    pthread_mutex_lock(&s->lock);
    bool last = --t->refs == 0;
    pthread_mutex_unlock(&s->lock);
    if (last)
        shim_task_free(t);
}

void shim_exec_proc_free(exec_proc *e)
{
    free(e->id);
    free(e->stdin_path);
    free(e->stdout_path);
    free(e->stderr_path);
    free(e);
}

void shim_task_unlink_exec_locked(task *t, exec_proc *e)
{
    for (exec_proc **pp = &t->execs; *pp; pp = &(*pp)->next) {
        if (*pp == e) {
            *pp = e->next;
            return;
        }
    }
}

exec_proc *shim_task_find_exec(task *t, const char *exec_id)
{
    for (exec_proc *e = t->execs; e; e = e->next) {
        if (strcmp(e->id, exec_id) == 0)
            return e;
    }
    return NULL;
}

void shim_task_publish_exit_locked(shim_service *s, task *t, exec_proc *e)
{
    proc_rec *p = e ? &e->p : &t->p;
    Containerd__Events__TaskExit ev = CONTAINERD__EVENTS__TASK_EXIT__INIT;
    pb_timestamp ts;
    shim_pb_timestamp_set(&ts, p->exited_at);
    ev.container_id = t->id;
    ev.id = e ? e->id : t->id;
    ev.pid = (uint32_t)p->pid;
    ev.exit_status = (uint32_t)p->exit_status;
    ev.exited_at = &ts;
    shim_events_publish(s->ev, "/tasks/exit", "containerd.events.TaskExit", &ev.base);
}

void shim_task_note_exit_locked(shim_service *s, task *t, exec_proc *e, int status)
{
    proc_rec *p = e ? &e->p : &t->p;
    if (p->exited)
        return;
    p->exited = true;
    p->exit_status = status;
    p->exited_at = util_realtime_ns();
    if (p->start_published)
        shim_task_publish_exit_locked(s, t, e);
    else
        p->exit_pending = p->started || p->pid > 0;
    pthread_cond_broadcast(&s->changed);
}

void shim_task_sync_locked(shim_service *s, task *t)
{
    if (t->c == NULL)
        return;
    if (!t->p.exited && container_status(t->c) == CONTAINER_STOPPED)
        shim_task_note_exit_locked(s, t, NULL, container_exit_status(t->c));
}

static void check_oom(shim_service *s, task *t, int status)
{
    /* Only a SIGKILL can be the OOM killer; the stats read must not race
     * another call on the container, so skip it if one is running. */
    if (status != 128 + 9 || t->c == NULL || pthread_mutex_trylock(&t->op) != 0)
        return;
    container_stats cs;
    util_error *err = NULL;
    bool oom = container_stats_read(t->c, &cs, &err) == 0 && cs.memory_oom_kills > 0;
    util_error_free(&err);
    pthread_mutex_unlock(&t->op);
    if (oom) {
        Containerd__Events__TaskOOM ev = CONTAINERD__EVENTS__TASK_OOM__INIT;
        ev.container_id = t->id;
        shim_events_publish(s->ev, "/tasks/oom", "containerd.events.TaskOOM", &ev.base);
    }
}

void shim_service_reaped(shim_service *s, pid_t pid, int wait_status)
{
    const char *exec_id = NULL;
    int status = 0;
    container *c = container_process_exited(pid, wait_status, &exec_id, &status);
    pthread_mutex_lock(&s->lock);
    task *t = NULL;
    if (c) {
        for (t = s->tasks; t && t->c != c; t = t->next)
            ;
    }
    if (t && exec_id == NULL) {
        t->refs++;
        pthread_mutex_unlock(&s->lock);
        check_oom(s, t, status);
        pthread_mutex_lock(&s->lock);
        shim_task_note_exit_locked(s, t, NULL, status);
        pthread_mutex_unlock(&s->lock);
        shim_task_put(s, t);
        return;
    }
    if (t) {
        exec_proc *e = shim_task_find_exec(t, exec_id);
        if (e)
            shim_task_note_exit_locked(s, t, e, status);
    }
    /* wake Waits even for exits we could not attribute yet: they re-check
     * the container layer */
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
}

int shim_task_reply(const ProtobufCMessage *msg, uint8_t **resp, size_t *resp_len)
{
    *resp_len = shim_pb_pack(msg, resp);
    return 0;
}

int shim_task_reply_empty(uint8_t **resp, size_t *resp_len)
{
    Google__Protobuf__Empty e = GOOGLE__PROTOBUF__EMPTY__INIT;
    return shim_task_reply(&e.base, resp, resp_len);
}

int shim_task_error(ttrpc_status *st, util_error **err, const char *what)
{
    int code = TTRPC_UNKNOWN;
    if ((*err)->status == ESRCH)
        code = TTRPC_NOT_FOUND;
    shim_ttrpc_status_set(st, code, "%s: %s", what, (*err)->msg);
    util_error_free(err);
    return -1;
}

static const struct {
    const char *name;
    task_method fn;
} methods[] = {
    {"State", shim_task_state},         {"Create", shim_task_create},
    {"Start", shim_task_start},         {"Delete", shim_task_delete},
    {"Pids", shim_task_pids},           {"Pause", shim_task_pause},
    {"Resume", shim_task_resume},       {"Checkpoint", shim_task_checkpoint},
    {"Kill", shim_task_kill},           {"Exec", shim_task_exec},
    {"ResizePty", shim_task_resize_pty}, {"CloseIO", shim_task_close_io},
    {"Update", shim_task_update},       {"Wait", shim_task_wait},
    {"Stats", shim_task_stats},         {"Connect", shim_task_connect},
    {"Shutdown", shim_task_shutdown},
};

int shim_service_handle(void *ctx, const ttrpc_call *call, uint8_t **resp, size_t *resp_len,
                        ttrpc_status *st)
{
    shim_service *s = ctx;
    if (strcmp(call->service, "containerd.task.v2.Task") != 0)
        return shim_ttrpc_status_set(st, TTRPC_UNIMPLEMENTED, "service %s: unknown service",
                                     call->service);
    for (size_t i = 0; i < UTIL_ARRAY_LEN(methods); i++) {
        if (strcmp(call->method, methods[i].name) == 0) {
            util_log_debug("rpc %s", call->method);
            int rc = methods[i].fn(s, call, resp, resp_len, st);
            if (rc < 0)
                util_log_debug("rpc %s: code %d: %s", call->method, st->code,
                               st->message ? st->message : "");
            return rc;
        }
    }
    return shim_ttrpc_status_set(st, TTRPC_UNIMPLEMENTED, "method %s: unknown method",
                                 call->method);
}
