/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The watcher's view of every key: what the ConfigMap holds, what the
 * validator said, and what the loader last reported.  It decides which keys
 * need an Apply in a pass, and later feeds /status and the metrics.
 */
#ifndef KP_WATCHER_KEYTABLE_H
#define KP_WATCHER_KEYTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "common/limits.h"
#include "common/reason.h"
#include "common/sha256.h"
#include "proto/kapparmor.pb-c.h"

#define KP_RESULT_REASON_MAX 40

enum kp_key_verdict {
	KP_KEY_ACCEPTED,     /* valid: sent (or to be sent) to the loader */
	KP_KEY_REJECTED,     /* refused by the watcher's validator or reader */
};

struct kp_key_state {
	char key[KP_KEY_MAX_LEN + 1];
	char sha256[KP_SHA256_HEX_LEN + 1];  /* of the current content */
	enum kp_key_verdict verdict;
	enum kp_reason reason;               /* when rejected */
	unsigned line;
	char message[KP_MESSAGE_MAX_LEN];
	/* What the loader last said about an Apply of this key, and for
	 * which content: no Apply is sent again for the same content unless
	 * the loader's answer asks for a retry. */
	char applied_sha256[KP_SHA256_HEX_LEN + 1];
	bool have_result;
	Kapparmor__Result__Status last_status;
	/* The loader's reason code for a failed or refused Apply/Remove,
	 * for /status. */
	char result_reason[KP_RESULT_REASON_MAX];
	bool loaded;                         /* a profile of ours is loaded */
	time_t changed;                      /* CLOCK_REALTIME of last change */
	bool present;                        /* in the latest snapshot */
	bool remove_offered;                 /* left, and a Remove was sent */
};

struct kp_keytable {
	struct kp_key_state *keys;  /* sorted by key */
	size_t count;
	size_t capacity;
};

void kp_keytable_init(struct kp_keytable *t);
void kp_keytable_free(struct kp_keytable *t);
struct kp_key_state *kp_keytable_find(struct kp_keytable *t, const char *key);
/* Find or insert (kept sorted).  NULL when full (KP_KEYS_MAX * 2). */
struct kp_key_state *kp_keytable_get(struct kp_keytable *t, const char *key);
void kp_keytable_delete(struct kp_keytable *t, const char *key);

/* Does this Result status mean the same content should be offered again at
 * the next full resync?  (Parser failures are kept back by the loader's own
 * backoff, so offering again is cheap.) */
bool kp_result_wants_retry(Kapparmor__Result__Status status);

#endif /* KP_WATCHER_KEYTABLE_H */
