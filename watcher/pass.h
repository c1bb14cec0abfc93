/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One reconcile pass of the watcher: read a consistent snapshot of the
 * ConfigMap, validate every key, then offer the loader, one request at a
 * time, an Apply for each new or changed valid profile, a Remove for each
 * key that left, and finally the complete key set (a sync).  Only one
 * request is in flight, so memory and the socket's queue stay bounded and
 * the loader's answers arrive in order.
 */
#ifndef KP_WATCHER_PASS_H
#define KP_WATCHER_PASS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/configmap.h"
#include "proto/message.h"
#include "watcher/keytable.h"
#include "watcher/metrics.h"

enum kp_pass_phase {
	KP_PASS_IDLE = 0,
	KP_PASS_APPLY,     /* walking the snapshot, sending Applies */
	KP_PASS_REMOVE,    /* sending Removes for keys that left */
	KP_PASS_SYNC,      /* sending the key set */
	KP_PASS_WAIT_SYNC, /* waiting for the loader's SYNCED */
};

struct kp_pass {
	enum kp_pass_phase phase;
	struct kp_entry_set snap;
	size_t cursor;
	uint64_t generation;
	/* The one request in flight. */
	bool waiting;
	Kapparmor__Result__Op waiting_op;
	char waiting_key[KP_KEY_MAX_LEN + 1];
	int64_t started_ms;         /* CLOCK_MONOTONIC, for the metric */
	/* Outcome, for --once. */
	unsigned rejected;
	unsigned failed;
};

struct kp_watcher_ctx {
	int sock;
	const char *configmap_dir;
	enum kp_policy policy;
	struct kp_keytable table;
	struct kp_pass pass;
	uint64_t generation;
	char last_snapshot_error[160];
	bool synced_once;           /* a whole pass has finished */
	struct kp_metrics metrics;
};

/* Start a pass.  Returns false when the snapshot could not be read (logged
 * once per distinct reason): nothing is sent then, so nothing is removed. */
bool kp_pass_start(struct kp_watcher_ctx *w);

/* Send requests until one is in flight or the pass is done.  Returns -1 on
 * a send failure (the loader is gone), else 0. */
int kp_pass_step(struct kp_watcher_ctx *w);

/* A Result from the loader, solicited or not.  Returns true when it
 * completed the pass (the SYNCED of our generation). */
bool kp_pass_on_result(struct kp_watcher_ctx *w, const Kapparmor__Result *r);

bool kp_pass_active(const struct kp_watcher_ctx *w);

#endif /* KP_WATCHER_PASS_H */
