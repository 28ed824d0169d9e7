/*
 * cgroup_path.c - turns linux.cgroupsPath into a cgroupfs path.
 *
 * Two syntaxes exist.  The cgroupfs form is a path ("/kubepods/pod1/c1"),
 * taken relative to the root of each hierarchy (a relative one is put under
 * the root too).  The systemd form "slice:prefix:name" asks systemd to make
 * a transient scope unit; without a systemd D-Bus connection we create the
 * directory systemd itself would create: the slice "a-b-c.slice" lives at
 * /a.slice/a-b.slice/a-b-c.slice (each dash adds a level), the scope is
 * "<prefix>-<name>.scope" inside it (a name that is itself a ".slice" is
 * used as is), and an empty slice means system.slice.  So a host that
 * switches between drivers keeps its processes in the same directories.
 * An empty cgroupsPath means "/<id>", like runc.
 */
#include "internal.h"

#include <string.h>

static int expand_slice(util_buf *out, const char *slice, util_error **err)
{
    size_t len = strlen(slice);
    const char *suffix = ".slice";
    if (len < 6 || strcmp(slice + len - 6, suffix) != 0)
        return util_error_set(err, 0, "cgroupsPath: slice \"%s\" must end in \".slice\"", slice);
    if (strchr(slice, '/') != NULL)
        return util_error_set(err, 0, "cgroupsPath: slice \"%s\" must not contain '/'", slice);
    if (strcmp(slice, "-.slice") == 0)
        return 0; /* the root slice */
    size_t base = len - 6;
    if (slice[0] == '-' || slice[base - 1] == '-' || strstr(slice, "--") != NULL)
        return util_error_set(err, 0, "cgroupsPath: invalid slice name \"%s\"", slice);
    for (size_t i = 0; i <= base; i++) {
        if (i == base || slice[i] == '-') {
            util_buf_append_str(out, "/");
            util_buf_append(out, slice, i);
            util_buf_append_str(out, suffix);
        }
    }
    return 0;
}

char *container_cgroup_resolve_path(const char *cgroups_path, const char *id, util_error **err)
{
    if (cgroups_path == NULL || cgroups_path[0] == '\0')
        return util_xasprintf("/%s", id);
    if (cgroups_path[0] == '/' || strchr(cgroups_path, ':') == NULL) {
        if (strstr(cgroups_path, "..") != NULL) {
            util_error_set(err, 0, "cgroupsPath: \"%s\" must not contain \"..\"", cgroups_path);
            return NULL;
        }
        return cgroups_path[0] == '/' ? util_xstrdup(cgroups_path)
                                      : util_xasprintf("/%s", cgroups_path);
    }

    /* systemd form: exactly three fields */
    const char *c1 = strchr(cgroups_path, ':');
    const char *c2 = strchr(c1 + 1, ':');
    if (c2 == NULL || strchr(c2 + 1, ':') != NULL) {
        util_error_set(err, 0, "cgroupsPath: \"%s\" is neither a path nor \"slice:prefix:name\"",
                       cgroups_path);
        return NULL;
    }
    cleanup_free char *slice = util_xstrndup(cgroups_path, (size_t)(c1 - cgroups_path));
    cleanup_free char *prefix = util_xstrndup(c1 + 1, (size_t)(c2 - c1 - 1));
    const char *name = c2 + 1;
    if (name[0] == '\0' || strchr(name, '/') != NULL || strchr(prefix, '/') != NULL) {
        util_error_set(err, 0, "cgroupsPath: invalid unit name in \"%s\"", cgroups_path);
        return NULL;
    }
    util_buf b = {0};
    if (expand_slice(&b, slice[0] ? slice : "system.slice", err) < 0) {
        util_buf_free(&b);
        return NULL;
    }
    size_t nlen = strlen(name);
    if (nlen > 6 && strcmp(name + nlen - 6, ".slice") == 0) {
        util_buf_printf(&b, "/%s", name);
    } else if (prefix[0]) {
        util_buf_printf(&b, "/%s-%s.scope", prefix, name);
    } else {
        util_buf_printf(&b, "/%s.scope", name);
    }
    return util_buf_steal(&b, NULL);
}
