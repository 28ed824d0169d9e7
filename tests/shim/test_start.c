/*
 * test_start.c - the shim binary as containerd runs it: `start` from the
 * bundle directory with containerd's flags and TTRPC_ADDRESS, reading the
 * combined output until EOF (a daemon holding the pipe would hang this
 * test like it hangs containerd), then Task RPCs over the printed socket,
 * events at a fake containerd, pod grouping, Shutdown and `delete`.
 *
 * Runs the binary given as argv[1] (the shim over the container double by
 * default; the real binary when it is passed).
 */
#include "shim_internal.h"
#include "shim_test_util.h"
#include "test.h"
#include "ttrpc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *shim_bin;
static char containerd_addr[108];
static char ns[64];
static events_sink sink;
static char *workdir;

typedef struct run_result {
    int status; /* exit code, or -1 on timeout */
    char *out;  /* combined stdout+stderr (for start), or stdout (delete) */
    size_t len;
} run_result;

/* Runs the shim with containerd's argv in `cwd`; waits for EOF on the
 * output pipe (10 s at most) and for the process. */
static run_result run_shim(const char *cwd, const char *id, const char *action, bool combined,
                           const char *bundle_flag, bool debug)
{
    run_result r = {-1, NULL, 0};
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return r;
    pid_t pid = fork();
    if (pid == 0) {
        if (chdir(cwd) < 0)
            _exit(126);
        dup2(p[1], 1);
        if (combined)
            dup2(p[1], 2);
        int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        setenv("TTRPC_ADDRESS", sink.path, 1);
        const char *argv[20];
        int n = 0;
        argv[n++] = shim_bin;
        argv[n++] = "-namespace";
        argv[n++] = ns;
        argv[n++] = "-address";
        argv[n++] = containerd_addr;
        argv[n++] = "-publish-binary";
        argv[n++] = "/usr/bin/containerd";
        argv[n++] = "-id";
        argv[n++] = id;
        if (bundle_flag) {
            argv[n++] = "-bundle";
            argv[n++] = bundle_flag;
        }
        if (debug)
            argv[n++] = "-debug";
        argv[n++] = action;
        argv[n] = NULL;
        execv(shim_bin, (char *const *)argv);
        _exit(127);
    }
    close(p[1]);
    util_buf b = {0};
    for (;;) {
        struct pollfd pf = {p[0], POLLIN, 0};
        if (poll(&pf, 1, 10000) <= 0) {
            fprintf(stderr, "run_shim %s: no EOF on the output pipe within 10 s\n", action);
            kill(pid, SIGKILL);
            break;
        }
        char buf[4096];
        ssize_t k = read(p[0], buf, sizeof buf);
        if (k <= 0)
            break;
        util_buf_append(&b, buf, (size_t)k);
    }
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    if (WIFEXITED(st) && b.data)
        r.status = WEXITSTATUS(st);
    else if (WIFEXITED(st))
        r.status = WEXITSTATUS(st);
    r.out = b.data ? b.data : util_xstrdup("");
    r.len = b.len;
    return r;
}

static char *make_bundle(const char *id, const char *sandbox, const char *script)
{
    char *b = util_xasprintf("%s/%s", workdir, id);
    util_error *err = NULL;
    CHECK_INT(util_mkdir_p(b, 0755, &err), 0);
    cleanup_free char *cfg = util_xasprintf("%s/config.json", b);
    cleanup_free char *json = util_xasprintf(
        "{\"process\":{\"args\":[\"/bin/sh\",\"-c\",\"%s\"]},\"root\":{\"path\":\"rootfs\"},"
        "\"annotations\":{\"io.kubernetes.cri.sandbox-id\":\"%s\"}}",
        script, sandbox);
    CHECK_INT(util_write_file_atomic(cfg, json, strlen(json), 0644, &err), 0);
    return b;
}

static int call_simple(ttrpc_client *c, const char *method, const char *id)
{
    Containerd__Task__V2__StartRequest r = CONTAINERD__TASK__V2__START_REQUEST__INIT;
    r.id = (char *)id;
    return task_call(c, method, &r.base, NULL, NULL, NULL);
}

static uint32_t shim_pid_of(ttrpc_client *c)
{
    Containerd__Task__V2__ConnectRequest r = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    task_call(c, "Connect", &r.base, &containerd__task__v2__connect_response__descriptor, &out,
              NULL);
    uint32_t pid = out ? ((Containerd__Task__V2__ConnectResponse *)out)->shim_pid : 0;
    if (out)
        protobuf_c_message_free_unpacked(out, NULL);
    return pid;
}

static bool gone_within(pid_t pid, int ms)
{
    for (int i = 0; i < ms / 10; i++) {
        if (kill(pid, 0) < 0 && errno == ESRCH)
            return true;
        /* a zombie of ours does not count as alive */
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        cleanup_free char *st = NULL;
        size_t len;
        if (util_read_file(path, &st, &len, NULL) == 0) {
            char *p = strrchr(st, ')');
            if (p && p[2] == 'Z')
                return true;
        }
        usleep(10000);
    }
    return false;
}

static void test_start_serve_group_shutdown(void)
{
    cleanup_free char *b1 = make_bundle("pod1-sandbox", "pod1", "exec sleep 30");
    cleanup_free char *b2 = make_bundle("pod1-app", "pod1", "echo hi; exit 5");
    /* containerd opens the log FIFO's read side before `start` */
    cleanup_free char *logp = util_xasprintf("%s/log", b1);
    CHECK_INT(mkfifo(logp, 0600), 0);
    int logfd = open(logp, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    CHECK(logfd >= 0);

    run_result r = run_shim(b1, "pod1-sandbox", "start", true, NULL, true);
    CHECK_INT(r.status, 0);
    cleanup_free char *want = shim_socket_address(NULL, containerd_addr, ns, "pod1");
    CHECK_STR(r.out, want);
    cleanup_free char *addr_file = util_xasprintf("%s/address", b1);
    cleanup_free char *addr = NULL;
    size_t len;
    CHECK_INT(util_read_file(addr_file, &addr, &len, NULL), 0);
    CHECK_STR(addr, want);
    free(r.out);

    ttrpc_client c;
    util_error *err = NULL;
    CHECK_INT(shim_ttrpc_client_connect(&c, want, &err), 0);
    if (err) {
        util_error_report(&err, "connect");
        close(logfd);
        return;
    }
    pid_t shim = (pid_t)shim_pid_of(&c);
    CHECK(shim > 0);
    /* a daemon: own session, no hold on start's output */
    CHECK_INT(getsid(shim), shim);
    char fdpath[64], target[PATH_MAX];
    snprintf(fdpath, sizeof fdpath, "/proc/%d/fd/1", (int)shim);
    ssize_t tl = readlink(fdpath, target, sizeof target - 1);
    CHECK(tl > 0);
    if (tl > 0) {
        target[tl] = '\0';
        CHECK_STR(target, "/dev/null");
    }

    /* the sandbox task */
    Containerd__Task__V2__CreateTaskRequest cr = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
    cr.id = (char *)"pod1-sandbox";
    cr.bundle = b1;
    CHECK_INT(task_call(&c, "Create", &cr.base, NULL, NULL, NULL), 0);
    CHECK_INT(call_simple(&c, "Start", "pod1-sandbox"), 0);

    /* a second container of the same pod joins the running shim */
    r = run_shim(b2, "pod1-app", "start", true, NULL, false);
    CHECK_INT(r.status, 0);
    CHECK_STR(r.out, want);
    free(r.out);
    cleanup_free char *addr2_file = util_xasprintf("%s/address", b2);
    cleanup_free char *addr2 = NULL;
    CHECK_INT(util_read_file(addr2_file, &addr2, &len, NULL), 0);
    CHECK_STR(addr2, want);
    ttrpc_client c2;
    CHECK_INT(shim_ttrpc_client_connect(&c2, want, &err), 0);
    CHECK_INT(shim_pid_of(&c2), shim);

    cleanup_free char *outp = util_xasprintf("%s/app.out", workdir);
    CHECK_INT(util_write_file_atomic(outp, "", 0, 0644, &err), 0);
    cr.id = (char *)"pod1-app";
    cr.bundle = b2;
    cr.stdout = outp;
    CHECK_INT(task_call(&c2, "Create", &cr.base, NULL, NULL, NULL), 0);
    CHECK_INT(call_simple(&c2, "Start", "pod1-app"), 0);
    Containerd__Task__V2__WaitRequest wr = CONTAINERD__TASK__V2__WAIT_REQUEST__INIT;
    wr.id = (char *)"pod1-app";
    ProtobufCMessage *out = NULL;
    CHECK_INT(task_call(&c2, "Wait", &wr.base, &containerd__task__v2__wait_response__descriptor,
                        &out, NULL), 0);
    CHECK(out && ((Containerd__Task__V2__WaitResponse *)out)->exit_status == 5);
    if (out)
        protobuf_c_message_free_unpacked(out, NULL);
    cleanup_free char *text = NULL;
    CHECK_INT(util_read_file(outp, &text, &len, NULL), 0);
    CHECK_STR(text, "hi\n");
    CHECK_INT(call_simple(&c2, "Delete", "pod1-app"), 0);
    Containerd__Task__V2__ShutdownRequest sd = CONTAINERD__TASK__V2__SHUTDOWN_REQUEST__INIT;
    CHECK_INT(task_call(&c2, "Shutdown", &sd.base, NULL, NULL, NULL), 0);
    shim_ttrpc_client_close(&c2);
    /* the sandbox still runs: the shim stays */
    usleep(100000);
    CHECK(kill(shim, 0) == 0);

    Containerd__Task__V2__KillRequest kr = CONTAINERD__TASK__V2__KILL_REQUEST__INIT;
    kr.id = (char *)"pod1-sandbox";
    kr.signal = SIGKILL;
    CHECK_INT(task_call(&c, "Kill", &kr.base, NULL, NULL, NULL), 0);
    Containerd__Task__V2__DeleteRequest dr = CONTAINERD__TASK__V2__DELETE_REQUEST__INIT;
    dr.id = (char *)"pod1-sandbox";
    CHECK_INT(task_call(&c, "Delete", &dr.base, &containerd__task__v2__delete_response__descriptor,
                        &out, NULL), 0);
    CHECK(out && ((Containerd__Task__V2__DeleteResponse *)out)->exit_status == 137);
    if (out)
        protobuf_c_message_free_unpacked(out, NULL);

    /* all events reached containerd, in order */
    CHECK_INT(events_sink_wait(&sink, 8), 8);
    char *topics = events_sink_topics(&sink);
    CHECK_STR(topics, "create,start,create,start,exit,delete,exit,delete");
    free(topics);
    CHECK_STR(sink.namespaces[0], ns);

    CHECK_INT(task_call(&c, "Shutdown", &sd.base, NULL, NULL, NULL), 0);
    shim_ttrpc_client_close(&c);
    CHECK(gone_within(shim, 5000));
    struct stat sb;
    CHECK(stat(want + strlen("unix://"), &sb) < 0 && errno == ENOENT);

    /* -debug logs went to the log FIFO */
    char logbuf[65536];
    ssize_t n = read(logfd, logbuf, sizeof logbuf - 1);
    CHECK(n > 0);
    if (n > 0) {
        logbuf[n] = '\0';
        CHECK(strstr(logbuf, "rpc Create") != NULL);
    }
    close(logfd);
}

static void test_stale_socket_is_replaced(void)
{
    cleanup_free char *b = make_bundle("stale", "stale-pod", "exit 0");
    cleanup_free char *want = shim_socket_address(NULL, containerd_addr, ns, "stale-pod");
    /* a socket file nobody listens on: what a killed shim leaves */
    util_error *err = NULL;
    int fd = shim_socket_listen(want, &err);
    CHECK(fd >= 0);
    close(fd);
    run_result r = run_shim(b, "stale", "start", true, NULL, false);
    CHECK_INT(r.status, 0);
    CHECK_STR(r.out, want);
    free(r.out);
    ttrpc_client c;
    CHECK_INT(shim_ttrpc_client_connect(&c, want, &err), 0);
    if (err) {
        util_error_free(&err);
        return;
    }
    pid_t shim = (pid_t)shim_pid_of(&c);
    CHECK(shim > 0);
    Containerd__Task__V2__ShutdownRequest sd = CONTAINERD__TASK__V2__SHUTDOWN_REQUEST__INIT;
    CHECK_INT(task_call(&c, "Shutdown", &sd.base, NULL, NULL, NULL), 0);
    shim_ttrpc_client_close(&c);
    CHECK(gone_within(shim, 5000));
}

static void test_delete_action_prints_delete_response(void)
{
    cleanup_free char *b = make_bundle("gone", "gone", "exit 0");
    uint64_t before = util_realtime_ns();
    run_result r = run_shim(workdir, "gone", "delete", false, b, false);
    CHECK_INT(r.status, 0);
    Containerd__Task__V2__DeleteResponse *d =
        containerd__task__v2__delete_response__unpack(NULL, r.len, (uint8_t *)r.out);
    CHECK(d != NULL);
    if (d) {
        CHECK_INT(d->exit_status, 137);
        CHECK(shim_pb_timestamp_ns(d->exited_at) >= before - 1000000000ull);
        containerd__task__v2__delete_response__free_unpacked(d, NULL);
    }
    free(r.out);
}

static void test_bad_command_lines(void)
{
    run_result r = run_shim(workdir, "x", "explode", true, NULL, false);
    CHECK_INT(r.status, 1);
    CHECK(strstr(r.out, "unknown action explode") != NULL);
    free(r.out);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    shim_bin = argc > 1 ? realpath(argv[1], NULL) : NULL;
    if (shim_bin == NULL) {
        fprintf(stderr, "usage: %s SHIM_BINARY\n", argv[0]);
        return 2;
    }
    snprintf(containerd_addr, sizeof containerd_addr, "/tmp/fake-containerd-%d.sock",
             (int)getpid());
    snprintf(ns, sizeof ns, "shimtest-%d", (int)getpid());
    workdir = util_xstrdup("/tmp/shim-start-XXXXXX");
    if (mkdtemp(workdir) == NULL || events_sink_start(&sink) < 0) {
        perror("setup");
        return 2;
    }
    RUN(test_start_serve_group_shutdown);
    RUN(test_stale_socket_is_replaced);
    RUN(test_delete_action_prints_delete_response);
    RUN(test_bad_command_lines);
    events_sink_stop(&sink);
    cleanup_free char *cmd = util_xasprintf("rm -rf %s", workdir);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup failed\n");
    free(workdir);
    return TEST_SUMMARY();
}
