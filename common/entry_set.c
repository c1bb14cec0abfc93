/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The entry set both ConfigMap readers produce.  Growth is bounded by
 * KP_KEYS_MAX, so a hostile ConfigMap cannot make a reader allocate more
 * than that many slots.
 */
#include "common/configmap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENTRY_SET_INITIAL_CAPACITY 16

void
kp_entry_set_free(struct kp_entry_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->count; i++) {
		free(set->entries[i].key);
		free(set->entries[i].data);
	}
	free(set->entries);
	set->entries = NULL;
	set->count = 0;
	set->capacity = 0;
}

static int
entry_set_reserve(struct kp_entry_set *set)
{
	if (set->count < set->capacity)
		return 0;
	size_t cap = set->capacity ? set->capacity * 2 : ENTRY_SET_INITIAL_CAPACITY;
	if (cap > KP_KEYS_MAX)
		cap = KP_KEYS_MAX;
	if (cap <= set->count)
		return -1;
	struct kp_entry *grown = reallocarray(set->entries, cap, sizeof(*grown));
	if (grown == NULL)
		return -1;
	set->entries = grown;
	set->capacity = cap;
	return 0;
}

struct kp_entry *
kp_entry_set_add(struct kp_entry_set *set, const char *key, size_t keylen)
{
	if (set->count >= KP_KEYS_MAX || entry_set_reserve(set) != 0)
		return NULL;
	char *copy = strndup(key, keylen);
	if (copy == NULL)
		return NULL;
	struct kp_entry *e = &set->entries[set->count++];
	memset(e, 0, sizeof(*e));
	e->key = copy;
	e->read_error = KP_REASON_NONE;
	return e;
}

static int
entry_compare(const void *a, const void *b)
{
	const struct kp_entry *ea = a, *eb = b;

	return strcmp(ea->key, eb->key);
}

void
kp_entry_set_sort(struct kp_entry_set *set)
{
	if (set->count > 1)
		qsort(set->entries, set->count, sizeof(set->entries[0]),
		    entry_compare);
}

const struct kp_entry *
kp_entry_set_find(const struct kp_entry_set *set, const char *key)
{
	struct kp_entry probe = { .key = (char *)key };

	if (set->count == 0)
		return NULL;
	return bsearch(&probe, set->entries, set->count,
	    sizeof(set->entries[0]), entry_compare);
}

void
kp_entry_fail(struct kp_entry *e, enum kp_reason reason, const char *fmt, ...)
{
	va_list ap;

	free(e->data);
	e->data = NULL;
	e->len = 0;
	e->read_error = reason;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}
