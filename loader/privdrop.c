/* SPDX-License-Identifier: Apache-2.0 */
#include "loader/privdrop.h"

#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/proc_status.h"

#define WATCHER_FD 3
/* Always the kernel's own view of this process, never --proc (which tests
 * point at a fake tree for the in-use scan). */
#define PROC_SELF "/proc"

__attribute__((noreturn, format(printf, 1, 2)))
static void
child_die(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Plain write(2): this runs between fork and exec. */
	dprintf(STDERR_FILENO, "loader: watcher start-up failed: %s\n", msg);
	_exit(127);
}

static void
close_all_but_watcher_fds(int sock)
{
	if (sock != WATCHER_FD) {
		if (dup2(sock, WATCHER_FD) != WATCHER_FD)
			child_die("dup2: %s", strerror(errno));
		/* The copy at fd 3 is the one the watcher gets: no CLOEXEC. */
	} else {
		int fl = fcntl(sock, F_GETFD);
		if (fl < 0 || fcntl(sock, F_SETFD, fl & ~FD_CLOEXEC) != 0)
			child_die("fcntl: %s", strerror(errno));
	}
	if (syscall(SYS_close_range, WATCHER_FD + 1, ~0U, 0) != 0)
		child_die("close_range: %s", strerror(errno));
}

void
kp_privdrop_exec_watcher(int sock, uid_t uid, gid_t gid, pid_t parent,
    const char *path, char *const argv[])
{
	struct kp_proc_status st;
	char *const empty_env[] = { NULL };
	struct sigaction dfl;
	sigset_t none;

	/* 0. The loader's blocked signals and ignored SIGPIPE survive exec. */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &dfl, NULL);
	}
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) != 0)
		child_die("sigprocmask: %s", strerror(errno));

	/* 1. Only stdin, stdout, stderr and the socket survive. */
	close_all_but_watcher_fds(sock);

	/* 2. Empty the bounding set while we are still uid 0 with
	 * CAP_SETPCAP: after setresuid the kernel refuses with EPERM. */
	capng_clear(CAPNG_SELECT_BOUNDS);
	if (capng_apply(CAPNG_SELECT_BOUNDS) != 0)
		child_die("emptying the capability bounding set failed "
		    "(the loader needs CAP_SETPCAP at start)");

	/* 3. Identity: no supplementary groups, then gid, then uid. */
	if (setgroups(0, NULL) != 0)
		child_die("setgroups: %s", strerror(errno));
	if (setresgid(gid, gid, gid) != 0)
		child_die("setresgid(%u): %s", (unsigned)gid, strerror(errno));
	if (setresuid(uid, uid, uid) != 0)
		child_die("setresuid(%u): %s", (unsigned)uid, strerror(errno));

	/* 4. The uid change cleared permitted and effective; make sure of
	 * inheritable and ambient too. */
	capng_clear(CAPNG_SELECT_CAPS);
	if (capng_apply(CAPNG_SELECT_CAPS) != 0)
		child_die("clearing capabilities failed");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
		child_die("clearing ambient capabilities: %s", strerror(errno));

	/* 5. setresuid reset the parent-death signal: set it now, then check
	 * the parent did not die before it took effect. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
		child_die("PR_SET_PDEATHSIG: %s", strerror(errno));
	if (getppid() != parent)
		child_die("the loader exited during start-up");

	/* 6. Nothing the watcher execs may gain privileges. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		child_die("PR_SET_NO_NEW_PRIVS: %s", strerror(errno));

	/* 7. Believe the kernel, not the return codes. */
	if (kp_proc_status_read(PROC_SELF, 0, &st) != 0)
		child_die("cannot read " PROC_SELF "/self/status");
	for (int i = 0; i < 4; i++) {
		if (st.uid[i] != uid || st.gid[i] != gid)
			child_die("uid/gid not fully changed (uid %u gid %u)",
			    (unsigned)st.uid[i], (unsigned)st.gid[i]);
	}
	if (st.ngroups != 0)
		child_die("supplementary groups remain");
	if (st.cap_inh | st.cap_prm | st.cap_eff | st.cap_bnd | st.cap_amb)
		child_die("capabilities remain (bnd %016llx eff %016llx)",
		    (unsigned long long)st.cap_bnd,
		    (unsigned long long)st.cap_eff);
	if (st.no_new_privs != 1)
		child_die("no_new_privs is not set");

	execve(path, argv, empty_env);
	child_die("exec %s: %s", path, strerror(errno));
}

int
kp_privdrop_loader(char *err, size_t errlen)
{
	struct kp_proc_status st;

	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED |
	    CAPNG_BOUNDING_SET, CAP_MAC_ADMIN) != 0) {
		snprintf(err, errlen, "capng_update failed");
		return -1;
	}
	/* Bounding set first (needs CAP_SETPCAP, which the capset then
	 * drops), then effective/permitted/inheritable. */
	if (capng_apply(CAPNG_SELECT_BOUNDS) != 0) {
		snprintf(err, errlen, "cannot narrow the bounding set: the loader "
		    "needs CAP_SETPCAP at start");
		return -1;
	}
	if (capng_apply(CAPNG_SELECT_CAPS) != 0) {
		snprintf(err, errlen, "cannot set capabilities: the loader needs "
		    "CAP_MAC_ADMIN at start");
		return -1;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
		snprintf(err, errlen, "clearing ambient capabilities: %s",
		    strerror(errno));
		return -1;
	}
	if (kp_proc_status_read(PROC_SELF, 0, &st) != 0) {
		snprintf(err, errlen, "cannot read " PROC_SELF "/self/status");
		return -1;
	}
	if (st.cap_eff != KP_CAPMASK_MAC_ADMIN ||
	    st.cap_prm != KP_CAPMASK_MAC_ADMIN ||
	    st.cap_bnd != KP_CAPMASK_MAC_ADMIN ||
	    st.cap_inh != 0 || st.cap_amb != 0) {
		snprintf(err, errlen, "capabilities are not exactly cap_mac_admin "
		    "(eff %016llx prm %016llx bnd %016llx inh %016llx amb %016llx)",
		    (unsigned long long)st.cap_eff,
		    (unsigned long long)st.cap_prm,
		    (unsigned long long)st.cap_bnd,
		    (unsigned long long)st.cap_inh,
		    (unsigned long long)st.cap_amb);
		return -1;
	}
	return 0;
}
