/*
 * test_seccomp.c - translation of the spec's linux.seccomp profile: the
 * compiled filter is installed in a forked child and must make exactly the
 * listed syscalls fail (with the profile's errno, honouring argument
 * conditions) while everything else works; broken profiles are rejected
 * naming the field.
 */
#include "internal.h"
#include "test.h"

#include <errno.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int compile(const char *json, seccomp_program *prog, util_error **err)
{
    json_object *o = json_tokener_parse(json);
    if (o == NULL)
        return util_error_set(err, 0, "test JSON broken");
    int r = container_seccomp_compile(o, prog, err);
    json_object_put(o);
    return r;
}

/* Runs `probe` in a child under the filter; returns what it wrote to a
 * pipe (raw syscalls only, so nothing else in the child needs the
 * syscalls a strict filter denies), or 128+signal if it was killed. */
static int under_filter(const seccomp_program *prog, int (*probe)(void))
{
    int p[2];
    if (pipe(p) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        int r = container_seccomp_install(prog) < 0 ? 100 : probe();
        syscall(SYS_write, p[1], &r, sizeof(r));
        syscall(SYS_exit_group, 0);
    }
    close(p[1]);
    int r = -1;
    if (read(p[0], &r, sizeof(r)) != (ssize_t)sizeof(r))
        r = -1;
    close(p[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : r;
}

/* exit code = errno of getcwd (0 if it worked) */
static int probe_getcwd(void)
{
    char buf[256];
    return syscall(SYS_getcwd, buf, sizeof(buf)) < 0 ? errno : 0;
}

static int probe_personality(void)
{
    /* 0xffffffff only queries; the rule below matches only that value */
    int a = syscall(SYS_personality, 0xffffffffUL) < 0 ? errno : 0;
    int b = syscall(SYS_personality, (unsigned long)PER_LINUX) < 0 ? errno : 0;
    return a * 10 + (b ? 1 : 0);
}

static void test_errno_rule(void)
{
    seccomp_program prog;
    util_error *err = NULL;
    CHECK_INT(compile("{\"defaultAction\":\"SCMP_ACT_ALLOW\","
                      "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"],"
                      "\"syscalls\":[{\"names\":[\"getcwd\",\"no_such_syscall_x\"],"
                      "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":42}]}",
                      &prog, &err),
              0);
    CHECK(prog.len > 0);
    CHECK_INT(under_filter(&prog, probe_getcwd), 42);
    container_seccomp_program_free(&prog);
    /* without a filter getcwd works */
    CHECK_INT(under_filter(&prog, probe_getcwd), 0);
    util_error_free(&err);
}

static void test_default_errno_and_args(void)
{
    seccomp_program prog;
    util_error *err = NULL;
    /* default: errno 7 for everything not allowed */
    CHECK_INT(compile("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":7,"
                      "\"syscalls\":[{\"names\":[\"exit_group\",\"exit\",\"write\"],"
                      "\"action\":\"SCMP_ACT_ALLOW\"}]}",
                      &prog, &err),
              0);
    CHECK_INT(under_filter(&prog, probe_getcwd), 7);
    container_seccomp_program_free(&prog);
    /* personality is denied only for the 0xffffffff argument */
    CHECK_INT(compile("{\"defaultAction\":\"SCMP_ACT_ALLOW\","
                      "\"syscalls\":[{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\","
                      "\"errnoRet\":3,\"args\":[{\"index\":0,\"value\":4294967295,"
                      "\"op\":\"SCMP_CMP_EQ\"}]}]}",
                      &prog, &err),
              0);
    if (err)
        fprintf(stderr, "%s\n", err->msg);
    CHECK_INT(under_filter(&prog, probe_personality), 30);
    CHECK_INT(under_filter(&prog, probe_getcwd), 0);
    container_seccomp_program_free(&prog);
    util_error_free(&err);
}

static void test_kill_action(void)
{
    seccomp_program prog;
    util_error *err = NULL;
    CHECK_INT(compile("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
                      "[\"getcwd\"],\"action\":\"SCMP_ACT_KILL_PROCESS\"}]}",
                      &prog, &err),
              0);
    CHECK_INT(under_filter(&prog, probe_getcwd), 128 + SIGSYS);
    container_seccomp_program_free(&prog);
    util_error_free(&err);
}

static void expect_error(const char *json, const char *needle)
{
    seccomp_program prog;
    util_error *err = NULL;
    CHECK_INT(compile(json, &prog, &err), -1);
    CHECK(err != NULL);
    if (err && strstr(err->msg, needle) == NULL) {
        fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", err->msg, needle);
        CHECK(0);
    }
    CHECK(prog.filter == NULL);
    util_error_free(&err);
}

static void test_errors(void)
{
    expect_error("{}", "linux.seccomp.defaultAction");
    expect_error("{\"defaultAction\":\"SCMP_ACT_DANCE\"}", "linux.seccomp.defaultAction");
    expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_VAX\"]}",
                 "linux.seccomp.architectures[0]");
    expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                 "\"action\":\"SCMP_ACT_ERRNO\"},{\"names\":[\"write\"],\"action\":\"NOPE\"}]}",
                 "linux.seccomp.syscalls[1].action");
    expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                 "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,"
                 "\"op\":\"SCMP_CMP_ABOUT\"}]}]}",
                 "linux.seccomp.syscalls[0].args[0].op");
    expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                 "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":9,\"value\":1,"
                 "\"op\":\"SCMP_CMP_EQ\"}]}]}",
                 "linux.seccomp.syscalls[0].args[0].index");
    expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":{}}",
                 "linux.seccomp.syscalls");
    /* Wrong JSON types in a hostile config.json must be errors, not aborts. */
    expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":\"SCMP_ARCH_X86_64\"}",
                 "linux.seccomp.architectures: expected an array");
    expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":\"read\","
                 "\"action\":\"SCMP_ACT_ERRNO\"}]}",
                 "linux.seccomp.syscalls[0].names: expected an array");
    expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                 "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":\"0\",\"value\":1,"
                 "\"op\":\"SCMP_CMP_EQ\"}]}]}",
                 "linux.seccomp.syscalls[0].args[0].index");
}

int main(void)
{
    RUN(test_errno_rule);
    RUN(test_default_errno_and_args);
    RUN(test_kill_action);
    RUN(test_errors);
    return TEST_SUMMARY();
}
