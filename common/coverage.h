/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Coverage builds only (make coverage): a forked child that ends in execve
 * or _exit never runs gcov's exit handler, so the lines it ran would be
 * reported as never run.  kp_coverage_flush() writes them first; in every
 * other build it is nothing.
 */
#ifndef KP_COVERAGE_H
#define KP_COVERAGE_H

#ifdef KP_COVERAGE
void __gcov_dump(void);
#define kp_coverage_flush() __gcov_dump()
#else
#define kp_coverage_flush() ((void)0)
#endif

#endif /* KP_COVERAGE_H */
