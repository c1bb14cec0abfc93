/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The committed golden files (seccomp/golden/<process>.<arch>.pfc) must be
 * exactly what the tables produce now.  A table changed without its golden
 * file fails here with a unified diff of the pseudo filter code, so that
 * every change of what a process may do is reviewed as such.  Regenerate
 * with `ninja -C BUILD seccomp-golden` (tests/seccomp/export_golden).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "golden.h"

/* Golden files are a few KiB; the diff shown is capped. */
#define PFC_MAX        (1024 * 1024)
#define DIFF_SHOWN_MAX (16 * 1024)

static char *
read_fd(int fd, size_t *len)
{
	char *buf = malloc(PFC_MAX + 1);
	size_t used = 0;

	cr_assert_not_null(buf);
	for (;;) {
		ssize_t n = read(fd, buf + used, PFC_MAX - used);
		if (n < 0 && errno == EINTR)
			continue;
		cr_assert(n >= 0, "read: %s", strerror(errno));
		if (n == 0)
			break;
		used += (size_t)n;
		cr_assert(used < PFC_MAX, "pseudo filter code over %d bytes",
		    PFC_MAX);
	}
	buf[used] = '\0';
	*len = used;
	return buf;
}

/* The filter as the table makes it now. */
static char *
regenerate(const struct kp_seccomp_policy *policy, size_t *len)
{
	int fd = memfd_create("pfc", MFD_CLOEXEC);

	cr_assert(fd >= 0, "memfd_create: %s", strerror(errno));
	cr_assert_eq(kp_seccomp_export_pfc(policy, fd), 0,
	    "cannot export the %s filter", policy->process);
	cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	char *buf = read_fd(fd, len);
	close(fd);
	return buf;
}

/* `diff -u golden regenerated` into out; when diff cannot be run, the
 * first differing line instead. */
static void
unified_diff(const char *golden, const char *golden_text, const char *regen,
    size_t regen_len, char *out, size_t outlen)
{
	char tmp[] = "/tmp/kp-golden.XXXXXX";
	int p[2];

	int fd = mkstemp(tmp);
	cr_assert(fd >= 0, "mkstemp: %s", strerror(errno));
	cr_assert_eq(write(fd, regen, regen_len), (ssize_t)regen_len);
	cr_assert_eq(close(fd), 0);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		if (dup2(p[1], STDOUT_FILENO) != STDOUT_FILENO)
			_exit(127);
		execlp("diff", "diff", "-u", "--label", golden, "--label",
		    "regenerated from the table", golden, tmp, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	size_t used = 0;
	for (;;) {
		char chunk[4096];
		ssize_t n = read(p[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		size_t take = (size_t)n;
		if (take > outlen - 1 - used)
			take = outlen - 1 - used;
		memcpy(out + used, chunk, take);
		used += take;
	}
	out[used] = '\0';
	close(p[0]);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	unlink(tmp);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 1 && used > 0)
		return;

	/* No diff(1): name the first line that differs. */
	const char *a = golden_text, *b = regen;
	unsigned line = 1;
	while (*a != '\0' && *a == *b) {
		if (*a == '\n')
			line++;
		a++;
		b++;
	}
	snprintf(out, outlen, "(diff unavailable) first difference at line %u:\n"
	    "- %.*s\n+ %.*s\n", line, (int)strcspn(a, "\n"), a,
	    (int)strcspn(b, "\n"), b);
}

static void
check_golden(const struct kp_seccomp_policy *policy)
{
	const char *src = getenv("KP_SRCDIR");
	char dir[4096], path[4096];
	size_t glen, rlen;

	cr_assert_not_null(src, "KP_SRCDIR is not set: run through meson test");
	snprintf(dir, sizeof(dir), "%s/seccomp/golden", src);
	cr_assert_eq(golden_path(path, sizeof(path), dir, policy->process), 0,
	    "no golden file name for this architecture");

	char *regen = regenerate(policy, &rlen);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert(fd >= 0, "%s: %s: the %s filter has no golden file for this "
	    "architecture; create it with `ninja -C BUILD seccomp-golden`, "
	    "review and commit it", path, strerror(errno), policy->process);
	char *golden = read_fd(fd, &glen);
	close(fd);

	if (glen != rlen || memcmp(golden, regen, rlen) != 0) {
		char *diff = malloc(DIFF_SHOWN_MAX);
		cr_assert_not_null(diff);
		unified_diff(path, golden, regen, rlen, diff, DIFF_SHOWN_MAX);
		cr_assert_fail("the %s filter no longer matches its golden file: "
		    "a table changed without %s being updated.  If the change "
		    "is meant, regenerate with `ninja -C BUILD seccomp-golden`, "
		    "review the diff and commit it with the table.\n%s",
		    policy->process, path, diff);
	}
	free(golden);
	free(regen);
}

Test(golden, watcher) { check_golden(&kp_watcher_policy); }
Test(golden, loader) { check_golden(&kp_loader_policy); }
Test(golden, spawner) { check_golden(&kp_spawner_policy); }

/* Whatever the golden files say: every filter kills the process by
 * default and for any other architecture's system calls. */
Test(golden, kill_process_by_default)
{
	for (size_t i = 0; i < GOLDEN_NPOLICIES; i++) {
		size_t len;
		char *pfc = regenerate(golden_policies[i], &len);
		cr_assert_not_null(strstr(pfc, "  # default action\n"
		    "  action KILL_PROCESS;\n"),
		    "the %s filter's default action is not KILL_PROCESS",
		    golden_policies[i]->process);
		cr_assert_not_null(strstr(pfc, "# invalid architecture action\n"
		    "action KILL_PROCESS;\n"),
		    "the %s filter does not kill other architectures' calls",
		    golden_policies[i]->process);
		free(pfc);
	}
}

/* Exporting twice gives the same text (the golden comparison relies on a
 * deterministic export). */
Test(golden, export_is_deterministic)
{
	size_t a_len, b_len;
	char *a = regenerate(&kp_spawner_policy, &a_len);
	char *b = regenerate(&kp_spawner_policy, &b_len);

	cr_assert_eq(a_len, b_len);
	cr_assert_eq(memcmp(a, b, a_len), 0);
	free(a);
	free(b);
}
