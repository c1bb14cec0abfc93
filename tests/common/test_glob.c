/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The glob counts of validator_glob.c against the counting rules of
 * docs/validator-limits.md: the worked examples of that page, and the
 * reference counter in scripts/measure-glob.py on a few hundred generated
 * patterns.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/allowlist.h"
#include "common/validator_glob.h"

#define EXPANDED_MAX 8192

/* Replace every @{VAR} by its expansion (expansions hold none). */
static void
expand(const char *pattern, char *out, size_t cap)
{
	size_t n = 0;

	for (const char *p = pattern; *p != '\0';) {
		const char *text = p;
		size_t len = 1;

		if (p[0] == '@' && p[1] == '{') {
			const char *end = strchr(p, '}');
			int idx;

			cr_assert_not_null(end);
			idx = kp_variable_find(p + 2, (size_t)(end - p - 2));
			cr_assert(idx >= 0, "%s", pattern);
			text = kp_variables[idx].expansion;
			len = strlen(text);
			p = end + 1;
		} else {
			p++;
		}
		cr_assert_lt(n + len, cap);
		memcpy(out + n, text, len);
		n += len;
	}
	out[n] = '\0';
}

static struct kp_glob_stats
count(const char *pattern)
{
	static char buf[EXPANDED_MAX];
	struct kp_glob_stats st;

	expand(pattern, buf, sizeof(buf));
	kp_glob_count(buf, strlen(buf), &st);
	return st;
}

Test(glob, ambiguity_examples)
{
	static const struct {
		const char *pattern;
		size_t points;
	} cases[] = {
		{ "/**a??????????????????", 18 },
		{ "/**a??", 2 },
		{ "/**/*.log", 0 },
		{ "/var/www/**/*.{html,css,js}", 0 },
		{ "/etc/nginx/*.{conf,types}", 0 },
		{ "/usr/lib/**.so*", 1 },
		{ "/tmp/*a*b", 1 },
		{ "/**/x/**", 1 },
		/* one '*'-after-text in the variable, one in '*.so*' */
		{ "/usr/lib/@{multiarch}/*.so*", 2 },
		{ "/**{a,b}/**", 2 },
		{ "/**q{aaab,abaa}z", 2 },
		{ "@{PROC}/{[^1-9/],[^1-9/][^0-9/],[^1-9s/][^0-9y/][^0-9s/],"
		  "[^1-9/][^0-9/][^0-9/][^0-9/]*}/**", 0 },
		{ "@{PROC}/sys/kernel/{?,??,[^s][^h][^m]**}", 0 },
		{ "@{HOME}/**", 0 },
		{ "/home/*/.config/**", 0 },
		{ "/sys/[^f]*/**", 0 },
		/* a trailing group: only its 28 classes count */
		{ "/**@{pid}", 28 },
		{ "/**@{pid}/stat", 35 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kp_glob_stats st = count(cases[i].pattern);

		cr_assert_eq(st.ambiguity, cases[i].points, "%s: %zu, not %zu",
		    cases[i].pattern, st.ambiguity, cases[i].points);
	}
}

Test(glob, floating_examples)
{
	cr_assert_eq(count("/usr/lib/**.so*").floating, 4);
	cr_assert_eq(count("/srv/**").floating, 0);
	cr_assert_eq(count("@{PROC}/sys/kernel/{?,??,[^s][^h][^m]**}").floating,
	    1);
	cr_assert_eq(count("/srv/*").floating, 0);
	cr_assert_eq(count("/a/**b/**cd").floating, 6, "only the first '**'");
}

Test(glob, counts)
{
	struct kp_glob_stats st;

	st = count("/a/*/b?/**/c***");
	cr_assert_eq(st.wildcards, 2);
	cr_assert_eq(st.doublestar, 2, "a run of three is one '**'");
	st = count("/1[0-9][0-9]/*/[a-z]");
	cr_assert_eq(st.all_classes, 3);
	cr_assert_eq(st.classes, 1, "only classes after the first '*'");
	st = count("@{pid}");
	cr_assert_eq(st.all_classes, 28);
	cr_assert_eq(st.alt_width, 7);
	cr_assert_eq(st.alt_depth, 1);
	st = count("/{a,{b,{c,d,e}}}");
	cr_assert_eq(st.alt_depth, 3);
	cr_assert_eq(st.alt_width, 3);
	st = count("/usr/lib/*@{multiarch}");
	cr_assert_eq(st.doublestar, 1, "a star before '*-linux-gnu*'");
	cr_assert_eq(st.wildcards, 1);
}

/*
 * The reference counter.  The test feeds it the same patterns and
 * compares the counts it prints (--cost semantics) with ours.
 */
static const char reference_driver[] =
    "import importlib.util, sys\n"
    "spec = importlib.util.spec_from_file_location('m', sys.argv[1])\n"
    "m = importlib.util.module_from_spec(spec)\n"
    "spec.loader.exec_module(m)\n"
    "defs = m.load_tunables()\n"
    "with open(sys.argv[2]) as f, open(sys.argv[3], 'w') as out:\n"
    "    for line in f:\n"
    "        p = line.rstrip('\\n')\n"
    "        t = m.expand(p, defs)\n"
    "        st = m.glob_stats(t)\n"
    "        out.write('%d %d %d %d %d %d %d\\n' % (st['wildcards'],\n"
    "            st['doublestar'], st['classes'], st['alt_depth'],\n"
    "            st['alt_width'], st['ambiguity'],\n"
    "            m.floating_chars(t)))\n";

static const char *const atoms[] = {
	"/", "/", "/", "a", "bc", "*", "**", "?", "[a-z]", "[^/]", "{x,y}",
	"{a,bb,ccc}", "{,z}", "{p,{q,r}}", "{*,?}", "@{pid}", "@{HOME}",
	"@{multiarch}", "@{run}", ".", "-", "{[0-9],[0-9][0-9]}", "*.so",
};

/* xorshift: deterministic patterns, same on every run */
static unsigned
next_random(unsigned *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void
make_pattern(unsigned *seed, char *out, size_t cap)
{
	size_t n = 1 + next_random(seed) % 8;

	strcpy(out, "/");
	for (size_t i = 0; i < n; i++) {
		const char *a = atoms[next_random(seed) %
		    (sizeof(atoms) / sizeof(atoms[0]))];

		if (strlen(out) + strlen(a) + 1 >= cap)
			break;
		/* the validator refuses '***'; keep runs at two */
		if (a[0] == '*' && strlen(out) >= 1 &&
		    out[strlen(out) - 1] == '*')
			continue;
		strcat(out, a);
	}
}

Test(glob, matches_reference_counter)
{
	const char *src = getenv("KP_SRCDIR");
	char script[4096], in[] = "/tmp/kp-test-glob-in.XXXXXX";
	char outp[] = "/tmp/kp-test-glob-out.XXXXXX";
	char patterns[300][256];
	unsigned seed = 2463534242u;
	size_t n = sizeof(patterns) / sizeof(patterns[0]);
	FILE *f;
	int fd, status;
	pid_t pid;

	if (src == NULL)
		cr_skip_test("KP_SRCDIR is not set");
	snprintf(script, sizeof(script), "%s/scripts/measure-glob.py", src);
	if (access(script, R_OK) != 0)
		cr_skip_test("no scripts/measure-glob.py");
	fd = mkstemp(in);
	cr_assert(fd >= 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	for (size_t i = 0; i < n; i++) {
		make_pattern(&seed, patterns[i], sizeof(patterns[i]));
		fprintf(f, "%s\n", patterns[i]);
	}
	cr_assert_eq(fclose(f), 0);
	fd = mkstemp(outp);
	cr_assert(fd >= 0);
	cr_assert_eq(close(fd), 0);

	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		char *const argv[] = { "python3", "-c", (char *)reference_driver,
			script, in, outp, NULL };

		execvp("python3", argv);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the reference counter failed");

	f = fopen(outp, "r");
	cr_assert_not_null(f);
	for (size_t i = 0; i < n; i++) {
		size_t w, d, c, depth, width, amb, fl;
		struct kp_glob_stats st = count(patterns[i]);

		cr_assert_eq(fscanf(f, "%zu %zu %zu %zu %zu %zu %zu", &w, &d,
		    &c, &depth, &width, &amb, &fl), 7);
		cr_assert(st.wildcards == w && st.doublestar == d &&
		    st.classes == c && st.alt_depth == depth &&
		    st.alt_width == width && st.ambiguity == amb &&
		    st.floating == fl,
		    "%s: ours %zu %zu %zu %zu %zu %zu %zu, reference "
		    "%zu %zu %zu %zu %zu %zu %zu", patterns[i], st.wildcards,
		    st.doublestar, st.classes, st.alt_depth, st.alt_width,
		    st.ambiguity, st.floating, w, d, c, depth, width, amb, fl);
	}
	fclose(f);
	unlink(in);
	unlink(outp);
}
