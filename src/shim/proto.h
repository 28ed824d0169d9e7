/*
 * proto.h - the protobuf-c messages of the shim protocol and helpers for
 * the two well-known types every message uses (Any, Timestamp).
 *
 * The .proto files under proto/ are our own minimal subset of containerd's,
 * ttrpc's and the cgroups packages' schemas (field numbers and type names
 * match upstream; only the messages we use).  CMake compiles them with
 * protoc-c into the build tree.
 */
#ifndef SHIM_PROTO_H
#define SHIM_PROTO_H

#include "cgroups_v1.pb-c.h"
#include "cgroups_v2.pb-c.h"
#include "events.pb-c.h"
#include "google_protobuf.pb-c.h"
#include "runtimeoptions.pb-c.h"
#include "task.pb-c.h"
#include "ttrpc.pb-c.h"
#include "util.h"

typedef Google__Protobuf__Any pb_any;
typedef Google__Protobuf__Timestamp pb_timestamp;

/* Packs a message into a heap-allocated buffer; returns its length. */
size_t shim_pb_pack(const ProtobufCMessage *msg, uint8_t **out);
/* Fills an Any (caller frees with shim_pb_any_clear) with msg under type_url. */
void shim_pb_any_pack(pb_any *any, const char *type_url, const ProtobufCMessage *msg);
void shim_pb_any_clear(pb_any *any);
/* Nanoseconds since the epoch <-> Timestamp. */
void shim_pb_timestamp_set(pb_timestamp *ts, uint64_t ns);
uint64_t shim_pb_timestamp_ns(const pb_timestamp *ts);

#endif
