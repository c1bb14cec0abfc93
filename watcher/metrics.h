/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The watcher's counters and their Prometheus text exposition (format
 * 0.0.4).  Counters only ever grow; gauges are computed from the key table
 * at scrape time, so they cannot drift from what /status shows.
 */
#ifndef KP_WATCHER_METRICS_H
#define KP_WATCHER_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include "common/reason.h"
#include "proto/kapparmor.pb-c.h"
#include "watcher/keytable.h"

enum kp_metric_op {
	KP_METRIC_OP_LOAD,
	KP_METRIC_OP_REPLACE,
	KP_METRIC_OP_REMOVE,
	KP_METRIC_OP_SKIP,
	KP_METRIC_OP__COUNT,
};

enum kp_metric_result {
	KP_METRIC_RESULT_OK,
	KP_METRIC_RESULT_REJECTED,
	KP_METRIC_RESULT_FAILED,
	KP_METRIC_RESULT_DEFERRED,
	KP_METRIC_RESULT__COUNT,
};

/* Upper bounds in seconds, shared by both histograms: a parser run takes
 * milliseconds to the parser timeout (30 s by default); a sync as long as
 * its parser runs. */
#define KP_METRICS_BUCKETS 13
#define KP_METRICS_VERSION_MAX 64

struct kp_histogram {
	uint64_t buckets[KP_METRICS_BUCKETS];   /* not cumulative */
	uint64_t count;
	double sum;
};

struct kp_metrics {
	uint64_t ops[KP_METRIC_OP__COUNT][KP_METRIC_RESULT__COUNT];
	uint64_t rejections[KP_REASON__COUNT];
	struct kp_histogram parser;
	struct kp_histogram sync;
	double last_sync;            /* unix time of the last sync, 0 none */
	char parser_version[KP_METRICS_VERSION_MAX];
};

void kp_metrics_count_op(struct kp_metrics *m, enum kp_metric_op op,
    enum kp_metric_result result);
void kp_metrics_count_rejection(struct kp_metrics *m, enum kp_reason reason);
/* The same by the reason's stable string (from the loader); unknown codes
 * are not counted. */
void kp_metrics_count_rejection_code(struct kp_metrics *m, const char *code);
void kp_histogram_observe(struct kp_histogram *h, double seconds);

/* Count one Result from the loader.  was_loaded: a profile of this key was
 * already loaded before it (a LOADED is then a replace). */
void kp_metrics_count_result(struct kp_metrics *m, const Kapparmor__Result *r,
    bool was_loaded);

/* Write the whole exposition.  Returns 0, or -1 on a write error. */
int kp_metrics_write(FILE *f, const struct kp_metrics *m,
    const struct kp_keytable *t);

#endif /* KP_WATCHER_METRICS_H */
