/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The allowlists in common/allowlist_data.c are derived from the installed
 * apparmor package.  The first test re-derives them and fails with the
 * script's diff when the files and the committed table disagree; the others
 * pin the decisions the issue calls out.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/allowlist.h"

static bool
has_abstraction(const char *name)
{
	return kp_abstraction_find(name, strlen(name)) != NULL;
}

/* Run scripts/derive-allowlists.py with one mode argument; its exit
 * status. */
static int
run_script(const char *mode)
{
	const char *src = getenv("KP_SRCDIR");
	char script[4096], output[4096];
	int status;
	pid_t pid;

	cr_assert_not_null(src, "KP_SRCDIR is set by tests/common/meson.build");
	cr_assert(snprintf(script, sizeof(script),
	    "%s/scripts/derive-allowlists.py", src) < (int)sizeof(script));
	cr_assert(snprintf(output, sizeof(output),
	    "%s/common/allowlist_data.c", src) < (int)sizeof(output));
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		char *const argv[] = { "python3", script, (char *)mode,
			"--output", output, NULL };

		execvp("python3", argv);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

Test(allowlist, matches_installed_files)
{
	cr_assert_eq(run_script("--check"), 0,
	    "allowlist_data.c disagrees with /etc/apparmor.d (diff above); "
	    "regenerate with scripts/derive-allowlists.py");
}

Test(allowlist, derivation_rules_hold_on_mutated_files)
{
	/* a copy of /etc/apparmor.d with a transition, a hat in a .d
	 * directory, a change_profile... each must flip its verdict */
	cr_assert_eq(run_script("--self-test"), 0, "see the output above");
}

Test(allowlist, safe_abstractions_are_allowed)
{
	cr_assert(has_abstraction("base"));
	cr_assert(has_abstraction("nameservice"));
	cr_assert(has_abstraction("openssl"));
	cr_assert(has_abstraction("python"));
}

Test(allowlist, dangerous_abstractions_are_excluded)
{
	/* Px -> nvidia_modprobe */
	cr_assert_not(has_abstraction("opencl-nvidia"));
	/* includes opencl-nvidia */
	cr_assert_not(has_abstraction("opencl"));
	/* child profile with PUx rules */
	cr_assert_not(has_abstraction("ubuntu-helpers"));
	/* a whole profile block */
	cr_assert_not(has_abstraction("snap_browsers"));
	/* Cx -> sanitized_helper */
	cr_assert_not(has_abstraction("ubuntu-browsers"));
	/* directories are never includable by name */
	cr_assert_not(has_abstraction("apparmor_api"));
	cr_assert_not(has_abstraction("ubuntu-browsers.d"));
}

Test(allowlist, lookups_use_exact_length)
{
	cr_assert_not_null(kp_abstraction_find("baseX", 4));
	cr_assert_null(kp_abstraction_find("bas", 3));
	cr_assert_null(kp_abstraction_find("", 0));
	cr_assert(kp_abi_is_allowed("3.0", 3));
	cr_assert_not(kp_abi_is_allowed("4.0", 3));
	cr_assert_not(kp_abi_is_allowed("3.0/", 4));
}

Test(allowlist, tunables_define_their_variables)
{
	const struct kp_tunable *global = kp_tunable_find("global", 6);
	const struct kp_tunable *proc = kp_tunable_find("proc", 4);
	int home = kp_variable_find("HOME", 4);
	int homedirs = kp_variable_find("HOMEDIRS", 8);
	int pid = kp_variable_find("pid", 3);

	cr_assert_not_null(global);
	cr_assert_not_null(proc);
	cr_assert_null(kp_tunable_find("home.d", 6), "directories are not "
	    "includable");
	cr_assert_null(kp_tunable_find("nope", 4));
	cr_assert(home >= 0 && homedirs >= 0 && pid >= 0);
	cr_assert_eq(kp_variable_find("profile_name", 12), -1);
	cr_assert(global->defines & (UINT64_C(1) << home));
	cr_assert(global->defines & (UINT64_C(1) << pid));
	cr_assert_not(proc->defines & (UINT64_C(1) << home));
	cr_assert(kp_variables[home].requires & (UINT64_C(1) << homedirs),
	    "@{HOME} is built from @{HOMEDIRS}");
}

Test(allowlist, expansions_hold_no_variables)
{
	for (size_t i = 0; i < kp_variables_len; i++)
		cr_assert_null(strstr(kp_variables[i].expansion, "@{"), "%s",
		    kp_variables[i].name);
	cr_assert(kp_variables_len <= 64, "the defined set is a uint64_t");
}
