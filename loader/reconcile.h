/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the loader does to the node: apply one key, remove one key, converge
 * on a complete key set, reload after a reboot.  Each operation returns a
 * typed Result; none of them is ever fatal.  The caller (the dispatch
 * table in main.c) decides which operation is allowed when.
 */
#ifndef KP_LOADER_RECONCILE_H
#define KP_LOADER_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loader/config.h"
#include "loader/kernel.h"
#include "loader/parser_run.h"
#include "loader/profiles_dir.h"
#include "loader/spawner.h"
#include "loader/state.h"
#include "proto/kapparmor.pb-c.h"

/* A removal waits for two scans that find no task using the profile, at
 * least this far apart (a task may fork or exec into it during a scan). */
#define KP_REMOVAL_CONFIRM_MS 2000
#define KP_PENDING_MAX        KP_KEYS_MAX

struct kp_result {
	Kapparmor__Result__Op op;
	Kapparmor__Result__Status status;
	char key[KP_KEY_MAX_LEN + 1];
	char reason[64];
	char message[2 * KP_MESSAGE_MAX_LEN]; /* "line N: " + a diagnostic */
	bool has_duration;                    /* the parser ran for it: */
	uint32_t duration_ms;                 /* for the watcher's metric */
};

/* Where results go: the watcher's socket in the daemon, a list in tests. */
typedef void kp_result_sink(void *arg, const struct kp_result *r);

struct kp_pending_removal {
	char key[KP_KEY_MAX_LEN + 1];
	int64_t first_clean_ms;     /* monotonic; -1 until a clean scan */
	bool in_use_logged;
};

struct kp_loader {
	const struct kp_config *cfg;
	struct kp_pdir pdir;
	struct kp_kernel kernel;
	struct kp_parser_cfg parser;
	struct kp_spawner spawner;  /* runs every parser after start-up */
	int procfd;
	struct kp_state state;
	char boot_id[KP_BOOT_ID_LEN + 1];
	char parser_version[KP_PARSER_VERSION_MAX + 1];
	struct kp_aa_status aa;
	bool host_pidns;
	char pidns_reason[KP_MESSAGE_MAX_LEN];
	struct kp_pending_removal *pending;
	size_t npending;
	kp_result_sink *sink;
	void *sink_arg;
	unsigned failures;          /* rejected or failed operations (--once) */
	unsigned parser_runs;       /* for tests and the closing numbers */
	bool stopping;              /* a parser run was abandoned for SIGTERM */
	/* The last parser run's time, for the next Result (then cleared). */
	bool parser_ran;
	uint32_t parser_ms;
	/* The kernel's profile list, read at most once per request. */
	struct kp_name_set kernel_names;
	bool kernel_names_valid;
};

/* Everything the loader opens at start-up, before the watcher exists.
 * Returns 0, or -1 with err (the caller exits 2). */
int kp_loader_open(struct kp_loader *L, const struct kp_config *cfg,
    char *err, size_t errlen);
void kp_loader_close(struct kp_loader *L);

/* Ask the (running) spawner for the parser's version. */
void kp_loader_learn_parser(struct kp_loader *L);

/* Re-validate and load every profile in the state that the kernel does not
 * hold from this boot (after a reboot: all of them). */
void kp_loader_boot_reload(struct kp_loader *L);

void kp_loader_apply(struct kp_loader *L, const char *key,
    const uint8_t *content, size_t len);
void kp_loader_remove(struct kp_loader *L, const char *key);
/* keys: the complete, sorted-or-not set of keys present in the ConfigMap. */
void kp_loader_sync(struct kp_loader *L, char *const *keys, size_t nkeys);

/* Re-scan the pending removals; returns the monotonic ms of the next check
 * wanted, or -1 when none is pending. */
int64_t kp_loader_pending_tick(struct kp_loader *L);

/* Forget the cached profile list: the kernel may have changed since (call
 * before handling each request). */
void kp_loader_invalidate(struct kp_loader *L);

/* Save the state file; logged on failure. */
void kp_loader_save_state(struct kp_loader *L);

int64_t kp_monotonic_ms(void);

#endif /* KP_LOADER_RECONCILE_H */
