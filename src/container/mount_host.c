/*
 * mount_host.c - mounts made in the shim's own mount namespace: the
 * snapshotter's rootfs mounts (CreateTaskRequest.rootfs) on <bundle>/rootfs,
 * and their removal on delete.
 *
 * Mount option strings are split the way mount(8) does it: the words that
 * are mount flags become MS_* bits, propagation words become a separate
 * propagation change (it cannot be combined with a mount call), and the
 * rest (lowerdir=..., mode=..., size=...) is passed as the data string.
 * Unmounting reads /proc/self/mountinfo and detaches every mount at or
 * below the path, deepest first, so nested mounts never keep a parent busy.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>

static const struct {
    const char *name;
    bool clear;
    unsigned long flag;
} flag_words[] = {
    {"defaults", false, 0},       {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},      {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},      {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS}, {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT}, {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK}, {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME}, {"diratime", true, MS_NODIRATIME},
    {"nodiratime", false, MS_NODIRATIME}, {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME}, {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
};

static const struct {
    const char *name;
    unsigned long flags;
} prop_words[] = {
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

void container_mount_parse_options(const char *const *opts, size_t n, unsigned long *flags,
                                   unsigned long *propagation, bool *bind, char **data)
{
    util_buf b = {0};
    *flags = 0;
    *propagation = 0;
    *bind = false;
    for (size_t i = 0; i < n; i++) {
        const char *o = opts[i];
        bool done = false;
        if (strcmp(o, "bind") == 0) {
            *bind = true;
            continue;
        }
        if (strcmp(o, "rbind") == 0) {
            *bind = true;
            *flags |= MS_REC;
            continue;
        }
        for (size_t k = 0; !done && k < UTIL_ARRAY_LEN(flag_words); k++) {
            if (strcmp(o, flag_words[k].name) == 0) {
                if (flag_words[k].clear)
                    *flags &= ~flag_words[k].flag;
                else
                    *flags |= flag_words[k].flag;
                done = true;
            }
        }
        for (size_t k = 0; !done && k < UTIL_ARRAY_LEN(prop_words); k++) {
            if (strcmp(o, prop_words[k].name) == 0) {
                *propagation = prop_words[k].flags;
                done = true;
            }
        }
        if (done)
            continue;
        if (b.len)
            util_buf_append_str(&b, ",");
        util_buf_append_str(&b, o);
    }
    *data = b.len ? util_buf_steal(&b, NULL) : NULL;
    util_buf_free(&b);
}

int container_rootfs_mount_all(const container_mount *mounts, size_t n, const char *target,
                               util_error **err)
{
    for (size_t i = 0; i < n; i++) {
        const container_mount *m = &mounts[i];
        unsigned long flags, prop;
        bool bind;
        cleanup_free char *data = NULL;
        container_mount_parse_options(m->options, m->n_options, &flags, &prop, &bind, &data);
        const char *type = m->type && *m->type ? m->type : NULL;
        if (bind || (type && strcmp(type, "bind") == 0)) {
            if (mount(m->source, target, NULL, MS_BIND | (flags & MS_REC), NULL) < 0)
                goto fail;
            if ((flags & ~MS_REC) &&
                mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | (flags & ~MS_REC), NULL) < 0)
                goto fail;
        } else if (mount(m->source, target, type, flags, data) < 0) {
            goto fail;
        }
        continue;
    fail:;
        int e = errno;
        container_unmount_tree(target, NULL);
        return util_error_set(err, e, "mount rootfs[%zu] (%s %s) on %s", i, type ? type : "bind",
                              m->source ? m->source : "", target);
    }
    return 0;
}

/* Mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] && r[3]) {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 3;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

int container_unmount_tree(const char *path, util_error **err)
{
    size_t plen = strlen(path);
    while (plen > 1 && path[plen - 1] == '/')
        plen--;
    /* Repeat: each pass unmounts the deepest matches, until none is left. */
    for (int pass = 0; pass < 64; pass++) {
        cleanup_file FILE *f = fopen("/proc/self/mountinfo", "re");
        if (f == NULL)
            return util_error_set(err, errno, "open /proc/self/mountinfo");
        char *line = NULL;
        size_t cap = 0;
        char *deepest = NULL;
        size_t deepest_len = 0;
        while (getline(&line, &cap, f) > 0) {
            char mp[4096];
            if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
                continue;
            unescape(mp);
            size_t l = strlen(mp);
            if (strncmp(mp, path, plen) != 0 || (mp[plen] != '\0' && mp[plen] != '/'))
                continue;
            if (deepest == NULL || l > deepest_len) {
                free(deepest);
                deepest = util_xstrdup(mp);
                deepest_len = l;
            }
        }
        free(line);
        if (deepest == NULL)
            return 0;
        if (umount2(deepest, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) {
            int e = errno;
            util_error_set(err, e, "unmount %s", deepest);
            free(deepest);
            return -1;
        }
        free(deepest);
    }
    return util_error_set(err, 0, "unmount %s: mounts keep reappearing", path);
}
