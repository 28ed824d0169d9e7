/*
 * locked_app_internal.h - what the files of the locked-app model share
 * (locked_app.c: model, URIs, base64, writer; locked_app_json.c: reader;
 * locked_app_manifest.c: spin.toml -> model).
 *
 * Both producers end in the same reader: spin.toml is first turned into the
 * LockedApp JSON tree Spin's loader would write, then read by
 * spin_locked_app_from_object(), so a model from a manifest obeys exactly the
 * invariants of one from JSON and round-trips through the writer.
 */
#ifndef SPIN_LOCKED_APP_INTERNAL_H
#define SPIN_LOCKED_APP_INTERNAL_H

#include "locked_app.h"
#include "manifest_internal.h"

#include <json-c/json.h>

/* Reads a parsed LockedApp document (the root object).  Does not take
 * ownership of `root`; the model takes its own references. */
int spin_locked_app_from_object(struct json_object *root, spin_locked_app **out, util_error **err);

/* Standard base64 without padding, as Spin's spin_serde::base64 writes and
 * reads it (padding and non-zero trailing bits are refused).  Decoding
 * returns NULL with a static reason in *why. */
char *spin_locked_base64_encode(const uint8_t *data, size_t len);
uint8_t *spin_locked_base64_decode(const char *text, size_t len, size_t *out_len, const char **why);

/* True if an allowed_outbound_hosts entry names a *.spin.internal host
 * (local service chaining). */
bool spin_locked_host_is_service_chaining(const char *host);

/* A copy of a JSON value with the keys of every object sorted, the order
 * Spin's serde_json maps serialise in. */
struct json_object *spin_locked_json_sorted_copy(struct json_object *v);

#define LOCKED_SERVICE_CHAINING_KEY "local_service_chaining"

#endif
