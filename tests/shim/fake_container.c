/*
 * fake_container.c - a test double of the container layer (container.h)
 * for the shim's own tests, in the spirit of runwasi's stub instances.
 *
 * It runs config.json's process.args as a plain child process: no
 * namespaces, mounts or cgroups, so the Task service, the ttrpc server,
 * events and reaping can be tested without root and independently of the
 * real sandbox.  The processes are real; exit codes, signals and pids are
 * what the kernel reports.  The init waits on a pipe between create and
 * start, like the real layer's init.
 */
#include "container.h"
#include "fake_container.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct fproc {
    char *exec_id; /* NULL = init */
    pid_t pid;
    int go_fd; /* write end: a byte releases the process */
    container_status_kind status;
    int exit_status;
    struct fproc *next;
} fproc;

struct container {
    char *id, *bundle;
    fproc init;
    fproc *execs;
    bool paused;
    char *resources;
    json_object *config;
    struct container *next;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static container *registry;

static char **args_of(json_object *process)
{
    json_object *args = NULL;
    if (!json_object_object_get_ex(process, "args", &args) ||
        !json_object_is_type(args, json_type_array) || json_object_array_length(args) == 0)
        return NULL;
    size_t n = json_object_array_length(args);
    char **argv = util_xcalloc(n + 1, sizeof *argv);
    for (size_t i = 0; i < n; i++)
        argv[i] = util_xstrdup(json_object_get_string(json_object_array_get_idx(args, i)));
    return argv;
}

static void free_argv(char **argv)
{
    for (size_t i = 0; argv && argv[i]; i++)
        free(argv[i]);
    free(argv);
}

static int open_stdio(const char *path, int flags)
{
    return open(path && path[0] ? path : "/dev/null", flags | O_CLOEXEC);
}

static pid_t spawn_waiting(char **argv, const container_stdio *io, int *go_fd, util_error **err)
{
    if (io->terminal)
        return util_error_set(err, 0, "terminal is not supported");
    if (access(argv[0], X_OK) < 0)
        return util_error_set(err, errno, "executable %s", argv[0]);
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return util_error_set(err, errno, "pipe");
    int in = open_stdio(io->stdin_path, O_RDWR);
    int out = open_stdio(io->stdout_path, O_RDWR);
    int er = open_stdio(io->stderr_path, O_RDWR);
    pid_t pid = fork();
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        close(p[1]);
        char c;
        /* a byte = go; EOF = abort.  (Not EOF = go: other waiting children
         * may hold copies of our pipe's write end until they exec.) */
        if (read(p[0], &c, 1) != 1)
            _exit(137);
        if (in >= 0)
            dup2(in, 0);
        if (out >= 0)
            dup2(out, 1);
        if (er >= 0)
            dup2(er, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    int e = errno;
    close(p[0]);
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    if (er >= 0)
        close(er);
    if (pid < 0) {
        close(p[1]);
        return util_error_set(err, e, "fork");
    }
    *go_fd = p[1];
    return pid;
}

static void release(fproc *p)
{
    if (p->go_fd >= 0) {
        if (write(p->go_fd, "g", 1) != 1)
            kill(p->pid, SIGKILL);
        close(p->go_fd);
        p->go_fd = -1;
    }
}

container *container_create(const container_create_options *opts, util_error **err)
{
    cleanup_free char *path = util_xasprintf("%s/config.json", opts->bundle);
    json_object *cfg = json_object_from_file(path);
    if (cfg == NULL) {
        util_error_set(err, 0, "%s: cannot read", path);
        return NULL;
    }
    json_object *process = NULL;
    json_object_object_get_ex(cfg, "process", &process);
    char **argv = args_of(process);
    if (argv == NULL) {
        json_object_put(cfg);
        util_error_set(err, 0, "config.json: process.args: expected a non-empty array");
        return NULL;
    }
    container *c = util_xcalloc(1, sizeof *c);
    c->init.pid = spawn_waiting(argv, &opts->stdio, &c->init.go_fd, err);
    free_argv(argv);
    if (c->init.pid < 0) {
        json_object_put(cfg);
        free(c);
        return NULL;
    }
    c->id = util_xstrdup(opts->id);
    c->bundle = util_xstrdup(opts->bundle);
    c->config = cfg;
    c->init.status = CONTAINER_CREATED;
    c->init.exit_status = -1;
    pthread_mutex_lock(&reg_lock);
    c->next = registry;
    registry = c;
    pthread_mutex_unlock(&reg_lock);
    return c;
}

pid_t container_start(container *c, util_error **err)
{
    pthread_mutex_lock(&reg_lock);
    bool ok = c->init.status == CONTAINER_CREATED;
    if (ok)
        c->init.status = CONTAINER_RUNNING;
    pthread_mutex_unlock(&reg_lock);
    if (!ok)
        return util_error_set(err, 0, "container %s is not in the created state", c->id);
    release(&c->init);
    return c->init.pid;
}

static int signal_proc(fproc *p, int sig, util_error **err)
{
    pthread_mutex_lock(&reg_lock);
    bool stopped = p->status == CONTAINER_STOPPED;
    pthread_mutex_unlock(&reg_lock);
    if (stopped || kill(p->pid, sig) < 0)
        return util_error_set(err, ESRCH, "process already finished");
    return 0;
}

int container_kill(container *c, int sig, bool all, util_error **err)
{
    if (all) {
        for (fproc *e = c->execs; e; e = e->next) {
            if (e->status != CONTAINER_STOPPED)
                kill(e->pid, sig);
        }
    }
    return signal_proc(&c->init, sig, err);
}

static void wait_stopped(fproc *p)
{
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&reg_lock);
        bool stopped = p->status == CONTAINER_STOPPED;
        pthread_mutex_unlock(&reg_lock);
        if (stopped)
            return;
        usleep(2000);
    }
}

int container_delete(container *c, util_error **err)
{
    for (fproc *e = c->execs; e; e = e->next) {
        if (e->go_fd >= 0) {
            close(e->go_fd);
            e->go_fd = -1;
        }
        if (e->status != CONTAINER_STOPPED) {
            kill(e->pid, SIGKILL);
            wait_stopped(e);
        }
    }
    if (c->init.go_fd >= 0) {
        close(c->init.go_fd);
        c->init.go_fd = -1;
    }
    if (c->init.status != CONTAINER_STOPPED) {
        kill(c->init.pid, SIGKILL);
        wait_stopped(&c->init);
    }
    return 0;
}

void container_free(container *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&reg_lock);
    for (container **pp = &registry; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    pthread_mutex_unlock(&reg_lock);
    for (fproc *e = c->execs, *n; e; e = n) {
        n = e->next;
        free(e->exec_id);
        free(e);
    }
    json_object_put(c->config);
    free(c->resources);
    free(c->id);
    free(c->bundle);
    free(c);
}

int container_cleanup_bundle(const char *id, const char *bundle, util_error **err)
{
    return 0;
}

const char *container_id(const container *c) { return c->id; }
const char *container_bundle(const container *c) { return c->bundle; }
pid_t container_pid(const container *c) { return c->init.pid; }

container_status_kind container_status(const container *c)
{
    pthread_mutex_lock(&reg_lock);
    container_status_kind k = c->paused && c->init.status == CONTAINER_RUNNING
                                  ? CONTAINER_PAUSED
                                  : c->init.status;
    pthread_mutex_unlock(&reg_lock);
    return k;
}

int container_exit_status(const container *c)
{
    pthread_mutex_lock(&reg_lock);
    int s = c->init.status == CONTAINER_STOPPED ? c->init.exit_status : -1;
    pthread_mutex_unlock(&reg_lock);
    return s;
}

const char *container_handler_name(const container *c) { return NULL; }

const char *container_annotation(const container *c, const char *key)
{
    json_object *ann = NULL, *v = NULL;
    if (json_object_object_get_ex(c->config, "annotations", &ann) &&
        json_object_object_get_ex(ann, key, &v))
        return json_object_get_string(v);
    return NULL;
}

int container_wait_status_to_exit(int ws)
{
    if (WIFEXITED(ws))
        return WEXITSTATUS(ws);
    if (WIFSIGNALED(ws))
        return 128 + WTERMSIG(ws);
    return 137;
}

static container *find_pid_locked(pid_t pid, fproc **out)
{
    for (container *c = registry; c; c = c->next) {
        if (c->init.pid == pid) {
            *out = &c->init;
            return c;
        }
        for (fproc *e = c->execs; e; e = e->next) {
            if (e->pid == pid) {
                *out = e;
                return c;
            }
        }
    }
    return NULL;
}

container *container_process_exited(pid_t pid, int wait_status, const char **exec_id,
                                    int *exit_status)
{
    pthread_mutex_lock(&reg_lock);
    fproc *p = NULL;
    container *c = find_pid_locked(pid, &p);
    if (c) {
        p->status = CONTAINER_STOPPED;
        p->exit_status = container_wait_status_to_exit(wait_status);
        *exec_id = p->exec_id;
        *exit_status = p->exit_status;
    }
    pthread_mutex_unlock(&reg_lock);
    return c;
}

container *container_lookup_pid(pid_t pid, const char **exec_id)
{
    pthread_mutex_lock(&reg_lock);
    fproc *p = NULL;
    container *c = find_pid_locked(pid, &p);
    if (c)
        *exec_id = p->exec_id;
    pthread_mutex_unlock(&reg_lock);
    return c;
}

static fproc *find_exec(const container *c, const char *exec_id)
{
    for (fproc *e = c->execs; e; e = e->next) {
        if (strcmp(e->exec_id, exec_id) == 0)
            return e;
    }
    return NULL;
}

int container_exec_create(container *c, const char *exec_id, const char *process_json,
                          const container_stdio *stdio, util_error **err)
{
    json_object *process = json_tokener_parse(process_json);
    char **argv = process ? args_of(process) : NULL;
    json_object_put(process);
    if (argv == NULL)
        return util_error_set(err, 0, "exec %s: process.args: expected a non-empty array",
                              exec_id);
    fproc *e = util_xcalloc(1, sizeof *e);
    e->pid = spawn_waiting(argv, stdio, &e->go_fd, err);
    free_argv(argv);
    if (e->pid < 0) {
        free(e);
        return -1;
    }
    e->exec_id = util_xstrdup(exec_id);
    e->status = CONTAINER_CREATED;
    e->exit_status = -1;
    pthread_mutex_lock(&reg_lock);
    e->next = c->execs;
    c->execs = e;
    pthread_mutex_unlock(&reg_lock);
    return 0;
}

/* The exec-start gate (fake_container.h): a parked container_exec_start
 * announces itself, so a test can run another call in the middle of a
 * Start deterministically, without sleeps. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_held;
static int gate_parked;

void fake_container_hold_exec_start(bool hold)
{
    pthread_mutex_lock(&gate_lock);
    gate_held = hold;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
}

void fake_container_await_parked_exec_start(void)
{
    pthread_mutex_lock(&gate_lock);
    while (gate_parked == 0)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
}

static void pass_gate(void)
{
    pthread_mutex_lock(&gate_lock);
    gate_parked++;
    pthread_cond_broadcast(&gate_cond);
    while (gate_held)
        pthread_cond_wait(&gate_cond, &gate_lock);
    gate_parked--;
    pthread_mutex_unlock(&gate_lock);
}

pid_t container_exec_start(container *c, const char *exec_id, util_error **err)
{
    pass_gate();
    fproc *e = find_exec(c, exec_id);
    if (e == NULL)
        return util_error_set(err, ESRCH, "exec %s not found", exec_id);
    pthread_mutex_lock(&reg_lock);
    if (e->status == CONTAINER_CREATED)
        e->status = CONTAINER_RUNNING;
    pthread_mutex_unlock(&reg_lock);
    release(e);
    return e->pid;
}

int container_exec_kill(container *c, const char *exec_id, int sig, util_error **err)
{
    fproc *e = find_exec(c, exec_id);
    if (e == NULL)
        return util_error_set(err, ESRCH, "exec %s not found", exec_id);
    return signal_proc(e, sig, err);
}

pid_t container_exec_pid(const container *c, const char *exec_id)
{
    fproc *e = find_exec(c, exec_id);
    return e ? e->pid : 0;
}

container_status_kind container_exec_status(const container *c, const char *exec_id)
{
    fproc *e = find_exec(c, exec_id);
    pthread_mutex_lock(&reg_lock);
    container_status_kind k = e ? e->status : CONTAINER_STOPPED;
    pthread_mutex_unlock(&reg_lock);
    return k;
}

int container_exec_exit_status(const container *c, const char *exec_id)
{
    fproc *e = find_exec(c, exec_id);
    pthread_mutex_lock(&reg_lock);
    int s = e && e->status == CONTAINER_STOPPED ? e->exit_status : -1;
    pthread_mutex_unlock(&reg_lock);
    return s;
}

/* The double keeps no write end of a stdin FIFO, so only the exec lookup
 * is modelled. */
int container_close_stdin(container *c, const char *exec_id, util_error **err)
{
    if (exec_id && exec_id[0] && find_exec(c, exec_id) == NULL)
        return util_error_set(err, ENOENT, "exec %s not found", exec_id);
    return 0;
}

int container_exec_delete(container *c, const char *exec_id, util_error **err)
{
    fproc *e = find_exec(c, exec_id);
    if (e == NULL)
        return util_error_set(err, ESRCH, "exec %s not found", exec_id);
    if (e->go_fd >= 0) {
        close(e->go_fd);
        e->go_fd = -1;
    }
    if (e->status != CONTAINER_STOPPED) {
        kill(e->pid, SIGKILL);
        wait_stopped(e);
    }
    pthread_mutex_lock(&reg_lock);
    for (fproc **pp = &c->execs; *pp; pp = &(*pp)->next) {
        if (*pp == e) {
            *pp = e->next;
            break;
        }
    }
    pthread_mutex_unlock(&reg_lock);
    free(e->exec_id);
    free(e);
    return 0;
}

/* Real numbers from /proc for the init, so Stats carries live values. */
int container_stats_read(container *c, container_stats *s, util_error **err)
{
    memset(s, 0, sizeof *s);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)c->init.pid);
    cleanup_free char *stat = NULL;
    size_t len;
    if (util_read_file(path, &stat, &len, err) < 0)
        return -1;
    char *p = strrchr(stat, ')');
    unsigned long long ut = 0, st = 0, rss = 0;
    /* fields after ")": state(3) ... utime(14) stime(15) ... rss(24) */
    int field = 2;
    for (char *tok = strtok(p + 1, " "); tok; tok = strtok(NULL, " ")) {
        field++;
        if (field == 14)
            ut = strtoull(tok, NULL, 10);
        else if (field == 15)
            st = strtoull(tok, NULL, 10);
        else if (field == 24)
            rss = strtoull(tok, NULL, 10);
    }
    long hz = sysconf(_SC_CLK_TCK);
    s->cpu_user_usec = ut * 1000000ull / (unsigned long long)hz;
    s->cpu_system_usec = st * 1000000ull / (unsigned long long)hz;
    s->cpu_usage_usec = s->cpu_user_usec + s->cpu_system_usec;
    s->memory_usage = rss * (uint64_t)sysconf(_SC_PAGESIZE);
    s->memory_rss = s->memory_anon = s->memory_usage;
    s->memory_limit = UINT64_MAX;
    s->pids_current = 1;
    s->pids_limit = UINT64_MAX;
    s->cgroup_v2 = getenv("FAKE_CGROUP_V2") != NULL;
    return 0;
}

int container_pids(container *c, pid_t **pids, size_t *n, util_error **err)
{
    size_t cap = 1;
    for (fproc *e = c->execs; e; e = e->next)
        cap++;
    *pids = util_xcalloc(cap, sizeof **pids);
    *n = 0;
    pthread_mutex_lock(&reg_lock);
    if (c->init.status != CONTAINER_STOPPED)
        (*pids)[(*n)++] = c->init.pid;
    for (fproc *e = c->execs; e; e = e->next) {
        if (e->status != CONTAINER_STOPPED)
            (*pids)[(*n)++] = e->pid;
    }
    pthread_mutex_unlock(&reg_lock);
    return 0;
}

int container_pause(container *c, util_error **err)
{
    if (kill(c->init.pid, SIGSTOP) < 0)
        return util_error_set(err, errno, "pause");
    pthread_mutex_lock(&reg_lock);
    c->paused = true;
    pthread_mutex_unlock(&reg_lock);
    return 0;
}

int container_resume(container *c, util_error **err)
{
    if (kill(c->init.pid, SIGCONT) < 0)
        return util_error_set(err, errno, "resume");
    pthread_mutex_lock(&reg_lock);
    c->paused = false;
    pthread_mutex_unlock(&reg_lock);
    return 0;
}

int container_update(container *c, const char *resources_json, util_error **err)
{
    json_object *r = json_tokener_parse(resources_json);
    if (r == NULL)
        return util_error_set(err, 0, "update: resources are not JSON");
    json_object_put(r);
    free(c->resources);
    c->resources = util_xstrdup(resources_json);
    return 0;
}
