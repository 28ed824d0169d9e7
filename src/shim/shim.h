/*
 * shim.h - the containerd runtime v2 shim, and the only door into src/shim.
 *
 * containerd runs our binary three ways, all with Go-style flags
 * (-namespace NS -address SOCK -publish-binary PATH -id ID [-bundle DIR]
 * [-socket ADDR] [-debug]) and the bundle as working directory:
 *   `start`   prints the ttrpc socket address of the shim serving this
 *             container's pod, forking the daemon if the pod has none;
 *   `delete`  cleans up after a shim that is gone and prints a marshalled
 *             containerd.task.v2.DeleteResponse;
 *   `-info`   (containerd 2.x) prints a marshalled containerd.types.RuntimeInfo
 *             for the options Any read from stdin;
 *   (none)    the daemon run directly (the Go shims' way): serves on the
 *             socket passed as fd 3, or binds -socket.
 * The daemon serves containerd.task.v2.Task over ttrpc, publishes task
 * events to $TTRPC_ADDRESS, and runs the containers as its children.
 */
#ifndef SHIM_SHIM_H
#define SHIM_SHIM_H

#include "util.h"

typedef struct shim_flags {
    const char *ns;             /* -namespace */
    const char *id;             /* -id */
    const char *address;        /* -address: containerd's gRPC socket */
    const char *publish_binary; /* -publish-binary (unused: events go over ttrpc) */
    const char *bundle;         /* -bundle (default: the working directory) */
    const char *socket;         /* -socket: serve here instead of fd 3 */
    bool debug;                 /* -debug */
    bool info;                  /* -info: print RuntimeInfo and exit */
    const char *action;         /* "start", "delete" or NULL */
    const char *argv0;          /* how we were run, for the daemon's argv[0] */
} shim_flags;

/* Parses containerd's command line (argv[0] is the program).  Flags take
 * one or two dashes, and `-flag value` or `-flag=value`. */
int shim_parse_flags(int argc, char **argv, shim_flags *f, util_error **err);

/* Runs the action; returns the process exit status. */
int shim_main(int argc, char **argv);

int shim_action_start(const shim_flags *f, util_error **err);
int shim_action_delete(const shim_flags *f, util_error **err);
int shim_action_info(util_error **err);
int shim_serve(const shim_flags *f, util_error **err);

#endif
