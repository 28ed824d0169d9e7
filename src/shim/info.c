/*
 * info.c - the `-info` flag: containerd 2.x's introspection of a runtime
 * (its PluginInfo call, run e.g. before a container may use idmap mounts).
 *
 * containerd writes the runtime options, a packed google.protobuf.Any that
 * may be empty, on stdin and reads one containerd.types.RuntimeInfo from
 * stdout: our runtime name and version, those options echoed back (as the
 * runc shim does), and an OCI runtime "features" document in an Any with
 * JSON inside, the form containerd unpacks for runc-like runtimes.  The
 * document only claims what the container layer honours: no hooks, no
 * AppArmor/SELinux, no idmap mounts (so containerd refuses such specs up
 * front instead of us silently ignoring them).
 */
#include "proto.h"
#include "shim_internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define RUNTIME_NAME "io.containerd.spin.v2"
#define FEATURES_TYPE_URL "types.containerd.io/opencontainers/runtime-spec/1/features/Features"

static const char features_json[] =
    "{\"ociVersionMin\":\"1.0.0\",\"ociVersionMax\":\"1.1.0\","
    "\"hooks\":[],"
    "\"linux\":{"
    "\"namespaces\":[\"cgroup\",\"ipc\",\"mount\",\"network\",\"pid\",\"user\",\"uts\"],"
    "\"cgroup\":{\"v1\":true,\"v2\":true,\"systemd\":false,\"systemdUser\":false},"
    "\"seccomp\":{\"enabled\":true},"
    "\"apparmor\":{\"enabled\":false},"
    "\"selinux\":{\"enabled\":false},"
    "\"mountExtensions\":{\"idmap\":{\"enabled\":false}}}}";

/* Reads all of stdin (the options); a terminal counts as no options. */
static int read_stdin(util_buf *b, util_error **err)
{
    if (isatty(STDIN_FILENO))
        return 0;
    char chunk[4096];
    for (;;) {
        ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return util_error_set(err, errno, "-info: read the options from stdin");
        if (n == 0)
            return 0;
        if (b->len + (size_t)n > (1u << 20))
            return util_error_set(err, 0, "-info: options on stdin exceed 1 MiB");
        util_buf_append(b, chunk, (size_t)n);
    }
}

int shim_action_info(util_error **err)
{
    util_buf in = {0};
    if (read_stdin(&in, err) < 0) {
        util_buf_free(&in);
        return -1;
    }
    Google__Protobuf__Any *opts = NULL;
    if (in.len > 0) {
        opts = google__protobuf__any__unpack(NULL, in.len, (const uint8_t *)in.data);
        if (opts == NULL) {
            size_t len = in.len;
            util_buf_free(&in);
            return util_error_set(err, 0,
                                  "-info: stdin is not a protobuf google.protobuf.Any "
                                  "(the runtime options), %zu bytes",
                                  len);
        }
    }
    util_buf_free(&in);

    Containerd__Task__V2__RuntimeVersion v = CONTAINERD__TASK__V2__RUNTIME_VERSION__INIT;
    v.version = (char *)util_version;
    v.revision = (char *)util_revision;
    Google__Protobuf__Any features = GOOGLE__PROTOBUF__ANY__INIT;
    features.type_url = (char *)FEATURES_TYPE_URL;
    features.value.data = (uint8_t *)features_json;
    features.value.len = sizeof features_json - 1;
    Containerd__Task__V2__RuntimeInfo info = CONTAINERD__TASK__V2__RUNTIME_INFO__INIT;
    info.name = (char *)RUNTIME_NAME;
    info.version = &v;
    info.features = &features;
    /* an empty Any (no options given) is not worth echoing */
    if (opts && opts->type_url && opts->type_url[0])
        info.options = opts;
    cleanup_free uint8_t *out = NULL;
    size_t n = shim_pb_pack(&info.base, &out);
    if (opts)
        google__protobuf__any__free_unpacked(opts, NULL);
    if (util_write_all(STDOUT_FILENO, out, n) != (ssize_t)n)
        return util_error_set(err, errno, "-info: write to stdout");
    return 0;
}
