/* SPDX-License-Identifier: Apache-2.0 */
#include <criterion/criterion.h>
#include <string.h>

#include "common/sha256.h"

/* FIPS 180-2 test vectors. */
Test(sha256, empty)
{
	char out[KP_SHA256_HEX_LEN + 1];

	kp_sha256_hex(NULL, 0, out);
	cr_assert_str_eq(out,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

Test(sha256, abc)
{
	char out[KP_SHA256_HEX_LEN + 1];

	kp_sha256_hex("abc", 3, out);
	cr_assert_str_eq(out,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

Test(sha256, two_blocks)
{
	const char *msg =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char out[KP_SHA256_HEX_LEN + 1];

	kp_sha256_hex(msg, strlen(msg), out);
	cr_assert_str_eq(out,
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

Test(sha256, embedded_nul_counts)
{
	char a[KP_SHA256_HEX_LEN + 1], b[KP_SHA256_HEX_LEN + 1];

	kp_sha256_hex("a\0b", 3, a);
	kp_sha256_hex("a", 1, b);
	cr_assert_str_neq(a, b);
}

Test(sha256, hex_validity)
{
	cr_assert(kp_sha256_hex_is_valid(
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	/* upper case, short, long, non-hex */
	cr_assert_not(kp_sha256_hex_is_valid(
	    "E3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	cr_assert_not(kp_sha256_hex_is_valid(
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85"));
	cr_assert_not(kp_sha256_hex_is_valid(
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8550"));
	cr_assert_not(kp_sha256_hex_is_valid(
	    "g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	cr_assert_not(kp_sha256_hex_is_valid(""));
}
