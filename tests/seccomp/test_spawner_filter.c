/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The spawner's real filter (seccomp/spawner_policy.c), which is also the
 * filter apparmor_parser runs under: starting and supervising a program
 * works (fork+exec, common/spawn.c with its pidfds and timeout, the real
 * parser writing a policy), while network, ptrace, mount, keys, bpf,
 * io_uring, userfaultfd, personality and signals to other processes kill
 * the whole process - not only the calling thread.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/spawn.h"
#include "confine.h"
#include "forbidden.h"

#define POLICY (&kp_spawner_policy)
#define PARSER "/sbin/apparmor_parser"
#define FEATURES "/usr/share/apparmor-features/features"

TestSuite(spawner_filter, .init = confine_setup, .fini = confine_teardown);

#define KILLED(name, call, what) \
	Test(spawner_filter, name) { expect_killed(POLICY, call, what); }

KILLED(socket_inet, call_socket_inet, "socket(AF_INET)")
KILLED(socket_inet6, call_socket_inet6, "socket(AF_INET6)")
KILLED(socket_unix, call_socket_unix, "socket(AF_UNIX)")
KILLED(socket_netlink, call_socket_netlink, "socket(AF_NETLINK)")
KILLED(socketpair, call_socketpair, "socketpair")
KILLED(sendto_addr, call_sendto_addr, "sendto with an address")
KILLED(ptrace, call_ptrace, "ptrace")
KILLED(process_vm_readv, call_process_vm_readv, "process_vm_readv")
KILLED(mount, call_mount, "mount")
KILLED(umount2, call_umount2, "umount2")
KILLED(kill_other, call_kill_other, "kill of another process")
KILLED(tkill_other, call_tkill_other, "tkill of another process")
KILLED(tgkill_other, call_tgkill_other, "tgkill of another process")
KILLED(keyctl, call_keyctl, "keyctl")
KILLED(add_key, call_add_key, "add_key")
KILLED(bpf, call_bpf, "bpf")
KILLED(io_uring_setup, call_io_uring_setup, "io_uring_setup")
KILLED(userfaultfd, call_userfaultfd, "userfaultfd")
KILLED(personality, call_personality, "personality")
KILLED(unknown_syscall, call_unknown, "syscall(1000)")
KILLED(unshare, call_unshare, "unshare")
KILLED(setresuid, call_setresuid, "setresuid")
KILLED(capset, call_capset, "capset")

#if defined(__x86_64__)
KILLED(x32_abi, call_x32_getpid, "getpid through the x32 ABI")

Test(spawner_filter, ia32_abi)
{
	if (!ia32_supported())
		cr_skip_test("this kernel runs no 32-bit x86 system calls");
	expect_killed(POLICY, call_ia32_getpid, "getpid through int $0x80");
}
#endif

/* The default action kills the process, not the thread: a forbidden call
 * in a second thread must not leave the first one running. */
static void *
forbidden_thread(void *arg)
{
	(void)arg;
	call_socket_inet();
	return NULL;
}

static long
forbidden_in_thread(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, forbidden_thread, NULL) != 0)
		return -1;
	pthread_join(t, NULL);
	return 0;
}

KILLED(kill_process_not_thread, forbidden_in_thread,
    "socket(AF_INET) in a second thread")

/* ---- controls ---- */

static long
fork_exec_true(void)
{
	int status;

	pid_t pid = fork();
	CONFINE_CHECK(pid >= 0);
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	CONFINE_CHECK(waitpid(pid, &status, 0) == pid);
	CONFINE_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return 0;
}

static long
spawn_true(void)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;
	char *argv[] = { "/bin/true", NULL };

	kp_spawn_limits_default(&lim);
	lim.timeout_ms = 10000;
	CONFINE_CHECK(kp_spawn_run(argv[0], argv, &lim, &res) == 0);
	CONFINE_CHECK(res.outcome == KP_SPAWN_EXITED && res.exit_code == 0);
	kp_spawn_result_free(&res);
	return 0;
}

/* The timeout path: the supervisor kills the program through its pidfd. */
static long
spawn_timeout(void)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;
	char *argv[] = { "/bin/sleep", "30", NULL };

	kp_spawn_limits_default(&lim);
	lim.timeout_ms = 300;
	CONFINE_CHECK(kp_spawn_run(argv[0], argv, &lim, &res) == 0);
	CONFINE_CHECK(res.outcome == KP_SPAWN_TIMEOUT);
	CONFINE_CHECK(res.elapsed_seconds < 5.0);
	kp_spawn_result_free(&res);
	return 0;
}

static long
parser_version(void)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;
	char *argv[] = { PARSER, "--version", NULL };

	kp_spawn_limits_default(&lim);
	lim.timeout_ms = 10000;
	CONFINE_CHECK(kp_spawn_run(argv[0], argv, &lim, &res) == 0);
	CONFINE_CHECK(res.outcome == KP_SPAWN_EXITED && res.exit_code == 0);
	CONFINE_CHECK(strstr(res.output, "AppArmor parser version") != NULL);
	kp_spawn_result_free(&res);
	return 0;
}

static char fs_dir[320], profile_path[320], replace_path[320];

/* The loader's exact parser argv (loader/parser_run.c), against a
 * directory standing in for apparmorfs whose .replace is a plain file. */
static long
parser_replace(void)
{
	struct kp_spawn_limits lim;
	struct kp_spawn_result res;
	struct stat st;
	char *argv[] = {
		PARSER, "--replace", "--skip-cache", "--jobs=0",
		"--subdomainfs", fs_dir, "--kernel-features", FEATURES,
		profile_path, NULL,
	};

	kp_spawn_limits_default(&lim);
	lim.timeout_ms = 20000;
	CONFINE_CHECK(kp_spawn_run(argv[0], argv, &lim, &res) == 0);
	CONFINE_CHECK(res.outcome == KP_SPAWN_EXITED);
	CONFINE_CHECK(res.exit_code == 0);
	kp_spawn_result_free(&res);
	CONFINE_CHECK(stat(replace_path, &st) == 0 && st.st_size > 0);
	return 0;
}

/* Requests and replies on fd 3. */
static long
talk_on_socket(void)
{
	char buf[16];

	CONFINE_CHECK(recv(CONFINE_SOCK_FD, buf, sizeof(buf), MSG_TRUNC) == 5);
	CONFINE_CHECK(send(CONFINE_SOCK_FD, "pong", 5, MSG_NOSIGNAL) == 5);
	return 0;
}

/* Signals only through pidfds of its own children. */
static long
pidfd_signal_own_child(void)
{
	int status;
	pid_t parent = getpid();

	pid_t pid = fork();
	CONFINE_CHECK(pid >= 0);
	if (pid == 0) {
		/* pause(2) is not in the table: wait in poll, which is;
		 * never outlive the test if the signal does not come. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 ||
		    getppid() != parent)
			_exit(1);
		for (;;)
			poll(NULL, 0, -1);
	}
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0U);
	CONFINE_CHECK(pfd >= 0);
	CONFINE_CHECK(syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0U) ==
	    0);
	CONFINE_CHECK(waitpid(pid, &status, 0) == pid);
	CONFINE_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CONFINE_CHECK(close(pfd) == 0);
	return 0;
}

Test(spawner_filter, control_fork_exec)
{
	expect_allowed(POLICY, fork_exec_true, "fork and exec of /bin/true");
}

Test(spawner_filter, control_spawn)
{
	expect_allowed(POLICY, spawn_true, "kp_spawn_run of /bin/true");
}

Test(spawner_filter, control_spawn_timeout)
{
	expect_allowed(POLICY, spawn_timeout, "kp_spawn_run's timeout");
}

Test(spawner_filter, control_parser_version)
{
	expect_allowed(POLICY, parser_version, "apparmor_parser --version");
}

Test(spawner_filter, control_parser_replace)
{
	FILE *f;

	cr_assert_lt(snprintf(fs_dir, sizeof(fs_dir), "%s/apparmorfs",
	    confine_env.scratch), (int)sizeof(fs_dir));
	cr_assert_lt(snprintf(replace_path, sizeof(replace_path), "%s/.replace",
	    fs_dir), (int)sizeof(replace_path));
	cr_assert_lt(snprintf(profile_path, sizeof(profile_path), "%s/custom.a",
	    confine_env.dir), (int)sizeof(profile_path));
	cr_assert_eq(mkdir(fs_dir, 0755), 0);
	cr_assert_not_null(f = fopen(replace_path, "w"));
	cr_assert_eq(fclose(f), 0);
	cr_assert_not_null(f = fopen(profile_path, "w"));
	cr_assert_gt(fputs(CONFINE_PROFILE_A, f), 0);
	cr_assert_eq(fclose(f), 0);
	expect_allowed(POLICY, parser_replace,
	    "apparmor_parser --replace with the loader's argv");
}

Test(spawner_filter, control_socket)
{
	expect_allowed(POLICY, talk_on_socket, "send/recv on fd 3");
}

Test(spawner_filter, control_pidfd_signal)
{
	expect_allowed(POLICY, pidfd_signal_own_child,
	    "pidfd_send_signal to its own child");
}
