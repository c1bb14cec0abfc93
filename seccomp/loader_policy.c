/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The loader's seccomp table.  Installed once the watcher and the spawner
 * run and the loader holds only CAP_MAC_ADMIN.  The loader writes files in
 * the profiles directory, reads /proc for the in-use scan and apparmorfs
 * for the profile list, writes profile names to apparmorfs/.remove, asks
 * the spawner to run apparmor_parser, reaps children and waits on its two
 * sockets.  It cannot exec, fork, open sockets or signal any process: the
 * spawner does the one exec, and only the spawner's own filter allows it.
 */
#include <fcntl.h>
#include <sys/mman.h>

#include "seccomp/sandbox.h"

static const struct kp_syscall_rule loader_rules[] = {
	/* Files in the profiles directory: temporaries, renames, the state
	 * file; reading /proc and apparmorfs; writing apparmorfs/.remove. */
	ALLOW("openat"),
	ALLOW("read"),
	ALLOW("pread64"),
	ALLOW("write"),
	ALLOW("close"),
	ALLOW("fsync"),
	/* Temporary profiles get mode 0644 whatever the umask. */
	ALLOW("fchmod"),
	ALLOW("fdatasync"),
	ALLOW("renameat"),
	ALLOW("renameat2"),
	ALLOW("unlinkat"),
	ALLOW("fstat"),
	ALLOW("newfstatat"),
	ALLOW("statx"),
	ALLOW("faccessat"),
	ALLOW("faccessat2"),
	ALLOW("getdents64"),
	ALLOW("readlinkat"),
	ALLOW("lseek"),
	ALLOW_ARG("fcntl", KP_ARG_EQ(1, F_GETFL)),
	ALLOW_ARG("fcntl", KP_ARG_EQ(1, F_GETFD)),
	ALLOW_ARG("fcntl", KP_ARG_EQ(1, F_SETFD)),
	/* Files are opened O_NONBLOCK (a FIFO cannot hang us), checked with
	 * fstat, then switched back to blocking. */
	ALLOW_ARG("fcntl", KP_ARG_EQ(1, F_SETFL)),

	/* The watcher's and the spawner's sockets. */
	ALLOW("sendmsg"),
	ALLOW("recvmsg"),
	/* send()/recv() on a connected socket: never with an address. */
	ALLOW_ARG("sendto", KP_ARG_EQ(4, 0)),
	ALLOW_ARG("recvfrom", KP_ARG_EQ(4, 0)),

	/* The event loop: poll, the signalfd, timers. */
	ALLOW("poll"),
	ALLOW("ppoll"),
	ALLOW("clock_gettime"),
	ALLOW("clock_nanosleep"),
	ALLOW("nanosleep"),
	ALLOW("restart_syscall"),

	/* Reaping the watcher and orphans (we are a subreaper); no way to
	 * signal anyone. */
	ALLOW("waitid"),
	ALLOW("wait4"),

	/* Temporary file names; our own pid for the PID namespace check. */
	ALLOW("getrandom"),
	ALLOW("getpid"),

	/* Memory: never executable. */
	ALLOW("brk"),
	ALLOW_ARG("mmap", KP_ARG_MASKED_EQ(2, PROT_EXEC, 0)),
	ALLOW_ARG("mprotect", KP_ARG_MASKED_EQ(2, PROT_EXEC, 0)),
	ALLOW("munmap"),
	ALLOW("mremap"),
	ALLOW("madvise"),

	/* glibc's qsort() asks sysinfo() for the memory size before it
	 * allocates a merge buffer (key sets, profile lists). */
	ALLOW("sysinfo"),

	/* Signals (all blocked and read from the signalfd) and leaving; the
	 * sanitizer runtimes set an alternate signal stack for this thread. */
	ALLOW("sigaltstack"),
	ALLOW("rt_sigprocmask"),
	ALLOW("rt_sigreturn"),
	ALLOW("exit_group"),
	ALLOW("exit"),
};

const struct kp_seccomp_policy kp_loader_policy = {
	.process = "loader",
	.rules = loader_rules,
	.nrules = sizeof(loader_rules) / sizeof(loader_rules[0]),
};
