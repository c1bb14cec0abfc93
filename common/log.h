/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One event per line on stderr, as text or JSON.  Every line names the
 * process and the event; profile events also name the key.  Messages are
 * formatted by the caller and must never contain profile text beyond the
 * offending token.
 */
#ifndef KP_LOG_H
#define KP_LOG_H

#include <stdbool.h>

enum kp_log_level {
	KP_LOG_DEBUG = 0,
	KP_LOG_INFO,
	KP_LOG_WARN,
	KP_LOG_ERROR,
};

enum kp_log_format {
	KP_LOG_TEXT = 0,
	KP_LOG_JSON,
};

/* process: "loader", "watcher", "check"... (a static string). */
void kp_log_init(const char *process, enum kp_log_level level,
    enum kp_log_format format);
bool kp_log_level_parse(const char *s, enum kp_log_level *out);
bool kp_log_format_parse(const char *s, enum kp_log_format *out);
const char *kp_log_level_name(enum kp_log_level level);
bool kp_log_enabled(enum kp_log_level level);

/* event: a short stable identifier ("profile_loaded"); key may be NULL. */
void kp_log(enum kp_log_level level, const char *event, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The same, naming the sha256 of the profile content the event is about:
 * a "sha256" field in JSON, " (sha256 X)" after the text message.  The
 * audit trail of what was loaded, refused or removed, and when. */
void kp_log_digest(enum kp_log_level level, const char *event, const char *key,
    const char *sha256, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Flush stdio and end the process without atexit handlers. */
void kp_exit(int status) __attribute__((noreturn));

/* Log at error level and kp_exit(status). */
void kp_fatal(int status, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

#endif /* KP_LOG_H */
