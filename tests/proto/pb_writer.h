/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hand-written protobuf encodings for tests that need bytes no correct
 * encoder produces (two bodies, a field twice, a NUL in a string...).
 * Independent of protobuf-c on purpose.  Used by the tests and by
 * gen_frame_seeds.c.
 */
#ifndef KP_TESTS_PB_WRITER_H
#define KP_TESTS_PB_WRITER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Writing past the buffer is a bug of the test itself. */
#define PBW_CHECK(cond) do { if (!(cond)) abort(); } while (0)

struct pbw {
	uint8_t buf[80 * 1024];
	size_t len;
};

static inline void
pbw_byte(struct pbw *w, uint8_t b)
{
	PBW_CHECK(w->len < sizeof(w->buf));
	w->buf[w->len++] = b;
}

static inline void
pbw_varint(struct pbw *w, uint64_t v)
{
	while (v >= 0x80) {
		pbw_byte(w, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	pbw_byte(w, (uint8_t)v);
}

static inline void
pbw_bytes(struct pbw *w, const void *p, size_t n)
{
	PBW_CHECK(n <= sizeof(w->buf) - w->len);
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static inline void
pbw_tag(struct pbw *w, uint32_t field, unsigned wire_type)
{
	pbw_varint(w, (uint64_t)field << 3 | wire_type);
}

static inline void
pbw_uint(struct pbw *w, uint32_t field, uint64_t v)
{
	pbw_tag(w, field, 0);
	pbw_varint(w, v);
}

static inline void
pbw_len(struct pbw *w, uint32_t field, const void *p, size_t n)
{
	pbw_tag(w, field, 2);
	pbw_varint(w, n);
	pbw_bytes(w, p, n);
}

static inline void
pbw_str(struct pbw *w, uint32_t field, const char *s)
{
	pbw_len(w, field, s, strlen(s));
}

/* Wrap inner as Envelope field `body`. */
static inline void
pbw_envelope(struct pbw *out, uint32_t body, const struct pbw *inner)
{
	pbw_len(out, body, inner->buf, inner->len);
}

#endif /* KP_TESTS_PB_WRITER_H */
