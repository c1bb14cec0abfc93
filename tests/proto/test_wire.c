/* SPDX-License-Identifier: Apache-2.0 */
/* Encodings protobuf-c would accept but this protocol refuses, each with
 * its own status, built by hand (tests/proto/pb_writer.h). */
#include <criterion/criterion.h>
#include <string.h>

#include "proto/message.h"
#include "tests/proto/pb_writer.h"

static struct kp_msg m;
static struct pbw w, inner;
static struct kp_proto_error err;

static void
setup(void)
{
	cr_assert_eq(kp_msg_init(&m), 0);
	w.len = 0;
	inner.len = 0;
	memset(&err, 0, sizeof(err));
}

static void
teardown(void)
{
	kp_msg_fini(&m);
}

TestSuite(wire, .init = setup, .fini = teardown);

static enum kp_proto_status
decode(const struct pbw *p)
{
	enum kp_proto_status st = kp_msg_decode(&m, p->buf, p->len, &err);
	if (st != KP_PROTO_OK) {
		cr_assert_null(m.env);
		cr_assert_eq(m.type, KP_MSG_NONE);
		cr_assert_eq(err.status, st);
		cr_assert(kp_proto_status_is_violation(st));
	}
	return st;
}

static void
remove_body(struct pbw *p, const char *key)
{
	p->len = 0;
	pbw_str(p, 1, key);
}

Test(wire, hand_encoded_remove_is_accepted)
{
	remove_body(&inner, "custom.a");
	pbw_envelope(&w, 3, &inner);
	cr_assert_eq(decode(&w), KP_PROTO_OK, "%s", err.detail);
	cr_assert_eq(m.type, KP_MSG_REMOVE);
	cr_assert_str_eq(m.env->remove->key, "custom.a");
}

Test(wire, unknown_envelope_field)
{
	remove_body(&inner, "custom.a");
	pbw_envelope(&w, 3, &inner);
	pbw_uint(&w, 11, 1);
	cr_assert_eq(decode(&w), KP_PROTO_UNKNOWN_FIELD);
	cr_assert_str_eq(err.detail, "Envelope: unknown field number 11");
}

Test(wire, unknown_oneof_member_alone)
{
	/* A future message type: a length-delimited field 42 and no body. */
	remove_body(&inner, "custom.a");
	pbw_envelope(&w, 42, &inner);
	cr_assert_eq(decode(&w), KP_PROTO_UNKNOWN_FIELD);
}

Test(wire, unknown_field_inside_a_body)
{
	remove_body(&inner, "custom.a");
	pbw_uint(&inner, 2, 7);
	pbw_envelope(&w, 3, &inner);
	cr_assert_eq(decode(&w), KP_PROTO_UNKNOWN_FIELD);
	cr_assert_str_eq(err.detail, "Remove: unknown field number 2");
}

Test(wire, two_bodies)
{
	/* protobuf-c alone would keep the last one: an Apply preceded by a
	 * Remove of another key. */
	remove_body(&inner, "custom.b");
	pbw_envelope(&w, 3, &inner);
	inner.len = 0;
	pbw_str(&inner, 1, "custom.a");
	pbw_len(&inner, 2, "x", 1);
	pbw_envelope(&w, 2, &inner);
	cr_assert_eq(decode(&w), KP_PROTO_MULTIPLE_BODIES);
	cr_assert_str_eq(err.detail, "Envelope: both remove and apply");
}

Test(wire, same_body_twice)
{
	remove_body(&inner, "custom.a");
	pbw_envelope(&w, 3, &inner);
	pbw_envelope(&w, 3, &inner);
	cr_assert_eq(decode(&w), KP_PROTO_DUPLICATE_FIELD);
}

Test(wire, key_twice)
{
	/* protobuf-c alone would keep the second key. */
	pbw_str(&inner, 1, "custom.a");
	pbw_str(&inner, 1, "custom.b");
	pbw_envelope(&w, 3, &inner);
	cr_assert_eq(decode(&w), KP_PROTO_DUPLICATE_FIELD);
	cr_assert_str_eq(err.detail, "Remove.key: sent more than once");
}

Test(wire, wrong_wire_type)
{
	pbw_uint(&inner, 1, 5);   /* key as a varint */
	pbw_envelope(&w, 3, &inner);
	cr_assert_eq(decode(&w), KP_PROTO_WIRE_TYPE);
	cr_assert_str_eq(err.detail, "Remove.key: wire type 0");
	w.len = 0;
	pbw_uint(&w, 3, 5);       /* body as a varint */
	cr_assert_eq(decode(&w), KP_PROTO_WIRE_TYPE);
}

Test(wire, missing_required_field)
{
	pbw_len(&inner, 2, "profile", 7);   /* Apply without key */
	pbw_envelope(&w, 2, &inner);
	cr_assert_eq(decode(&w), KP_PROTO_MISSING_FIELD);
	cr_assert_str_eq(err.detail, "Apply.key: required field missing");
}

Test(wire, empty_body_message_misses_its_fields)
{
	pbw_envelope(&w, 4, &inner);        /* SyncBegin{} */
	cr_assert_eq(decode(&w), KP_PROTO_MISSING_FIELD);
	cr_assert_str_eq(err.detail,
	    "SyncBegin.generation: required field missing");
}

Test(wire, empty_payload)
{
	/* An Envelope without a body encodes to nothing, so on the wire "no
	 * body" is an empty payload (or an unknown field). */
	w.len = 0;
	cr_assert_eq(decode(&w), KP_PROTO_FRAME_EMPTY);
}

Test(wire, nul_in_string)
{
	pbw_len(&inner, 1, "custom.a\0/../x", 14);
	pbw_envelope(&w, 3, &inner);
	cr_assert_eq(decode(&w), KP_PROTO_BAD_TEXT);
	cr_assert_str_eq(err.detail, "Remove.key: NUL byte in string");
}

Test(wire, nul_in_bytes_is_fine)
{
	pbw_str(&inner, 1, "custom.a");
	pbw_len(&inner, 2, "a\0b", 3);
	pbw_envelope(&w, 2, &inner);
	cr_assert_eq(decode(&w), KP_PROTO_OK, "%s", err.detail);
	cr_assert_eq(m.env->apply->content.len, 3);
}

Test(wire, varint_out_of_32_bit_range)
{
	/* SyncEnd.total_keys is uint32; protobuf-c would keep the low 32
	 * bits (here: 1). */
	pbw_uint(&inner, 1, 1);
	pbw_uint(&inner, 2, (1ULL << 32) + 1);
	pbw_envelope(&w, 6, &inner);
	cr_assert_eq(decode(&w), KP_PROTO_INT_RANGE);
	cr_assert_str_eq(err.detail,
	    "SyncEnd.total_keys: 4294967297 out of range");
}

Test(wire, enum_out_of_32_bit_range)
{
	pbw_uint(&inner, 1, (1ULL << 32) + 2);     /* Log.level */
	pbw_str(&inner, 2, "ev");
	pbw_str(&inner, 4, "msg");
	pbw_envelope(&w, 10, &inner);
	cr_assert_eq(decode(&w), KP_PROTO_INT_RANGE);
}

Test(wire, negative_enum_is_in_range_but_not_a_value)
{
	pbw_uint(&inner, 1, (uint64_t)-1);         /* 10-byte -1 */
	pbw_str(&inner, 2, "ev");
	pbw_str(&inner, 4, "msg");
	pbw_envelope(&w, 10, &inner);
	cr_assert_eq(decode(&w), KP_PROTO_BAD_ENUM);
	cr_assert_str_eq(err.detail, "Log.level: -1 is not a Level");
}

Test(wire, malformed_encodings)
{
	static const struct {
		const char *what;
		uint8_t bytes[16];
		size_t len;
	} cases[] = {
		{ "varint tag cut", { 0x80 }, 1 },
		{ "field number 0", { 0x02, 0x00 }, 2 },
		{ "length past end", { 0x1a, 0x05, 0x0a, 0x01 }, 4 },
		{ "varint value cut", { 0x08, 0xff }, 2 },
		{ "start group", { 0x1b }, 1 },
		{ "end group", { 0x1c }, 1 },
		{ "wire type 6", { 0x1e }, 1 },
		{ "wire type 7", { 0x1f }, 1 },
		{ "64-bit cut", { 0x19, 1, 2, 3 }, 4 },
		{ "32-bit cut", { 0x1d, 1, 2 }, 3 },
		{ "11-byte varint", { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
		    0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, 12 },
		{ "varint over 64 bits", { 0x08, 0xff, 0xff, 0xff, 0xff,
		    0xff, 0xff, 0xff, 0xff, 0xff, 0x02 }, 11 },
		{ "tag over 32 bits", { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 },
		    6 },
		{ "inner length past end", { 0x1a, 0x02, 0x0a, 0x05 }, 4 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(w.buf, cases[i].bytes, cases[i].len);
		w.len = cases[i].len;
		cr_assert_eq(decode(&w), KP_PROTO_WIRE_MALFORMED, "%s: %s",
		    cases[i].what, kp_proto_status_name(err.status));
	}
}

Test(wire, fixed_width_value_for_a_known_field_is_wrong_type)
{
	uint8_t b[] = { 0x19, 1, 2, 3, 4, 5, 6, 7, 8 };   /* field 3, 64-bit */
	memcpy(w.buf, b, sizeof(b));
	w.len = sizeof(b);
	cr_assert_eq(decode(&w), KP_PROTO_WIRE_TYPE);
}

Test(wire, too_many_repeated_values_stop_before_unpack)
{
	pbw_uint(&inner, 1, 1);
	for (int i = 0; i <= KP_PROTO_SYNC_CHUNK_KEYS; i++)
		pbw_str(&inner, 2, "custom.a");
	pbw_envelope(&w, 5, &inner);
	cr_assert_eq(decode(&w), KP_PROTO_TOO_MANY_VALUES);
	cr_assert_str_eq(err.detail, "SyncKeys.keys: more than 256 values");
}

Test(wire, full_chunk_is_accepted)
{
	pbw_uint(&inner, 1, 1);
	for (int i = 0; i < KP_PROTO_SYNC_CHUNK_KEYS; i++)
		pbw_str(&inner, 2, "custom.a");
	pbw_envelope(&w, 5, &inner);
	cr_assert_eq(decode(&w), KP_PROTO_OK, "%s", err.detail);
	cr_assert_eq(m.env->sync_keys->n_keys, KP_PROTO_SYNC_CHUNK_KEYS);
}

Test(wire, overlong_but_valid_varint_is_accepted)
{
	/* 0x81 0x00 is 1 in two bytes: valid protobuf, same value for every
	 * reader, so not refused. */
	pbw_tag(&inner, 1, 0);
	pbw_byte(&inner, 0x81);
	pbw_byte(&inner, 0x00);
	pbw_envelope(&w, 4, &inner);
	cr_assert_eq(decode(&w), KP_PROTO_OK, "%s", err.detail);
	cr_assert_eq(m.env->sync_begin->generation, 1);
}
