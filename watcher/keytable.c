/* SPDX-License-Identifier: Apache-2.0 */
#include "watcher/keytable.h"

#include <stdlib.h>
#include <string.h>

/* Keys that left the ConfigMap stay while their removal is pending. */
#define KEYTABLE_MAX (2 * (size_t)KP_KEYS_MAX)

void
kp_keytable_init(struct kp_keytable *t)
{
	memset(t, 0, sizeof(*t));
}

void
kp_keytable_free(struct kp_keytable *t)
{
	free(t->keys);
	memset(t, 0, sizeof(*t));
}

/* Index of key, or of where it would be inserted. */
static size_t
lower_bound(const struct kp_keytable *t, const char *key, bool *found)
{
	size_t lo = 0, hi = t->count;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(t->keys[mid].key, key);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct kp_key_state *
kp_keytable_find(struct kp_keytable *t, const char *key)
{
	bool found;
	size_t i = lower_bound(t, key, &found);

	return found ? &t->keys[i] : NULL;
}

struct kp_key_state *
kp_keytable_get(struct kp_keytable *t, const char *key)
{
	bool found;
	size_t i = lower_bound(t, key, &found);

	if (found)
		return &t->keys[i];
	if (strlen(key) > KP_KEY_MAX_LEN || t->count >= KEYTABLE_MAX)
		return NULL;
	if (t->count == t->capacity) {
		size_t cap = t->capacity ? t->capacity * 2 : 64;
		if (cap > KEYTABLE_MAX)
			cap = KEYTABLE_MAX;
		struct kp_key_state *n = reallocarray(t->keys, cap, sizeof(*n));
		if (n == NULL)
			return NULL;
		t->keys = n;
		t->capacity = cap;
	}
	memmove(&t->keys[i + 1], &t->keys[i],
	    (t->count - i) * sizeof(t->keys[0]));
	t->count++;
	memset(&t->keys[i], 0, sizeof(t->keys[i]));
	memcpy(t->keys[i].key, key, strlen(key) + 1);
	return &t->keys[i];
}

void
kp_keytable_delete(struct kp_keytable *t, const char *key)
{
	bool found;
	size_t i = lower_bound(t, key, &found);

	if (!found)
		return;
	memmove(&t->keys[i], &t->keys[i + 1],
	    (t->count - i - 1) * sizeof(t->keys[0]));
	t->count--;
}

bool
kp_result_wants_retry(Kapparmor__Result__Status status)
{
	switch (status) {
	case KAPPARMOR__RESULT__STATUS__LOADED:
	case KAPPARMOR__RESULT__STATUS__UNCHANGED:
	case KAPPARMOR__RESULT__STATUS__REJECTED:
	case KAPPARMOR__RESULT__STATUS__REMOVED:
	case KAPPARMOR__RESULT__STATUS__NOT_MANAGED:
	case KAPPARMOR__RESULT__STATUS__SYNCED:
	/* The loader decides at start-up whether AppArmor is there; offering
	 * again before it restarts would only repeat the same answer. */
	case KAPPARMOR__RESULT__STATUS__UNAVAILABLE:
		return false;
	case KAPPARMOR__RESULT__STATUS__PARSER_FAILED:
	case KAPPARMOR__RESULT__STATUS__PARSER_TIMEOUT:
	case KAPPARMOR__RESULT__STATUS__REMOVAL_DEFERRED_IN_USE:
	case KAPPARMOR__RESULT__STATUS__WRITE_FAILED:
	case KAPPARMOR__RESULT__STATUS__REMOVE_FAILED:
	case KAPPARMOR__RESULT__STATUS__BACKOFF:
	case _KAPPARMOR__RESULT__STATUS_IS_INT_SIZE:
		return true;
	}
	return true;
}
