/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The spawner: the only process of Kapparmor that may exec, and only
 * apparmor_parser.  The loader forks it after narrowing itself to
 * CAP_MAC_ADMIN and before installing its own seccomp filter, so the
 * loader's table needs no execve, clone or signals.  The spawner installs
 * its own filter (seccomp/spawner_policy.c) and then serves one fixed
 * request at a time over a SOCK_SEQPACKET pair: "replace the profiles in
 * this file of the profiles directory".  Requests and replies are fixed-size
 * structs checked for their exact size, in the manner of OpenBSD's imsg.
 */
#ifndef KP_LOADER_SPAWNER_H
#define KP_LOADER_SPAWNER_H

#include <stdbool.h>
#include <sys/types.h>

#include "loader/parser_run.h"

struct kp_spawner {
	pid_t pid;
	int sock;       /* the loader's end */
	int cancel_fd;  /* readable when the loader must stop; -1 for none */
};

/* Fork the spawner.  cfg is copied; pdir_path is the profiles directory,
 * the only place the spawner will name a file from.  Returns 0 or -1 with
 * err. */
int kp_spawner_start(struct kp_spawner *s, const struct kp_parser_cfg *cfg,
    const char *pdir_path, bool confine, char *err, size_t errlen);

/* Ask the spawner to replace the profiles of name (a key, or one of our
 * temporary names) in the kernel.  A broken spawner is reported as
 * KP_PARSER_UNAVAILABLE.  When cancel_fd becomes readable first, the run
 * is abandoned (KP_PARSER_CANCELLED): the loader exits, the spawner dies
 * with it (parent-death signal) and its supervisor kills the parser. */
enum kp_parser_outcome kp_spawner_replace(struct kp_spawner *s,
    const char *name, const char *key, struct kp_diag *diag,
    double *elapsed);

/* The parser's version ("3.0.8"), asked of the spawner so that even this
 * run is confined.  Returns 0, or -1 when it cannot be had. */
int kp_spawner_version(struct kp_spawner *s, char *out, size_t outlen);

#endif /* KP_LOADER_SPAWNER_H */
