/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Glob complexity limits (rule 2), chosen from measurements of
 * apparmor_parser 3.0.8 on this machine: with every limit at its maximum at
 * once the worst profile we could build compiles in 0.8 s of CPU (up to
 * 1.4 s on the loaded shared machine) and 28 MiB.  docs/validator-limits.md has the measurements, the exact counting
 * rules (which every limit below relies on) and the worst accepted profile;
 * scripts/measure-glob.py re-measures them and holds a reference counter
 * (--cost PATTERN).
 *
 * A "pattern" is every glob the parser compiles into the profile's DFA: the
 * path of a file or exec rule and the value of peer=, addr=, path= and the
 * like, in allow and deny rules alike.  Counts are taken on the pattern
 * after each @{VAR} has been replaced by its tunables value (several values
 * as {v1,v2}).  A run of consecutive '*' counts once; "**" is a run of two
 * or more.
 */
#ifndef KP_GLOB_LIMITS_H
#define KP_GLOB_LIMITS_H

/* Single '*' and '?' in one pattern. */
#define KP_GLOB_MAX_WILDCARDS        16

/* '**' (runs of two or more '*') in one pattern. */
#define KP_GLOB_MAX_DOUBLESTAR       4

/* Nesting of {a,{b,c}} in one pattern. */
#define KP_GLOB_MAX_ALT_DEPTH        4

/* Alternatives in one {...}. */
#define KP_GLOB_MAX_ALT_WIDTH        64

/* [...] after the first '*' of one pattern (@{uid} alone holds 55). */
#define KP_GLOB_MAX_CHARCLASS        64

/* The three counts above ('*', '?', '**', counted [...]) summed over the
 * profile. */
#define KP_GLOB_MAX_PROFILE_WILDCARDS 1024

/* Every [...] in the profile, wherever it stands: @{pid} alone holds 28,
 * and 2570 rules on @{pid} need 79 MiB. */
#define KP_GLOB_MAX_PROFILE_CLASSES  2048

/* Ambiguity points summed over the profile: '?', classes and groups that
 * follow an unbounded wildcard, and unbounded wildcards that follow one
 * after something else.  Each point roughly doubles the DFA of the whole
 * profile, abstractions included.  Counting rule: docs/validator-limits.md. */
#define KP_GLOB_MAX_AMBIGUITY        2

/* Bytes after the first '**'-run of each pattern, summed over the profile:
 * floating text is matched at every depth, in product with the rest. */
#define KP_GLOB_MAX_FLOATING_CHARS   128

/* #include <abstractions/...> lines in one profile: each adds its own
 * rules to the DFA (the heaviest allowed one alone costs 0.2 s). */
#define KP_GLOB_MAX_ABSTRACTION_INCLUDES 4

/* Every [...] in one pattern, wherever it stands.  Alternations of classes
 * concatenated without a '/' between them make the DFA grow fast even with
 * no '*' at all: /@{pid}@{pid}... (28 classes each) compiles in 0.6 s at 14
 * copies, 20 s at 50 and over 60 s at 100, within every other limit.
 * @{PROC}/@{pid}/task/@{tid}/ holds 56.  Added by the validator; measure
 * and retune with the others. */
#define KP_GLOB_MAX_PATTERN_CLASSES  64

/* Bytes of one pattern once its variables are expanded: the validator
 * counts on an expanded copy kept on the stack. */
#define KP_GLOB_MAX_EXPANDED_BYTES   8192

#endif /* KP_GLOB_LIMITS_H */
