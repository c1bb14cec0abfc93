/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kp_spawn_run against tests/helpers/spawn_helper (path in
 * $KP_SPAWN_HELPER), which reports what it sees from inside the child.
 */
#include <criterion/criterion.h>

#include <cap-ng.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/spawn.h"

static const char *
helper(void)
{
	const char *p = getenv("KP_SPAWN_HELPER");

	cr_assert_not_null(p, "KP_SPAWN_HELPER unset: run through meson test");
	return p;
}

static void
test_limits(struct kp_spawn_limits *lim)
{
	kp_spawn_limits_default(lim);
	lim->timeout_ms = 10000;
}

/* Run the helper in MODE (ARG may be NULL); the result must be filled. */
static void
run_helper(const struct kp_spawn_limits *lim, const char *mode,
    const char *arg, struct kp_spawn_result *res)
{
	char *argv[] = {
		(char *)helper(), (char *)mode, (char *)arg, NULL
	};

	cr_assert_eq(kp_spawn_run(argv[0], argv, lim, res), 0,
	    "kp_spawn_run failed: %s", strerror(errno));
	cr_assert_not_null(res->output);
	cr_assert_eq(res->output[res->output_len], '\0');
}

static pid_t
grandchild_pid(const struct kp_spawn_result *res)
{
	int pid = 0;

	cr_assert_eq(sscanf(res->output, "grandchild %d", &pid), 1,
	    "output: %s", res->output);
	cr_assert_gt(pid, 1);
	return (pid_t)pid;
}

static void
assert_gone(pid_t pid)
{
	cr_assert_eq(kill(pid, 0), -1, "process %d still exists", (int)pid);
	cr_assert_eq(errno, ESRCH);
}

/* Exit statuses and signals. */

Test(spawn, exit_zero)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;

	test_limits(&lim);
	run_helper(&lim, "exit", "0", &res);
	cr_assert_eq(res.outcome, KP_SPAWN_EXITED);
	cr_assert_eq(res.exit_code, 0);
	cr_assert_eq(res.output_len, 0);
	cr_assert_not(res.output_truncated);
	cr_assert_null(res.error_step);
	cr_assert_lt(res.elapsed_seconds, 5.0);
	kp_spawn_result_free(&res);
	cr_assert_null(res.output);
}

Test(spawn, exit_codes)
{
	static const char *const codes[] = { "1", "3", "127", "255" };
	struct kp_spawn_limits lim;

	test_limits(&lim);
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		struct kp_spawn_result res;
		run_helper(&lim, "exit", codes[i], &res);
		cr_assert_eq(res.outcome, KP_SPAWN_EXITED);
		cr_assert_eq(res.exit_code, atoi(codes[i]));
		kp_spawn_result_free(&res);
	}
}

Test(spawn, signals)
{
	static const int sigs[] = { SIGSEGV, SIGABRT, SIGTERM, SIGKILL };
	struct kp_spawn_limits lim;

	test_limits(&lim);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct kp_spawn_result res;
		char arg[16];
		snprintf(arg, sizeof(arg), "%d", sigs[i]);
		run_helper(&lim, "signal", arg, &res);
		cr_assert_eq(res.outcome, KP_SPAWN_SIGNALED, "signal %d", sigs[i]);
		cr_assert_eq(res.term_signal, sigs[i]);
		kp_spawn_result_free(&res);
	}
}

/* Timeouts, and nothing outlives a run. */

Test(spawn, timeout_kills)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;

	test_limits(&lim);
	lim.timeout_ms = 300;
	run_helper(&lim, "sleep", NULL, &res);
	cr_assert_eq(res.outcome, KP_SPAWN_TIMEOUT);
	cr_assert_geq(res.elapsed_seconds, 0.3);
	cr_assert_lt(res.elapsed_seconds, 3.0);
	kp_spawn_result_free(&res);
}

Test(spawn, timeout_kills_stubborn_grandchild)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;

	test_limits(&lim);
	lim.timeout_ms = 300;
	run_helper(&lim, "grandchild-wait", NULL, &res);
	cr_assert_eq(res.outcome, KP_SPAWN_TIMEOUT);
	cr_assert_lt(res.elapsed_seconds, 3.0);
	assert_gone(grandchild_pid(&res));
	kp_spawn_result_free(&res);
}

Test(spawn, exit_leaves_no_grandchild)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;

	test_limits(&lim);
	run_helper(&lim, "grandchild-exit", NULL, &res);
	/* It returns when the program exits, not when the grandchild (which
	 * holds the output pipe) would. */
	cr_assert_eq(res.outcome, KP_SPAWN_EXITED);
	cr_assert_eq(res.exit_code, 0);
	cr_assert_lt(res.elapsed_seconds, 3.0);
	assert_gone(grandchild_pid(&res));
	kp_spawn_result_free(&res);
}

Test(spawn, orphaned_grandchild_is_killed)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;

	test_limits(&lim);
	run_helper(&lim, "chain", NULL, &res);
	cr_assert_eq(res.outcome, KP_SPAWN_EXITED);
	cr_assert_eq(res.exit_code, 0);
	assert_gone(grandchild_pid(&res));
	kp_spawn_result_free(&res);
}

static bool
wait_gone(pid_t pid, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return true;
		usleep(10000);
	}
	return false;
}

/* The caller dies (SIGKILL, no cleanup): the supervisor sees its control
 * pipe close and kills the program and its grandchild. */
Test(spawn, caller_death_kills_everything)
{
	char dir[] = "/tmp/kp-spawn-test.XXXXXX";
	char pidfile[64];
	int pid = 0, gc = 0;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(pidfile, sizeof(pidfile), "%s/pids", dir);

	pid_t caller = fork();
	cr_assert_geq(caller, 0);
	if (caller == 0) {
		struct kp_spawn_limits lim;
		struct kp_spawn_result res;
		char *argv[] = { (char *)helper(), "pidfile", pidfile, NULL };
		test_limits(&lim);
		lim.timeout_ms = 60000;
		(void)kp_spawn_run(argv[0], argv, &lim, &res);
		_exit(1);
	}
	for (int i = 0; i < 500; i++) {
		FILE *f = fopen(pidfile, "r");
		if (f != NULL) {
			cr_assert_eq(fscanf(f, "%d %d", &pid, &gc), 2);
			fclose(f);
			break;
		}
		usleep(10000);
	}
	cr_assert_gt(pid, 1, "helper never wrote %s", pidfile);
	cr_assert_gt(gc, 1);
	cr_assert_eq(kill(caller, SIGKILL), 0);
	cr_assert_eq(waitpid(caller, NULL, 0), caller);
	cr_assert(wait_gone((pid_t)pid, 5000), "program %d survived", pid);
	cr_assert(wait_gone((pid_t)gc, 5000), "grandchild %d survived", gc);
	unlink(pidfile);
	rmdir(dir);
}

/* Output capture. */

Test(spawn, stdout_and_stderr_share_one_pipe)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;

	test_limits(&lim);
	run_helper(&lim, "mixed", NULL, &res);
	cr_assert_eq(res.outcome, KP_SPAWN_EXITED);
	cr_assert_str_eq(res.output, "out1\nerr1\nout2\n");
	cr_assert_eq(res.output_len, 15);
	cr_assert_not(res.output_truncated);
	kp_spawn_result_free(&res);
}

Test(spawn, output_exactly_cap_is_not_truncated)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;

	test_limits(&lim);
	lim.output_cap = 100;
	run_helper(&lim, "write", "100", &res);
	cr_assert_eq(res.outcome, KP_SPAWN_EXITED);
	cr_assert_eq(res.output_len, 100);
	cr_assert_not(res.output_truncated);
	cr_assert_eq(strlen(res.output), 100);
	kp_spawn_result_free(&res);
}

Test(spawn, output_one_over_cap_is_truncated)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;

	test_limits(&lim);
	lim.output_cap = 100;
	run_helper(&lim, "write", "101", &res);
	cr_assert_eq(res.outcome, KP_SPAWN_EXITED);
	cr_assert_eq(res.output_len, 100);
	cr_assert(res.output_truncated);
	cr_assert_eq(strlen(res.output), 100);
	kp_spawn_result_free(&res);
}

Test(spawn, zero_cap_keeps_nothing)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;

	test_limits(&lim);
	lim.output_cap = 0;
	run_helper(&lim, "write", "10", &res);
	cr_assert_eq(res.outcome, KP_SPAWN_EXITED);
	cr_assert_eq(res.output_len, 0);
	cr_assert(res.output_truncated);
	cr_assert_str_eq(res.output, "");
	kp_spawn_result_free(&res);
}

Test(spawn, huge_output_does_not_block)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;

	test_limits(&lim);
	run_helper(&lim, "write", "67108864", &res);    /* 64 MiB */
	cr_assert_eq(res.outcome, KP_SPAWN_EXITED);
	cr_assert_eq(res.exit_code, 0);
	cr_assert_eq(res.output_len, KP_SPAWN_DEFAULT_OUTPUT_CAP);
	cr_assert(res.output_truncated);
	kp_spawn_result_free(&res);
}

/* What the child inherits. */

Test(spawn, only_fds_0_to_2_and_empty_environment)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;
	/* Leaked on purpose: no CLOEXEC, a high number, and a low one. */
	int low = open("/dev/null", O_RDONLY);
	int high = fcntl(low, F_DUPFD, 100);

	cr_assert_geq(low, 3);
	cr_assert_geq(high, 100);
	cr_assert_eq(setenv("KP_SHOULD_NOT_LEAK", "1", 1), 0);
	test_limits(&lim);
	run_helper(&lim, "fds", NULL, &res);
	cr_assert_eq(res.outcome, KP_SPAWN_EXITED);
	cr_assert_eq(res.exit_code, 0);
	cr_assert_str_eq(res.output, "fd 0\nfd 1\nfd 2\nenv 0\n");
	kp_spawn_result_free(&res);
	close(low);
	close(high);
}

Test(spawn, stdin_is_dev_null)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;

	test_limits(&lim);
	run_helper(&lim, "stdin", NULL, &res);
	cr_assert_eq(res.outcome, KP_SPAWN_EXITED);
	cr_assert_str_eq(res.output, "stdin devnull\nread 0\n");
	kp_spawn_result_free(&res);
}

Test(spawn, process_attributes)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;
	sigset_t block;

	/* The caller's ignored and blocked signals must not reach the child. */
	signal(SIGTERM, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGCHLD);
	cr_assert_eq(sigprocmask(SIG_BLOCK, &block, NULL), 0);

	test_limits(&lim);
	lim.as_bytes = 256u << 20;
	lim.cpu_seconds = 7;
	lim.nofile = 64;
	run_helper(&lim, "status", NULL, &res);
	cr_assert_eq(res.outcome, KP_SPAWN_EXITED);
	cr_assert_eq(res.exit_code, 0);
	const char *want[] = {
		"NoNewPrivs:\t1\n",
		"SigBlk:\t0000000000000000\n",
		"SigIgn:\t0000000000000000\n",
		"pdeathsig 9\n",
		"session-leader-is-parent 1\n",
		"pgrp-is-session 1\n",
		"cwd /\n",
		"core soft 0 hard 0\n",
		"nofile soft 64 hard 64\n",
		"cpu soft 7 hard 8\n",
		"as soft 268435456 hard 268435456\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_assert_not_null(strstr(res.output, want[i]),
		    "missing \"%s\" in:\n%s", want[i], res.output);
	kp_spawn_result_free(&res);
}

/* Limits. */

Test(spawn, rlimit_as_applied)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;

	test_limits(&lim);
	lim.as_bytes = 128u << 20;
	run_helper(&lim, "alloc", "256", &res);
	cr_assert_eq(res.outcome, KP_SPAWN_EXITED);
	cr_assert_eq(res.exit_code, 3);
	cr_assert_str_eq(res.output, "alloc failed\n");
	kp_spawn_result_free(&res);

	/* Control: the same helper can allocate below the limit. */
	run_helper(&lim, "alloc", "32", &res);
	cr_assert_eq(res.outcome, KP_SPAWN_EXITED);
	cr_assert_eq(res.exit_code, 0);
	cr_assert_str_eq(res.output, "alloc ok 1\n");
	kp_spawn_result_free(&res);
}

Test(spawn, rlimit_cpu_applied)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;

	test_limits(&lim);
	lim.cpu_seconds = 1;
	lim.timeout_ms = 30000;
	run_helper(&lim, "spin", NULL, &res);
	cr_assert_eq(res.outcome, KP_SPAWN_SIGNALED);
	cr_assert_eq(res.term_signal, SIGXCPU);
	cr_assert_geq(res.elapsed_seconds, 1.0);
	kp_spawn_result_free(&res);
}

Test(spawn, oom_score_adj_applied)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;

	test_limits(&lim);
	run_helper(&lim, "oom", NULL, &res);
	cr_assert_str_eq(res.output, "1000\n");
	kp_spawn_result_free(&res);

	lim.oom_score_adj = 777;
	run_helper(&lim, "oom", NULL, &res);
	cr_assert_str_eq(res.output, "777\n");
	kp_spawn_result_free(&res);
}

Test(spawn, oom_score_adj_left_alone)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;
	FILE *f = fopen("/proc/self/oom_score_adj", "w");

	cr_assert_not_null(f);
	cr_assert_gt(fprintf(f, "321\n"), 0);
	cr_assert_eq(fclose(f), 0);
	test_limits(&lim);
	lim.oom_score_adj = KP_SPAWN_OOM_SCORE_ADJ_LEAVE;
	cr_assert_eq(KP_SPAWN_OOM_SCORE_ADJ_LEAVE, INT_MIN);
	run_helper(&lim, "oom", NULL, &res);
	cr_assert_str_eq(res.output, "321\n");
	kp_spawn_result_free(&res);
}

/* Errors. */

Test(spawn, exec_missing_path_is_error_enoent)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;
	char *argv[] = { "/nonexistent/kp-no-such-program", NULL };

	test_limits(&lim);
	cr_assert_eq(kp_spawn_run(argv[0], argv, &lim, &res), 0);
	cr_assert_eq(res.outcome, KP_SPAWN_ERROR);
	cr_assert_eq(res.errno_value, ENOENT);
	cr_assert_str_eq(res.error_step, "exec");
	cr_assert_str_eq(res.output, "");
	kp_spawn_result_free(&res);
}

Test(spawn, exec_non_executable_is_error_eacces)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;
	char *argv[] = { "/etc/passwd", NULL };
	char *argv_dir[] = { "/tmp", NULL };

	test_limits(&lim);
	cr_assert_eq(kp_spawn_run(argv[0], argv, &lim, &res), 0);
	cr_assert_eq(res.outcome, KP_SPAWN_ERROR);
	cr_assert_eq(res.errno_value, EACCES);
	cr_assert_str_eq(res.error_step, "exec");
	kp_spawn_result_free(&res);

	cr_assert_eq(kp_spawn_run(argv_dir[0], argv_dir, &lim, &res), 0);
	cr_assert_eq(res.outcome, KP_SPAWN_ERROR);
	cr_assert_eq(res.errno_value, EACCES);
	kp_spawn_result_free(&res);
}

/* A failing setup step before execve is an ERROR naming the step, not an
 * exit status.  Without CAP_SYS_RESOURCE, oom_score_adj cannot go below the
 * last value a privileged writer set. */
Test(spawn, setup_step_failure_is_error_with_step)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;
	FILE *f;

	if (geteuid() != 0)
		cr_skip_test("needs CAP_SYS_RESOURCE to pin oom_score_adj_min");
	f = fopen("/proc/self/oom_score_adj", "w");
	cr_assert_not_null(f);
	cr_assert_gt(fprintf(f, "500\n"), 0);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(capng_get_caps_process(), 0);
	capng_update(CAPNG_DROP, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
	    CAP_SYS_RESOURCE);
	cr_assert_eq(capng_apply(CAPNG_SELECT_CAPS), 0);

	test_limits(&lim);
	lim.oom_score_adj = -500;
	run_helper(&lim, "oom", NULL, &res);
	cr_assert_eq(res.outcome, KP_SPAWN_ERROR);
	cr_assert_eq(res.errno_value, EACCES);
	cr_assert_str_eq(res.error_step, "oom-score-adj");
	cr_assert_str_eq(res.output, "");
	kp_spawn_result_free(&res);

	/* Control: raising it still works. */
	lim.oom_score_adj = 900;
	run_helper(&lim, "oom", NULL, &res);
	cr_assert_eq(res.outcome, KP_SPAWN_EXITED);
	cr_assert_str_eq(res.output, "900\n");
	kp_spawn_result_free(&res);
}

Test(spawn, invalid_arguments)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;
	char *argv[] = { "spawn_helper", "exit", "0", NULL };
	char *abs_argv[] = { (char *)helper(), "exit", "0", NULL };

	test_limits(&lim);
	/* No PATH search: a relative path is refused. */
	errno = 0;
	cr_assert_eq(kp_spawn_run("spawn_helper", argv, &lim, &res), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_null(res.output);
	cr_assert_eq(kp_spawn_run(abs_argv[0], NULL, &lim, &res), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(kp_spawn_run(abs_argv[0], abs_argv, NULL, &res), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(kp_spawn_run(abs_argv[0], abs_argv, &lim, NULL), -1);
	cr_assert_eq(errno, EINVAL);

	lim.timeout_ms = 0;
	cr_assert_eq(kp_spawn_run(abs_argv[0], abs_argv, &lim, &res), -1);
	cr_assert_eq(errno, EINVAL);
	test_limits(&lim);
	lim.output_cap = KP_SPAWN_OUTPUT_CAP_MAX + 1;
	cr_assert_eq(kp_spawn_run(abs_argv[0], abs_argv, &lim, &res), -1);
	cr_assert_eq(errno, EINVAL);
	test_limits(&lim);
	lim.oom_score_adj = -1001;
	cr_assert_eq(kp_spawn_run(abs_argv[0], abs_argv, &lim, &res), -1);
	cr_assert_eq(errno, EINVAL);
	test_limits(&lim);
	lim.cpu_seconds = RLIM_INFINITY;
	cr_assert_eq(kp_spawn_run(abs_argv[0], abs_argv, &lim, &res), -1);
	cr_assert_eq(errno, EINVAL);
}

/* Process hygiene of the caller. */

Test(spawn, reaps_only_its_own_children)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;
	siginfo_t info;
	int status = 0;
	pid_t other = fork();

	cr_assert_geq(other, 0);
	if (other == 0)
		_exit(7);
	/* Wait until it is a zombie, without reaping it. */
	memset(&info, 0, sizeof(info));
	cr_assert_eq(waitid(P_PID, (id_t)other, &info, WEXITED | WNOWAIT), 0);

	test_limits(&lim);
	run_helper(&lim, "exit", "0", &res);
	cr_assert_eq(res.outcome, KP_SPAWN_EXITED);
	kp_spawn_result_free(&res);
	lim.timeout_ms = 200;
	run_helper(&lim, "sleep", NULL, &res);
	cr_assert_eq(res.outcome, KP_SPAWN_TIMEOUT);
	kp_spawn_result_free(&res);

	cr_assert_eq(waitpid(other, &status, 0), other);
	cr_assert(WIFEXITED(status));
	cr_assert_eq(WEXITSTATUS(status), 7);
}

Test(spawn, works_when_caller_ignores_sigchld)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;

	/* SIG_IGN would make the kernel auto-reap SIGCHLD children. */
	signal(SIGCHLD, SIG_IGN);
	test_limits(&lim);
	run_helper(&lim, "exit", "5", &res);
	cr_assert_eq(res.outcome, KP_SPAWN_EXITED);
	cr_assert_eq(res.exit_code, 5);
	kp_spawn_result_free(&res);
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	cr_assert_not_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

Test(spawn, no_fd_leak_across_runs)
{
	struct kp_spawn_limits lim;
	int before = count_fds();

	test_limits(&lim);
	lim.timeout_ms = 200;
	for (int i = 0; i < 10; i++) {
		struct kp_spawn_result res;
		run_helper(&lim, i % 2 == 0 ? "mixed" : "grandchild-wait",
		    NULL, &res);
		kp_spawn_result_free(&res);
	}
	cr_assert_eq(count_fds(), before);
}

/*
 * Under a seccomp filter like the loader's: kill/tkill/tgkill fail, and,
 * as with container runtimes' default profiles, clone3 answers ENOSYS.
 * Run in a forked child that leaves with _exit (a filtered process must
 * not run LeakSanitizer's exit scan); its exit status is the first check
 * that failed.
 */
static void
install_filter(bool clone3_enosys)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

	if (ctx == NULL)
		_exit(50);
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(kill), 0) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(tkill), 0) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(tgkill), 0) < 0)
		_exit(51);
	if (clone3_enosys &&
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) < 0)
		_exit(52);
	if (seccomp_load(ctx) < 0)
		_exit(53);
	seccomp_release(ctx);
}

static int
filtered_checks(bool clone3_enosys)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;
	char *exit4[] = { (char *)helper(), "exit", "4", NULL };
	char *gc[] = { (char *)helper(), "grandchild-wait", NULL };
	char *daemon[] = { (char *)helper(), "grandchild-exit", NULL };
	char *missing[] = { "/nonexistent/kp-no-such-program", NULL };
	int pid;

	install_filter(clone3_enosys);
	if (kill(getpid(), 0) == 0 || errno != EPERM)
		return 2;       /* the filter is not in force */
	test_limits(&lim);

	if (kp_spawn_run(exit4[0], exit4, &lim, &res) != 0 ||
	    res.outcome != KP_SPAWN_EXITED || res.exit_code != 4)
		return 3;
	kp_spawn_result_free(&res);

	lim.timeout_ms = 300;
	if (kp_spawn_run(gc[0], gc, &lim, &res) != 0 ||
	    res.outcome != KP_SPAWN_TIMEOUT ||
	    sscanf(res.output, "grandchild %d", &pid) != 1)
		return 4;
	kp_spawn_result_free(&res);
	/* Gone: no kill(pid, 0) here, so ask for a pidfd. */
	if (syscall(SYS_pidfd_open, pid, 0) >= 0 || errno != ESRCH)
		return 5;

	lim.timeout_ms = 10000;
	if (kp_spawn_run(daemon[0], daemon, &lim, &res) != 0 ||
	    res.outcome != KP_SPAWN_EXITED ||
	    sscanf(res.output, "grandchild %d", &pid) != 1)
		return 6;
	kp_spawn_result_free(&res);
	if (syscall(SYS_pidfd_open, pid, 0) >= 0 || errno != ESRCH)
		return 7;

	if (kp_spawn_run(missing[0], missing, &lim, &res) != 0 ||
	    res.outcome != KP_SPAWN_ERROR || res.errno_value != ENOENT)
		return 8;
	kp_spawn_result_free(&res);
	return 0;
}

static void
run_filtered(bool clone3_enosys)
{
	int status = 0;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(filtered_checks(clone3_enosys));
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "filtered child died, status %#x", status);
	cr_assert_eq(WEXITSTATUS(status), 0, "filtered check %d failed",
	    WEXITSTATUS(status));
}

Test(spawn, works_without_kill_syscalls)
{
	run_filtered(false);
}

Test(spawn, clone3_enosys_falls_back_to_clone_and_pidfd_open)
{
	run_filtered(true);
}

Test(spawn, outcome_names)
{
	cr_assert_str_eq(kp_spawn_outcome_name(KP_SPAWN_EXITED), "exited");
	cr_assert_str_eq(kp_spawn_outcome_name(KP_SPAWN_SIGNALED), "signaled");
	cr_assert_str_eq(kp_spawn_outcome_name(KP_SPAWN_TIMEOUT), "timeout");
	cr_assert_str_eq(kp_spawn_outcome_name(KP_SPAWN_ERROR), "error");
	cr_assert_str_eq(kp_spawn_outcome_name((enum kp_spawn_outcome)42),
	    "unknown");
}

Test(spawn, defaults)
{
	struct kp_spawn_limits lim;

	memset(&lim, 0x5a, sizeof(lim));
	kp_spawn_limits_default(&lim);
	cr_assert_eq(lim.timeout_ms, 30000);
	cr_assert_eq(lim.as_bytes, (rlim_t)512 << 20);
	cr_assert_eq(lim.cpu_seconds, 30);
	cr_assert_eq(lim.output_cap, 4096);
	cr_assert_eq(lim.oom_score_adj, 1000);
	cr_assert_eq(lim.nofile, 256);
}

/*
 * Kernels before 5.9 have no close_range: the fallback walks
 * /proc/self/fd.  Checked in a forked child whose filter answers ENOSYS for
 * close_range, with stray inheritable fds open: the program must still see
 * only 0-2.
 */
static int
close_range_fallback_check(void)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;
	char *fds[] = { (char *)helper(), "fds", NULL };
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

	if (dup2(STDERR_FILENO, 17) != 17 || dup2(STDERR_FILENO, 40) != 40)
		return 2;
	if (ctx == NULL ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(close_range),
	    0) < 0 || seccomp_load(ctx) < 0)
		return 3;
	seccomp_release(ctx);
	if (syscall(SYS_close_range, 100, 200, 0) == 0 || errno != ENOSYS)
		return 4;
	test_limits(&lim);
	if (kp_spawn_run(fds[0], fds, &lim, &res) != 0 ||
	    res.outcome != KP_SPAWN_EXITED || res.exit_code != 0)
		return 5;
	int ok = strcmp(res.output, "fd 0\nfd 1\nfd 2\nenv 0\n") == 0;
	kp_spawn_result_free(&res);
	return ok ? 0 : 6;
}

Test(spawn, close_range_enosys_falls_back_to_proc_self_fd)
{
	int status = 0;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(close_range_fallback_check());
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "child died, status %#x", status);
	cr_assert_eq(WEXITSTATUS(status), 0, "check %d failed",
	    WEXITSTATUS(status));
}
