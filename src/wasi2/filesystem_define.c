/*
 * filesystem_define.c - registers wasi:filesystem/types and /preopens
 * (0.2.12) in a linker: the named types, the two resource types, and every
 * function with its signature copied from the WIT (wasi-filesystem
 * package.wit), so imports are type-checked against exactly what the
 * standard declares.
 *
 * The functions are a table (name, signature, C function) so a missing or
 * misspelt one shows up in one place.  The error-code enum text is built
 * from wasi2_fs_error_names, the same table the C enum follows.  The
 * stream methods and filesystem-error-code need wasi:io's resource types;
 * they are registered when those are known (reg->fs.input_stream, ...).
 */
#include "fsnet.h"

typedef struct {
    const char *name;
    const char *sig;
    component_host_fn fn;
    bool needs_io; /* uses wasi:io's resources */
} fs_func;

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

static const fs_func fs_funcs[] = {
    {"[method]descriptor.read-via-stream", "func(" SELF ", offset: filesize) -> " RES("input-stream"),
     NULL, true},
    {"[method]descriptor.write-via-stream",
     "func(" SELF ", offset: filesize) -> " RES("output-stream"), NULL, true},
    {"[method]descriptor.append-via-stream", "func(" SELF ") -> " RES("output-stream"), NULL,
     true},
    {"[method]descriptor.advise",
     "func(" SELF ", offset: filesize, length: filesize, advice: advice) -> " RES("_"),
     wasi2_fs_advise, false},
    {"[method]descriptor.sync-data", "func(" SELF ") -> " RES("_"), wasi2_fs_sync_data, false},
    {"[method]descriptor.get-flags", "func(" SELF ") -> " RES("descriptor-flags"),
     wasi2_fs_get_flags, false},
    {"[method]descriptor.get-type", "func(" SELF ") -> " RES("descriptor-type"),
     wasi2_fs_get_type, false},
    {"[method]descriptor.set-size", "func(" SELF ", size: filesize) -> " RES("_"),
     wasi2_fs_set_size, false},
    {"[method]descriptor.set-times",
     "func(" SELF ", data-access-timestamp: new-timestamp, "
     "data-modification-timestamp: new-timestamp) -> " RES("_"),
     wasi2_fs_set_times, false},
    {"[method]descriptor.read",
     "func(" SELF ", length: filesize, offset: filesize) -> " RES("tuple<list<u8>, bool>"),
     wasi2_fs_read, false},
    {"[method]descriptor.write",
     "func(" SELF ", buffer: list<u8>, offset: filesize) -> " RES("filesize"), wasi2_fs_write,
     false},
    {"[method]descriptor.read-directory", "func(" SELF ") -> " RES("directory-entry-stream"),
     wasi2_fs_read_directory, false},
    {"[method]descriptor.sync", "func(" SELF ") -> " RES("_"), wasi2_fs_sync, false},
    {"[method]descriptor.create-directory-at", "func(" SELF ", path: string) -> " RES("_"),
     wasi2_fs_create_directory_at, false},
    {"[method]descriptor.stat", "func(" SELF ") -> " RES("descriptor-stat"), wasi2_fs_stat,
     false},
    {"[method]descriptor.stat-at",
     "func(" SELF ", path-flags: path-flags, path: string) -> " RES("descriptor-stat"),
     wasi2_fs_stat_at, false},
    {"[method]descriptor.set-times-at",
     "func(" SELF ", path-flags: path-flags, path: string, "
     "data-access-timestamp: new-timestamp, data-modification-timestamp: new-timestamp) -> " RES(
         "_"),
     wasi2_fs_set_times_at, false},
    {"[method]descriptor.link-at",
     "func(" SELF ", old-path-flags: path-flags, old-path: string, "
     "new-descriptor: borrow<descriptor>, new-path: string) -> " RES("_"),
     wasi2_fs_link_at, false},
    {"[method]descriptor.open-at",
     "func(" SELF ", path-flags: path-flags, path: string, open-flags: open-flags, "
     "flags: descriptor-flags) -> " RES("descriptor"),
     wasi2_fs_open_at, false},
    {"[method]descriptor.readlink-at", "func(" SELF ", path: string) -> " RES("string"),
     wasi2_fs_readlink_at, false},
    {"[method]descriptor.remove-directory-at", "func(" SELF ", path: string) -> " RES("_"),
     wasi2_fs_remove_directory_at, false},
    {"[method]descriptor.rename-at",
     "func(" SELF ", old-path: string, new-descriptor: borrow<descriptor>, new-path: string) "
     "-> " RES("_"),
     wasi2_fs_rename_at, false},
    {"[method]descriptor.symlink-at",
     "func(" SELF ", old-path: string, new-path: string) -> " RES("_"), wasi2_fs_symlink_at,
     false},
    {"[method]descriptor.unlink-file-at", "func(" SELF ", path: string) -> " RES("_"),
     wasi2_fs_unlink_file_at, false},
    {"[method]descriptor.is-same-object", "func(" SELF ", other: borrow<descriptor>) -> bool",
     wasi2_fs_is_same_object, false},
    {"[method]descriptor.metadata-hash", "func(" SELF ") -> " RES("metadata-hash-value"),
     wasi2_fs_metadata_hash, false},
    {"[method]descriptor.metadata-hash-at",
     "func(" SELF ", path-flags: path-flags, path: string) -> " RES("metadata-hash-value"),
     wasi2_fs_metadata_hash_at, false},
    {"[method]directory-entry-stream.read-directory-entry",
     "func(self: borrow<directory-entry-stream>) -> " RES("option<directory-entry>"),
     wasi2_fs_read_directory_entry, false},
    {"filesystem-error-code", "func(err: borrow<error>) -> option<error-code>", NULL, true},
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
static int alias_io(component_linker *l, const wasi2_fs_types *t, util_error **err)
{
    if (t->input_stream == NULL)
        return 0;
    if (component_linker_alias_resource(l, WASI2_FS_TYPES, "input-stream", t->input_stream,
                                        err) < 0 ||
        component_linker_alias_resource(l, WASI2_FS_TYPES, "output-stream", t->output_stream,
                                        err) < 0 ||
        component_linker_alias_resource(l, WASI2_FS_TYPES, "error", t->error, err) < 0)
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
    if (t->dir_stream == NULL || alias_io(l, t, err) < 0)
        return -1;
    for (size_t i = 0; i < UTIL_ARRAY_LEN(fs_types); i++)
        if (component_linker_define_type(l, WASI2_FS_TYPES, fs_types[i].name, fs_types[i].type,
                                         err) < 0)
            return -1;
    cleanup_free char *codes = error_code_text();
    if (component_linker_define_type(l, WASI2_FS_TYPES, "error-code", codes, err) < 0)
        return -1;
    for (size_t i = 0; i < UTIL_ARRAY_LEN(fs_funcs); i++) {
        const fs_func *f = &fs_funcs[i];
        if (f->needs_io && t->input_stream == NULL)
            continue;
        if (component_linker_define_func(l, WASI2_FS_TYPES, f->name, f->sig, f->fn, reg,
                                         err) < 0)
            return -1;
    }
    if (component_linker_alias_resource(l, WASI2_FS_PREOPENS, "descriptor", t->descriptor,
                                        err) < 0)
        return -1;
    return component_linker_define_func(l, WASI2_FS_PREOPENS, "get-directories",
                                        "func() -> list<tuple<descriptor, string>>",
                                        wasi2_fs_get_directories, reg, err);
}
