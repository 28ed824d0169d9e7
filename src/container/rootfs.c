/*
 * rootfs.c - builds the container's filesystem view, inside its new mount
 * namespace, in the order crun and runc use:
 *
 *   make / rslave        nothing we mount propagates back to the host
 *   bind rootfs on itself so it is a mount point pivot_root accepts
 *   spec mounts          proc, sysfs, tmpfs, devpts, mqueue, binds (files
 *                        too), cgroup; ro via a bind remount; propagation
 *   devices              null, zero, full, random, urandom, tty bound from
 *                        the host (works in user namespaces too), the
 *                        spec's devices by mknod, /dev/fd & co. symlinks
 *   pivot_root           (MS_MOVE + chroot only where pivot_root is
 *                        impossible, i.e. a ramfs root)
 *   masked, readonly     after the pivot, paths as the process sees them
 *
 * Mount destinations are created inside the rootfs and then resolved by the
 * kernel (realpath() without /proc): a symlink in the image that points outside the rootfs makes
 * the mount fail instead of landing on the host.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* mkdir -p from the deepest missing directory: mount targets usually
 * exist already (images ship /proc, /dev, ...), so one mkdir(2) answering
 * EEXIST replaces one per path component. */
static int mkdir_p(const char *path)
{
    if (mkdir(path, 0755) == 0 || errno == EEXIST)
        return 0;
    if (errno != ENOENT)
        return -1;
    char parent[PATH_MAX * 2];
    snprintf(parent, sizeof(parent), "%s", path);
    char *slash = strrchr(parent, '/');
    while (slash && slash > parent && slash[1] == '\0') { /* trailing slashes */
        *slash = '\0';
        slash = strrchr(parent, '/');
    }
    if (slash == NULL || slash == parent) {
        errno = ENOENT;
        return -1;
    }
    *slash = '\0';
    if (mkdir_p(parent) < 0)
        return -1;
    if (mkdir(path, 0755) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* Where `path` really leads.  realpath() readlinks every component, a
 * dozen syscalls per mount target; the kernel's own resolution, read back
 * through an O_PATH descriptor, gives the same answer in three.  /proc is
 * the host's here (before pivot_root); without it, realpath() it is. */
static bool resolve_path(const char *path, char real[PATH_MAX])
{
    int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd >= 0) {
        char link[64];
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, real, PATH_MAX - 1);
        close(fd);
        if (n > 0 && n < PATH_MAX - 1 && real[0] == '/') {
            real[n] = '\0';
            return true;
        }
    }
    return realpath(path, real) != NULL;
}

static void check_inside(int sync_fd, const char *root, const char *dest, const char *real)
{
    size_t rl = strlen(root);
    if (strncmp(real, root, rl) != 0 || (real[rl] != '\0' && real[rl] != '/'))
        container_sync_fail(sync_fd, 0, "mount target %s resolves to %s, outside the rootfs", dest,
                            real);
}

/* Before anything is created: the deepest part of `dest` that exists must
 * resolve inside `root`, or mkdir/open would follow an image's symlink and
 * create directories or files on the host.  A dangling symlink on the way
 * is refused for the same reason (its target would be created outside). */
static void check_existing_part(int sync_fd, const char *root, const char *dest)
{
    char part[PATH_MAX * 2];
    snprintf(part, sizeof(part), "%s", dest);
    size_t rl = strlen(root);
    for (;;) {
        char real[PATH_MAX];
        if (resolve_path(part, real)) {
            check_inside(sync_fd, root, dest, real);
            return;
        }
        struct stat st;
        if (lstat(part, &st) == 0 && S_ISLNK(st.st_mode))
            container_sync_fail(sync_fd, 0, "mount target %s: %s is a symlink that leads nowhere",
                                dest, part + rl);
        char *slash = strrchr(part, '/');
        if (slash == NULL || (size_t)(slash - part) <= rl)
            return; /* down to the root itself, checked by its caller */
        *slash = '\0';
    }
}

/* Creates `dest` (a directory, or an empty file when `file`) and checks it
 * resolves inside `root`. */
static void make_target(int sync_fd, const char *root, const char *dest, bool file)
{
    check_existing_part(sync_fd, root, dest);
    char parent[PATH_MAX * 2];
    snprintf(parent, sizeof(parent), "%s", dest);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent)
        *slash = '\0';
    if (file) {
        if (mkdir_p(parent) < 0)
            container_sync_fail(sync_fd, errno, "mkdir %s", parent);
        int fd = open(dest, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EISDIR)
            container_sync_fail(sync_fd, errno, "create mount target %s", dest);
        if (fd >= 0)
            close(fd);
    } else if (mkdir_p(dest) < 0) {
        container_sync_fail(sync_fd, errno, "mkdir %s", dest);
    }
    char real[PATH_MAX];
    if (!resolve_path(dest, real))
        container_sync_fail(sync_fd, errno, "resolve %s", dest);
    check_inside(sync_fd, root, dest, real);
}

static void do_mount(int sync_fd, const char *root, const spec_mount *m)
{
    char dest[PATH_MAX * 2];
    snprintf(dest, sizeof(dest), "%s%s", root, m->destination);
    const char *type = m->type;
    if (m->bind) {
        struct stat st;
        if (stat(m->source, &st) < 0)
            container_sync_fail(sync_fd, errno, "mount %s: source %s", m->destination, m->source);
        make_target(sync_fd, root, dest, !S_ISDIR(st.st_mode));
        if (mount(m->source, dest, NULL, MS_BIND | (m->flags & MS_REC), NULL) < 0)
            container_sync_fail(sync_fd, errno, "bind mount %s on %s", m->source, m->destination);
        unsigned long extra = m->flags & ~(MS_REC | MS_REMOUNT);
        if (extra && mount(NULL, dest, NULL, MS_REMOUNT | MS_BIND | extra, NULL) < 0)
            container_sync_fail(sync_fd, errno, "remount %s with its options", m->destination);
    } else if (strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0) {
        /* The host's hierarchies as they are (hybrid layouts included). */
        make_target(sync_fd, root, dest, false);
        if (mount("/sys/fs/cgroup", dest, NULL, MS_BIND | MS_REC, NULL) < 0)
            container_sync_fail(sync_fd, errno, "mount cgroup on %s", m->destination);
        if ((m->flags & MS_RDONLY) &&
            mount(NULL, dest, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV |
                                        MS_NOEXEC, NULL) < 0)
            container_sync_fail(sync_fd, errno, "remount %s read-only", m->destination);
    } else {
        make_target(sync_fd, root, dest, false);
        if (mount(m->source, dest, type, m->flags & ~MS_REC, m->data) < 0) {
            int e = errno;
            /* sysfs needs a network namespace we own; bind the host's then */
            if (strcmp(type, "sysfs") == 0 && (e == EPERM || e == EBUSY) &&
                mount("/sys", dest, NULL, MS_BIND | MS_REC, NULL) == 0) {
                if (m->flags & MS_RDONLY)
                    mount(NULL, dest, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
            } else {
                container_sync_fail(sync_fd, e, "mount %s (%s) on %s", m->source, type,
                                    m->destination);
            }
        }
    }
    if (m->propagation && mount(NULL, dest, NULL, m->propagation, NULL) < 0)
        container_sync_fail(sync_fd, errno, "set propagation of %s", m->destination);
}

static void default_devices(int sync_fd, const char *root, const spec *s)
{
    static const char *const devs[] = {"null", "zero", "full", "random", "urandom", "tty"};
    char path[PATH_MAX * 2];
    snprintf(path, sizeof(path), "%s/dev", root);
    if (mkdir_p(path) < 0)
        container_sync_fail(sync_fd, errno, "mkdir %s", path);
    for (size_t i = 0; i < UTIL_ARRAY_LEN(devs); i++) {
        snprintf(path, sizeof(path), "%s/dev/%s", root, devs[i]);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISCHR(st.st_mode))
            continue;
        char host[64];
        snprintf(host, sizeof(host), "/dev/%s", devs[i]);
        if (lstat(host, &st) < 0)
            continue;
        make_target(sync_fd, root, path, true);
        if (mount(host, path, NULL, MS_BIND, NULL) < 0)
            container_sync_fail(sync_fd, errno, "bind %s", host);
    }
    for (size_t i = 0; i < s->n_devices; i++) {
        const spec_device *d = &s->devices[i];
        snprintf(path, sizeof(path), "%s%s", root, d->path);
        mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
        unlink(path);
        char parent[PATH_MAX * 2];
        snprintf(parent, sizeof(parent), "%s", path);
        *strrchr(parent, '/') = '\0';
        mkdir_p(parent);
        if (mknod(path, type | (d->mode & 07777), makedev(d->major, d->minor)) == 0) {
            if (chown(path, d->uid, d->gid) < 0)
                container_sync_fail(sync_fd, errno, "chown device %s", d->path);
            continue;
        }
        /* no CAP_MKNOD (user namespace) or the devices cgroup says no:
         * bind the host's node if any (lstat, because even access(F_OK)
         * on a device node asks the devices cgroup) */
        int e = errno;
        struct stat st;
        if (lstat(d->path, &st) < 0)
            container_sync_fail(sync_fd, e, "mknod %s", d->path);
        make_target(sync_fd, root, path, true);
        if (mount(d->path, path, NULL, MS_BIND, NULL) < 0)
            container_sync_fail(sync_fd, errno, "bind device %s", d->path);
    }
    static const char *const links[][2] = {
        {"/proc/self/fd", "fd"},       {"/proc/self/fd/0", "stdin"},
        {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
        {"pts/ptmx", "ptmx"},          {"/proc/kcore", "core"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(links); i++) {
        snprintf(path, sizeof(path), "%s/dev/%s", root, links[i][1]);
        if (symlink(links[i][0], path) < 0 && errno != EEXIST)
            container_sync_fail(sync_fd, errno, "symlink %s", path);
    }
}

static void enter_root(int sync_fd, const char *root)
{
    int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    int newroot = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (oldroot < 0 || newroot < 0)
        container_sync_fail(sync_fd, errno, "open %s", root);
    if (fchdir(newroot) < 0)
        container_sync_fail(sync_fd, errno, "chdir %s", root);
    /* pivot_root(".", "."): the old root ends up stacked on the new one and
     * is detached right away, no put_old directory needed */
    if (syscall(SYS_pivot_root, ".", ".") == 0) {
        if (fchdir(oldroot) < 0)
            container_sync_fail(sync_fd, errno, "fchdir old root");
        if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
            container_sync_fail(sync_fd, errno, "make old root rslave");
        if (umount2(".", MNT_DETACH) < 0)
            container_sync_fail(sync_fd, errno, "detach old root");
    } else if (errno == EINVAL) {
        /* the host root is a ramfs/initramfs: pivot_root is impossible */
        if (mount(root, "/", NULL, MS_MOVE, NULL) < 0)
            container_sync_fail(sync_fd, errno, "move %s to /", root);
        if (chroot(".") < 0)
            container_sync_fail(sync_fd, errno, "chroot %s", root);
    } else {
        container_sync_fail(sync_fd, errno, "pivot_root %s", root);
    }
    if (chdir("/") < 0)
        container_sync_fail(sync_fd, errno, "chdir /");
    close(oldroot);
    close(newroot);
}

static void mask_and_protect(int sync_fd, const spec *s)
{
    for (size_t i = 0; i < s->n_masked_paths; i++) {
        const char *p = s->masked_paths[i];
        struct stat st;
        if (stat(p, &st) < 0)
            continue;
        int r = S_ISDIR(st.st_mode) ? mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0k")
                                    : mount("/dev/null", p, NULL, MS_BIND, NULL);
        if (r < 0 && errno != ENOENT)
            container_sync_fail(sync_fd, errno, "mask %s", p);
    }
    for (size_t i = 0; i < s->n_readonly_paths; i++) {
        const char *p = s->readonly_paths[i];
        if (access(p, F_OK) < 0)
            continue;
        if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0 ||
            mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_REC,
                  NULL) < 0)
            container_sync_fail(sync_fd, errno, "make %s read-only", p);
    }
}

static void write_sysctls(int sync_fd, const spec *s)
{
    for (size_t i = 0; i < s->n_sysctls; i++) {
        char path[PATH_MAX] = "/proc/sys/";
        size_t off = strlen(path);
        for (const char *k = s->sysctls[i].key; *k && off < sizeof(path) - 1; k++)
            path[off++] = *k == '.' ? '/' : *k;
        path[off] = '\0';
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            container_sync_fail(sync_fd, errno, "sysctl %s", s->sysctls[i].key);
        if (write(fd, s->sysctls[i].value, strlen(s->sysctls[i].value)) < 0)
            container_sync_fail(sync_fd, errno, "sysctl %s", s->sysctls[i].key);
        close(fd);
    }
}

void container_rootfs_setup(int sync_fd, const spec *s)
{
    const char *root = s->root_path;
    if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
        container_sync_fail(sync_fd, errno, "make / rslave");
    if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
        container_sync_fail(sync_fd, errno, "bind rootfs %s", root);
    char real_root[PATH_MAX];
    if (realpath(root, real_root) == NULL)
        container_sync_fail(sync_fd, errno, "resolve rootfs %s", root);
    for (size_t i = 0; i < s->n_mounts; i++)
        do_mount(sync_fd, real_root, &s->mounts[i]);
    default_devices(sync_fd, real_root, s);
    enter_root(sync_fd, real_root);
    /* before readonlyPaths, which usually include /proc/sys */
    write_sysctls(sync_fd, s);
    mask_and_protect(sync_fd, s);
    if (s->root_readonly && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
        container_sync_fail(sync_fd, errno, "remount / read-only");
    if (s->rootfs_propagation && mount(NULL, "/", NULL, s->rootfs_propagation, NULL) < 0)
        container_sync_fail(sync_fd, errno, "set rootfs propagation");
}
