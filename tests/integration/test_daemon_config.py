#!/usr/bin/env python3
"""Configuration and start-up of the daemon: every invalid value is a
one-line error and exit 2; refused profiles directories; environment
variables, flags winning over them, case-insensitive LOG_LEVEL; --once exit
codes; a node without AppArmor keeps running.
Last line: "N passed, N failed"."""

import os
import sys
import time
import unittest

sys.dont_write_bytecode = True
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import daemonlib  # noqa: E402
from daemonlib import (FEATURES, LOADER, PARSERS, WATCHER, profile,  # noqa: E402
                       rejected_profile)
from lib import procs, runner  # noqa: E402

A = profile("custom.a")
B = profile("custom.b", rules=("/etc/hostname r,",))
POLL_MSG = "expected a whole number of seconds from 1 to 86400"
UID_MSG = "expected a dedicated uid (1 to 2147483647, not 65534)"

# (extra argv, environment, the exact message after "kapparmor-loader: ")
BAD_VALUES = [
    (["--poll-time", "0"], {}, f"invalid --poll-time '0': {POLL_MSG}"),
    (["--poll-time", "86401"], {}, f"invalid --poll-time '86401': {POLL_MSG}"),
    (["--poll-time", "abc"], {}, f"invalid --poll-time 'abc': {POLL_MSG}"),
    (["--poll-time", "-1"], {}, f"invalid --poll-time '-1': {POLL_MSG}"),
    (["--poll-time", "1.5"], {}, f"invalid --poll-time '1.5': {POLL_MSG}"),
    (["--poll-time="], {}, f"invalid --poll-time '': {POLL_MSG}"),
    ([], {"POLL_TIME": "0"}, f"invalid POLL_TIME '0': {POLL_MSG}"),
    ([], {"POLL_TIME": "86401"}, f"invalid POLL_TIME '86401': {POLL_MSG}"),
    ([], {"POLL_TIME": "abc"}, f"invalid POLL_TIME 'abc': {POLL_MSG}"),
    (["--log-level", "verbose"], {},
     "invalid --log-level 'verbose': expected one of debug, info, warn, error"),
    ([], {"LOG_LEVEL": "loud"}, "invalid LOG_LEVEL 'loud': expected one of debug, info, warn, error"),
    (["--log-format", "xml"], {}, "invalid --log-format 'xml': expected text or json"),
    (["--policy", "strict"], {}, "invalid --policy 'strict': expected baseline or permissive"),
    (["--watcher-uid", "0"], {}, f"invalid --watcher-uid '0': {UID_MSG}"),
    (["--watcher-uid", "65534"], {}, f"invalid --watcher-uid '65534': {UID_MSG}"),
    ([], {"WATCHER_UID": "0"}, f"invalid WATCHER_UID '0': {UID_MSG}"),
    (["--watcher-gid", "65534"], {},
     "invalid --watcher-gid '65534': expected a dedicated gid (1 to 2147483647, not 65534)"),
    (["--parser-timeout", "0"], {},
     "invalid --parser-timeout '0': expected a whole number of seconds from 1 to 600"),
    (["--parser-timeout", "601"], {},
     "invalid --parser-timeout '601': expected a whole number of seconds from 1 to 600"),
    (["--in-use-protection=maybe"], {}, "invalid --in-use-protection 'maybe': expected true or false"),
    (["--profiles-dir", "relative/dir"], {},
     "invalid --profiles-dir 'relative/dir': expected an absolute path"),
    ([], {"CONFIGMAP_PATH": "app/profiles"},
     "invalid CONFIGMAP_PATH 'app/profiles': expected an absolute path"),
    (["--bogus"], {}, "unknown option or missing value: '--bogus'"),
    (["stray"], {}, "unexpected argument 'stray'"),
]


class ConfigTest(daemonlib.DaemonTestCase):

    def run_loader(self, argv, env=None, timeout=30):
        return procs.run(argv, timeout=timeout, env=daemonlib.daemon_env(env))

    def test_invalid_values_exit_2_with_one_line(self):
        self.make_env()
        base = self.loader_argv(once=True, proc=False)
        for extra, env, msg in BAD_VALUES:
            r = self.run_loader(base + extra, env)
            self.assertEqual((r.returncode, r.stdout, r.stderr),
                             (daemonlib.EXIT_USAGE, "", f"kapparmor-loader: {msg}\n"), (extra, env))
        self.assertEqual(self.fk.ops(), [])
        self.assertEqual(os.listdir(self.pd), [])

    def refused(self, extra, msg, env=None):
        """Refused at start: exit 2, one error line `startup_refused` whose
        message is msg, nothing loaded or written."""
        r = self.run_loader(self.loader_argv(*extra, once=True, proc=False), env)
        self.assertEqual(r.returncode, daemonlib.EXIT_USAGE, r.stderr)
        lines = daemonlib.parse_log(r.stderr)
        self.assertEqual([(e.get("level"), e.get("event"), e.get("msg")) for e in lines],
                         [("error", "startup_refused", msg)])
        self.assertEqual(self.fk.ops(("replace", "remove", "parser")), [])

    def test_profiles_dir_is_the_configmap_dir(self):
        self.make_env()
        self.cm.write({"custom.a": A})
        self.pd = self.cmdir
        self.refused([], f"the profiles directory {self.cmdir} is the ConfigMap directory {self.cmdir}")
        self.assertEqual(sorted(os.listdir(self.cmdir))[-1], "custom.a")

    def test_profiles_dir_is_the_configmap_dir_by_another_path(self):
        self.make_env()
        self.pd = self.cmdir + "/."
        r = self.run_loader(self.loader_argv(once=True, proc=False))
        self.assertEqual(r.returncode, daemonlib.EXIT_USAGE)
        lines = daemonlib.parse_log(r.stderr)
        self.assertEqual([e.get("event") for e in lines], ["startup_refused"])
        self.assertIn("is the ConfigMap directory", lines[0]["msg"])

    def test_group_or_world_writable_profiles_dir(self):
        self.make_env()
        for mode in (0o775, 0o757, 0o777, 0o1777):
            os.chmod(self.pd, mode)
            self.refused([], f"profiles directory {self.pd}: writable by group or others "
                             f"(mode {mode:04o})")
        os.chmod(self.pd, 0o755)

    def test_profiles_dir_not_owned_by_root(self):
        self.make_env()
        os.chown(self.pd, 1000, 0)
        self.refused([], f"profiles directory {self.pd}: owned by uid 1000, not root")

    def test_profiles_dir_symlink(self):
        self.make_env()
        link = self.path("profiles-link")
        os.symlink(self.pd, link)
        self.pd = link
        self.refused([], f"profiles directory {link}: is a symlink")

    def test_missing_profiles_dir_is_created_root_owned_0755(self):
        self.make_env()
        os.rmdir(self.pd)
        self.cm.write({"custom.a": A})
        rc, d = self.run_once()
        self.assertEqual(rc, 0, d.stderr())
        st = os.lstat(self.pd)
        self.assertEqual((st.st_uid, daemonlib.file_mode(self.pd)), (0, 0o755))
        self.assertEqual(self.profile_files(), {"custom.a": A.encode()})

    def test_missing_watcher_program(self):
        self.make_env()
        r = self.run_loader(self.loader_argv(once=True, proc=False, watcher="/nonexistent/watcher"))
        self.assertEqual(r.returncode, daemonlib.EXIT_USAGE)
        lines = [e for e in daemonlib.parse_log(r.stderr) if e.get("level") == "error"]
        self.assertEqual([(e["event"], e["msg"]) for e in lines],
                         [("startup_failed", "watcher: cannot execute /nonexistent/watcher: "
                                             "No such file or directory")])

    def test_help_and_version(self):
        r = self.run_loader([LOADER, "--help"])
        self.assertEqual(r.returncode, 0)
        self.assertTrue(r.stdout.startswith(f"usage: {LOADER} [options]\n"), r.stdout)
        for flag, env in (("--configmap-dir", "CONFIGMAP_PATH"), ("--profiles-dir", "PROFILES_DIR"),
                          ("--poll-time", "POLL_TIME"), ("--log-level", "LOG_LEVEL")):
            self.assertRegex(r.stdout, rf"\n  {flag}=VALUE  \[{env}\]\n")
        r = self.run_loader([LOADER, "--version"])
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^kapparmor \S+\n$")

    # ---- environment ---------------------------------------------------------

    def test_environment_variables(self):
        """Everything from the environment, as the original daemon was
        configured (only the watcher's path, the fake /proc and the
        endpoint are flags)."""
        self.make_env()
        self.cm.write({"custom.a": A})
        env = {"CONFIGMAP_PATH": self.cmdir, "PROFILES_DIR": self.pd, "POLL_TIME": "1",
               "LOG_LEVEL": "debug", "LOG_FORMAT": "json", "APPARMOR_PARSER": PARSERS["wrap"],
               "APPARMORFS": self.fk.path, "APPARMOR_FEATURES": FEATURES, "POLICY": "baseline",
               "IN_USE_PROTECTION": "true", "WATCHER_UID": "4321", "PARSER_TIMEOUT": "30"}
        argv = [LOADER, "--watcher", WATCHER, "--listen", "off", "--proc", self.fp.root]
        d = self.start_loader(argv=argv, env=env)
        d.wait_event("profile_loaded", "custom.a")
        self.assertEqual(self.profile_files(), {"custom.a": A.encode()})
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce"})
        self.assertEqual(len(self.loads()), 1)                       # APPARMOR_PARSER
        self.assertEqual(procs.read_status(d.watcher_pid())["Uid"], [4321] * 4)
        self.assertIn("poll 1 s", d.events("started")[0]["msg"])
        opens = daemonlib.FileOpens(os.path.join(self.cmdir, self.cm.data_dir()), "custom.a")
        self.addCleanup(opens.close)
        t0 = time.monotonic()
        opens.wait(2, timeout=10)                                   # POLL_TIME=1
        self.assertLess(time.monotonic() - t0, 4)
        self.assertEqual(d.raw_lines(), [])                          # LOG_FORMAT=json
        self.assertIn("debug", {e["level"] for e in d.events()})     # LOG_LEVEL=debug

    def test_flags_win_over_the_environment(self):
        self.make_env()
        self.cm.write({"custom.a": A})
        other_pd = self.path("other-profiles")
        os.mkdir(other_pd, 0o755)
        env = {"PROFILES_DIR": other_pd, "LOG_FORMAT": "text", "POLL_TIME": "3600",
               "WATCHER_UID": "4321", "LOG_LEVEL": "error", "APPARMOR_PARSER": "/nonexistent"}
        d = self.start_loader("--watcher-uid", "4242", "--log-level", "info", env=env, poll=1)
        d.wait_event("profile_loaded", "custom.a")
        self.assertEqual(self.profile_files(), {"custom.a": A.encode()})
        self.assertEqual(os.listdir(other_pd), [])
        self.assertEqual(d.raw_lines(), [])                          # --log-format json
        self.assertIn("poll 1 s", d.events("started")[0]["msg"])
        self.assertEqual(procs.read_status(d.watcher_pid())["Uid"], [4242] * 4)
        self.assertEqual(len(self.loads()), 1)                       # --parser

    def test_log_level_is_case_insensitive(self):
        """The original daemon's LOG_LEVEL=INFO."""
        self.make_env()
        self.cm.write({"custom.a": A})
        for value in ("INFO", "Info", "info"):
            rc, d = self.run_once(name=f"loader-{value}", env={"LOG_LEVEL": value})
            self.assertEqual(rc, 0, d.stderr())
            levels = {e["level"] for e in d.events()}
            self.assertIn("info", levels, value)
            self.assertNotIn("debug", levels, value)
        rc, d = self.run_once(name="loader-DEBUG", env={"LOG_LEVEL": "DEBUG"})
        self.assertEqual(rc, 0)
        self.assertIn("debug", {e["level"] for e in d.events()})

    def test_log_level_error_hides_info(self):
        self.make_env()
        self.cm.write({"custom.a": A})
        r = self.run_loader(self.loader_argv(once=True, proc=False), {"LOG_LEVEL": "error"})
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stderr, "")
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce"})

    def test_text_log_format(self):
        self.make_env()
        self.cm.write({"custom.a": A})
        r = self.run_loader(self.loader_argv(once=True, proc=False, log_format="text"))
        self.assertEqual(r.returncode, 0)
        lines = r.stderr.splitlines()
        loaded = [ln for ln in lines if "[profile_loaded]" in ln]
        self.assertEqual(len(loaded), 1)
        self.assertRegex(loaded[0], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info  "
                                    r"loader\[profile_loaded\]: custom\.a: Profile custom\.a loaded "
                                    r"\(sha256 [0-9a-f]{64}, \d+ ms\)$")
        for ln in lines:
            self.assertRegex(ln, daemonlib.TEXT_RE)

    # ---- --once ----------------------------------------------------------------

    def test_once_all_loaded_exits_0(self):
        self.make_env()
        self.cm.write({"custom.a": A, "custom.b": B})
        rc, d = self.run_once()
        self.assertEqual(rc, daemonlib.EXIT_OK, d.stderr())
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce", "custom.b": "enforce"})
        self.assertEqual(self.profile_files(), {"custom.a": A.encode(), "custom.b": B.encode()})
        # Run again: nothing to do, still 0, no parser.
        mark = self.fk.mark()
        rc, d = self.run_once(name="loader-once-2")
        self.assertEqual(rc, 0)
        self.assertEqual(self.parser_runs(mark), [])

    def test_once_with_a_rejected_key_exits_1(self):
        self.make_env()
        self.cm.write({"custom.a": A, "custom.b": rejected_profile("custom.b")})
        rc, d = self.run_once()
        self.assertEqual(rc, daemonlib.EXIT_ONCE_FAILURES)
        self.assertEqual([e["key"] for e in d.events("profile_rejected", process="watcher")],
                         ["custom.b"])
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce"})
        self.assertEqual(self.profile_files(), {"custom.a": A.encode()})

    def test_once_with_a_parser_failure_exits_1(self):
        self.make_env()
        self.cm.write({"custom.a": A})
        rc, d = self.run_once(parser=PARSERS["fail"])
        self.assertEqual(rc, daemonlib.EXIT_ONCE_FAILURES)
        self.assertEqual([e["key"] for e in d.events("profile_load_failed")], ["custom.a"])
        self.assertEqual(self.fk.profiles(), {})
        self.assertEqual(self.profile_files(), {})

    def test_once_with_an_unreadable_configmap_exits_1(self):
        self.make_env()
        os.symlink("..2000_01_01_00_00_00.missing", os.path.join(self.cmdir, "..data"))
        rc, d = self.run_once()
        self.assertEqual(rc, daemonlib.EXIT_ONCE_FAILURES)
        self.assertEqual(len(d.events("configmap_unreadable", process="watcher")), 1)

    def test_once_removes_a_key_that_left(self):
        """--once gives a removal its confirmation interval itself."""
        self.make_env()
        self.cm.write({"custom.a": A, "custom.b": B})
        rc, _ = self.run_once()
        self.assertEqual(rc, 0)
        mark = self.fk.mark()
        self.cm.write({"custom.a": A})
        t0 = time.monotonic()
        rc, d = self.run_once(name="loader-once-2")
        self.assertEqual(rc, 0, d.stderr())
        self.assertGreaterEqual(time.monotonic() - t0, daemonlib.REMOVAL_CONFIRM_S)
        self.assertEqual(self.removed(mark), ["custom.b"])
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce"})
        self.assertEqual(self.profile_files(), {"custom.a": A.encode()})

    def test_once_keeps_a_profile_in_use(self):
        self.make_env()
        self.cm.write({"custom.a": A, "custom.b": B})
        rc, _ = self.run_once()
        self.assertEqual(rc, 0)
        self.fp.add_task(100, label="custom.b (enforce)")
        mark = self.fk.mark()
        self.cm.write({"custom.a": A})
        rc, d = self.run_once(name="loader-once-2")
        self.assertEqual(rc, 0, d.stderr())
        self.assertEqual([e["key"] for e in d.events("profile_removal_deferred")], ["custom.b"])
        self.assertEqual(self.removed(mark), [])
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce", "custom.b": "enforce"})

    # ---- no AppArmor -------------------------------------------------------------

    def test_no_apparmor_keeps_running_and_logs_once(self):
        self.make_env()
        self.cm.write({"custom.a": A})
        missing = self.path("no-apparmorfs")
        d = self.start_loader(apparmorfs=missing, poll=1)
        opens = daemonlib.FileOpens(os.path.join(self.cmdir, self.cm.data_dir()), "custom.a")
        self.addCleanup(opens.close)
        opens.wait(3, timeout=10)
        self.cm.write({"custom.a": profile("custom.a", rules=("/opt/** r,",)), "custom.b": B})
        self.cm.write({})
        time.sleep(2.5)  # nothing can load here to wait for: two resyncs
        self.assertTrue(d.running())
        unavailable = d.events("apparmor_unavailable")
        self.assertEqual([(e["level"], e["msg"]) for e in unavailable],
                         [("warn", f"no AppArmor filesystem at {missing}: No such file or "
                                   "directory; nothing will be loaded")])
        self.assertEqual(os.listdir(self.pd), [])
        self.assertEqual(self.fk.ops(("replace", "remove", "parser")), [])
        self.assertEqual([e for e in d.events() if e["level"] == "error"], [])

    def test_no_apparmor_apply_outcome_is_logged(self):
        self.make_env()
        self.cm.write({"custom.a": A})
        d = self.start_loader(apparmorfs=self.path("no-apparmorfs"))
        procs.wait_until(lambda: d.events(key="custom.a"), 5, what="a log line about custom.a")

    def test_no_apparmor_once_exits_1(self):
        self.make_env()
        self.cm.write({"custom.a": A})
        rc, d = self.run_once(apparmorfs=self.path("no-apparmorfs"))
        self.assertEqual(rc, daemonlib.EXIT_ONCE_FAILURES)
        self.assertEqual(len(d.events("apparmor_unavailable")), 1)
        self.assertEqual(os.listdir(self.pd), [])

    def test_apparmorfs_without_interfaces_is_no_apparmor(self):
        """A directory that is there but has no profiles/.replace."""
        self.make_env()
        empty = self.path("empty-apparmorfs")
        os.mkdir(empty)
        self.cm.write({"custom.a": A})
        rc, d = self.run_once(apparmorfs=empty)
        self.assertEqual(rc, daemonlib.EXIT_ONCE_FAILURES)
        self.assertEqual(len(d.events("apparmor_unavailable")), 1)
        self.assertEqual(os.listdir(self.pd), [])

    # ---- the fake /proc ------------------------------------------------------------

    def test_fake_proc_without_self_starts(self):
        self.make_env()
        self.cm.write({"custom.a": A})
        r = self.run_loader(self.loader_argv(once=True, proc=True))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce"})


if __name__ == "__main__":
    runner.main()
