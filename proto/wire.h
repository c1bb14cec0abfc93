/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A strict scan of the protobuf encoding, run before protobuf-c unpacks a
 * payload.  protobuf-c is lenient where this protocol must not be: it keeps
 * the last of several members of a oneof, merges or overwrites a field sent
 * twice, keeps unknown fields, truncates an over-long varint to 32 bits, and
 * cuts a string at its first NUL when C code reads it.  Each of those would
 * let two readers of the same bytes disagree, so each is refused here, with
 * a detail naming the message and field:
 *
 *   WIRE_MALFORMED   bad varint, length past the end, field number 0,
 *                    group or reserved wire types, nesting too deep
 *   WIRE_TYPE        a known field with the wrong wire type
 *   UNKNOWN_FIELD    a field number the descriptor does not define
 *   DUPLICATE_FIELD  a non-repeated field more than once
 *   MULTIPLE_BODIES  two members of one oneof
 *   MISSING_FIELD    a required field absent
 *   INT_RANGE        a varint out of range for its 32-bit or bool type
 *   BAD_TEXT         a NUL byte inside a string field
 *   TOO_MANY_VALUES  a repeated field with more than
 *                    KP_PROTO_SYNC_CHUNK_KEYS values
 *
 * Only what protobuf-c's descriptors say is used, so the scan follows the
 * .proto file without code per message.
 */
#ifndef KP_PROTO_WIRE_H
#define KP_PROTO_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "proto/status.h"

enum kp_proto_status kp_wire_scan(const ProtobufCMessageDescriptor *desc,
    const uint8_t *buf, size_t len, struct kp_proto_error *err);

#endif /* KP_PROTO_WIRE_H */
