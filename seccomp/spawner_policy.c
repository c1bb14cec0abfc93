/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The spawner's seccomp table.  The spawner is a small process forked by
 * the loader (after it dropped to CAP_MAC_ADMIN, before the loader's own
 * filter) that receives one fixed request at a time - "load this file of
 * the profiles directory" - and runs apparmor_parser through common/spawn.c.
 * A filter survives exec, so this table is also what apparmor_parser runs
 * under: the supervisor's and the parser's needs, and nothing for network,
 * ptrace, mount, keyctl, bpf, io_uring, userfaultfd or signalling anyone
 * but our own children (pidfd_send_signal on pidfds we opened).
 */
#include "seccomp/sandbox.h"

static const struct kp_syscall_rule spawner_rules[] = {
	/* Requests from the loader. */
	ALLOW("recvmsg"),
	ALLOW("sendmsg"),
	/* send()/recv() on a connected socket: never with an address. */
	ALLOW_ARG("sendto", KP_ARG_EQ(4, 0)),
	ALLOW_ARG("recvfrom", KP_ARG_EQ(4, 0)),

	/* Starting and supervising the parser (common/spawn.c). */
	ALLOW("clone3"),
	ALLOW("clone"),
	ALLOW("execve"),
	ALLOW("setsid"),
	ALLOW("setpgid"),
	ALLOW("chdir"),
	ALLOW("pipe2"),
	ALLOW("dup"),
	ALLOW("dup2"),
	ALLOW("dup3"),
	ALLOW("close_range"),
	ALLOW("prlimit64"),
	ALLOW("setrlimit"),
	ALLOW("getrlimit"),
	ALLOW("prctl"),
	ALLOW("pidfd_open"),
	ALLOW("pidfd_send_signal"),
	ALLOW("waitid"),
	ALLOW("wait4"),
	ALLOW("poll"),
	ALLOW("ppoll"),
	ALLOW("getpid"),
	ALLOW("gettid"),
	ALLOW("getppid"),
	ALLOW("rt_sigaction"),
	ALLOW("rt_sigprocmask"),
	ALLOW("rt_sigreturn"),
	/* The sanitizer runtimes set an alternate signal stack. */
	ALLOW("sigaltstack"),
	ALLOW("restart_syscall"),
	ALLOW("clock_gettime"),
	ALLOW("clock_nanosleep"),
	ALLOW("nanosleep"),

	/* apparmor_parser itself: the dynamic loader, reading the profile
	 * and its includes, writing the compiled policy to apparmorfs. */
	ALLOW("openat"),
	ALLOW("read"),
	ALLOW("pread64"),
	ALLOW("write"),
	ALLOW("writev"),
	ALLOW("close"),
	ALLOW("fstat"),
	ALLOW("newfstatat"),
	ALLOW("statx"),
	ALLOW("lseek"),
	ALLOW("getdents64"),
	ALLOW("readlink"),
	ALLOW("readlinkat"),
	ALLOW("access"),
	ALLOW("faccessat"),
	ALLOW("faccessat2"),
	ALLOW("fcntl"),
	ALLOW("ioctl"),
	ALLOW("brk"),
	ALLOW("mmap"),
	ALLOW("mprotect"),
	ALLOW("munmap"),
	ALLOW("mremap"),
	ALLOW("madvise"),
	ALLOW("arch_prctl"),
	ALLOW("set_tid_address"),
	ALLOW("set_robust_list"),
	ALLOW("rseq"),
	ALLOW("futex"),
	ALLOW("getrandom"),
	ALLOW("getuid"),
	ALLOW("geteuid"),
	ALLOW("getgid"),
	ALLOW("getegid"),
	ALLOW("uname"),
	ALLOW("sysinfo"),
	ALLOW("sched_getaffinity"),
	ALLOW("exit_group"),
	ALLOW("exit"),
};

const struct kp_seccomp_policy kp_spawner_policy = {
	.process = "spawner",
	.rules = spawner_rules,
	.nrules = sizeof(spawner_rules) / sizeof(spawner_rules[0]),
};
