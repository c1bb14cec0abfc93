/* SPDX-License-Identifier: Apache-2.0 */
#include "forbidden.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096

/* exec of a path that does not exist: if the filter let the call through,
 * it would return ENOENT, visibly, rather than run a program that might die
 * of the filter for a reason of its own. */
#define NO_PROGRAM "/nonexistent/kp-no-such-program"
static char *const no_argv[] = { NO_PROGRAM, NULL };
static char *const empty_env[] = { NULL };
/* A page of our own for mprotect: no call needed to get one. */
static char own_page[PAGE] __attribute__((aligned(PAGE)));
static char peek_buf[8];

long
call_execve(void)
{
	return syscall(SYS_execve, NO_PROGRAM, no_argv, empty_env);
}

long
call_execveat(void)
{
	return syscall(SYS_execveat, AT_FDCWD, NO_PROGRAM, no_argv, empty_env,
	    0);
}

long
call_socket_inet(void)
{
	return syscall(SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

long
call_socket_inet6(void)
{
	return syscall(SYS_socket, AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

long
call_socket_unix(void)
{
	return syscall(SYS_socket, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
}

long
call_socket_netlink(void)
{
	return syscall(SYS_socket, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0);
}

long
call_socketpair(void)
{
	int sv[2];

	return syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv);
}

long
call_ptrace(void)
{
	return syscall(SYS_ptrace, PTRACE_PEEKDATA, confine_env.other,
	    peek_buf, NULL);
}

long
call_process_vm_readv(void)
{
	/* The same address in the test process: fork copied it. */
	struct iovec local = { .iov_base = peek_buf, .iov_len = 1 };
	struct iovec remote = { .iov_base = peek_buf, .iov_len = 1 };

	return syscall(SYS_process_vm_readv, confine_env.other, &local, 1UL,
	    &remote, 1UL, 0UL);
}

long
call_mount(void)
{
	return syscall(SYS_mount, "none", confine_env.missing, "tmpfs", 0UL,
	    NULL);
}

long
call_umount2(void)
{
	return syscall(SYS_umount2, confine_env.missing, 0);
}

long
call_kill_other(void)
{
	return syscall(SYS_kill, confine_env.other, 0);
}

long
call_tkill_other(void)
{
	return syscall(SYS_tkill, confine_env.other, 0);
}

long
call_tgkill_other(void)
{
	return syscall(SYS_tgkill, confine_env.other, confine_env.other, 0);
}

long
call_keyctl(void)
{
	/* Look the session keyring up without creating it. */
	return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID,
	    KEY_SPEC_SESSION_KEYRING, 0);
}

long
call_add_key(void)
{
	return syscall(SYS_add_key, "kp-no-such-type", "kp-test", "x", 1UL,
	    KEY_SPEC_PROCESS_KEYRING);
}

long
call_bpf(void)
{
	return syscall(SYS_bpf, -1, NULL, 0U);
}

long
call_io_uring_setup(void)
{
	return syscall(SYS_io_uring_setup, 0U, NULL);
}

long
call_userfaultfd(void)
{
	return syscall(SYS_userfaultfd, O_CLOEXEC);
}

long
call_personality(void)
{
	return syscall(SYS_personality, 0xffffffffUL);
}

long
call_unknown(void)
{
	return syscall(UNKNOWN_SYSCALL, 0, 0, 0);
}

long
call_x32_getpid(void)
{
#if defined(__x86_64__)
	/* The x32 ABI: x86_64's entry point with bit 30 set.  The filter
	 * must not treat it as the 64-bit getpid. */
	return syscall(0x40000000L | SYS_getpid);
#else
	return -1;
#endif
}

long
call_ia32_getpid(void)
{
#if defined(__x86_64__)
	/* getpid is 20 in the i386 table. */
	long ret;
	__asm__ volatile ("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
	return ret;
#else
	return -1;
#endif
}

bool
ia32_supported(void)
{
#if defined(__x86_64__)
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return false;
	if (pid == 0)
		_exit(call_ia32_getpid() == (long)getpid() ? 0 : 1);
	if (waitpid(pid, &status, 0) != pid)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
#else
	return false;
#endif
}

long
call_fork(void)
{
	/* What glibc's fork() makes; a child, if there is one, just leaves. */
	long r = syscall(SYS_clone, (unsigned long)SIGCHLD, 0UL, NULL, NULL,
	    0UL);
	if (r == 0)
		_exit(0);
	return r;
}

long
call_clone3(void)
{
	struct clone_args args;

	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	long r = syscall(SYS_clone3, &args, sizeof(args));
	if (r == 0)
		_exit(0);
	return r;
}

long
call_fork_legacy(void)
{
#ifdef SYS_fork
	/* The legacy fork(2) entry point (x86_64 has one). */
	long r = syscall(SYS_fork);
	if (r == 0)
		_exit(0);
	return r;
#else
	return call_fork();
#endif
}

long
call_unshare(void)
{
	return syscall(SYS_unshare, 0UL);
}

long
call_setresuid(void)
{
	return syscall(SYS_setresuid, -1, -1, -1);
}

long
call_capset(void)
{
	/* Version 0 is refused with EINVAL even where capset is allowed. */
	struct __user_cap_header_struct hdr = { .version = 0, .pid = 0 };

	return syscall(SYS_capset, &hdr, NULL);
}

long
call_prctl_dumpable(void)
{
	return syscall(SYS_prctl, PR_SET_DUMPABLE, 1UL, 0UL, 0UL, 0UL);
}

long
call_mmap_exec(void)
{
	return syscall(SYS_mmap, NULL, (size_t)PAGE, PROT_READ | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
}

long
call_mprotect_exec(void)
{
	return syscall(SYS_mprotect, own_page, (size_t)PAGE,
	    PROT_READ | PROT_EXEC);
}

long
call_fcntl_dupfd(void)
{
	return syscall(SYS_fcntl, STDERR_FILENO, F_DUPFD, 10);
}

long
call_fcntl_dupfd_cloexec(void)
{
	return syscall(SYS_fcntl, STDERR_FILENO, F_DUPFD_CLOEXEC, 10);
}

long
call_sendto_addr(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	strcpy(sun.sun_path, "/tmp/kp-no-such-socket");
	return syscall(SYS_sendto, CONFINE_SOCK_FD, "x", 1UL, 0,
	    (struct sockaddr *)&sun, (socklen_t)sizeof(sun));
}
