/* SPDX-License-Identifier: Apache-2.0 */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"

static const char *log_process = "kapparmor";
static enum kp_log_level log_min_level = KP_LOG_INFO;
static enum kp_log_format log_format = KP_LOG_TEXT;

static const char *const level_names[] = {
	[KP_LOG_DEBUG] = "debug",
	[KP_LOG_INFO] = "info",
	[KP_LOG_WARN] = "warn",
	[KP_LOG_ERROR] = "error",
};

void
kp_log_init(const char *process, enum kp_log_level level,
    enum kp_log_format format)
{
	log_process = process;
	log_min_level = level;
	log_format = format;
}

bool
kp_log_level_parse(const char *s, enum kp_log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum kp_log_level)i;
			return true;
		}
	}
	/* The original daemon documented "warning" too. */
	if (strcasecmp(s, "warning") == 0) {
		*out = KP_LOG_WARN;
		return true;
	}
	return false;
}

bool
kp_log_format_parse(const char *s, enum kp_log_format *out)
{
	if (strcasecmp(s, "text") == 0)
		*out = KP_LOG_TEXT;
	else if (strcasecmp(s, "json") == 0)
		*out = KP_LOG_JSON;
	else
		return false;
	return true;
}

const char *
kp_log_level_name(enum kp_log_level level)
{
	if ((unsigned)level > KP_LOG_ERROR)
		return "unknown";
	return level_names[level];
}

bool
kp_log_enabled(enum kp_log_level level)
{
	return level >= log_min_level;
}

static void
format_time(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000L);
}

__attribute__((format(printf, 5, 0)))
static void
log_emit(enum kp_log_level level, const char *event, const char *key,
    const char *sha256, const char *fmt, va_list ap)
{
	char when[40];
	char msg[1024];

	format_time(when, sizeof(when));
	vsnprintf(msg, sizeof(msg), fmt, ap);

	/* One fprintf per line keeps a line whole when both processes share
	 * stderr: stdio writes it with one write(2) under the buffer size. */
	char line[1536];
	FILE *f = fmemopen(line, sizeof(line), "w");
	if (f == NULL)
		return;
	if (log_format == KP_LOG_JSON) {
		fprintf(f, "{\"time\":\"%s\",\"level\":\"%s\",\"process\":", when,
		    level_names[level]);
		kp_json_write_cstr(f, log_process);
		fputs(",\"event\":", f);
		kp_json_write_cstr(f, event);
		if (key != NULL) {
			fputs(",\"key\":", f);
			kp_json_write_cstr(f, key);
		}
		if (sha256 != NULL) {
			fputs(",\"sha256\":", f);
			kp_json_write_cstr(f, sha256);
		}
		fputs(",\"msg\":", f);
		kp_json_write_cstr(f, msg);
		fputs("}\n", f);
	} else {
		fprintf(f, "%s %-5s %s[%s]: %s%s%s%s%s%s\n", when,
		    level_names[level], log_process, event,
		    key != NULL ? key : "", key != NULL ? ": " : "", msg,
		    sha256 != NULL ? " (sha256 " : "",
		    sha256 != NULL ? sha256 : "", sha256 != NULL ? ")" : "");
	}
	fflush(f);
	long used = ftell(f);
	fclose(f);
	if (used <= 0)
		return;
	if ((size_t)used >= sizeof(line)) {
		/* Truncated: keep the line terminated. */
		used = (long)sizeof(line) - 1;
		line[used - 1] = '\n';
	}
	fwrite(line, 1, (size_t)used, stderr);
	fflush(stderr);
}

void
kp_log(enum kp_log_level level, const char *event, const char *key,
    const char *fmt, ...)
{
	va_list ap;

	if (!kp_log_enabled(level))
		return;
	va_start(ap, fmt);
	log_emit(level, event, key, NULL, fmt, ap);
	va_end(ap);
}

void
kp_log_digest(enum kp_log_level level, const char *event, const char *key,
    const char *sha256, const char *fmt, ...)
{
	va_list ap;

	if (!kp_log_enabled(level))
		return;
	va_start(ap, fmt);
	log_emit(level, event, key, sha256, fmt, ap);
	va_end(ap);
}

void
kp_fatal(int status, const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(KP_LOG_ERROR, event, NULL, NULL, fmt, ap);
	va_end(ap);
	kp_exit(status);
}

void
kp_exit(int status)
{
	/* No atexit handlers: under a seccomp filter, LeakSanitizer's exit
	 * scan (sanitizer builds) would be killed for its clone and ptrace
	 * calls.  The leak check of this code runs unfiltered instead. */
	fflush(stdout);
	fflush(stderr);
	_exit(status);
}
