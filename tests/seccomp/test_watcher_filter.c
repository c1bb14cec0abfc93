/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The watcher's real filter (seccomp/watcher_policy.c) in a forked child:
 * one forbidden call per group dies of SIGSYS, and what the watcher really
 * does (read the ConfigMap, wait, talk on fd 3, log to fd 2, allocate)
 * keeps working.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/configmap.h"
#include "common/log.h"
#include "common/validator.h"
#include "confine.h"
#include "forbidden.h"

#define POLICY (&kp_watcher_policy)

TestSuite(watcher_filter, .init = confine_setup, .fini = confine_teardown);

#define KILLED(name, call, what) \
	Test(watcher_filter, name) { expect_killed(POLICY, call, what); }

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

/* ---- opening for writing, changing the filesystem ---- */
static long
open_flags(int flags)
{
	return syscall(SYS_openat, AT_FDCWD, confine_env.file, flags, 0600);
}

static long open_wronly(void) { return open_flags(O_WRONLY | O_CLOEXEC); }
static long open_rdwr(void) { return open_flags(O_RDWR | O_CLOEXEC); }
static long open_creat(void) { return open_flags(O_RDONLY | O_CREAT); }
static long open_trunc(void) { return open_flags(O_RDONLY | O_TRUNC); }
static long open_append(void) { return open_flags(O_RDONLY | O_APPEND); }

static long
open_tmpfile(void)
{
	/* Read-only, so that only the tmpfile bit can be what kills (the
	 * kernel itself would refuse it with EINVAL). */
	return syscall(SYS_openat, AT_FDCWD, confine_env.dir,
	    O_TMPFILE | O_RDONLY | O_CLOEXEC, 0600);
}

static long
open_legacy(void)
{
#ifdef SYS_open
	/* open(2) itself, even read-only: the table has openat only. */
	return syscall(SYS_open, confine_env.file, O_RDONLY | O_CLOEXEC);
#else
	return open_wronly();
#endif
}

static long
creat_legacy(void)
{
#ifdef SYS_creat
	return syscall(SYS_creat, confine_env.missing, 0600);
#else
	return open_creat();
#endif
}

static long
do_mkdirat(void)
{
	return syscall(SYS_mkdirat, AT_FDCWD, confine_env.missing, 0700);
}

static long
do_unlinkat(void)
{
	return syscall(SYS_unlinkat, AT_FDCWD, confine_env.file, 0);
}

static long
do_renameat(void)
{
	return syscall(SYS_renameat, AT_FDCWD, confine_env.file, AT_FDCWD,
	    confine_env.missing);
}

KILLED(openat_wronly, open_wronly, "openat O_WRONLY")
KILLED(openat_rdwr, open_rdwr, "openat O_RDWR")
KILLED(openat_creat, open_creat, "openat O_CREAT")
KILLED(openat_trunc, open_trunc, "openat O_TRUNC")
KILLED(openat_append, open_append, "openat O_APPEND")
KILLED(openat_tmpfile, open_tmpfile, "openat O_TMPFILE")
KILLED(open_legacy, open_legacy, "open(2)")
KILLED(creat, creat_legacy, "creat")
KILLED(mkdirat, do_mkdirat, "mkdirat")
KILLED(unlinkat, do_unlinkat, "unlinkat")
KILLED(renameat, do_renameat, "renameat")

/* ---- network and new sockets ---- */
KILLED(socket_inet, call_socket_inet, "socket(AF_INET)")
KILLED(socket_inet6, call_socket_inet6, "socket(AF_INET6)")
KILLED(socket_unix, call_socket_unix, "socket(AF_UNIX)")
KILLED(socket_netlink, call_socket_netlink, "socket(AF_NETLINK)")
KILLED(socketpair, call_socketpair, "socketpair")

/* The HTTP endpoint's socket is bound before the filter: no new bind,
 * listen or connect, and its calls only with the flags libmicrohttpd uses
 * (accept4 non-blocking and close-on-exec, sends with MSG_NOSIGNAL,
 * setsockopt at the TCP level). */
static long
do_connect(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	strcpy(sun.sun_path, "/tmp/kp-no-such-socket");
	return syscall(SYS_connect, CONFINE_OTHER_FD, (struct sockaddr *)&sun,
	    (socklen_t)sizeof(sun));
}

static long
do_bind(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	return syscall(SYS_bind, CONFINE_OTHER_FD, (struct sockaddr *)&sun,
	    (socklen_t)sizeof(sa_family_t));
}

static long
do_listen(void)
{
	return syscall(SYS_listen, CONFINE_OTHER_FD, 1);
}

static long
accept_blocking(void)
{
	return syscall(SYS_accept4, CONFINE_OTHER_FD, NULL, NULL, 0);
}

static long
sendto_signalling(void)
{
	return syscall(SYS_sendto, CONFINE_OTHER_FD, "x", 1UL, 0, NULL, 0);
}

static long
setsockopt_socket_level(void)
{
	int one = 1;

	return syscall(SYS_setsockopt, CONFINE_OTHER_FD, SOL_SOCKET,
	    SO_REUSEADDR, &one, (socklen_t)sizeof(one));
}

KILLED(connect, do_connect, "connect")
KILLED(bind, do_bind, "bind")
KILLED(listen, do_listen, "listen")
KILLED(accept4_blocking, accept_blocking, "accept4 without the endpoint's flags")
KILLED(sendto_without_nosignal, sendto_signalling, "sendto without MSG_NOSIGNAL")
KILLED(setsockopt_socket_level, setsockopt_socket_level,
    "setsockopt at SOL_SOCKET")

/* ---- other processes ---- */
KILLED(ptrace, call_ptrace, "ptrace")
KILLED(process_vm_readv, call_process_vm_readv, "process_vm_readv")
KILLED(kill_other, call_kill_other, "kill of another process")
KILLED(tkill_other, call_tkill_other, "tkill of another process")
KILLED(tgkill_other, call_tgkill_other, "tgkill of another process")

/* ---- mount, keys, bpf, io_uring, userfaultfd, personality ---- */
KILLED(mount, call_mount, "mount")
KILLED(umount2, call_umount2, "umount2")
KILLED(keyctl, call_keyctl, "keyctl")
KILLED(add_key, call_add_key, "add_key")
KILLED(bpf, call_bpf, "bpf")
KILLED(io_uring_setup, call_io_uring_setup, "io_uring_setup")
KILLED(userfaultfd, call_userfaultfd, "userfaultfd")
KILLED(personality, call_personality, "personality")

/* ---- numbers outside the table, other ABIs ---- */
KILLED(unknown_syscall, call_unknown, "syscall(1000)")

#if defined(__x86_64__)
KILLED(x32_abi, call_x32_getpid, "getpid through the x32 ABI")

Test(watcher_filter, ia32_abi)
{
	if (!ia32_supported())
		cr_skip_test("this kernel runs no 32-bit x86 system calls");
	expect_killed(POLICY, call_ia32_getpid, "getpid through int $0x80");
}
#endif

/* ---- permitted calls with forbidden arguments ---- */
static long
write_stdout(void)
{
	return syscall(SYS_write, STDOUT_FILENO, "x\n", 2UL);
}

static long
writev_stdout(void)
{
	struct iovec iov = { .iov_base = "x\n", .iov_len = 2 };

	return syscall(SYS_writev, STDOUT_FILENO, &iov, 1);
}

static long
write_socket(void)
{
	/* Frames go through sendmsg; a plain write to fd 3 is not one. */
	return syscall(SYS_write, CONFINE_SOCK_FD, "x", 1UL);
}

static long
recvmsg_other(void)
{
	char buf[16];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	return syscall(SYS_recvmsg, CONFINE_OTHER_FD, &mh, 0);
}

static long
sendmsg_other(void)
{
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	return syscall(SYS_sendmsg, CONFINE_OTHER_FD, &mh, 0);
}

static long
fcntl_setfl(void)
{
	return syscall(SYS_fcntl, CONFINE_SOCK_FD, F_SETFL, O_NONBLOCK);
}

KILLED(write_fd1, write_stdout, "write to fd 1")
KILLED(writev_fd1, writev_stdout, "writev to fd 1")
KILLED(write_fd3, write_socket, "write to fd 3")
KILLED(recvmsg_fd5, recvmsg_other, "recvmsg on fd 5")
KILLED(sendmsg_fd5, sendmsg_other, "sendmsg on fd 5")
KILLED(mmap_exec, call_mmap_exec, "mmap PROT_EXEC")
KILLED(mprotect_exec, call_mprotect_exec, "mprotect PROT_EXEC")
KILLED(fcntl_dupfd, call_fcntl_dupfd, "fcntl F_DUPFD")
KILLED(fcntl_dupfd_cloexec, call_fcntl_dupfd_cloexec, "fcntl F_DUPFD_CLOEXEC")
KILLED(fcntl_setfl, fcntl_setfl, "fcntl F_SETFL")

/* ---- controls: what the watcher does ---- */

/* A read-only open, its reads and stats, close. */
static long
read_file(void)
{
	char buf[16];
	struct stat st;
	struct statx stx;

	int fd = (int)syscall(SYS_openat, AT_FDCWD, confine_env.file,
	    O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	CONFINE_CHECK(fd >= 0);
	CONFINE_CHECK(read(fd, buf, sizeof(buf)) == 6);
	CONFINE_CHECK(memcmp(buf, "hello\n", 6) == 0);
	CONFINE_CHECK(pread(fd, buf, 1, 1) == 1 && buf[0] == 'e');
	CONFINE_CHECK(lseek(fd, 0, SEEK_SET) == 0);
	CONFINE_CHECK(fstat(fd, &st) == 0 && st.st_size == 6);
	CONFINE_CHECK(fstatat(AT_FDCWD, confine_env.file, &st,
	    AT_SYMLINK_NOFOLLOW) == 0);
	CONFINE_CHECK(statx(AT_FDCWD, confine_env.file, AT_SYMLINK_NOFOLLOW,
	    STATX_SIZE, &stx) == 0 && stx.stx_size == 6);
	int fl = fcntl(fd, F_GETFL);
	CONFINE_CHECK(fl >= 0 && (fl & O_ACCMODE) == O_RDONLY);
	CONFINE_CHECK(fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC) == 0);
	CONFINE_CHECK(close(fd) == 0);
	return 0;
}

/* A directory: getdents64 through the raw call and through libc's
 * fdopendir/readdir (which checks the access mode with fcntl); readlinkat. */
static long
list_dir(void)
{
	char buf[4096];
	char target[16];

	int fd = (int)syscall(SYS_openat, AT_FDCWD, confine_env.dir,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CONFINE_CHECK(fd >= 0);
	CONFINE_CHECK(syscall(SYS_getdents64, fd, buf, sizeof(buf)) > 0);
	CONFINE_CHECK(lseek(fd, 0, SEEK_SET) == 0);
	DIR *d = fdopendir(fd);
	CONFINE_CHECK(d != NULL);
	int n = 0;
	for (struct dirent *de; (de = readdir(d)) != NULL;)
		n += de->d_name[0] != '.';
	CONFINE_CHECK(n == 2);
	CONFINE_CHECK(closedir(d) == 0);
	ssize_t len = readlinkat(AT_FDCWD, confine_env.link, target,
	    sizeof(target));
	CONFINE_CHECK(len == 4 && memcmp(target, "file", 4) == 0);
	return 0;
}

/* The watcher's own reader and validator on a kubelet-style mount. */
static long
read_configmap(void)
{
	struct kp_entry_set set = { 0 };
	struct kp_verdict v;
	char err[256];

	CONFINE_CHECK(kp_configmap_read_path(confine_env.configmap, &set, err,
	    sizeof(err)) == 0);
	CONFINE_CHECK(set.count == 1);
	CONFINE_CHECK(strcmp(set.entries[0].key, "custom.a") == 0);
	CONFINE_CHECK(set.entries[0].len == strlen(CONFINE_PROFILE_A));
	kp_validate(set.entries[0].key, set.entries[0].data, set.entries[0].len,
	    NULL, &v);
	CONFINE_CHECK(v.accepted);
	kp_entry_set_free(&set);
	return 0;
}

/* A large snapshot sorted by key: glibc's qsort sorts more than 1 KiB
 * through a buffer whose size it weighs against the physical memory
 * (sysinfo) - the first time only, so this child must be the first. */
static long
sort_many_keys(void)
{
	struct kp_entry_set set = { 0 };
	char key[32];

	for (int i = CONFINE_MANY_KEYS - 1; i >= 0; i--) {
		snprintf(key, sizeof(key), "custom.k%04d", i);
		CONFINE_CHECK(kp_entry_set_add(&set, key, strlen(key)) != NULL);
	}
	kp_entry_set_sort(&set);
	CONFINE_CHECK(set.count == CONFINE_MANY_KEYS);
	CONFINE_CHECK(strcmp(set.entries[0].key, "custom.k0000") == 0);
	kp_entry_set_free(&set);
	return 0;
}

/* The log: stderr, through the raw calls and kp_log (both formats). */
static long
log_to_stderr(void)
{
	struct iovec iov[2] = {
		{ .iov_base = "log ", .iov_len = 4 },
		{ .iov_base = "line\n", .iov_len = 5 },
	};

	CONFINE_CHECK(syscall(SYS_write, STDERR_FILENO, "log\n", 4UL) == 4);
	CONFINE_CHECK(syscall(SYS_writev, STDERR_FILENO, iov, 2) == 9);
	kp_log_init("watcher", KP_LOG_DEBUG, KP_LOG_JSON);
	kp_log(KP_LOG_INFO, "test", "custom.a", "json line %d", 1);
	kp_log_init("watcher", KP_LOG_DEBUG, KP_LOG_TEXT);
	kp_log(KP_LOG_WARN, "test", NULL, "text line %d", 2);
	return 0;
}

/* The event loop: poll and ppoll on the socket and inotify, the clocks. */
static long
event_loop(void)
{
	struct pollfd p[2] = {
		{ .fd = CONFINE_SOCK_FD, .events = POLLIN },
		{ .fd = CONFINE_INOTIFY_FD, .events = POLLIN },
	};
	struct timespec zero = { 0, 0 }, ms = { 0, 1000000 }, now;

	CONFINE_CHECK(poll(p, 2, 0) == 1 && (p[0].revents & POLLIN));
	CONFINE_CHECK(ppoll(p, 2, &zero, NULL) == 1);
	CONFINE_CHECK(clock_gettime(CLOCK_MONOTONIC, &now) == 0);
	CONFINE_CHECK(clock_gettime(CLOCK_REALTIME, &now) == 0);
	CONFINE_CHECK(clock_nanosleep(CLOCK_MONOTONIC, 0, &ms, NULL) == 0);
	CONFINE_CHECK(nanosleep(&ms, NULL) == 0);
	return 0;
}

/* inotify on the pre-opened instance: the ConfigMap directory is watched
 * again after kubelet replaced it. */
static long
rearm_inotify(void)
{
	int wd = inotify_add_watch(CONFINE_INOTIFY_FD, confine_env.dir,
	    IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF);
	CONFINE_CHECK(wd >= 0);
	CONFINE_CHECK(inotify_rm_watch(CONFINE_INOTIFY_FD, wd) == 0);
	return 0;
}

/* One frame each way on fd 3. */
static long
talk_on_socket(void)
{
	char buf[16];
	struct iovec in = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct iovec out = { .iov_base = "pong", .iov_len = 5 };
	struct msghdr rm = { .msg_iov = &in, .msg_iovlen = 1 };
	struct msghdr sm = { .msg_iov = &out, .msg_iovlen = 1 };

	CONFINE_CHECK(recvmsg(CONFINE_SOCK_FD, &rm, MSG_CMSG_CLOEXEC) == 5);
	CONFINE_CHECK(memcmp(buf, "ping", 5) == 0);
	CONFINE_CHECK(sendmsg(CONFINE_SOCK_FD, &sm, MSG_NOSIGNAL) == 5);
	return 0;
}

/* Memory: malloc small and large, anonymous mappings that are never
 * executable, the signal mask. */
static long
memory(void)
{
	sigset_t set, old;

	char *small = malloc(100);
	CONFINE_CHECK(small != NULL);
	char *big = malloc(8 << 20);
	CONFINE_CHECK(big != NULL);
	memset(big, 1, 8 << 20);
	big = realloc(big, 16 << 20);
	CONFINE_CHECK(big != NULL);
	free(big);
	free(small);
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CONFINE_CHECK(p != MAP_FAILED);
	CONFINE_CHECK(madvise(p, 8192, MADV_DONTNEED) == 0);
	p = mremap(p, 8192, 16384, MREMAP_MAYMOVE);
	CONFINE_CHECK(p != MAP_FAILED);
	CONFINE_CHECK(mprotect(p, 16384, PROT_READ) == 0);
	CONFINE_CHECK(munmap(p, 16384) == 0);
	CONFINE_CHECK(syscall(SYS_brk, 0UL) > 0);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	CONFINE_CHECK(sigprocmask(SIG_BLOCK, &set, &old) == 0);
	CONFINE_CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
	return 0;
}

Test(watcher_filter, control_read_file)
{
	expect_allowed(POLICY, read_file, "a read-only open and its reads");
}

Test(watcher_filter, control_list_dir)
{
	expect_allowed(POLICY, list_dir, "listing a directory");
}

Test(watcher_filter, control_read_configmap)
{
	expect_allowed(POLICY, read_configmap,
	    "reading and validating a mounted ConfigMap");
}

Test(watcher_filter, control_sort_many_keys)
{
	expect_allowed(POLICY, sort_many_keys, "sorting a snapshot of many keys");
}

Test(watcher_filter, control_log)
{
	expect_allowed(POLICY, log_to_stderr, "logging to fd 2");
}

Test(watcher_filter, control_event_loop)
{
	expect_allowed(POLICY, event_loop, "poll, ppoll and the clocks");
}

Test(watcher_filter, control_inotify)
{
	expect_allowed(POLICY, rearm_inotify, "inotify_add_watch/rm_watch");
}

Test(watcher_filter, control_socket)
{
	expect_allowed(POLICY, talk_on_socket, "recvmsg/sendmsg on fd 3");
}

Test(watcher_filter, control_memory)
{
	expect_allowed(POLICY, memory, "memory and the signal mask");
}
