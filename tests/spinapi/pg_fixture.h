/*
 * pg_fixture.h - a private PostgreSQL server for a test: Debian's
 * PostgreSQL 15 (initdb, postgres) run as the `postgres` user (it refuses
 * root) on a free loopback port, with its data directory and Unix socket
 * in a fresh temporary directory it owns, trust authentication, waited
 * for with pg_isready and stopped by its PID (a fast shutdown) at the end.
 */
#ifndef TESTS_SPINAPI_PG_FIXTURE_H
#define TESTS_SPINAPI_PG_FIXTURE_H

#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PG_BIN "/usr/lib/postgresql/15/bin"

typedef struct pg_server {
    char *dir; /* the temporary directory: data/, log, socket */
    uint16_t port;
    pid_t pid;
} pg_server;

/* A loopback TCP port nobody listens on right now. */
static inline uint16_t pg_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0)
        abort();
    close(fd);
    return ntohs(a.sin_port);
}

/* Forks a child that becomes `postgres` and runs argv (output to log). */
static inline pid_t pg_spawn(const struct passwd *pw, const char *log, char *const argv[])
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
        _exit(126);
    execv(argv[0], argv);
    _exit(127);
}

static inline int pg_wait(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static inline void pg_print_log(const pg_server *s)
{
    char *cmd = util_xasprintf("cat '%s/log' >&2", s->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "(no log)\n");
    free(cmd);
}

/* Starts the server; exits the test with a message when it cannot. */
static inline void pg_server_start(pg_server *s)
{
    struct passwd *pw = getpwnam("postgres");
    if (pw == NULL || access(PG_BIN "/postgres", X_OK) != 0) {
        fprintf(stderr, "pg fixture: needs Debian's postgresql-15 (scripts/install-deps.sh)\n");
        exit(1);
    }
    s->dir = util_xstrdup("/tmp/spinapi-pg-XXXXXX");
    if (mkdtemp(s->dir) == NULL || chown(s->dir, pw->pw_uid, pw->pw_gid) < 0)
        abort();
    char *data = util_xasprintf("%s/data", s->dir), *log = util_xasprintf("%s/log", s->dir);
    char *initdb[] = {PG_BIN "/initdb", "-D", data, "-A", "trust", "-U", "postgres",
                      "--no-sync", "-E", "UTF8", "--locale=C", NULL};
    if (pg_wait(pg_spawn(pw, log, initdb)) != 0) {
        pg_print_log(s);
        fprintf(stderr, "pg fixture: initdb failed\n");
        exit(1);
    }
    s->port = pg_free_port();
    char port[8];
    snprintf(port, sizeof(port), "%u", s->port);
    char *server[] = {PG_BIN "/postgres", "-D", data, "-p", port, "-k", s->dir,
                      "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", NULL};
    s->pid = pg_spawn(pw, log, server);
    char *ready = util_xasprintf(PG_BIN "/pg_isready -q -h 127.0.0.1 -p %u -t 1", s->port);
    bool up = false;
    for (int i = 0; i < 300 && !up; i++) {
        up = system(ready) == 0;
        if (!up)
            nanosleep(&(struct timespec){0, 100000000}, NULL);
    }
    free(ready);
    free(data);
    free(log);
    if (!up) {
        pg_print_log(s);
        kill(s->pid, SIGINT);
        pg_wait(s->pid);
        fprintf(stderr, "pg fixture: the server did not come up\n");
        exit(1);
    }
}

/* Stops the server (fast shutdown) and removes its directory. */
static inline void pg_server_stop(pg_server *s)
{
    kill(s->pid, SIGINT);
    pg_wait(s->pid);
    char *cmd = util_xasprintf("rm -rf '%s'", s->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "pg fixture: could not remove %s\n", s->dir);
    free(cmd);
    free(s->dir);
}

#endif
