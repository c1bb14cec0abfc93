/* SPDX-License-Identifier: Apache-2.0 */
#include "common/allowlist.h"

#include <string.h>

/* The tables hold a few dozen names; a linear scan is simpler to trust than a
 * sorted search and costs nothing next to the rest of validation. */
static bool
name_equals(const char *entry, const char *name, size_t len)
{
	return strlen(entry) == len && memcmp(entry, name, len) == 0;
}

static bool
in_list(const char *const *list, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++) {
		if (name_equals(list[i], name, len))
			return true;
	}
	return false;
}

bool
kp_abi_is_allowed(const char *name, size_t len)
{
	return in_list(kp_abi_allowlist, kp_abi_allowlist_len, name, len);
}

const struct kp_abstraction *
kp_abstraction_find(const char *name, size_t len)
{
	for (size_t i = 0; i < kp_abstraction_allowlist_len; i++) {
		if (name_equals(kp_abstraction_allowlist[i].name, name, len))
			return &kp_abstraction_allowlist[i];
	}
	return NULL;
}

const struct kp_tunable *
kp_tunable_find(const char *name, size_t len)
{
	for (size_t i = 0; i < kp_tunable_allowlist_len; i++) {
		if (name_equals(kp_tunable_allowlist[i].name, name, len))
			return &kp_tunable_allowlist[i];
	}
	return NULL;
}

int
kp_variable_find(const char *name, size_t len)
{
	for (size_t i = 0; i < kp_variables_len; i++) {
		if (name_equals(kp_variables[i].name, name, len))
			return (int)i;
	}
	return -1;
}
