#!/usr/bin/env python3
"""Self-tests of the integration harness in tests/integration/lib: the fake
apparmorfs against the real apparmor_parser and libapparmor, the policy
decoder, kubelet's atomic writer (Python and busybox sh), the fake /proc,
the process helpers and the runner.  Last line: "N passed, N failed"."""

import errno
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"  # nor from the processes it starts
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from lib import atomic_writer, fake_kernel, fake_proc, policy_blob, procs, runner  # noqa: E402
from lib.libapparmor import KernelInterface  # noqa: E402

LIB = os.path.join(HERE, "lib")
PARSER = "/sbin/apparmor_parser"
FEATURES = "/usr/share/apparmor-features/features"
BUSYBOX = shutil.which("busybox")
TS_RE = re.compile(r"^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+$")

# The README's example: one profile named like its key.
README_PROFILE = """\
#include <tunables/global>

profile custom.deny-write-outside-app flags=(attach_disconnected) {
  #include <abstractions/base>

  file,
  deny /bin/** wl,
  deny /root/** wl,
  deny /etc/** wl,
}
"""

TWO_PROFILES = """\
profile custom.one {
  /usr/** r,
}
profile custom.two flags=(complain) {
  /etc/** r,
}
"""

WITH_HAT = """\
profile custom.hatted {
  /usr/** r,
  ^sub {
    /tmp/** rw,
  }
  profile child {
    /etc/** r,
  }
}
"""

IN_NAMESPACE = """\
profile :tenant:custom.ns {
  /usr/** r,
}
"""


class Tmp(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kp-selftest-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def file(self, name, text, mode=0o644):
        p = os.path.join(self.tmp, name)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    def compile(self, text, *extra):
        src = self.file("src.profile", text)
        r = procs.run([PARSER, "-S", "-K", "-q", *extra, src], timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.encode("latin-1") if isinstance(r.stdout, str) else r.stdout


class PolicyBlobTest(Tmp):
    def compile_bytes(self, text, *extra):
        src = self.file("src.profile", text)
        out = subprocess.run([PARSER, "-S", "-K", "-q", *extra, src], capture_output=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout

    def test_readme_profile(self):
        recs = policy_blob.decode(self.compile_bytes(README_PROFILE))
        self.assertEqual([(r.fqname, r.mode, r.hat) for r in recs],
                         [("custom.deny-write-outside-app", "enforce", False)])
        self.assertEqual(recs[0].abi, 5)

    def test_two_profiles_hat_child_namespace(self):
        recs = policy_blob.decode(self.compile_bytes(TWO_PROFILES + WITH_HAT + IN_NAMESPACE))
        got = sorted((r.fqname, r.mode, r.hat) for r in recs)
        self.assertEqual(got, [(":tenant:custom.ns", "enforce", False),
                               ("custom.hatted", "enforce", False),
                               ("custom.hatted//child", "enforce", False),
                               ("custom.hatted//sub", "enforce", True),
                               ("custom.one", "enforce", False),
                               ("custom.two", "complain", False)])

    def test_force_complain_and_kernel_features(self):
        recs = policy_blob.decode(self.compile_bytes(TWO_PROFILES, "-C"))
        self.assertEqual({r.mode for r in recs}, {"complain"})
        recs = policy_blob.decode(self.compile_bytes(TWO_PROFILES, "--kernel-features", FEATURES))
        self.assertEqual({r.abi for r in recs}, {7})

    def test_kill_and_unconfined_modes(self):
        text = "profile custom.k flags=(kill) { /usr/** r, }\nprofile custom.u flags=(unconfined) { }\n"
        recs = policy_blob.decode(self.compile_bytes(text, "--kernel-features", FEATURES))
        self.assertEqual(sorted((r.name, r.mode) for r in recs),
                         [("custom.k", "kill"), ("custom.u", "unconfined")])

    def test_force_complain_version_bit(self):
        blob = bytearray(self.compile_bytes(README_PROFILE))
        blob[13] |= policy_blob.FORCE_COMPLAIN_FLAG >> 8  # the version u32 is bytes 12..15
        self.assertEqual(policy_blob.decode(bytes(blob))[0].mode, "complain")

    def test_incomplete_and_split(self):
        blob = self.compile_bytes(TWO_PROFILES)
        first, used = policy_blob.split_records(blob)
        self.assertEqual(len(first), 2)
        self.assertEqual(used, len(blob))
        for cut in (1, 11, 40, len(blob) // 2, len(blob) - 1):
            recs, used = policy_blob.split_records(blob[:cut])
            self.assertLessEqual(used, cut)
            self.assertEqual(len(recs), 1 if used else 0)
        with self.assertRaises(policy_blob.BlobError):
            policy_blob.decode(blob[:-1])

    def test_garbage(self):
        with self.assertRaises(policy_blob.BlobError):
            policy_blob.decode(b"\x04\x08\x00version\x00\x02\x05\x00\x00\x00\x04\x04\x00junk\x00\x02")
        with self.assertRaises(policy_blob.BlobError):
            policy_blob.split_records(b"\xff" * 32)
        blob = self.compile_bytes(README_PROFILE)
        self.assertEqual(policy_blob.find_next_header(b"xx" + blob), 2)


class FakeKernelTest(Tmp):
    def setUp(self):
        super().setUp()
        self.fk = fake_kernel.FakeKernel(os.path.join(self.tmp, "apparmorfs")).start()
        self.addCleanup(self.fk.stop)

    def parser(self, text, *extra, parser=PARSER, timeout=60):
        src = self.file(f"p{time.monotonic_ns()}", text)
        return procs.run([parser, "--subdomainfs", self.fk.path, "--replace", "--skip-cache",
                          *extra, src], timeout=timeout, env={})

    def test_layout(self):
        st = {n: os.lstat(os.path.join(self.fk.path, n)) for n in os.listdir(self.fk.path)}
        self.assertEqual(sorted(st), [".load", ".remove", ".replace", "features", "profiles"])
        for n in fake_kernel.IFACES:
            self.assertTrue(stat.S_ISFIFO(st[n].st_mode), n)
            self.assertEqual(stat.S_IMODE(st[n].st_mode), 0o600, n)
        self.assertTrue(stat.S_ISREG(st["profiles"].st_mode))
        self.assertEqual(open(os.path.join(self.fk.path, "profiles")).read(), "")
        with open(FEATURES, "rb") as a, open(os.path.join(self.fk.path, "features"), "rb") as b:
            self.assertEqual(a.read(), b.read())

    def test_readme_profile_replace(self):
        mark = self.fk.mark()
        r = self.parser(README_PROFILE)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.fk.profiles(), {"custom.deny-write-outside-app": "enforce"})
        self.assertEqual(open(os.path.join(self.fk.path, "profiles")).read(),
                         "custom.deny-write-outside-app (enforce)\n")
        ops = self.fk.ops(since=mark)
        self.assertEqual([(e["op"], e["names"]) for e in ops],
                         [("replace", ["custom.deny-write-outside-app"])])
        self.assertFalse(ops[0]["existed"])

    def test_two_profiles_then_remove_one_with_libapparmor(self):
        r = self.parser(TWO_PROFILES)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.fk.profiles(), {"custom.one": "enforce", "custom.two": "complain"})
        self.assertEqual(sorted(self.fk.names("replace")), ["custom.one", "custom.two"])
        mark = self.fk.mark()
        with KernelInterface(self.fk.path, features=os.path.join(self.fk.path, "features")) as ki:
            self.assertTrue(ki.supports_setload)
            ki.remove("custom.one")
        self.assertEqual(self.fk.profiles(), {"custom.two": "complain"})
        self.assertEqual(self.fk.ops(since=mark)[0]["op"], "remove")
        self.assertEqual(self.fk.ops(since=mark)[0]["removed"], ["custom.one"])
        self.assertEqual(self.fk.names("remove"), ["custom.one"])
        self.assertEqual(self.fk.names("replace", since=mark), [])

    def test_hat_and_child_listed_and_removed_with_parent(self):
        r = self.parser(WITH_HAT)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.fk.profiles(), {"custom.hatted": "enforce", "custom.hatted//sub": "enforce",
                                              "custom.hatted//child": "enforce"})
        hats = [e for e in self.fk.ops("replace") if e["hat"]]
        self.assertEqual([e["names"] for e in hats], [["custom.hatted//sub"]])
        self.fk.preload({"custom.hattedx": "enforce"})
        with KernelInterface(self.fk.path) as ki:
            ki.remove("custom.hatted")
        self.assertEqual(self.fk.profiles(), {"custom.hattedx": "enforce"})
        self.assertEqual(self.fk.ops("remove")[-1]["removed"],
                         ["custom.hatted", "custom.hatted//child", "custom.hatted//sub"])

    def test_namespace(self):
        r = self.parser(IN_NAMESPACE + TWO_PROFILES)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(":tenant:custom.ns", self.fk.profiles())
        with KernelInterface(self.fk.path) as ki:
            ki.remove(":tenant:custom.ns")
        self.assertNotIn(":tenant:custom.ns", self.fk.profiles())
        self.fk.preload([":tenant:a", ":tenant:b", ":other:a"])
        with KernelInterface(self.fk.path) as ki:
            ki.remove(":tenant:")
        self.assertEqual(sorted(self.fk.profiles()), [":other:a", "custom.one", "custom.two"])

    def test_remove_missing_is_logged_not_failed(self):
        self.fk.preload(["custom.a"])
        with KernelInterface(self.fk.path) as ki:
            ki.remove("custom.nothere")
        e = self.fk.ops("remove")[-1]
        self.assertEqual((e["names"], e["removed"], e["missing"]), (["custom.nothere"], [], True))
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce"})

    def test_remove_by_plain_write(self):
        self.fk.preload(["custom.a", "custom.b", "custom.c"])
        with open(os.path.join(self.fk.path, ".remove"), "wb") as f:
            f.write(b"custom.a")  # no terminator: taken whole after a short idle
        self.fk.wait_for(lambda fk: "custom.a" not in fk.profiles(), timeout=5, what="idle flush")
        with open(os.path.join(self.fk.path, ".remove"), "wb") as f:
            f.write(b"custom.b\n")
        self.fk.wait_for(lambda fk: fk.profiles() == {"custom.c": "enforce"}, timeout=5,
                         what="both removals")
        self.assertEqual(self.fk.names("remove"), ["custom.a", "custom.b"])

    def test_replace_existing_changes_mode(self):
        self.assertEqual(self.parser(TWO_PROFILES).returncode, 0)
        r = self.parser(TWO_PROFILES.replace("custom.two flags=(complain)", "custom.two"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.fk.profiles(), {"custom.one": "enforce", "custom.two": "enforce"})
        last = {e["names"][0]: e["existed"] for e in self.fk.ops("replace")[-2:]}
        self.assertEqual(last, {"custom.one": True, "custom.two": True})

    def test_load_interface(self):
        r = procs.run([PARSER, "--subdomainfs", self.fk.path, "--add", "-K",
                       self.file("p", README_PROFILE)], timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([e["op"] for e in self.fk.ops()], ["load"])
        self.assertEqual(self.fk.profiles(), {"custom.deny-write-outside-app": "enforce"})

    def test_precompiled_multi_record_write(self):
        blob = self.file("all.bin", "")
        r = subprocess.run([PARSER, "-S", "-K", "-q", self.file("src", TWO_PROFILES + WITH_HAT)],
                           capture_output=True, timeout=60)
        with open(blob, "wb") as f:
            f.write(r.stdout)
        with KernelInterface(self.fk.path) as ki:
            ki.replace(r.stdout)  # one write() carrying five records
        self.assertEqual(len(self.fk.profiles()), 5)
        self.assertEqual(len(self.fk.ops("replace")), 5)

    def test_undecodable_write_is_reported_and_skipped(self):
        with open(os.path.join(self.fk.path, ".replace"), "wb") as f:
            f.write(b"\xfe" * 100)
        self.assertEqual(self.parser(README_PROFILE).returncode, 0)
        self.assertEqual(list(self.fk.profiles()), ["custom.deny-write-outside-app"])
        errs = self.fk.ops("error")
        self.assertEqual(len(errs), 1)
        self.assertEqual(errs[0]["iface"], ".replace")
        self.assertIsNone(self.fk.error)

    def test_break_eisdir_then_heal(self):
        self.assertEqual(self.parser(TWO_PROFILES).returncode, 0)
        self.fk.break_iface("replace")
        r = self.parser(README_PROFILE)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Is a directory", r.stderr)
        self.fk.break_iface("remove", how="missing")
        with KernelInterface(self.fk.path) as ki, self.assertRaises(OSError) as cm:
            ki.remove("custom.one")
        self.assertEqual(cm.exception.errno, errno.ENOENT)
        self.assertEqual(sorted(self.fk.profiles()), ["custom.one", "custom.two"])
        self.fk.heal()
        self.assertEqual(self.parser(README_PROFILE).returncode, 0)
        with KernelInterface(self.fk.path) as ki:
            ki.remove("custom.one")
        self.assertEqual(sorted(self.fk.profiles()), ["custom.deny-write-outside-app", "custom.two"])
        self.assertEqual([e["op"] for e in self.fk.ops(("break", "heal"))], ["break", "break", "heal", "heal"])

    def test_fail_next_replace_once(self):
        self.assertEqual(self.parser(TWO_PROFILES).returncode, 0)
        mark = self.fk.mark()
        self.fk.fail_next("replace")
        t0 = time.monotonic()
        r = self.parser(README_PROFILE)
        self.assertNotEqual(r.returncode, 0)
        self.fk.wait_fault("replace")
        self.assertEqual(sorted(self.fk.profiles()), ["custom.one", "custom.two"])
        self.assertEqual([(e["op"], e["iface"]) for e in self.fk.ops(since=mark)],
                         [("arm", ".replace"), ("fault", ".replace")])
        r = self.parser(README_PROFILE)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertLess(time.monotonic() - t0, fake_kernel.FAULT_CLOSE_WAIT)
        self.assertIn("custom.deny-write-outside-app", self.fk.profiles())

    def test_fail_next_remove_gives_epipe(self):
        self.fk.preload(["custom.a", "custom.b"])
        old = signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        self.addCleanup(signal.signal, signal.SIGPIPE, old)
        with KernelInterface(self.fk.path) as ki:
            for _ in range(2):
                self.fk.fail_next("remove")
                with self.assertRaises(OSError) as cm:
                    ki.remove("custom.a")
                self.assertEqual(cm.exception.errno, errno.EPIPE)
                self.fk.wait_fault("remove")
                self.assertEqual(sorted(self.fk.profiles()), ["custom.a", "custom.b"])
            ki.remove("custom.a")
            with self.assertRaises(RuntimeError):
                self.fk.fail_next("remove")
                self.fk.fail_next("remove")
        self.assertEqual(self.fk.profiles(), {"custom.b": "enforce"})
        self.assertEqual(len(self.fk.ops("fault")), 2)

    def test_unprivileged_writer_is_refused(self):
        pid = os.fork()
        if pid == 0:
            try:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                try:
                    os.open(os.path.join(self.fk.path, ".replace"), os.O_WRONLY | os.O_NONBLOCK)
                    os._exit(1)
                except PermissionError:
                    os._exit(0)
            finally:
                os._exit(2)
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0)

    def test_preload_and_clear(self):
        self.fk.preload({"custom.old": "complain", "other": "enforce"})
        self.assertEqual(open(os.path.join(self.fk.path, "profiles")).read(),
                         "custom.old (complain)\nother (enforce)\n")
        self.fk.clear()
        self.assertEqual(self.fk.profiles(), {})
        self.assertEqual([e["op"] for e in self.fk.ops()], ["preload", "clear"])

    def test_parser_wrapper_syncs_and_logs(self):
        wrapper = self.fk.make_parser_wrapper(os.path.join(self.tmp, "parser-wrapper"))
        for _ in range(3):
            r = self.parser(TWO_PROFILES, parser=wrapper)
            self.assertEqual(r.returncode, 0, r.stderr)
            # No explicit sync: the wrapper exits only once the fake took it in.
            self.assertEqual(sorted(fake_kernel.read_profiles(self.fk.path)), ["custom.one", "custom.two"])
            self.fk.clear()
        runs = self.fk.ops("parser")
        self.assertEqual(len(runs), 3)
        self.assertEqual(runs[0]["rc"], 0)
        self.assertNotIn("sync_error", runs[0])
        self.assertIn("--replace", runs[0]["argv"])
        bad = self.parser("profile custom.bad { /usr/** rxyz, }\n", parser=wrapper)
        self.assertNotEqual(bad.returncode, 0)
        self.assertEqual(self.fk.ops("parser")[-1]["rc"], bad.returncode)

    def test_sync_from_another_process(self):
        cli = os.path.join(LIB, "fake_kernel.py")
        r = procs.run([sys.executable, cli, "sync", self.fk.path], timeout=20)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.fk.stop()
        t0 = time.monotonic()
        r = procs.run([sys.executable, cli, "sync", self.fk.path], timeout=20)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no fake kernel", r.stderr)
        self.assertLess(time.monotonic() - t0, 5)

    def test_stopped_kernel_never_hangs_a_writer(self):
        self.fk.stop()
        self.assertFalse(os.path.exists(os.path.join(self.fk.path, ".replace")))
        t0 = time.monotonic()
        r = self.parser(README_PROFILE, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        with self.assertRaises(FileNotFoundError):
            KernelInterface(self.fk.path).remove("x")
        self.assertLess(time.monotonic() - t0, 20)

    def test_writer_holding_fifo_gets_epipe_after_stop(self):
        fd = os.open(os.path.join(self.fk.path, ".remove"), os.O_WRONLY)
        self.addCleanup(os.close, fd)
        self.fk.stop()
        old = signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        try:
            with self.assertRaises(BrokenPipeError):
                os.write(fd, b"custom.a\0")
        finally:
            signal.signal(signal.SIGPIPE, old)

    def test_cli_serve(self):
        d = os.path.join(self.tmp, "cli", "apparmorfs")
        os.makedirs(os.path.dirname(d))
        with procs.Proc([sys.executable, os.path.join(LIB, "fake_kernel.py"), "serve", d,
                         "--preload", "custom.pre=complain"], logdir=self.tmp, name="serve") as p:
            p.wait_output("ready", stream="stdout", timeout=20)
            src = self.file("cli.profile", README_PROFILE)
            r = procs.run([PARSER, "-f", d, "-r", "-K", src], timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            fake_kernel.sync(d)
            self.assertEqual(fake_kernel.read_profiles(d),
                             {"custom.pre": "complain", "custom.deny-write-outside-app": "enforce"})
            p.signal(signal.SIGTERM)
            self.assertEqual(p.wait(timeout=10), 0)
        self.assertFalse(os.path.exists(os.path.join(d, ".replace")))

    def test_server_failure_is_reported_and_unblocks(self):
        def boom(*_a):
            raise RuntimeError("injected")
        self.fk._serve_ctl = boom
        self.fk._wake()
        procs.wait_until(lambda: self.fk.error, timeout=5, what="server error")
        self.assertIn("injected", self.fk.error)
        self.assertFalse(os.path.exists(os.path.join(self.fk.path, ".replace")))
        with self.assertRaises(AssertionError):
            self.fk.check()


class AtomicWriterTest(Tmp):
    def layout(self, d):
        out = {}
        for name in sorted(os.listdir(d)):
            p = os.path.join(d, name)
            if os.path.islink(p):
                out[name] = "-> " + os.readlink(p)
            elif os.path.isdir(p):
                out[name] = {n: open(os.path.join(p, n), "rb").read() for n in sorted(os.listdir(p))}
            else:
                out[name] = open(p, "rb").read()
        return out

    def check_volume(self, d, payload):
        lay = self.layout(d)
        ts = os.readlink(os.path.join(d, "..data"))
        self.assertRegex(ts, TS_RE)
        expect = {"..data": "-> " + ts, ts: {k: v.encode() for k, v in payload.items()}}
        expect.update({k: "-> ..data/" + k for k in payload})
        self.assertEqual(lay, expect)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(d, ts)).st_mode), 0o755)
        for k in payload:
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(d, ts, k)).st_mode), 0o644)
        return ts

    def test_first_write_update_remove(self):
        d = os.path.join(self.tmp, "cm")
        w = atomic_writer.AtomicWriter(d)
        old_umask = os.umask(0o077)
        try:
            ts1 = w.write({"custom.a": "A", "custom.b": "B"})
        finally:
            os.umask(old_umask)
        self.assertEqual(self.check_volume(d, {"custom.a": "A", "custom.b": "B"}), ts1)
        self.assertIsNone(w.write({"custom.a": "A", "custom.b": "B"}))
        self.assertEqual(os.readlink(os.path.join(d, "..data")), ts1)
        ts2 = w.update({"custom.c": "C"}, remove=["custom.a"])
        self.assertNotEqual(ts2, ts1)
        self.assertEqual(self.check_volume(d, {"custom.b": "B", "custom.c": "C"}), ts2)
        self.assertEqual(w.current(), {"custom.b": b"B", "custom.c": b"C"})
        w.write({})
        self.assertEqual(w.current(), {})
        self.assertEqual(sorted(os.listdir(d)), sorted(["..data", os.readlink(os.path.join(d, "..data"))]))

    def test_kubelet_step_order(self):
        d = os.path.join(self.tmp, "cm")
        w = atomic_writer.AtomicWriter(d)
        ts1 = w.write({"custom.a": "A1", "custom.gone": "G"})
        seen = []

        def hook(step):
            data = os.readlink(os.path.join(d, "..data"))
            seen.append((step, data == ts1, os.path.lexists(os.path.join(d, "..data_tmp")),
                         os.path.lexists(os.path.join(d, "custom.new")),
                         os.path.lexists(os.path.join(d, "custom.gone")),
                         os.path.isdir(os.path.join(d, ts1))))
        w.hook = hook
        w.write({"custom.a": "A2", "custom.new": "N"})
        # step, ..data still old, ..data_tmp present, new link, gone link, old dir
        self.assertEqual(seen, [
            ("tsdir", True, False, False, True, True),
            ("data_tmp", True, True, False, True, True),
            ("swapped", False, False, False, True, True),
            ("links", False, False, True, True, True),
            ("unlinked", False, False, True, False, True),
            ("old_removed", False, False, True, False, False),
        ])

    def test_rejects_bad_keys(self):
        w = atomic_writer.AtomicWriter(os.path.join(self.tmp, "cm"))
        for key in ("", "..data", "..x", "a/b", "/abs", "sp ace", "x" * 254):
            with self.assertRaises(ValueError, msg=key):
                w.write({key: "x"})
        self.assertEqual(os.listdir(w.dir), [])

    def test_plain_writer(self):
        d = os.path.join(self.tmp, "plain")
        p = atomic_writer.PlainWriter(d)
        p.write({"custom.a": "A", "custom.b": "B"})
        p.set("custom.a", "A2", inplace=True)
        p.set("custom.b", "B2")
        self.assertEqual(p.current(), {"custom.a": b"A2", "custom.b": b"B2"})
        p.write({"custom.b": "B3"})
        self.assertEqual(sorted(os.listdir(d)), ["custom.b"])
        p.delete("custom.b")
        self.assertEqual(os.listdir(d), [])

    def test_cli(self):
        d = os.path.join(self.tmp, "cm")
        os.mkdir(d)
        a, b = self.file("a", "A"), self.file("b", "B")
        cli = [sys.executable, os.path.join(LIB, "atomic_writer.py")]
        r = procs.run(cli + ["write", d, f"custom.a={a}", f"custom.b={b}"], timeout=20)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout.strip(), TS_RE)
        r = procs.run(cli + ["update", d, "--remove", "custom.a"], timeout=20)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.check_volume(d, {"custom.b": "B"})
        r = procs.run(cli + ["write", d, f"custom.b={b}"], timeout=20)
        self.assertEqual(r.stdout.strip(), "unchanged")

    def sh_write(self, shell, d, payload, env=None):
        specs = []
        for i, (k, v) in enumerate(payload.items()):
            specs.append(f"{k}={self.file(f'src{i}', v)}")
        return procs.run([*shell, os.path.join(LIB, "atomic_write.sh"), d, *specs], timeout=30, env=env)

    def busybox_env(self):
        if not BUSYBOX:
            self.skipTest("busybox not installed")
        bindir = os.path.join(self.tmp, "bb")
        os.mkdir(bindir)
        for applet in subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True).stdout.split():
            os.symlink(BUSYBOX, os.path.join(bindir, applet))
        return {"PATH": bindir}

    def check_sh(self, shell, env=None):
        d = os.path.join(self.tmp, "cm")
        os.mkdir(d)
        r = self.sh_write(shell, d, {"custom.a": "A", "custom.b": "B", ".dot": "D"}, env)
        self.assertEqual(r.returncode, 0, r.stderr)
        ts1 = self.check_volume(d, {"custom.a": "A", "custom.b": "B", ".dot": "D"})
        r = self.sh_write(shell, d, {"custom.a": "A", "custom.b": "B", ".dot": "D"}, env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(os.readlink(os.path.join(d, "..data")), ts1)
        r = self.sh_write(shell, d, {"custom.b": "B2", "custom.c": "C"}, env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotEqual(self.check_volume(d, {"custom.b": "B2", "custom.c": "C"}), ts1)
        r = self.sh_write(shell, d, {"../x": "X"}, env)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("invalid key", r.stderr)

    def test_sh_under_busybox_only(self):
        self.check_sh([BUSYBOX or "busybox", "sh"], self.busybox_env())

    def test_sh_under_system_sh(self):
        self.check_sh(["/bin/sh"])

    def test_busybox_mv_without_T_moves_into_directory(self):
        # Why atomic_write.sh uses mv -T: documents the pitfall.
        env = self.busybox_env()
        d = os.path.join(self.tmp, "mv")
        os.makedirs(os.path.join(d, "old"))
        os.makedirs(os.path.join(d, "new"))
        os.symlink("old", os.path.join(d, "..data"))
        os.symlink("new", os.path.join(d, "..data_tmp"))
        r = procs.run([BUSYBOX, "sh", "-c", "cd \"$1\" && mv -f ..data_tmp ..data", "sh", d], env=env, timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(os.readlink(os.path.join(d, "..data")), "old")
        self.assertTrue(os.path.islink(os.path.join(d, "old", "..data_tmp")))
        os.symlink("new", os.path.join(d, "..data_tmp"))
        r = procs.run([BUSYBOX, "sh", "-c", "cd \"$1\" && mv -fT ..data_tmp ..data", "sh", d], env=env, timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(os.readlink(os.path.join(d, "..data")), "new")
        self.assertFalse(os.path.lexists(os.path.join(d, "..data_tmp")))


class FakeProcTest(Tmp):
    def read(self, *parts):
        with open(os.path.join(self.tmp, "proc", *parts)) as f:
            return f.read()

    def test_layout_and_labels(self):
        fp = fake_proc.FakeProc(os.path.join(self.tmp, "proc"), boot_id="11111111-2222-3333-4444-555555555555")
        fp.add_task(100, label="custom.a (enforce)", comm="nginx")
        fp.add_task(100, 101, label="custom.a//&custom.x (enforce)")
        fp.add_task(200, label=":ns:custom.a (complain)")
        fp.add_task(300, label="unconfined")
        fp.add_task(400, label="custom.b (enforce)", apparmor=False)
        fp.add_task(500, label="custom.c (enforce)", legacy_label="system_u:system_r:kernel_t:s0")
        fp.add_task(600, label=None)
        self.assertEqual(self.read("100", "task", "100", "attr", "apparmor", "current"), "custom.a (enforce)\n")
        self.assertEqual(self.read("100", "task", "100", "attr", "current"), "custom.a (enforce)\n")
        self.assertEqual(self.read("100", "attr", "apparmor", "current"), "custom.a (enforce)\n")
        self.assertEqual(self.read("100", "comm"), "nginx\n")
        self.assertEqual(self.read("100", "task", "101", "attr", "apparmor", "current"),
                         "custom.a//&custom.x (enforce)\n")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "proc", "101")))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "proc", "400", "task", "400", "attr", "apparmor")))
        self.assertEqual(self.read("500", "task", "500", "attr", "current"), "system_u:system_r:kernel_t:s0\n")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "proc", "600", "task", "600", "attr")))
        self.assertEqual(self.read("sys", "kernel", "random", "boot_id"), "11111111-2222-3333-4444-555555555555\n")
        self.assertEqual(fp.tasks()[(100, 101)], "custom.a//&custom.x (enforce)")
        self.assertEqual(fp.tasks()[(400, 400)], "custom.b (enforce)")
        self.assertIsNone(fp.tasks()[(600, 600)])
        self.assertEqual(len(fp.tasks()), 7)

    def test_change_remove_reboot_self(self):
        fp = fake_proc.FakeProc(os.path.join(self.tmp, "proc"))
        first = fp.boot_id
        self.assertRegex(first, r"^[0-9a-f-]{36}$")
        fp.add_task(10, label="custom.a (enforce)")
        fp.add_task(10, 11, label="custom.a (enforce)")
        fp.set_label(10, 11, "unconfined")
        self.assertEqual(fp.tasks(), {(10, 10): "custom.a (enforce)", (10, 11): "unconfined"})
        fp.remove_task(10, 11)
        self.assertEqual(list(fp.tasks()), [(10, 10)])
        fp.remove_task(10)
        self.assertEqual(fp.tasks(), {})
        self.assertNotEqual(fp.reboot(), first)
        fp.set_self(1)
        self.assertEqual(os.readlink(os.path.join(self.tmp, "proc", "self")), "1")
        with self.assertRaises(FileNotFoundError):
            fp.set_label(99, 99, "x")


class ProcsTest(Tmp):
    def test_output_wait_and_status(self):
        p = procs.Proc(["sh", "-c", "echo out; echo err >&2; echo ready >&2; exec sleep 30"],
                       logdir=self.tmp, name="sh")
        self.addCleanup(p.stop)
        p.wait_output("ready")
        self.assertEqual(p.stdout(), "out\n")
        st = procs.read_status(p.pid)
        self.assertEqual(st["Uid"], [0, 0, 0, 0])
        self.assertEqual(st["Pid"], p.pid)
        self.assertEqual(st["NoNewPrivs"], 0)
        self.assertIsInstance(st["CapEff"], int)
        self.assertEqual(procs.open_fds(p.pid)[0], "/dev/null")
        with self.assertRaises(TimeoutError):
            p.wait(timeout=0.2)
        p.signal(signal.SIGTERM)
        self.assertEqual(p.wait(timeout=5), -signal.SIGTERM)

    def test_status_of_confined_process(self):
        p = procs.Proc(["setpriv", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all,+mac_admin",
                        "--reuid=0", "sleep", "30"], logdir=self.tmp, name="setpriv")
        self.addCleanup(p.stop)
        st = procs.wait_until(lambda: (s := procs.read_status(p.pid)).get("Name") == "sleep" and s,
                              timeout=5, what="exec of sleep")
        self.assertEqual(st["NoNewPrivs"], 1)
        self.assertEqual(st["CapBnd"], procs.cap_mask("mac_admin"))
        self.assertEqual(procs.cap_names(st["CapBnd"]), ["mac_admin"])
        self.assertEqual(st["CapInh"], 0)
        self.assertEqual(st["CapAmb"], 0)

    def test_cap_helpers(self):
        self.assertEqual(procs.cap_mask("CAP_MAC_ADMIN"), 1 << 33)
        self.assertEqual(procs.cap_names(procs.cap_mask("setuid", "setgid", "setpcap", "mac_admin")),
                         ["mac_admin", "setgid", "setpcap", "setuid"])

    def test_stop_kills_the_group(self):
        p = procs.Proc(["sh", "-c", "sleep 60 & echo $! >&2; trap '' TERM; wait"],
                       logdir=self.tmp, name="grp")
        out = p.wait_output("\n")
        child = int(out.split()[0])
        self.assertIn(child, procs.descendants(p.pid))
        t0 = time.monotonic()
        p.stop(timeout=1)
        self.assertLess(time.monotonic() - t0, 5)
        procs.wait_until(lambda: not procs.alive(child), timeout=5, what="grandchild gone")

    def test_parent_death_kills_children(self):
        code = textwrap.dedent(f"""
            import sys, os
            sys.path.insert(0, {HERE!r})
            from lib import procs
            p = procs.Proc(["sleep", "60"], logdir={self.tmp!r}, name="orphan")
            print(p.pid, flush=True)
            os._exit(0)
        """)
        r = procs.run([sys.executable, "-c", code], timeout=20)
        pid = int(r.stdout.split()[0])
        procs.wait_until(lambda: not procs.alive(pid), timeout=5, what="child killed by parent death")

    def test_run_timeout(self):
        t0 = time.monotonic()
        with self.assertRaises(TimeoutError):
            procs.run(["sleep", "30"], timeout=0.3)
        self.assertLess(time.monotonic() - t0, 5)
        r = procs.run(["sh", "-c", "cat; echo e >&2; exit 3"], input="in", timeout=5)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (3, "in", "e\n"))

    def test_wait_until(self):
        n = []
        self.assertEqual(procs.wait_until(lambda: n.append(1) or len(n) >= 3 and len(n), timeout=5,
                                          interval=0.001), 3)
        with self.assertRaises(TimeoutError) as cm:
            procs.wait_until(lambda: False, timeout=0.1, what="never")
        self.assertIn("never", str(cm.exception))


class RunnerTest(Tmp):
    def test_summary_line_timeouts_and_cleanup(self):
        marker = os.path.join(self.tmp, "tmpdirs")
        script = self.file("t_sample.py", textwrap.dedent(f"""
            import os, sys, time, unittest
            sys.path.insert(0, {HERE!r})
            from lib import runner
            class T(runner.IntegrationTestCase):
                def test_a_pass(self):
                    fk = self.fake_kernel()
                    self.assertEqual(fk.profiles(), {{}})
                def test_b_fail(self):
                    self.start(["sh", "-c", "echo diagnostic-output >&2; sleep 30"], name="victim")
                    time.sleep(0.3)
                    self.assertTrue(False)
                def test_c_skip(self):
                    self.skipTest("not here")
                def test_d_hang(self):
                    with open({marker!r}, "a") as f:
                        f.write(self.tmp + "\\n")
                    time.sleep(60)
            if __name__ == "__main__":
                runner.main()
        """))
        t0 = time.monotonic()
        r = procs.run([sys.executable, script, "--timeout", "2"], timeout=60)
        self.assertLess(time.monotonic() - t0, 30)
        lines = r.stdout.strip().splitlines()
        self.assertEqual(lines[-1], "1 passed, 2 failed, 1 skipped")
        self.assertEqual(r.returncode, 1)
        self.assertIn("TestTimeout", r.stdout)
        self.assertIn("diagnostic-output", r.stderr)
        with open(marker) as f:
            self.assertFalse(os.path.exists(f.read().strip()))
        r = procs.run([sys.executable, script, "-k", "test_a_pass"], timeout=60)
        self.assertEqual(r.stdout.strip().splitlines()[-1], "1 passed, 0 failed")
        self.assertEqual(r.returncode, 0)


if __name__ == "__main__":
    runner.main()
