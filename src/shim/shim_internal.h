/*
 * shim_internal.h - what the shim layer's files share with each other and
 * with the layer's unit tests (not a public door: see shim.h).
 */
#ifndef SHIM_INTERNAL_H
#define SHIM_INTERNAL_H

#include "proto.h"
#include "shim.h"
#include "util.h"

#include <sys/types.h>

/* ---- address.c --------------------------------------------------------- */

/* "unix:///run/containerd/s/<hex sha256(address/ns/group)>" as containerd
 * computes it; `dir` overrides /run/containerd/s for tests (NULL = default). */
char *shim_socket_address(const char *dir, const char *containerd_address, const char *ns,
                          const char *group);
/* The grouping key: annotation io.kubernetes.cri.sandbox-id (or
 * io.containerd.runc.v2.group) of config.json, else the id. */
char *shim_group_key(const char *config_json_path, const char *id);
/* Binds a listening unix socket at addr (unix:// prefix allowed), creating
 * its directory.  Returns the fd; on EADDRINUSE with a live server returns
 * -2 (reuse it); removes a stale socket and retries. */
int shim_socket_listen(const char *addr, util_error **err);

/* ---- start.c ----------------------------------------------------------- */

/* Writes a small state file (address, init.pid) under a temporary name and
 * renames it over path, so a reader sees the old or the new content, never
 * a torn one.  Unlike util_write_file_atomic it does not fsync: these files
 * live in containerd's state directory, which does not outlive a reboot,
 * and the fsync cost 1-4 ms on every task's critical path. */
int shim_write_state_file(const char *path, const char *text, util_error **err);

/* ---- serve.c ----------------------------------------------------------- */

/* The daemon on an already listening socket (the `start` fork's path);
 * returns only on failure. */
int shim_serve_listener(const shim_flags *f, int listen_fd, util_error **err);

/* ---- options.c --------------------------------------------------------- */

/* GRPC_MAX_WRITE_CHUNK_SIZE_BYTES when the operator sets none (15 MiB, the
 * Rust shim's default). */
#define SHIM_DEFAULT_GRPC_CHUNK 15728640

typedef struct shim_runtime_options {
    char *type_url;    /* runtimeoptions.v1.Options.type_url */
    char *config_path; /* containerd 1.6: the file holding the keys */
    char *config_body; /* TOML text (containerd 1.7+) */
    bool present;      /* a runtimeoptions.v1.Options arrived */
    /* the keys, defaults filled in */
    bool systemd_cgroup;
    bool disable_precompilation;
    int64_t grpc_max_write_chunk_size;
    util_log_level log_level;
    bool log_level_set;
    /* problems met while reading, for shim_options_report */
    char **warnings;
    size_t nwarnings;
} shim_runtime_options;

/* Decodes a packed google.protobuf.Any of task options and reads the keys
 * from config_path's file and then config_body.  Never fails and never
 * logs: whatever is wrong is kept in ->warnings.  Free with
 * shim_options_free. */
void shim_options_parse(const uint8_t *any, size_t len, shim_runtime_options *out);
void shim_options_parse_any(const char *type_url, const uint8_t *value, size_t len,
                            shim_runtime_options *out);
/* Logs the warnings (each distinct one once per process) and, at debug
 * level, the values in effect; `context` names the caller ("create t1"). */
void shim_options_report(const shim_runtime_options *o, const char *context);
void shim_options_free(shim_runtime_options *o);
/* `start` keeps the options it read for the daemon it forks (takes *o);
 * the daemon finds them with shim_options_for_daemon (NULL if none). */
void shim_options_keep_for_daemon(shim_runtime_options *o);
const shim_runtime_options *shim_options_for_daemon(void);

/* ---- events.c ---------------------------------------------------------- */

typedef struct shim_events shim_events;
struct ProtobufCMessage;

/* A publisher thread forwarding events to containerd's ttrpc socket
 * (addr = $TTRPC_ADDRESS; NULL or "" drops events). */
shim_events *shim_events_new(const char *addr, const char *ns);
/* Queues an event (never blocks on delivery); topic e.g. "/tasks/exit",
 * type_url e.g. "containerd.events.TaskExit". */
void shim_events_publish(shim_events *ev, const char *topic, const char *type_url,
                         const struct ProtobufCMessage *event);
/* Waits until the queue is empty or timeout_ms passed; returns the number
 * of events still queued. */
size_t shim_events_flush(shim_events *ev, unsigned timeout_ms);
void shim_events_free(shim_events *ev);

/* ---- task_service.c ---------------------------------------------------- */

typedef struct shim_service shim_service;

shim_service *shim_service_new(const char *ns, const char *bundle_dir, shim_events *ev);
void shim_service_free(shim_service *s);
/* containerd's gRPC socket (the -address flag), where Create fetches the
 * layers of Spin OCI artifacts from. */
void shim_service_set_containerd_address(shim_service *s, const char *address);
/* The ttrpc handler for containerd.task.v2.Task (ctx = shim_service). */
struct ttrpc_call;
struct ttrpc_status;
int shim_service_handle(void *ctx, const struct ttrpc_call *call, uint8_t **resp,
                        size_t *resp_len, struct ttrpc_status *st);
/* Called by the reaper for each reaped child. */
void shim_service_reaped(shim_service *s, pid_t pid, int wait_status);
/* True once Shutdown was requested and no task remains. */
bool shim_service_should_exit(shim_service *s);
/* Called when Shutdown decides to exit (set by the daemon). */
void shim_service_on_exit(shim_service *s, void (*fn)(void *), void *arg);
size_t shim_service_task_count(shim_service *s);

/* ---- stats.c ----------------------------------------------------------- */

struct container_stats;
/* Encodes container-layer stats as the Any CRI accepts:
 * io.containerd.cgroups.v1.Metrics or io.containerd.cgroups.v2.Metrics. */
void shim_stats_to_any(const struct container_stats *cs, Google__Protobuf__Any *any);

#endif
