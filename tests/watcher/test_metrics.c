/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The watcher's metrics: how loader Results map to operation counters, the
 * exposition text, and the two Result fields (protocol 2) that feed the
 * parser histogram and build_info, through a real socketpair.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/message.h"
#include "watcher/metrics.h"

static char *
render(const struct kp_metrics *m, const struct kp_keytable *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	cr_assert_eq(kp_metrics_write(f, m, t), 0);
	cr_assert_eq(fclose(f), 0);
	return buf;
}

static void
result(struct kp_metrics *m, Kapparmor__Result__Op op,
    Kapparmor__Result__Status st, const char *reason, bool was_loaded)
{
	Kapparmor__Result r = KAPPARMOR__RESULT__INIT;

	r.op = op;
	r.status = st;
	r.reason = (char *)reason;
	kp_metrics_count_result(m, &r, was_loaded);
}

#define APPLY KAPPARMOR__RESULT__OP__APPLY
#define REMOVE KAPPARMOR__RESULT__OP__REMOVE

Test(metrics, results_map_to_operations)
{
	struct kp_metrics m;

	memset(&m, 0, sizeof(m));
	result(&m, APPLY, KAPPARMOR__RESULT__STATUS__LOADED, NULL, false);
	result(&m, APPLY, KAPPARMOR__RESULT__STATUS__LOADED, NULL, true);
	result(&m, APPLY, KAPPARMOR__RESULT__STATUS__UNCHANGED, NULL, true);
	result(&m, APPLY, KAPPARMOR__RESULT__STATUS__REJECTED, "hat", false);
	result(&m, APPLY, KAPPARMOR__RESULT__STATUS__PARSER_FAILED,
	    "compile-failed", true);
	result(&m, APPLY, KAPPARMOR__RESULT__STATUS__BACKOFF, NULL, false);
	result(&m, REMOVE, KAPPARMOR__RESULT__STATUS__REMOVED, NULL, true);
	result(&m, REMOVE, KAPPARMOR__RESULT__STATUS__REMOVAL_DEFERRED_IN_USE,
	    NULL, true);
	result(&m, REMOVE, KAPPARMOR__RESULT__STATUS__REMOVE_FAILED, NULL, true);
	result(&m, REMOVE, KAPPARMOR__RESULT__STATUS__NOT_MANAGED, NULL, false);

	cr_assert_eq(m.ops[KP_METRIC_OP_LOAD][KP_METRIC_RESULT_OK], 1);
	cr_assert_eq(m.ops[KP_METRIC_OP_REPLACE][KP_METRIC_RESULT_OK], 1);
	cr_assert_eq(m.ops[KP_METRIC_OP_SKIP][KP_METRIC_RESULT_OK], 1);
	cr_assert_eq(m.ops[KP_METRIC_OP_LOAD][KP_METRIC_RESULT_REJECTED], 1);
	cr_assert_eq(m.ops[KP_METRIC_OP_REPLACE][KP_METRIC_RESULT_FAILED], 1);
	cr_assert_eq(m.ops[KP_METRIC_OP_SKIP][KP_METRIC_RESULT_FAILED], 1);
	cr_assert_eq(m.ops[KP_METRIC_OP_REMOVE][KP_METRIC_RESULT_OK], 1);
	cr_assert_eq(m.ops[KP_METRIC_OP_REMOVE][KP_METRIC_RESULT_DEFERRED], 1);
	cr_assert_eq(m.ops[KP_METRIC_OP_REMOVE][KP_METRIC_RESULT_FAILED], 1);
	uint64_t total = 0;
	for (int i = 0; i < KP_METRIC_OP__COUNT; i++)
		for (int j = 0; j < KP_METRIC_RESULT__COUNT; j++)
			total += m.ops[i][j];
	cr_assert_eq(total, 9, "NOT_MANAGED counts nothing");
	/* Only the loader's validator refusal counts as a rejection reason. */
	cr_assert_eq(m.rejections[KP_REASON_HAT], 1);
	cr_assert_eq(m.rejections[KP_REASON_COMPILE_FAILED], 0);
}

Test(metrics, exposition_lines)
{
	struct kp_metrics m;
	struct kp_key_state keys[3];
	struct kp_keytable t = { .keys = keys, .count = 3, .capacity = 3 };

	memset(&m, 0, sizeof(m));
	memset(keys, 0, sizeof(keys));
	keys[0].present = true;
	keys[0].loaded = true;
	keys[1].present = true;
	keys[2].present = false;
	keys[2].loaded = true;
	keys[2].have_result = true;
	keys[2].last_status = KAPPARMOR__RESULT__STATUS__REMOVAL_DEFERRED_IN_USE;
	kp_metrics_count_op(&m, KP_METRIC_OP_LOAD, KP_METRIC_RESULT_OK);
	kp_metrics_count_rejection(&m, KP_REASON_BAD_BYTE);
	kp_histogram_observe(&m.parser, 0.02);
	kp_histogram_observe(&m.parser, 100);
	snprintf(m.parser_version, sizeof(m.parser_version), "3.0.8");
	m.last_sync = 1795790000.5;

	char *s = render(&m, &t);
	static const char *const want[] = {
		"# TYPE kapparmor_profiles_managed gauge\nkapparmor_profiles_managed 2\n",
		"\nkapparmor_profiles_desired 2\n",
		"\nkapparmor_removals_deferred_in_use 1\n",
		"\nkapparmor_profile_operations_total{operation=\"load\",result=\"ok\"} 1\n",
		"\nkapparmor_profile_operations_total{operation=\"skip\",result=\"deferred\"} 0\n",
		"\nkapparmor_validation_rejections_total{reason=\"bad-byte\"} 1\n",
		"\nkapparmor_parser_duration_seconds_bucket{le=\"0.01\"} 0\n",
		"\nkapparmor_parser_duration_seconds_bucket{le=\"0.025\"} 1\n",
		"\nkapparmor_parser_duration_seconds_bucket{le=\"60\"} 1\n",
		"\nkapparmor_parser_duration_seconds_bucket{le=\"+Inf\"} 2\n",
		"\nkapparmor_parser_duration_seconds_sum 100.020000\n",
		"\nkapparmor_parser_duration_seconds_count 2\n",
		"\nkapparmor_sync_duration_seconds_count 0\n",
		"\nkapparmor_last_successful_sync_timestamp_seconds 1795790000.5\n",
		"\nkapparmor_build_info{version=\"" KP_VERSION "\",parser_version=\"3.0.8\"} 1\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_assert_not_null(strstr(s, want[i]), "missing %s", want[i]);
	cr_assert_null(strstr(s, "reason=\"ok\""), "NONE is not a reason");
	free(s);
}

Test(metrics, result_fields_of_protocol_2_round_trip)
{
	int sv[2];
	struct kp_msg m;
	struct kp_proto_error err;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	cr_assert_eq(kp_msg_init(&m), 0);
	struct kp_msg_result apply = {
		.op = APPLY, .key = "custom.a",
		.status = KAPPARMOR__RESULT__STATUS__LOADED,
		.has_duration = true, .duration_ms = 1234,
		.parser_version = "ignored for apply",
	};
	cr_assert_eq(kp_msg_send_result(sv[0], &apply, &err), KP_PROTO_OK,
	    "%s", err.detail);
	cr_assert_eq(kp_msg_recv(sv[1], &m, &err), KP_PROTO_OK, "%s",
	    err.detail);
	cr_assert(m.env->result->has_duration_ms);
	cr_assert_eq(m.env->result->duration_ms, 1234);
	cr_assert_null(m.env->result->parser_version);

	struct kp_msg_result sync = {
		.op = KAPPARMOR__RESULT__OP__SYNC,
		.status = KAPPARMOR__RESULT__STATUS__SYNCED, .generation = 7,
		.has_duration = true, .duration_ms = 5,
		.parser_version = "3.0.8",
	};
	cr_assert_eq(kp_msg_send_result(sv[0], &sync, &err), KP_PROTO_OK,
	    "%s", err.detail);
	cr_assert_eq(kp_msg_recv(sv[1], &m, &err), KP_PROTO_OK, "%s",
	    err.detail);
	cr_assert(!m.env->result->has_duration_ms, "only with apply");
	cr_assert_str_eq(m.env->result->parser_version, "3.0.8");
	kp_msg_fini(&m);
	close(sv[0]);
	close(sv[1]);
}
