/* SPDX-License-Identifier: Apache-2.0 */
#include "common/numparse.h"

#include <errno.h>
#include <stdlib.h>

int
kp_parse_uint(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
