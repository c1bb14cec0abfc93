/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rules a profile body may hold, each parsed the way apparmor_parser
 * 3.0.8 lexes it (see lexer.h), and anything else refused:
 *
 *   [audit] [allow|deny] [owner|other] <rule>
 *
 *   file rules     PATH PERMS,  PERMS PATH,  [file] ...,  file,
 *   capability     capability [NAME...],
 *   network        network [FAMILY] [TYPE|PROTOCOL],
 *   signal         signal [PERMS] [set=...] [peer=LABEL],
 *   ptrace         ptrace [PERMS] [peer=LABEL],
 *   unix           unix [PERMS] [type=..] [addr=..] [peer=(label=.. addr=..)],
 *   dbus           dbus [PERMS] [bus= path= interface= member= name=]
 *                       [peer=(name=.. label=..)],
 *   mount family   mount, remount, umount, pivot_root [conds] [PATH],
 *   change_profile change_profile [PATH],
 *   rlimit         set rlimit NAME <= VALUE,
 *
 * Rule-5 constructs (->, hats, child profiles, variables, aliases,
 * conditionals) are refused wherever they appear.  A rule-6 finding is held
 * until the whole rule has parsed, so that a rule-5 problem in the same rule
 * is the one reported.
 */
#include <stdint.h>
#include <string.h>

#include "common/validator_internal.h"

struct prefix {
	bool audit;
	bool deny;
	bool owner; /* owner or other */
	bool any;
};

struct rule {
	struct prefix pre;
	unsigned line;
	enum kp_reason policy; /* KP_REASON_NONE when the rule is fine */
	unsigned policy_line;
	const char *policy_what;
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const capability_names[] = {
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill",
	"setgid", "setuid", "setpcap", "linux_immutable", "net_bind_service",
	"net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
	"sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
	"sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time",
	"sys_tty_config", "mknod", "lease", "audit_write", "audit_control",
	"setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
	"block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
};

/* Capabilities that hand back most of what confinement takes away. */
static const char *const dangerous_capabilities[] = {
	"sys_admin", "sys_module", "mac_admin", "mac_override", "sys_rawio",
	"bpf", "perfmon", "sys_ptrace",
};

/* Address families apparmor_parser 3.0.8 knows (its af_names). */
static const char *const network_families[] = {
	"unix", "inet", "ax25", "ipx", "appletalk", "netrom", "bridge",
	"atmpvc", "x25", "inet6", "rose", "netbeui", "security", "key",
	"netlink", "packet", "ash", "econet", "atmsvc", "rds", "sna", "irda",
	"pppox", "wanpipe", "llc", "ib", "mpls", "can", "tipc", "bluetooth",
	"iucv", "rxrpc", "isdn", "phonet", "ieee802154", "caif", "alg", "nfc",
	"vsock", "kcm", "qipcrtr", "smc", "xdp",
};

static const char *const network_types[] = {
	"stream", "dgram", "seqpacket", "rdm", "raw", "packet",
};

static const char *const signal_names[] = {
	"hup", "int", "quit", "ill", "trap", "abrt", "bus", "fpe", "kill",
	"usr1", "segv", "usr2", "pipe", "alrm", "term", "stkflt", "chld",
	"cont", "stop", "stp", "ttin", "ttou", "urg", "xcpu", "xfsz", "vtalrm",
	"prof", "winch", "io", "pwr", "sys", "emt", "exists",
};
#define SIGNAL_RTMIN_MAX 32

static const char *const signal_perms[] = {
	"send", "receive", "read", "write", "r", "w", "rw",
};
static const char *const ptrace_perms[] = {
	"trace", "read", "tracedby", "readby", "r", "w", "rw",
};
static const char *const unix_perms[] = {
	"create", "bind", "listen", "accept", "connect", "shutdown", "getattr",
	"setattr", "getopt", "setopt", "send", "receive", "read", "write", "r",
	"w", "rw",
};
static const char *const dbus_perms[] = {
	"send", "receive", "bind", "eavesdrop", "read", "write", "r", "w",
	"rw",
};

static const char *const unix_types[] = {
	"stream", "dgram", "seqpacket",
};

static const char *const mount_options[] = {
	"ro", "r", "read-only", "rw", "w", "suid", "nosuid", "dev", "nodev",
	"exec", "noexec", "sync", "async", "remount", "mand", "nomand",
	"dirsync", "atime", "noatime", "diratime", "nodiratime", "bind", "B",
	"move", "M", "rbind", "R", "verbose", "silent", "loud", "acl", "noacl",
	"unbindable", "make-unbindable", "runbindable", "make-runbindable",
	"private", "make-private", "rprivate", "make-rprivate", "slave",
	"make-slave", "rslave", "make-rslave", "shared", "make-shared",
	"rshared", "make-rshared", "relatime", "norelatime", "iversion",
	"noiversion", "strictatime", "user", "nouser",
};

enum rlimit_kind {
	RLIMIT_COUNT, /* plain number */
	RLIMIT_SIZE,  /* number with an optional K/KB/M/MB/G/GB */
	RLIMIT_TIME,  /* number, no unit (the parser's default unit) */
	RLIMIT_NICE,  /* -20..19 */
};

static const struct {
	const char *name;
	enum rlimit_kind kind;
} rlimits[] = {
	{ "cpu", RLIMIT_TIME }, { "fsize", RLIMIT_SIZE },
	{ "data", RLIMIT_SIZE }, { "stack", RLIMIT_SIZE },
	{ "core", RLIMIT_SIZE }, { "rss", RLIMIT_SIZE },
	{ "nofile", RLIMIT_COUNT }, { "ofile", RLIMIT_COUNT },
	{ "as", RLIMIT_SIZE }, { "nproc", RLIMIT_COUNT },
	{ "memlock", RLIMIT_SIZE }, { "locks", RLIMIT_COUNT },
	{ "sigpending", RLIMIT_COUNT }, { "msgqueue", RLIMIT_SIZE },
	{ "nice", RLIMIT_NICE }, { "rtprio", RLIMIT_COUNT },
	{ "rttime", RLIMIT_TIME },
};
#define RLIMIT_DIGITS_MAX 18 /* fits a long long with any unit */

static const char *const size_units[] = {
	"K", "KB", "M", "MB", "G", "GB",
};

static bool
in_table(const char *const *table, size_t n, const struct kp_token *tok)
{
	for (size_t i = 0; i < n; i++) {
		if (kp_token_equals(tok, table[i]))
			return true;
	}
	return false;
}

#define IN_TABLE(t, tok) in_table((t), ARRAY_LEN(t), (tok))

static bool
is_blank_or_nl(int c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* Hold a rule-6 finding until the rule has fully parsed. */
static void
hold_policy(struct rule *r, enum kp_reason reason, unsigned line,
    const char *what)
{
	if (r->policy != KP_REASON_NONE)
		return;
	r->policy = reason;
	r->policy_line = line;
	r->policy_what = what;
}

static bool
finish_rule(struct kp_vstate *v, struct rule *r)
{
	if (r->policy == KP_REASON_NONE)
		return true;
	return kp_policy_violation(v, r->policy, r->policy_line,
	    r->policy_what);
}

/* ',' ends the rule; the lexer stands at it. */
static bool
expect_end(struct kp_vstate *v, struct rule *r)
{
	if (kp_lexer_peek(&v->lx, 0) != ',')
		return kp_fail_unexpected(v, "',' at the end of the rule");
	kp_lexer_advance(&v->lx, 1);
	return finish_rule(v, r);
}

static bool
refuse_owner(struct kp_vstate *v, const struct rule *r, const char *kind)
{
	if (!r->pre.owner)
		return true;
	return kp_fail(v, KP_REASON_SYNTAX, r->line,
	    "'owner'/'other' does not apply to %s rules", kind);
}

/* A keyword must stand apart from what follows it. */
static bool
word_ends(struct kp_vstate *v)
{
	int c = kp_lexer_peek(&v->lx, 0);

	if (is_blank_or_nl(c) || c == ',')
		return true;
	return kp_fail_unexpected(v, "a blank after the keyword");
}

/* ---- file rules ------------------------------------------------------ */

enum exec_kind {
	EXEC_NONE,
	EXEC_BARE,       /* x: only valid in deny rules */
	EXEC_INHERIT,    /* ix */
	EXEC_TRANSITION, /* px Px ux Ux cx Cx pix ... */
};

struct perms {
	bool write;  /* w or a */
	bool append; /* a */
	bool plain_w;
	enum exec_kind exec;
};

static const char *const exec_transitions[] = {
	"p", "P", "u", "U", "c", "C", "pi", "Pi", "ci", "Ci", "pu", "PU", "cu",
	"CU",
};

/* Is the word made only of permission letters (flex MODES)? */
static bool
looks_like_perms(const struct kp_token *tok)
{
	for (size_t i = 0; i < tok->len; i++) {
		if (strchr("rwalkmxiupcRWALKMXIUPC", tok->p[i]) == NULL)
			return false;
	}
	return tok->len > 0;
}

static bool
parse_perms(struct kp_vstate *v, const struct kp_token *tok, struct perms *p)
{
	bool seen[128] = { false };
	size_t i = 0;

	memset(p, 0, sizeof(*p));
	while (i < tok->len) {
		int c = (unsigned char)tok->p[i];

		if (strchr("rwalkm", c) != NULL) {
			if (seen[c])
				return kp_fail(v, KP_REASON_SYNTAX, tok->line,
				    "permission '%c' repeated in " KP_TOKEN_FMT,
				    c, KP_TOKEN_ARG(tok->p, tok->len));
			seen[c] = true;
			i++;
			continue;
		}
		/* an exec mode: [qualifier]x */
		size_t j = i;
		struct kp_token q;

		while (j < tok->len && j - i < 2 &&
		    strchr("ipcuPCU", tok->p[j]) != NULL)
			j++;
		if (j >= tok->len || tok->p[j] != 'x' ||
		    p->exec != EXEC_NONE)
			return kp_fail(v, KP_REASON_SYNTAX, tok->line,
			    "invalid permissions " KP_TOKEN_FMT,
			    KP_TOKEN_ARG(tok->p, tok->len));
		q.p = tok->p + i;
		q.len = j - i;
		q.line = tok->line;
		if (q.len == 0)
			p->exec = EXEC_BARE;
		else if (kp_token_equals(&q, "i"))
			p->exec = EXEC_INHERIT;
		else if (IN_TABLE(exec_transitions, &q))
			p->exec = EXEC_TRANSITION;
		else
			return kp_fail(v, KP_REASON_SYNTAX, tok->line,
			    "invalid exec mode in " KP_TOKEN_FMT,
			    KP_TOKEN_ARG(tok->p, tok->len));
		i = j + 1;
	}
	if (seen['w'] && seen['a'])
		return kp_fail(v, KP_REASON_SYNTAX, tok->line,
		    "'w' and 'a' exclude each other");
	p->write = seen['w'] || seen['a'];
	return true;
}

/* Read the permission word; flex wants a space or ',' right after it. */
static bool
read_perms(struct kp_vstate *v, struct kp_token *tok)
{
	if (!kp_lexer_peek_word(&v->lx, tok) || !looks_like_perms(tok))
		return kp_fail_unexpected(v, "file permissions");
	kp_lexer_advance(&v->lx, tok->len);
	if (!is_blank_or_nl(kp_lexer_peek(&v->lx, 0)) &&
	    kp_lexer_peek(&v->lx, 0) != ',')
		return kp_fail_unexpected(v, "a blank after the permissions");
	return true;
}

/*
 * @{X}=..., @{X} += ..., @X = ...: a variable definition, which flex lexes
 * as SET_VAR and EQUALS wherever it appears.  Looks from the lexer's
 * position without consuming.
 */
static bool
is_assignment(const struct kp_lexer *lx)
{
	size_t n = 1;
	int c = kp_lexer_peek(lx, 0);

	if (c != '@' && c != '$')
		return false;
	if (kp_lexer_peek(lx, 1) == '{') {
		n = 2;
		while (kp_lexer_peek(lx, n) != '}' && kp_lexer_peek(lx, n) != 0 &&
		    kp_lexer_peek(lx, n) != '\n')
			n++;
		n++;
	} else {
		while (kp_lexer_is_id_char(kp_lexer_peek(lx, n)) &&
		    strchr("=+/", kp_lexer_peek(lx, n)) == NULL)
			n++;
	}
	while (kp_lexer_peek(lx, n) == ' ' || kp_lexer_peek(lx, n) == '\t')
		n++;
	return kp_lexer_peek(lx, n) == '=' ||
	    (kp_lexer_peek(lx, n) == '+' && kp_lexer_peek(lx, n + 1) == '=');
}

static bool
read_path(struct kp_vstate *v, struct kp_token *tok)
{
	struct kp_lexer *lx = &v->lx;
	int c = kp_lexer_peek(lx, 0);

	if (c == '"') {
		unsigned line = lx->line;

		if (!kp_lexer_quoted(lx, tok))
			return kp_fail(v, KP_REASON_QUOTE, line,
			    "quoted string does not close on its line");
		if (!is_blank_or_nl(kp_lexer_peek(lx, 0)) &&
		    kp_lexer_peek(lx, 0) != ',')
			return kp_fail_unexpected(v, "a blank after the path");
		return kp_check_path(v, tok, true);
	}
	if (is_assignment(lx))
		return kp_fail(v, KP_REASON_VARIABLE_DEF, lx->line,
		    "variable definitions are not allowed");
	if (c != '/' && c != '@')
		return kp_fail_unexpected(v, "a path");
	if (!kp_lexer_ids(lx, tok))
		return kp_fail_unexpected(v, "a path");
	return kp_check_path(v, tok, false);
}

static bool
starts_with(const struct kp_token *tok, const char *s)
{
	size_t n = strlen(s);

	return tok->len >= n && memcmp(tok->p, s, n) == 0;
}

static bool
file_rule_policy(struct kp_vstate *v, struct rule *r,
    const struct kp_token *perms_tok, const struct kp_token *path)
{
	struct perms p;

	if (!parse_perms(v, perms_tok, &p))
		return false;
	if (r->pre.deny) {
		if (p.exec == EXEC_INHERIT || p.exec == EXEC_TRANSITION)
			return kp_fail(v, KP_REASON_SYNTAX, perms_tok->line,
			    "deny rules take a bare 'x', not an exec mode");
		return true;
	}
	if (p.exec == EXEC_BARE)
		return kp_fail(v, KP_REASON_SYNTAX, perms_tok->line,
		    "'x' needs an exec mode (ix)");
	if (p.exec == EXEC_TRANSITION)
		hold_policy(r, KP_REASON_POLICY_EXEC, perms_tok->line,
		    "exec transitions other than ix");
	if (p.write && starts_with(path, "/**"))
		kp_warn(v, KP_REASON_WARN_WRITE_ROOT, path->line,
		    "write access to " KP_TOKEN_FMT,
		    KP_TOKEN_ARG(path->p, path->len));
	return true;
}

static bool
parse_file_rule(struct kp_vstate *v, struct rule *r)
{
	struct kp_lexer *lx = &v->lx;
	struct kp_token path, perms;
	int c = kp_lexer_peek(lx, 0);

	if (c == '/' || c == '@' || c == '"') {
		if (!read_path(v, &path) || !kp_skip_in_rule(v) ||
		    !read_perms(v, &perms))
			return false;
	} else {
		if (!read_perms(v, &perms) || !kp_skip_in_rule(v))
			return false;
		if (kp_lexer_peek_word(lx, &path) &&
		    (kp_token_equals(&path, "subset")))
			return kp_fail(v, KP_REASON_SYNTAX, path.line,
			    "'subset' belongs to link rules");
		if (kp_lexer_looking_at(lx, "<="))
			return kp_fail(v, KP_REASON_SYNTAX, lx->line,
			    "'<=' belongs to link rules");
		if (!read_path(v, &path))
			return false;
	}
	if (!file_rule_policy(v, r, &perms, &path) || !kp_skip_in_rule(v))
		return false;
	return expect_end(v, r);
}

/* 'file' then ',' (every file), a path or permissions. */
static bool
parse_file_keyword(struct kp_vstate *v, struct rule *r)
{
	if (!kp_skip_in_rule(v))
		return false;
	if (kp_lexer_peek(&v->lx, 0) != ',')
		return parse_file_rule(v, r);
	if (r->pre.deny)
		return kp_fail(v, KP_REASON_SYNTAX, r->line,
		    "apparmor_parser 3.0.8 rejects 'deny file,'");
	kp_warn(v, KP_REASON_WARN_FILE_ALL, r->line,
	    "bare 'file,' allows every file access");
	return expect_end(v, r);
}

/* ---- capability -------------------------------------------------------- */

static bool
parse_capability(struct kp_vstate *v, struct rule *r)
{
	struct kp_lexer *lx = &v->lx;
	struct kp_token name;
	size_t count = 0;

	if (!refuse_owner(v, r, "capability"))
		return false;
	for (;;) {
		if (!kp_skip_in_rule(v))
			return false;
		if (kp_lexer_peek(lx, 0) == ',')
			break;
		if (!kp_lexer_word(lx, &name))
			return kp_fail_unexpected(v, "a capability name");
		if (!is_blank_or_nl(kp_lexer_peek(lx, 0)) &&
		    kp_lexer_peek(lx, 0) != ',')
			return kp_fail_unexpected(v, "a blank or ','");
		if (!IN_TABLE(capability_names, &name))
			return kp_fail(v, KP_REASON_SYNTAX, name.line,
			    "unknown capability " KP_TOKEN_FMT,
			    KP_TOKEN_ARG(name.p, name.len));
		count++;
		if (!r->pre.deny && IN_TABLE(dangerous_capabilities, &name))
			kp_warn(v, KP_REASON_WARN_CAPABILITY, name.line,
			    "capability %.*s can undo much of the "
			    "confinement", (int)name.len, name.p);
	}
	if (count == 0 && !r->pre.deny)
		kp_warn(v, KP_REASON_WARN_CAPABILITY_ALL, r->line,
		    "bare 'capability,' allows every capability");
	return expect_end(v, r);
}

/* ---- modes with their own lexer state (no comments inside) ------------- */

/* An IDS token in a non-INITIAL state. */
static bool
read_mode_ids(struct kp_vstate *v, struct kp_token *tok, const char *expected)
{
	int c = kp_lexer_peek(&v->lx, 0);

	if (c == '"' || kp_lexer_looking_at(&v->lx, "->") ||
	    !kp_lexer_ids(&v->lx, tok))
		return kp_fail_unexpected(v, expected);
	return true;
}

static bool
parse_network(struct kp_vstate *v, struct rule *r)
{
	struct kp_token tok[2];
	size_t n = 0;

	if (!refuse_owner(v, r, "network"))
		return false;
	for (;;) {
		kp_lexer_skip_space(&v->lx);
		if (kp_lexer_peek(&v->lx, 0) == ',')
			break;
		if (n == ARRAY_LEN(tok))
			return kp_fail_unexpected(v, "',' after the network "
			    "family and type");
		if (!read_mode_ids(v, &tok[n], "a network family or type"))
			return false;
		n++;
	}
	if (n >= 1) {
		bool family = IN_TABLE(network_families, &tok[0]);
		bool inet = kp_token_equals(&tok[0], "inet") ||
		    kp_token_equals(&tok[0], "inet6");
		bool ok;

		if (n == 1)
			ok = family || IN_TABLE(network_types, &tok[0]) ||
			    kp_token_equals(&tok[0], "tcp") ||
			    kp_token_equals(&tok[0], "udp") ||
			    kp_token_equals(&tok[0], "icmp");
		else
			ok = family && (IN_TABLE(network_types, &tok[1]) ||
			    (inet && (kp_token_equals(&tok[1], "tcp") ||
			    kp_token_equals(&tok[1], "udp"))) ||
			    (kp_token_equals(&tok[0], "inet") &&
			    kp_token_equals(&tok[1], "icmp")));
		if (!ok)
			return kp_fail(v, KP_REASON_SYNTAX, tok[0].line,
			    "unknown network rule " KP_TOKEN_FMT,
			    KP_TOKEN_ARG(tok[n - 1].p, tok[n - 1].len));
	}
	return expect_end(v, r);
}

/*
 * Permissions of signal, ptrace, unix and dbus rules: '(a, b)' or a single
 * word.  A word directly followed by '=' is a conditional, not a permission.
 */
static bool
table_index(const char *const *table, size_t n, const struct kp_token *tok,
    uint32_t *mask)
{
	for (size_t i = 0; i < n; i++) {
		if (kp_token_equals(tok, table[i])) {
			*mask |= UINT32_C(1) << i;
			return true;
		}
	}
	return false;
}

static bool
parse_ipc_perms(struct kp_vstate *v, const char *const *table, size_t n,
    uint32_t *mask)
{
	struct kp_lexer *lx = &v->lx;
	struct kp_token tok;

	*mask = 0;
	kp_lexer_skip_space(lx);
	if (kp_lexer_peek(lx, 0) == '(') {
		size_t count = 0;

		kp_lexer_advance(lx, 1);
		for (;;) {
			kp_lexer_skip_space(lx);
			if (kp_lexer_peek(lx, 0) == ')')
				break;
			if (kp_lexer_peek(lx, 0) == ',') {
				kp_lexer_advance(lx, 1);
				continue;
			}
			if (kp_lexer_peek(lx, 0) == '"' ||
			    !kp_lexer_list_value(lx, &tok))
				return kp_fail_unexpected(v, "a permission");
			if (!table_index(table, n, &tok, mask))
				return kp_fail(v, KP_REASON_SYNTAX, tok.line,
				    "unknown permission " KP_TOKEN_FMT,
				    KP_TOKEN_ARG(tok.p, tok.len));
			count++;
		}
		/* the parser reads '()' as every permission */
		if (count == 0)
			return kp_fail(v, KP_REASON_SYNTAX, lx->line,
			    "empty permission list '()'");
		kp_lexer_advance(lx, 1);
		if (!is_blank_or_nl(kp_lexer_peek(lx, 0)) &&
		    kp_lexer_peek(lx, 0) != ',')
			return kp_fail_unexpected(v, "a blank after ')'");
		return true;
	}
	if (!kp_lexer_peek_word(lx, &tok) || !in_table(table, n, &tok))
		return true;
	if (kp_lexer_peek(lx, tok.len) == '=')
		return true;
	(void)table_index(table, n, &tok, mask);
	kp_lexer_advance(lx, tok.len);
	if (!is_blank_or_nl(kp_lexer_peek(lx, 0)) &&
	    kp_lexer_peek(lx, 0) != ',')
		return kp_fail_unexpected(v, "a blank after the permission");
	return true;
}

/* apparmor_parser refuses a conditional given twice in one rule. */
static bool
cond_once(struct kp_vstate *v, uint32_t *seen, uint32_t bit,
    const struct kp_token *name)
{
	if (*seen & bit)
		return kp_fail(v, KP_REASON_SYNTAX, name->line,
		    "conditional " KP_TOKEN_FMT " given twice",
		    KP_TOKEN_ARG(name->p, name->len));
	*seen |= bit;
	return true;
}

/* Reads 'name=' of a conditional; false (no error) at the rule's ','. */
static bool
read_cond_name(struct kp_vstate *v, struct kp_token *name, bool *done)
{
	struct kp_lexer *lx = &v->lx;

	*done = false;
	kp_lexer_skip_space(lx);
	if (kp_lexer_peek(lx, 0) == ',') {
		*done = true;
		return true;
	}
	if (!kp_lexer_peek_word(lx, name) ||
	    kp_lexer_peek(lx, name->len) != '=')
		return kp_fail_unexpected(v, "a conditional (name=value) or "
		    "','");
	kp_lexer_advance(lx, name->len + 1);
	return true;
}

/*
 * The value after 'name=': one token, no blank before it.  *val is empty
 * after a failure: callers never read it then, but the analyzer cannot see
 * that kp_fail() (in validator.c) always returns false.
 */
static bool
read_cond_value(struct kp_vstate *v, struct kp_token *val)
{
	*val = (struct kp_token){ NULL, 0, v->lx.line };
	if (is_blank_or_nl(kp_lexer_peek(&v->lx, 0)))
		return kp_fail(v, KP_REASON_SYNTAX, v->lx.line,
		    "no blank allowed after '='");
	return read_mode_ids(v, val, "a value");
}

typedef bool value_check(struct kp_vstate *, const struct kp_token *,
    void *);

/* '(' v1 v2 ... ')' after name=; calls check on each value. */
static bool
read_cond_list(struct kp_vstate *v, value_check *check, void *arg)
{
	struct kp_lexer *lx = &v->lx;
	struct kp_token tok;
	size_t count = 0;

	kp_lexer_advance(lx, 1); /* '(' */
	for (;;) {
		kp_lexer_skip_space(lx);
		if (kp_lexer_peek(lx, 0) == ')')
			break;
		if (kp_lexer_peek(lx, 0) == ',') {
			kp_lexer_advance(lx, 1);
			continue;
		}
		if (kp_lexer_peek(lx, 0) == '"' ||
		    !kp_lexer_list_value(lx, &tok))
			return kp_fail_unexpected(v, "a value or ')'");
		if (!check(v, &tok, arg))
			return false;
		count++;
	}
	kp_lexer_advance(lx, 1);
	if (count == 0)
		return kp_fail(v, KP_REASON_SYNTAX, lx->line, "empty '()'");
	if (!is_blank_or_nl(kp_lexer_peek(lx, 0)) &&
	    kp_lexer_peek(lx, 0) != ',')
		return kp_fail_unexpected(v, "a blank after ')'");
	return true;
}

static bool
check_label(struct kp_vstate *v, const struct kp_token *tok, void *arg)
{
	(void)arg;
	return kp_check_value(v, tok, "peer label");
}

static bool
check_signal(struct kp_vstate *v, const struct kp_token *tok, void *arg)
{
	(void)arg;
	if (IN_TABLE(signal_names, tok))
		return true;
	if (tok->len > 6 && memcmp(tok->p, "rtmin+", 6) == 0 &&
	    tok->len <= 8) {
		unsigned n = 0;
		bool ok = tok->p[6] != '0' || tok->len == 7;

		for (size_t i = 6; i < tok->len && ok; i++) {
			if (tok->p[i] < '0' || tok->p[i] > '9')
				ok = false;
			else
				n = n * 10 + (unsigned)(tok->p[i] - '0');
		}
		if (ok && n <= SIGNAL_RTMIN_MAX)
			return true;
	}
	return kp_fail(v, KP_REASON_SYNTAX, tok->line,
	    "unknown signal " KP_TOKEN_FMT, KP_TOKEN_ARG(tok->p, tok->len));
}

/* peer=LABEL (signal, ptrace): a single label, not a list. */
static bool
read_peer_label(struct kp_vstate *v)
{
	struct kp_token val;

	if (kp_lexer_peek(&v->lx, 0) == '(')
		return kp_fail(v, KP_REASON_SYNTAX, v->lx.line,
		    "use peer=LABEL here, not peer=(...)");
	return read_cond_value(v, &val) && check_label(v, &val, NULL);
}

static bool
parse_signal(struct kp_vstate *v, struct rule *r)
{
	struct kp_token name, val;
	uint32_t perms, seen = 0;
	bool done;

	if (!refuse_owner(v, r, "signal") ||
	    !parse_ipc_perms(v, signal_perms, ARRAY_LEN(signal_perms), &perms))
		return false;
	for (;;) {
		if (!read_cond_name(v, &name, &done))
			return false;
		if (done)
			break;
		if (kp_token_equals(&name, "set")) {
			if (!cond_once(v, &seen, 1, &name))
				return false;
			if (kp_lexer_peek(&v->lx, 0) == '(') {
				if (!read_cond_list(v, check_signal, NULL))
					return false;
			} else if (!read_cond_value(v, &val) ||
			    !check_signal(v, &val, NULL)) {
				return false;
			}
		} else if (kp_token_equals(&name, "peer")) {
			if (!cond_once(v, &seen, 2, &name) ||
			    !read_peer_label(v))
				return false;
		} else {
			return kp_fail(v, KP_REASON_SYNTAX, name.line,
			    "unknown signal conditional " KP_TOKEN_FMT,
			    KP_TOKEN_ARG(name.p, name.len));
		}
	}
	return expect_end(v, r);
}

static bool
parse_ptrace(struct kp_vstate *v, struct rule *r)
{
	struct kp_token name;
	uint32_t perms, seen = 0;
	bool done;

	if (!refuse_owner(v, r, "ptrace") ||
	    !parse_ipc_perms(v, ptrace_perms, ARRAY_LEN(ptrace_perms), &perms))
		return false;
	for (;;) {
		if (!read_cond_name(v, &name, &done))
			return false;
		if (done)
			break;
		if (!kp_token_equals(&name, "peer"))
			return kp_fail(v, KP_REASON_SYNTAX, name.line,
			    "unknown ptrace conditional " KP_TOKEN_FMT,
			    KP_TOKEN_ARG(name.p, name.len));
		if (!cond_once(v, &seen, 1, &name) || !read_peer_label(v))
			return false;
	}
	if (!r->pre.deny)
		kp_warn(v, KP_REASON_WARN_PTRACE, r->line,
		    "ptrace lets processes read or control each other");
	return expect_end(v, r);
}

/* unix addr=@name | none | auto */
static bool
check_unix_addr(struct kp_vstate *v, const struct kp_token *tok, void *arg)
{
	(void)arg;
	if (kp_token_equals(tok, "none") || kp_token_equals(tok, "auto"))
		return true;
	if (tok->len < 2 || tok->p[0] != '@')
		return kp_fail(v, KP_REASON_SYNTAX, tok->line,
		    "unix addr must be @NAME, none or auto");
	return kp_check_value(v, tok, "unix address");
}

/*
 * peer=(name=value ...) of unix and dbus rules.  names lists the
 * conditionals allowed inside, each checked by the matching function.
 */
struct peer_cond {
	const char *name;
	value_check *check;
};

/* *seen gets bit i for conds[i]. */
static bool
read_peer_list(struct kp_vstate *v, const struct peer_cond *conds, size_t n,
    uint32_t *seen)
{
	struct kp_lexer *lx = &v->lx;
	struct kp_token name, val;
	size_t count = 0;

	*seen = 0;
	if (kp_lexer_peek(lx, 0) != '(')
		return kp_fail_unexpected(v, "peer=(...)");
	kp_lexer_advance(lx, 1);
	for (;;) {
		size_t i;

		kp_lexer_skip_space(lx);
		if (kp_lexer_peek(lx, 0) == ')')
			break;
		if (kp_lexer_peek(lx, 0) == ',') {
			kp_lexer_advance(lx, 1);
			continue;
		}
		if (!kp_lexer_peek_word(lx, &name) ||
		    kp_lexer_peek(lx, name.len) != '=')
			return kp_fail_unexpected(v, "name=value inside "
			    "peer=(...)");
		for (i = 0; i < n; i++) {
			if (kp_token_equals(&name, conds[i].name))
				break;
		}
		if (i == n)
			return kp_fail(v, KP_REASON_SYNTAX, name.line,
			    "unknown peer conditional " KP_TOKEN_FMT,
			    KP_TOKEN_ARG(name.p, name.len));
		if (!cond_once(v, seen, UINT32_C(1) << i, &name))
			return false;
		kp_lexer_advance(lx, name.len + 1);
		if (is_blank_or_nl(kp_lexer_peek(lx, 0)) ||
		    kp_lexer_peek(lx, 0) == '(' || kp_lexer_peek(lx, 0) == '"' ||
		    !kp_lexer_list_value(lx, &val))
			return kp_fail_unexpected(v, "a single value");
		if (!conds[i].check(v, &val, NULL))
			return false;
		count++;
	}
	kp_lexer_advance(lx, 1);
	if (count == 0)
		return kp_fail(v, KP_REASON_SYNTAX, lx->line,
		    "empty peer=()");
	if (!is_blank_or_nl(kp_lexer_peek(lx, 0)) &&
	    kp_lexer_peek(lx, 0) != ',')
		return kp_fail_unexpected(v, "a blank after ')'");
	return true;
}

static bool
parse_unix(struct kp_vstate *v, struct rule *r)
{
	static const struct peer_cond peer[] = {
		{ "label", check_label },
		{ "addr", check_unix_addr },
	};
	/* create bind listen shutdown getattr setattr getopt setopt */
	const uint32_t local_only = 0x3e7;
	struct kp_token name, val;
	uint32_t perms, seen = 0, peer_seen;
	bool done, had_peer = false;

	if (!refuse_owner(v, r, "unix") ||
	    !parse_ipc_perms(v, unix_perms, ARRAY_LEN(unix_perms), &perms))
		return false;
	for (;;) {
		if (!read_cond_name(v, &name, &done))
			return false;
		if (done)
			break;
		if (had_peer)
			return kp_fail(v, KP_REASON_SYNTAX, name.line,
			    "peer=(...) must come last");
		if (kp_token_equals(&name, "peer")) {
			if (!read_peer_list(v, peer, ARRAY_LEN(peer),
			    &peer_seen))
				return false;
			had_peer = true;
			if (perms & local_only)
				return kp_fail(v, KP_REASON_SYNTAX, name.line,
				    "peer=(...) only goes with send, receive, "
				    "connect and accept");
		} else if (kp_token_equals(&name, "type")) {
			if (!cond_once(v, &seen, 1, &name) ||
			    !read_cond_value(v, &val))
				return false;
			if (!IN_TABLE(unix_types, &val))
				return kp_fail(v, KP_REASON_SYNTAX, val.line,
				    "unknown unix socket type " KP_TOKEN_FMT,
				    KP_TOKEN_ARG(val.p, val.len));
		} else if (kp_token_equals(&name, "addr")) {
			if (!cond_once(v, &seen, 2, &name) ||
			    !read_cond_value(v, &val) ||
			    !check_unix_addr(v, &val, NULL))
				return false;
		} else {
			return kp_fail(v, KP_REASON_SYNTAX, name.line,
			    "unknown unix conditional " KP_TOKEN_FMT,
			    KP_TOKEN_ARG(name.p, name.len));
		}
	}
	return expect_end(v, r);
}

static bool
check_dbus_value(struct kp_vstate *v, const struct kp_token *tok, void *arg)
{
	(void)arg;
	return kp_check_value(v, tok, "dbus value");
}

/* The combinations apparmor_parser's dbus_rule refuses. */
static bool
check_dbus_combination(struct kp_vstate *v, const struct rule *r,
    uint32_t perms, uint32_t conds)
{
	/* perms: send receive bind eavesdrop read write r w rw */
	const uint32_t send_receive = 0x1f3, bind = 0x4, eavesdrop = 0x8;
	/* conds: bus path interface member name, peer (+ peer name/label) */
	bool message = (conds & 0x2e) != 0, service = (conds & 0x10) != 0;

	if (message && service)
		return kp_fail(v, KP_REASON_SYNTAX, r->line,
		    "dbus name= (a service rule) with message conditionals");
	if (message && (perms & bind))
		return kp_fail(v, KP_REASON_SYNTAX, r->line,
		    "dbus bind with message conditionals");
	if (service && (perms & send_receive))
		return kp_fail(v, KP_REASON_SYNTAX, r->line,
		    "dbus send/receive with name=");
	if ((perms & eavesdrop) && (conds & ~UINT32_C(1)) != 0)
		return kp_fail(v, KP_REASON_SYNTAX, r->line,
		    "dbus eavesdrop takes only bus=");
	return true;
}

static bool
parse_dbus(struct kp_vstate *v, struct rule *r)
{
	static const struct peer_cond peer[] = {
		{ "name", check_dbus_value },
		{ "label", check_label },
	};
	static const char *const conds[] = {
		"bus", "path", "interface", "member", "name",
	};
	struct kp_token name, val;
	uint32_t perms, seen = 0, peer_seen, bit;
	bool done, had_peer = false;

	if (!refuse_owner(v, r, "dbus") ||
	    !parse_ipc_perms(v, dbus_perms, ARRAY_LEN(dbus_perms), &perms))
		return false;
	for (;;) {
		if (!read_cond_name(v, &name, &done))
			return false;
		if (done)
			break;
		if (had_peer)
			return kp_fail(v, KP_REASON_SYNTAX, name.line,
			    "peer=(...) must come last");
		bit = 0;
		if (kp_token_equals(&name, "peer")) {
			if (!read_peer_list(v, peer, ARRAY_LEN(peer),
			    &peer_seen))
				return false;
			seen |= 0x20;
			had_peer = true;
		} else if (table_index(conds, ARRAY_LEN(conds), &name, &bit)) {
			if (!cond_once(v, &seen, bit, &name) ||
			    !read_cond_value(v, &val) ||
			    !check_dbus_value(v, &val, NULL))
				return false;
		} else {
			return kp_fail(v, KP_REASON_SYNTAX, name.line,
			    "unknown dbus conditional " KP_TOKEN_FMT,
			    KP_TOKEN_ARG(name.p, name.len));
		}
	}
	if (!check_dbus_combination(v, r, perms, seen))
		return false;
	return expect_end(v, r);
}

/* ---- mount, remount, umount, pivot_root -------------------------------- */

/* Options that change what a mount does rather than how: the parser
 * cannot encode them together with fstype=. */
static const char *const mount_kind_options[] = {
	"remount", "bind", "B", "move", "M", "rbind", "R", "unbindable",
	"make-unbindable", "runbindable", "make-runbindable", "private",
	"make-private", "rprivate", "make-rprivate", "slave", "make-slave",
	"rslave", "make-rslave", "shared", "make-shared", "rshared",
	"make-rshared",
};

#define MOUNT_FSTYPE  UINT32_C(1)
#define MOUNT_OPTIONS UINT32_C(2)
#define MOUNT_OLDROOT UINT32_C(4)

struct mount_seen {
	uint32_t conds;
	bool kind_option;
};

static bool
check_fstype(struct kp_vstate *v, const struct kp_token *tok, void *arg)
{
	(void)arg;
	for (size_t i = 0; i < tok->len; i++) {
		int c = (unsigned char)tok->p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return kp_fail(v, KP_REASON_SYNTAX, tok->line,
			    "invalid fstype " KP_TOKEN_FMT,
			    KP_TOKEN_ARG(tok->p, tok->len));
	}
	return true;
}

static bool
check_mount_option(struct kp_vstate *v, const struct kp_token *tok,
    void *arg)
{
	struct mount_seen *seen = arg;

	if (!IN_TABLE(mount_options, tok))
		return kp_fail(v, KP_REASON_SYNTAX, tok->line,
		    "unknown mount option " KP_TOKEN_FMT,
		    KP_TOKEN_ARG(tok->p, tok->len));
	if (IN_TABLE(mount_kind_options, tok))
		seen->kind_option = true;
	return true;
}

/* options in (a b) */
static bool
at_in_list(const struct kp_lexer *lx, size_t off)
{
	size_t n = off;

	while (kp_lexer_peek(lx, n) == ' ' || kp_lexer_peek(lx, n) == '\t')
		n++;
	if (n == off || kp_lexer_peek(lx, n) != 'i' ||
	    kp_lexer_peek(lx, n + 1) != 'n')
		return false;
	n += 2;
	while (kp_lexer_peek(lx, n) == ' ' || kp_lexer_peek(lx, n) == '\t')
		n++;
	return kp_lexer_peek(lx, n) == '(';
}

/* One conditional of a mount rule: fstype=, options=, options in (...). */
static bool
parse_mount_cond(struct kp_vstate *v, const struct kp_token *kw,
    const struct kp_token *name, struct mount_seen *seen)
{
	struct kp_lexer *lx = &v->lx;
	struct kp_token val;
	value_check *check;

	if (kp_token_equals(name, "fstype") ||
	    kp_token_equals(name, "vfstype")) {
		if (kp_token_equals(kw, "remount"))
			return kp_fail(v, KP_REASON_SYNTAX, name->line,
			    "remount takes no fstype");
		if (!cond_once(v, &seen->conds, MOUNT_FSTYPE, name))
			return false;
		check = check_fstype;
	} else if (kp_token_equals(name, "options")) {
		if (!cond_once(v, &seen->conds, MOUNT_OPTIONS, name))
			return false;
		check = check_mount_option;
	} else {
		return kp_fail(v, KP_REASON_SYNTAX, name->line,
		    "unknown mount conditional " KP_TOKEN_FMT,
		    KP_TOKEN_ARG(name->p, name->len));
	}
	if (at_in_list(lx, name->len)) {
		kp_lexer_advance(lx, name->len);
		kp_lexer_skip_blanks(lx);
		kp_lexer_advance(lx, 2); /* in */
		kp_lexer_skip_blanks(lx);
		return read_cond_list(v, check, seen);
	}
	if (kp_lexer_peek(lx, name->len) != '=')
		return kp_fail_unexpected(v, "name=value");
	kp_lexer_advance(lx, name->len + 1);
	if (kp_lexer_peek(lx, 0) == '(')
		return read_cond_list(v, check, seen);
	return read_cond_value(v, &val) && check(v, &val, seen);
}

static bool
parse_mount(struct kp_vstate *v, struct rule *r, const struct kp_token *kw)
{
	struct kp_lexer *lx = &v->lx;
	bool pivot = kp_token_equals(kw, "pivot_root");
	bool have_path = false;
	struct mount_seen seen = { 0, false };
	struct kp_token name, val;

	if (!refuse_owner(v, r, "mount"))
		return false;
	for (;;) {
		int c;

		kp_lexer_skip_space(lx);
		c = kp_lexer_peek(lx, 0);
		if (c == ',')
			break;
		if (kp_lexer_looking_at(lx, "->"))
			return kp_fail_unexpected(v, "','");
		if (c == '/' || c == '@' || c == '"') {
			if (have_path)
				return kp_fail_unexpected(v, "','");
			if (!read_path(v, &val))
				return false;
			have_path = true;
			continue;
		}
		if (have_path || !kp_lexer_peek_word(lx, &name))
			return kp_fail_unexpected(v, "a mount conditional, a "
			    "path or ','");
		if (pivot && kp_token_equals(&name, "oldroot")) {
			if (!cond_once(v, &seen.conds, MOUNT_OLDROOT, &name))
				return false;
			if (kp_lexer_peek(lx, name.len) != '=')
				return kp_fail_unexpected(v, "oldroot=PATH");
			kp_lexer_advance(lx, name.len + 1);
			if (is_blank_or_nl(kp_lexer_peek(lx, 0)))
				return kp_fail(v, KP_REASON_SYNTAX, lx->line,
				    "no blank allowed after '='");
			if (!read_path(v, &val))
				return false;
			continue;
		}
		if (pivot)
			return kp_fail(v, KP_REASON_SYNTAX, name.line,
			    "unknown pivot_root conditional " KP_TOKEN_FMT,
			    KP_TOKEN_ARG(name.p, name.len));
		if (!parse_mount_cond(v, kw, &name, &seen))
			return false;
	}
	if ((seen.conds & MOUNT_FSTYPE) && seen.kind_option)
		return kp_fail(v, KP_REASON_SYNTAX, r->line,
		    "fstype= cannot go with bind, move, remount or "
		    "propagation options");
	if (!r->pre.deny) {
		if (pivot)
			hold_policy(r, KP_REASON_POLICY_PIVOT_ROOT, r->line,
			    "pivot_root");
		else if (kp_token_equals(kw, "umount"))
			kp_warn(v, KP_REASON_WARN_UMOUNT, r->line,
			    "umount lets the workload change its mounts");
		else
			hold_policy(r, KP_REASON_POLICY_MOUNT, r->line,
			    kp_token_equals(kw, "mount") ? "mount" : "remount");
	}
	return expect_end(v, r);
}

/* ---- change_profile ---------------------------------------------------- */

static bool
parse_change_profile(struct kp_vstate *v, struct rule *r)
{
	struct kp_lexer *lx = &v->lx;
	struct kp_token tok;
	bool have_path = false;

	if (!refuse_owner(v, r, "change_profile"))
		return false;
	for (;;) {
		int c;

		kp_lexer_skip_space(lx);
		c = kp_lexer_peek(lx, 0);
		if (c == ',')
			break;
		if (!have_path && (c == '/' || c == '@' || c == '"')) {
			if (!read_path(v, &tok))
				return false;
			have_path = true;
			continue;
		}
		if (kp_lexer_peek_word(lx, &tok) &&
		    (kp_token_equals(&tok, "safe") ||
		    kp_token_equals(&tok, "unsafe")))
			return kp_fail(v, KP_REASON_SYNTAX, tok.line,
			    "'safe'/'unsafe' change_profile modes are not "
			    "allowed");
		return kp_fail_unexpected(v, "an exec path or ','");
	}
	if (!r->pre.deny)
		hold_policy(r, KP_REASON_POLICY_CHANGE_PROFILE, r->line,
		    "change_profile");
	return expect_end(v, r);
}

/* ---- set rlimit -------------------------------------------------------- */

static bool
check_rlimit_value(struct kp_vstate *v, enum rlimit_kind kind,
    const struct kp_token *val, const struct kp_token *unit)
{
	size_t i = 0;
	long n = 0;

	if (kp_token_equals(val, "infinity"))
		return unit == NULL ? true : kp_fail(v, KP_REASON_SYNTAX,
		    unit->line, "no unit after infinity");
	if (kind == RLIMIT_NICE && val->len > 0 && val->p[0] == '-')
		i = 1;
	if (i == val->len || val->len - i > RLIMIT_DIGITS_MAX ||
	    (val->p[i] == '0' && val->len - i > 1))
		goto bad;
	for (; i < val->len; i++) {
		if (val->p[i] < '0' || val->p[i] > '9')
			goto bad;
		n = n * 10 + (val->p[i] - '0');
	}
	if (kind == RLIMIT_NICE && (val->p[0] == '-' ? -n < -20 : n > 19))
		goto bad;
	if (unit != NULL && (kind != RLIMIT_SIZE ||
	    !IN_TABLE(size_units, unit)))
		return kp_fail(v, KP_REASON_SYNTAX, unit->line,
		    "invalid rlimit unit " KP_TOKEN_FMT,
		    KP_TOKEN_ARG(unit->p, unit->len));
	return true;
bad:
	return kp_fail(v, KP_REASON_SYNTAX, val->line,
	    "invalid rlimit value " KP_TOKEN_FMT,
	    KP_TOKEN_ARG(val->p, val->len));
}

static bool
parse_set_rlimit(struct kp_vstate *v, struct rule *r)
{
	struct kp_lexer *lx = &v->lx;
	struct kp_token tok, val, unit;
	size_t i, n = 0;

	if (r->pre.any)
		return kp_fail(v, KP_REASON_SYNTAX, r->line,
		    "'set rlimit' takes no qualifiers");
	if (!kp_skip_in_rule(v))
		return false;
	if (!kp_lexer_accept_word(lx, "rlimit"))
		return kp_fail(v, KP_REASON_UNKNOWN_RULE, r->line,
		    "only 'set rlimit' is allowed");
	kp_lexer_skip_space(lx);
	if (!kp_lexer_word(lx, &tok))
		return kp_fail_unexpected(v, "an rlimit name");
	for (i = 0; i < ARRAY_LEN(rlimits); i++) {
		if (kp_token_equals(&tok, rlimits[i].name))
			break;
	}
	if (i == ARRAY_LEN(rlimits))
		return kp_fail(v, KP_REASON_SYNTAX, tok.line,
		    "unknown rlimit " KP_TOKEN_FMT,
		    KP_TOKEN_ARG(tok.p, tok.len));
	kp_lexer_skip_space(lx);
	if (!kp_lexer_looking_at(lx, "<="))
		return kp_fail_unexpected(v, "'<='");
	kp_lexer_advance(lx, 2);
	kp_lexer_skip_space(lx);
	while (kp_lexer_peek(lx, n) == '-' ||
	    (kp_lexer_peek(lx, n) >= '0' && kp_lexer_peek(lx, n) <= '9') ||
	    (kp_lexer_peek(lx, n) >= 'a' && kp_lexer_peek(lx, n) <= 'z'))
		n++;
	if (n == 0)
		return kp_fail_unexpected(v, "an rlimit value");
	val.p = (const char *)lx->data + lx->pos;
	val.len = n;
	val.line = lx->line;
	kp_lexer_advance(lx, n);
	kp_lexer_skip_space(lx);
	if (kp_lexer_word(lx, &unit)) {
		kp_lexer_skip_space(lx);
		if (!check_rlimit_value(v, rlimits[i].kind, &val, &unit))
			return false;
	} else if (!check_rlimit_value(v, rlimits[i].kind, &val, NULL)) {
		return false;
	}
	return expect_end(v, r);
}

/* ---- dispatch ---------------------------------------------------------- */

static bool
parse_prefix(struct kp_vstate *v, struct rule *r)
{
	struct kp_lexer *lx = &v->lx;
	struct kp_token w;
	int stage = 0;

	for (;;) {
		int next;

		if (!kp_lexer_peek_word(lx, &w))
			return true;
		if (kp_token_equals(&w, "audit"))
			next = 1;
		else if (kp_token_equals(&w, "allow") ||
		    kp_token_equals(&w, "deny"))
			next = 2;
		else if (kp_token_equals(&w, "owner") ||
		    kp_token_equals(&w, "other"))
			next = 3;
		else if (kp_token_equals(&w, "user"))
			return kp_fail(v, KP_REASON_SYNTAX, w.line,
			    "write 'owner', not 'user'");
		else
			return true;
		if (next <= stage)
			return kp_fail(v, KP_REASON_SYNTAX, w.line,
			    "qualifiers go in the order: audit, allow|deny, "
			    "owner|other");
		stage = next;
		kp_lexer_advance(lx, w.len);
		if (!is_blank_or_nl(kp_lexer_peek(lx, 0)))
			return kp_fail_unexpected(v, "a blank after the "
			    "qualifier");
		r->pre.any = true;
		if (next == 1)
			r->pre.audit = true;
		else if (next == 2)
			r->pre.deny = kp_token_equals(&w, "deny");
		else
			r->pre.owner = true;
		if (!kp_skip_in_rule(v))
			return false;
	}
}

/* Keywords of 3.0.8 and of later versions that we refuse outright. */
static bool
refuse_keyword(struct kp_vstate *v, struct rule *r, const struct kp_token *w)
{
	unsigned line = w->line;

	if (kp_token_equals(w, "profile"))
		return kp_fail(v, KP_REASON_CHILD_PROFILE, line,
		    "child profiles are not allowed");
	if (kp_token_equals(w, "hat"))
		return kp_fail(v, KP_REASON_HAT, line, "hats are not allowed");
	if (kp_token_equals(w, "alias") || kp_token_equals(w, "rewrite"))
		return kp_fail(v, KP_REASON_ALIAS, line,
		    "alias rules are not allowed");
	if (kp_token_equals(w, "if") || kp_token_equals(w, "else") ||
	    kp_token_equals(w, "not") || kp_token_equals(w, "defined"))
		return kp_fail(v, KP_REASON_CONDITIONAL, line,
		    "conditionals are not allowed");
	if (kp_token_equals(w, "link"))
		return kp_fail(v, KP_REASON_ARROW, line,
		    "link rules name a target with '->', which is not "
		    "allowed");
	if (kp_token_equals(w, "abi"))
		return kp_fail(v, KP_REASON_ABI, line,
		    "abi is only allowed before the profile");
	/* 'all' and 'userns' are AppArmor 4 rules: 3.0.8 cannot compile
	 * them, and an allow form would lift confinement. */
	if (kp_token_equals(w, "all") || kp_token_equals(w, "userns")) {
		bool all = kp_token_equals(w, "all");

		if (!r->pre.deny && v->policy == KP_POLICY_BASELINE)
			return kp_fail(v, all ? KP_REASON_POLICY_ALL :
			    KP_REASON_POLICY_USERNS, line,
			    "%s: not allowed by policy baseline",
			    all ? "the 'all' rule" : "userns");
		return kp_fail(v, KP_REASON_UNKNOWN_RULE, line,
		    "'%s' rules are not supported by apparmor_parser 3.0.8",
		    all ? "all" : "userns");
	}
	return kp_fail(v, KP_REASON_UNKNOWN_RULE, line,
	    "unknown rule " KP_TOKEN_FMT, KP_TOKEN_ARG(w->p, w->len));
}

bool
kp_parse_rule(struct kp_vstate *v)
{
	struct kp_lexer *lx = &v->lx;
	struct rule r;
	struct kp_token w;
	int c;

	memset(&r, 0, sizeof(r));
	r.line = lx->line;
	r.policy = KP_REASON_NONE;
	if (!parse_prefix(v, &r))
		return false;
	c = kp_lexer_peek(lx, 0);
	if (r.pre.any && kp_lexer_looking_at(lx, "include") &&
	    kp_lexer_peek_word(lx, &w) && kp_token_equals(&w, "include"))
		return kp_fail(v, KP_REASON_INCLUDE, lx->line,
		    "include directive inside a rule");
	if (c == '/' || c == '"' || c == '@')
		return parse_file_rule(v, &r);
	if (c == '$') {
		if (is_assignment(lx))
			return kp_fail(v, KP_REASON_VARIABLE_DEF, lx->line,
			    "variable definitions are not allowed");
		return kp_fail(v, KP_REASON_CONDITIONAL, lx->line,
		    "boolean variables are not allowed");
	}
	if (c == '^')
		return kp_fail(v, KP_REASON_HAT, lx->line,
		    "hats are not allowed");
	if (c == '{')
		return kp_fail(v, KP_REASON_SYNTAX, lx->line,
		    "rule blocks '{ ... }' are not allowed");
	if (!kp_lexer_peek_word(lx, &w)) {
		if (kp_lexer_looking_at(lx, "->") || c == '"' || c == '}' ||
		    c == ',' || c == 0)
			return kp_fail_unexpected(v, "a rule");
		return kp_fail(v, KP_REASON_UNKNOWN_RULE, lx->line,
		    "unknown rule starting with '%c'", c);
	}

	/* flex would lex 'all ' as permissions; name the rule instead. */
	if (kp_token_equals(&w, "all") || kp_token_equals(&w, "userns"))
		return refuse_keyword(v, &r, &w);
	if (looks_like_perms(&w) && is_blank_or_nl(kp_lexer_peek(lx, w.len)))
		return parse_file_rule(v, &r);
	kp_lexer_advance(lx, w.len);
	if (kp_token_equals(&w, "file"))
		return word_ends(v) && parse_file_keyword(v, &r);
	if (kp_token_equals(&w, "capability"))
		return word_ends(v) && parse_capability(v, &r);
	if (kp_token_equals(&w, "network"))
		return word_ends(v) && parse_network(v, &r);
	if (kp_token_equals(&w, "signal"))
		return word_ends(v) && parse_signal(v, &r);
	if (kp_token_equals(&w, "ptrace"))
		return word_ends(v) && parse_ptrace(v, &r);
	if (kp_token_equals(&w, "unix"))
		return word_ends(v) && parse_unix(v, &r);
	if (kp_token_equals(&w, "dbus"))
		return word_ends(v) && parse_dbus(v, &r);
	if (kp_token_equals(&w, "mount") || kp_token_equals(&w, "remount") ||
	    kp_token_equals(&w, "umount") ||
	    kp_token_equals(&w, "pivot_root"))
		return word_ends(v) && parse_mount(v, &r, &w);
	if (kp_token_equals(&w, "change_profile"))
		return word_ends(v) && parse_change_profile(v, &r);
	if (kp_token_equals(&w, "set"))
		return word_ends(v) && parse_set_rlimit(v, &r);
	return refuse_keyword(v, &r, &w);
}
