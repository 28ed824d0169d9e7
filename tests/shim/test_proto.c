/*
 * test_proto.c - protobuf round trips of the shim's messages, the socket
 * address containerd expects, pod grouping, task options
 * decoding, command-line parsing and stats encoding.
 */
#include "container.h"
#include "proto.h"
#include "shim_internal.h"
#include "test.h"

#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static void test_socket_address_matches_containerd(void)
{
    char *addr = shim_socket_address(NULL, "/run/containerd/containerd.sock", "k8s.io", "sandbox1");
    CHECK_STR(addr, "unix:///run/containerd/s/"
                    "203e2a8bcc43faffc0cfc248beea84ee3e46e9902d1260ec12c34ce928a2ad92");
    free(addr);
}

static char *tmpdir(void)
{
    char *d = util_xstrdup("/tmp/shim-proto-XXXXXX");
    return mkdtemp(d);
}

static void write_text(const char *path, const char *text)
{
    util_error *err = NULL;
    CHECK_INT(util_write_file_atomic(path, text, strlen(text), 0644, &err), 0);
}

static void test_group_key(void)
{
    char *d = tmpdir();
    char *cfg = util_xasprintf("%s/config.json", d);
    /* no config.json: the id */
    char *g = shim_group_key(cfg, "c1");
    CHECK_STR(g, "c1");
    free(g);
    write_text(cfg, "{\"annotations\":{\"io.kubernetes.cri.sandbox-id\":\"pod-a\"}}");
    g = shim_group_key(cfg, "c2");
    CHECK_STR(g, "pod-a");
    free(g);
    write_text(cfg, "{\"annotations\":{\"io.kubernetes.cri.sandbox-id\":\"pod-a\","
                    "\"io.containerd.runc.v2.group\":\"grp\"}}");
    g = shim_group_key(cfg, "c3");
    CHECK_STR(g, "grp");
    free(g);
    write_text(cfg, "not json");
    g = shim_group_key(cfg, "c4");
    CHECK_STR(g, "c4");
    free(g);
    unlink(cfg);
    rmdir(d);
    free(cfg);
    free(d);
}

static void test_socket_listen_reuse_and_stale(void)
{
    char *d = tmpdir();
    char *addr = util_xasprintf("unix://%s/sub/dir/x.sock", d);
    util_error *err = NULL;
    int fd = shim_socket_listen(addr, &err);
    CHECK(fd >= 0);
    struct stat sb;
    char *path = util_xasprintf("%s/sub/dir/x.sock", d);
    CHECK_INT(stat(path, &sb), 0);
    CHECK_INT(sb.st_mode & 0777, 0600);
    /* live: reuse */
    CHECK_INT(shim_socket_listen(addr, &err), -2);
    /* stale (nobody listening): replaced */
    close(fd);
    int fd2 = shim_socket_listen(addr, &err);
    CHECK(fd2 >= 0);
    close(fd2);
    unlink(path);
    /* path too long */
    char longp[200];
    memset(longp, 'x', sizeof longp - 1);
    longp[sizeof longp - 1] = '\0';
    CHECK_INT(shim_socket_listen(longp, &err), -1);
    CHECK(err && strstr(err->msg, "longer than"));
    util_error_free(&err);
    free(path);
    cleanup_free char *cmd = util_xasprintf("rm -rf %s", d);
    CHECK_INT(system(cmd), 0);
    free(addr);
    free(d);
}

static void pack_options(const char *type_url, const char *config_path, const char *body,
                         uint8_t **out, size_t *len)
{
    Runtimeoptions__V1__Options o = RUNTIMEOPTIONS__V1__OPTIONS__INIT;
    o.type_url = (char *)type_url;
    o.config_path = (char *)config_path;
    o.config_body.data = (uint8_t *)body;
    o.config_body.len = strlen(body);
    pb_any any;
    shim_pb_any_pack(&any, "runtimeoptions.v1.Options", &o.base);
    *len = shim_pb_pack(&any.base, out);
    shim_pb_any_clear(&any);
}

static void test_options_parsing(void)
{
    uint8_t *buf;
    size_t len;
    shim_runtime_options o;
    pack_options("io.containerd.spin.v2.options", "/etc/x.toml",
                 "SystemdCgroup = true\nOther = \"x\"\n", &buf, &len);
    shim_options_parse(buf, len, &o);
    CHECK(o.present);
    CHECK_STR(o.type_url, "io.containerd.spin.v2.options");
    CHECK_STR(o.config_path, "/etc/x.toml");
    CHECK(o.systemd_cgroup);
    shim_options_free(&o);
    free(buf);

    /* 1.6: no body */
    pack_options("", "", "", &buf, &len);
    shim_options_parse(buf, len, &o);
    CHECK(o.present);
    CHECK(!o.systemd_cgroup);
    shim_options_free(&o);
    free(buf);

    /* broken TOML body: recorded, not fatal */
    pack_options("t", "", "SystemdCgroup = = =", &buf, &len);
    shim_options_parse(buf, len, &o);
    CHECK(o.present);
    CHECK(!o.systemd_cgroup);
    shim_options_free(&o);
    free(buf);

    /* an options type we do not know (runc's): ignored */
    Google__Protobuf__Empty e = GOOGLE__PROTOBUF__EMPTY__INIT;
    pb_any any;
    shim_pb_any_pack(&any, "containerd.runc.v1.Options", &e.base);
    len = shim_pb_pack(&any.base, &buf);
    shim_pb_any_clear(&any);
    shim_options_parse(buf, len, &o);
    CHECK(!o.present);
    shim_options_free(&o);
    free(buf);

    /* garbage and nothing */
    const uint8_t junk[] = {0x0a, 0xff, 0xff};
    shim_options_parse(junk, sizeof junk, &o);
    CHECK(!o.present);
    shim_options_free(&o);
    shim_options_parse(NULL, 0, &o);
    CHECK(!o.present);
    shim_options_free(&o);
}

static void test_create_request_round_trip(void)
{
    Containerd__Task__V2__CreateTaskRequest r = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
    Containerd__Task__V2__Mount m = CONTAINERD__TASK__V2__MOUNT__INIT;
    char *opts[] = {(char *)"lowerdir=/l", (char *)"upperdir=/u", (char *)"workdir=/w"};
    m.type = (char *)"overlay";
    m.source = (char *)"overlay";
    m.options = opts;
    m.n_options = 3;
    Containerd__Task__V2__Mount *mp = &m;
    r.id = (char *)"c1";
    r.bundle = (char *)"/run/b";
    r.rootfs = &mp;
    r.n_rootfs = 1;
    r.stdout = (char *)"/fifo/1";
    uint8_t *buf;
    size_t len = shim_pb_pack(&r.base, &buf);
    Containerd__Task__V2__CreateTaskRequest *g =
        containerd__task__v2__create_task_request__unpack(NULL, len, buf);
    CHECK(g != NULL);
    if (g) {
        CHECK_STR(g->id, "c1");
        CHECK_STR(g->bundle, "/run/b");
        CHECK_INT(g->n_rootfs, 1);
        CHECK_STR(g->rootfs[0]->type, "overlay");
        CHECK_INT(g->rootfs[0]->n_options, 3);
        CHECK_STR(g->rootfs[0]->options[2], "workdir=/w");
        CHECK_STR(g->stdout, "/fifo/1");
        CHECK(g->options == NULL);
        containerd__task__v2__create_task_request__free_unpacked(g, NULL);
    }
    free(buf);
    /* field numbers on the wire: id is field 1 (tag 0x0a), bundle 2 (0x12) */
    Containerd__Task__V2__DeleteResponse d = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
    pb_timestamp ts;
    shim_pb_timestamp_set(&ts, 1700000000123456789ull);
    d.pid = 5;
    d.exit_status = 137;
    d.exited_at = &ts;
    len = shim_pb_pack(&d.base, &buf);
    CHECK(len > 4);
    CHECK_INT(buf[0], 0x08); /* field 1 varint */
    CHECK_INT(buf[1], 5);
    CHECK_INT(buf[2], 0x10); /* field 2 varint */
    CHECK_INT(buf[3], 137);
    CHECK_INT(buf[4], 0x01);
    CHECK_INT(buf[5], 0x1a); /* field 3 message */
    Containerd__Task__V2__DeleteResponse *dg =
        containerd__task__v2__delete_response__unpack(NULL, len, buf);
    CHECK(dg && shim_pb_timestamp_ns(dg->exited_at) == 1700000000123456789ull);
    containerd__task__v2__delete_response__free_unpacked(dg, NULL);
    free(buf);
}

static void test_flags(void)
{
    shim_flags f;
    util_error *err = NULL;
    char *a1[] = {"shim", "-namespace", "k8s.io", "-address", "/run/c.sock", "-publish-binary",
                  "/usr/bin/containerd", "-id", "abc", "-debug", "start", NULL};
    CHECK_INT(shim_parse_flags(11, a1, &f, &err), 0);
    CHECK_STR(f.ns, "k8s.io");
    CHECK_STR(f.address, "/run/c.sock");
    CHECK_STR(f.publish_binary, "/usr/bin/containerd");
    CHECK_STR(f.id, "abc");
    CHECK(f.debug);
    CHECK_STR(f.action, "start");
    char *a2[] = {"shim", "--namespace=default", "--id=x", "--bundle", "/b", "delete", NULL};
    CHECK_INT(shim_parse_flags(6, a2, &f, &err), 0);
    CHECK_STR(f.bundle, "/b");
    CHECK_STR(f.action, "delete");
    CHECK(!f.debug);
    char *a3[] = {"shim", "-namespace", "n", "-socket", "unix:///x", NULL};
    CHECK_INT(shim_parse_flags(5, a3, &f, &err), 0);
    CHECK(f.action == NULL);
    CHECK_STR(f.socket, "unix:///x");
    char *a4[] = {"shim", "-namespace", "n", "-bogus", "1", NULL};
    CHECK_INT(shim_parse_flags(5, a4, &f, &err), -1);
    CHECK(err && strstr(err->msg, "-bogus"));
    util_error_free(&err);
    char *a5[] = {"shim", "-id", "x", "start", NULL};
    CHECK_INT(shim_parse_flags(4, a5, &f, &err), -1);
    CHECK(err && strstr(err->msg, "namespace"));
    util_error_free(&err);
    char *a6[] = {"shim", "-namespace", "n", "-id", "x", "explode", NULL};
    CHECK_INT(shim_parse_flags(6, a6, &f, &err), -1);
    CHECK(err && strstr(err->msg, "explode"));
    util_error_free(&err);
    char *a7[] = {"shim", "-namespace", NULL};
    CHECK_INT(shim_parse_flags(2, a7, &f, &err), -1);
    CHECK(err && strstr(err->msg, "argument"));
    util_error_free(&err);
}

static void test_stats_encoding(void)
{
    container_stats cs = {0};
    cs.cpu_usage_usec = 1500;
    cs.cpu_user_usec = 1000;
    cs.cpu_system_usec = 500;
    cs.memory_usage = 4096;
    cs.memory_limit = 1 << 20;
    cs.memory_inactive_file = 1024;
    cs.memory_rss = 2048;
    cs.memory_anon = 2048;
    cs.pids_current = 3;
    cs.pids_limit = UINT64_MAX;
    pb_any any;
    shim_stats_to_any(&cs, &any);
    CHECK_STR(any.type_url, "io.containerd.cgroups.v1.Metrics");
    Io__Containerd__Cgroups__V1__Metrics *m1 =
        io__containerd__cgroups__v1__metrics__unpack(NULL, any.value.len, any.value.data);
    CHECK(m1 && m1->cpu && m1->cpu->usage && m1->memory && m1->memory->usage && m1->pids);
    if (m1 && m1->cpu && m1->cpu->usage && m1->memory && m1->memory->usage && m1->pids) {
        CHECK_INT(m1->cpu->usage->total, 1500000); /* v1 reports nanoseconds */
        CHECK_INT(m1->memory->usage->usage, 4096);
        CHECK_INT(m1->memory->usage->limit, 1 << 20);
        CHECK_INT(m1->memory->total_inactive_file, 1024);
        CHECK_INT(m1->pids->current, 3);
        CHECK_INT(m1->pids->limit, 0); /* unlimited */
    }
    io__containerd__cgroups__v1__metrics__free_unpacked(m1, NULL);
    shim_pb_any_clear(&any);
    cs.cgroup_v2 = true;
    shim_stats_to_any(&cs, &any);
    CHECK_STR(any.type_url, "io.containerd.cgroups.v2.Metrics");
    Io__Containerd__Cgroups__V2__Metrics *m2 =
        io__containerd__cgroups__v2__metrics__unpack(NULL, any.value.len, any.value.data);
    CHECK(m2 && m2->cpu && m2->memory);
    if (m2 && m2->cpu && m2->memory) {
        CHECK_INT(m2->cpu->usage_usec, 1500);
        CHECK_INT(m2->memory->usage, 4096);
        CHECK_INT(m2->memory->inactive_file, 1024);
        CHECK_INT(m2->memory->anon, 2048);
    }
    io__containerd__cgroups__v2__metrics__free_unpacked(m2, NULL);
    shim_pb_any_clear(&any);
}

int main(void)
{
    RUN(test_socket_address_matches_containerd);
    RUN(test_group_key);
    RUN(test_socket_listen_reuse_and_stale);
    RUN(test_options_parsing);
    RUN(test_create_request_round_trip);
    RUN(test_flags);
    RUN(test_stats_encoding);
    return TEST_SUMMARY();
}
