/* SPDX-License-Identifier: Apache-2.0 */
/* Scratch directories and small file helpers for the loader's unit tests. */
#ifndef KP_TEST_LOADER_TMPDIR_H
#define KP_TEST_LOADER_TMPDIR_H

#include <stddef.h>
#include <sys/types.h>

/* mkdtemp under /tmp; aborts the test on failure.  buf >= 64 bytes. */
void tmpdir_make(char *buf, size_t len);
/* rm -rf (no symlink is followed). */
void tmpdir_remove(const char *path);
/* Write a file (creating parents is the caller's job). */
void write_file(const char *dir, const char *name, const void *data, size_t len);
void write_str(const char *dir, const char *name, const char *s);
/* mkdir -p dir/name. */
void make_dirs(const char *dir, const char *name);
/* Read a whole file into a malloc'd NUL-terminated buffer. */
char *read_file(const char *dir, const char *name, size_t *len);
/* "dir/name" in a static rotating buffer (valid for a few calls). */
const char *join(const char *dir, const char *name);

#endif
