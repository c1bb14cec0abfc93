/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Forbidden calls shared by the three filters' tests: each makes exactly
 * one system call through syscall(2), so that no libc wrapper can turn it
 * into another call, with arguments that would do no harm if the filter
 * let it through (signal 0, invalid descriptors, a missing mount point).
 */
#ifndef KP_TEST_SECCOMP_FORBIDDEN_H
#define KP_TEST_SECCOMP_FORBIDDEN_H

#include "confine.h"

/* A system call number no architecture we support has (yet). */
#define UNKNOWN_SYSCALL 1000

long call_execve(void);          /* execve of a missing program */
long call_execveat(void);
long call_socket_inet(void);     /* socket(AF_INET, SOCK_STREAM) */
long call_socket_inet6(void);
long call_socket_unix(void);     /* no new sockets of any family */
long call_socket_netlink(void);
long call_socketpair(void);
long call_ptrace(void);          /* PTRACE_PEEKDATA of the test process */
long call_process_vm_readv(void);
long call_mount(void);           /* tmpfs on a missing directory */
long call_umount2(void);
long call_kill_other(void);      /* kill(test process, 0) */
long call_tkill_other(void);
long call_tgkill_other(void);
long call_keyctl(void);
long call_add_key(void);
long call_bpf(void);
long call_io_uring_setup(void);
long call_userfaultfd(void);
long call_personality(void);     /* query only (0xffffffff) */
long call_unknown(void);         /* syscall(UNKNOWN_SYSCALL) */
long call_x32_getpid(void);      /* getpid through the x32 ABI bit */
long call_ia32_getpid(void);     /* getpid through int $0x80 */
long call_fork(void);            /* clone(SIGCHLD): a fork */
long call_clone3(void);
long call_fork_legacy(void);     /* fork(2) itself, where it exists */
long call_unshare(void);
long call_setresuid(void);
long call_capset(void);
long call_prctl_dumpable(void);  /* PR_SET_DUMPABLE 1 */
long call_mmap_exec(void);       /* PROT_READ | PROT_EXEC, anonymous */
long call_mprotect_exec(void);
long call_fcntl_dupfd(void);     /* F_DUPFD on fd 2 */
long call_fcntl_dupfd_cloexec(void);
long call_sendto_addr(void);     /* sendto on fd 3 with an address */

/* True when this kernel runs 32-bit x86 system calls at all (int $0x80):
 * without it the call under test dies of SIGSEGV whatever the filter. */
bool ia32_supported(void);

#endif /* KP_TEST_SECCOMP_FORBIDDEN_H */
