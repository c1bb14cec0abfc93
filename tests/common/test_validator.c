/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rules 1-6 of the validator: for every rule and reason code at least one
 * text that passes and one that is refused with exactly that reason and
 * line.  Every text these tests accept also compiles with apparmor_parser
 * 3.0.8 (checked when the tests were written; the corpus runner checks its
 * own files on every run).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/glob_limits.h"
#include "common/validator.h"

#define KEY "custom.t"
/* A body's first rule is on line 3. */
#define BODY(rules) "#include <tunables/global>\nprofile custom.t {\n" rules \
	"\n}\n"

static struct kp_verdict vd;

static void
assert_printable(const char *msg)
{
	for (const char *p = msg; *p != '\0'; p++)
		cr_assert((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f,
		    "byte 0x%02x in message: %s", (unsigned char)*p, msg);
}

static void
run_policy(const char *key, const void *data, size_t len,
    enum kp_policy policy)
{
	struct kp_validator_opts opts = { .policy = policy };

	kp_validate(key, data, len, &opts, &vd);
	/* every message is one line of printable ASCII */
	assert_printable(vd.error.message);
	for (size_t i = 0; i < vd.nwarnings; i++)
		assert_printable(vd.warnings[i].message);
}

#define PARSER "/sbin/apparmor_parser"
#define FEATURES "/usr/share/apparmor-features/features"

/*
 * Everything the validator accepts must compile with the real parser, or
 * the validator has misread something.  When apparmor_parser is installed
 * (and KP_NO_PARSER is unset) every accepted text is compiled, never
 * loaded: -Q -K with the Debian kernel features file.
 */
static void
assert_compiles(const char *text)
{
	char path[] = "/tmp/kp-test-validator.XXXXXX";
	char errpath[] = "/tmp/kp-test-validator-err.XXXXXX";
	char err[1024] = "";
	int fd, efd, status;
	ssize_t n;
	pid_t pid;

	if (getenv("KP_NO_PARSER") != NULL || access(PARSER, X_OK) != 0 ||
	    access(FEATURES, R_OK) != 0)
		return;
	fd = mkstemp(path);
	cr_assert(fd >= 0);
	efd = mkstemp(errpath);
	cr_assert(efd >= 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	cr_assert_eq(close(fd), 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		char *const argv[] = { PARSER, "-Q", "-K", "-j0",
			"--kernel-features", FEATURES, path, NULL };

		if (dup2(efd, 2) < 0 || dup2(efd, 1) < 0)
			_exit(126);
		execv(PARSER, argv);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	n = pread(efd, err, sizeof(err) - 1, 0);
	if (n > 0)
		err[n] = '\0';
	(void)close(efd);
	(void)unlink(path);
	(void)unlink(errpath);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "accepted, but apparmor_parser refuses it:\n%s\n%s", err, text);
}

static void
accept_as(const char *key, const char *text, enum kp_policy policy)
{
	run_policy(key, text, strlen(text), policy);
	cr_assert(vd.accepted, "rejected (%s, line %u: %s):\n%s",
	    kp_reason_code(vd.error.reason), vd.error.line, vd.error.message,
	    text);
	assert_compiles(text);
}

static void
accept(const char *text)
{
	accept_as(KEY, text, KP_POLICY_BASELINE);
}

static void
accept_permissive(const char *text)
{
	accept_as(KEY, text, KP_POLICY_PERMISSIVE);
}

static void
reject_as(const char *key, const char *text, enum kp_reason reason,
    unsigned line, enum kp_policy policy)
{
	run_policy(key, text, strlen(text), policy);
	cr_assert_not(vd.accepted, "accepted:\n%s", text);
	cr_assert_str_eq(kp_reason_code(vd.error.reason),
	    kp_reason_code(reason), "%s (line %u: %s) for:\n%s",
	    kp_reason_code(vd.error.reason), vd.error.line, vd.error.message,
	    text);
	cr_assert_eq(vd.error.line, line, "line %u, not %u (%s) for:\n%s",
	    vd.error.line, line, vd.error.message, text);
	cr_assert_eq(vd.nwarnings, 0, "a rejected key carries no warnings");
}

static void
reject(const char *text, enum kp_reason reason, unsigned line)
{
	reject_as(KEY, text, reason, line, KP_POLICY_BASELINE);
}

static void
reject_permissive(const char *text, enum kp_reason reason, unsigned line)
{
	reject_as(KEY, text, reason, line, KP_POLICY_PERMISSIVE);
}

static bool
has_warning(enum kp_reason reason, unsigned line)
{
	for (size_t i = 0; i < vd.nwarnings; i++) {
		if (vd.warnings[i].reason == reason &&
		    vd.warnings[i].line == line)
			return true;
	}
	return false;
}

/* A growable text for generated profiles. */
struct text {
	char *p;
	size_t len;
	size_t cap;
};

static void
put(struct text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->p = realloc(t->p, t->cap);
		cr_assert_not_null(t->p);
	}
	memcpy(t->p + t->len, s, n + 1);
	t->len += n;
}

static void
put_repeat(struct text *t, const char *s, size_t count)
{
	for (size_t i = 0; i < count; i++)
		put(t, s);
}

/* ---- the profiles the issue says must pass ---------------------------- */

static const char example_profile[] =
    "#include <tunables/global>\n"
    "profile custom.deny-write-outside-home flags=(attach_disconnected,"
    "mediate_deleted) {\n"
    "  #include <abstractions/base>\n"
    "  capability setuid,\n"
    "  capability setgid,\n"
    "  capability dac_override,\n"
    "  /home/** rw,\n"
    "  /tmp/** rw,\n"
    "  /var/tmp/** rw,\n"
    "  deny /etc/** w,\n"
    "  deny /root/** w,\n"
    "  deny / w,\n"
    "}\n";

Test(validator_accept, issue_example)
{
	accept_as("custom.deny-write-outside-home", example_profile,
	    KP_POLICY_BASELINE);
	cr_assert_eq(vd.nwarnings, 0);
}

/* containerd's contrib/apparmor template, rendered for a custom.* key. */
static const char containerd_profile[] =
    "\n"
    "abi <abi/3.0>,\n"
    "\n"
    "#include <tunables/global>\n"
    "\n"
    "profile custom.containerd-default flags=(attach_disconnected,"
    "mediate_deleted) {\n"
    "  #include <abstractions/base>\n"
    "\n"
    "  network,\n"                                          /* 9 */
    "  capability,\n"                                       /* 10 */
    "  file,\n"                                             /* 11 */
    "  umount,\n"                                           /* 12 */
    "  # Host (privileged) processes may send signals.\n"
    "  signal (receive) peer=unconfined,\n"
    "  signal (receive) peer=runc,\n"
    "  signal (receive) peer=crun,\n"
    "  signal (send,receive) peer=custom.containerd-default,\n"
    "  signal (receive) peer=/usr/bin/rootlesskit,\n"
    "\n"
    "  deny @{PROC}/* w,   # deny write for all files directly in /proc\n"
    "  # deny write to files not in /proc/<number>/** or /proc/sys/**\n"
    "  deny @{PROC}/{[^1-9/],[^1-9/][^0-9/],[^1-9s/][^0-9y/][^0-9s/],"
    "[^1-9/][^0-9/][^0-9/][^0-9/]*}/** w,\n"
    "  deny @{PROC}/sys/[^k]** w,  # deny /proc/sys except /proc/sys/k*\n"
    "  deny @{PROC}/sys/kernel/{?,??,[^s][^h][^m]**} w,\n"
    "  deny @{PROC}/sysrq-trigger rwklx,\n"
    "  deny @{PROC}/kcore rwklx,\n"
    "\n"
    "  deny mount,\n"
    "\n"
    "  deny /sys/[^f]*/** wklx,\n"
    "  deny /sys/f[^s]*/** wklx,\n"
    "  deny /sys/fs/[^c]*/** wklx,\n"
    "  deny /sys/fs/c[^g]*/** wklx,\n"
    "  deny /sys/fs/cg[^r]*/** wklx,\n"
    "  deny /sys/firmware/** rwklx,\n"
    "  deny /sys/devices/virtual/powercap/** rwklx,\n"
    "  deny /sys/kernel/security/** rwklx,\n"
    "\n"
    "  # allow processes within the container to trace each other,\n"
    "  ptrace (trace,tracedby,read,readby) peer=custom.containerd-default,\n"
    "}\n";

Test(validator_accept, containerd_default_profile)
{
	accept_as("custom.containerd-default", containerd_profile,
	    KP_POLICY_BASELINE);
	cr_assert(has_warning(KP_REASON_WARN_CAPABILITY_ALL, 10));
	cr_assert(has_warning(KP_REASON_WARN_FILE_ALL, 11));
	cr_assert(has_warning(KP_REASON_WARN_UMOUNT, 12));
	cr_assert(has_warning(KP_REASON_WARN_PTRACE, 40));
	cr_assert_eq(vd.nwarnings, 4);
}

static const char nginx_profile[] =
    "# nginx in a container\n"
    "#include <tunables/global>\n"
    "\n"
    "profile custom.nginx flags=(attach_disconnected,mediate_deleted) {\n"
    "  #include <abstractions/base>\n"
    "  #include <abstractions/nameservice>\n"
    "  include <abstractions/openssl>\n"
    "\n"
    "  capability net_bind_service,\n"
    "  capability setgid setuid, # two at once\n"
    "  capability dac_override,\n"
    "  network inet tcp,\n"
    "  network inet6 tcp,\n"
    "  network unix stream,\n"
    "  /usr/sbin/nginx mr,\n"
    "  /etc/nginx/** r,\n"
    "  /usr/share/nginx/** r,\n"
    "  /var/www/{html,static}/** r,\n"
    "  owner /var/log/nginx/*.log w,\n"
    "  /var/cache/nginx/** rwk,\n"
    "  /run/nginx.pid rw,\n"
    "  @{run}/nginx/ rw,\n"
    "  @{PROC}/@{pid}/stat r,\n"
    "  /tmp/nginx-*/ rw,   # client body temp\n"
    "  deny /etc/shadow r,\n"
    "  audit deny /root/** rwklx,\n"
    "  deny @{PROC}/sys/kernel/{core_pattern,modprobe} w,\n"
    "  signal (receive) peer=unconfined,\n"
    "  signal (send) set=(term, quit, hup) peer=custom.nginx,\n"
    "}\n";

static const char redis_profile[] =
    "include <tunables/global>\n"
    "profile custom.redis {\n"
    "  include <abstractions/base>\n"
    "  network inet stream,\n"
    "  network inet6 stream,\n"
    "  /usr/bin/redis-server mrix,\n"
    "  /usr/bin/redis-check-aof ix,\n"
    "  /etc/redis/redis.conf r,\n"
    "  owner /data/ rw,\n"
    "  owner /data/** rwk,\n"
    "  /var/lib/redis/{,**} rwk,\n"
    "  @{PROC}/sys/net/core/somaxconn r,\n"
    "  deny /bin/** x,\n"
    "  deny /usr/bin/{sh,bash,dash} x,\n"
    "  unix (send, receive) type=stream,\n"
    "}\n";

static const char postgres_profile[] =
    "abi <abi/3.0>,\n"
    "#include <tunables/global>\n"
    "profile custom.postgres flags=(enforce) {\n"
    "  #include <abstractions/base>\n"
    "  #include <abstractions/nameservice>\n"
    "  #include <abstractions/ssl_keys>\n"
    "  capability chown, capability dac_read_search,\n"
    "  capability fowner,\n"
    "  network inet tcp,\n"
    "  network unix dgram,\n"
    "  /usr/lib/postgresql/*/bin/* mrix,\n"
    "  /usr/share/postgresql/** r,\n"
    "  owner /var/lib/postgresql/** rwkl,\n"
    "  @{run}/postgresql/ rw,\n"
    "  /dev/shm/PostgreSQL.* rw,\n"
    "  owner @{PROC}/@{pid}/oom_score_adj rw,\n"
    "  @{PROC}/@{pid}/{stat,status,cmdline} r,\n"
    "  set rlimit nofile <= 65536,\n"
    "  set rlimit as <= 4G,\n"
    "  signal (send,receive) peer=custom.postgres,\n"
    "}\n";

static const char python_profile[] =
    "#include <tunables/global>\n"
    "\n"
    "# a Flask app\n"
    "profile custom.python-app {\n"
    "  #include <abstractions/base>\n"
    "  #include <abstractions/python>\n"
    "  network inet tcp,\n"
    "  network inet udp,\n"
    "  /usr/bin/python3* ix,\n"
    "  /usr/lib/python3.[0-9]*/** mr,\n"
    "  /app/** r,\n"
    "  owner /app/instance/** rw,\n"
    "  owner /tmp/** rwk,\n"
    "  /usr/lib/@{multiarch}/** mr,\n"
    "  owner @{HOME}/.cache/** rw,\n"
    "  \"/srv/app data/**\" r,\n"
    "  deny @{PROC}/kcore r,\n"
    "  dbus send bus=system path=/org/freedesktop/DBus "
    "interface=org.freedesktop.DBus member=Hello "
    "peer=(name=org.freedesktop.DBus),\n"
    "  unix (connect, send, receive) type=stream "
    "peer=(addr=@/tmp/.X11-unix/X0),\n"
    "  other /srv/shared/** r,\n"
    "  rw /var/tmp/app.sock,\n"
    "  file /opt/app/** r,\n"
    "}\n";

Test(validator_accept, typical_service_profiles)
{
	accept_as("custom.nginx", nginx_profile, KP_POLICY_BASELINE);
	cr_assert_eq(vd.nwarnings, 0);
	accept_as("custom.redis", redis_profile, KP_POLICY_BASELINE);
	accept_as("custom.postgres", postgres_profile, KP_POLICY_BASELINE);
	accept_as("custom.python-app", python_profile, KP_POLICY_BASELINE);
}

Test(validator_accept, one_line_profile_without_final_newline)
{
	accept("profile custom.t {}");
	accept("profile custom.t {/foo r,}\n");
	accept("profile custom.t\n{\n}\n# end\n\n");
}

/* ---- rule 1: the key ------------------------------------------------- */

Test(rule1_key, valid_keys)
{
	char name[80];

	cr_assert(kp_key_is_valid("custom.a", 8));
	cr_assert(kp_key_is_valid("custom._", 8));
	cr_assert(kp_key_is_valid("custom.A9.-_x", 13));
	memset(name, 'a', sizeof(name));
	memcpy(name, "custom.", 7);
	cr_assert(kp_key_is_valid(name, 7 + 63));
	accept_as("custom.A9.-_x", "profile custom.A9.-_x {\n}\n",
	    KP_POLICY_BASELINE);
}

Test(rule1_key, invalid_keys)
{
	char name[80];

	cr_assert_not(kp_key_is_valid("custom.", 7));
	cr_assert_not(kp_key_is_valid("custom.-a", 9));
	cr_assert_not(kp_key_is_valid("custom..a", 9));
	cr_assert_not(kp_key_is_valid("Custom.a", 8));
	cr_assert_not(kp_key_is_valid("custom.a/b", 10));
	cr_assert_not(kp_key_is_valid("custom.a b", 10));
	cr_assert_not(kp_key_is_valid("custom.a:b", 10));
	cr_assert_not(kp_key_is_valid("custom.a\0b", 10), "embedded NUL");
	cr_assert_not(kp_key_is_valid("xcustom.a", 9));
	cr_assert_not(kp_key_is_valid(NULL, 0));
	memset(name, 'a', sizeof(name));
	memcpy(name, "custom.", 7);
	cr_assert_not(kp_key_is_valid(name, 7 + 64));
	reject_as("docker-default", "profile docker-default {\n}\n",
	    KP_REASON_KEY_FORMAT, 0, KP_POLICY_BASELINE);
	reject_as("custom.\x01", "profile x {\n}\n", KP_REASON_KEY_FORMAT, 0,
	    KP_POLICY_BASELINE);
	cr_assert_null(strchr(vd.error.message, '\x01'),
	    "a bad key is never echoed");
	kp_validate(NULL, (const unsigned char *)"x", 1, NULL, &vd);
	cr_assert_not(vd.accepted);
	cr_assert_eq(vd.error.reason, KP_REASON_KEY_FORMAT);
}

Test(rule1_key, policy_names)
{
	enum kp_policy p = KP_POLICY_PERMISSIVE;

	cr_assert(kp_policy_parse("baseline", &p));
	cr_assert_eq(p, KP_POLICY_BASELINE);
	cr_assert(kp_policy_parse("PERMISSIVE", &p));
	cr_assert_eq(p, KP_POLICY_PERMISSIVE);
	cr_assert_not(kp_policy_parse("strict", &p));
	cr_assert_not(kp_policy_parse("", &p));
	cr_assert_not(kp_policy_parse(NULL, &p));
	cr_assert_str_eq(kp_policy_name(KP_POLICY_BASELINE), "baseline");
	cr_assert_str_eq(kp_policy_name(KP_POLICY_PERMISSIVE), "permissive");
	cr_assert_str_eq(kp_policy_name((enum kp_policy)7), "unknown");
}

Test(rule1_key, null_opts_and_unknown_policy_mean_baseline)
{
	const char *text = BODY("  mount,");
	struct kp_validator_opts odd = { .policy = (enum kp_policy)9 };

	kp_validate(KEY, (const unsigned char *)text, strlen(text), NULL, &vd);
	cr_assert_eq(vd.error.reason, KP_REASON_POLICY_MOUNT);
	kp_validate(KEY, (const unsigned char *)text, strlen(text), &odd, &vd);
	cr_assert_eq(vd.error.reason, KP_REASON_POLICY_MOUNT);
}

/* ---- rule 2: bytes, sizes, complexity ---------------------------------- */

Test(rule2_bytes, bad_bytes_anywhere)
{
	static const char nul[] = "profile custom.t {\n}\n\0profile x {\n}\n";
	static const char cr[] = "profile custom.t {\r\n}\n";
	static const char high[] = "# caf\xc3\xa9\nprofile custom.t {\n}\n";
	static const char del[] = "profile custom.t {\n /a\x7f r,\n}\n";
	static const char vt[] = "profile custom.t {\n\v}\n";

	run_policy(KEY, nul, sizeof(nul) - 1, KP_POLICY_BASELINE);
	cr_assert_eq(vd.error.reason, KP_REASON_BAD_BYTE);
	cr_assert_eq(vd.error.line, 3, "the NUL does not hide the rest");
	reject(cr, KP_REASON_BAD_BYTE, 1);
	reject(high, KP_REASON_BAD_BYTE, 1);
	reject(del, KP_REASON_BAD_BYTE, 2);
	reject(vt, KP_REASON_BAD_BYTE, 2);
	accept("profile custom.t {\n\t/a r,\n}\n");
}

Test(rule2_bytes, bad_byte_wins_over_everything_else)
{
	struct text t = { 0 };

	put(&t, "profile custom.t {\n /a\\b r,\n");
	put_repeat(&t, "#", KP_LINE_MAX_BYTES + 1);
	put(&t, "\n}\n\x80\n");
	reject(t.p, KP_REASON_BAD_BYTE, 5);
	free(t.p);
}

Test(rule2_bytes, size_limit)
{
	struct text t = { 0 };

	put(&t, "profile custom.t {\n");
	while (t.len < KP_PROFILE_MAX_BYTES - 100)
		put(&t, "# ..........................................\n");
	put(&t, "}\n");
	while (t.len < KP_PROFILE_MAX_BYTES)
		put(&t, "\n");
	cr_assert_eq(t.len, KP_PROFILE_MAX_BYTES);
	accept(t.p);
	put(&t, "\n");
	reject(t.p, KP_REASON_TOO_LARGE, 0);
	free(t.p);
}

Test(rule2_bytes, line_length)
{
	struct text t = { 0 };

	put(&t, "profile custom.t {\n#");
	put_repeat(&t, "x", KP_LINE_MAX_BYTES - 1);
	put(&t, "\n}\n");
	accept(t.p);
	t.len = 0;
	put(&t, "profile custom.t {\n}\n#");
	put_repeat(&t, "x", KP_LINE_MAX_BYTES);
	reject(t.p, KP_REASON_LINE_TOO_LONG, 3);
	free(t.p);
}

Test(rule2_bytes, empty)
{
	reject("", KP_REASON_EMPTY, 0);
	reject(" \n\t\n\n", KP_REASON_EMPTY, 0);
	kp_validate(KEY, NULL, 0, NULL, &vd);
	cr_assert_eq(vd.error.reason, KP_REASON_EMPTY);
	reject("# just a comment\n", KP_REASON_NO_PROFILE, 2);
}

Test(rule2_bytes, rule_count)
{
	struct text t = { 0 };

	put(&t, "profile custom.t {\n");
	put_repeat(&t, "/a r,\n", KP_RULES_MAX);
	put(&t, "}\n");
	accept(t.p);
	t.len = 0;
	put(&t, "profile custom.t {\n");
	put_repeat(&t, "/a r,\n", KP_RULES_MAX + 1);
	put(&t, "}\n");
	reject(t.p, KP_REASON_TOO_MANY_RULES, KP_RULES_MAX + 2);
	free(t.p);
}

/* A body with one file rule on line 3. */
static void
glob_rule(struct text *t, const char *path)
{
	t->len = 0;
	put(t, BODY(""));
	t->len -= 3; /* back to just after the header line */
	put(t, "  ");
	put(t, path);
	put(t, " r,\n}\n");
}

/* Each test below moves one count to its limit and one past it, with
 * patterns that leave every other count at rest (docs/validator-limits.md
 * has the counting rules; test_glob.c checks them one by one). */

Test(rule2_glob, wildcards_per_pattern)
{
	struct text path = { 0 }, t = { 0 };

	/* '/x*' segments: a '/' closes each '*', so no ambiguity */
	put(&path, "/a");
	put_repeat(&path, "/x*", KP_GLOB_MAX_WILDCARDS);
	glob_rule(&t, path.p);
	accept(t.p);
	put(&path, "/x*");
	glob_rule(&t, path.p);
	reject(t.p, KP_REASON_GLOB_COMPLEXITY, 3);
	free(path.p);
	free(t.p);
}

Test(rule2_glob, variables_count_like_their_expansion)
{
	struct text path = { 0 }, t = { 0 };

	/* @{HOME} has two values, one of them with a star: one wildcard */
	put(&path, "/a");
	put_repeat(&path, "/@{HOME}", KP_GLOB_MAX_WILDCARDS);
	glob_rule(&t, path.p);
	accept(t.p);
	put(&path, "/@{HOME}");
	glob_rule(&t, path.p);
	reject(t.p, KP_REASON_GLOB_COMPLEXITY, 3);
	free(path.p);
	free(t.p);
}

Test(rule2_glob, doublestar)
{
	struct text path = { 0 }, t = { 0 };

	put_repeat(&path, "/**", KP_GLOB_MAX_DOUBLESTAR);
	glob_rule(&t, path.p);
	accept(t.p);
	put(&path, "/**");
	glob_rule(&t, path.p);
	reject(t.p, KP_REASON_GLOB_COMPLEXITY, 3);
	/* a star before a variable that starts with one makes a '**' */
	path.len = 0;
	put_repeat(&path, "/**", KP_GLOB_MAX_DOUBLESTAR);
	put(&path, "/x*@{multiarch}");
	glob_rule(&t, path.p);
	reject(t.p, KP_REASON_GLOB_COMPLEXITY, 3);
	free(path.p);
	free(t.p);
}

Test(rule2_glob, alternation_depth_and_width)
{
	struct text path = { 0 }, t = { 0 };

	put(&path, "/");
	put_repeat(&path, "{a,", KP_GLOB_MAX_ALT_DEPTH);
	put_repeat(&path, "b}", KP_GLOB_MAX_ALT_DEPTH);
	glob_rule(&t, path.p);
	accept(t.p);
	path.len = 0;
	put(&path, "/");
	put_repeat(&path, "{a,", KP_GLOB_MAX_ALT_DEPTH + 1);
	put_repeat(&path, "b}", KP_GLOB_MAX_ALT_DEPTH + 1);
	glob_rule(&t, path.p);
	reject(t.p, KP_REASON_GLOB_COMPLEXITY, 3);

	path.len = 0;
	put(&path, "/{a");
	put_repeat(&path, ",a", KP_GLOB_MAX_ALT_WIDTH - 1);
	put(&path, "}");
	glob_rule(&t, path.p);
	accept(t.p);
	path.len = 0;
	put(&path, "/{a");
	put_repeat(&path, ",a", KP_GLOB_MAX_ALT_WIDTH);
	put(&path, "}");
	glob_rule(&t, path.p);
	reject(t.p, KP_REASON_GLOB_COMPLEXITY, 3);
	free(path.p);
	free(t.p);
}

#define MIN(a, b) ((a) < (b) ? (a) : (b))

Test(rule2_glob, classes)
{
	struct text path = { 0 }, t = { 0 };

	/* after a '*' (closed by '/', so no ambiguity) */
	put(&path, "/a*/");
	put_repeat(&path, "[0-9]", MIN(KP_GLOB_MAX_CHARCLASS,
	    KP_GLOB_MAX_PATTERN_CLASSES));
	glob_rule(&t, path.p);
	accept(t.p);
	path.len = 0;
	put(&path, "/a*/");
	put_repeat(&path, "[0-9]", KP_GLOB_MAX_CHARCLASS + 1);
	glob_rule(&t, path.p);
	reject(t.p, KP_REASON_GLOB_COMPLEXITY, 3);
	/* every class, with no '*' at all */
	path.len = 0;
	put(&path, "/");
	put_repeat(&path, "[0-9]", KP_GLOB_MAX_PATTERN_CLASSES);
	glob_rule(&t, path.p);
	accept(t.p);
	put(&path, "[0-9]");
	glob_rule(&t, path.p);
	reject(t.p, KP_REASON_GLOB_COMPLEXITY, 3);
	/* the bomb: @{pid} concatenated, 28 classes each */
	path.len = 0;
	put(&path, "/");
	put_repeat(&path, "@{pid}", 50);
	glob_rule(&t, path.p);
	reject(t.p, KP_REASON_GLOB_COMPLEXITY, 3);
	free(path.p);
	free(t.p);
}

Test(rule2_glob, ambiguity)
{
	struct text path = { 0 }, t = { 0 };

	/* the double star, q, classes, then z: one point per class */
	put(&path, "/**q");
	put_repeat(&path, "[a-z]", KP_GLOB_MAX_AMBIGUITY);
	put(&path, "z");
	glob_rule(&t, path.p);
	accept(t.p);
	path.len = 0;
	put(&path, "/**q");
	put_repeat(&path, "[a-z]", KP_GLOB_MAX_AMBIGUITY + 1);
	put(&path, "z");
	glob_rule(&t, path.p);
	reject(t.p, KP_REASON_GLOB_COMPLEXITY, 3);
	/* the issue's bomb */
	reject(BODY("  /**a?????????????????? r,"), KP_REASON_GLOB_COMPLEXITY,
	    3);
	/* points add up over the profile: one per @{multiarch} */
	t.len = 0;
	put(&t, "#include <tunables/global>\nprofile custom.t {\n");
	put_repeat(&t, "  /usr/lib/@{multiarch}/*.so mr,\n",
	    KP_GLOB_MAX_AMBIGUITY);
	put(&t, "}\n");
	accept(t.p);
	t.len -= 2;
	put(&t, "  /usr/lib/@{multiarch}/*.so mr,\n}\n");
	reject(t.p, KP_REASON_GLOB_COMPLEXITY, KP_GLOB_MAX_AMBIGUITY + 3);
	/* common shapes cost nothing */
	accept(BODY("  /**/*.log r,\n  /var/www/**/*.{html,css,js} r,\n"
	    "  @{HOME}/** r,\n  /sys/[^f]*/** r,"));
	free(path.p);
	free(t.p);
}

Test(rule2_glob, floating_bytes)
{
	struct text path = { 0 }, t = { 0 };

	put(&path, "/**");
	put_repeat(&path, "a", KP_GLOB_MAX_FLOATING_CHARS);
	glob_rule(&t, path.p);
	accept(t.p);
	put(&path, "a");
	glob_rule(&t, path.p);
	reject(t.p, KP_REASON_GLOB_COMPLEXITY, 3);
	free(path.p);
	free(t.p);
}

Test(rule2_glob, expanded_size)
{
	struct text path = { 0 }, t = { 0 };

	/* @{uid} expands to about 240 bytes */
	put(&path, "/");
	put_repeat(&path, "@{uid}/", 40);
	glob_rule(&t, path.p);
	reject(t.p, KP_REASON_GLOB_COMPLEXITY, 3);
	cr_assert_not_null(strstr(vd.error.message, "expanded"), "%s",
	    vd.error.message);
	free(path.p);
	free(t.p);
}

Test(rule2_glob, profile_totals)
{
	struct text path = { 0 }, t = { 0 };
	size_t rules = KP_GLOB_MAX_PROFILE_WILDCARDS / KP_GLOB_MAX_WILDCARDS;
	size_t pid_rules = KP_GLOB_MAX_PROFILE_CLASSES / 28;

	if (rules + 1 > KP_RULES_MAX || pid_rules + 1 > KP_RULES_MAX)
		cr_skip_test("the profile limits are out of reach of the rule "
		    "limit");
	/* wildcards */
	put(&path, "  /a");
	put_repeat(&path, "/x*", KP_GLOB_MAX_WILDCARDS);
	put(&path, " r,\n");
	put(&t, "profile custom.t {\n");
	put_repeat(&t, path.p, rules);
	put(&t, "}\n");
	if (KP_GLOB_MAX_PROFILE_WILDCARDS % KP_GLOB_MAX_WILDCARDS == 0)
		accept(t.p);
	t.len -= 2;
	put(&t, path.p);
	put(&t, "}\n");
	reject(t.p, KP_REASON_GLOB_COMPLEXITY, (unsigned)rules + 2);
	/* classes: @{pid} holds 28 */
	t.len = 0;
	put(&t, "#include <tunables/global>\nprofile custom.t {\n");
	put_repeat(&t, "  @{PROC}/@{pid}/x r,\n", pid_rules);
	put(&t, "}\n");
	accept(t.p);
	t.len -= 2;
	put(&t, "  @{PROC}/@{pid}/x r,\n}\n");
	reject(t.p, KP_REASON_GLOB_COMPLEXITY, (unsigned)pid_rules + 3);
	free(path.p);
	free(t.p);
}

Test(rule2_glob, abstraction_includes)
{
	static const char *const names[] = {
		"python", "openssl", "ssl_certs", "perl", "ruby", "bash",
	};
	struct text t = { 0 };

	cr_assert(KP_GLOB_MAX_ABSTRACTION_INCLUDES < 6);
	put(&t, "#include <tunables/global>\nprofile custom.t {\n");
	for (size_t i = 0; i < KP_GLOB_MAX_ABSTRACTION_INCLUDES; i++) {
		put(&t, "  #include <abstractions/");
		put(&t, names[i]);
		put(&t, ">\n");
	}
	put(&t, "}\n");
	accept(t.p);
	t.len -= 2;
	put(&t, "  include <abstractions/python>\n}\n");
	reject(t.p, KP_REASON_TOO_MANY_RULES,
	    KP_GLOB_MAX_ABSTRACTION_INCLUDES + 3);
	free(t.p);
}

Test(rule2_glob, malformed_globs)
{
	reject(BODY("  /a/{b r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a/b} r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a/[b r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a/[] r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a/[{] r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a/*** r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a,b r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a/{b,,c} r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a/{b, c} r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a#b r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a$b r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a/@{ r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a/@{} r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  a/b r,"), KP_REASON_UNKNOWN_RULE, 3);
	accept(BODY("  /a/[^/]*/[-a-z0-9._] r,\n  /a/{,b,c}/@x r,\n"
	    "  /a/[^-] r,\n  /a/[A-Z] r,"));
	/* the parser fails on these class forms */
	reject(BODY("  /a/[a-] r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a/[a-z-9] r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a/[a--] r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a/[z-a] r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a/[a-Z] r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a/[.-9] r,"), KP_REASON_SYNTAX, 3);
}

/* ---- rule 3: structure ------------------------------------------------- */

Test(rule3_structure, preamble)
{
	accept("# hello\n\nabi <abi/3.0>,\n#include <tunables/global>\n"
	    "include <tunables/proc> # proc\nprofile custom.t {\n}\n");
	reject("foo\nprofile custom.t {\n}\n", KP_REASON_PREAMBLE, 1);
	reject("# c\n/foo r,\nprofile custom.t {\n}\n", KP_REASON_PREAMBLE,
	    2);
	reject("{\nprofile custom.t {\n}\n", KP_REASON_UNBALANCED, 1);
}

Test(rule3_structure, no_profile)
{
	reject("#include <tunables/global>\n# nothing else\n",
	    KP_REASON_NO_PROFILE, 3);
}

Test(rule3_structure, abi)
{
	accept("abi <abi/3.0>,\nprofile custom.t {\n}\n");
	accept("abi <abi/kernel-5.4-vanilla> , # c\nprofile custom.t {\n}\n");
	reject("abi <abi/4.0>,\nprofile custom.t {\n}\n", KP_REASON_ABI, 1);
	reject("abi <kernel>,\nprofile custom.t {\n}\n", KP_REASON_ABI, 1);
	reject("abi <abi/../../etc/shadow>,\nprofile custom.t {\n}\n",
	    KP_REASON_ABI, 1);
	reject("abi \"/etc/shadow\",\nprofile custom.t {\n}\n", KP_REASON_ABI,
	    1);
	reject("abi /etc/shadow,\nprofile custom.t {\n}\n", KP_REASON_ABI, 1);
	reject("abi <abi/3.0>,\nabi <abi/3.0>,\nprofile custom.t {\n}\n",
	    KP_REASON_ABI, 2);
	reject("abi <abi/3.0>\nprofile custom.t {\n}\n", KP_REASON_SYNTAX, 1);
	reject("abi <abi/3.0>, include <tunables/global>\n"
	    "profile custom.t {\n}\n", KP_REASON_SYNTAX, 1);
	reject(BODY("  abi <abi/3.0>,"), KP_REASON_ABI, 3);
	reject("profile custom.t {\n}\nabi <abi/3.0>,\n", KP_REASON_ABI, 3);
}

Test(rule3_structure, tunables)
{
	accept("#include <tunables/home>\n#include <tunables/global>\n"
	    "profile custom.t {\n  @{HOME}/ r,\n}\n");
	reject("#include <tunables/nope>\nprofile custom.t {\n}\n",
	    KP_REASON_TUNABLE, 1);
	reject("#include <tunables/home.d>\nprofile custom.t {\n}\n",
	    KP_REASON_TUNABLE, 1);
}

Test(rule3_structure, header)
{
	reject("/usr/bin/foo {\n}\n", KP_REASON_HEADER, 1);
	reject(":ns:custom.t {\n}\n", KP_REASON_HEADER, 1);
	reject("custom.t flags=(enforce) {\n}\n", KP_REASON_PREAMBLE, 1);
	reject("profile\ncustom.t {\n}\n", KP_REASON_HEADER, 1);
	reject("profile custom.t /usr/bin/foo {\n}\n", KP_REASON_HEADER, 1);
	reject("profile custom.t xattrs=(a=b) {\n}\n", KP_REASON_HEADER, 1);
	reject("profile custom.t (enforce) {\n}\n", KP_REASON_HEADER, 1);
	reject("profile custom.t\n", KP_REASON_HEADER, 2);
	reject("profile \"custom.t\" {\n}\n", KP_REASON_SYNTAX, 1);
	reject("profile custom.t flags\n=(enforce) {\n}\n", KP_REASON_SYNTAX,
	    1);
	accept("profile custom.t # the header may hold comments\n"
	    "  flags = ( enforce ,\n mediate_deleted ) # here too\n{\n}\n");
}

Test(rule3_structure, name_mismatch)
{
	reject("profile docker-default {\n}\n", KP_REASON_NAME_MISMATCH, 1);
	reject("profile custom.t{\n}\n", KP_REASON_NAME_MISMATCH, 1);
	reject("profile custom.t,x {\n}\n", KP_REASON_NAME_MISMATCH, 1);
	reject("profile :ns:custom.t {\n}\n", KP_REASON_NAME_MISMATCH, 1);
	reject("profile custom.t//hat {\n}\n", KP_REASON_NAME_MISMATCH, 1);
	reject("profile custom.tt {\n}\n", KP_REASON_NAME_MISMATCH, 1);
	reject("profile custom. {\n}\n", KP_REASON_NAME_MISMATCH, 1);
}

Test(rule3_structure, extra_profile)
{
	reject("profile custom.t {\n}\nprofile docker-default {\n}\n",
	    KP_REASON_EXTRA_PROFILE, 3);
	reject("profile custom.t {\n}\n/usr/bin/foo {\n}\n",
	    KP_REASON_EXTRA_PROFILE, 3);
	reject("profile custom.t {\n}\n# c\n  :ns:foo flags=(complain) {\n}\n",
	    KP_REASON_EXTRA_PROFILE, 4);
	/* the first profile must already be ours */
	reject("profile docker-default {\n}\nprofile custom.t {\n}\n",
	    KP_REASON_NAME_MISMATCH, 1);
}

Test(rule3_structure, flags)
{
	accept("profile custom.t flags=(enforce,attach_disconnected,"
	    "mediate_deleted) {\n}\n");
	reject("profile custom.t flags=(kill) {\n}\n", KP_REASON_FLAG, 1);
	reject("profile custom.t flags=(audit) {\n}\n", KP_REASON_FLAG, 1);
	reject("profile custom.t flags=(chroot_relative) {\n}\n",
	    KP_REASON_FLAG, 1);
	reject("profile custom.t flags=(\nenforce,\nbogus) {\n}\n",
	    KP_REASON_FLAG, 3);
	reject("profile custom.t flags=() {\n}\n", KP_REASON_FLAG, 1);
	reject("profile custom.t flags=(enforce#) {\n}\n", KP_REASON_FLAG, 1);
}

Test(rule3_structure, complain)
{
	const char *text = "profile custom.t flags=(complain) {\n}\n";

	reject(text, KP_REASON_COMPLAIN, 1);
	accept_permissive(text);
	cr_assert(has_warning(KP_REASON_COMPLAIN, 1));
	reject_permissive("profile custom.t flags=(complain,enforce) {\n}\n",
	    KP_REASON_FLAG, 1);
}

Test(rule3_structure, unbalanced)
{
	reject("profile custom.t {\n  /a r,\n", KP_REASON_UNBALANCED, 3);
	reject("profile custom.t {\n}\n}\n", KP_REASON_UNBALANCED, 3);
	accept("profile custom.t {\n  /a r,\n}");
}

Test(rule3_structure, trailing)
{
	accept("profile custom.t {\n}\n# comment\n\n   # another\n");
	reject("profile custom.t {\n}\n/foo r,\n", KP_REASON_TRAILING, 3);
	reject("profile custom.t {\n}\nfoo\n", KP_REASON_TRAILING, 3);
	reject("profile custom.t {\n}\n#include <abstractions/base>\n",
	    KP_REASON_TRAILING, 3);
	reject("profile custom.t {\n} /foo r,\n", KP_REASON_TRAILING, 2);
	reject("profile custom.t {\n}\n# no newline", KP_REASON_SYNTAX, 3);
}

/* ---- rule 4: includes -------------------------------------------------- */

Test(rule4_include, allowed_abstractions_both_spellings)
{
	accept(BODY("  #include <abstractions/base>\n"
	    "  include <abstractions/nameservice>\n"
	    "  #include\t<abstractions/openssl>   # with a comment"));
}

Test(rule4_include, refused)
{
	reject(BODY("  #include <abstractions/opencl-nvidia>"),
	    KP_REASON_INCLUDE, 3);
	reject(BODY("  #include <abstractions/ubuntu-helpers>"),
	    KP_REASON_INCLUDE, 3);
	reject(BODY("  #include <abstractions/snap_browsers>"),
	    KP_REASON_INCLUDE, 3);
	reject(BODY("  #include <abstractions/nope>"), KP_REASON_INCLUDE, 3);
	reject(BODY("  #include <abstractions>"), KP_REASON_INCLUDE, 3);
	reject(BODY("  #include <abstractions/>"), KP_REASON_INCLUDE, 3);
	reject(BODY("  #include <abstractions/ubuntu-browsers.d>"),
	    KP_REASON_INCLUDE, 3);
	reject(BODY("  #include <abstractions/../../etc/shadow>"),
	    KP_REASON_INCLUDE, 3);
	reject(BODY("  #include <abstractions/..>"), KP_REASON_INCLUDE, 3);
	reject(BODY("  #include </etc/shadow>"), KP_REASON_INCLUDE, 3);
	reject(BODY("  #include \"/etc/shadow\""), KP_REASON_INCLUDE, 3);
	reject(BODY("  include /etc/shadow"), KP_REASON_INCLUDE, 3);
	reject(BODY("  include if exists <abstractions/base>"),
	    KP_REASON_INCLUDE, 3);
	reject(BODY("  #include if exists <abstractions/base>"),
	    KP_REASON_INCLUDE, 3);
	cr_assert_not_null(strstr(vd.error.message, "if exists"), "%s",
	    vd.error.message);
	reject(BODY("  #includes <abstractions/base>"), KP_REASON_INCLUDE, 3);
	reject(BODY("  #include<abstractions/base>"), KP_REASON_INCLUDE, 3);
	reject(BODY("  #include < abstractions/base >"), KP_REASON_INCLUDE, 3);
	/* a tab inside <...> or quotes never reaches a message */
	reject("#include <tunables/glob\tl>\nprofile custom.t {\n}\n",
	    KP_REASON_INCLUDE, 1);
	reject("abi <abi/3\t0>,\nprofile custom.t {\n}\n", KP_REASON_ABI, 1);
	reject(BODY("  \"/a\tb\" r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  #include <tunables/global>"), KP_REASON_INCLUDE, 3);
	reject("#include <abstractions/base>\nprofile custom.t {\n}\n",
	    KP_REASON_INCLUDE, 1);
	reject("#include <tunables>\nprofile custom.t {\n}\n",
	    KP_REASON_INCLUDE, 1);
}

Test(rule4_include, include_is_found_where_flex_finds_it)
{
	/* after a rule on the same line: still an include */
	reject(BODY("  /a r, #include <abstractions/nope>"), KP_REASON_INCLUDE,
	    3);
	/* text after an include on its line would be a rule */
	reject(BODY("  #include <abstractions/base> /etc/shadow r,"),
	    KP_REASON_SYNTAX, 3);
	/* inside a rule or the header */
	reject(BODY("  /a #include <abstractions/base>\n  r,"),
	    KP_REASON_INCLUDE, 3);
	reject(BODY("  deny #include <abstractions/base>\n  /a r,"),
	    KP_REASON_INCLUDE, 3);
	reject(BODY("  deny include <abstractions/base>"), KP_REASON_INCLUDE,
	    3);
	reject("profile custom.t flags=(enforce) #include <abstractions/base>"
	    "\n{\n}\n", KP_REASON_INCLUDE, 1);
	/* '# include' with a blank is a comment */
	accept(BODY("  # include <abstractions/nope>"));
	/* the directive needs its newline, as in flex */
	reject("profile custom.t {\n  #include <abstractions/python>",
	    KP_REASON_SYNTAX, 2);
}

Test(rule4_include, abstraction_needs_its_tunables)
{
	reject("profile custom.t {\n  #include <abstractions/base>\n}\n",
	    KP_REASON_UNKNOWN_VARIABLE, 2);
	/* python uses no variable */
	accept("profile custom.t {\n  #include <abstractions/python>\n}\n");
}

/* ---- rule 5: forbidden constructs -------------------------------------- */

Test(rule5_forbidden, variable_definitions)
{
	reject("@{N}=docker-default\nprofile @{N} {\n}\n",
	    KP_REASON_VARIABLE_DEF, 1);
	reject("#include <tunables/global>\n@{HOME} += /srv/\n"
	    "profile custom.t {\n}\n", KP_REASON_VARIABLE_DEF, 2);
	reject("$b = true\nprofile custom.t {\n}\n", KP_REASON_VARIABLE_DEF, 1);
	reject(BODY("  @{X}=/etc/shadow"), KP_REASON_VARIABLE_DEF, 3);
	reject(BODY("  @{HOME} = /etc/"), KP_REASON_VARIABLE_DEF, 3);
	reject(BODY("  @X = /etc/"), KP_REASON_VARIABLE_DEF, 3);
	reject(BODY("  $b=true"), KP_REASON_VARIABLE_DEF, 3);
	accept(BODY("  @{HOME} r,\n  @{HOME}/** rw,"));
}

Test(rule5_forbidden, alias)
{
	reject("alias /usr/ -> /mnt/usr/,\nprofile custom.t {\n}\n",
	    KP_REASON_ALIAS, 1);
	reject("rewrite /usr/ -> /mnt/,\nprofile custom.t {\n}\n",
	    KP_REASON_ALIAS, 1);
	reject(BODY("  alias /a -> /b,"), KP_REASON_ALIAS, 3);
}

Test(rule5_forbidden, conditionals)
{
	reject("if $b {\n}\nprofile custom.t {\n}\n", KP_REASON_CONDITIONAL,
	    1);
	reject("$b\nprofile custom.t {\n}\n", KP_REASON_CONDITIONAL, 1);
	reject(BODY("  if defined @{HOME} {\n  }"), KP_REASON_CONDITIONAL, 3);
	reject(BODY("  $b r,"), KP_REASON_CONDITIONAL, 3);
}

Test(rule5_forbidden, hats_and_child_profiles)
{
	reject(BODY("  ^hat {\n  }"), KP_REASON_HAT, 3);
	reject(BODY("  hat foo {\n  }"), KP_REASON_HAT, 3);
	reject("^custom.t {\n}\n", KP_REASON_HAT, 1);
	reject("hat custom.t {\n}\n", KP_REASON_HAT, 1);
	reject(BODY("  profile docker-default {\n  }"),
	    KP_REASON_CHILD_PROFILE, 3);
	reject(BODY("  audit profile x {\n  }"), KP_REASON_CHILD_PROFILE, 3);
	/* words that only start like the keywords are not them */
	reject(BODY("  profiles,"), KP_REASON_UNKNOWN_RULE, 3);
	reject(BODY("  hatch,"), KP_REASON_UNKNOWN_RULE, 3);
}

Test(rule5_forbidden, arrow)
{
	reject(BODY("  /usr/bin/foo Px -> docker-default,"), KP_REASON_ARROW,
	    3);
	reject(BODY("  /usr/bin/foo ix -> x,"), KP_REASON_ARROW, 3);
	reject(BODY("  link /a -> /etc/shadow,"), KP_REASON_ARROW, 3);
	reject(BODY("  change_profile -> docker-default,"), KP_REASON_ARROW,
	    3);
	reject(BODY("  deny mount -> /mnt/,"), KP_REASON_ARROW, 3);
	reject(BODY("  deny pivot_root /a -> x,"), KP_REASON_ARROW, 3);
	reject(BODY("  ->,"), KP_REASON_ARROW, 3);
	reject("-> x\nprofile custom.t {\n}\n", KP_REASON_ARROW, 1);
	reject(BODY("  network -> x,"), KP_REASON_ARROW, 3);
	/* rule 5 is reported before rule 6 in the same rule */
	reject(BODY("  /usr/bin/foo px -> bar,"), KP_REASON_ARROW, 3);
	/* inside a path '>' is no path character: a plain syntax error */
	reject(BODY("  /a->b r,"), KP_REASON_SYNTAX, 3);
	accept(BODY("  /a-b/c-d.txt r,"));
}

Test(rule5_forbidden, backslash)
{
	reject(BODY("  /a\\ b r,"), KP_REASON_BACKSLASH, 3);
	reject("# a \\ in a comment\nprofile custom.t {\n}\n",
	    KP_REASON_BACKSLASH, 1);
	reject(BODY("  #include <abstractions/\\.\\./x>"), KP_REASON_BACKSLASH,
	    3);
}

Test(rule5_forbidden, quotes)
{
	reject(BODY("  \"/a\n b\" r,"), KP_REASON_QUOTE, 3);
	reject("\"x\nprofile custom.t {\n}\n", KP_REASON_QUOTE, 1);
	reject(BODY("  capability \"chown\","), KP_REASON_SYNTAX, 3);
	reject(BODY("  capability \"chown,\n}"), KP_REASON_QUOTE, 3);
	reject(BODY("  signal peer=\"x,"), KP_REASON_QUOTE, 3);
	reject(BODY("  #include \"x"), KP_REASON_QUOTE, 3);
	accept(BODY("  \"/srv/my data/**\" r,\n  \"@{HOME}/a b\" rw,"));
	accept("# \"quotes\" and 'apostrophes' in comments are fine\n"
	    "profile custom.t {\n}\n");
	reject(BODY("  \"/a b\"r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  \":ns\" r,"), KP_REASON_SYNTAX, 3);
}

Test(rule5_forbidden, unknown_variables)
{
	reject(BODY("  @{FOO}/bar r,"), KP_REASON_UNKNOWN_VARIABLE, 3);
	reject(BODY("  @{profile_name} r,"), KP_REASON_UNKNOWN_VARIABLE, 3);
	reject("#include <tunables/proc>\nprofile custom.t {\n"
	    "  @{HOME}/ r,\n}\n", KP_REASON_UNKNOWN_VARIABLE, 3);
	reject("profile custom.t {\n  @{PROC}/ r,\n}\n",
	    KP_REASON_UNKNOWN_VARIABLE, 2);
	/* @{DOVECOT_MAILSTORE} is built from @{HOME}, @{apparmorfs} from
	 * @{sys} of tunables/kernelvars */
	reject("#include <tunables/dovecot>\nprofile custom.t {\n"
	    "  @{DOVECOT_MAILSTORE} r,\n}\n", KP_REASON_UNKNOWN_VARIABLE, 3);
	reject("#include <tunables/apparmorfs>\nprofile custom.t {\n"
	    "  @{apparmorfs}/** r,\n}\n", KP_REASON_UNKNOWN_VARIABLE, 3);
	accept("#include <tunables/global>\n#include <tunables/apparmorfs>\n"
	    "profile custom.t {\n  @{apparmorfs}/** r,\n}\n");
	reject(BODY("  signal peer=@{HOME},"), KP_REASON_SYNTAX, 3);
}

Test(rule5_forbidden, unknown_rules)
{
	reject(BODY("  mqueue,"), KP_REASON_UNKNOWN_RULE, 3);
	reject(BODY("  io_uring,"), KP_REASON_UNKNOWN_RULE, 3);
	reject(BODY("  unmount,"), KP_REASON_UNKNOWN_RULE, 3);
	reject(BODY("  safe /a px,"), KP_REASON_UNKNOWN_RULE, 3);
	reject(BODY("  set capability chown,"), KP_REASON_UNKNOWN_RULE, 3);
	reject(BODY("  capability chown,setuid,"), KP_REASON_UNKNOWN_RULE, 3);
	reject(BODY("  %x,"), KP_REASON_UNKNOWN_RULE, 3);
	reject(BODY("  deny userns,"), KP_REASON_UNKNOWN_RULE, 3);
	reject(BODY("  deny all,"), KP_REASON_UNKNOWN_RULE, 3);
}

Test(rule5_forbidden, syntax)
{
	reject(BODY("  { /a r, }"), KP_REASON_SYNTAX, 3);
	reject(BODY("  audit {\n  /a r,\n  }"), KP_REASON_SYNTAX, 3);
	reject(BODY("  deny audit /a r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  owner deny /a r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  deny allow /a r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  audit audit /a r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  owner other /a r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  user /a r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  deny/etc/shadow r,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a r"), KP_REASON_SYNTAX, 4);
	reject(BODY("  /a r#,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  deny,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  deny }"), KP_REASON_SYNTAX, 3);
}

/* ---- the rules a body may hold ----------------------------------------- */

Test(rules_file, permissions)
{
	accept(BODY("  /a r,\n  /a w,\n  /a a,\n  /a l,\n  /a k,\n  /a m,\n"
	    "  /a mrwlk,\n  /a ix,\n  /a rix,\n  /a mrix,\n"
	    "  deny /a x,\n  deny /a mrwklx,\n  audit deny owner /a rw,\n"
	    "  allow /a r,\n  other /a r,\n  owner /a r,"));
	reject(BODY("  /a x,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  deny /a ix,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  deny /a px,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a wa,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a rr,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a R,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a ixix,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a pUx,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a iix,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a r w,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  /a rw /b,"), KP_REASON_SYNTAX, 3);
}

Test(rules_file, forms)
{
	accept(BODY("  rw /a,\n  file /a r,\n  file r /a,\n  audit file,\n"
	    "  owner file,\n  /a\n    r # permissions on the next line\n  ,\n"
	    "  /a r,/b r,\n  @{HOME} r,"));
	reject(BODY("  deny file,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  r subset /a,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  l <= /a,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  r,"), KP_REASON_UNKNOWN_RULE, 3);
	reject(BODY("  @foo/bar r,"), KP_REASON_SYNTAX, 3);
	/* "x" then a newline lexes as permissions, as in flex */
	reject(BODY("  file,x"), KP_REASON_SYNTAX, 4);
	reject(BODY("  file,y"), KP_REASON_UNKNOWN_RULE, 3);
}

Test(rules_capability, names)
{
	accept(BODY("  capability chown,\n  capability setuid setgid,\n"
	    "  capability\n    net_bind_service # comment inside\n  ,\n"
	    "  deny capability sys_admin,\n  audit capability kill,"));
	reject(BODY("  capability foo,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  capability CHOWN,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  capability chown#,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  owner capability chown,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  capability=chown,"), KP_REASON_SYNTAX, 3);
}

Test(rules_network, families_and_types)
{
	accept(BODY("  network,\n  network inet,\n  network tcp,\n"
	    "  network inet6 stream,\n  network unix dgram,\n"
	    "  network inet raw,\n  network inet icmp,\n  network netlink raw,"
	    "\n  deny network packet,\n  network\n  inet\n  udp\n  ,"));
	reject(BODY("  network inet foo,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  network inet6 icmp,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  network inet tcp udp,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  network local,"), KP_REASON_SYNTAX, 3);
	/* '#' is no comment in a network rule */
	reject(BODY("  network inet # c\n  ,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  owner network,"), KP_REASON_SYNTAX, 3);
}

Test(rules_signal, forms)
{
	accept(BODY("  signal,\n  signal (send),\n  signal receive,\n"
	    "  signal (send, receive) set=(hup int term) peer=unconfined,\n"
	    "  signal set=rtmin+3,\n  signal r peer=custom.t,\n"
	    "  signal\n  (send)\n  peer=foo\n  ,"));
	reject(BODY("  signal set=lost,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  signal set=rtmin+33,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  signal set=rtmin+03,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  signal (bogus),"), KP_REASON_SYNTAX, 3);
	/* the value runs on past a ',' that a token character follows */
	reject(BODY("  signal peer=foo,bar,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  signal peer=(foo),"), KP_REASON_SYNTAX, 3);
	reject(BODY("  signal peer= foo,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  signal bogus=foo,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  signal (send)peer=foo,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  signal () ,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  signal set=hup set=int,"), KP_REASON_SYNTAX, 3);
}

Test(rules_ptrace, forms)
{
	accept(BODY("  ptrace,\n  ptrace (trace,read) peer=foo,\n"
	    "  ptrace readby peer=unconfined,\n  deny ptrace (trace),"));
	reject(BODY("  ptrace (send),"), KP_REASON_SYNTAX, 3);
	reject(BODY("  ptrace set=hup,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  ptrace peer=a,b,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  ptrace peer=foo peer=foo,"), KP_REASON_SYNTAX, 3);
}

Test(rules_unix, forms)
{
	accept(BODY("  unix,\n  unix (send receive) type=stream,\n"
	    "  unix (connect) type=stream peer=(label=foo addr=none),\n"
	    "  unix bind addr=@/tmp/sock,\n  unix peer=(addr=@foo*),"));
	reject(BODY("  unix peer=foo,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  unix type=bogus,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  unix addr=/tmp/x,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  unix peer=(label=a) type=stream,"), KP_REASON_SYNTAX,
	    3);
	reject(BODY("  unix peer=(bogus=a),"), KP_REASON_SYNTAX, 3);
	reject(BODY("  unix peer=(),"), KP_REASON_SYNTAX, 3);
	reject(BODY("  unix opt=x,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  unix (bind) peer=(label=x),"), KP_REASON_SYNTAX, 3);
	reject(BODY("  unix type=stream type=dgram,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  unix peer=(label=a label=b),"), KP_REASON_SYNTAX, 3);
}

Test(rules_dbus, forms)
{
	accept(BODY("  dbus,\n  dbus send bus=system path=/org/foo,\n"
	    "  dbus (send receive) bus=session peer=(name=org.foo "
	    "label=unconfined),\n  dbus bind bus=session name=org.foo.bar,\n"
	    "  dbus member={Hello,Bye},\n  deny dbus eavesdrop,"));
	reject(BODY("  dbus bogus=x,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  dbus (trace),"), KP_REASON_SYNTAX, 3);
	reject(BODY("  dbus path=/a/@{HOME},"), KP_REASON_SYNTAX, 3);
	reject(BODY("  dbus peer=(name=a) bus=system,"), KP_REASON_SYNTAX,
	    3);
	/* combinations apparmor_parser's dbus rule refuses */
	reject(BODY("  dbus receive name=org.x,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  dbus bind path=/org/x,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  dbus name=org.x path=/x,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  dbus eavesdrop member=x,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  dbus path=/a path=/b,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  dbus peer=(name=a name=b),"), KP_REASON_SYNTAX, 3);
	accept(BODY("  dbus eavesdrop bus=session,\n  dbus name=org.x,\n"
	    "  dbus path=/x peer=(label=y),"));
}

Test(rules_mount, deny_forms_and_syntax)
{
	accept(BODY("  deny mount,\n  deny remount,\n  deny pivot_root,\n"
	    "  deny mount fstype=(tmpfs ext4) options=(rw,nosuid) /dev/sda,\n"
	    "  deny mount options in (ro, nodev),\n"
	    "  deny mount fstype=proc,\n  deny pivot_root oldroot=/old /new,\n"
	    "  deny umount /mnt/,\n  umount /mnt/**,"));
	reject(BODY("  deny mount options=(bogus),"), KP_REASON_SYNTAX, 3);
	reject(BODY("  deny mount fstype=TMP,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  deny mount bogus=x,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  deny mount /a /b,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  deny pivot_root fstype=x,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  deny mount tmpfs,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  owner deny mount,"), KP_REASON_SYNTAX, 3);
	/* forms apparmor_parser cannot encode */
	reject(BODY("  deny remount fstype=tmpfs,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  deny mount fstype=tmpfs options=(bind),"),
	    KP_REASON_SYNTAX, 3);
	reject(BODY("  deny mount options in (rw) options=(ro),"),
	    KP_REASON_SYNTAX, 3);
	reject(BODY("  deny pivot_root oldroot=/a oldroot=/b,"),
	    KP_REASON_SYNTAX, 3);
	accept(BODY("  deny mount options=(bind) /a,\n"
	    "  deny remount options=(ro),\n  deny umount fstype=tmpfs,"));
}

Test(rules_change_profile, deny_forms)
{
	accept(BODY("  deny change_profile,\n"
	    "  deny change_profile /usr/bin/foo,"));
	reject(BODY("  deny change_profile unsafe /a,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  deny change_profile /a /b,"), KP_REASON_SYNTAX, 3);
}

Test(rules_rlimit, forms)
{
	accept(BODY("  set rlimit nofile <= 1024,\n  set rlimit as <= 1G,\n"
	    "  set rlimit data <= 10 KB,\n  set rlimit cpu <= 10,\n"
	    "  set rlimit nice <= -5,\n  set rlimit nproc <= infinity,\n"
	    "  set rlimit core <= 0,"));
	reject(BODY("  set rlimit nice <= -25,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  set rlimit as <= 010,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  set rlimit nofile <= 10 KB,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  set rlimit foo <= 10,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  set rlimit nofile 10,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  set rlimit nofile <= -1,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  set rlimit nofile <= infinity KB,"), KP_REASON_SYNTAX,
	    3);
	reject(BODY("  audit set rlimit nofile <= 10,"), KP_REASON_SYNTAX, 3);
}

/* ---- rule 6: the policy tier ------------------------------------------- */

Test(rule6_policy, mount)
{
	reject(BODY("  mount,"), KP_REASON_POLICY_MOUNT, 3);
	reject(BODY("  mount fstype=tmpfs,"), KP_REASON_POLICY_MOUNT, 3);
	reject(BODY("  audit remount /,"), KP_REASON_POLICY_MOUNT, 3);
	accept(BODY("  deny mount,\n  audit deny remount,"));
	accept_permissive(BODY("  mount,"));
	cr_assert(has_warning(KP_REASON_POLICY_MOUNT, 3));
}

Test(rule6_policy, pivot_root)
{
	reject(BODY("  pivot_root,"), KP_REASON_POLICY_PIVOT_ROOT, 3);
	accept(BODY("  deny pivot_root,"));
	accept_permissive(BODY("  pivot_root /new,"));
}

Test(rule6_policy, change_profile)
{
	reject(BODY("  change_profile,"), KP_REASON_POLICY_CHANGE_PROFILE, 3);
	reject(BODY("  change_profile /usr/bin/x,"),
	    KP_REASON_POLICY_CHANGE_PROFILE, 3);
	accept(BODY("  deny change_profile,"));
	accept_permissive(BODY("  change_profile,"));
}

Test(rule6_policy, userns_and_all)
{
	reject(BODY("  userns,"), KP_REASON_POLICY_USERNS, 3);
	reject(BODY("  all,"), KP_REASON_POLICY_ALL, 3);
	reject(BODY("  all ,"), KP_REASON_POLICY_ALL, 3);
	/* apparmor_parser 3.0.8 does not know these rules at all */
	reject_permissive(BODY("  userns,"), KP_REASON_UNKNOWN_RULE, 3);
	reject_permissive(BODY("  all,"), KP_REASON_UNKNOWN_RULE, 3);
}

Test(rule6_policy, exec_transitions)
{
	static const char *const modes[] = {
		"ux", "Ux", "px", "Px", "pux", "PUx", "cx", "Cx", "cux", "CUx",
		"pix", "Pix", "cix", "Cix", "rpx", "mPx",
	};
	char text[256];

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		snprintf(text, sizeof(text), BODY("  /usr/bin/foo %s,"),
		    modes[i]);
		reject(text, KP_REASON_POLICY_EXEC, 3);
		accept_permissive(text);
		cr_assert(has_warning(KP_REASON_POLICY_EXEC, 3));
	}
	accept(BODY("  /usr/bin/foo ix,\n  deny /usr/bin/bar x,"));
}

Test(rule6_policy, unconfined_flag)
{
	const char *text = "profile custom.t flags=(unconfined) {\n}\n";

	reject(text, KP_REASON_POLICY_UNCONFINED, 1);
	/* permissive lifts rule 6 only: rule 3 still refuses the flag */
	reject_permissive(text, KP_REASON_FLAG, 1);
}

Test(rule6_policy, warnings)
{
	accept(BODY("  capability,\n  capability sys_admin bpf,\n  file,\n"
	    "  umount,\n  ptrace,\n  /** rw,\n  /**/tmp a,\n"
	    "  deny capability sys_module,\n  deny /** w,\n  /** r,"));
	cr_assert(has_warning(KP_REASON_WARN_CAPABILITY_ALL, 3));
	cr_assert(has_warning(KP_REASON_WARN_CAPABILITY, 4));
	cr_assert(has_warning(KP_REASON_WARN_FILE_ALL, 5));
	cr_assert(has_warning(KP_REASON_WARN_UMOUNT, 6));
	cr_assert(has_warning(KP_REASON_WARN_PTRACE, 7));
	cr_assert(has_warning(KP_REASON_WARN_WRITE_ROOT, 8));
	cr_assert(has_warning(KP_REASON_WARN_WRITE_ROOT, 9));
	cr_assert_eq(vd.nwarnings, 8, "deny forms and reads do not warn");
	accept(BODY("  deny capability,\n  deny ptrace,\n  deny umount,"));
	cr_assert_eq(vd.nwarnings, 0);
	cr_assert_eq(vd.warnings_dropped, 0);
	accept_permissive(BODY("  capability sys_ptrace,"));
	cr_assert(has_warning(KP_REASON_WARN_CAPABILITY, 3));
}

Test(rule6_policy, warnings_are_capped)
{
	struct text t = { 0 };

	put(&t, "profile custom.t {\n");
	put_repeat(&t, "  capability sys_admin,\n", KP_WARNINGS_MAX + 5);
	put(&t, "}\n");
	accept(t.p);
	cr_assert_eq(vd.nwarnings, KP_WARNINGS_MAX);
	cr_assert_eq(vd.warnings_dropped, 5);
	free(t.p);
}

/* ---- messages and robustness ------------------------------------------- */

Test(messages, quote_only_the_truncated_token)
{
	struct text t = { 0 };

	put(&t, "profile custom.t {\n  capability ");
	put_repeat(&t, "x", 200);
	put(&t, " SECRET,\n}\n");
	reject(t.p, KP_REASON_SYNTAX, 2);
	cr_assert_null(strstr(vd.error.message, "SECRET"));
	cr_assert_not_null(strstr(vd.error.message, "xxx..."), "%s",
	    vd.error.message);
	cr_assert_lt(strlen(vd.error.message), KP_MESSAGE_MAX_LEN);
	free(t.p);
	reject(BODY("  /etc/shadow r, mqueue SECRET,"),
	    KP_REASON_UNKNOWN_RULE, 3);
	cr_assert_null(strstr(vd.error.message, "SECRET"));
	cr_assert_null(strstr(vd.error.message, "shadow"));
}

Test(robustness, data_is_not_nul_terminated)
{
	/* the bytes after len must never be read or matter */
	static const char buf[] = "profile custom.t {\n}\nprofile x {\n}\n";
	size_t len = strlen("profile custom.t {\n}\n");

	run_policy(KEY, buf, len, KP_POLICY_BASELINE);
	cr_assert(vd.accepted);
	/* cut in the middle of a token */
	run_policy(KEY, buf, 12, KP_POLICY_BASELINE);
	cr_assert_not(vd.accepted);
	cr_assert_eq(vd.error.reason, KP_REASON_NAME_MISMATCH);
	run_policy(KEY, buf, 19, KP_POLICY_BASELINE);
	cr_assert_eq(vd.error.reason, KP_REASON_UNBALANCED);
}

Test(robustness, pathological_inputs_are_fast)
{
	struct text t = { 0 };

	/* one 4 KiB line of braces, repeated to 64 KiB */
	put(&t, "profile custom.t {\n");
	while (t.len < KP_PROFILE_MAX_BYTES - KP_LINE_MAX_BYTES) {
		put(&t, "  /");
		put_repeat(&t, "{a,", 1000);
		put(&t, " r,\n");
	}
	put(&t, "}\n");
	reject(t.p, KP_REASON_GLOB_COMPLEXITY, 2);
	t.len = 0;
	while (t.len < KP_PROFILE_MAX_BYTES - 10)
		put(&t, "#\n");
	reject(t.p, KP_REASON_NO_PROFILE, (unsigned)t.len / 2 + 1);
	t.len = 0;
	put(&t, "profile custom.t {\n");
	while (t.len < KP_PROFILE_MAX_BYTES - 10)
		put(&t, "/a,\n");
	reject(t.p, KP_REASON_SYNTAX, 2);
	free(t.p);
}

Test(rules_syntax, corners)
{
	reject("profile custom.t flags=enforce {\n}\n", KP_REASON_SYNTAX, 1);
	reject("profile custom.t flags=(\"enforce\") {\n}\n", KP_REASON_SYNTAX,
	    1);
	reject("profile custom.t flags=(enforce) \"x\" {\n}\n",
	    KP_REASON_SYNTAX, 1);
	reject("profile custom.t ->\n{\n}\n", KP_REASON_ARROW, 1);
	reject("profile ,x {\n}\n", KP_REASON_NAME_MISMATCH, 1);
	reject("profile , {\n}\n", KP_REASON_SYNTAX, 1);
	reject("abi <abi/3.0,\nprofile custom.t {\n}\n", KP_REASON_ABI, 1);
	reject("abi \"x\nprofile custom.t {\n}\n", KP_REASON_QUOTE, 1);
	reject("include <tunables/global\nprofile custom.t {\n}\n",
	    KP_REASON_INCLUDE, 1);
	reject(BODY("  #include <abstractions/python> #include <x>"),
	    KP_REASON_INCLUDE, 3);
	reject(BODY("  signal (send \"x\"),"), KP_REASON_SYNTAX, 3);
	reject(BODY("  signal (send) x,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  signal send=x,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  signal set=(),"), KP_REASON_SYNTAX, 3);
	reject(BODY("  signal set=(hup \"x\"),"), KP_REASON_SYNTAX, 3);
	reject(BODY("  signal set=(hup)x,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  signal sendx,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  unix peer=(label=a, ,addr=@b)x,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  unix peer=(label),"), KP_REASON_SYNTAX, 3);
	reject(BODY("  unix peer=(label= a),"), KP_REASON_SYNTAX, 3);
	reject(BODY("  unix peer=(label=a\n"), KP_REASON_SYNTAX, 5);
	reject(BODY("  deny mount options (ro),"), KP_REASON_SYNTAX, 3);
	reject(BODY("  deny mount options=(ro"), KP_REASON_SYNTAX, 4);
	reject(BODY("  deny pivot_root oldroot /a,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  deny pivot_root oldroot= /a,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  deny pivot_root oldroot=x,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  deny mount \"/a,"), KP_REASON_QUOTE, 3);
	reject(BODY("  set rlimit <= 1,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  set rlimit nofile <= ,"), KP_REASON_SYNTAX, 3);
	reject(BODY("  set\n#include <abstractions/python>\n"),
	    KP_REASON_INCLUDE, 4);
	reject(BODY("  /a \"r\","), KP_REASON_SYNTAX, 3);
	reject(BODY("  rw \"/a\nb\","), KP_REASON_QUOTE, 3);
	reject(BODY("  rw,"), KP_REASON_UNKNOWN_RULE, 3);
	reject(BODY("  deny"), KP_REASON_SYNTAX, 4);
	accept(BODY("  unix peer=(label=a, addr=@b),\n"
	    "  signal set=(hup,int) ,"));
}

/*
 * Every conditional read by read_cond_value() refuses a blank after '='.
 * That failure leaves no value behind; the analyzer once flagged the
 * callers for reading one, so each caller is walked here once.
 */
Test(rules_syntax, blank_after_equals)
{
	static const char *const rules[] = {
		"  signal set= hup,",
		"  signal peer= foo,",
		"  unix type= stream,",
		"  unix addr= @x,",
		"  dbus bus= system,",
		"  deny mount fstype= tmpfs,",
		"  deny mount options= ro,",
	};
	char text[256];

	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		cr_assert_lt((size_t)snprintf(text, sizeof(text), BODY("%s"),
		    rules[i]), sizeof(text));
		reject(text, KP_REASON_SYNTAX, 3);
		cr_assert_str_eq(vd.error.message,
		    "no blank allowed after '='", "for %s", rules[i]);
	}
}
