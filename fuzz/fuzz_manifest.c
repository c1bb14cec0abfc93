/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the YAML manifest reader, then the validator on every key it
 * could read.  The entry set must be well formed: sorted and unique keys,
 * data exactly when there is no read error, every limit respected.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/configmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_set(const struct kp_entry_set *set)
{
	if (set->count > KP_KEYS_MAX || set->count > set->capacity)
		abort();
	for (size_t i = 0; i < set->count; i++) {
		const struct kp_entry *e = &set->entries[i];
		if (e->key == NULL || strlen(e->key) > KP_ENTRY_KEY_MAX)
			abort();
		if (i > 0 && strcmp(set->entries[i - 1].key, e->key) >= 0)
			abort();
		if ((unsigned)e->read_error >= (unsigned)KP_REASON__COUNT)
			abort();
		if (memchr(e->message, '\0', sizeof(e->message)) == NULL)
			abort();
		if (e->read_error == KP_REASON_NONE) {
			if (e->data == NULL || e->len > KP_PROFILE_MAX_BYTES)
				abort();
		} else if (e->data != NULL || e->len != 0 ||
		    e->message[0] == '\0') {
			abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_entry_set set;
	char err[256];

	memset(err, 'x', sizeof(err));
	int rc = kp_manifest_read(data, size, &set, err, sizeof(err));
	if (memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	if (rc != 0) {
		if (rc != -1 || set.count != 0 || set.entries != NULL ||
		    err[0] == '\0')
			abort();
		return 0;
	}
	check_set(&set);
	for (size_t i = 0; i < set.count; i++) {
		const struct kp_entry *e = &set.entries[i];
		struct kp_verdict v;

		if (e->read_error != KP_REASON_NONE)
			continue;
		kp_validate(e->key, e->data, e->len, NULL, &v);
		if (v.accepted && v.error.reason != KP_REASON_NONE)
			abort();
		if (!v.accepted && v.error.reason == KP_REASON_NONE)
			abort();
	}
	kp_entry_set_free(&set);
	return 0;
}
