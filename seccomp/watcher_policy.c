/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The watcher's seccomp table.  Installed after it has opened everything it
 * needs (the loader's socket at fd 3, the inotify instance, a listening
 * socket) and set its rlimits and Landlock ruleset.  From then on it may
 * read the ConfigMap, wait for events, talk to the loader, write its log
 * and manage memory: no exec, no open for writing, no new sockets, no
 * signals to others, no ptrace, mount, keyctl, bpf, io_uring, userfaultfd
 * or personality changes.  Everything else kills the process.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "seccomp/sandbox.h"

/* The loader's socket and the log. */
#define WATCHER_SOCK_FD 3
#define WATCHER_LOG_FD  2

/* Open flags that would create, truncate or write anything.  glibc's
 * __O_TMPFILE includes O_DIRECTORY, which the reader needs: take only the
 * bit that makes an open a tmpfile. */
#define OPEN_TMPFILE_BIT 020000000
#define OPEN_FORBIDDEN_FLAGS (O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND | \
	OPEN_TMPFILE_BIT)
_Static_assert((O_TMPFILE & ~O_DIRECTORY) == OPEN_TMPFILE_BIT,
    "the tmpfile bit");

/* libmicrohttpd's flags (watcher/http.c): it accepts non-blocking and
 * close-on-exec, and every send is MSG_NOSIGNAL, sometimes with MSG_MORE
 * (it corks a header before its body).  Only the low 32 bits hold flags. */
#define HTTP_ACCEPT_FLAGS (SOCK_CLOEXEC | SOCK_NONBLOCK)
#define HTTP_SEND_FLAGS_MASK (0xffffffffULL & ~(unsigned long long)MSG_MORE)

static const struct kp_syscall_rule watcher_rules[] = {
	/* Reading the ConfigMap snapshot: read-only opens only. */
	ALLOW_ARG("openat", KP_ARG_MASKED_EQ(2, OPEN_FORBIDDEN_FLAGS, 0)),
	ALLOW("read"),
	/* Re-reading our own /proc/self/status, opened before Landlock. */
	ALLOW("pread64"),
	ALLOW("close"),
	ALLOW("fstat"),
	ALLOW("newfstatat"),
	ALLOW("statx"),
	ALLOW("getdents64"),
	ALLOW("readlinkat"),
	ALLOW("lseek"),
	/* fdopendir() checks the descriptor's access mode and marks it
	 * close-on-exec. */
	ALLOW_ARG("fcntl", KP_ARG_EQ(1, F_GETFL)),
	ALLOW_ARG("fcntl", KP_ARG_EQ(1, F_GETFD)),
	ALLOW_ARG("fcntl", KP_ARG_EQ(1, F_SETFD)),

	/* Watching the ConfigMap directory (re-armed after it is replaced). */
	ALLOW("inotify_add_watch"),
	ALLOW("inotify_rm_watch"),

	/* The event loop and its timers. */
	ALLOW("poll"),
	ALLOW("ppoll"),
	ALLOW("clock_gettime"),
	ALLOW("clock_nanosleep"),
	ALLOW("restart_syscall"),

	/* The loader's socket: one frame per datagram, on fd 3 only. */
	ALLOW_ARG("sendmsg", KP_ARG_EQ(0, WATCHER_SOCK_FD)),
	ALLOW_ARG("recvmsg", KP_ARG_EQ(0, WATCHER_SOCK_FD)),

	/* The HTTP endpoint (watcher/http.c).  Its listening socket is bound
	 * before this filter, so socket(), bind(), listen() and connect() stay
	 * forbidden: connections can only come in.  libmicrohttpd accepts,
	 * reads with recvfrom, writes a reply with sendto or (header and body
	 * together) sendmsg, sets TCP_NODELAY/TCP_CORK, and shuts a
	 * connection down before closing it.  The fd of an accepted socket is
	 * not known here, so these rules go by flags: a send without
	 * MSG_NOSIGNAL (e.g. sendmsg on another fd with flags 0) still dies. */
	ALLOW_ARG("accept4", KP_ARG_EQ(3, HTTP_ACCEPT_FLAGS)),
	ALLOW_ARG("recvfrom", KP_ARG_EQ(3, 0)),
	ALLOW_ARG("sendto", KP_ARG_MASKED_EQ(3, HTTP_SEND_FLAGS_MASK,
	    MSG_NOSIGNAL)),
	ALLOW_ARG("sendmsg", KP_ARG_MASKED_EQ(2, HTTP_SEND_FLAGS_MASK,
	    MSG_NOSIGNAL)),
	ALLOW_ARG("setsockopt", KP_ARG_EQ(1, IPPROTO_TCP)),
	ALLOW("shutdown"),

	/* The log: stderr only. */
	ALLOW_ARG("write", KP_ARG_EQ(0, WATCHER_LOG_FD)),
	ALLOW_ARG("writev", KP_ARG_EQ(0, WATCHER_LOG_FD)),

	/* Memory: never executable. */
	ALLOW("brk"),
	ALLOW_ARG("mmap", KP_ARG_MASKED_EQ(2, PROT_EXEC, 0)),
	ALLOW_ARG("mprotect", KP_ARG_MASKED_EQ(2, PROT_EXEC, 0)),
	ALLOW("munmap"),
	ALLOW("mremap"),
	ALLOW("madvise"),

	/* glibc's qsort() asks sysinfo() for the memory size before it
	 * allocates a merge buffer (snapshots of more than 1 KiB of keys). */
	ALLOW("sysinfo"),

	/* Signals to ourselves (SIGTERM handler) and leaving; the sanitizer
	 * runtimes set an alternate signal stack for this thread. */
	ALLOW("sigaltstack"),
	ALLOW("rt_sigreturn"),
	ALLOW("rt_sigprocmask"),
	ALLOW("exit_group"),
	ALLOW("exit"),
};

const struct kp_seccomp_policy kp_watcher_policy = {
	.process = "watcher",
	.rules = watcher_rules,
	.nrules = sizeof(watcher_rules) / sizeof(watcher_rules[0]),
};
