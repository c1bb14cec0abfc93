/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The loader's side of the protocol, in the manner of OpenSSH's monitor:
 * one dispatch table keyed by message type, each entry naming the states in
 * which that message is permitted.  A message not permitted in the current
 * state, an undecodable or oversize frame, or an unknown type is a
 * protocol violation and ends the session (the caller exits non-zero and
 * the watcher dies with it).  Operational failures are Results.
 */
#ifndef KP_LOADER_MONITOR_H
#define KP_LOADER_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "loader/reconcile.h"
#include "proto/message.h"

enum kp_monitor_state {
	KP_MON_HELLO = 1 << 0,    /* waiting for the watcher's Hello */
	KP_MON_READY = 1 << 1,    /* between syncs */
	KP_MON_SYNCING = 1 << 2,  /* between SyncBegin and SyncEnd */
};

struct kp_monitor {
	enum kp_monitor_state state;
	int sock;
	struct kp_loader *loader;
	/* The sync being received. */
	uint64_t sync_generation;
	char **sync_keys;
	size_t sync_nkeys;
	bool send_failed;
};

void kp_monitor_init(struct kp_monitor *mon, int sock, struct kp_loader *L);
void kp_monitor_fini(struct kp_monitor *mon);

/* Handle one decoded message.  Returns 0, or -1 on a protocol violation
 * (already logged). */
int kp_monitor_dispatch(struct kp_monitor *mon, const struct kp_msg *m);

/* The result sink for kp_loader: sends each Result to the watcher. */
void kp_monitor_send_result(void *arg, const struct kp_result *r);

#endif /* KP_LOADER_MONITOR_H */
