/* SPDX-License-Identifier: Apache-2.0 */
#include "watcher/endpoints.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/json.h"

static int64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
kp_key_state_name(const struct kp_key_state *ks)
{
	if (!ks->present)
		return "pending_removal";
	if (ks->verdict == KP_KEY_REJECTED)
		return "rejected";
	if (!ks->have_result)
		return "pending";
	switch (ks->last_status) {
	case KAPPARMOR__RESULT__STATUS__LOADED:
		return "loaded";
	case KAPPARMOR__RESULT__STATUS__UNCHANGED:
		return "unchanged";
	case KAPPARMOR__RESULT__STATUS__REJECTED:
		return "rejected";
	case KAPPARMOR__RESULT__STATUS__PARSER_FAILED:
	case KAPPARMOR__RESULT__STATUS__PARSER_TIMEOUT:
	case KAPPARMOR__RESULT__STATUS__REMOVED:
	case KAPPARMOR__RESULT__STATUS__REMOVAL_DEFERRED_IN_USE:
	case KAPPARMOR__RESULT__STATUS__WRITE_FAILED:
	case KAPPARMOR__RESULT__STATUS__NOT_MANAGED:
	case KAPPARMOR__RESULT__STATUS__REMOVE_FAILED:
	case KAPPARMOR__RESULT__STATUS__UNAVAILABLE:
	case KAPPARMOR__RESULT__STATUS__BACKOFF:
	case KAPPARMOR__RESULT__STATUS__SYNCED:
	case _KAPPARMOR__RESULT__STATUS_IS_INT_SIZE:
	default:
		return "failed";
	}
}

/* The loader's words for a status without a reason code. */
static const char *
status_reason(Kapparmor__Result__Status s)
{
	switch (s) {
	case KAPPARMOR__RESULT__STATUS__PARSER_FAILED: return "parser-failed";
	case KAPPARMOR__RESULT__STATUS__PARSER_TIMEOUT: return "parser-timeout";
	case KAPPARMOR__RESULT__STATUS__REMOVAL_DEFERRED_IN_USE:
		return "in-use";
	case KAPPARMOR__RESULT__STATUS__WRITE_FAILED: return "write-failed";
	case KAPPARMOR__RESULT__STATUS__REMOVE_FAILED: return "remove-failed";
	case KAPPARMOR__RESULT__STATUS__UNAVAILABLE:
		return "apparmor-unavailable";
	case KAPPARMOR__RESULT__STATUS__BACKOFF: return "backoff";
	case KAPPARMOR__RESULT__STATUS__LOADED:
	case KAPPARMOR__RESULT__STATUS__UNCHANGED:
	case KAPPARMOR__RESULT__STATUS__REJECTED:
	case KAPPARMOR__RESULT__STATUS__REMOVED:
	case KAPPARMOR__RESULT__STATUS__NOT_MANAGED:
	case KAPPARMOR__RESULT__STATUS__SYNCED:
	case _KAPPARMOR__RESULT__STATUS_IS_INT_SIZE:
	default:
		return NULL;
	}
}

static void
write_key(FILE *f, const struct kp_key_state *ks)
{
	const char *state = kp_key_state_name(ks);
	const char *reason = NULL;
	struct tm tm;
	char when[32] = "";

	if (ks->present && ks->verdict == KP_KEY_REJECTED)
		reason = kp_reason_code(ks->reason);
	else if (ks->have_result && ks->result_reason[0] != '\0')
		reason = ks->result_reason;
	else if (ks->have_result)
		reason = status_reason(ks->last_status);

	fputs("{\"key\":", f);
	kp_json_write_cstr(f, ks->key);
	fprintf(f, ",\"state\":\"%s\",\"reason\":", state);
	if (reason != NULL)
		kp_json_write_cstr(f, reason);
	else
		fputs("null", f);
	fputs(",\"line\":", f);
	if (ks->present && ks->verdict == KP_KEY_REJECTED && ks->line > 0)
		fprintf(f, "%u", ks->line);
	else
		fputs("null", f);
	fputs(",\"sha256\":", f);
	if (ks->sha256[0] != '\0')
		fprintf(f, "\"%s\"", ks->sha256);
	else
		fputs("null", f);
	fputs(",\"changed\":", f);
	if (ks->changed > 0 && gmtime_r(&ks->changed, &tm) != NULL &&
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
		fprintf(f, "\"%s\"}", when);
	else
		fputs("null}", f);
}

int
kp_status_write(FILE *f, const struct kp_watcher_ctx *w)
{
	fprintf(f, "{\"synced\":%s,\"last_sync\":",
	    w->synced_once ? "true" : "false");
	if (w->metrics.last_sync > 0)
		fprintf(f, "%.3f", w->metrics.last_sync);
	else
		fputs("null", f);
	fputs(",\"keys\":[", f);
	for (size_t i = 0; i < w->table.count; i++) {
		if (i > 0)
			fputc(',', f);
		write_key(f, &w->table.keys[i]);
	}
	fputs("]}\n", f);
	return ferror(f) ? -1 : 0;
}

static bool
apparmor_unavailable(const struct kp_watcher_ctx *w)
{
	for (size_t i = 0; i < w->table.count; i++) {
		const struct kp_key_state *ks = &w->table.keys[i];
		if (ks->have_result &&
		    ks->last_status == KAPPARMOR__RESULT__STATUS__UNAVAILABLE)
			return true;
	}
	return false;
}

static int
text(struct kp_http_reply *out, unsigned status, const char *s)
{
	out->status = status;
	out->content_type = "text/plain; charset=utf-8";
	out->body = strdup(s);
	if (out->body == NULL)
		return -1;
	out->len = strlen(s);
	return 0;
}

int
kp_endpoints_render(void *arg, enum kp_http_route route,
    struct kp_http_reply *out)
{
	struct kp_endpoints *ep = arg;
	const struct kp_watcher_ctx *w = ep->w;
	FILE *f;
	int rc;

	switch (route) {
	case KP_HTTP_HEALTHZ: {
		int64_t quiet = monotonic_ms() - ep->loader_seen_ms;
		bool busy = w->pass.phase != KP_PASS_IDLE && w->pass.waiting;
		if (quiet <= KP_HEALTH_WINDOW_MS ||
		    (busy && quiet <= KP_HEALTH_BUSY_WINDOW_MS))
			return text(out, 200, "ok\n");
		return text(out, 503, "unhealthy: the loader has not answered "
		    "recently\n");
	}
	case KP_HTTP_READYZ:
		if (apparmor_unavailable(w))
			return text(out, 503, "not ready: AppArmor unavailable "
			    "on this node\n");
		if (!w->synced_once)
			return text(out, 503, "not ready: the first reconcile "
			    "has not finished\n");
		return text(out, 200, "ready\n");
	case KP_HTTP_METRICS:
	case KP_HTTP_STATUS:
		break;
	}
	f = open_memstream(&out->body, &out->len);
	if (f == NULL)
		return -1;
	if (route == KP_HTTP_METRICS) {
		rc = kp_metrics_write(f, &w->metrics, &w->table);
		out->content_type = "text/plain; version=0.0.4; charset=utf-8";
	} else {
		rc = kp_status_write(f, w);
		out->content_type = "application/json";
	}
	if (fclose(f) != 0)
		rc = -1;
	out->status = 200;
	return rc;
}
