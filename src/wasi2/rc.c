/*
 * rc.c - the pre-release WASI names Spin still links: wasi:io, clocks,
 * random and cli at 0.2.0-rc-2023-10-18 and 0.2.0-rc-2023-11-10.
 *
 * The linker matches pre-release versions only exactly, so each version
 * is registered under its own name, with its own WIT signatures.  The
 * resource types are the 0.2 registration's, aliased in: one output-stream
 * type whatever the version, so a stream got from one version may be
 * passed to another.  Where a function kept its meaning the 0.2 C function
 * serves it (a table entry names it); only what changed is written here.
 *
 * What changed (from the WIT of those snapshots, as wasmtime 14 and 15
 * shipped them):
 *   -rc-2023-10-18  wasi:io has no `error` interface: the error resource
 *                   lives in streams.  poll is poll-list(list<borrow>) and
 *                   poll-one(borrow) over a pollable without methods.
 *                   splice / blocking-splice take their source as an own
 *                   input-stream (consumed), and forward(own input-stream)
 *                   splices until the source ends.  monotonic-clock has
 *                   resolution -> instant and subscribe(when, absolute).
 *   both            wasi:cli/exit has exit only (no exit-with-code).
 *   -rc-2023-11-10  everything else here is 0.2.0's shape.
 */
#include "fsnet.h"

#define SELF(args, T) ((T *)(args)[0].of.resource.rep)

const char *wasi2_rc_iface(char *buf, const char *name, const char *version)
{
    snprintf(buf, 64, "%s@%s", name, version);
    return buf;
}

static const wasi2_func *table_find(const wasi2_func_table *t, const char *name)
{
    for (size_t i = 0; t && i < t->n; i++)
        if (strcmp(t->funcs[i].name, name) == 0)
            return &t->funcs[i];
    return NULL;
}

int wasi2_define_rc_funcs(component_linker *l, const char *iface, const wasi2_func_table *base,
                          const wasi2_rc_func *funcs, size_t n, void *env, util_error **err)
{
    for (size_t i = 0; i < n; i++) {
        const wasi2_rc_func *f = &funcs[i];
        const char *sig = f->signature;
        component_host_fn fn = f->fn;
        if (sig == NULL || fn == NULL) {
            const wasi2_func *b = table_find(base, f->from ? f->from : f->name);
            if (b == NULL) {
                util_error_set(err, 0, "%s: %s: no 0.2 function %s to reuse", iface, f->name,
                               f->from ? f->from : f->name);
                return -1;
            }
            sig = sig ? sig : b->signature;
            fn = fn ? fn : b->fn;
        }
        if (component_linker_define_func(l, iface, f->name, sig, fn, env, err) < 0)
            return -1;
    }
    return 0;
}

/* ---- what -rc-2023-10-18 does differently ------------------------------ */

static uint64_t until_of(void *env, component_call *call, bool blocking)
{
    return blocking ? wasi2_ctx_until(wasi2_host_ctx(env, call)) : WASI2_NO_WAIT;
}

/* splice / blocking-splice with an own source: the source is the host's
 * now, released after the move. */
static int splice_owned(component_call *call, void *env, const component_val *args,
                        component_val *result, bool blocking)
{
    wasi2_stream *s = SELF(args, wasi2_stream);
    wasi2_stream *src = (wasi2_stream *)args[1].of.resource.rep;
    uint64_t n = 0;
    int errnum = 0;
    wasi2_io io = wasi2_stream_splice(s, src, args[2].of.u, until_of(env, call, blocking), &n,
                                      &errnum);
    wasi2_stream_release(src);
    component_val ok = {.kind = COMPONENT_VAL_U64, .of.u = n};
    return wasi2_stream_result(call, env, s, io, errnum, blocking ? "blocking-splice" : "splice",
                               &ok, result);
}

static int output_splice(component_call *call, void *env, const component_val *args,
                         size_t nargs, component_val *result)
{
    return splice_owned(call, env, args, result, false);
}

static int output_blocking_splice(component_call *call, void *env, const component_val *args,
                                  size_t nargs, component_val *result)
{
    return splice_owned(call, env, args, result, true);
}

/* forward: blocking splices until the source ends; ok(bytes moved) then.
 * The output closing first, or failing, is that error. */
static int output_forward(component_call *call, void *env, const component_val *args,
                          size_t nargs, component_val *result)
{
    wasi2_stream *s = SELF(args, wasi2_stream);
    wasi2_stream *src = (wasi2_stream *)args[1].of.resource.rep;
    uint64_t until = until_of(env, call, true), total = 0, n;
    int errnum = 0;
    wasi2_io io;
    do {
        n = 0;
        io = wasi2_stream_splice(s, src, WASI2_READ_MAX, until, &n, &errnum);
        total += n;
    } while (io == WASI2_IO_OK);
    if (io == WASI2_IO_CLOSED && src->closed && !s->closed)
        io = WASI2_IO_OK;
    wasi2_stream_release(src);
    component_val ok = {.kind = COMPONENT_VAL_U64, .of.u = total};
    return wasi2_stream_result(call, env, s, io, errnum, "forward", &ok, result);
}

/* subscribe(when, absolute): an instant, or a duration from now. */
static int monotonic_subscribe(component_call *call, void *env, const component_val *args,
                               size_t nargs, component_val *result)
{
    const wasi2_host *h = env;
    uint64_t when = args[0].of.u;
    if (!args[1].of.b) {
        uint64_t now = util_monotonic_ns();
        when = when > UINT64_MAX - now ? UINT64_MAX : now + when;
    }
    *result = wasi2_own(h->pollable, wasi2_pollable_timer(when));
    return 0;
}

/* ---- the interfaces ---------------------------------------------------- */

#define SPLICE_SIG(src)                                                                         \
    "func(self: borrow<output-stream>, src: " src ", len: u64) -> result<u64, stream-error>"

static const wasi2_rc_func streams_1018[] = {
    {"[method]error.to-debug-string", NULL, NULL, NULL},
    {"[method]input-stream.read", NULL, NULL, NULL},
    {"[method]input-stream.blocking-read", NULL, NULL, NULL},
    {"[method]input-stream.skip", NULL, NULL, NULL},
    {"[method]input-stream.blocking-skip", NULL, NULL, NULL},
    {"[method]input-stream.subscribe", NULL, NULL, NULL},
    {"[method]output-stream.check-write", NULL, NULL, NULL},
    {"[method]output-stream.write", NULL, NULL, NULL},
    {"[method]output-stream.blocking-write-and-flush", NULL, NULL, NULL},
    {"[method]output-stream.flush", NULL, NULL, NULL},
    {"[method]output-stream.blocking-flush", NULL, NULL, NULL},
    {"[method]output-stream.subscribe", NULL, NULL, NULL},
    {"[method]output-stream.write-zeroes", NULL, NULL, NULL},
    {"[method]output-stream.blocking-write-zeroes-and-flush", NULL, NULL, NULL},
    {"[method]output-stream.splice", SPLICE_SIG("own<input-stream>"), output_splice, NULL},
    {"[method]output-stream.blocking-splice", SPLICE_SIG("own<input-stream>"),
     output_blocking_splice, NULL},
    {"[method]output-stream.forward",
     "func(self: borrow<output-stream>, src: own<input-stream>) -> result<u64, stream-error>",
     output_forward, NULL},
};

static const wasi2_rc_func poll_1018[] = {
    {"poll-list", "func(in: list<borrow<pollable>>) -> list<u32>", NULL, "poll"},
    {"poll-one", "func(in: borrow<pollable>)", NULL, "[method]pollable.block"},
};

static const wasi2_rc_func monotonic_1018[] = {
    {"now", NULL, NULL, NULL},
    {"resolution", "func() -> instant", NULL, NULL},
    {"subscribe", "func(when: instant, absolute: bool) -> own<pollable>", monotonic_subscribe,
     NULL},
};

static const wasi2_rc_func exit_rc[] = {
    {"exit", NULL, NULL, NULL},
};

/* A whole 0.2 table, unchanged, in iface. */
static int define_same(component_linker *l, const char *iface, const wasi2_func_table *t,
                       wasi2_host *h, util_error **err)
{
    return wasi2_define_funcs(l, iface, t->funcs, t->n, h, err);
}

#define IFACE(name) wasi2_rc_iface(buf, name, v)
#define ALIAS(name, res, type) component_linker_alias_resource(l, IFACE(name), res, type, err)
#define RC(name, base, funcs)                                                                   \
    wasi2_define_rc_funcs(l, IFACE(name), base, funcs, UTIL_ARRAY_LEN(funcs), h, err)

static int define_io(component_linker *l, wasi2_host *h, const char *v, util_error **err)
{
    char buf[64];
    bool old = strcmp(v, WASI2_RC1) == 0;
    if (ALIAS("wasi:io/poll", "pollable", h->pollable) < 0 ||
        (old ? RC("wasi:io/poll", &wasi2_io_poll_table, poll_1018)
             : define_same(l, IFACE("wasi:io/poll"), &wasi2_io_poll_table, h, err)) < 0)
        return -1;
    if (!old && (ALIAS("wasi:io/error", "error", h->error) < 0 ||
                 define_same(l, IFACE("wasi:io/error"), &wasi2_io_error_table, h, err) < 0))
        return -1;
    if (ALIAS("wasi:io/streams", "error", h->error) < 0 ||
        ALIAS("wasi:io/streams", "pollable", h->pollable) < 0 ||
        ALIAS("wasi:io/streams", "input-stream", h->input_stream) < 0 ||
        ALIAS("wasi:io/streams", "output-stream", h->output_stream) < 0 ||
        component_linker_define_type(l, IFACE("wasi:io/streams"), "stream-error",
                                     "variant{last-operation-failed(own<error>), closed}",
                                     err) < 0)
        return -1;
    if (!old)
        return define_same(l, IFACE("wasi:io/streams"), &wasi2_io_streams_table, h, err);
    /* error.to-debug-string comes from the error table, the rest from streams' */
    cleanup_free wasi2_func *merged =
        util_xmalloc((wasi2_io_streams_table.n + 1) * sizeof(*merged));
    size_t n = 0;
    for (size_t i = 0; i < wasi2_io_streams_table.n; i++)
        merged[n++] = wasi2_io_streams_table.funcs[i];
    merged[n++] = wasi2_io_error_table.funcs[0];
    wasi2_func_table base = {merged, n};
    return wasi2_define_rc_funcs(l, IFACE("wasi:io/streams"), &base, streams_1018,
                                 UTIL_ARRAY_LEN(streams_1018), h, err);
}

static int define_clocks_random(component_linker *l, wasi2_host *h, const char *v,
                                util_error **err)
{
    char buf[64];
    const char *mono = "wasi:clocks/monotonic-clock", *wall = "wasi:clocks/wall-clock";
    if (ALIAS(mono, "pollable", h->pollable) < 0 ||
        component_linker_define_type(l, IFACE(mono), "instant", "u64", err) < 0)
        return -1;
    if (strcmp(v, WASI2_RC1) == 0) {
        if (RC(mono, &wasi2_monotonic_table, monotonic_1018) < 0)
            return -1;
    } else if (component_linker_define_type(l, IFACE(mono), "duration", "u64", err) < 0 ||
               define_same(l, IFACE(mono), &wasi2_monotonic_table, h, err) < 0) {
        return -1;
    }
    if (component_linker_define_type(l, IFACE(wall), "datetime",
                                     "record{seconds: u64, nanoseconds: u32}", err) < 0 ||
        define_same(l, IFACE(wall), &wasi2_wall_table, h, err) < 0)
        return -1;
    if (define_same(l, IFACE("wasi:random/random"), &wasi2_random_table, h, err) < 0 ||
        define_same(l, IFACE("wasi:random/insecure"), &wasi2_insecure_table, h, err) < 0 ||
        define_same(l, IFACE("wasi:random/insecure-seed"), &wasi2_insecure_seed_table, h, err) <
            0)
        return -1;
    return 0;
}

static int define_cli(component_linker *l, wasi2_host *h, const char *v, util_error **err)
{
    char buf[64];
    if (define_same(l, IFACE("wasi:cli/environment"), &wasi2_environment_table, h, err) < 0 ||
        RC("wasi:cli/exit", &wasi2_exit_table, exit_rc) < 0)
        return -1;
    if (ALIAS("wasi:cli/stdin", "input-stream", h->input_stream) < 0 ||
        ALIAS("wasi:cli/stdout", "output-stream", h->output_stream) < 0 ||
        ALIAS("wasi:cli/stderr", "output-stream", h->output_stream) < 0 ||
        define_same(l, IFACE("wasi:cli/stdin"), &wasi2_stdin_table, h, err) < 0 ||
        define_same(l, IFACE("wasi:cli/stdout"), &wasi2_stdout_table, h, err) < 0 ||
        define_same(l, IFACE("wasi:cli/stderr"), &wasi2_stderr_table, h, err) < 0)
        return -1;
    if (ALIAS("wasi:cli/terminal-input", "terminal-input", h->terminal_input) < 0 ||
        ALIAS("wasi:cli/terminal-output", "terminal-output", h->terminal_output) < 0 ||
        ALIAS("wasi:cli/terminal-stdin", "terminal-input", h->terminal_input) < 0 ||
        ALIAS("wasi:cli/terminal-stdout", "terminal-output", h->terminal_output) < 0 ||
        ALIAS("wasi:cli/terminal-stderr", "terminal-output", h->terminal_output) < 0)
        return -1;
    if (define_same(l, IFACE("wasi:cli/terminal-stdin"), &wasi2_terminal_stdin_table, h, err) <
            0 ||
        define_same(l, IFACE("wasi:cli/terminal-stdout"), &wasi2_terminal_stdout_table, h,
                    err) < 0 ||
        define_same(l, IFACE("wasi:cli/terminal-stderr"), &wasi2_terminal_stderr_table, h,
                    err) < 0)
        return -1;
    return 0;
}

int wasi2_define_rc(component_linker *l, wasi2_host *h, util_error **err)
{
    static const char *const versions[] = {WASI2_RC1, WASI2_RC2};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(versions); i++)
        if (define_io(l, h, versions[i], err) < 0 ||
            define_clocks_random(l, h, versions[i], err) < 0 ||
            define_cli(l, h, versions[i], err) < 0)
            return -1;
    return wasi2_define_rc_fsnet(l, h, err);
}
