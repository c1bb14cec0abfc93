/* SPDX-License-Identifier: Apache-2.0 */
#include "common/errbuf.h"

#include <stdarg.h>
#include <stdio.h>

void
kp_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
