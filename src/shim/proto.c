/*
 * proto.c - small helpers over protobuf-c for Any and Timestamp, so the
 * handlers stay about containers rather than about buffers.
 */
#include "proto.h"

#include <string.h>

size_t shim_pb_pack(const ProtobufCMessage *msg, uint8_t **out)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    *out = util_xmalloc(n ? n : 1);
    protobuf_c_message_pack(msg, *out);
    return n;
}

void shim_pb_any_pack(pb_any *any, const char *type_url, const ProtobufCMessage *msg)
{
    google__protobuf__any__init(any);
    any->type_url = util_xstrdup(type_url);
    any->value.len = shim_pb_pack(msg, &any->value.data);
}

void shim_pb_any_clear(pb_any *any)
{
    if (any->type_url != protobuf_c_empty_string)
        free(any->type_url);
    free(any->value.data);
    google__protobuf__any__init(any);
}

void shim_pb_timestamp_set(pb_timestamp *ts, uint64_t ns)
{
    google__protobuf__timestamp__init(ts);
    ts->seconds = (int64_t)(ns / 1000000000u);
    ts->nanos = (int32_t)(ns % 1000000000u);
}

uint64_t shim_pb_timestamp_ns(const pb_timestamp *ts)
{
    if (ts == NULL || ts->seconds < 0)
        return 0;
    return (uint64_t)ts->seconds * 1000000000u + (uint64_t)ts->nanos;
}
