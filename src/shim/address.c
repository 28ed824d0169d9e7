/*
 * address.c - naming, grouping and binding the shim's socket.
 *
 * containerd never chooses the socket: the shim prints it from `start`.  We
 * compute it exactly as containerd's own shims do (sha256 of
 * "<containerd address>/<namespace>/<group>") so that a second `start` for
 * another container of the same pod lands on the same socket and is told
 * to reuse the running shim: one shim process per pod.
 */
#include "shim_internal.h"

#include <errno.h>
#include <json-c/json.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET_DIR "/run/containerd/s"

char *shim_socket_address(const char *dir, const char *containerd_address, const char *ns,
                          const char *group)
{
    cleanup_free char *key = util_xasprintf("%s/%s/%s", containerd_address, ns, group);
    char hex[UTIL_SHA256_HEX_SIZE];
    util_sha256_hex(key, strlen(key), hex);
    return util_xasprintf("unix://%s/%s", dir ? dir : DEFAULT_SOCKET_DIR, hex);
}

char *shim_group_key(const char *config_json_path, const char *id)
{
    static const char *const keys[] = {"io.containerd.runc.v2.group",
                                       "io.kubernetes.cri.sandbox-id"};
    json_object *root = json_object_from_file(config_json_path);
    json_object *ann = NULL;
    char *group = NULL;
    if (root && json_object_object_get_ex(root, "annotations", &ann) &&
        json_object_is_type(ann, json_type_object)) {
        for (size_t i = 0; i < UTIL_ARRAY_LEN(keys) && group == NULL; i++) {
            json_object *v = NULL;
            if (json_object_object_get_ex(ann, keys[i], &v) &&
                json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0)
                group = util_xstrdup(json_object_get_string(v));
        }
    }
    json_object_put(root);
    return group ? group : util_xstrdup(id);
}

static int fill_sockaddr(const char *addr, struct sockaddr_un *sa, util_error **err)
{
    if (strncmp(addr, "unix://", 7) == 0)
        addr += 7;
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    if (strlen(addr) >= sizeof sa->sun_path)
        return util_error_set(err, 0, "socket path %s is longer than %zu bytes", addr,
                              sizeof sa->sun_path - 1);
    strcpy(sa->sun_path, addr);
    return 0;
}

static bool socket_alive(const struct sockaddr_un *sa)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool ok = connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0;
    close(fd);
    return ok;
}

int shim_socket_listen(const char *addr, util_error **err)
{
    struct sockaddr_un sa;
    if (fill_sockaddr(addr, &sa, err) < 0)
        return -1;
    cleanup_free char *dir = util_xstrdup(sa.sun_path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (util_mkdir_p(dir, 0711, err) < 0)
            return -1;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return util_error_set(err, errno, "socket");
        /* the socket is only for containerd (same uid): 0600 */
        mode_t old = umask(0177);
        int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
        int e = errno;
        umask(old);
        if (rc == 0) {
            if (listen(fd, 128) < 0) {
                e = errno;
                close(fd);
                unlink(sa.sun_path);
                return util_error_set(err, e, "listen %s", sa.sun_path);
            }
            return fd;
        }
        close(fd);
        if (e != EADDRINUSE)
            return util_error_set(err, e, "bind %s", sa.sun_path);
        if (socket_alive(&sa))
            return -2;
        /* a socket file left by a shim that died: take its place */
        if (unlink(sa.sun_path) < 0 && errno != ENOENT)
            return util_error_set(err, errno, "remove stale socket %s", sa.sun_path);
    }
    return util_error_set(err, EADDRINUSE, "bind %s", sa.sun_path);
}
