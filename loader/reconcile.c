/* SPDX-License-Identifier: Apache-2.0 */
#include "loader/reconcile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/sha256.h"
#include "common/validator.h"
#include "loader/inuse.h"

int64_t
kp_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
realtime_s(void)
{
	return (int64_t)time(NULL);
}

/* The Result that follows a parser run carries its time. */
static void
take_duration(struct kp_loader *L, struct kp_result *r)
{
	r->has_duration = L->parser_ran;
	r->duration_ms = L->parser_ms;
	L->parser_ran = false;
}

static void
note_parser_run(struct kp_loader *L, double elapsed_s)
{
	L->parser_ran = true;
	L->parser_ms = elapsed_s <= 0 ? 0 : elapsed_s >= 4e6 ? 4000000000u :
	    (uint32_t)(elapsed_s * 1000 + 0.5);
}

__attribute__((format(printf, 5, 6)))
static void
emit(struct kp_loader *L, Kapparmor__Result__Op op, const char *key,
    Kapparmor__Result__Status status, const char *fmt, ...)
{
	struct kp_result r;
	va_list ap;

	memset(&r, 0, sizeof(r));
	r.op = op;
	r.status = status;
	snprintf(r.key, sizeof(r.key), "%s", key);
	va_start(ap, fmt);
	vsnprintf(r.message, sizeof(r.message), fmt, ap);
	va_end(ap);
	take_duration(L, &r);
	if (L->sink != NULL)
		L->sink(L->sink_arg, &r);
}

static void
emit_reason(struct kp_loader *L, Kapparmor__Result__Op op, const char *key,
    Kapparmor__Result__Status status, enum kp_reason reason,
    const struct kp_diag *d)
{
	struct kp_result r;

	memset(&r, 0, sizeof(r));
	r.op = op;
	r.status = status;
	snprintf(r.key, sizeof(r.key), "%s", key);
	snprintf(r.reason, sizeof(r.reason), "%s", kp_reason_code(reason));
	if (d != NULL && d->line > 0)
		snprintf(r.message, sizeof(r.message), "line %u: %s", d->line,
		    d->message);
	else if (d != NULL)
		snprintf(r.message, sizeof(r.message), "%s", d->message);
	take_duration(L, &r);
	if (L->sink != NULL)
		L->sink(L->sink_arg, &r);
}

/* ---- start-up ---- */

int
kp_loader_open(struct kp_loader *L, const struct kp_config *cfg, char *err,
    size_t errlen)
{
	char kerr[KP_PDIR_ERR_MAX];
	bool default_fs = strcmp(cfg->apparmorfs, KP_APPARMORFS_DEFAULT) == 0;

	memset(L, 0, sizeof(*L));
	L->cfg = cfg;
	L->procfd = -1;
	L->kernel.dirfd = -1;
	L->spawner.sock = -1;
	kp_state_init(&L->state);

	if (kp_pdir_open(&L->pdir, cfg->profiles_dir, true, err, errlen) != 0)
		return -1;
	if (kp_pdir_check_distinct(&L->pdir, cfg->configmap_dir, err,
	    errlen) != 0)
		return -1;

	L->procfd = open(cfg->proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (L->procfd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", cfg->proc,
		    strerror(errno));
		return -1;
	}
	if (kp_state_read_boot_id(L->procfd, L->boot_id) != 0) {
		snprintf(err, errlen, "cannot read %s/sys/kernel/random/boot_id",
		    cfg->proc);
		return -1;
	}

	L->parser.parser = cfg->parser;
	L->parser.apparmorfs = default_fs ? NULL : cfg->apparmorfs;
	L->parser.features = cfg->features;
	L->parser.timeout_s = cfg->parser_timeout;
	/* Asked of the spawner once it runs: kp_loader_learn_parser(). */
	snprintf(L->parser_version, sizeof(L->parser_version), "unknown");

	/* A node without AppArmor is reported, not a crash loop: the daemon
	 * keeps running and answers every Apply with UNAVAILABLE. */
	kp_kernel_check(cfg->apparmorfs, default_fs ? KP_AA_ENABLED_PARAM : NULL,
	    &L->aa);
	if (L->aa.state == KP_AA_ENABLED &&
	    kp_kernel_open(&L->kernel, cfg->apparmorfs, cfg->features, kerr,
	    sizeof(kerr)) != 0) {
		L->aa.state = KP_AA_UNAVAILABLE;
		if (snprintf(L->aa.reason, sizeof(L->aa.reason), "%s", kerr) >=
		    (int)sizeof(L->aa.reason))
			kp_log(KP_LOG_DEBUG, "truncated", NULL, "%s", kerr);
	}
	if (L->aa.state != KP_AA_ENABLED)
		kp_log(KP_LOG_WARN, "apparmor_unavailable", NULL,
		    "%s; nothing will be loaded", L->aa.reason);

	switch (kp_state_load(L->pdir.fd, &L->state, kerr, sizeof(kerr))) {
	case KP_STATE_OK:
		break;
	case KP_STATE_MISSING:
		kp_log(KP_LOG_INFO, "state_missing", NULL,
		    "no state file in %s: first start", L->pdir.path);
		break;
	case KP_STATE_CORRUPT:
	case KP_STATE_IO_ERROR:
		/* Ownership is re-derived: a file named by a ConfigMap key is
		 * adopted (re-validated) when the watcher offers that key. */
		kp_log(KP_LOG_WARN, "state_unusable", NULL,
		    "ignoring the state file: %s; ownership will be "
		    "re-derived from the ConfigMap's keys", kerr);
		kp_state_free(&L->state);
		kp_state_init(&L->state);
		break;
	}

	size_t stale = 0;
	if (kp_pdir_clean_stale(&L->pdir, &stale) == 0 && stale > 0)
		kp_log(KP_LOG_INFO, "stale_temporaries", NULL,
		    "removed %zu temporary files left by a crash", stale);

	struct kp_pdir_listing listing = { 0 };
	if (kp_pdir_list(&L->pdir, &listing) == 0) {
		for (size_t i = 0; i < listing.count; i++) {
			const struct kp_pdir_entry *pe = &listing.entries[i];
			const struct kp_state_entry *se;

			if (pe->kind == KP_PDIR_OTHER ||
			    pe->kind == KP_PDIR_KEY_NOT_REGULAR)
				kp_log(KP_LOG_INFO, "unmanaged_file", NULL,
				    "%s/%.80s is not ours and will never be "
				    "touched", L->pdir.path, pe->name);
			else if (pe->kind == KP_PDIR_KEY &&
			    ((se = kp_state_find(&L->state, pe->name)) == NULL ||
			    !se->loaded.present))
				kp_log(KP_LOG_INFO, "unmanaged_file", pe->name,
				    "%s/%s was not written by this daemon: it is "
				    "adopted only if the ConfigMap has this key, "
				    "and never removed otherwise", L->pdir.path,
				    pe->name);
		}
	}
	kp_pdir_listing_free(&listing);

	L->host_pidns = kp_inuse_pidns_view(L->procfd, getpid(), L->pidns_reason,
	    sizeof(L->pidns_reason)) == KP_PIDNS_HOST;
	if (cfg->in_use_protection && !L->host_pidns)
		kp_log(KP_LOG_WARN, "no_host_pid_namespace", NULL,
		    "%s: every removal is deferred (enable hostPID)",
		    L->pidns_reason);
	return 0;
}

void
kp_loader_learn_parser(struct kp_loader *L)
{
	if (kp_spawner_version(&L->spawner, L->parser_version,
	    sizeof(L->parser_version)) != 0) {
		kp_log(KP_LOG_WARN, "parser_unavailable", NULL,
		    "cannot run %s --version; loads will fail until it works",
		    L->cfg->parser);
		snprintf(L->parser_version, sizeof(L->parser_version),
		    "unknown");
	}
}

void
kp_loader_close(struct kp_loader *L)
{
	kp_kernel_close(&L->kernel);
	kp_pdir_close(&L->pdir);
	if (L->procfd >= 0)
		close(L->procfd);
	L->procfd = -1;
	kp_loader_invalidate(L);
	kp_state_free(&L->state);
	free(L->pending);
	L->pending = NULL;
	L->npending = 0;
}

void
kp_loader_save_state(struct kp_loader *L)
{
	if (kp_state_save(L->pdir.fd, &L->state) != 0)
		kp_log(KP_LOG_ERROR, "state_write_failed", NULL,
		    "cannot write %s/%s: %s", L->pdir.path, KP_STATE_FILE,
		    strerror(errno));
}

/* ---- the kernel's view ---- */

void
kp_loader_invalidate(struct kp_loader *L)
{
	if (L->kernel_names_valid)
		kp_name_set_free(&L->kernel_names);
	L->kernel_names_valid = false;
}

/* Is a profile named key loaded?  An unreadable list counts as "no", so
 * the profile is loaded again rather than assumed present.  The list is
 * read once and kept until something changes it (our own loads and
 * removals) or the next request. */
static bool
kernel_has(struct kp_loader *L, const char *key)
{
	char err[KP_MESSAGE_MAX_LEN];

	if (L->aa.state != KP_AA_ENABLED)
		return false;
	if (!L->kernel_names_valid) {
		memset(&L->kernel_names, 0, sizeof(L->kernel_names));
		if (kp_kernel_read_profiles(&L->kernel, &L->kernel_names, err,
		    sizeof(err)) != KP_PROFILES_OK) {
			kp_log(KP_LOG_WARN, "profiles_unreadable", NULL, "%s", err);
			kp_name_set_free(&L->kernel_names);
			return false;
		}
		L->kernel_names_valid = true;
	}
	return kp_name_set_contains(&L->kernel_names, key);
}

static Kapparmor__Result__Status
parser_status(enum kp_parser_outcome o)
{
	switch (o) {
	case KP_PARSER_OK:
		return KAPPARMOR__RESULT__STATUS__LOADED;
	case KP_PARSER_TIMEOUT:
		return KAPPARMOR__RESULT__STATUS__PARSER_TIMEOUT;
	case KP_PARSER_FAILED:
	case KP_PARSER_CRASHED:
	case KP_PARSER_UNAVAILABLE:
	case KP_PARSER_CANCELLED:
		return KAPPARMOR__RESULT__STATUS__PARSER_FAILED;
	}
	return KAPPARMOR__RESULT__STATUS__PARSER_FAILED;
}

/* ---- pending removals ---- */

static struct kp_pending_removal *
pending_find(struct kp_loader *L, const char *key)
{
	for (size_t i = 0; i < L->npending; i++) {
		if (strcmp(L->pending[i].key, key) == 0)
			return &L->pending[i];
	}
	return NULL;
}

static void
pending_drop(struct kp_loader *L, const char *key)
{
	struct kp_pending_removal *p = pending_find(L, key);

	if (p == NULL)
		return;
	size_t i = (size_t)(p - L->pending);
	memmove(&L->pending[i], &L->pending[i + 1],
	    (L->npending - i - 1) * sizeof(L->pending[0]));
	L->npending--;
}

static struct kp_pending_removal *
pending_add(struct kp_loader *L, const char *key)
{
	struct kp_pending_removal *p = pending_find(L, key);

	if (p != NULL)
		return p;
	if (L->npending >= KP_PENDING_MAX)
		return NULL;
	if (L->pending == NULL) {
		L->pending = calloc(KP_PENDING_MAX, sizeof(L->pending[0]));
		if (L->pending == NULL)
			return NULL;
	}
	p = &L->pending[L->npending++];
	memset(p, 0, sizeof(*p));
	snprintf(p->key, sizeof(p->key), "%s", key);
	p->first_clean_ms = -1;
	return p;
}

/* ---- apply ---- */

static bool
managed(const struct kp_loader *L, const char *key)
{
	const struct kp_state_entry *e = kp_state_find(&L->state, key);

	return e != NULL && e->loaded.present;
}

/* Load content for key through a temporary file: the file named key and
 * the kernel's profile change only when the parser succeeded. */
static void
load_content(struct kp_loader *L, const char *key, const uint8_t *content,
    size_t len, const char *sha)
{
	struct kp_pdir_temp tmp;
	char path[PATH_MAX];
	struct kp_diag d;
	double elapsed = 0;
	bool replacing = managed(L, key);

	memset(&d, 0, sizeof(d));
	if (kp_pdir_write_temp(&L->pdir, key, content, len, &tmp) != 0 ||
	    kp_pdir_temp_path(&L->pdir, &tmp, path, sizeof(path)) != 0) {
		int e = errno;
		kp_pdir_abort(&L->pdir, &tmp);
		L->failures++;
		kp_log_digest(KP_LOG_ERROR, "profile_write_failed", key, sha,
		    "Profile %s not written: %s", key, strerror(e));
		emit(L, KAPPARMOR__RESULT__OP__APPLY, key,
		    KAPPARMOR__RESULT__STATUS__WRITE_FAILED, "%s", strerror(e));
		return;
	}
	L->parser_runs++;
	kp_loader_invalidate(L);
	enum kp_parser_outcome o = kp_spawner_replace(&L->spawner, tmp.name,
	    key, &d, &elapsed);
	if (o == KP_PARSER_CANCELLED) {
		/* Stopping: nothing changed, nothing to remember. */
		kp_pdir_abort(&L->pdir, &tmp);
		L->stopping = true;
		return;
	}
	note_parser_run(L, elapsed);
	if (o != KP_PARSER_OK) {
		kp_pdir_abort(&L->pdir, &tmp);
		(void)kp_state_set_failed(&L->state, key, sha, L->parser_version,
		    realtime_s());
		kp_loader_save_state(L);
		L->failures++;
		kp_log(KP_LOG_WARN, "profile_load_failed", key,
		    "Profile %s failed to load (sha256 %s): %s: %s%s", key, sha,
		    kp_reason_code(d.reason), d.message,
		    replacing ? "; the previous version stays loaded" : "");
		emit_reason(L, KAPPARMOR__RESULT__OP__APPLY, key, parser_status(o),
		    d.reason, &d);
		return;
	}
	if (kp_pdir_commit(&L->pdir, &tmp) != 0) {
		/* Loaded, but the file could not take its name: the next
		 * resync loads it again. */
		int e = errno;
		L->failures++;
		kp_log_digest(KP_LOG_ERROR, "profile_write_failed", key, sha,
		    "Profile %s loaded but its file could not be renamed: %s",
		    key, strerror(e));
		emit(L, KAPPARMOR__RESULT__OP__APPLY, key,
		    KAPPARMOR__RESULT__STATUS__WRITE_FAILED, "%s", strerror(e));
		return;
	}
	(void)kp_state_set_loaded(&L->state, key, sha, L->boot_id,
	    L->parser_version);
	kp_loader_save_state(L);
	kp_log(KP_LOG_INFO, replacing ? "profile_replaced" : "profile_loaded",
	    key, "Profile %s %s (sha256 %s, %.0f ms)", key,
	    replacing ? "replaced and loaded" : "loaded", sha, elapsed * 1000);
	emit(L, KAPPARMOR__RESULT__OP__APPLY, key,
	    KAPPARMOR__RESULT__STATUS__LOADED, "sha256 %s", sha);
}

void
kp_loader_apply(struct kp_loader *L, const char *key, const uint8_t *content,
    size_t len)
{
	struct kp_validator_opts vopts = { .policy = L->cfg->policy };
	struct kp_verdict v;
	char sha[KP_SHA256_HEX_LEN + 1];

	/* The key is in the ConfigMap again: whatever happens to this
	 * content, the profile is no longer to be removed. */
	pending_drop(L, key);

	/* Never trust the watcher's verdict: same validator, same bytes. */
	kp_sha256_hex(content, len, sha);
	kp_validate(key, content, len, &vopts, &v);
	if (!v.accepted) {
		L->failures++;
		kp_log_digest(KP_LOG_WARN, "profile_rejected", key, sha,
		    "Profile %s rejected by the loader: %s: line %u: %s", key,
		    kp_reason_code(v.error.reason), v.error.line,
		    v.error.message);
		emit_reason(L, KAPPARMOR__RESULT__OP__APPLY, key,
		    KAPPARMOR__RESULT__STATUS__REJECTED, v.error.reason, &v.error);
		return;
	}
	if (L->aa.state != KP_AA_ENABLED) {
		L->failures++;
		kp_log_digest(KP_LOG_WARN, "profile_not_loaded", key, sha,
		    "Profile %s not loaded: %s", key, L->aa.reason);
		emit(L, KAPPARMOR__RESULT__OP__APPLY, key,
		    KAPPARMOR__RESULT__STATUS__UNAVAILABLE, "%s", L->aa.reason);
		return;
	}
	if (kp_state_is_loaded(&L->state, key, sha, L->boot_id) &&
	    kernel_has(L, key)) {
		/* Offered again only after a restart (the watcher skips
		 * content the loader already confirmed): worth a line. */
		kp_log(KP_LOG_INFO, "profile_unchanged", key,
		    "Profile %s unchanged, already loaded (sha256 %s)", key, sha);
		emit(L, KAPPARMOR__RESULT__OP__APPLY, key,
		    KAPPARMOR__RESULT__STATUS__UNCHANGED, "sha256 %s", sha);
		return;
	}
	if (!kp_state_should_try(&L->state, key, sha, L->parser_version,
	    realtime_s())) {
		const struct kp_state_entry *e = kp_state_find(&L->state, key);
		L->failures++;
		/* Re-offered at every resync: debug, or it would repeat. */
		kp_log_digest(KP_LOG_DEBUG, "profile_backoff", key, sha,
		    "Profile %s: this content failed before; not retried yet",
		    key);
		emit(L, KAPPARMOR__RESULT__OP__APPLY, key,
		    KAPPARMOR__RESULT__STATUS__BACKOFF,
		    "this content failed %u time(s); retried in %lld s or when "
		    "it changes", e != NULL ? e->failed.count : 0,
		    e != NULL ? (long long)(e->failed.next_retry - realtime_s()) :
		    0LL);
		return;
	}
	if (!managed(L, key) &&
	    faccessat(L->pdir.fd, key, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		kp_log(KP_LOG_WARN, "profile_adopted", key,
		    "Profile %s: adopting %s/%s, which this daemon did not "
		    "write", key, L->pdir.path, key);
	load_content(L, key, content, len, sha);
}

/* ---- remove ---- */

/* The content digest the state records for a managed key, or NULL. */
static const char *
managed_sha(const struct kp_loader *L, const char *key)
{
	const struct kp_state_entry *e = kp_state_find(&L->state, key);

	return e != NULL && e->loaded.present ? e->loaded.sha256 : NULL;
}

static void
remove_now(struct kp_loader *L, const char *key)
{
	int e = 0;
	bool absent = false;

	kp_loader_invalidate(L);
	enum kp_remove_status rs = kp_kernel_remove(&L->kernel, key, &e);
	if (rs != KP_REMOVE_OK && rs != KP_REMOVE_ABSENT) {
		L->failures++;
		kp_log_digest(KP_LOG_ERROR, "profile_remove_failed", key,
		    managed_sha(L, key),
		    "Profile %s could not be removed: %s%s%s", key,
		    kp_remove_status_name(rs), e ? ": " : "",
		    e ? strerror(e) : "");
		emit(L, KAPPARMOR__RESULT__OP__REMOVE, key,
		    KAPPARMOR__RESULT__STATUS__REMOVE_FAILED, "%s",
		    kp_remove_status_name(rs));
		return; /* stays pending: retried */
	}
	if (kp_pdir_remove(&L->pdir, key, &absent) != 0)
		kp_log(KP_LOG_ERROR, "profile_file_remove_failed", key,
		    "cannot delete %s/%s: %s", L->pdir.path, key, strerror(errno));
	char sha[KP_SHA256_HEX_LEN + 1] = "";
	const char *was = managed_sha(L, key);
	if (was != NULL)
		memcpy(sha, was, sizeof(sha));
	kp_state_remove(&L->state, key);
	kp_loader_save_state(L);
	pending_drop(L, key);
	kp_log_digest(KP_LOG_INFO, "profile_removed", key,
	    sha[0] != '\0' ? sha : NULL, "Profile %s removed", key);
	emit(L, KAPPARMOR__RESULT__OP__REMOVE, key,
	    KAPPARMOR__RESULT__STATUS__REMOVED, "%s", "");
}

static void
defer(struct kp_loader *L, struct kp_pending_removal *p, const char *why)
{
	if (p->in_use_logged)
		return;
	p->in_use_logged = true;
	kp_log_digest(KP_LOG_WARN, "profile_removal_deferred", p->key,
	    managed_sha(L, p->key), "Profile %s removal deferred: %s", p->key,
	    why);
	emit(L, KAPPARMOR__RESULT__OP__REMOVE, p->key,
	    KAPPARMOR__RESULT__STATUS__REMOVAL_DEFERRED_IN_USE, "%s", why);
}

/* One scan over every pending removal. */
static void
pending_check(struct kp_loader *L)
{
	int64_t now = kp_monotonic_ms();

	if (L->npending == 0)
		return;
	if (L->aa.state != KP_AA_ENABLED)
		return;
	if (!L->cfg->in_use_protection) {
		while (L->npending > 0) {
			char key[KP_KEY_MAX_LEN + 1];
			size_t before = L->npending;
			memcpy(key, L->pending[0].key, sizeof(key));
			remove_now(L, key);
			if (L->npending == before)
				return; /* failed: retried at the next sync */
		}
		return;
	}
	if (!L->host_pidns) {
		for (size_t i = 0; i < L->npending; i++)
			defer(L, &L->pending[i], L->pidns_reason);
		return;
	}

	struct kp_inuse_candidate *c = calloc(L->npending, sizeof(*c));
	struct kp_inuse_report rep;
	if (c == NULL)
		return;
	for (size_t i = 0; i < L->npending; i++)
		c[i].name = L->pending[i].key;
	kp_inuse_scan(L->procfd, c, L->npending, &rep);

	/* Walk a copy of the decisions: remove_now() reshuffles pending. */
	size_t n = L->npending;
	char (*ready)[KP_KEY_MAX_LEN + 1] = calloc(n, sizeof(*ready));
	size_t nready = 0;
	for (size_t i = 0; i < n && ready != NULL; i++) {
		struct kp_pending_removal *p = &L->pending[i];
		char why[KP_MESSAGE_MAX_LEN];

		if (rep.status != KP_INUSE_COMPLETE) {
			p->first_clean_ms = -1;
			defer(L, p, rep.reason);
			continue;
		}
		if (c[i].in_use) {
			if (p->first_clean_ms >= 0)
				p->in_use_logged = false; /* report the change */
			p->first_clean_ms = -1;
			snprintf(why, sizeof(why), "in use by pid %d (task %d)",
			    (int)c[i].pid, (int)c[i].tid);
			defer(L, p, why);
			continue;
		}
		if (p->first_clean_ms < 0) {
			p->first_clean_ms = now;
			continue;
		}
		if (now - p->first_clean_ms >= KP_REMOVAL_CONFIRM_MS)
			memcpy(ready[nready++], p->key, sizeof(ready[0]));
	}
	free(c);
	for (size_t i = 0; i < nready; i++)
		remove_now(L, ready[i]);
	free(ready);
}

int64_t
kp_loader_pending_tick(struct kp_loader *L)
{
	pending_check(L);
	if (L->npending == 0 || L->aa.state != KP_AA_ENABLED)
		return -1;
	if (!L->host_pidns && L->cfg->in_use_protection)
		return -1; /* nothing to wait for: retried at each sync */
	/* Half the confirmation interval: a clean scan is confirmed at most
	 * 1.5 intervals after it was first seen. */
	return kp_monotonic_ms() + KP_REMOVAL_CONFIRM_MS / 2;
}

static void
request_removal(struct kp_loader *L, const char *key)
{
	struct kp_pending_removal *p = pending_find(L, key);

	if (p == NULL) {
		p = pending_add(L, key);
		if (p == NULL) {
			emit(L, KAPPARMOR__RESULT__OP__REMOVE, key,
			    KAPPARMOR__RESULT__STATUS__REMOVE_FAILED,
			    "too many removals pending");
			return;
		}
	}
	pending_check(L);
	p = pending_find(L, key);
	if (p != NULL && !p->in_use_logged) {
		/* Still pending but nothing was reported: no task uses it,
		 * and a second scan must confirm that before it goes. */
		emit(L, KAPPARMOR__RESULT__OP__REMOVE, key,
		    KAPPARMOR__RESULT__STATUS__REMOVAL_DEFERRED_IN_USE, "%s",
		    L->aa.state == KP_AA_ENABLED ?
		    "waiting for a second scan that finds no task using it" :
		    L->aa.reason);
	}
}

void
kp_loader_remove(struct kp_loader *L, const char *key)
{
	if (!managed(L, key)) {
		/* Never touch what we did not load; forget a failed record. */
		if (kp_state_remove(&L->state, key))
			kp_loader_save_state(L);
		emit(L, KAPPARMOR__RESULT__OP__REMOVE, key,
		    KAPPARMOR__RESULT__STATUS__NOT_MANAGED,
		    "not loaded by this daemon; nothing done");
		return;
	}
	request_removal(L, key);
}

/* ---- reload from the profiles directory ---- */

static void
reload_file(struct kp_loader *L, const char *key, Kapparmor__Result__Op op)
{
	struct kp_validator_opts vopts = { .policy = L->cfg->policy };
	struct kp_verdict v;
	char *data = NULL;
	size_t len = 0;
	int e = 0;
	char sha[KP_SHA256_HEX_LEN + 1];
	char path[PATH_MAX];
	struct kp_diag d;
	double elapsed = 0;

	enum kp_pdir_read_status rs = kp_pdir_read(&L->pdir, key, &data, &len,
	    &e);
	if (rs != KP_PDIR_READ_OK) {
		L->failures++;
		kp_log(KP_LOG_ERROR, "profile_reload_failed", key,
		    "Profile %s cannot be reloaded: its file is unreadable "
		    "(status %d%s%s)", key, (int)rs, e ? ", " : "",
		    e ? strerror(e) : "");
		free(data);
		return;
	}
	kp_validate(key, (const unsigned char *)data, len, &vopts, &v);
	if (!v.accepted) {
		L->failures++;
		kp_log(KP_LOG_ERROR, "profile_reload_rejected", key,
		    "Profile %s: the file on disk no longer validates: %s: "
		    "line %u: %s; not reloaded", key,
		    kp_reason_code(v.error.reason), v.error.line,
		    v.error.message);
		free(data);
		return;
	}
	kp_sha256_hex(data, len, sha);
	free(data);
	if (snprintf(path, sizeof(path), "%s/%s", L->pdir.path, key) >=
	    (int)sizeof(path)) {
		L->failures++;
		kp_log(KP_LOG_ERROR, "profile_reload_failed", key,
		    "Profile %s: path too long", key);
		return;
	}
	L->parser_runs++;
	kp_loader_invalidate(L);
	memset(&d, 0, sizeof(d));
	enum kp_parser_outcome o = kp_spawner_replace(&L->spawner, key, key, &d,
	    &elapsed);
	if (o == KP_PARSER_CANCELLED) {
		L->stopping = true;
		return;
	}
	if (o != KP_PARSER_OK) {
		L->failures++;
		kp_log(KP_LOG_ERROR, "profile_reload_failed", key,
		    "Profile %s failed to reload: %s: %s", key,
		    kp_reason_code(d.reason), d.message);
		emit_reason(L, op, key, parser_status(o), d.reason, &d);
		return;
	}
	(void)kp_state_set_loaded(&L->state, key, sha, L->boot_id,
	    L->parser_version);
	kp_log(KP_LOG_INFO, "profile_reloaded", key,
	    "Profile %s reloaded and loaded from %s (sha256 %s)", key,
	    L->pdir.path, sha);
	emit(L, op, key, KAPPARMOR__RESULT__STATUS__LOADED, "sha256 %s", sha);
}

void
kp_loader_boot_reload(struct kp_loader *L)
{
	unsigned reloaded = 0, kept = 0;

	if (L->aa.state != KP_AA_ENABLED)
		return;
	/* Collect first: reload_file() updates the state array. */
	size_t n = L->state.count;
	char (*keys)[KP_KEY_MAX_LEN + 1] = calloc(n ? n : 1, sizeof(*keys));
	size_t nkeys = 0;
	if (keys == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct kp_state_entry *e = &L->state.entries[i];
		if (!e->loaded.present)
			continue;
		if (strcmp(e->loaded.boot_id, L->boot_id) == 0 &&
		    kernel_has(L, e->key)) {
			kept++;
			continue;
		}
		memcpy(keys[nkeys++], e->key, sizeof(keys[0]));
	}
	for (size_t i = 0; i < nkeys; i++) {
		reload_file(L, keys[i], KAPPARMOR__RESULT__OP__APPLY);
		reloaded++;
	}
	free(keys);
	if (reloaded > 0)
		kp_loader_save_state(L);
	kp_log(KP_LOG_INFO, "boot_reload", NULL,
	    "start-up: %u profile(s) reloaded, %u already loaded in this boot",
	    reloaded, kept);
}

/* ---- sync ---- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
kp_loader_sync(struct kp_loader *L, char *const *keys, size_t nkeys)
{
	char **sorted = calloc(nkeys ? nkeys : 1, sizeof(*sorted));
	if (sorted == NULL)
		return;
	/* An empty ConfigMap arrives as no keys at all (keys may be NULL). */
	if (nkeys > 0) {
		memcpy(sorted, keys, nkeys * sizeof(*sorted));
		qsort(sorted, nkeys, sizeof(*sorted), cmp_str);
	}

	/* Decide on a copy of the managed keys: the operations below change
	 * the state array. */
	size_t n = L->state.count;
	char (*gone)[KP_KEY_MAX_LEN + 1] = calloc(n ? n : 1, sizeof(*gone));
	char (*missing)[KP_KEY_MAX_LEN + 1] = calloc(n ? n : 1, sizeof(*missing));
	size_t ngone = 0, nmissing = 0;
	bool state_changed = false;

	if (gone == NULL || missing == NULL)
		goto out;
	for (size_t i = 0; i < L->state.count;) {
		const struct kp_state_entry *e = &L->state.entries[i];
		const char *k = e->key;
		bool present = bsearch(&k, sorted, nkeys, sizeof(*sorted),
		    cmp_str) != NULL;

		if (!e->loaded.present) {
			/* Only a failure record: forget it once the key left. */
			if (!present && kp_state_remove(&L->state, k)) {
				state_changed = true;
				continue;
			}
			i++;
			continue;
		}
		if (!present)
			memcpy(gone[ngone++], k, sizeof(gone[0]));
		else if (!kernel_has(L, k) && L->aa.state == KP_AA_ENABLED)
			memcpy(missing[nmissing++], k, sizeof(missing[0]));
		i++;
	}
	/* Keys back in the ConfigMap are no longer to be removed. */
	for (size_t i = 0; i < L->npending;) {
		const char *k = L->pending[i].key;
		if (bsearch(&k, sorted, nkeys, sizeof(*sorted), cmp_str) != NULL)
			pending_drop(L, k);
		else
			i++;
	}
	for (size_t i = 0; i < nmissing; i++) {
		kp_log(KP_LOG_WARN, "profile_missing_from_kernel", missing[i],
		    "Profile %s is not in the kernel: loading it again",
		    missing[i]);
		reload_file(L, missing[i], KAPPARMOR__RESULT__OP__APPLY);
		state_changed = true;
	}
	for (size_t i = 0; i < ngone; i++) {
		if (pending_find(L, gone[i]) == NULL)
			request_removal(L, gone[i]);
	}
	pending_check(L);
	if (L->cfg->once && L->npending > 0 && L->host_pidns) {
		/* --once has no later pass: give the confirming scan its
		 * interval now.  What is still in use stays deferred. */
		struct timespec ts = {
			.tv_sec = KP_REMOVAL_CONFIRM_MS / 1000,
			.tv_nsec = (KP_REMOVAL_CONFIRM_MS % 1000) * 1000000L,
		};
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		pending_check(L);
	}
	if (state_changed)
		kp_loader_save_state(L);
out:
	free(gone);
	free(missing);
	free(sorted);
}
