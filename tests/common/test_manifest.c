/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The YAML manifest reader: multi-document streams, which documents count,
 * the whole-input refusals (anchors, aliases, tags, depth, size, syntax)
 * and the per-key ones (binaryData, duplicates, non-string values).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/configmap.h"

static int
read_str(const char *yaml, struct kp_entry_set *set, char *err, size_t errlen)
{
	return kp_manifest_read((const unsigned char *)yaml, strlen(yaml), set,
	    err, errlen);
}

static void
read_ok(const char *yaml, struct kp_entry_set *set)
{
	char err[256] = "unset";
	int rc = read_str(yaml, set, err, sizeof(err));
	cr_assert_eq(rc, 0, "read failed: %s", err);
	cr_assert_str_empty(err);
}

static void
read_fails(const char *yaml, const char *expect_in_err)
{
	struct kp_entry_set set;
	char err[256] = "";
	int rc = read_str(yaml, &set, err, sizeof(err));
	cr_assert_eq(rc, -1);
	cr_assert_eq(set.count, 0);
	cr_assert_null(set.entries);
	cr_assert_not_null(strstr(err, expect_in_err), "err was: %s", err);
}

static const struct kp_entry *
entry(const struct kp_entry_set *set, const char *key)
{
	const struct kp_entry *e = kp_entry_set_find(set, key);
	cr_assert_not_null(e, "no entry %s", key);
	return e;
}

static void
assert_data(const struct kp_entry_set *set, const char *key, const char *want)
{
	const struct kp_entry *e = entry(set, key);
	cr_assert_eq(e->read_error, KP_REASON_NONE, "%s: %s", key, e->message);
	cr_assert_not_null(e->data);
	cr_assert_eq(e->len, strlen(want), "%s: len %zu", key, e->len);
	cr_assert_eq(memcmp(e->data, want, e->len), 0);
}

static void
assert_error(const struct kp_entry_set *set, const char *key,
    enum kp_reason reason)
{
	const struct kp_entry *e = entry(set, key);
	cr_assert_eq(e->read_error, reason, "%s: got %s (%s)", key,
	    kp_reason_code(e->read_error), e->message);
	cr_assert_null(e->data);
	cr_assert_str_not_empty(e->message);
}

#define PROFILE_A \
	"#include <tunables/global>\n" \
	"profile custom.a {\n" \
	"  /tmp/** rw,\n" \
	"}\n"

Test(manifest, single_configmap_literal_block)
{
	struct kp_entry_set set;

	read_ok("apiVersion: v1\n"
	    "kind: ConfigMap\n"
	    "metadata:\n"
	    "  name: kapparmor-profiles\n"
	    "data:\n"
	    "  custom.a: |\n"
	    "    #include <tunables/global>\n"
	    "    profile custom.a {\n"
	    "      /tmp/** rw,\n"
	    "    }\n", &set);
	cr_assert_eq(set.count, 1);
	assert_data(&set, "custom.a", PROFILE_A);
	kp_entry_set_free(&set);
}

Test(manifest, data_before_kind_as_kubectl_prints_it)
{
	struct kp_entry_set set;

	read_ok("apiVersion: v1\n"
	    "data:\n"
	    "  custom.b: \"x\\n\"\n"
	    "  custom.a: 'y'\n"
	    "kind: ConfigMap\n"
	    "metadata: {name: p, namespace: default}\n", &set);
	cr_assert_eq(set.count, 2);
	cr_assert_str_eq(set.entries[0].key, "custom.a");
	cr_assert_str_eq(set.entries[1].key, "custom.b");
	assert_data(&set, "custom.a", "y");
	assert_data(&set, "custom.b", "x\n");
	kp_entry_set_free(&set);
}

Test(manifest, multi_document_keeps_only_configmaps)
{
	struct kp_entry_set set;

	read_ok("---\n"
	    "apiVersion: v1\n"
	    "kind: Secret\n"
	    "data:\n"
	    "  custom.secret: c2VjcmV0\n"
	    "---\n"
	    "kind: ConfigMap\n"
	    "data:\n"
	    "  custom.one: one\n"
	    "---\n"
	    "---\n"
	    "kind: Deployment\n"
	    "spec: {template: {spec: {containers: [{name: x}]}}}\n"
	    "data: [not, a, mapping]\n"
	    "---\n"
	    "kind: ConfigMap\n"
	    "data:\n"
	    "  custom.two: two\n"
	    "...\n", &set);
	cr_assert_eq(set.count, 2);
	assert_data(&set, "custom.one", "one");
	assert_data(&set, "custom.two", "two");
	cr_assert_null(kp_entry_set_find(&set, "custom.secret"));
	kp_entry_set_free(&set);
}

Test(manifest, kubectl_list_of_configmaps)
{
	struct kp_entry_set set;

	read_ok("apiVersion: v1\n"
	    "items:\n"
	    "- apiVersion: v1\n"
	    "  data:\n"
	    "    custom.a: a\n"
	    "  kind: ConfigMap\n"
	    "- apiVersion: v1\n"
	    "  data:\n"
	    "    custom.s: s\n"
	    "  kind: Secret\n"
	    "- kind: ConfigMap\n"
	    "  data: {custom.b: b}\n"
	    "kind: List\n"
	    "metadata: {resourceVersion: \"\"}\n", &set);
	cr_assert_eq(set.count, 2);
	assert_data(&set, "custom.a", "a");
	assert_data(&set, "custom.b", "b");
	kp_entry_set_free(&set);
}

Test(manifest, items_of_other_kinds_do_not_count)
{
	read_fails("kind: Something\n"
	    "items:\n"
	    "- kind: ConfigMap\n"
	    "  data: {custom.a: a}\n", "no object of kind ConfigMap");
}

Test(manifest, configmap_without_data_is_empty)
{
	struct kp_entry_set set;

	read_ok("kind: ConfigMap\nmetadata: {name: x}\n", &set);
	cr_assert_eq(set.count, 0);
	kp_entry_set_free(&set);
	read_ok("kind: ConfigMap\ndata:\n", &set);
	cr_assert_eq(set.count, 0);
	kp_entry_set_free(&set);
	read_ok("kind: ConfigMap\ndata: {}\nbinaryData: ~\n", &set);
	cr_assert_eq(set.count, 0);
	kp_entry_set_free(&set);
}

Test(manifest, no_configmap_is_an_error)
{
	read_fails("kind: Secret\ndata: {custom.a: a}\n",
	    "no object of kind ConfigMap");
	read_fails("kind: configmap\ndata: {custom.a: a}\n",
	    "no object of kind ConfigMap");
}

Test(manifest, empty_input_is_an_error)
{
	read_fails("", "no object of kind ConfigMap");
	read_fails("# only a comment\n", "no object of kind ConfigMap");
	read_fails("---\n---\n", "no object of kind ConfigMap");
}

Test(manifest, anchors_are_refused)
{
	read_fails("kind: ConfigMap\n"
	    "data:\n"
	    "  custom.a: &x hello\n", "anchors");
	read_fails("kind: ConfigMap\n"
	    "metadata: &m {name: x}\n"
	    "data: {}\n", "anchors");
}

Test(manifest, aliases_are_refused_even_in_ignored_documents)
{
	/* Billion laughs, in a document that would otherwise be ignored. */
	read_fails("kind: ConfigMap\n"
	    "data: {}\n"
	    "---\n"
	    "kind: Other\n"
	    "a: &a [x, x, x, x, x, x, x, x, x]\n"
	    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	    "c: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n", "anchors");
	/* An alias without a (refused) anchor is still refused as an alias:
	 * libyaml does not check that the anchor exists. */
	read_fails("kind: ConfigMap\n"
	    "data:\n"
	    "  custom.a: *undefined\n", "aliases");
}

Test(manifest, tags_other_than_str_are_refused)
{
	struct kp_entry_set set;

	read_fails("kind: ConfigMap\ndata:\n  custom.a: !!binary aGVsbG8=\n",
	    "tags");
	read_fails("kind: ConfigMap\ndata: !!map {custom.a: a}\n", "tags");
	read_fails("kind: ConfigMap\ndata:\n  custom.a: !custom a\n", "tags");
	read_fails("kind: ConfigMap\ndata:\n  custom.a: ! a\n", "tags");
	read_ok("kind: ConfigMap\ndata:\n  custom.a: !!str a\n", &set);
	assert_data(&set, "custom.a", "a");
	kp_entry_set_free(&set);
}

Test(manifest, binary_data_keys_are_rejected_entries)
{
	struct kp_entry_set set;

	read_ok("kind: ConfigMap\n"
	    "data:\n"
	    "  custom.a: a\n"
	    "binaryData:\n"
	    "  custom.bin: aGVsbG8=\n"
	    "  custom.binmap: {a: b}\n", &set);
	cr_assert_eq(set.count, 3);
	assert_data(&set, "custom.a", "a");
	assert_error(&set, "custom.bin", KP_REASON_BINARY_DATA);
	assert_error(&set, "custom.binmap", KP_REASON_BINARY_DATA);
	kp_entry_set_free(&set);
}

Test(manifest, duplicate_keys_collapse_to_one_rejected_entry)
{
	struct kp_entry_set set;

	read_ok("kind: ConfigMap\n"
	    "data:\n"
	    "  custom.a: one\n"
	    "  custom.b: b\n"
	    "  custom.a: two\n", &set);
	cr_assert_eq(set.count, 2);
	assert_error(&set, "custom.a", KP_REASON_DUPLICATE_KEY);
	assert_data(&set, "custom.b", "b");
	kp_entry_set_free(&set);
}

Test(manifest, duplicate_across_data_and_binary_data)
{
	struct kp_entry_set set;

	read_ok("kind: ConfigMap\n"
	    "data: {custom.a: a}\n"
	    "binaryData: {custom.a: YQ==}\n", &set);
	cr_assert_eq(set.count, 1);
	assert_error(&set, "custom.a", KP_REASON_DUPLICATE_KEY);
	kp_entry_set_free(&set);
}

Test(manifest, duplicate_across_documents)
{
	struct kp_entry_set set;

	read_ok("kind: ConfigMap\ndata: {custom.a: a}\n"
	    "---\n"
	    "kind: ConfigMap\ndata: {custom.a: a}\n", &set);
	cr_assert_eq(set.count, 1);
	assert_error(&set, "custom.a", KP_REASON_DUPLICATE_KEY);
	kp_entry_set_free(&set);
}

Test(manifest, duplicate_top_level_fields_are_refused)
{
	read_fails("kind: ConfigMap\ndata: {custom.a: a}\ndata: {custom.b: b}\n",
	    "duplicate key \"data\"");
	read_fails("kind: Secret\nkind: ConfigMap\ndata: {}\n",
	    "duplicate key \"kind\"");
}

Test(manifest, nested_values_are_rejected_entries)
{
	struct kp_entry_set set;

	read_ok("kind: ConfigMap\n"
	    "data:\n"
	    "  custom.map: {a: b}\n"
	    "  custom.seq:\n"
	    "  - x\n"
	    "  custom.ok: fine\n", &set);
	cr_assert_eq(set.count, 3);
	assert_error(&set, "custom.map", KP_REASON_READ_ERROR);
	assert_error(&set, "custom.seq", KP_REASON_READ_ERROR);
	cr_assert_str_eq(entry(&set, "custom.seq")->message,
	    "value is a sequence, not a string");
	assert_data(&set, "custom.ok", "fine");
	kp_entry_set_free(&set);
}

Test(manifest, data_not_a_mapping_in_a_configmap_is_refused)
{
	read_fails("kind: ConfigMap\ndata: [custom.a]\n", "must map");
	read_fails("kind: ConfigMap\ndata: text\n", "must map");
	read_fails("kind: ConfigMap\ndata: {[x]: y}\n", "must map");
}

Test(manifest, quoted_empty_data_is_not_null)
{
	/* Only a plain empty value or ~/null means "no data". */
	read_fails("kind: ConfigMap\ndata: \"\"\n", "must map");
}

Test(manifest, list_items_must_be_a_sequence)
{
	read_fails("kind: List\nitems: {kind: ConfigMap}\n",
	    "no object of kind ConfigMap");
	read_fails("kind: List\nitems:\n- just a string\n- [nested]\n",
	    "no object of kind ConfigMap");
}

Test(manifest, nested_list_is_not_expanded)
{
	/* kind: List only at the top of a document. */
	read_fails("kind: List\nitems:\n- kind: List\n  items:\n"
	    "  - kind: ConfigMap\n    data: {custom.a: a}\n",
	    "no object of kind ConfigMap");
}

Test(manifest, documents_must_be_mappings)
{
	read_fails("kind: ConfigMap\ndata: {}\n---\n[1, 2]\n", "must be a mapping");
	read_fails("just a string\n", "must be a mapping");
}

Test(manifest, object_keys_must_be_scalars)
{
	read_fails("? [a, b]\n: c\nkind: ConfigMap\n", "keys must be strings");
	read_fails("kind: [ConfigMap]\n", "kind must be a string");
}

Test(manifest, value_bytes_are_passed_exactly)
{
	struct kp_entry_set set;

	/* libyaml decodes escapes; a NUL or non-ASCII byte reaches the
	 * validator unchanged, which rejects it. */
	read_ok("kind: ConfigMap\n"
	    "data:\n"
	    "  custom.nul: \"a\\0b\"\n"
	    "  custom.utf8: \"\\u00e9\"\n"
	    "  custom.folded: >\n"
	    "    one\n"
	    "    two\n"
	    "  custom.keep: |+\n"
	    "    x\n"
	    "\n", &set);
	const struct kp_entry *e = entry(&set, "custom.nul");
	cr_assert_eq(e->len, 3);
	cr_assert_eq(memcmp(e->data, "a\0b", 3), 0);
	e = entry(&set, "custom.utf8");
	cr_assert_eq(e->len, 2);
	cr_assert_eq(memcmp(e->data, "\xc3\xa9", 2), 0);
	assert_data(&set, "custom.folded", "one two\n");
	assert_data(&set, "custom.keep", "x\n\n");
	kp_entry_set_free(&set);
}

Test(manifest, empty_value_has_non_null_data)
{
	struct kp_entry_set set;

	read_ok("kind: ConfigMap\ndata:\n  custom.a: \"\"\n  custom.b:\n", &set);
	assert_data(&set, "custom.a", "");
	assert_data(&set, "custom.b", "");
	kp_entry_set_free(&set);
}

Test(manifest, key_with_nul_is_mangled_and_rejected)
{
	struct kp_entry_set set;

	/* "custom.a\0x" must never become the key "custom.a". */
	read_ok("kind: ConfigMap\ndata:\n  \"custom.a\\0x\": a\n", &set);
	cr_assert_eq(set.count, 1);
	cr_assert_null(kp_entry_set_find(&set, "custom.a"));
	assert_error(&set, "custom.a?x", KP_REASON_KEY_FORMAT);
	kp_entry_set_free(&set);
}

Test(manifest, overlong_key_is_cut_and_rejected)
{
	struct kp_entry_set set;
	char yaml[1024];
	char key[401];

	memset(key, 'k', 400);
	key[400] = '\0';
	snprintf(yaml, sizeof(yaml), "kind: ConfigMap\ndata:\n  \"%s\": a\n", key);
	read_ok(yaml, &set);
	cr_assert_eq(set.count, 1);
	cr_assert_eq(strlen(set.entries[0].key), KP_ENTRY_KEY_MAX);
	cr_assert_eq(set.entries[0].read_error, KP_REASON_KEY_FORMAT);
	kp_entry_set_free(&set);
}

static char *
big_value_manifest(size_t value_len)
{
	const char *head = "kind: ConfigMap\ndata:\n  custom.big: \"";
	size_t hl = strlen(head);
	char *buf = malloc(hl + value_len + 3);
	cr_assert_not_null(buf);
	memcpy(buf, head, hl);
	memset(buf + hl, 'a', value_len);
	memcpy(buf + hl + value_len, "\"\n", 3);
	return buf;
}

Test(manifest, value_size_cap_is_exact)
{
	struct kp_entry_set set;
	char *yaml = big_value_manifest(KP_PROFILE_MAX_BYTES);

	read_ok(yaml, &set);
	cr_assert_eq(entry(&set, "custom.big")->len, KP_PROFILE_MAX_BYTES);
	kp_entry_set_free(&set);
	free(yaml);
	yaml = big_value_manifest(KP_PROFILE_MAX_BYTES + 1);
	read_ok(yaml, &set);
	assert_error(&set, "custom.big", KP_REASON_TOO_LARGE);
	kp_entry_set_free(&set);
	free(yaml);
}

Test(manifest, oversized_input_is_refused_before_parsing)
{
	struct kp_entry_set set;
	char err[128];
	size_t len = KP_MANIFEST_MAX_BYTES + 1;
	unsigned char *buf = malloc(len);

	cr_assert_not_null(buf);
	/* Valid YAML up to the last byte: only the size can refuse it. */
	memset(buf, ' ', len);
	memcpy(buf, "kind: ConfigMap\n", 16);
	cr_assert_eq(kp_manifest_read(buf, len, &set, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "larger than"), "%s", err);
	cr_assert_eq(kp_manifest_read(buf, len - 1, &set, err, sizeof(err)), 0,
	    "%s", err);
	kp_entry_set_free(&set);
	free(buf);
}

static char *
nested(int depth)
{
	size_t cap = (size_t)depth * 2 + 64;
	char *buf = malloc(cap);
	cr_assert_not_null(buf);
	strcpy(buf, "kind: ConfigMap\nx: ");
	size_t n = strlen(buf);
	for (int i = 0; i < depth; i++)
		buf[n++] = '[';
	for (int i = 0; i < depth; i++)
		buf[n++] = ']';
	buf[n++] = '\n';
	buf[n] = '\0';
	return buf;
}

Test(manifest, nesting_depth_is_capped)
{
	struct kp_entry_set set;
	/* The document's own mapping is one level. */
	char *ok = nested(KP_MANIFEST_MAX_DEPTH - 1);
	char *deep = nested(KP_MANIFEST_MAX_DEPTH);
	char *huge = nested(1000000);

	read_ok(ok, &set);
	kp_entry_set_free(&set);
	read_fails(deep, "nested deeper");
	read_fails(huge, "nested deeper");
	free(ok);
	free(deep);
	free(huge);
}

Test(manifest, too_many_keys_is_refused, .timeout = 60)
{
	struct kp_entry_set set;
	size_t cap = (size_t)(KP_KEYS_MAX + 1) * 32 + 64;
	char *buf = malloc(cap);
	cr_assert_not_null(buf);
	size_t n = (size_t)sprintf(buf, "kind: ConfigMap\ndata:\n");
	for (int i = 0; i < KP_KEYS_MAX; i++)
		n += (size_t)sprintf(buf + n, "  custom.k%05d: x\n", i);
	read_ok(buf, &set);
	cr_assert_eq(set.count, KP_KEYS_MAX);
	kp_entry_set_free(&set);
	sprintf(buf + n, "  custom.more: x\n");
	read_fails(buf, "too-many-keys");
	free(buf);
}

Test(manifest, too_many_keys_across_documents, .timeout = 60)
{
	size_t cap = (size_t)(KP_KEYS_MAX + 1) * 64 + 64;
	char *buf = malloc(cap);
	cr_assert_not_null(buf);
	size_t n = 0;
	for (int i = 0; i <= KP_KEYS_MAX; i++)
		n += (size_t)sprintf(buf + n,
		    "---\nkind: ConfigMap\ndata: {custom.k%05d: x}\n", i);
	read_fails(buf, "too-many-keys");
	free(buf);
}

Test(manifest, many_keys_in_an_ignored_document_are_fine, .timeout = 60)
{
	struct kp_entry_set set;
	size_t cap = (size_t)(KP_KEYS_MAX + 10) * 32 + 128;
	char *buf = malloc(cap);
	cr_assert_not_null(buf);
	size_t n = (size_t)sprintf(buf, "kind: Secret\ndata:\n");
	for (int i = 0; i < KP_KEYS_MAX + 5; i++)
		n += (size_t)sprintf(buf + n, "  k%05d: x\n", i);
	sprintf(buf + n, "---\nkind: ConfigMap\ndata: {custom.a: a}\n");
	read_ok(buf, &set);
	cr_assert_eq(set.count, 1);
	kp_entry_set_free(&set);
	free(buf);
}

Test(manifest, invalid_yaml_reports_the_line)
{
	read_fails("kind: ConfigMap\ndata:\n  custom.a: \"unterminated\n",
	    "YAML syntax error at line");
	read_fails("kind: ConfigMap\ndata:\n\tcustom.a: tab\n",
	    "YAML syntax error at line 3");
	read_fails("kind: ConfigMap\n\x01\n", "YAML syntax error");
}

Test(manifest, utf16_with_bom_is_decoded)
{
	struct kp_entry_set set;
	const char *ascii = "kind: ConfigMap\ndata: {custom.a: a}\n";
	size_t n = strlen(ascii);
	unsigned char *buf = malloc(2 + 2 * n);

	cr_assert_not_null(buf);
	buf[0] = 0xff;
	buf[1] = 0xfe;
	for (size_t i = 0; i < n; i++) {
		buf[2 + 2 * i] = (unsigned char)ascii[i];
		buf[3 + 2 * i] = 0;
	}
	char err[128];
	cr_assert_eq(kp_manifest_read(buf, 2 + 2 * n, &set, err, sizeof(err)), 0,
	    "%s", err);
	assert_data(&set, "custom.a", "a");
	kp_entry_set_free(&set);
	free(buf);
}
