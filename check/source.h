/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kapparmor-check's sources: a ConfigMap directory, a YAML manifest file, or
 * "-" for a manifest on standard input.
 */
#ifndef KC_SOURCE_H
#define KC_SOURCE_H

#include <stddef.h>

#include "common/configmap.h"

#define KC_STDIN_SOURCE "-"

/* Read one source into *set.  The path itself is not followed when it is a
 * symbolic link, and anything but a directory or a regular file is refused
 * without being read (a FIFO never blocks us).  Returns 0, or -1 with err
 * saying why no key could be read. */
int kc_source_read(const char *source, struct kp_entry_set *set, char *err,
    size_t errlen);

/* Read at most cap bytes of fd into a new buffer; more than cap is an error
 * (err says so), not a silent truncation.  Waits with poll() when fd is
 * non-blocking.  Returns 0 with *buf (free it) and *len, or -1. */
int kc_read_capped(int fd, size_t cap, unsigned char **buf, size_t *len,
    char *err, size_t errlen);

#endif /* KC_SOURCE_H */
