"""A minimal unittest runner whose last line is "N passed, N failed" (with
", N skipped" when some were), plus a TestCase base with the harness wired
in.  Exit status is 1 when anything failed.

    from lib import runner
    class LoaderTest(runner.IntegrationTestCase):
        def test_add(self):
            fk = self.fake_kernel()
            ...
    if __name__ == "__main__":
        runner.main()

Command line of a test file: [-k SUBSTRING]... [--timeout SECONDS] [-v]
Every test runs under a per-test alarm (default 120 s; a test may set the
class attribute `timeout`): when it fires the test fails with TestTimeout
wherever it was blocked, its cleanups run, and the run goes on.  A hard
watchdog (faulthandler) dumps every thread and exits if even that hangs.
"""

import faulthandler
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
import unittest

try:
    from . import procs
except ImportError:  # run as a script
    import procs

DEFAULT_TEST_TIMEOUT = 120.0
HARD_WATCHDOG_GRACE = 30.0
LOG_TAIL = 3000


class TestTimeout(Exception):
    pass


def _alarm(_sig, _frame):
    raise TestTimeout("test took longer than its timeout")


class IntegrationTestCase(unittest.TestCase):
    """setUp gives self.tmp (mode 0755, so an unprivileged watcher can walk
    into it) and tears down, in reverse order, whatever the helpers below
    started.  KP_KEEP_TMP=1 keeps the directory of a failed test."""

    timeout = None

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix=f"kp-{self._testMethodName}-")
        os.chmod(self.tmp, 0o755)
        self.logdir = os.path.join(self.tmp, "logs")
        os.makedirs(self.logdir)
        self._procs = []
        self.addCleanup(self._cleanup_tmp)

    def _cleanup_tmp(self):
        for p in self._procs:
            try:
                p.stop(timeout=2.0)
            except (TimeoutError, OSError):
                pass
        if getattr(self, "_failed", False):
            self._dump_logs()
            if os.environ.get("KP_KEEP_TMP") == "1":
                print(f"    kept {self.tmp}", file=sys.stderr)
                return
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _dump_logs(self):
        for name in sorted(os.listdir(self.logdir)) if os.path.isdir(self.logdir) else []:
            path = os.path.join(self.logdir, name)
            with open(path, encoding="utf-8", errors="replace") as f:
                data = f.read()
            if data:
                print(f"    --- {name} (last {LOG_TAIL} chars) ---", file=sys.stderr)
                print(data[-LOG_TAIL:], file=sys.stderr)

    # ---- helpers ------------------------------------------------------------

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def fake_kernel(self, name="apparmorfs", **kw):
        """A FakeKernel serving self.tmp/<name>/apparmorfs (its own parent
        directory, so its log and control FIFO are its own)."""
        from . import fake_kernel
        fk = fake_kernel.FakeKernel(self.path(name, "apparmorfs"), **kw)
        os.makedirs(fk.state, exist_ok=True)
        os.chmod(fk.state, 0o755)
        fk.start()
        self.addCleanup(fk.check)
        self.addCleanup(fk.stop)
        return fk

    def fake_proc(self, name="proc", **kw):
        from . import fake_proc
        return fake_proc.FakeProc(self.path(name), **kw)

    def configmap(self, name="configmap", plain=False):
        """An AtomicWriter (or PlainWriter) on self.tmp/<name>."""
        from . import atomic_writer
        d = self.path(name)
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        return atomic_writer.PlainWriter(d) if plain else atomic_writer.AtomicWriter(d)

    def start(self, argv, name=None, **kw):
        """procs.Proc with logs in self.logdir, stopped at cleanup."""
        p = procs.Proc(argv, logdir=self.logdir, name=name, **kw)
        self._procs.append(p)
        return p


class _Result(unittest.TextTestResult):
    def __init__(self, stream, descriptions, verbosity):
        super().__init__(stream, descriptions, verbosity)
        self.passed = 0
        self._t0 = 0.0

    def _name(self, test):
        return test.id().split(".", 1)[-1]

    def startTest(self, test):
        self._t0 = time.monotonic()
        unittest.TestResult.startTest(self, test)

    def _line(self, mark, test, extra=""):
        dt = time.monotonic() - self._t0
        self.stream.write(f"{mark:<5} {self._name(test)} ({dt:.2f}s){extra}\n")
        self.stream.flush()

    def addSuccess(self, test):
        unittest.TestResult.addSuccess(self, test)
        self.passed += 1
        self._line("ok", test)

    def addExpectedFailure(self, test, err):
        unittest.TestResult.addExpectedFailure(self, test, err)
        self.passed += 1
        self._line("ok", test, " (expected failure)")

    def _fail(self, test, err, kind):
        test._failed = True
        self._line("FAIL", test, f" {kind}")
        self.stream.write("".join(traceback.format_exception(*err)))
        self.stream.flush()

    def addFailure(self, test, err):
        unittest.TestResult.addFailure(self, test, err)
        self._fail(test, err, "")

    def addError(self, test, err):
        unittest.TestResult.addError(self, test, err)
        self._fail(test, err, "(error)")

    def addUnexpectedSuccess(self, test):
        unittest.TestResult.addUnexpectedSuccess(self, test)
        self._line("FAIL", test, " (unexpected success)")

    def addSkip(self, test, reason):
        unittest.TestResult.addSkip(self, test, reason)
        self._line("skip", test, f": {reason}")

    def printErrors(self):
        pass


def _iter_tests(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from _iter_tests(t)
        else:
            yield t


def _timed(test, seconds):
    """Wrap test.run so a SIGALRM interrupts it after `seconds`."""
    inner = test.run

    def run(result=None):
        old = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        faulthandler.dump_traceback_later(seconds + HARD_WATCHDOG_GRACE, exit=True)
        try:
            return inner(result)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
            faulthandler.cancel_dump_traceback_later()
    test.run = run
    return test


def main(module=None, argv=None):
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", action="append", default=[], help="run tests whose id contains this")
    ap.add_argument("--timeout", type=float, default=None, help="per-test timeout in seconds")
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args(argv)
    module = module or sys.modules["__main__"]
    suite = unittest.TestLoader().loadTestsFromModule(module)
    tests = [t for t in _iter_tests(suite) if not args.k or any(k in t.id() for k in args.k)]
    for t in tests:
        seconds = args.timeout or getattr(t, "timeout", None) or DEFAULT_TEST_TIMEOUT
        _timed(t, seconds)
    result = _Result(sys.stdout, True, 2 if args.v else 1)
    unittest.TestSuite(tests).run(result)
    procs.stop_all()
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    sys.stdout.flush()
    line = f"{result.passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line, flush=True)
    sys.exit(1 if failed or not tests else 0)
