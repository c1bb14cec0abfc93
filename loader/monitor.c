/* SPDX-License-Identifier: Apache-2.0 */
#include "loader/monitor.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

typedef int monitor_handler(struct kp_monitor *mon,
    const Kapparmor__Envelope *env);

static monitor_handler handle_hello, handle_apply, handle_remove,
    handle_sync_begin, handle_sync_keys, handle_sync_end, handle_heartbeat,
    handle_log;

/* Every message the watcher may send, and when.  Anything else - Result,
 * HeartbeatAck, a type this build does not know - is never permitted. */
static const struct monitor_rule {
	enum kp_msg_type type;
	unsigned states;
	monitor_handler *handler;
} monitor_table[] = {
	{ KP_MSG_HELLO, KP_MON_HELLO, handle_hello },
	{ KP_MSG_APPLY, KP_MON_READY, handle_apply },
	{ KP_MSG_REMOVE, KP_MON_READY, handle_remove },
	{ KP_MSG_SYNC_BEGIN, KP_MON_READY, handle_sync_begin },
	{ KP_MSG_SYNC_KEYS, KP_MON_SYNCING, handle_sync_keys },
	{ KP_MSG_SYNC_END, KP_MON_SYNCING, handle_sync_end },
	{ KP_MSG_HEARTBEAT, KP_MON_READY | KP_MON_SYNCING, handle_heartbeat },
	{ KP_MSG_LOG, KP_MON_READY | KP_MON_SYNCING, handle_log },
};

static const char *
state_name(enum kp_monitor_state s)
{
	switch (s) {
	case KP_MON_HELLO:
		return "hello";
	case KP_MON_READY:
		return "ready";
	case KP_MON_SYNCING:
		return "syncing";
	}
	return "unknown";
}

__attribute__((format(printf, 2, 3)))
static int
violation(struct kp_monitor *mon, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kp_log(KP_LOG_ERROR, "protocol_violation", NULL,
	    "watcher broke the protocol in state %s: %s",
	    state_name(mon->state), msg);
	return -1;
}

void
kp_monitor_init(struct kp_monitor *mon, int sock, struct kp_loader *L)
{
	memset(mon, 0, sizeof(*mon));
	mon->state = KP_MON_HELLO;
	mon->sock = sock;
	mon->loader = L;
}

static void
sync_reset(struct kp_monitor *mon)
{
	for (size_t i = 0; i < mon->sync_nkeys; i++)
		free(mon->sync_keys[i]);
	free(mon->sync_keys);
	mon->sync_keys = NULL;
	mon->sync_nkeys = 0;
}

void
kp_monitor_fini(struct kp_monitor *mon)
{
	sync_reset(mon);
}

void
kp_monitor_send_result(void *arg, const struct kp_result *r)
{
	struct kp_monitor *mon = arg;
	struct kp_proto_error err;
	struct kp_msg_result mr = {
		.op = r->op,
		.key = r->op == KAPPARMOR__RESULT__OP__SYNC ? NULL : r->key,
		.status = r->status,
		.reason = r->reason[0] != '\0' ? r->reason : NULL,
		.message = r->message[0] != '\0' ? r->message : NULL,
		.generation = mon->sync_generation,
		.has_duration = r->has_duration,
		.duration_ms = r->duration_ms,
		.parser_version = r->op == KAPPARMOR__RESULT__OP__SYNC ?
		    mon->loader->parser_version : NULL,
	};

	if (mon->send_failed)
		return;
	if (kp_msg_send_result(mon->sock, &mr, &err) != KP_PROTO_OK) {
		/* The watcher is gone; the main loop sees it through its
		 * pidfd and exits.  Nothing is undone. */
		kp_log(KP_LOG_WARN, "send_failed", r->key,
		    "cannot send a result to the watcher: %s", err.detail);
		mon->send_failed = true;
	}
}

int
kp_monitor_dispatch(struct kp_monitor *mon, const struct kp_msg *m)
{
	kp_loader_invalidate(mon->loader);
	for (size_t i = 0; i < sizeof(monitor_table) / sizeof(monitor_table[0]);
	    i++) {
		const struct monitor_rule *rule = &monitor_table[i];
		if (rule->type != m->type)
			continue;
		if ((rule->states & mon->state) == 0)
			return violation(mon, "%s is not permitted here",
			    kp_msg_type_name(m->type));
		return rule->handler(mon, m->env);
	}
	return violation(mon, "%s is never permitted from the watcher",
	    kp_msg_type_name(m->type));
}

static int
handle_hello(struct kp_monitor *mon, const Kapparmor__Envelope *env)
{
	struct kp_proto_error err;

	if (kp_msg_check_hello(env->hello, KAPPARMOR__HELLO__ROLE__WATCHER,
	    &err) != KP_PROTO_OK)
		return violation(mon, "%s", err.detail);
	if (kp_msg_send_hello(mon->sock, KAPPARMOR__HELLO__ROLE__LOADER, &err) !=
	    KP_PROTO_OK)
		return violation(mon, "cannot answer hello: %s", err.detail);
	mon->state = KP_MON_READY;
	return 0;
}

static int
handle_apply(struct kp_monitor *mon, const Kapparmor__Envelope *env)
{
	const Kapparmor__Apply *a = env->apply;

	kp_loader_apply(mon->loader, a->key, a->content.data, a->content.len);
	return 0;
}

static int
handle_remove(struct kp_monitor *mon, const Kapparmor__Envelope *env)
{
	kp_loader_remove(mon->loader, env->remove->key);
	return 0;
}

static int
handle_sync_begin(struct kp_monitor *mon, const Kapparmor__Envelope *env)
{
	sync_reset(mon);
	mon->sync_generation = env->sync_begin->generation;
	mon->state = KP_MON_SYNCING;
	return 0;
}

static int
handle_sync_keys(struct kp_monitor *mon, const Kapparmor__Envelope *env)
{
	const Kapparmor__SyncKeys *k = env->sync_keys;

	if (k->generation != mon->sync_generation)
		return violation(mon, "sync keys of generation %llu inside "
		    "sync %llu", (unsigned long long)k->generation,
		    (unsigned long long)mon->sync_generation);
	if (mon->sync_nkeys + k->n_keys > KP_PROTO_SYNC_TOTAL_KEYS)
		return violation(mon, "more than %d keys in one sync",
		    KP_PROTO_SYNC_TOTAL_KEYS);
	if (mon->sync_keys == NULL) {
		mon->sync_keys = calloc(KP_PROTO_SYNC_TOTAL_KEYS,
		    sizeof(*mon->sync_keys));
		if (mon->sync_keys == NULL)
			return violation(mon, "out of memory");
	}
	for (size_t i = 0; i < k->n_keys; i++) {
		char *dup = strdup(k->keys[i]);
		if (dup == NULL)
			return violation(mon, "out of memory");
		mon->sync_keys[mon->sync_nkeys++] = dup;
	}
	return 0;
}

static int
handle_sync_end(struct kp_monitor *mon, const Kapparmor__Envelope *env)
{
	const Kapparmor__SyncEnd *e = env->sync_end;

	if (e->generation != mon->sync_generation)
		return violation(mon, "sync end of generation %llu inside "
		    "sync %llu", (unsigned long long)e->generation,
		    (unsigned long long)mon->sync_generation);
	if (e->total_keys != mon->sync_nkeys)
		return violation(mon, "sync end counts %u keys, %zu were sent",
		    e->total_keys, mon->sync_nkeys);
	kp_loader_sync(mon->loader, mon->sync_keys, mon->sync_nkeys);
	sync_reset(mon);
	mon->state = KP_MON_READY;

	struct kp_result r;
	memset(&r, 0, sizeof(r));
	r.op = KAPPARMOR__RESULT__OP__SYNC;
	r.status = KAPPARMOR__RESULT__STATUS__SYNCED;
	kp_monitor_send_result(mon, &r);
	return 0;
}

static int
handle_heartbeat(struct kp_monitor *mon, const Kapparmor__Envelope *env)
{
	struct kp_proto_error err;

	if (kp_msg_send_heartbeat_ack(mon->sock, env->heartbeat->seq, &err) !=
	    KP_PROTO_OK)
		mon->send_failed = true;
	return 0;
}

static int
handle_log(struct kp_monitor *mon, const Kapparmor__Envelope *env)
{
	const Kapparmor__Log *l = env->log;
	enum kp_log_level level;

	(void)mon;
	switch (l->level) {
	case KAPPARMOR__LOG__LEVEL__DEBUG:
		level = KP_LOG_DEBUG;
		break;
	case KAPPARMOR__LOG__LEVEL__INFO:
		level = KP_LOG_INFO;
		break;
	case KAPPARMOR__LOG__LEVEL__WARN:
		level = KP_LOG_WARN;
		break;
	case KAPPARMOR__LOG__LEVEL__ERROR:
	case _KAPPARMOR__LOG__LEVEL_IS_INT_SIZE:
	default:
		level = KP_LOG_ERROR;
		break;
	}
	kp_log(level, l->event, l->key, "[watcher] %s", l->msg);
	return 0;
}
