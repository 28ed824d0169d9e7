/*
 * filesystem_define.c - registers wasi:filesystem/types and /preopens
 * (0.2.12) in a linker: the named types, the two resource types, and every
 * function with its signature copied from the WIT (wasi-filesystem
 * package.wit), so imports are type-checked against exactly what the
 * standard declares.
 *
 * The functions are a table (name, signature, C function) so a missing or
 * misspelt one shows up in one place.  The error-code enum text is built
 * from wasi2_fs_error_names, the same table the C enum follows.  wasi:io's
 * resource types (streams, error) are the layer's, aliased in as the WIT's
 * `use` brings them.
 */
#include "fsnet.h"

static const struct {
    const char *name;
    const char *type;
} fs_types[] = {
    {"filesize", "u64"},
    {"link-count", "u64"},
    {"datetime", "record{seconds: u64, nanoseconds: u32}"},
    {"descriptor-type", "enum{unknown, block-device, character-device, directory, fifo, "
                        "symbolic-link, regular-file, socket}"},
    {"descriptor-flags", "flags{read, write, file-integrity-sync, data-integrity-sync, "
                         "requested-write-sync, mutate-directory}"},
    {"descriptor-stat", "record{type: descriptor-type, link-count: link-count, size: filesize, "
                        "data-access-timestamp: option<datetime>, "
                        "data-modification-timestamp: option<datetime>, "
                        "status-change-timestamp: option<datetime>}"},
    {"path-flags", "flags{symlink-follow}"},
    {"open-flags", "flags{create, directory, exclusive, truncate}"},
    {"new-timestamp", "variant{no-change, now, timestamp(datetime)}"},
    {"directory-entry", "record{type: descriptor-type, name: string}"},
    {"advice", "enum{normal, sequential, random, will-need, dont-need, no-reuse}"},
    {"metadata-hash-value", "record{lower: u64, upper: u64}"},
};

#define SELF "self: borrow<descriptor>"
#define RES(t) "result<" t ", error-code>"

static const wasi2_func fs_funcs[] = {
    {"[method]descriptor.read-via-stream", "func(" SELF ", offset: filesize) -> " RES("input-stream"),
     wasi2_fs_read_via_stream},
    {"[method]descriptor.write-via-stream",
     "func(" SELF ", offset: filesize) -> " RES("output-stream"),
     wasi2_fs_write_via_stream},
    {"[method]descriptor.append-via-stream", "func(" SELF ") -> " RES("output-stream"),
     wasi2_fs_append_via_stream},
    {"[method]descriptor.advise",
     "func(" SELF ", offset: filesize, length: filesize, advice: advice) -> " RES("_"),
     wasi2_fs_advise},
    {"[method]descriptor.sync-data", "func(" SELF ") -> " RES("_"), wasi2_fs_sync_data},
    {"[method]descriptor.get-flags", "func(" SELF ") -> " RES("descriptor-flags"),
     wasi2_fs_get_flags},
    {"[method]descriptor.get-type", "func(" SELF ") -> " RES("descriptor-type"),
     wasi2_fs_get_type},
    {"[method]descriptor.set-size", "func(" SELF ", size: filesize) -> " RES("_"),
     wasi2_fs_set_size},
    {"[method]descriptor.set-times",
     "func(" SELF ", data-access-timestamp: new-timestamp, "
     "data-modification-timestamp: new-timestamp) -> " RES("_"),
     wasi2_fs_set_times},
    {"[method]descriptor.read",
     "func(" SELF ", length: filesize, offset: filesize) -> " RES("tuple<list<u8>, bool>"),
     wasi2_fs_read},
    {"[method]descriptor.write",
     "func(" SELF ", buffer: list<u8>, offset: filesize) -> " RES("filesize"), wasi2_fs_write},
    {"[method]descriptor.read-directory", "func(" SELF ") -> " RES("directory-entry-stream"),
     wasi2_fs_read_directory},
    {"[method]descriptor.sync", "func(" SELF ") -> " RES("_"), wasi2_fs_sync},
    {"[method]descriptor.create-directory-at", "func(" SELF ", path: string) -> " RES("_"),
     wasi2_fs_create_directory_at},
    {"[method]descriptor.stat", "func(" SELF ") -> " RES("descriptor-stat"), wasi2_fs_stat},
    {"[method]descriptor.stat-at",
     "func(" SELF ", path-flags: path-flags, path: string) -> " RES("descriptor-stat"),
     wasi2_fs_stat_at},
    {"[method]descriptor.set-times-at",
     "func(" SELF ", path-flags: path-flags, path: string, "
     "data-access-timestamp: new-timestamp, data-modification-timestamp: new-timestamp) -> " RES(
         "_"),
     wasi2_fs_set_times_at},
    {"[method]descriptor.link-at",
     "func(" SELF ", old-path-flags: path-flags, old-path: string, "
     "new-descriptor: borrow<descriptor>, new-path: string) -> " RES("_"),
     wasi2_fs_link_at},
    {"[method]descriptor.open-at",
     "func(" SELF ", path-flags: path-flags, path: string, open-flags: open-flags, "
     "flags: descriptor-flags) -> " RES("descriptor"),
     wasi2_fs_open_at},
    {"[method]descriptor.readlink-at", "func(" SELF ", path: string) -> " RES("string"),
     wasi2_fs_readlink_at},
    {"[method]descriptor.remove-directory-at", "func(" SELF ", path: string) -> " RES("_"),
     wasi2_fs_remove_directory_at},
    {"[method]descriptor.rename-at",
     "func(" SELF ", old-path: string, new-descriptor: borrow<descriptor>, new-path: string) "
     "-> " RES("_"),
     wasi2_fs_rename_at},
    {"[method]descriptor.symlink-at",
     "func(" SELF ", old-path: string, new-path: string) -> " RES("_"), wasi2_fs_symlink_at},
    {"[method]descriptor.unlink-file-at", "func(" SELF ", path: string) -> " RES("_"),
     wasi2_fs_unlink_file_at},
    {"[method]descriptor.is-same-object", "func(" SELF ", other: borrow<descriptor>) -> bool",
     wasi2_fs_is_same_object},
    {"[method]descriptor.metadata-hash", "func(" SELF ") -> " RES("metadata-hash-value"),
     wasi2_fs_metadata_hash},
    {"[method]descriptor.metadata-hash-at",
     "func(" SELF ", path-flags: path-flags, path: string) -> " RES("metadata-hash-value"),
     wasi2_fs_metadata_hash_at},
    {"[method]directory-entry-stream.read-directory-entry",
     "func(self: borrow<directory-entry-stream>) -> " RES("option<directory-entry>"),
     wasi2_fs_read_directory_entry},
    {"filesystem-error-code", "func(err: borrow<error>) -> option<error-code>",
     wasi2_fs_error_code},
};

/* "enum{access, would-block, ...}" from the names table. */
static char *error_code_text(void)
{
    size_t len = 8;
    for (size_t i = 0; i < FSE_COUNT; i++)
        len += strlen(wasi2_fs_error_names[i]) + 2;
    char *s = util_xmalloc(len), *p = s;
    p += sprintf(p, "enum{");
    for (size_t i = 0; i < FSE_COUNT; i++)
        p += sprintf(p, "%s%s", i ? ", " : "", wasi2_fs_error_names[i]);
    sprintf(p, "}");
    return s;
}

/* The wasi:io resource types `use`d by the types interface. */
static int alias_io(component_linker *l, const wasi2_host *h, util_error **err)
{
    if (component_linker_alias_resource(l, WASI2_FS_TYPES, "input-stream", h->input_stream,
                                        err) < 0 ||
        component_linker_alias_resource(l, WASI2_FS_TYPES, "output-stream", h->output_stream,
                                        err) < 0 ||
        component_linker_alias_resource(l, WASI2_FS_TYPES, "error", h->error, err) < 0)
        return -1;
    return 0;
}

int wasi2_define_filesystem(component_linker *l, wasi2_fsnet_reg *reg, util_error **err)
{
    wasi2_fs_types *t = &reg->fs;
    t->descriptor = component_linker_define_resource(l, WASI2_FS_TYPES, "descriptor",
                                                     wasi2_descriptor_drop, err);
    if (t->descriptor == NULL)
        return -1;
    t->dir_stream = component_linker_define_resource(l, WASI2_FS_TYPES, "directory-entry-stream",
                                                     wasi2_dir_stream_drop, err);
    if (t->dir_stream == NULL || alias_io(l, reg->host, err) < 0)
        return -1;
    for (size_t i = 0; i < UTIL_ARRAY_LEN(fs_types); i++)
        if (component_linker_define_type(l, WASI2_FS_TYPES, fs_types[i].name, fs_types[i].type,
                                         err) < 0)
            return -1;
    cleanup_free char *codes = error_code_text();
    if (component_linker_define_type(l, WASI2_FS_TYPES, "error-code", codes, err) < 0)
        return -1;
    if (wasi2_fsnet_define_funcs(l, WASI2_FS_TYPES, fs_funcs, UTIL_ARRAY_LEN(fs_funcs), reg,
                                 err) < 0)
        return -1;
    if (component_linker_alias_resource(l, WASI2_FS_PREOPENS, "descriptor", t->descriptor,
                                        err) < 0)
        return -1;
    return component_linker_define_func(l, WASI2_FS_PREOPENS, "get-directories",
                                        "func() -> list<tuple<descriptor, string>>",
                                        wasi2_fs_get_directories, reg, err);
}

int wasi2_fsnet_define_funcs(component_linker *l, const char *iface, const wasi2_func *funcs,
                             size_t n, wasi2_fsnet_reg *reg, util_error **err)
{
    for (size_t i = 0; i < n; i++)
        if (component_linker_define_func(l, iface, funcs[i].name, funcs[i].signature,
                                         funcs[i].fn, reg, err) < 0)
            return -1;
    return 0;
}

int wasi2_define_fsnet(component_linker *l, wasi2_host *h, util_error **err)
{
    wasi2_fsnet_reg *reg = util_xcalloc(1, sizeof(*reg));
    reg->host = h;
    h->fsnet = reg;
    component_linker_keep(l, reg, free);
    if (wasi2_define_filesystem(l, reg, err) < 0 || wasi2_define_sockets(l, reg, err) < 0)
        return -1;
    return 0;
}

/* For the pre-release registrations (rc_fsnet.c): the 0.2 functions and
 * named types, in another interface. */
const wasi2_func_table wasi2_fs_types_table = {fs_funcs, UTIL_ARRAY_LEN(fs_funcs)};

int wasi2_fs_define_types(component_linker *l, const char *iface, util_error **err)
{
    for (size_t i = 0; i < UTIL_ARRAY_LEN(fs_types); i++)
        if (component_linker_define_type(l, iface, fs_types[i].name, fs_types[i].type, err) < 0)
            return -1;
    cleanup_free char *codes = error_code_text();
    return component_linker_define_type(l, iface, "error-code", codes, err);
}
