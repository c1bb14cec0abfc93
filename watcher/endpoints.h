/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the watcher's HTTP endpoint says: liveness from the loader's recent
 * answers, readiness from the first finished reconcile, the metrics and the
 * per-key /status document, all rendered from the watcher's own state.
 */
#ifndef KP_WATCHER_ENDPOINTS_H
#define KP_WATCHER_ENDPOINTS_H

#include <stdint.h>
#include <stdio.h>

#include "watcher/http.h"
#include "watcher/pass.h"

/* /healthz: healthy while the loader answered (any message) within this
 * window; the watcher heartbeats every 5 s when idle, so three missed
 * heartbeats make it unhealthy. */
#define KP_HEALTH_WINDOW_MS       15000
/* While a request is in flight the loader may be running apparmor_parser,
 * which its timeout bounds (at most 600 s); allow that plus a margin. */
#define KP_HEALTH_BUSY_WINDOW_MS  630000

struct kp_endpoints {
	struct kp_watcher_ctx *w;
	int64_t loader_seen_ms;     /* CLOCK_MONOTONIC of its last message */
};

/* The state name /status gives a key: loaded, unchanged, rejected,
 * failed, pending_removal, or pending (no answer from the loader yet). */
const char *kp_key_state_name(const struct kp_key_state *ks);

/* Write the /status document. */
int kp_status_write(FILE *f, const struct kp_watcher_ctx *w);

/* The kp_http_render_fn for the watcher; arg is a struct kp_endpoints. */
int kp_endpoints_render(void *arg, enum kp_http_route route,
    struct kp_http_reply *out);

#endif /* KP_WATCHER_ENDPOINTS_H */
