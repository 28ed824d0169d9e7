/*
 * module.h - the engine's internal representation of a decoded, validated
 * module (struct wasm_module).  Private to src/engine; the public door is
 * wasm.h.
 *
 * Who fills what:
 *   - engine-front (decode.c, validate.c, module.c) fills EVERYTHING in
 *     struct wasm_module inside wasm_module_new and never changes it again,
 *     except the per-function `code` slots, which belong to the translator.
 *   - engine-front also implements the mv_* accessors declared in
 *     runtime.h, in modview.c, on top of this struct.
 *   - engine-back (translate.c) owns the contents of `code[i]`: a lazily
 *     published pointer (compare-and-swap) to its translated code.  The
 *     module frees non-NULL slots with wasm_rt_code_release() when it dies.
 *
 * Conventions:
 *   - Value types are the binary codes (0x7F i32 ... 0x6F externref), i.e.
 *     the values of wasm_valtype.
 *   - Index spaces (functions, tables, memories, globals) include the
 *     imports first, exactly as in the spec; the arrays `func_type`,
 *     `tables`, `mems`, `globals` cover the WHOLE index space.  Only
 *     `funcs` (bodies) and `code` are indexed by defined-function number
 *     (func index - n_imported_funcs).
 *   - Byte ranges (wm_range) are offsets into `bytes`, the module's own
 *     copy of the binary.  A constant expression range includes its final
 *     0x0B (end), so `bytes + range.start` can be evaluated until 0x0B.
 *   - Everything here has been validated: indices are in range, constant
 *     expressions are well typed, bodies type-check.  Consumers need no
 *     bounds checks beyond what the spec requires at run time.
 */
#ifndef ENGINE_MODULE_H
#define ENGINE_MODULE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasm.h"

struct rt_code; /* translator output, see runtime.h */

/* Half-open byte range [start, end) into wasm_module.bytes. */
typedef struct wm_range {
    uint32_t start, end;
} wm_range;

typedef struct wm_functype {
    uint32_t nparams, nresults;
    uint8_t *types; /* nparams param valtypes, then nresults result valtypes */
    char *sig;      /* "ii:i" signature string (wasm.h letters) */
} wm_functype;

typedef struct wm_limits {
    uint64_t min;
    uint64_t max; /* meaningful only if has_max */
    bool has_max;
    bool is64;    /* memory64 (not supported yet: always false) */
    bool shared;  /* threads (not supported yet: always false) */
} wm_limits;

typedef struct wm_tabletype {
    uint8_t elem_type; /* WASM_FUNCREF or WASM_EXTERNREF */
    wm_limits limits;
} wm_tabletype;

typedef struct wm_globaltype {
    uint8_t valtype;
    bool mutable_;
} wm_globaltype;

typedef struct wm_import {
    char *module, *name; /* NUL-terminated, valid UTF-8 */
    wasm_extern_kind kind;
    uint32_t index; /* index in the kind's index space this import defines */
    union {
        uint32_t func_type; /* type index */
        wm_tabletype table;
        wm_limits memory;
        wm_globaltype global;
    } desc;
} wm_import;

/* Declared locals as run-length groups, as in the binary. */
typedef struct wm_local_group {
    uint32_t count;
    uint8_t valtype;
} wm_local_group;

/* A defined function's body and what validation learned about it. */
typedef struct wm_func {
    uint32_t type_idx;
    uint32_t nlocals;             /* declared locals (params excluded) */
    uint32_t nlocal_groups;
    wm_local_group *local_groups;
    wm_range body;       /* the code entry after its local declarations:
                            first instruction .. final 0x0B inclusive */
    uint32_t max_stack;  /* max operand stack height, in values */
    uint32_t max_depth;  /* max control nesting (the function block = 1) */
} wm_func;

typedef struct wm_global {
    wm_globaltype type;
    wm_range init; /* constant expression; empty for imported globals */
    bool imported;
} wm_global;

typedef struct wm_table {
    wm_tabletype type;
    bool imported;
} wm_table;

typedef struct wm_memory {
    wm_limits limits;
    bool imported;
} wm_memory;

typedef struct wm_export {
    char *name;
    uint32_t name_len; /* names may hold NUL bytes: compare with this */
    wasm_extern_kind kind;
    uint32_t index; /* in the kind's index space */
} wm_export;

typedef enum wm_segmode {
    WM_SEG_ACTIVE = 0, /* same numbering as MV_ACTIVE/... in runtime.h */
    WM_SEG_PASSIVE = 1,
    WM_SEG_DECLARATIVE = 2,
} wm_segmode;

typedef struct wm_elem {
    wm_segmode mode;
    uint32_t table;     /* active only */
    wm_range offset;    /* active only: constant expression (i32) */
    uint8_t elem_type;  /* WASM_FUNCREF or WASM_EXTERNREF */
    uint32_t count;
    /* Exactly one of these is non-NULL (unless count == 0): */
    uint32_t *func_indices; /* legacy "vec(funcidx)" encodings */
    wm_range *exprs;        /* "vec(expr)" encodings: ref.func/ref.null/global.get */
} wm_elem;

typedef struct wm_data {
    wm_segmode mode;  /* WM_SEG_ACTIVE or WM_SEG_PASSIVE */
    uint32_t memory;  /* active only */
    wm_range offset;  /* active only: constant expression (i32) */
    wm_range bytes;   /* the segment's contents */
} wm_data;

struct wasm_module {
    _Atomic uint32_t refcount;
    wasm_features features;

    uint8_t *bytes; /* owned copy of the binary */
    size_t len;

    uint32_t ntypes;
    wm_functype *types;

    uint32_t nimports;
    wm_import *imports;
    uint32_t n_imported_funcs, n_imported_tables, n_imported_mems, n_imported_globals;

    /* Function index space. */
    uint32_t nfuncs;         /* imported + defined */
    uint32_t *func_type;     /* [nfuncs] type index of every function */
    wm_func *funcs;          /* [nbodies] defined functions */
    uint32_t nbodies;        /* = nfuncs - n_imported_funcs once validated */
    _Atomic(struct rt_code *) *code; /* [nfuncs - n_imported_funcs], translator's */

    uint32_t ntables;
    wm_table *tables; /* [ntables] */
    uint32_t nmems;
    wm_memory *mems; /* [nmems] */
    uint32_t nglobals;
    wm_global *globals; /* [nglobals] */

    uint32_t nexports;
    wm_export *exports;
    char **export_sigs; /* [nexports] signature of function exports, else NULL */

    int64_t start; /* function index, or -1 */

    uint32_t nelems;
    wm_elem *elems;

    uint32_t ndatas;
    wm_data *datas;
    bool has_datacount;
    uint32_t datacount;

    /* Copy-on-write image of the initial memory (image.c): a sealed memfd
     * of image_len bytes (a multiple of the OS page), or image_len == 0. */
    int image_fd;
    size_t image_len;
    /* With an image: per data segment, whether the image applied it (every
     * active one), i.e. an instance's data_dropped from the start. */
    bool *image_applied;

    /* Name section (custom "name", subsection 1), best effort: a malformed
     * name section is ignored, as the spec allows. */
    char **func_names; /* [nfuncs], entries NULL when unnamed; NULL if none */

    /* Functions that may be referenced by ref.func inside bodies (C.refs):
     * declared in exports, elements or non-function-body expressions. */
    uint8_t *func_declared; /* [nfuncs] bool */
};

/* Name of function `idx` from the name section, or NULL. */
const char *wasm_wm_func_name(const wasm_module *m, uint32_t idx);

/* decode.c / validate.c: internal entry points used by wasm_module_new.
 * Both fill `res` (kind WASM_MALFORMED or WASM_INVALID, spec message). */
int wasm_wm_decode(wasm_module *m, wasm_result *res);
int wm_validate_code(wasm_module *m, wasm_result *res);

/* image.c: builds the module's memory image when it can have one (else
 * leaves image_len 0); frees it. */
void wasm_wm_image_build(wasm_module *m);
void wasm_wm_image_free(wasm_module *m);

/* Frees everything a (possibly half-built) module owns, not `m` itself. */
void wasm_wm_clear(wasm_module *m);

#endif
