/*
 * spec.h - shared declarations of the spec conformance runner.
 *
 * spec_runner.c drives: it finds the .json scripts, runs each one in a
 * child process (spec_exec.c) so a crash or hang in the engine costs one
 * file, not the run, and compares the outcome of every command with the
 * expected-failures list.  The child reports one line per command on a
 * pipe: "<line> <P|F|S> <message>" (pass, fail, skipped).
 */
#ifndef TESTS_ENGINE_SPEC_H
#define TESTS_ENGINE_SPEC_H

#include <stdio.h>

enum {
    SPEC_TAIL_CALL = 1,   /* enable the tail-call proposal */
    SPEC_DECODE_ONLY = 2, /* only decode/validate: no instantiation, no calls */
    SPEC_NO_EXTENDED_CONST = 4, /* core 2.0 constant expressions (core/ scripts) */
};

/* Executes every command of the script `json_path` (whose .wasm files are
 * beside it) through the public API of wasm.h, writing one result line per
 * command to `out`.  Returns 0, or -1 if the script cannot be read. */
int spec_exec_file(const char *json_path, FILE *out, unsigned flags);

#endif
