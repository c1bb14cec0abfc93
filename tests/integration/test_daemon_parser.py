#!/usr/bin/env python3
"""apparmor_parser going wrong under the running daemon, with stand-ins
(bin/daemon_parser.c): a parser that hangs (killed with what it started at
--parser-timeout), one that crashes, one that reports an error, a missing
parser.  Each is a typed failure for that key only; the previous file and
kernel profile stay; a failed content is not retried at every resync.
Last line: "N passed, N failed"."""

import hashlib
import os
import signal
import sys
import time
import unittest

sys.dont_write_bytecode = True
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import daemonlib  # noqa: E402
from daemonlib import PARSERS, profile  # noqa: E402
from lib import procs, runner  # noqa: E402

A = profile("custom.a")
A2 = profile("custom.a", rules=("/usr/** r,", "/srv/** r,"))
B = profile("custom.b", rules=("/etc/hostname r,",))


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


class ParserTest(daemonlib.DaemonTestCase):

    def loaded_then_restarted_with(self, parser, *extra, poll=3600):
        """custom.a and custom.b loaded with the real parser; then the
        daemon runs again with `parser`."""
        self.make_env()
        self.cm.write({"custom.a": A, "custom.b": B})
        d = self.start_loader(name="loader-1")
        d.wait_event("profile_loaded", "custom.b")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait(timeout=10), 0)
        return self.start_loader(*extra, name="loader-2", parser=parser, poll=poll)

    def assert_old_kept(self, mark):
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce", "custom.b": "enforce"})
        self.assertEqual(self.profile_files(), {"custom.a": A.encode(), "custom.b": B.encode()})
        self.assertEqual(sorted(os.listdir(self.pd)), [".kapparmor-state", "custom.a", "custom.b"])
        self.assertEqual(self.fk.ops(("replace", "remove"), mark), [])
        self.assertIn(f"loaded custom.a {sha(A)} ", self.state())

    def test_timeout_kills_the_parser_and_what_it_started(self):
        d = self.loaded_then_restarted_with(PARSERS["hang"], "--parser-timeout", "1")
        mark = self.fk.mark()
        t0 = time.monotonic()
        self.cm.write({"custom.a": A2, "custom.b": B})
        failed = d.wait_event("profile_load_failed", "custom.a", timeout=20)
        elapsed = time.monotonic() - t0
        self.assertEqual(failed[0]["msg"],
                         f"Profile custom.a failed to load (sha256 {sha(A2)}): compile-timeout: "
                         "apparmor_parser did not finish within 1000 ms; "
                         "the previous version stays loaded")
        self.assertGreaterEqual(elapsed, 1.0)
        self.assertLess(elapsed, 10.0)
        recs = self.records()
        self.assertEqual([r["mode"] for r in recs], ["hang"])
        for pid in (recs[0]["pid"], recs[0]["grandchild"]):
            procs.wait_until(lambda p=pid: not procs.alive(p), 5, what=f"pid {pid} killed")
        self.assert_old_kept(mark)
        self.assertTrue(d.running())

    def test_crash_is_a_failure_of_that_key_only(self):
        d = self.loaded_then_restarted_with(PARSERS["crash"])
        mark = self.fk.mark()
        self.cm.write({"custom.a": A2, "custom.b": B})
        failed = d.wait_event("profile_load_failed", "custom.a")
        self.assertEqual(failed[0]["msg"],
                         f"Profile custom.a failed to load (sha256 {sha(A2)}): compile-crashed: "
                         "apparmor_parser killed by signal 4 (SIGILL); "
                         "the previous version stays loaded")
        self.assert_old_kept(mark)
        self.assertIn(f"failed custom.a {sha(A2)} ", self.state())
        self.assertTrue(d.running())

    def test_parser_error_is_reported_with_the_key_not_the_temporary_path(self):
        d = self.loaded_then_restarted_with(PARSERS["fail"])
        mark = self.fk.mark()
        self.cm.write({"custom.a": A2, "custom.b": B})
        failed = d.wait_event("profile_load_failed", "custom.a")
        self.assertEqual(failed[0]["msg"],
                         f"Profile custom.a failed to load (sha256 {sha(A2)}): compile-failed: "
                         "AppArmor parser error for custom.a at line 2: syntax error, "
                         "unexpected TOK_ID; the previous version stays loaded")
        self.assertNotIn(".tmp.", failed[0]["msg"])
        self.assert_old_kept(mark)

    def test_failed_content_waits_for_a_change(self):
        """A content that failed is remembered (with the parser version):
        full resyncs do not run the parser on it again; a new content is
        tried at once."""
        d = self.loaded_then_restarted_with(PARSERS["fail"], poll=1)
        self.cm.write({"custom.a": A2, "custom.b": B})
        d.wait_event("profile_load_failed", "custom.a")
        opens = daemonlib.FileOpens(os.path.join(self.cmdir, self.cm.data_dir()), "custom.a")
        self.addCleanup(opens.close)
        opens.wait(3, timeout=10)
        self.assertEqual(len(self.records()), 1)
        self.assertEqual(len(d.events("profile_load_failed")), 1)
        A3 = profile("custom.a", rules=("/opt/** r,",))
        self.cm.write({"custom.a": A3, "custom.b": B})
        d.wait_event("profile_load_failed", "custom.a", count=2)
        self.assertEqual([os.path.basename(r["argv"][-1]).split(".tmp.")[0] for r in self.records()],
                         [".custom.a", ".custom.a"])

    def test_sigterm_during_a_hung_parser_kills_it_and_exits_0(self):
        d = self.loaded_then_restarted_with(PARSERS["hang"])  # default timeout: 30 s
        mark = self.fk.mark()
        self.cm.write({"custom.a": A2, "custom.b": B})
        procs.wait_until(self.records, 10, what="the parser started")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait(timeout=10), 0)
        rec = self.records()[0]
        for pid in (rec["pid"], rec["grandchild"]):
            procs.wait_until(lambda p=pid: not procs.alive(p), 5, what=f"pid {pid} killed")
        self.assert_old_kept(mark)

    def test_missing_parser(self):
        """--parser names nothing: reported at start; every load is a
        failure of its key; the daemon keeps running."""
        self.make_env()
        self.cm.write({"custom.a": A})
        d = self.start_loader(parser="/nonexistent/apparmor_parser")
        failed = d.wait_event("profile_load_failed", "custom.a")
        self.assertEqual([e["level"] for e in d.events("parser_unavailable")], ["warn"])
        self.assertIn("compile-unavailable", failed[0]["msg"])
        self.assertEqual(self.fk.profiles(), {})
        self.assertEqual(self.profile_files(), {})
        self.assertTrue(d.running())


if __name__ == "__main__":
    runner.main()
