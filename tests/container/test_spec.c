/*
 * test_spec.c - config.json parsing, cgroupsPath resolution and mount
 * option splitting: what the container layer reads from a bundle, and that
 * every mistake is reported with the name of the field.
 */
#include "internal.h"
#include "test.h"

#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>

static const char *full_config =
    "{\"ociVersion\":\"1.0.2\","
    " \"process\":{\"args\":[\"/bin/sh\",\"-c\",\"echo hi\"],"
    "   \"env\":[\"PATH=/bin\",\"A=b\"],\"cwd\":\"/tmp\","
    "   \"user\":{\"uid\":1000,\"gid\":100,\"additionalGids\":[10,20]},"
    "   \"noNewPrivileges\":true,\"oomScoreAdj\":1000,"
    "   \"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_KILL\"],"
    "     \"effective\":[\"CAP_KILL\"],\"ambient\":[\"CAP_NET_BIND_SERVICE\"]},"
    "   \"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":512}]},"
    " \"root\":{\"path\":\"rootfs\",\"readonly\":true},"
    " \"hostname\":\"pod-a\","
    " \"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
    "   {\"destination\":\"/etc/hosts\",\"type\":\"bind\",\"source\":\"/etc/hosts\","
    "    \"options\":[\"rbind\",\"ro\",\"rprivate\"]},"
    "   {\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
    "    \"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]}],"
    " \"annotations\":{\"io.kubernetes.cri.container-type\":\"sandbox\"},"
    " \"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"uts\"},"
    "     {\"type\":\"network\",\"path\":\"/proc/1/ns/net\"}],"
    "   \"cgroupsPath\":\"/kubepods/besteffort/pod1/c1\","
    "   \"resources\":{\"memory\":{\"limit\":134217728,\"swap\":134217728},"
    "     \"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000},\"pids\":{\"limit\":64},"
    "     \"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
    "       {\"allow\":true,\"type\":\"c\",\"major\":10,\"minor\":229,\"access\":\"rw\"}]},"
    "   \"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\"],"
    "   \"sysctl\":{\"net.ipv4.ip_forward\":\"1\"},"
    "   \"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229}]}}";

static void test_full_config(void)
{
    spec s;
    util_error *err = NULL;
    CHECK_INT(container_spec_parse(full_config, "/b", &s, &err), 0);
    if (err) {
        fprintf(stderr, "%s\n", err->msg);
        util_error_free(&err);
        return;
    }
    CHECK_INT(s.process.n_args, 3);
    CHECK_STR(s.process.args[2], "echo hi");
    CHECK(s.process.args[3] == NULL);
    CHECK_STR(s.process.env[1], "A=b");
    CHECK_STR(s.process.cwd, "/tmp");
    CHECK_INT(s.process.uid, 1000);
    CHECK_INT(s.process.gid, 100);
    CHECK_INT(s.process.n_gids, 2);
    CHECK_INT(s.process.gids[1], 20);
    CHECK(s.process.no_new_privs);
    CHECK(s.process.has_oom_score_adj);
    CHECK_INT(s.process.oom_score_adj, 1000);
    CHECK(s.process.caps.present);
    CHECK(s.process.caps.bounding == ((1ULL << CAP_CHOWN) | (1ULL << CAP_KILL)));
    CHECK(s.process.caps.effective == (1ULL << CAP_KILL));
    CHECK(s.process.caps.ambient == (1ULL << CAP_NET_BIND_SERVICE));
    CHECK(s.process.caps.permitted == 0);
    CHECK_INT(s.process.n_rlimits, 1);
    CHECK_INT(s.process.rlimits[0].resource, RLIMIT_NOFILE);
    CHECK_INT(s.process.rlimits[0].soft, 512);
    CHECK_INT(s.process.rlimits[0].hard, 1024);
    CHECK_STR(s.root_path, "/b/rootfs");
    CHECK(s.root_readonly);
    CHECK_STR(s.hostname, "pod-a");
    CHECK_INT(s.n_mounts, 3);
    CHECK(s.mounts[1].bind);
    CHECK(s.mounts[1].flags == (MS_REC | MS_RDONLY));
    CHECK(s.mounts[1].propagation == (MS_PRIVATE | MS_REC));
    CHECK(s.mounts[2].flags == (MS_NOSUID | MS_STRICTATIME));
    CHECK_STR(s.mounts[2].data, "mode=755,size=65536k");
    CHECK(!s.mounts[0].bind);
    CHECK(s.mounts[0].data == NULL);
    CHECK_INT(s.n_namespaces, 4);
    const spec_namespace *net = container_spec_find_namespace(&s, CLONE_NEWNET);
    CHECK(net != NULL && net->path && strcmp(net->path, "/proc/1/ns/net") == 0);
    CHECK(container_spec_find_namespace(&s, CLONE_NEWIPC) == NULL);
    CHECK_STR(s.cgroups_path, "/kubepods/besteffort/pod1/c1");
    CHECK(s.resources.has_memory_limit);
    CHECK_INT(s.resources.memory_limit, 134217728);
    CHECK_INT(s.resources.cpu_shares, 512);
    CHECK_INT(s.resources.cpu_quota, 50000);
    CHECK_INT(s.resources.cpu_period, 100000);
    CHECK_INT(s.resources.pids_limit, 64);
    CHECK_INT(s.resources.n_device_rules, 2);
    if (s.resources.n_device_rules == 2) {
        CHECK_STR(s.resources.device_rules[0], "-a *:* rwm");
        CHECK_STR(s.resources.device_rules[1], "+c 10:229 rw");
    }
    CHECK_INT(s.n_masked_paths, 1);
    CHECK_STR(s.readonly_paths[0], "/proc/sys");
    CHECK_INT(s.n_sysctls, 1);
    CHECK_STR(s.sysctls[0].key, "net.ipv4.ip_forward");
    CHECK_INT(s.n_devices, 1);
    CHECK_INT(s.devices[0].major, 10);
    CHECK_INT(s.devices[0].mode, 0666);
    container_spec_free(&s);
}

/* Each broken document must fail with a message naming the field. */
static void expect_error(const char *json, const char *needle)
{
    spec s;
    util_error *err = NULL;
    int r = container_spec_parse(json, "/b", &s, &err);
    CHECK_INT(r, -1);
    CHECK(err != NULL);
    if (err && strstr(err->msg, needle) == NULL) {
        fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", err->msg, needle);
        CHECK(0);
    }
    util_error_free(&err);
    container_spec_free(&s);
}

static void test_errors_name_the_field(void)
{
    expect_error("{", "invalid JSON");
    expect_error("[]", "top level");
    expect_error("{\"root\":{}}", "process: missing");
    expect_error("{\"process\":{\"args\":[]}}", "process.args");
    expect_error("{\"process\":{\"args\":\"sh\"}}", "process.args");
    expect_error("{\"process\":{\"args\":[\"sh\",7]}}", "process.args[1]");
    expect_error("{\"process\":{\"args\":[\"sh\"],\"cwd\":\"rel\"}}", "process.cwd");
    expect_error("{\"process\":{\"args\":[\"sh\"],\"env\":[1]}}", "process.env[0]");
    expect_error("{\"process\":{\"args\":[\"sh\"],\"oomScoreAdj\":5000}}", "process.oomScoreAdj");
    expect_error("{\"process\":{\"args\":[\"sh\"],\"user\":{\"uid\":\"root\"}}}",
                 "process.user.uid");
    expect_error("{\"process\":{\"args\":[\"sh\"],\"capabilities\":{\"bounding\":[\"CAP_FLY\"]}}}",
                 "process.capabilities.bounding[0]");
    expect_error("{\"process\":{\"args\":[\"sh\"],\"rlimits\":[{\"type\":\"RLIMIT_X\"}]}}",
                 "process.rlimits[0].type");
    expect_error("{\"process\":{\"args\":[\"sh\"],\"terminal\":true}}", "process.terminal");
    expect_error("{\"process\":{\"args\":[\"sh\"]},\"mounts\":[{\"destination\":\"proc\"}]}",
                 "mounts[0].destination");
    expect_error("{\"process\":{\"args\":[\"sh\"]},\"linux\":{\"namespaces\":[{\"type\":\"time2\"}]}}",
                 "linux.namespaces[0].type");
    expect_error("{\"process\":{\"args\":[\"sh\"]},\"linux\":{\"namespaces\":"
                 "[{\"type\":\"pid\"},{\"type\":\"pid\"}]}}",
                 "linux.namespaces[1]");
    expect_error("{\"process\":{\"args\":[\"sh\"]},\"linux\":{\"resources\":{\"memory\":"
                 "{\"limit\":\"1G\"}}}}",
                 "linux.resources.memory.limit");
    expect_error("{\"process\":{\"args\":[\"sh\"]},\"linux\":{\"resources\":{\"cpu\":"
                 "{\"shares\":-1}}}}",
                 "linux.resources.cpu.shares");
    expect_error("{\"process\":{\"args\":[\"sh\"]},\"hostname\":\"x\"}", "hostname");
    expect_error("{\"process\":{\"args\":[\"sh\"]},\"linux\":{\"resources\":{\"devices\":"
                 "[{\"allow\":true,\"access\":\"rwx\"}]}}}",
                 "linux.resources.devices[0].access");
    expect_error("{\"process\":{\"args\":[\"sh\"]},\"linux\":{\"devices\":[{\"path\":\"/dev/x\","
                 "\"type\":\"q\"}]}}",
                 "linux.devices[0].type");
}

static void test_defaults(void)
{
    spec s;
    util_error *err = NULL;
    CHECK_INT(container_spec_parse(
                  "{\"process\":{\"args\":[\"/pause\"]},\"root\":{\"path\":\"/abs/root\"}}", "/b",
                  &s, &err),
              0);
    CHECK_STR(s.process.cwd, "/");
    CHECK(s.process.env != NULL && s.process.env[0] == NULL);
    CHECK_STR(s.root_path, "/abs/root");
    CHECK(!s.process.caps.present);
    CHECK(s.seccomp == NULL);
    container_spec_free(&s);
    util_error_free(&err);

    spec_process p;
    CHECK_INT(
        container_spec_parse_process_json("{\"args\":[\"ls\",\"-l\"],\"cwd\":\"/\"}", &p, &err), 0);
    CHECK_INT(p.n_args, 2);
    container_spec_process_free(&p);
    CHECK_INT(container_spec_parse_process_json("{\"args\":[\"ls\"", &p, &err), -1);
    CHECK(err && strstr(err->msg, "invalid JSON"));
    util_error_free(&err);
    container_spec_process_free(&p);
}

static void check_path(const char *in, const char *want)
{
    util_error *err = NULL;
    char *got = container_cgroup_resolve_path(in, "ctr1", &err);
    CHECK_STR(got, want);
    if (err)
        fprintf(stderr, "  %s: %s\n", in, err->msg);
    util_error_free(&err);
    free(got);
}

static void check_path_error(const char *in, const char *needle)
{
    util_error *err = NULL;
    char *got = container_cgroup_resolve_path(in, "ctr1", &err);
    CHECK(got == NULL);
    CHECK(err && strstr(err->msg, needle));
    util_error_free(&err);
    free(got);
}

static void test_cgroup_paths(void)
{
    check_path(NULL, "/ctr1");
    check_path("", "/ctr1");
    check_path("/kubepods/besteffort/pod1/ctr1", "/kubepods/besteffort/pod1/ctr1");
    check_path("relative/x", "/relative/x");
    check_path("kubepods-besteffort-pod1.slice:cri-containerd:abc",
               "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/"
               "cri-containerd-abc.scope");
    check_path("system.slice:docker:abc", "/system.slice/docker-abc.scope");
    check_path(":cri:abc", "/system.slice/cri-abc.scope");
    check_path("-.slice:p:n", "/p-n.scope");
    check_path("user.slice::n", "/user.slice/n.scope");
    check_path("machine.slice:x:sub.slice", "/machine.slice/sub.slice");
    check_path_error("/a/../../etc", "..");
    check_path_error("a:b", "slice:prefix:name");
    check_path_error("a:b:c:d", "slice:prefix:name");
    check_path_error("kubepods:cri:abc", "must end in \".slice\"");
    check_path_error("a--b.slice:cri:abc", "invalid slice");
    check_path_error("a.slice:cri:", "invalid unit");
}

static void test_mount_options(void)
{
    const char *opts[] = {"lowerdir=/l1:/l2", "upperdir=/u", "ro", "nodev", "rw", "rslave",
                          "workdir=/w"};
    unsigned long flags, prop;
    bool bind;
    char *data;
    container_mount_parse_options(opts, UTIL_ARRAY_LEN(opts), &flags, &prop, &bind, &data);
    CHECK(flags == MS_NODEV); /* rw after ro clears it */
    CHECK(prop == (MS_SLAVE | MS_REC));
    CHECK(!bind);
    CHECK_STR(data, "lowerdir=/l1:/l2,upperdir=/u,workdir=/w");
    free(data);
    const char *b[] = {"rbind"};
    container_mount_parse_options(b, 1, &flags, &prop, &bind, &data);
    CHECK(bind && flags == MS_REC && data == NULL);
}

int main(void)
{
    RUN(test_full_config);
    RUN(test_errors_name_the_field);
    RUN(test_defaults);
    RUN(test_cgroup_paths);
    RUN(test_mount_options);
    return TEST_SUMMARY();
}
