/*
 * fsnet.h - private to src/wasi2: what wasi:filesystem and wasi:sockets
 * share with the rest of the layer and with their tests.
 *
 * Host resources are heap objects whose pointer is the handle's `rep`:
 * a descriptor is a hostio_fd (the same entry preview 1 keeps in its
 * table: host descriptor, read-only mark, preopen name) whose `fdflags`
 * hold the descriptor-flags the guest was granted.  Each resource type's
 * destructor frees its object; nothing else owns one.
 *
 * The error-code enums are kept as C enums in WIT order, and the WIT text
 * for them is generated from the same name tables, so the two cannot
 * drift apart.
 */
#ifndef WASI2_FSNET_H
#define WASI2_FSNET_H

#include "hostio.h"
#include "wasi2_internal.h"

#include <string.h>

#define WASI2_FS_TYPES WASI2_IFACE("wasi:filesystem/types")
#define WASI2_FS_PREOPENS WASI2_IFACE("wasi:filesystem/preopens")

/* ---- values ------------------------------------------------------------ */

static inline component_val wv_enum(uint32_t disc)
{
    return (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {disc, NULL}};
}

static inline component_val wv_u64(uint64_t v)
{
    return (component_val){.kind = COMPONENT_VAL_U64, .of.u = v};
}

static inline component_val wv_bool(bool b)
{
    return (component_val){.kind = COMPONENT_VAL_BOOL, .of.b = b};
}

/* result<T, E>: ok(payload, NULL for none) and err(enum case `code`). */
static inline int wv_ok(component_call *call, component_val *result, const component_val *payload)
{
    return wasi2_variant(call, 0, payload, result);
}
static inline int wv_err(component_call *call, component_val *result, uint32_t code)
{
    component_val e = wv_enum(code);
    return wasi2_variant(call, 1, &e, result);
}
/* A string value copied into the arena (s need not be NUL-terminated). */
int wasi2_val_string(component_call *call, component_val *out, const char *s, size_t len);
/* A guest string as a NUL-terminated heap copy; NULL when it holds a NUL
 * (no host path can). */
char *wasi2_cstring(const component_val *v);
/* Whether s[0..len) is UTF-8 the component model accepts. */
bool wasi2_utf8_valid(const char *s, size_t len);

/* A host function's definition. */
#define WASI2_HOST_FN(name)                                                                     \
    int name(component_call *call, void *env, const component_val *args, size_t nargs,         \
             component_val *result)

/* ---- wasi:filesystem --------------------------------------------------- */

/* error-code, in WIT order. */
typedef enum {
    FSE_ACCESS, FSE_WOULD_BLOCK, FSE_ALREADY, FSE_BAD_DESCRIPTOR, FSE_BUSY, FSE_DEADLOCK,
    FSE_QUOTA, FSE_EXIST, FSE_FILE_TOO_LARGE, FSE_ILLEGAL_BYTE_SEQUENCE, FSE_IN_PROGRESS,
    FSE_INTERRUPTED, FSE_INVALID, FSE_IO, FSE_IS_DIRECTORY, FSE_LOOP, FSE_TOO_MANY_LINKS,
    FSE_MESSAGE_SIZE, FSE_NAME_TOO_LONG, FSE_NO_DEVICE, FSE_NO_ENTRY, FSE_NO_LOCK,
    FSE_INSUFFICIENT_MEMORY, FSE_INSUFFICIENT_SPACE, FSE_NOT_DIRECTORY, FSE_NOT_EMPTY,
    FSE_NOT_RECOVERABLE, FSE_UNSUPPORTED, FSE_NO_TTY, FSE_NO_SUCH_DEVICE, FSE_OVERFLOW,
    FSE_NOT_PERMITTED, FSE_PIPE, FSE_READ_ONLY, FSE_INVALID_SEEK, FSE_TEXT_FILE_BUSY,
    FSE_CROSS_DEVICE,
    FSE_COUNT
} wasi2_fs_error;

extern const char *const wasi2_fs_error_names[FSE_COUNT];
/* A host errno (or HOSTIO_ENOTCAPABLE: not-permitted, as preview 1's
 * notcapable) as an error-code; anything unknown is `io`. */
wasi2_fs_error wasi2_fs_error_from_errno(int e);

/* descriptor-type, in WIT order. */
enum {
    DT2_UNKNOWN, DT2_BLOCK, DT2_CHAR, DT2_DIRECTORY, DT2_FIFO, DT2_SYMLINK, DT2_REGULAR,
    DT2_SOCKET
};
uint32_t wasi2_descriptor_type_of_mode(unsigned mode);

/* descriptor-flags bits. */
enum {
    DF_READ = 1u << 0,
    DF_WRITE = 1u << 1,
    DF_FILE_INTEGRITY_SYNC = 1u << 2,
    DF_DATA_INTEGRITY_SYNC = 1u << 3,
    DF_REQUESTED_WRITE_SYNC = 1u << 4,
    DF_MUTATE_DIRECTORY = 1u << 5,
};
/* path-flags / open-flags bits. */
enum { PF_SYMLINK_FOLLOW = 1u << 0 };
enum { OF_CREATE = 1u << 0, OF_DIRECTORY = 1u << 1, OF_EXCLUSIVE = 1u << 2, OF_TRUNCATE = 1u << 3 };

/* The resource types of one registration (one linker). */
typedef struct wasi2_fs_types {
    component_resource_type *descriptor;
    component_resource_type *dir_stream;
} wasi2_fs_types;

/* The resource types of wasi:sockets. */
typedef struct wasi2_net_types {
    component_resource_type *network, *tcp, *udp, *resolve_stream, *incoming, *outgoing;
} wasi2_net_types;

/* The env of the host functions here: the layer's wasi2_host (context,
 * wasi:io's resource types) and the resource types of these interfaces.
 * The linker keeps it (component_linker_keep). */
typedef struct wasi2_fsnet_reg {
    const wasi2_host *host;
    wasi2_fs_types fs;
    wasi2_net_types net;
} wasi2_fsnet_reg;

/* The context of a call into a function registered with a reg as env. */
static inline wasi2_ctx *wasi2_fsnet_ctx(component_call *call, void *env)
{
    return wasi2_host_ctx(((const wasi2_fsnet_reg *)env)->host, call);
}

/* Registers funcs in `iface` with `reg` as their env. */
int wasi2_fsnet_define_funcs(component_linker *l, const char *iface, const wasi2_func *funcs,
                             size_t n, wasi2_fsnet_reg *reg, util_error **err);

/* Registers wasi:filesystem and wasi:sockets (called by wasi2_define). */
int wasi2_define_fsnet(component_linker *l, wasi2_host *h, util_error **err);

/* For the pre-release registrations: the 0.2 descriptor methods and
 * wasi:filesystem/types' named types (into `iface`), and the registration
 * of wasi:filesystem and wasi:sockets at 0.2.0-rc-2023-10-18 and
 * -rc-2023-11-10 (rc_fsnet.c, called by wasi2_define_rc). */
extern const wasi2_func_table wasi2_fs_types_table;
int wasi2_fs_define_types(component_linker *l, const char *iface, util_error **err);
int wasi2_define_rc_fsnet(component_linker *l, wasi2_host *h, util_error **err);

/* A descriptor: a heap hostio_fd, `fdflags` = its DF_* bits. */
typedef hostio_fd wasi2_descriptor;
/* A new descriptor owning `fd` (closed by wasi2_descriptor_drop). */
wasi2_descriptor *wasi2_descriptor_new(int fd, uint8_t filetype, uint32_t flags, bool read_only);
/* The destructor of the descriptor resource (tests call it for handles
 * they own). */
void wasi2_descriptor_drop(uintptr_t rep);
void wasi2_dir_stream_drop(uintptr_t rep);

/* Registration of the interfaces (filesystem_define.c, sockets.c). */
int wasi2_define_filesystem(component_linker *l, wasi2_fsnet_reg *reg, util_error **err);
int wasi2_define_sockets(component_linker *l, wasi2_fsnet_reg *reg, util_error **err);
WASI2_HOST_FN(wasi2_fs_get_directories);

/* The host functions, filesystem.c and filesystem_at.c; registered by
 * filesystem_define.c. */

WASI2_HOST_FN(wasi2_fs_read);
WASI2_HOST_FN(wasi2_fs_write);
WASI2_HOST_FN(wasi2_fs_advise);
WASI2_HOST_FN(wasi2_fs_sync_data);
WASI2_HOST_FN(wasi2_fs_sync);
WASI2_HOST_FN(wasi2_fs_get_flags);
WASI2_HOST_FN(wasi2_fs_get_type);
WASI2_HOST_FN(wasi2_fs_set_size);
WASI2_HOST_FN(wasi2_fs_set_times);
WASI2_HOST_FN(wasi2_fs_read_directory);
WASI2_HOST_FN(wasi2_fs_read_directory_entry);
WASI2_HOST_FN(wasi2_fs_stat);
WASI2_HOST_FN(wasi2_fs_is_same_object);
WASI2_HOST_FN(wasi2_fs_metadata_hash);
WASI2_HOST_FN(wasi2_fs_create_directory_at);
WASI2_HOST_FN(wasi2_fs_stat_at);
WASI2_HOST_FN(wasi2_fs_set_times_at);
WASI2_HOST_FN(wasi2_fs_link_at);
WASI2_HOST_FN(wasi2_fs_open_at);
WASI2_HOST_FN(wasi2_fs_readlink_at);
WASI2_HOST_FN(wasi2_fs_remove_directory_at);
WASI2_HOST_FN(wasi2_fs_rename_at);
WASI2_HOST_FN(wasi2_fs_symlink_at);
WASI2_HOST_FN(wasi2_fs_unlink_file_at);
WASI2_HOST_FN(wasi2_fs_metadata_hash_at);
WASI2_HOST_FN(wasi2_fs_read_via_stream);
WASI2_HOST_FN(wasi2_fs_write_via_stream);
WASI2_HOST_FN(wasi2_fs_append_via_stream);
WASI2_HOST_FN(wasi2_fs_error_code);

/* The descriptor-stat record of `st` into *out (arena-allocated fields). */
int wasi2_fs_stat_val(component_call *call, const struct stat *st, component_val *out);
/* new-timestamp -> a utimensat timespec; false if its nanoseconds are out
 * of range. */
bool wasi2_fs_timespec(const component_val *new_timestamp, struct timespec *ts);
/* metadata-hash-value of (dev, ino). */
int wasi2_fs_hash_val(component_call *call, const struct stat *st, component_val *out);
/* A result<_, error-code> (ok carries nothing) from an errno (0: ok). */
int wasi2_fs_done(component_call *call, component_val *result, int e);
/* result<T, error-code>: the error of errno `e`, or else what `val` makes
 * of *st (descriptor-stat, metadata-hash-value). */
int wasi2_fs_stat_result(component_call *call, component_val *result, int e,
                         const struct stat *st,
                         int (*val)(component_call *call, const struct stat *st,
                                    component_val *out));

/* ---- wasi:sockets ------------------------------------------------------ */

#define WASI2_NET(iface) WASI2_IFACE("wasi:sockets/" iface)

/* network error-code, in WIT order. */
typedef enum {
    NE_UNKNOWN, NE_ACCESS_DENIED, NE_NOT_SUPPORTED, NE_INVALID_ARGUMENT, NE_OUT_OF_MEMORY,
    NE_TIMEOUT, NE_CONCURRENCY_CONFLICT, NE_NOT_IN_PROGRESS, NE_WOULD_BLOCK, NE_INVALID_STATE,
    NE_NEW_SOCKET_LIMIT, NE_ADDRESS_NOT_BINDABLE, NE_ADDRESS_IN_USE, NE_REMOTE_UNREACHABLE,
    NE_CONNECTION_REFUSED, NE_CONNECTION_RESET, NE_CONNECTION_ABORTED, NE_DATAGRAM_TOO_LARGE,
    NE_NAME_UNRESOLVABLE, NE_TEMPORARY_RESOLVER_FAILURE, NE_PERMANENT_RESOLVER_FAILURE,
    NE_COUNT
} wasi2_net_error;

extern const char *const wasi2_net_error_names[NE_COUNT];
wasi2_net_error wasi2_net_error_from_errno(int e);

#endif
