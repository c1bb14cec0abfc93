/* SPDX-License-Identifier: Apache-2.0 */
#include "watcher/metrics.h"

#include <string.h>

static const double bucket_bounds[KP_METRICS_BUCKETS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
};

static const char *const op_names[KP_METRIC_OP__COUNT] = {
	[KP_METRIC_OP_LOAD] = "load",
	[KP_METRIC_OP_REPLACE] = "replace",
	[KP_METRIC_OP_REMOVE] = "remove",
	[KP_METRIC_OP_SKIP] = "skip",
};

static const char *const result_names[KP_METRIC_RESULT__COUNT] = {
	[KP_METRIC_RESULT_OK] = "ok",
	[KP_METRIC_RESULT_REJECTED] = "rejected",
	[KP_METRIC_RESULT_FAILED] = "failed",
	[KP_METRIC_RESULT_DEFERRED] = "deferred",
};

void
kp_metrics_count_op(struct kp_metrics *m, enum kp_metric_op op,
    enum kp_metric_result result)
{
	if (op < KP_METRIC_OP__COUNT && result < KP_METRIC_RESULT__COUNT)
		m->ops[op][result]++;
}

void
kp_metrics_count_rejection(struct kp_metrics *m, enum kp_reason reason)
{
	if (reason > KP_REASON_NONE && reason < KP_REASON__COUNT)
		m->rejections[reason]++;
}

void
kp_metrics_count_rejection_code(struct kp_metrics *m, const char *code)
{
	if (code == NULL)
		return;
	for (int i = KP_REASON_NONE + 1; i < KP_REASON__COUNT; i++) {
		if (strcmp(kp_reason_code((enum kp_reason)i), code) == 0) {
			m->rejections[i]++;
			return;
		}
	}
}

void
kp_histogram_observe(struct kp_histogram *h, double seconds)
{
	if (seconds < 0)
		seconds = 0;
	for (size_t i = 0; i < KP_METRICS_BUCKETS; i++) {
		if (seconds <= bucket_bounds[i]) {
			h->buckets[i]++;
			break;
		}
	}
	h->count++;
	h->sum += seconds;
}

void
kp_metrics_count_result(struct kp_metrics *m, const Kapparmor__Result *r,
    bool was_loaded)
{
	enum kp_metric_op apply_op = was_loaded ? KP_METRIC_OP_REPLACE :
	    KP_METRIC_OP_LOAD;

	switch (r->status) {
	case KAPPARMOR__RESULT__STATUS__LOADED:
		kp_metrics_count_op(m, apply_op, KP_METRIC_RESULT_OK);
		break;
	case KAPPARMOR__RESULT__STATUS__UNCHANGED:
		kp_metrics_count_op(m, KP_METRIC_OP_SKIP, KP_METRIC_RESULT_OK);
		break;
	case KAPPARMOR__RESULT__STATUS__REJECTED:
		kp_metrics_count_op(m, apply_op, KP_METRIC_RESULT_REJECTED);
		kp_metrics_count_rejection_code(m, r->reason);
		break;
	case KAPPARMOR__RESULT__STATUS__PARSER_FAILED:
	case KAPPARMOR__RESULT__STATUS__PARSER_TIMEOUT:
	case KAPPARMOR__RESULT__STATUS__WRITE_FAILED:
	case KAPPARMOR__RESULT__STATUS__UNAVAILABLE:
		kp_metrics_count_op(m, r->op == KAPPARMOR__RESULT__OP__REMOVE ?
		    KP_METRIC_OP_REMOVE : apply_op, KP_METRIC_RESULT_FAILED);
		break;
	case KAPPARMOR__RESULT__STATUS__BACKOFF:
		/* Known-bad content the loader did not try again. */
		kp_metrics_count_op(m, KP_METRIC_OP_SKIP,
		    KP_METRIC_RESULT_FAILED);
		break;
	case KAPPARMOR__RESULT__STATUS__REMOVED:
		kp_metrics_count_op(m, KP_METRIC_OP_REMOVE, KP_METRIC_RESULT_OK);
		break;
	case KAPPARMOR__RESULT__STATUS__REMOVAL_DEFERRED_IN_USE:
		kp_metrics_count_op(m, KP_METRIC_OP_REMOVE,
		    KP_METRIC_RESULT_DEFERRED);
		break;
	case KAPPARMOR__RESULT__STATUS__REMOVE_FAILED:
		kp_metrics_count_op(m, KP_METRIC_OP_REMOVE,
		    KP_METRIC_RESULT_FAILED);
		break;
	case KAPPARMOR__RESULT__STATUS__NOT_MANAGED:
	case KAPPARMOR__RESULT__STATUS__SYNCED:
	case _KAPPARMOR__RESULT__STATUS_IS_INT_SIZE:
	default:
		break;
	}
}

static void
write_label_value(FILE *f, const char *s)
{
	/* Exposition-format label escaping: backslash, quote, newline. */
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void
write_histogram(FILE *f, const char *name, const char *help,
    const struct kp_histogram *h)
{
	uint64_t cum = 0;

	fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (size_t i = 0; i < KP_METRICS_BUCKETS; i++) {
		cum += h->buckets[i];
		fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", name, bucket_bounds[i],
		    (unsigned long long)cum);
	}
	fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n", name,
	    (unsigned long long)h->count);
	fprintf(f, "%s_sum %.6f\n%s_count %llu\n", name, h->sum, name,
	    (unsigned long long)h->count);
}

static void
write_gauge(FILE *f, const char *name, const char *help, double v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n%s %.15g\n", name, help,
	    name, name, v);
}

int
kp_metrics_write(FILE *f, const struct kp_metrics *m,
    const struct kp_keytable *t)
{
	size_t managed = 0, desired = 0, deferred = 0;

	for (size_t i = 0; i < t->count; i++) {
		const struct kp_key_state *ks = &t->keys[i];
		if (ks->loaded)
			managed++;
		if (ks->present)
			desired++;
		if (!ks->present && ks->have_result && ks->last_status ==
		    KAPPARMOR__RESULT__STATUS__REMOVAL_DEFERRED_IN_USE)
			deferred++;
	}
	write_gauge(f, "kapparmor_profiles_managed",
	    "Profiles from the ConfigMap loaded on this node by Kapparmor.",
	    (double)managed);
	write_gauge(f, "kapparmor_profiles_desired",
	    "Profile keys in the ConfigMap (valid or not).", (double)desired);

	fputs("# HELP kapparmor_profile_operations_total Profile operations "
	    "on this node by operation and result.\n"
	    "# TYPE kapparmor_profile_operations_total counter\n", f);
	for (int op = 0; op < KP_METRIC_OP__COUNT; op++) {
		for (int res = 0; res < KP_METRIC_RESULT__COUNT; res++)
			fprintf(f, "kapparmor_profile_operations_total{"
			    "operation=\"%s\",result=\"%s\"} %llu\n",
			    op_names[op], result_names[res],
			    (unsigned long long)m->ops[op][res]);
	}

	fputs("# HELP kapparmor_validation_rejections_total Profiles refused "
	    "by the validator, by reason code.\n"
	    "# TYPE kapparmor_validation_rejections_total counter\n", f);
	for (int i = KP_REASON_NONE + 1; i < KP_REASON__COUNT; i++)
		fprintf(f, "kapparmor_validation_rejections_total{reason=\"%s\"} "
		    "%llu\n", kp_reason_code((enum kp_reason)i),
		    (unsigned long long)m->rejections[i]);

	write_histogram(f, "kapparmor_parser_duration_seconds",
	    "Time apparmor_parser took per profile load or replace.",
	    &m->parser);
	write_histogram(f, "kapparmor_sync_duration_seconds",
	    "Time from the start of a reconcile pass to the loader's sync.",
	    &m->sync);
	write_gauge(f, "kapparmor_last_successful_sync_timestamp_seconds",
	    "Unix time the last reconcile pass finished (0: none yet).",
	    m->last_sync);
	write_gauge(f, "kapparmor_removals_deferred_in_use",
	    "Removed keys whose profile is kept because a task still uses it.",
	    (double)deferred);

	fputs("# HELP kapparmor_build_info Kapparmor's version and "
	    "apparmor_parser's, as a constant 1.\n"
	    "# TYPE kapparmor_build_info gauge\n"
	    "kapparmor_build_info{version=\"", f);
	write_label_value(f, KP_VERSION);
	fputs("\",parser_version=\"", f);
	write_label_value(f, m->parser_version[0] != '\0' ?
	    m->parser_version : "unknown");
	fputs("\"} 1\n", f);
	return ferror(f) ? -1 : 0;
}
