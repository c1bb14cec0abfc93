/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The loader's real filter (seccomp/loader_policy.c) in a forked child: no
 * exec, no fork, no signal to any process, no sockets, no executable
 * memory; writing files in its directory, reading /proc, its two sockets,
 * reaping children and its event loop keep working.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "confine.h"
#include "forbidden.h"

#define POLICY (&kp_loader_policy)

TestSuite(loader_filter, .init = confine_setup, .fini = confine_teardown);

#define KILLED(name, call, what) \
	Test(loader_filter, name) { expect_killed(POLICY, call, what); }

/* ---- exec, processes, privileges ---- */
KILLED(execve, call_execve, "execve")
KILLED(execveat, call_execveat, "execveat")
KILLED(fork, call_fork, "clone (fork)")
KILLED(clone3, call_clone3, "clone3")
KILLED(fork_legacy, call_fork_legacy, "fork(2)")
KILLED(unshare, call_unshare, "unshare")
KILLED(setresuid, call_setresuid, "setresuid")
KILLED(capset, call_capset, "capset")
KILLED(prctl, call_prctl_dumpable, "prctl(PR_SET_DUMPABLE)")

/* ---- signals: none at all, not even to itself ---- */
static long
kill_self(void)
{
	return syscall(SYS_kill, getpid(), 0);
}

static long
pidfd_signal(void)
{
	/* An invalid pidfd: the call itself is what must not exist. */
	return syscall(SYS_pidfd_send_signal, -1, 0, NULL, 0U);
}

static long
sigqueue_other(void)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_code = SI_QUEUE;
	return syscall(SYS_rt_sigqueueinfo, confine_env.other, 0, &si);
}

KILLED(kill_other, call_kill_other, "kill of another process")
KILLED(kill_self, kill_self, "kill of itself")
KILLED(tkill_other, call_tkill_other, "tkill of another process")
KILLED(tgkill_other, call_tgkill_other, "tgkill of another process")
KILLED(pidfd_send_signal, pidfd_signal, "pidfd_send_signal")
KILLED(rt_sigqueueinfo, sigqueue_other, "rt_sigqueueinfo")

/* ---- network and new sockets ---- */
KILLED(socket_inet, call_socket_inet, "socket(AF_INET)")
KILLED(socket_inet6, call_socket_inet6, "socket(AF_INET6)")
KILLED(socket_unix, call_socket_unix, "socket(AF_UNIX)")
KILLED(socket_netlink, call_socket_netlink, "socket(AF_NETLINK)")
KILLED(socketpair, call_socketpair, "socketpair")

/* ---- other processes, mount, keys, bpf, io_uring, ... ---- */
KILLED(ptrace, call_ptrace, "ptrace")
KILLED(process_vm_readv, call_process_vm_readv, "process_vm_readv")
KILLED(mount, call_mount, "mount")
KILLED(umount2, call_umount2, "umount2")
KILLED(keyctl, call_keyctl, "keyctl")
KILLED(add_key, call_add_key, "add_key")
KILLED(bpf, call_bpf, "bpf")
KILLED(io_uring_setup, call_io_uring_setup, "io_uring_setup")
KILLED(userfaultfd, call_userfaultfd, "userfaultfd")
KILLED(personality, call_personality, "personality")
KILLED(unknown_syscall, call_unknown, "syscall(1000)")

#if defined(__x86_64__)
KILLED(x32_abi, call_x32_getpid, "getpid through the x32 ABI")

Test(loader_filter, ia32_abi)
{
	if (!ia32_supported())
		cr_skip_test("this kernel runs no 32-bit x86 system calls");
	expect_killed(POLICY, call_ia32_getpid, "getpid through int $0x80");
}
#endif

/* ---- the filesystem beyond files in a directory ---- */
static long
do_symlinkat(void)
{
	return syscall(SYS_symlinkat, "/etc/shadow", AT_FDCWD,
	    confine_env.missing);
}

static long
do_linkat(void)
{
	return syscall(SYS_linkat, AT_FDCWD, confine_env.file, AT_FDCWD,
	    confine_env.missing, 0);
}

static long
do_mknodat(void)
{
	return syscall(SYS_mknodat, AT_FDCWD, confine_env.missing,
	    S_IFIFO | 0600, 0);
}

static long
do_mkdirat(void)
{
	return syscall(SYS_mkdirat, AT_FDCWD, confine_env.missing, 0700);
}

static long
do_fchownat(void)
{
	return syscall(SYS_fchownat, AT_FDCWD, confine_env.file, -1, -1, 0);
}

static long
do_fchmodat(void)
{
	return syscall(SYS_fchmodat, AT_FDCWD, confine_env.file, 0644);
}

static long
do_ftruncate(void)
{
	return syscall(SYS_ftruncate, STDERR_FILENO, 0L);
}

static long
do_chroot(void)
{
	return syscall(SYS_chroot, confine_env.dir);
}

KILLED(symlinkat, do_symlinkat, "symlinkat")
KILLED(linkat, do_linkat, "linkat")
KILLED(mknodat, do_mknodat, "mknodat")
KILLED(mkdirat, do_mkdirat, "mkdirat")
KILLED(fchownat, do_fchownat, "fchownat")
KILLED(fchmodat, do_fchmodat, "fchmodat")
KILLED(ftruncate, do_ftruncate, "ftruncate")
KILLED(chroot, do_chroot, "chroot")

/* ---- permitted calls with forbidden arguments ---- */
static long
recvfrom_addr(void)
{
	char buf[16];
	struct sockaddr_storage from;
	socklen_t len = sizeof(from);

	return syscall(SYS_recvfrom, CONFINE_SOCK_FD, buf, sizeof(buf), 0,
	    (struct sockaddr *)&from, &len);
}

static long
fcntl_setown(void)
{
	return syscall(SYS_fcntl, CONFINE_SOCK_FD, F_SETOWN, getpid());
}

KILLED(mmap_exec, call_mmap_exec, "mmap PROT_EXEC")
KILLED(mprotect_exec, call_mprotect_exec, "mprotect PROT_EXEC")
KILLED(fcntl_dupfd, call_fcntl_dupfd, "fcntl F_DUPFD")
KILLED(fcntl_dupfd_cloexec, call_fcntl_dupfd_cloexec, "fcntl F_DUPFD_CLOEXEC")
KILLED(fcntl_setown, fcntl_setown, "fcntl F_SETOWN")
KILLED(sendto_addr, call_sendto_addr, "sendto with an address")
KILLED(recvfrom_addr, recvfrom_addr, "recvfrom with an address")

/* ---- controls: what the loader does ---- */

/* A profile written as the profiles directory does: a temporary with a
 * random name, opened non-blocking, switched back, 0644, synced, renamed
 * over the final name, the directory synced; then a removal. */
static long
write_profile(void)
{
	char tmp[32], final[] = "custom.a";
	unsigned char rnd[6];

	int dfd = open(confine_env.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CONFINE_CHECK(dfd >= 0);
	CONFINE_CHECK(getrandom(rnd, sizeof(rnd), 0) == (ssize_t)sizeof(rnd));
	snprintf(tmp, sizeof(tmp), ".custom.a.tmp.%02x%02x%02x", rnd[0],
	    rnd[1], rnd[2]);
	int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC | O_NONBLOCK, 0600);
	CONFINE_CHECK(fd >= 0);
	int fl = fcntl(fd, F_GETFL);
	CONFINE_CHECK(fl >= 0 && fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == 0);
	CONFINE_CHECK(fchmod(fd, 0644) == 0);
	CONFINE_CHECK(write(fd, CONFINE_PROFILE_A, strlen(CONFINE_PROFILE_A)) ==
	    (ssize_t)strlen(CONFINE_PROFILE_A));
	CONFINE_CHECK(fsync(fd) == 0 && fdatasync(fd) == 0);
	CONFINE_CHECK(close(fd) == 0);
	CONFINE_CHECK(renameat(dfd, tmp, dfd, final) == 0);
	CONFINE_CHECK(renameat2(dfd, final, dfd, "custom.b",
	    RENAME_NOREPLACE) == 0);
	CONFINE_CHECK(faccessat(dfd, "custom.b", R_OK, 0) == 0);
	CONFINE_CHECK(unlinkat(dfd, "custom.b", 0) == 0);
	CONFINE_CHECK(fsync(dfd) == 0);
	CONFINE_CHECK(close(dfd) == 0);
	return 0;
}

/* The in-use scan and the status checks: /proc, read-only. */
static long
read_proc(void)
{
	char buf[4096];
	char self[32];
	struct stat st;

	int pfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CONFINE_CHECK(pfd >= 0);
	CONFINE_CHECK(syscall(SYS_getdents64, pfd, buf, sizeof(buf)) > 0);
	ssize_t n = readlinkat(pfd, "self", self, sizeof(self) - 1);
	CONFINE_CHECK(n > 0);
	self[n] = '\0';
	CONFINE_CHECK(atoi(self) == getpid());
	int fd = openat(pfd, "self/status", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	CONFINE_CHECK(fd >= 0);
	CONFINE_CHECK(read(fd, buf, sizeof(buf) - 1) > 0);
	CONFINE_CHECK(pread(fd, buf, 16, 0) == 16);
	CONFINE_CHECK(fstatat(pfd, "self", &st, 0) == 0);
	CONFINE_CHECK(close(fd) == 0 && close(pfd) == 0);
	return 0;
}

/* The watcher's and the spawner's sockets: sendmsg/recvmsg and the
 * address-less send()/recv(). */
static long
talk_on_socket(void)
{
	char buf[16];

	CONFINE_CHECK(recv(CONFINE_SOCK_FD, buf, sizeof(buf), 0) == 5);
	CONFINE_CHECK(send(CONFINE_SOCK_FD, "pong", 5, MSG_NOSIGNAL) == 5);
	CONFINE_CHECK(recv(CONFINE_OTHER_FD, buf, sizeof(buf),
	    MSG_DONTWAIT) == 5);
	struct iovec out = { .iov_base = "pong", .iov_len = 5 };
	struct msghdr sm = { .msg_iov = &out, .msg_iovlen = 1 };
	CONFINE_CHECK(sendmsg(CONFINE_OTHER_FD, &sm, MSG_NOSIGNAL) == 5);
	struct iovec in = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr rm = { .msg_iov = &in, .msg_iovlen = 1 };
	errno = 0;
	CONFINE_CHECK(recvmsg(CONFINE_SOCK_FD, &rm, MSG_DONTWAIT) < 0 &&
	    errno == EAGAIN);
	return 0;
}

/* The event loop, reaping (no child here: ECHILD), its pid, the log. */
static long
event_loop(void)
{
	struct pollfd p = { .fd = CONFINE_SOCK_FD, .events = POLLIN };
	struct timespec zero = { 0, 0 }, ms = { 0, 1000000 }, now;
	siginfo_t si;
	sigset_t set, old;

	CONFINE_CHECK(poll(&p, 1, 0) == 1);
	CONFINE_CHECK(ppoll(&p, 1, &zero, NULL) == 1);
	CONFINE_CHECK(clock_gettime(CLOCK_MONOTONIC, &now) == 0);
	CONFINE_CHECK(clock_nanosleep(CLOCK_MONOTONIC, 0, &ms, NULL) == 0);
	CONFINE_CHECK(nanosleep(&ms, NULL) == 0);
	CONFINE_CHECK(syscall(SYS_nanosleep, &ms, NULL) == 0);
	memset(&si, 0, sizeof(si));
	errno = 0;
	CONFINE_CHECK(waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0 &&
	    errno == ECHILD);
	errno = 0;
	CONFINE_CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
	CONFINE_CHECK(getpid() > 1);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	CONFINE_CHECK(sigprocmask(SIG_BLOCK, &set, &old) == 0);
	CONFINE_CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
	kp_log_init("loader", KP_LOG_DEBUG, KP_LOG_JSON);
	kp_log(KP_LOG_INFO, "test", "custom.a", "json line %d", 1);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The kernel's profile list and the key sets are sorted with qsort, which
 * asks sysinfo for the memory size before sorting more than 1 KiB. */
static long
sort_many_names(void)
{
	static char names[CONFINE_MANY_KEYS][32];
	static char *ptrs[CONFINE_MANY_KEYS];

	for (int i = 0; i < CONFINE_MANY_KEYS; i++) {
		snprintf(names[i], sizeof(names[i]), "profile%04d",
		    CONFINE_MANY_KEYS - 1 - i);
		ptrs[i] = names[i];
	}
	qsort(ptrs, CONFINE_MANY_KEYS, sizeof(ptrs[0]), cmp_str);
	CONFINE_CHECK(strcmp(ptrs[0], "profile0000") == 0);
	return 0;
}

static long
memory(void)
{
	char *big = malloc(8 << 20);
	CONFINE_CHECK(big != NULL);
	memset(big, 1, 8 << 20);
	free(big);
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CONFINE_CHECK(p != MAP_FAILED);
	CONFINE_CHECK(madvise(p, 8192, MADV_DONTNEED) == 0);
	p = mremap(p, 8192, 16384, MREMAP_MAYMOVE);
	CONFINE_CHECK(p != MAP_FAILED);
	CONFINE_CHECK(mprotect(p, 16384, PROT_READ) == 0);
	CONFINE_CHECK(munmap(p, 16384) == 0);
	return 0;
}

Test(loader_filter, control_write_profile)
{
	expect_allowed(POLICY, write_profile,
	    "writing, renaming and removing a profile file");
}

Test(loader_filter, control_read_proc)
{
	expect_allowed(POLICY, read_proc, "reading /proc");
}

Test(loader_filter, control_socket)
{
	expect_allowed(POLICY, talk_on_socket, "its two sockets");
}

Test(loader_filter, control_event_loop)
{
	expect_allowed(POLICY, event_loop, "poll, timers, reaping and the log");
}

Test(loader_filter, control_sort_many_names)
{
	expect_allowed(POLICY, sort_many_names, "sorting a long profile list");
}

Test(loader_filter, control_memory)
{
	expect_allowed(POLICY, memory, "memory");
}
