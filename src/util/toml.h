/*
 * toml.h - a TOML 1.0 reader (included by util.h; do not include directly).
 *
 * util_toml_parse() turns a whole document into a tree of toml_value nodes; the
 * root is a TOML_TABLE.  Tables keep their keys in document order so callers
 * can walk them and report fields they do not know, which is how the Spin
 * manifest loader mimics serde's deny_unknown_fields.  Every node remembers
 * the line and column where it was written, so errors found later by a
 * consumer can still point into the file.
 *
 * Errors are reported as "<source>:<line>:<col>: <what>".  The tree is
 * read-only for callers: use the accessors below, free it with util_toml_free().
 */
#ifndef UTIL_TOML_H
#define UTIL_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    TOML_TABLE,
    TOML_ARRAY,
    TOML_STRING,
    TOML_INTEGER,
    TOML_FLOAT,
    TOML_BOOL,
    TOML_DATETIME,       /* offset date-time: 1979-05-27T07:32:00Z */
    TOML_LOCAL_DATETIME, /* 1979-05-27T07:32:00 */
    TOML_LOCAL_DATE,     /* 1979-05-27 */
    TOML_LOCAL_TIME,     /* 07:32:00 */
} toml_type;

/* The fields a datetime kind does not have are zero. */
typedef struct toml_datetime {
    int year, month, day;
    int hour, minute, second;
    int nanosecond;     /* fractional seconds beyond 9 digits are truncated */
    int offset_minutes; /* TOML_DATETIME only; "Z" is 0 */
} toml_datetime;

typedef struct toml_value toml_value;

typedef struct toml_entry {
    char *key; /* NUL-terminated; key_len counts an embedded \u0000 too */
    size_t key_len;
    toml_value *value;
    unsigned line, col; /* where the key was written */
} toml_entry;

struct toml_value {
    toml_type type;
    unsigned line, col; /* where the value (or table header) starts */
    unsigned flags;     /* parser bookkeeping (how a table was defined) */
    union {
        struct {
            char *data; /* NUL-terminated, may contain \0 (see len) */
            size_t len;
        } str; /* TOML_STRING, and the source text of datetimes */
        int64_t integer;
        double fp;
        bool boolean;
        struct {
            toml_value **items;
            size_t len, cap;
        } array;
        struct {
            toml_entry *entries;
            size_t len, cap;
            size_t *slots; /* private: hash index of big tables */
            size_t nslots;
        } table;
    } u;
    toml_datetime dt; /* datetime kinds only */
};

/* Parses `len` bytes; `source` names the document in error messages.  Returns
 * the root table, or NULL with *err set. */
toml_value *util_toml_parse(const char *data, size_t len, const char *source,
                            struct util_error **err);
/* Reads and parses a file; the path is the source name. */
toml_value *util_toml_parse_file(const char *path, struct util_error **err);
void util_toml_free(toml_value *v);
void util_toml_freep(toml_value **v);
#define cleanup_toml __attribute__((cleanup(util_toml_freep)))

/* "string", "integer", ..., the names TOML itself uses. */
const char *util_toml_type_name(toml_type type);

/* Table lookup; NULL when `table` is NULL, not a table, or lacks the key. */
const toml_value *util_toml_get(const toml_value *table, const char *key);
/* Follows a dotted path of bare keys: util_toml_get_path(root, "application.trigger.http"). */
const toml_value *util_toml_get_path(const toml_value *table, const char *path);

/* Number of entries of a table or items of an array (0 for scalars/NULL). */
size_t util_toml_len(const toml_value *v);
/* The i-th entry of a table, in document order. */
const toml_entry *util_toml_entry_at(const toml_value *table, size_t i);
const toml_value *util_toml_array_at(const toml_value *array, size_t i);

static inline bool toml_is(const toml_value *v, toml_type t)
{
    return v != NULL && v->type == t;
}
/* Typed views: NULL / false when the value is missing or of another type. */
const char *util_toml_string(const toml_value *v);
bool util_toml_int(const toml_value *v, int64_t *out);
bool util_toml_float(const toml_value *v, double *out); /* integers convert too */
bool util_toml_bool(const toml_value *v, bool *out);

/* Parses RFC 3339 text the way TOML does (T, t or space separator; Z or z);
 * returns the datetime kind, or -1 if the text is not a valid datetime.
 * Exposed so tools can compare datetimes semantically. */
int util_toml_parse_datetime(const char *text, size_t len, toml_datetime *out);

#endif
