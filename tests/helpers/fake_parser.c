/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stand-ins for apparmor_parser in tests/common/test_compile_check.c.
 * kp_compile_check builds the argv itself and the environment is empty, so
 * the behaviour is chosen at build time (one executable per mode):
 *
 *   FAKE_PARSER_SLEEP   never finishes
 *   FAKE_PARSER_SEGV    dies of SIGSEGV
 *   FAKE_PARSER_ARGS    exit 1 with "error: ARGS file=MODE dir=MODE", ARGS
 *                       being argv[1..] and the modes those of the profile
 *                       file (last argument) and of its directory
 *   FAKE_PARSER_REPORT  exit 1 after a warning line and an error line in
 *                       apparmor_parser's format that names the file twice
 *                       and carries two control bytes
 *   FAKE_PARSER_INCLUDE exit 1 with a long error located in an included
 *                       file, naming our file once
 */
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	const char *file = argc > 1 ? argv[argc - 1] : "";

#if defined(FAKE_PARSER_SLEEP)
	(void)file;
	for (;;)
		pause();
#elif defined(FAKE_PARSER_SEGV)
	(void)file;
	raise(SIGSEGV);
	return 0;
#elif defined(FAKE_PARSER_ARGS)
	struct stat fst, dst;
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s", file);
	if (stat(file, &fst) < 0 || stat(dirname(dir), &dst) < 0)
		return 2;
	printf("error:");
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf(" file=%o dir=%o\n", (unsigned)(fst.st_mode & 07777),
	    (unsigned)(dst.st_mode & 07777));
	return 1;
#elif defined(FAKE_PARSER_REPORT)
	printf("Warning from %s (%s line 1): harmless\n", file, file);
	printf("AppArmor parser error for %s in profile %s at line 3: "
	    "bad\001\177 thing\n", file, file);
	return 1;
#elif defined(FAKE_PARSER_INCLUDE)
	printf("AppArmor parser error for %s in profile "
	    "/etc/apparmor.d/abstractions/kp at line 9: ", file);
	for (int i = 0; i < 150; i++)
		putchar('z');
	putchar('\n');
	return 1;
#else
#error "define one FAKE_PARSER_* mode"
#endif
}
