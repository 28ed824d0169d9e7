/*
 * test_service.c - the containerd.task.v2.Task service over a real ttrpc
 * socket, with the container layer replaced by fake_container.c (plain
 * child processes) and a fake containerd receiving the events.
 *
 * What containerd relies on: the state machine CREATED -> RUNNING ->
 * STOPPED, exit codes and 128+signal, a Wait parked on another connection
 * that returns at exit, NotFound/AlreadyExists/FailedPrecondition/
 * Unimplemented where containerd expects them, exec processes, events in
 * Create < Start < Exit < Delete order, and Shutdown that only ends the
 * shim with its last task.
 */
#include "fake_container.h"
#include "shim_internal.h"
#include "shim_test_util.h"
#include "test.h"
#include "ttrpc.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct env {
    events_sink sink;
    shim_events *ev;
    shim_service *svc;
    ttrpc_server *server;
    pthread_t server_thread, reaper_thread;
    char sock[108];
    char *dir;
    ttrpc_client c;
} env;

static atomic_bool reaper_stop;
static atomic_int exit_calls;

static void *reaper(void *arg)
{
    shim_service *svc = arg;
    while (!atomic_load(&reaper_stop)) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid > 0)
            shim_service_reaped(svc, pid, status);
        else
            usleep(2000);
    }
    return NULL;
}

static void *serve(void *arg)
{
    shim_ttrpc_server_run(arg);
    return NULL;
}

static void on_exit_cb(void *arg)
{
    (void)arg;
    atomic_fetch_add(&exit_calls, 1);
}

static void env_start(env *e)
{
    memset(e, 0, sizeof *e);
    CHECK_INT(events_sink_start(&e->sink), 0);
    e->ev = shim_events_new(e->sink.path, "testns");
    e->svc = shim_service_new("testns", NULL, e->ev);
    shim_service_on_exit(e->svc, on_exit_cb, NULL);
    atomic_store(&exit_calls, 0);
    snprintf(e->sock, sizeof e->sock, "/tmp/shim-svc-%d.sock", (int)getpid());
    unlink(e->sock);
    util_error *err = NULL;
    int fd = shim_socket_listen(e->sock, &err);
    CHECK(fd >= 0);
    e->server = shim_ttrpc_server_new(fd, shim_service_handle, e->svc);
    pthread_create(&e->server_thread, NULL, serve, e->server);
    atomic_store(&reaper_stop, false);
    pthread_create(&e->reaper_thread, NULL, reaper, e->svc);
    e->dir = util_xstrdup("/tmp/shim-svc-XXXXXX");
    CHECK(mkdtemp(e->dir) != NULL);
    CHECK_INT(shim_ttrpc_client_connect(&e->c, e->sock, &err), 0);
}

static void env_stop(env *e)
{
    shim_ttrpc_client_close(&e->c);
    shim_ttrpc_server_stop(e->server);
    pthread_join(e->server_thread, NULL);
    shim_ttrpc_server_free(e->server);
    shim_service_free(e->svc);
    atomic_store(&reaper_stop, true);
    pthread_join(e->reaper_thread, NULL);
    shim_events_free(e->ev);
    events_sink_stop(&e->sink);
    unlink(e->sock);
    cleanup_free char *cmd = util_xasprintf("rm -rf %s", e->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup of %s failed\n", e->dir);
    free(e->dir);
}

/* Writes <dir>/<id>/config.json running `sh -c script`; returns the bundle. */
static char *bundle_with(env *e, const char *id, const char *script)
{
    char *b = util_xasprintf("%s/%s", e->dir, id);
    util_error *err = NULL;
    CHECK_INT(util_mkdir_p(b, 0755, &err), 0);
    cleanup_free char *cfg = util_xasprintf("%s/config.json", b);
    cleanup_free char *json = util_xasprintf(
        "{\"process\":{\"args\":[\"/bin/sh\",\"-c\",\"%s\"]},\"annotations\":{}}", script);
    CHECK_INT(util_write_file_atomic(cfg, json, strlen(json), 0644, &err), 0);
    return b;
}

static void touch(const char *path)
{
    util_error *err = NULL;
    CHECK_INT(util_write_file_atomic(path, "", 0, 0644, &err), 0);
}

static int create(env *e, const char *id, const char *bundle, const char *stdout_path,
                  uint32_t *pid, char **msg)
{
    Containerd__Task__V2__CreateTaskRequest r = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
    r.id = (char *)id;
    r.bundle = (char *)bundle;
    r.stdout = (char *)(stdout_path ? stdout_path : "");
    ProtobufCMessage *out = NULL;
    int code = task_call(&e->c, "Create", &r.base,
                         &containerd__task__v2__create_task_response__descriptor, &out, msg);
    if (out && pid)
        *pid = ((Containerd__Task__V2__CreateTaskResponse *)out)->pid;
    if (out)
        protobuf_c_message_free_unpacked(out, NULL);
    return code;
}

static int simple(env *e, const char *method, const char *id, const char *exec_id, char **msg)
{
    /* Start/Delete/State/Wait requests share {1 id, 2 exec_id} */
    Containerd__Task__V2__StartRequest r = CONTAINERD__TASK__V2__START_REQUEST__INIT;
    r.id = (char *)id;
    r.exec_id = (char *)(exec_id ? exec_id : "");
    return task_call(&e->c, method, &r.base, NULL, NULL, msg);
}

static Containerd__Task__V2__StateResponse *state(env *e, const char *id, const char *exec_id)
{
    Containerd__Task__V2__StateRequest r = CONTAINERD__TASK__V2__STATE_REQUEST__INIT;
    r.id = (char *)id;
    r.exec_id = (char *)(exec_id ? exec_id : "");
    ProtobufCMessage *out = NULL;
    task_call(&e->c, "State", &r.base, &containerd__task__v2__state_response__descriptor, &out,
              NULL);
    return (Containerd__Task__V2__StateResponse *)out;
}

static int kill_task(env *e, const char *id, const char *exec_id, uint32_t sig, bool all,
                     char **msg)
{
    Containerd__Task__V2__KillRequest r = CONTAINERD__TASK__V2__KILL_REQUEST__INIT;
    r.id = (char *)id;
    r.exec_id = (char *)(exec_id ? exec_id : "");
    r.signal = sig;
    r.all = all;
    return task_call(&e->c, "Kill", &r.base, NULL, NULL, msg);
}

typedef struct waiter {
    char sock[108];
    char id[64];
    char exec_id[64];
    pthread_t t;
    int code;
    uint32_t exit_status;
    uint64_t exited_at;
} waiter;

/* Wait runs on its own connection, as containerd's long-poll does. */
static void *wait_thread(void *arg)
{
    waiter *w = arg;
    ttrpc_client c;
    util_error *err = NULL;
    if (shim_ttrpc_client_connect(&c, w->sock, &err) < 0) {
        w->code = -1;
        util_error_free(&err);
        return NULL;
    }
    Containerd__Task__V2__WaitRequest r = CONTAINERD__TASK__V2__WAIT_REQUEST__INIT;
    r.id = w->id;
    r.exec_id = w->exec_id;
    ProtobufCMessage *out = NULL;
    w->code = task_call(&c, "Wait", &r.base, &containerd__task__v2__wait_response__descriptor,
                        &out, NULL);
    if (out) {
        Containerd__Task__V2__WaitResponse *wr = (Containerd__Task__V2__WaitResponse *)out;
        w->exit_status = wr->exit_status;
        w->exited_at = shim_pb_timestamp_ns(wr->exited_at);
        protobuf_c_message_free_unpacked(out, NULL);
    }
    shim_ttrpc_client_close(&c);
    return NULL;
}

static void wait_async(env *e, waiter *w, const char *id, const char *exec_id)
{
    memset(w, 0, sizeof *w);
    snprintf(w->sock, sizeof w->sock, "%s", e->sock);
    snprintf(w->id, sizeof w->id, "%s", id);
    snprintf(w->exec_id, sizeof w->exec_id, "%s", exec_id ? exec_id : "");
    pthread_create(&w->t, NULL, wait_thread, w);
}

static void test_lifecycle_and_event_order(void)
{
    env e;
    env_start(&e);
    cleanup_free char *b = bundle_with(&e, "c1", "sleep 0.2; exit 3");
    uint32_t pid = 0;
    char *msg = NULL;
    CHECK_INT(create(&e, "c1", b, NULL, &pid, &msg), 0);
    free(msg);
    CHECK(pid > 0);
    Containerd__Task__V2__StateResponse *s = state(&e, "c1", NULL);
    CHECK(s && s->status == CONTAINERD__TASK__V2__STATUS__CREATED && s->pid == pid);
    if (s) {
        CHECK_STR(s->bundle, b);
        protobuf_c_message_free_unpacked(&s->base, NULL);
    }
    /* init.pid is written for the `delete` action */
    cleanup_free char *pidfile = util_xasprintf("%s/init.pid", b);
    cleanup_free char *pidtext = NULL;
    size_t len;
    CHECK_INT(util_read_file(pidfile, &pidtext, &len, NULL), 0);
    CHECK_INT(pidtext ? atoi(pidtext) : 0, pid);

    waiter w;
    wait_async(&e, &w, "c1", NULL);
    uint64_t before = util_realtime_ns();
    CHECK_INT(simple(&e, "Start", "c1", NULL, NULL), 0);
    s = state(&e, "c1", NULL);
    CHECK(s && (s->status == CONTAINERD__TASK__V2__STATUS__RUNNING ||
                s->status == CONTAINERD__TASK__V2__STATUS__STOPPED));
    if (s)
        protobuf_c_message_free_unpacked(&s->base, NULL);
    pthread_join(w.t, NULL);
    CHECK_INT(w.code, 0);
    CHECK_INT(w.exit_status, 3);
    CHECK(w.exited_at >= before);
    s = state(&e, "c1", NULL);
    CHECK(s && s->status == CONTAINERD__TASK__V2__STATUS__STOPPED && s->exit_status == 3);
    if (s)
        protobuf_c_message_free_unpacked(&s->base, NULL);
    /* a second Start of the same task is refused */
    CHECK_INT(simple(&e, "Start", "c1", NULL, &msg), TTRPC_FAILED_PRECONDITION);
    free(msg);

    Containerd__Task__V2__DeleteRequest dr = CONTAINERD__TASK__V2__DELETE_REQUEST__INIT;
    dr.id = (char *)"c1";
    dr.exec_id = (char *)"";
    ProtobufCMessage *out = NULL;
    CHECK_INT(task_call(&e.c, "Delete", &dr.base,
                        &containerd__task__v2__delete_response__descriptor, &out, NULL),
              0);
    Containerd__Task__V2__DeleteResponse *d = (Containerd__Task__V2__DeleteResponse *)out;
    CHECK(d && d->exit_status == 3 && d->pid == pid &&
          shim_pb_timestamp_ns(d->exited_at) == w.exited_at);
    if (out)
        protobuf_c_message_free_unpacked(out, NULL);
    CHECK_INT(simple(&e, "State", "c1", NULL, &msg), TTRPC_NOT_FOUND);
    CHECK(msg && strstr(msg, "c1"));
    free(msg);
    CHECK_INT(events_sink_wait(&e.sink, 4), 4);
    char *topics = events_sink_topics(&e.sink);
    CHECK_STR(topics, "create,start,exit,delete");
    free(topics);
    CHECK_STR(e.sink.namespaces[0], "testns");
    CHECK_INT(e.sink.n_exits, 1);
    if (e.sink.n_exits == 1) {
        CHECK_STR(e.sink.exits[0].container_id, "c1");
        CHECK_STR(e.sink.exits[0].id, "c1");
        CHECK_INT(e.sink.exits[0].pid, pid);
        CHECK_INT(e.sink.exits[0].exit_status, 3);
    }
    env_stop(&e);
}

static void test_fast_exit_keeps_event_order(void)
{
    /* the process exits at once; TaskExit must still follow TaskStart */
    env e;
    env_start(&e);
    for (int i = 0; i < 5; i++) {
        char id[16];
        snprintf(id, sizeof id, "f%d", i);
        cleanup_free char *b = bundle_with(&e, id, "exit 0");
        CHECK_INT(create(&e, id, b, NULL, NULL, NULL), 0);
        waiter w;
        wait_async(&e, &w, id, NULL);
        CHECK_INT(simple(&e, "Start", id, NULL, NULL), 0);
        pthread_join(w.t, NULL);
        CHECK_INT(w.exit_status, 0);
        CHECK_INT(simple(&e, "Delete", id, NULL, NULL), 0);
    }
    CHECK_INT(events_sink_wait(&e.sink, 20), 20);
    char *topics = events_sink_topics(&e.sink);
    CHECK_STR(topics, "create,start,exit,delete,create,start,exit,delete,create,start,exit,"
                      "delete,create,start,exit,delete,create,start,exit,delete");
    free(topics);
    env_stop(&e);
}

static void test_errors(void)
{
    env e;
    env_start(&e);
    cleanup_free char *b = bundle_with(&e, "c1", "sleep 30");
    char *msg = NULL;
    CHECK_INT(create(&e, "c1", b, NULL, NULL, NULL), 0);
    CHECK_INT(create(&e, "c1", b, NULL, NULL, &msg), TTRPC_ALREADY_EXISTS);
    CHECK(msg && strstr(msg, "c1") && strstr(msg, "already exists"));
    free(msg);

    Containerd__Task__V2__CreateTaskRequest r = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
    r.id = (char *)"c2";
    r.bundle = b;
    r.checkpoint = (char *)"/ckpt";
    CHECK_INT(task_call(&e.c, "Create", &r.base, NULL, NULL, &msg), TTRPC_UNIMPLEMENTED);
    CHECK(msg && strstr(msg, "checkpoint"));
    free(msg);

    /* a broken config.json: the container layer's message reaches containerd */
    cleanup_free char *bad = util_xasprintf("%s/bad", e.dir);
    util_error *err = NULL;
    CHECK_INT(util_mkdir_p(bad, 0755, &err), 0);
    cleanup_free char *cfg = util_xasprintf("%s/config.json", bad);
    CHECK_INT(util_write_file_atomic(cfg, "{\"process\":{}}", 14, 0644, &err), 0);
    CHECK_INT(create(&e, "bad", bad, NULL, NULL, &msg), TTRPC_UNKNOWN);
    CHECK(msg && strstr(msg, "process.args"));
    free(msg);
    /* ... and the failed id is free again (containerd then calls Delete) */
    CHECK_INT(simple(&e, "Delete", "bad", NULL, &msg), TTRPC_NOT_FOUND);
    free(msg);

    CHECK_INT(simple(&e, "Start", "nope", NULL, &msg), TTRPC_NOT_FOUND);
    CHECK(msg && strstr(msg, "nope"));
    free(msg);
    CHECK_INT(kill_task(&e, "nope", NULL, 9, false, NULL), TTRPC_NOT_FOUND);
    CHECK_INT(kill_task(&e, "c1", NULL, 0, false, &msg), TTRPC_INVALID_ARGUMENT);
    free(msg);
    CHECK_INT(simple(&e, "Wait", "c1", "noexec", &msg), TTRPC_NOT_FOUND);
    free(msg);
    /* exec into a task that is not running */
    Containerd__Task__V2__ExecProcessRequest x = CONTAINERD__TASK__V2__EXEC_PROCESS_REQUEST__INIT;
    Google__Protobuf__Any spec = GOOGLE__PROTOBUF__ANY__INIT;
    spec.type_url = (char *)"types.containerd.io/opencontainers/runtime-spec/1/Process";
    spec.value.data = (uint8_t *)"{\"args\":[\"/bin/true\"]}";
    spec.value.len = strlen((char *)spec.value.data);
    x.id = (char *)"c1";
    x.exec_id = (char *)"x1";
    x.spec = &spec;
    CHECK_INT(task_call(&e.c, "Exec", &x.base, NULL, NULL, &msg), TTRPC_FAILED_PRECONDITION);
    CHECK(msg && strstr(msg, "not running"));
    free(msg);

    Containerd__Task__V2__CheckpointTaskRequest ck = CONTAINERD__TASK__V2__CHECKPOINT_TASK_REQUEST__INIT;
    ck.id = (char *)"c1";
    CHECK_INT(task_call(&e.c, "Checkpoint", &ck.base, NULL, NULL, &msg), TTRPC_UNIMPLEMENTED);
    free(msg);
    CHECK_INT(task_call(&e.c, "Frobnicate", &ck.base, NULL, NULL, &msg), TTRPC_UNIMPLEMENTED);
    CHECK(msg && strstr(msg, "Frobnicate"));
    free(msg);
    /* garbage request bytes */
    uint8_t *resp = NULL;
    size_t rl;
    ttrpc_status st = {0, NULL};
    CHECK_INT(shim_ttrpc_client_call(&e.c, "containerd.task.v2.Task", "Create", NULL, "\xff\xff", 2,
                                     &resp, &rl, &st, &err),
              0);
    CHECK_INT(st.code, TTRPC_INVALID_ARGUMENT);
    free(resp);
    free(st.message);
    CHECK_INT(simple(&e, "Delete", "c1", NULL, NULL), 0);
    env_stop(&e);
}

static void test_kill_signals_and_finished_process(void)
{
    env e;
    env_start(&e);
    cleanup_free char *b = bundle_with(&e, "k", "exec sleep 30");
    CHECK_INT(create(&e, "k", b, NULL, NULL, NULL), 0);
    waiter w;
    wait_async(&e, &w, "k", NULL);
    CHECK_INT(simple(&e, "Start", "k", NULL, NULL), 0);
    CHECK_INT(kill_task(&e, "k", NULL, SIGTERM, false, NULL), 0);
    pthread_join(w.t, NULL);
    CHECK_INT(w.code, 0);
    CHECK_INT(w.exit_status, 128 + SIGTERM);
    char *msg = NULL;
    CHECK_INT(kill_task(&e, "k", NULL, SIGKILL, false, &msg), TTRPC_NOT_FOUND);
    CHECK(msg && strstr(msg, "process already finished"));
    free(msg);
    /* containerd's Kill(9, all=true) after the exit is fine */
    CHECK_INT(kill_task(&e, "k", NULL, SIGKILL, true, NULL), 0);
    CHECK_INT(simple(&e, "Delete", "k", NULL, NULL), 0);

    /* SIGKILL -> 137 */
    cleanup_free char *b2 = bundle_with(&e, "k2", "exec sleep 30");
    CHECK_INT(create(&e, "k2", b2, NULL, NULL, NULL), 0);
    wait_async(&e, &w, "k2", NULL);
    CHECK_INT(simple(&e, "Start", "k2", NULL, NULL), 0);
    CHECK_INT(kill_task(&e, "k2", NULL, SIGKILL, false, NULL), 0);
    pthread_join(w.t, NULL);
    CHECK_INT(w.exit_status, 137);
    CHECK_INT(simple(&e, "Delete", "k2", NULL, NULL), 0);

    /* Delete of a running task kills it and reports 137; Wait returns */
    cleanup_free char *b3 = bundle_with(&e, "k3", "exec sleep 30");
    CHECK_INT(create(&e, "k3", b3, NULL, NULL, NULL), 0);
    CHECK_INT(simple(&e, "Start", "k3", NULL, NULL), 0);
    wait_async(&e, &w, "k3", NULL);
    Containerd__Task__V2__DeleteRequest dr = CONTAINERD__TASK__V2__DELETE_REQUEST__INIT;
    dr.id = (char *)"k3";
    ProtobufCMessage *out = NULL;
    CHECK_INT(task_call(&e.c, "Delete", &dr.base,
                        &containerd__task__v2__delete_response__descriptor, &out, NULL), 0);
    CHECK(out && ((Containerd__Task__V2__DeleteResponse *)out)->exit_status == 137);
    if (out)
        protobuf_c_message_free_unpacked(out, NULL);
    pthread_join(w.t, NULL);
    /* The waiter thread's Wait races the Delete: if it reaches the shim
     * first it must return the 137, if it arrives after the task is gone
     * it must get NotFound (containerd itself always waits before Start).
     * Either way it returns instead of hanging. */
    if (w.code == 0)
        CHECK_INT(w.exit_status, 137);
    else
        CHECK_INT(w.code, TTRPC_NOT_FOUND);
    env_stop(&e);
}

static void test_exec(void)
{
    env e;
    env_start(&e);
    cleanup_free char *b = bundle_with(&e, "x", "exec sleep 30");
    CHECK_INT(create(&e, "x", b, NULL, NULL, NULL), 0);
    CHECK_INT(simple(&e, "Start", "x", NULL, NULL), 0);
    cleanup_free char *outp = util_xasprintf("%s/exec.out", e.dir);
    touch(outp); /* containerd creates the stdio FIFOs before the call */
    Containerd__Task__V2__ExecProcessRequest x = CONTAINERD__TASK__V2__EXEC_PROCESS_REQUEST__INIT;
    Google__Protobuf__Any spec = GOOGLE__PROTOBUF__ANY__INIT;
    spec.type_url = (char *)"types.containerd.io/opencontainers/runtime-spec/1/Process";
    spec.value.data = (uint8_t *)"{\"args\":[\"/bin/sh\",\"-c\",\"echo from-exec; exit 7\"],"
                                 "\"cwd\":\"/\"}";
    spec.value.len = strlen((char *)spec.value.data);
    x.id = (char *)"x";
    x.exec_id = (char *)"probe";
    x.stdout = outp;
    x.spec = &spec;
    char *msg = NULL;
    CHECK_INT(task_call(&e.c, "Exec", &x.base, NULL, NULL, &msg), 0);
    free(msg);
    CHECK_INT(task_call(&e.c, "Exec", &x.base, NULL, NULL, &msg), TTRPC_ALREADY_EXISTS);
    free(msg);
    Containerd__Task__V2__StateResponse *s = state(&e, "x", "probe");
    CHECK(s && s->status == CONTAINERD__TASK__V2__STATUS__CREATED);
    if (s) {
        CHECK_STR(s->exec_id, "probe");
        CHECK_STR(s->stdout, outp);
        protobuf_c_message_free_unpacked(&s->base, NULL);
    }
    waiter w;
    wait_async(&e, &w, "x", "probe");
    CHECK_INT(simple(&e, "Start", "x", "probe", NULL), 0);
    pthread_join(w.t, NULL);
    CHECK_INT(w.code, 0);
    CHECK_INT(w.exit_status, 7);
    /* what kubelet's exec probe path does next */
    CHECK_INT(kill_task(&e, "x", "probe", SIGKILL, false, &msg), TTRPC_NOT_FOUND);
    free(msg);
    Containerd__Task__V2__DeleteRequest dr = CONTAINERD__TASK__V2__DELETE_REQUEST__INIT;
    dr.id = (char *)"x";
    dr.exec_id = (char *)"probe";
    ProtobufCMessage *out = NULL;
    CHECK_INT(task_call(&e.c, "Delete", &dr.base,
                        &containerd__task__v2__delete_response__descriptor, &out, NULL), 0);
    CHECK(out && ((Containerd__Task__V2__DeleteResponse *)out)->exit_status == 7);
    if (out)
        protobuf_c_message_free_unpacked(out, NULL);
    cleanup_free char *text = NULL;
    size_t len;
    CHECK_INT(util_read_file(outp, &text, &len, NULL), 0);
    CHECK_STR(text, "from-exec\n");
    CHECK_INT(simple(&e, "State", "x", "probe", &msg), TTRPC_NOT_FOUND);
    free(msg);
    /* the init is untouched */
    s = state(&e, "x", NULL);
    CHECK(s && s->status == CONTAINERD__TASK__V2__STATUS__RUNNING);
    if (s)
        protobuf_c_message_free_unpacked(&s->base, NULL);
    CHECK_INT(simple(&e, "Delete", "x", NULL, NULL), 0);
    CHECK_INT(events_sink_wait(&e.sink, 7), 7);
    char *topics = events_sink_topics(&e.sink);
    /* no TaskDelete for the exec, as with the runc shim */
    CHECK_STR(topics, "create,start,exec-added,exec-started,exit,exit,delete");
    free(topics);
    if (e.sink.n_exits >= 1) {
        CHECK_STR(e.sink.exits[0].id, "probe");
        CHECK_INT(e.sink.exits[0].exit_status, 7);
    }
    env_stop(&e);
}

typedef struct call_thread {
    char sock[108];
    const char *method, *id, *exec_id;
    pthread_t t;
    atomic_bool done;
    int code;
    uint32_t pid;
} call_thread;

/* Start or Delete of an exec on a connection of its own, as containerd
 * issues concurrent calls. */
static void *call_thread_main(void *arg)
{
    call_thread *ct = arg;
    ttrpc_client c;
    util_error *err = NULL;
    ct->code = -1;
    if (shim_ttrpc_client_connect(&c, ct->sock, &err) == 0) {
        Containerd__Task__V2__StartRequest r = CONTAINERD__TASK__V2__START_REQUEST__INIT;
        r.id = (char *)ct->id;
        r.exec_id = (char *)ct->exec_id;
        ProtobufCMessage *out = NULL;
        bool start = strcmp(ct->method, "Start") == 0;
        ct->code = task_call(&c, ct->method, &r.base,
                             start ? &containerd__task__v2__start_response__descriptor
                                   : &containerd__task__v2__delete_response__descriptor,
                             &out, NULL);
        if (out && start)
            ct->pid = ((Containerd__Task__V2__StartResponse *)out)->pid;
        else if (out)
            ct->pid = ((Containerd__Task__V2__DeleteResponse *)out)->pid;
        if (out)
            protobuf_c_message_free_unpacked(out, NULL);
        shim_ttrpc_client_close(&c);
    } else {
        util_error_free(&err);
    }
    atomic_store(&ct->done, true);
    return NULL;
}

static void call_async(env *e, call_thread *ct, const char *method, const char *id,
                       const char *exec_id)
{
    memset(ct, 0, sizeof *ct);
    snprintf(ct->sock, sizeof ct->sock, "%s", e->sock);
    ct->method = method;
    ct->id = id;
    ct->exec_id = exec_id;
    pthread_create(&ct->t, NULL, call_thread_main, ct);
}

/* A Delete of an exec while its Start is inside the container layer must
 * not free the exec under the Start (found by review: a use-after-free);
 * it answers FailedPrecondition, and the exec stays usable. */
static void test_delete_during_exec_start(void)
{
    env e;
    env_start(&e);
    cleanup_free char *b = bundle_with(&e, "x", "exec sleep 30");
    CHECK_INT(create(&e, "x", b, NULL, NULL, NULL), 0);
    CHECK_INT(simple(&e, "Start", "x", NULL, NULL), 0);
    Containerd__Task__V2__ExecProcessRequest x = CONTAINERD__TASK__V2__EXEC_PROCESS_REQUEST__INIT;
    Google__Protobuf__Any spec = GOOGLE__PROTOBUF__ANY__INIT;
    spec.type_url = (char *)"types.containerd.io/opencontainers/runtime-spec/1/Process";
    spec.value.data = (uint8_t *)"{\"args\":[\"/bin/sh\",\"-c\",\"exit 3\"],\"cwd\":\"/\"}";
    spec.value.len = strlen((char *)spec.value.data);
    x.id = (char *)"x";
    x.exec_id = (char *)"racer";
    x.spec = &spec;
    CHECK_INT(task_call(&e.c, "Exec", &x.base, NULL, NULL, NULL), 0);

    fake_container_hold_exec_start(true);
    call_thread start, del;
    call_async(&e, &start, "Start", "x", "racer");
    fake_container_await_parked_exec_start();
    call_async(&e, &del, "Delete", "x", "racer");
    /* The fixed shim answers at once.  The old one blocked this Delete on
     * the Start's container lock; release the Start after a generous
     * bound so a regression fails (and ASan reports) instead of hanging. */
    for (int i = 0; i < 1000 && !atomic_load(&del.done); i++)
        usleep(10000);
    fake_container_hold_exec_start(false);
    pthread_join(del.t, NULL);
    pthread_join(start.t, NULL);
    CHECK_INT(del.code, TTRPC_FAILED_PRECONDITION);
    CHECK_INT(start.code, 0);
    CHECK(start.pid > 0);

    /* the exec is intact: it runs to its end and can then be deleted */
    waiter w;
    wait_async(&e, &w, "x", "racer");
    pthread_join(w.t, NULL);
    CHECK_INT(w.code, 0);
    CHECK_INT(w.exit_status, 3);
    call_async(&e, &del, "Delete", "x", "racer");
    pthread_join(del.t, NULL);
    CHECK_INT(del.code, 0);
    CHECK_INT((int)del.pid, (int)start.pid);
    CHECK_INT(simple(&e, "State", "x", "racer", NULL), TTRPC_NOT_FOUND);

    /* and the other order: a Start after the Delete won finds nothing */
    x.exec_id = (char *)"late";
    CHECK_INT(task_call(&e.c, "Exec", &x.base, NULL, NULL, NULL), 0);
    CHECK_INT(simple(&e, "Delete", "x", "late", NULL), 0);
    CHECK_INT(simple(&e, "Start", "x", "late", NULL), TTRPC_NOT_FOUND);
    CHECK_INT(simple(&e, "Delete", "x", NULL, NULL), 0);
    env_stop(&e);
}

static void test_stats_pids_pause_update_connect(void)
{
    env e;
    env_start(&e);
    cleanup_free char *b = bundle_with(&e, "m", "exec sleep 30");
    uint32_t pid = 0;
    CHECK_INT(create(&e, "m", b, NULL, &pid, NULL), 0);
    CHECK_INT(simple(&e, "Start", "m", NULL, NULL), 0);

    Containerd__Task__V2__StatsRequest sr = CONTAINERD__TASK__V2__STATS_REQUEST__INIT;
    sr.id = (char *)"m";
    ProtobufCMessage *out = NULL;
    CHECK_INT(task_call(&e.c, "Stats", &sr.base, &containerd__task__v2__stats_response__descriptor,
                        &out, NULL), 0);
    Containerd__Task__V2__StatsResponse *st = (Containerd__Task__V2__StatsResponse *)out;
    CHECK(st && st->stats);
    if (st && st->stats) {
        CHECK_STR(st->stats->type_url, "io.containerd.cgroups.v1.Metrics");
        Io__Containerd__Cgroups__V1__Metrics *m = io__containerd__cgroups__v1__metrics__unpack(
            NULL, st->stats->value.len, st->stats->value.data);
        /* the double reports one process and a live memory entry */
        CHECK(m && m->memory && m->memory->usage && m->pids && m->pids->current == 1);
        io__containerd__cgroups__v1__metrics__free_unpacked(m, NULL);
    }
    if (out)
        protobuf_c_message_free_unpacked(out, NULL);

    Containerd__Task__V2__PidsRequest pr = CONTAINERD__TASK__V2__PIDS_REQUEST__INIT;
    pr.id = (char *)"m";
    CHECK_INT(task_call(&e.c, "Pids", &pr.base, &containerd__task__v2__pids_response__descriptor,
                        &out, NULL), 0);
    Containerd__Task__V2__PidsResponse *pids = (Containerd__Task__V2__PidsResponse *)out;
    CHECK(pids && pids->n_processes == 1 && pids->processes[0]->pid == pid);
    if (out)
        protobuf_c_message_free_unpacked(out, NULL);

    Containerd__Task__V2__PauseRequest pa = CONTAINERD__TASK__V2__PAUSE_REQUEST__INIT;
    pa.id = (char *)"m";
    CHECK_INT(task_call(&e.c, "Pause", &pa.base, NULL, NULL, NULL), 0);
    Containerd__Task__V2__StateResponse *s = state(&e, "m", NULL);
    CHECK(s && s->status == CONTAINERD__TASK__V2__STATUS__PAUSED);
    if (s)
        protobuf_c_message_free_unpacked(&s->base, NULL);
    CHECK_INT(task_call(&e.c, "Resume", &pa.base, NULL, NULL, NULL), 0);
    s = state(&e, "m", NULL);
    CHECK(s && s->status == CONTAINERD__TASK__V2__STATUS__RUNNING);
    if (s)
        protobuf_c_message_free_unpacked(&s->base, NULL);

    Containerd__Task__V2__UpdateTaskRequest ur = CONTAINERD__TASK__V2__UPDATE_TASK_REQUEST__INIT;
    Google__Protobuf__Any res = GOOGLE__PROTOBUF__ANY__INIT;
    res.type_url = (char *)"types.containerd.io/opencontainers/runtime-spec/1/LinuxResources";
    res.value.data = (uint8_t *)"{\"memory\":{\"limit\":134217728}}";
    res.value.len = strlen((char *)res.value.data);
    ur.id = (char *)"m";
    ur.resources = &res;
    CHECK_INT(task_call(&e.c, "Update", &ur.base, NULL, NULL, NULL), 0);
    res.value.data = (uint8_t *)"{not json";
    res.value.len = 9;
    char *msg = NULL;
    CHECK_INT(task_call(&e.c, "Update", &ur.base, NULL, NULL, &msg), TTRPC_UNKNOWN);
    CHECK(msg && strstr(msg, "update"));
    free(msg);
    ur.resources = NULL;
    CHECK_INT(task_call(&e.c, "Update", &ur.base, NULL, NULL, &msg), TTRPC_INVALID_ARGUMENT);
    free(msg);

    Containerd__Task__V2__CloseIORequest ci = CONTAINERD__TASK__V2__CLOSE_IOREQUEST__INIT;
    ci.id = (char *)"m";
    ci.stdin = true;
    CHECK_INT(task_call(&e.c, "CloseIO", &ci.base, NULL, NULL, NULL), 0);
    Containerd__Task__V2__ResizePtyRequest rp = CONTAINERD__TASK__V2__RESIZE_PTY_REQUEST__INIT;
    rp.id = (char *)"m";
    rp.width = 80;
    rp.height = 24;
    CHECK_INT(task_call(&e.c, "ResizePty", &rp.base, NULL, NULL, NULL), 0);

    Containerd__Task__V2__ConnectRequest cr = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
    cr.id = (char *)"m";
    CHECK_INT(task_call(&e.c, "Connect", &cr.base,
                        &containerd__task__v2__connect_response__descriptor, &out, NULL), 0);
    Containerd__Task__V2__ConnectResponse *cn = (Containerd__Task__V2__ConnectResponse *)out;
    CHECK(cn && cn->shim_pid == (uint32_t)getpid() && cn->task_pid == pid);
    if (out)
        protobuf_c_message_free_unpacked(out, NULL);

    /* Shutdown with a task left does nothing; after the last Delete it exits */
    Containerd__Task__V2__ShutdownRequest sd = CONTAINERD__TASK__V2__SHUTDOWN_REQUEST__INIT;
    sd.id = (char *)"m";
    CHECK_INT(task_call(&e.c, "Shutdown", &sd.base, NULL, NULL, NULL), 0);
    CHECK_INT(atomic_load(&exit_calls), 0);
    CHECK(!shim_service_should_exit(e.svc));
    CHECK_INT(simple(&e, "Delete", "m", NULL, NULL), 0);
    CHECK_INT(task_call(&e.c, "Shutdown", &sd.base, NULL, NULL, NULL), 0);
    CHECK_INT(atomic_load(&exit_calls), 1);
    CHECK(shim_service_should_exit(e.svc));
    CHECK_INT(events_sink_wait(&e.sink, 6), 6);
    char *topics = events_sink_topics(&e.sink);
    CHECK_STR(topics, "create,start,paused,resumed,exit,delete");
    free(topics);
    env_stop(&e);
}

static void test_two_tasks_and_unknown_options(void)
{
    env e;
    env_start(&e);
    cleanup_free char *b1 = bundle_with(&e, "pause", "exec sleep 30");
    cleanup_free char *b2 = bundle_with(&e, "app", "echo hello-app; exit 0");
    cleanup_free char *outp = util_xasprintf("%s/app.out", e.dir);
    touch(outp);
    CHECK_INT(create(&e, "pause", b1, NULL, NULL, NULL), 0);
    CHECK_INT(simple(&e, "Start", "pause", NULL, NULL), 0);
    /* options of a type we do not know must not fail the task */
    Containerd__Task__V2__CreateTaskRequest r = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
    Google__Protobuf__Any opts = GOOGLE__PROTOBUF__ANY__INIT;
    opts.type_url = (char *)"containerd.runc.v1.Options";
    opts.value.data = (uint8_t *)"\x08\x01";
    opts.value.len = 2;
    r.id = (char *)"app";
    r.bundle = b2;
    r.stdout = outp;
    r.options = &opts;
    CHECK_INT(task_call(&e.c, "Create", &r.base, NULL, NULL, NULL), 0);
    waiter w;
    wait_async(&e, &w, "app", NULL);
    CHECK_INT(simple(&e, "Start", "app", NULL, NULL), 0);
    pthread_join(w.t, NULL);
    CHECK_INT(w.exit_status, 0);
    cleanup_free char *text = NULL;
    size_t len;
    CHECK_INT(util_read_file(outp, &text, &len, NULL), 0);
    CHECK_STR(text, "hello-app\n");
    CHECK_INT(shim_service_task_count(e.svc), 2);
    CHECK_INT(simple(&e, "Delete", "app", NULL, NULL), 0);
    Containerd__Task__V2__StateResponse *s = state(&e, "pause", NULL);
    CHECK(s && s->status == CONTAINERD__TASK__V2__STATUS__RUNNING);
    if (s)
        protobuf_c_message_free_unpacked(&s->base, NULL);
    CHECK_INT(kill_task(&e, "pause", NULL, SIGKILL, false, NULL), 0);
    CHECK_INT(simple(&e, "Delete", "pause", NULL, NULL), 0);
    CHECK_INT(shim_service_task_count(e.svc), 0);
    env_stop(&e);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    RUN(test_lifecycle_and_event_order);
    RUN(test_fast_exit_keeps_event_order);
    RUN(test_errors);
    RUN(test_kill_signals_and_finished_process);
    RUN(test_exec);
    RUN(test_delete_during_exec_start);
    RUN(test_stats_pids_pause_update_connect);
    RUN(test_two_tasks_and_unknown_options);
    return TEST_SUMMARY();
}
