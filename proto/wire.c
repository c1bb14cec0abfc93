/* SPDX-License-Identifier: Apache-2.0 */
#include "proto/wire.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "proto/proto_limits.h"

#define VARINT_MAX_BYTES 10

/* Decode a base-128 varint.  Refuses more than 10 bytes, a 10th byte that
 * overflows 64 bits, and a varint cut by the end of the buffer. */
static bool
read_varint(const uint8_t *p, size_t avail, uint64_t *value, size_t *used)
{
	uint64_t v = 0;

	for (size_t i = 0; i < avail && i < VARINT_MAX_BYTES; i++) {
		uint64_t b = p[i] & 0x7f;
		if (i == VARINT_MAX_BYTES - 1 && b > 1)
			return false;
		v |= b << (7 * i);
		if ((p[i] & 0x80) == 0) {
			*value = v;
			*used = i + 1;
			return true;
		}
	}
	return false;
}

/* The wire type a field of this type must use.  This protocol has no
 * packed repeated fields, so there is exactly one. */
static int
expected_wire_type(ProtobufCType type)
{
	switch (type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_BOOL:
	case PROTOBUF_C_TYPE_ENUM:
		return PROTOBUF_C_WIRE_TYPE_VARINT;
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		return PROTOBUF_C_WIRE_TYPE_32BIT;
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return PROTOBUF_C_WIRE_TYPE_64BIT;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
		return PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
	}
	return -1;
}

/* Whether a varint's value is representable in the field's C type. */
static bool
varint_in_range(ProtobufCType type, uint64_t v)
{
	switch (type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_ENUM: {
		/* Negative values are sent sign-extended to 64 bits. */
		int64_t s = (int64_t)v;
		return s >= INT32_MIN && s <= INT32_MAX;
	}
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_UINT32:
		return v <= UINT32_MAX;
	case PROTOBUF_C_TYPE_BOOL:
		return v <= 1;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_UINT64:
		return true;
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
		break;
	}
	return false;
}

static enum kp_proto_status
scan_message(const ProtobufCMessageDescriptor *desc, const uint8_t *buf,
    size_t len, unsigned depth, struct kp_proto_error *err)
{
	unsigned count[KP_WIRE_FIELDS_MAX] = { 0 };
	const char *name = desc->short_name;
	size_t off = 0;

	if (depth > KP_WIRE_DEPTH_MAX)
		return kp_proto_fail(err, KP_PROTO_WIRE_MALFORMED,
		    "%s: messages nested deeper than %d", name,
		    KP_WIRE_DEPTH_MAX);
	if (desc->n_fields > KP_WIRE_FIELDS_MAX)
		return kp_proto_fail(err, KP_PROTO_WIRE_MALFORMED,
		    "%s: descriptor has too many fields to scan", name);

	while (off < len) {
		uint64_t tag, value = 0;
		size_t used;

		if (!read_varint(buf + off, len - off, &tag, &used) ||
		    tag > UINT32_MAX)
			return kp_proto_fail(err, KP_PROTO_WIRE_MALFORMED,
			    "%s: bad tag at offset %zu", name, off);
		off += used;

		uint32_t number = (uint32_t)(tag >> 3);
		int wire_type = (int)(tag & 7);
		if (number == 0)
			return kp_proto_fail(err, KP_PROTO_WIRE_MALFORMED,
			    "%s: field number 0", name);

		/* Find the value's extent first, so that every later check
		 * can name a well-formed field. */
		const uint8_t *data = buf + off;
		size_t data_len;
		switch (wire_type) {
		case PROTOBUF_C_WIRE_TYPE_VARINT:
			if (!read_varint(data, len - off, &value, &data_len))
				return kp_proto_fail(err,
				    KP_PROTO_WIRE_MALFORMED,
				    "%s: field %" PRIu32 ": bad varint",
				    name, number);
			break;
		case PROTOBUF_C_WIRE_TYPE_64BIT:
			data_len = 8;
			break;
		case PROTOBUF_C_WIRE_TYPE_32BIT:
			data_len = 4;
			break;
		case PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED: {
			uint64_t n;
			size_t prefix;
			if (!read_varint(data, len - off, &n, &prefix) ||
			    n > len - off - prefix)
				return kp_proto_fail(err,
				    KP_PROTO_WIRE_MALFORMED,
				    "%s: field %" PRIu32 ": length past the "
				    "end", name, number);
			off += prefix;
			data += prefix;
			data_len = (size_t)n;
			break;
		}
		default:
			return kp_proto_fail(err, KP_PROTO_WIRE_MALFORMED,
			    "%s: field %" PRIu32 ": unsupported wire type %d",
			    name, number, wire_type);
		}
		if (data_len > len - off)
			return kp_proto_fail(err, KP_PROTO_WIRE_MALFORMED,
			    "%s: field %" PRIu32 ": value past the end", name,
			    number);
		off += data_len;

		const ProtobufCFieldDescriptor *field =
		    protobuf_c_message_descriptor_get_field(desc, number);
		if (field == NULL)
			return kp_proto_fail(err, KP_PROTO_UNKNOWN_FIELD,
			    "%s: unknown field number %" PRIu32, name, number);
		if (wire_type != expected_wire_type(field->type))
			return kp_proto_fail(err, KP_PROTO_WIRE_TYPE,
			    "%s.%s: wire type %d", name, field->name,
			    wire_type);

		size_t idx = (size_t)(field - desc->fields);
		if (field->label == PROTOBUF_C_LABEL_REPEATED) {
			if (count[idx] >= KP_PROTO_SYNC_CHUNK_KEYS)
				return kp_proto_fail(err,
				    KP_PROTO_TOO_MANY_VALUES,
				    "%s.%s: more than %d values", name,
				    field->name, KP_PROTO_SYNC_CHUNK_KEYS);
		} else if (count[idx] != 0) {
			return kp_proto_fail(err, KP_PROTO_DUPLICATE_FIELD,
			    "%s.%s: sent more than once", name, field->name);
		}
		if ((field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0) {
			/* Members of one oneof share the case offset. */
			for (unsigned i = 0; i < desc->n_fields; i++) {
				const ProtobufCFieldDescriptor *other =
				    &desc->fields[i];
				if (i != idx && count[i] != 0 &&
				    (other->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
				    != 0 && other->quantifier_offset ==
				    field->quantifier_offset)
					return kp_proto_fail(err,
					    KP_PROTO_MULTIPLE_BODIES,
					    "%s: both %s and %s", name,
					    other->name, field->name);
			}
		}
		count[idx]++;

		if (wire_type == PROTOBUF_C_WIRE_TYPE_VARINT &&
		    !varint_in_range(field->type, value))
			return kp_proto_fail(err, KP_PROTO_INT_RANGE,
			    "%s.%s: %" PRIu64 " out of range", name,
			    field->name, value);
		if (field->type == PROTOBUF_C_TYPE_STRING &&
		    memchr(data, '\0', data_len) != NULL)
			return kp_proto_fail(err, KP_PROTO_BAD_TEXT,
			    "%s.%s: NUL byte in string", name, field->name);
		if (field->type == PROTOBUF_C_TYPE_MESSAGE) {
			enum kp_proto_status st = scan_message(
			    (const ProtobufCMessageDescriptor *)field->descriptor,
			    data, data_len, depth + 1, err);
			if (st != KP_PROTO_OK)
				return st;
		}
	}

	for (unsigned i = 0; i < desc->n_fields; i++) {
		if (desc->fields[i].label == PROTOBUF_C_LABEL_REQUIRED &&
		    count[i] == 0)
			return kp_proto_fail(err, KP_PROTO_MISSING_FIELD,
			    "%s.%s: required field missing", name,
			    desc->fields[i].name);
	}
	return KP_PROTO_OK;
}

enum kp_proto_status
kp_wire_scan(const ProtobufCMessageDescriptor *desc, const uint8_t *buf,
    size_t len, struct kp_proto_error *err)
{
	return scan_message(desc, buf, len, 1, err);
}
