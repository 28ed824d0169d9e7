/*
 * bundle.h - builds OCI bundles by hand for the container integration
 * tests: a temp dir with config.json and an "image" directory holding
 * busybox-static (as /bin/busybox plus applet symlinks), which becomes the
 * rootfs through a bind mount passed as a CreateTaskRequest-style rootfs
 * mount, the way containerd passes an overlay.  The test process plays the
 * shim: it is the subreaper and reaps with waitpid.
 */
#ifndef TESTS_CONTAINER_BUNDLE_H
#define TESTS_CONTAINER_BUNDLE_H

#include "container.h"

typedef struct test_bundle {
    char dir[256];
    char image[300];
    char rootfs[300];
    char cgroup[128]; /* the cgroupsPath used */
    container_mount mount;
} test_bundle;

/* Fields spliced into config.json; NULL = default. */
typedef struct bundle_opts {
    const char *args;       /* JSON array, required */
    const char *process;    /* extra ",\"k\":v" members of process */
    const char *top;        /* extra top-level members, ending in ',' */
    const char *namespaces; /* JSON array */
    const char *linux;      /* extra ",\"k\":v" members of linux */
    const char *mounts;     /* JSON array replacing the default proc + /dev */
    const char *cgroup;     /* cgroupsPath; default "/ctr-test-<pid>-<n>" */
} bundle_opts;

int bundle_make(test_bundle *b, const bundle_opts *o);
/* Unmounts anything left below the bundle and removes it. */
void bundle_remove(test_bundle *b);
/* Creates with stdout/stderr going to <dir>/out (file). */
container *bundle_create(test_bundle *b, const char *id, util_error **err);
/* Reaps `pid` (bounded wait, SIGKILL after 60 s) and reports it to the
 * layer like the shim does; returns the mapped exit status. */
int reap_pid(pid_t pid);
/* Contents of <dir>/<name> ("" if missing); caller frees. */
char *bundle_read(const test_bundle *b, const char *name);
/* Waits (bounded) until <dir>/rootfs-relative file exists in the image. */
int wait_for_file(const char *path);
char *read_text(const char *path);

#endif
