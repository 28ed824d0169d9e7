/*
 * abi_internal.h - private to abi.c and abi_string.c: the linear-memory
 * helpers both need (checked ranges, realloc) and the string half of the
 * canonical ABI.
 */
#ifndef COMPONENT_ABI_INTERNAL_H
#define COMPONENT_ABI_INTERNAL_H

#include "abi.h"

/* The spec's MAX_STRING_BYTE_LENGTH / MAX_LIST_BYTE_LENGTH and the bit of
 * a latin1+utf16 length that says "UTF-16". */
#define COMPONENT_ABI_MAX_STRING_BYTES ((1u << 28) - 1)
#define COMPONENT_ABI_MAX_LIST_BYTES ((1u << 28) - 1)
#define COMPONENT_ABI_UTF16_TAG (1u << 31)

/* The memory's bytes and size now (NULL after a trap if the options have
 * no memory). */
uint8_t *component_abi_memory(component_abi_cx *cx, uint64_t *size);
/* Traps unless [ptr, ptr + bytes) lies in memory and ptr is a multiple of
 * `align`; `what` names the value for the message ("u32", "list of 10 x
 * 8 bytes"). */
int component_abi_check_range(component_abi_cx *cx, uint32_t ptr, uint64_t bytes, uint32_t align,
                              const char *what);
/* realloc(0, 0, align, size) through the canonical options, with the
 * returned pointer's alignment and bounds checked. */
int component_abi_alloc(component_abi_cx *cx, uint32_t align, uint64_t size, const char *what,
                        uint32_t *ptr);

/* abi_string.c: a string as (pointer, tagged code units) in the options'
 * encoding, lifted into valid UTF-8 (into the arena when it needs
 * transcoding) or lowered from the host's UTF-8. */
int component_abi_lift_string(component_abi_cx *cx, uint32_t ptr, uint32_t tagged,
                              component_val *out);
int component_abi_lower_string(component_abi_cx *cx, const component_val *v, uint32_t *ptr,
                               uint32_t *tagged);

#endif
