/* SPDX-License-Identifier: Apache-2.0 */
#include "watcher/pass.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/sha256.h"
#include "common/validator.h"

static bool
status_is_success(Kapparmor__Result__Status s)
{
	return s == KAPPARMOR__RESULT__STATUS__LOADED ||
	    s == KAPPARMOR__RESULT__STATUS__UNCHANGED;
}

static void
set_rejected(struct kp_key_state *ks, const struct kp_diag *d)
{
	ks->verdict = KP_KEY_REJECTED;
	ks->reason = d->reason;
	ks->line = d->line;
	memcpy(ks->message, d->message, sizeof(ks->message));
}

static int64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A new refusal by the watcher's validator: the Apply it replaces would
 * have been a load or a replace. */
static void
count_rejection(struct kp_watcher_ctx *w, const struct kp_key_state *ks,
    enum kp_reason reason)
{
	kp_metrics_count_op(&w->metrics, ks->loaded ? KP_METRIC_OP_REPLACE :
	    KP_METRIC_OP_LOAD, KP_METRIC_RESULT_REJECTED);
	kp_metrics_count_rejection(&w->metrics, reason);
}

/* Validate one entry of the snapshot into the table; log a rejection only
 * when something about it changed, so a quiet resync logs nothing. */
static void
judge_entry(struct kp_watcher_ctx *w, const struct kp_entry *e)
{
	struct kp_validator_opts vopts = { .policy = w->policy };
	struct kp_verdict v;
	char sha[KP_SHA256_HEX_LEN + 1];
	struct kp_key_state *ks = kp_keytable_get(&w->table, e->key);

	if (ks == NULL)
		return; /* cannot happen: the reader caps the key count */
	ks->remove_offered = false;
	if (e->read_error != KP_REASON_NONE) {
		struct kp_diag d = { .reason = e->read_error, .line = 0 };
		memcpy(d.message, e->message, sizeof(d.message));
		sha[0] = '\0';
		/* Not ks->present: kp_pass_start() cleared it for every key
		 * before judging them. */
		bool same = ks->verdict == KP_KEY_REJECTED &&
		    ks->reason == d.reason && ks->sha256[0] == '\0';
		set_rejected(ks, &d);
		ks->sha256[0] = '\0';
		if (!same) {
			ks->changed = time(NULL);
			count_rejection(w, ks, d.reason);
			kp_log(KP_LOG_WARN, "profile_rejected", e->key,
			    "Profile %s rejected: %s: %s", e->key,
			    kp_reason_code(d.reason), d.message);
		}
		ks->present = true;
		w->pass.rejected++;
		return;
	}

	kp_sha256_hex(e->data, e->len, sha);
	/* A new key's sha256 is empty, so it never matches. */
	bool same_content = strcmp(ks->sha256, sha) == 0;
	memcpy(ks->sha256, sha, sizeof(sha));
	ks->present = true;
	if (same_content && ks->verdict == KP_KEY_REJECTED) {
		w->pass.rejected++;
		return; /* already judged and logged */
	}
	kp_validate(e->key, e->data, e->len, &vopts, &v);
	if (!v.accepted) {
		set_rejected(ks, &v.error);
		w->pass.rejected++;
		if (!same_content) {
			ks->changed = time(NULL);
			count_rejection(w, ks, v.error.reason);
			kp_log(KP_LOG_WARN, "profile_rejected", e->key,
			    "Profile %s rejected: %s: line %u: %s (sha256 %s)",
			    e->key, kp_reason_code(v.error.reason), v.error.line,
			    v.error.message, sha);
		}
		return;
	}
	ks->verdict = KP_KEY_ACCEPTED;
	ks->reason = KP_REASON_NONE;
	ks->message[0] = '\0';
	if (!same_content) {
		ks->changed = time(NULL);
		for (size_t i = 0; i < v.nwarnings; i++)
			kp_log_digest(KP_LOG_WARN, "profile_warning", e->key,
			    sha, "Profile %s: warning: %s: line %u: %s", e->key,
			    kp_reason_code(v.warnings[i].reason),
			    v.warnings[i].line, v.warnings[i].message);
	}
}

bool
kp_pass_start(struct kp_watcher_ctx *w)
{
	char err[160];
	struct kp_pass *p = &w->pass;

	memset(p, 0, sizeof(*p));
	if (kp_configmap_read_path(w->configmap_dir, &p->snap, err,
	    sizeof(err)) != 0) {
		if (strcmp(err, w->last_snapshot_error) != 0) {
			kp_log(KP_LOG_WARN, "configmap_unreadable", NULL,
			    "cannot read a consistent snapshot of %s: %s; "
			    "nothing is changed until it can be read",
			    w->configmap_dir, err);
			snprintf(w->last_snapshot_error,
			    sizeof(w->last_snapshot_error), "%s", err);
		}
		return false;
	}
	if (w->last_snapshot_error[0] != '\0') {
		kp_log(KP_LOG_INFO, "configmap_readable", NULL,
		    "%s can be read again", w->configmap_dir);
		w->last_snapshot_error[0] = '\0';
	}

	/* Mark every known key absent, then present the ones we see. */
	for (size_t i = 0; i < w->table.count; i++)
		w->table.keys[i].present = false;

	for (size_t i = 0; i < p->snap.count; i++) {
		const struct kp_entry *e = &p->snap.entries[i];
		if (!kp_key_is_valid(e->key, strlen(e->key))) {
			/* Not ours: never sent, never part of the key set. */
			p->rejected++;
			kp_log(KP_LOG_DEBUG, "key_ignored", NULL,
			    "ignoring ConfigMap key '%.80s': %s", e->key,
			    kp_reason_code(KP_REASON_KEY_FORMAT));
			continue;
		}
		judge_entry(w, e);
	}
	p->generation = ++w->generation;
	p->phase = KP_PASS_APPLY;
	p->started_ms = monotonic_ms();
	return true;
}

static int
send_failed(const struct kp_proto_error *err)
{
	kp_log(KP_LOG_ERROR, "send_failed", NULL, "sending to the loader: %s: %s",
	    kp_proto_status_name(err->status), err->detail);
	return -1;
}

static void
wait_for(struct kp_pass *p, Kapparmor__Result__Op op, const char *key)
{
	p->waiting = true;
	p->waiting_op = op;
	snprintf(p->waiting_key, sizeof(p->waiting_key), "%s",
	    key != NULL ? key : "");
}

/* The next Apply of this pass, if any.  An Apply is offered when the
 * content is new or changed since the loader last answered for it, or when
 * that answer asked for a retry. */
static const struct kp_entry *
next_apply(struct kp_watcher_ctx *w)
{
	struct kp_pass *p = &w->pass;

	while (p->cursor < p->snap.count) {
		const struct kp_entry *e = &p->snap.entries[p->cursor++];
		struct kp_key_state *ks = kp_keytable_find(&w->table, e->key);
		if (ks == NULL || !ks->present || ks->verdict != KP_KEY_ACCEPTED)
			continue;
		if (ks->have_result && strcmp(ks->applied_sha256, ks->sha256) == 0 &&
		    !kp_result_wants_retry(ks->last_status))
			continue;
		return e;
	}
	return NULL;
}

/* The next key that left the ConfigMap and was not yet offered as a
 * Remove; the loader takes care of it on every later sync anyway. */
static struct kp_key_state *
next_remove(struct kp_watcher_ctx *w)
{
	for (size_t i = 0; i < w->table.count; i++) {
		struct kp_key_state *ks = &w->table.keys[i];
		if (!ks->present && !ks->remove_offered)
			return ks;
	}
	return NULL;
}

int
kp_pass_step(struct kp_watcher_ctx *w)
{
	struct kp_pass *p = &w->pass;
	struct kp_proto_error err;

	while (!p->waiting) {
		switch (p->phase) {
		case KP_PASS_IDLE:
		case KP_PASS_WAIT_SYNC:
			return 0;
		case KP_PASS_APPLY: {
			const struct kp_entry *e = next_apply(w);
			if (e == NULL) {
				p->phase = KP_PASS_REMOVE;
				break;
			}
			if (kp_msg_send_apply(w->sock, e->key, e->data, e->len,
			    NULL, &err) != KP_PROTO_OK)
				return send_failed(&err);
			struct kp_key_state *ks = kp_keytable_find(&w->table,
			    e->key);
			/* Remember which content this answer will be for. */
			memcpy(ks->applied_sha256, ks->sha256,
			    sizeof(ks->applied_sha256));
			ks->have_result = false;
			wait_for(p, KAPPARMOR__RESULT__OP__APPLY, e->key);
			break;
		}
		case KP_PASS_REMOVE: {
			struct kp_key_state *ks = next_remove(w);
			if (ks == NULL) {
				p->phase = KP_PASS_SYNC;
				break;
			}
			ks->remove_offered = true;
			if (kp_msg_send_remove(w->sock, ks->key, &err) !=
			    KP_PROTO_OK)
				return send_failed(&err);
			wait_for(p, KAPPARMOR__RESULT__OP__REMOVE, ks->key);
			break;
		}
		case KP_PASS_SYNC: {
			/* Every present key with a valid name, valid content or
			 * not: a rejected update never retires the old one. */
			const char **keys = calloc(w->table.count + 1,
			    sizeof(*keys));
			size_t n = 0;
			if (keys == NULL) {
				kp_log(KP_LOG_ERROR, "out_of_memory", NULL,
				    "cannot build the key set");
				return -1;
			}
			for (size_t i = 0; i < w->table.count; i++) {
				if (w->table.keys[i].present)
					keys[n++] = w->table.keys[i].key;
			}
			enum kp_proto_status st = kp_msg_send_sync(w->sock,
			    p->generation, keys, n, &err);
			free(keys);
			if (st != KP_PROTO_OK)
				return send_failed(&err);
			p->phase = KP_PASS_WAIT_SYNC;
			wait_for(p, KAPPARMOR__RESULT__OP__SYNC, NULL);
			break;
		}
		}
	}
	return 0;
}

bool
kp_pass_on_result(struct kp_watcher_ctx *w, const Kapparmor__Result *r)
{
	struct kp_pass *p = &w->pass;
	const char *key = r->key != NULL ? r->key : "";

	if (r->has_duration_ms)
		kp_histogram_observe(&w->metrics.parser,
		    (double)r->duration_ms / 1000.0);
	if (r->op == KAPPARMOR__RESULT__OP__SYNC) {
		if (r->parser_version != NULL)
			snprintf(w->metrics.parser_version,
			    sizeof(w->metrics.parser_version), "%s",
			    r->parser_version);
		if (p->waiting && p->waiting_op == KAPPARMOR__RESULT__OP__SYNC &&
		    r->has_generation && r->generation == p->generation) {
			p->waiting = false;
			p->phase = KP_PASS_IDLE;
			kp_entry_set_free(&p->snap);
			w->synced_once = true;
			kp_histogram_observe(&w->metrics.sync,
			    (double)(monotonic_ms() - p->started_ms) / 1000.0);
			struct timespec now;
			clock_gettime(CLOCK_REALTIME, &now);
			/* Milliseconds are enough for a scrape. */
			long ms = now.tv_nsec / 1000000;
			w->metrics.last_sync = (double)now.tv_sec +
			    (double)ms / 1000.0;
			return true;
		}
		return false;
	}

	struct kp_key_state *ks = kp_keytable_find(&w->table, key);
	kp_metrics_count_result(&w->metrics, r, ks != NULL && ks->loaded);
	if (ks != NULL) {
		if (status_is_success(r->status))
			ks->loaded = true;
		else if (r->status == KAPPARMOR__RESULT__STATUS__REMOVED ||
		    r->status == KAPPARMOR__RESULT__STATUS__NOT_MANAGED)
			ks->loaded = false;
		snprintf(ks->result_reason, sizeof(ks->result_reason), "%s",
		    r->reason != NULL ? r->reason : "");
		ks->have_result = true;
		ks->last_status = r->status;
		ks->changed = time(NULL);
		if (r->op == KAPPARMOR__RESULT__OP__APPLY &&
		    !status_is_success(r->status))
			p->failed++;
		/* A key that left is forgotten once the loader is done
		 * with it; a deferred removal keeps it (pending_removal). */
		if (!ks->present &&
		    (r->status == KAPPARMOR__RESULT__STATUS__REMOVED ||
		    r->status == KAPPARMOR__RESULT__STATUS__NOT_MANAGED))
			kp_keytable_delete(&w->table, key);
	}
	if (p->waiting && p->waiting_op == r->op &&
	    strcmp(p->waiting_key, key) == 0)
		p->waiting = false;
	return false;
}

bool
kp_pass_active(const struct kp_watcher_ctx *w)
{
	return w->pass.phase != KP_PASS_IDLE;
}
