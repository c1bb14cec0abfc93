#!/usr/bin/env python3
"""The daemon's life cycle against the fake apparmorfs and the real
apparmor_parser: add, change through kubelet's ..data swap, a bad change
that keeps the old profile, delete, a plain directory, inotify without
polling, an unreadable snapshot, a quiet resync, SIGTERM.
Last line: "N passed, N failed"."""

import hashlib
import os
import signal
import sys
import time

sys.dont_write_bytecode = True
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import daemonlib  # noqa: E402
from daemonlib import FEATURES, REMOVAL_CONFIRM_S, profile, rejected_profile  # noqa: E402
from lib import procs, runner  # noqa: E402

A = profile("custom.a")
A2 = profile("custom.a", rules=("/usr/** r,", "/srv/** r,"))
A3 = profile("custom.a", rules=("/opt/** r,",))
B = profile("custom.b", rules=("/etc/hostname r,",))
# Long enough to see that nothing is removed: a removal needs two clean
# scans REMOVAL_CONFIRM_S apart and the loader rescans every half of that.
QUIET_S = REMOVAL_CONFIRM_S * 1.75


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


class LifecycleTest(daemonlib.DaemonTestCase):

    def keyed_events(self, d, process="loader"):
        return [(e["event"], e["key"]) for e in d.events(process=process) if "key" in e]

    def loader_errors(self, d):
        return [e for e in d.events(process="loader") if e["level"] == "error"]

    def test_add(self):
        self.make_env()
        self.cm.write({"custom.a": A, "custom.b": B})
        d = self.start_loader()
        d.wait_event("profile_loaded", "custom.b")
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce", "custom.b": "enforce"})
        self.assertEqual(self.profile_files(), {"custom.a": A.encode(), "custom.b": B.encode()})
        for key in ("custom.a", "custom.b"):
            st = os.lstat(os.path.join(self.pd, key))
            self.assertEqual((st.st_uid, st.st_gid, daemonlib.file_mode(os.path.join(self.pd, key))),
                             (0, 0, 0o644))
        self.assertEqual(self.replaced(), ["custom.a", "custom.b"])
        self.assertEqual(self.removed(), [])
        # One parser run per key, with the fixed argv, on a temporary file
        # of the profiles directory.
        runs = self.loads()
        self.assertEqual(len(runs), 2)
        for run, key in zip(runs, ("custom.a", "custom.b")):
            self.assertEqual(run["rc"], 0)
            self.assertEqual(run["argv"][:-1], ["--replace", "--skip-cache", "--jobs=0",
                                                "--subdomainfs", self.fk.path,
                                                "--kernel-features", FEATURES])
            self.assertEqual(os.path.dirname(run["argv"][-1]), self.pd)
            self.assertTrue(os.path.basename(run["argv"][-1]).startswith(f".{key}.tmp."), run["argv"])
        self.assertEqual(self.keyed_events(d), [("profile_loaded", "custom.a"),
                                                ("profile_loaded", "custom.b")])
        self.assertEqual(d.events("profile_loaded", "custom.a")[0]["msg"].split(" (")[0],
                         "Profile custom.a loaded")
        self.assertIn(f"sha256 {sha(A)}", d.events("profile_loaded", "custom.a")[0]["msg"])
        self.assertIn(f"loaded custom.a {sha(A)} {self.fp.boot_id}", self.state())
        self.assertIn(f"loaded custom.b {sha(B)} {self.fp.boot_id}", self.state())
        self.assertEqual(self.loader_errors(d), [])

    def test_change_via_data_swap(self):
        self.make_env()
        self.cm.write({"custom.a": A, "custom.b": B})
        d = self.start_loader()
        d.wait_event("profile_loaded", "custom.b")
        mark = self.fk.mark()
        self.cm.write({"custom.a": A2, "custom.b": B})
        d.wait_event("profile_replaced", "custom.a")
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce", "custom.b": "enforce"})
        self.assertEqual(self.profile_files(), {"custom.a": A2.encode(), "custom.b": B.encode()})
        self.assertEqual(self.replaced(mark), ["custom.a"])
        self.assertEqual(self.removed(mark), [])
        self.assertEqual(len(self.loads(mark)), 1)
        self.assertIn(f"sha256 {sha(A2)}", d.events("profile_replaced", "custom.a")[0]["msg"])
        self.assertIn(f"loaded custom.a {sha(A2)} ", self.state())
        self.assertNotIn(sha(A), self.state())
        # No temporary file is left behind.
        self.assertEqual(sorted(os.listdir(self.pd)), [".kapparmor-state", "custom.a", "custom.b"])

    def test_bad_change_rejected_keeps_old_profile(self):
        self.make_env()
        self.cm.write({"custom.a": A, "custom.b": B})
        d = self.start_loader()
        d.wait_event("profile_loaded", "custom.b")
        mark = self.fk.mark()
        state_before = self.state()
        self.cm.write({"custom.a": rejected_profile("custom.a"), "custom.b": B})
        rej = d.wait_event("profile_rejected", "custom.a", process="watcher")
        self.assertEqual(len(rej), 1)
        self.assertIn("extra-profile: line 4:", rej[0]["msg"])
        self.barrier(d)
        time.sleep(QUIET_S)
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce", "custom.b": "enforce",
                                              "custom.zz-barrier": "enforce"})
        self.assertEqual(self.profile_files()["custom.a"], A.encode())
        self.assertEqual(self.replaced(mark), ["custom.zz-barrier"])
        self.assertEqual(self.removed(mark), [])
        # The loader never saw the content: no parser run for custom.a.
        self.assertEqual([r["argv"][-1] for r in self.loads(mark)
                          if ".custom.a." in r["argv"][-1]], [])
        self.assertIn(f"loaded custom.a {sha(A)} ", self.state())
        self.assertIn(f"loaded custom.a {sha(A)} ", state_before)
        self.assertEqual(d.events("profile_removal_deferred"), [])
        self.assertEqual(d.events("profile_removed"), [])

    def test_bad_change_parser_fails_keeps_old_profile(self):
        """The parser refuses the update (the kernel interface fails): the
        old file and the old kernel profile stay; the same content is not
        retried at every resync; a new content is tried at once."""
        self.make_env()
        self.cm.write({"custom.a": A, "custom.b": B})
        d = self.start_loader(poll=1)
        d.wait_event("profile_loaded", "custom.b")
        self.fk.break_iface("replace", how="eisdir")
        mark = self.fk.mark()
        self.cm.write({"custom.a": A2, "custom.b": B})
        failed = d.wait_event("profile_load_failed", "custom.a")
        self.assertEqual(failed[0]["level"], "warn")
        self.assertIn(f"(sha256 {sha(A2)})", failed[0]["msg"])
        self.assertTrue(failed[0]["msg"].endswith("; the previous version stays loaded"),
                        failed[0]["msg"])
        runs = self.loads(mark)
        self.assertEqual(len(runs), 1)
        self.assertEqual(runs[0]["rc"], 235)  # -EISDIR: "Unable to replace"
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce", "custom.b": "enforce"})
        self.assertEqual(self.profile_files(), {"custom.a": A.encode(), "custom.b": B.encode()})
        self.assertEqual(sorted(os.listdir(self.pd)), [".kapparmor-state", "custom.a", "custom.b"])
        self.assertIn(f"loaded custom.a {sha(A)} ", self.state())
        # Three full resyncs (one a second) later: no new attempt, nothing
        # removed.
        opens = daemonlib.FileOpens(os.path.join(self.cmdir, self.cm.data_dir()), "custom.a")
        self.addCleanup(opens.close)
        opens.wait(3, timeout=10)
        self.assertEqual(len(self.loads(mark)), 1)
        self.assertEqual(self.removed(mark), [])
        self.assertEqual(len(d.events("profile_load_failed", "custom.a")), 1)
        # A new content is tried at once, and loads once the kernel takes it.
        self.fk.heal()
        self.cm.write({"custom.a": A3, "custom.b": B})
        d.wait_event("profile_replaced", "custom.a")
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce", "custom.b": "enforce"})
        self.assertEqual(self.profile_files()["custom.a"], A3.encode())
        self.assertEqual(len(self.loads(mark)), 2)
        self.assertEqual(self.removed(mark), [])

    def test_loader_revalidates_what_the_watcher_sends(self):
        """A watcher that lets more through than the loader's policy (here:
        started with --policy permissive while the loader has baseline)
        gets its Apply refused by the loader's own validation; the old
        profile stays."""
        self.make_env()
        self.cm.write({"custom.a": A})
        d = self.start_loader(watcher_args={"--policy": "permissive"})
        d.wait_event("profile_loaded", "custom.a")
        mark = self.fk.mark()
        complain = profile("custom.a", flags="complain")
        self.cm.write({"custom.a": complain, "custom.b": profile("custom.b", flags="complain")})
        rej = d.wait_event("profile_rejected", "custom.b", process="loader")
        rej = d.events("profile_rejected", process="loader")
        self.assertEqual([(e["key"], e["level"], e["msg"]) for e in rej], [
            ("custom.a", "warn", "Profile custom.a rejected by the loader: complain-mode: line 1: "
                                 "flag 'complain' is not allowed by policy baseline"),
            ("custom.b", "warn", "Profile custom.b rejected by the loader: complain-mode: line 1: "
                                 "flag 'complain' is not allowed by policy baseline")])
        self.assertEqual(d.events("profile_rejected", process="watcher"), [])
        self.barrier(d)
        self.assertEqual(self.loads(mark), self.loads(mark)[-1:])  # the barrier only
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce", "custom.zz-barrier": "enforce"})
        self.assertEqual(self.profile_files()["custom.a"], A.encode())
        self.assertNotIn("custom.b", self.profile_files())
        self.assertEqual(self.removed(mark), [])

    def test_delete(self):
        self.make_env()
        self.cm.write({"custom.a": A, "custom.b": B})
        d = self.start_loader()
        d.wait_event("profile_loaded", "custom.b")
        mark = self.fk.mark()
        t0 = time.monotonic()
        self.cm.write({"custom.b": B})
        d.wait_event("profile_removed", "custom.a")
        self.assertEqual(self.fk.profiles(), {"custom.b": "enforce"})
        self.assertEqual(self.profile_files(), {"custom.b": B.encode()})
        removes = self.fk.ops("remove", mark)
        self.assertEqual([(e["names"], e["missing"]) for e in removes], [(["custom.a"], False)])
        # Two clean scans at least REMOVAL_CONFIRM_S apart came first.
        self.assertGreaterEqual(removes[0]["mono"] - t0, REMOVAL_CONFIRM_S)
        self.assertEqual(self.loads(mark), [])
        self.assertNotIn("custom.a", self.state())
        self.assertIn("custom.b", self.state())
        self.assertEqual(d.events("profile_removal_deferred"), [])
        self.assertEqual(self.keyed_events(d)[-1], ("profile_removed", "custom.a"))

    def test_delete_every_key(self):
        """An empty ConfigMap (it can be read: it holds no key) retires
        every profile."""
        self.make_env()
        self.cm.write({"custom.a": A, "custom.b": B})
        d = self.start_loader()
        d.wait_event("profile_loaded", "custom.b")
        mark = self.fk.mark()
        self.cm.write({})
        d.wait_event("profile_removed", "custom.a")
        d.wait_event("profile_removed", "custom.b")
        self.assertEqual(self.fk.profiles(), {})
        self.assertEqual(self.profile_files(), {})
        self.assertEqual(sorted(self.removed(mark)), ["custom.a", "custom.b"])

    def test_plain_directory(self):
        """No ..data (hostPath, tests): a rename, an in-place write and an
        unlink are each picked up."""
        self.make_env(plain=True)
        self.cm.set("custom.a", A)
        d = self.start_loader()
        d.wait_event("profile_loaded", "custom.a")
        self.cm.set("custom.a", A2)                    # rename: IN_MOVED_TO
        d.wait_event("profile_replaced", "custom.a")
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce"})
        self.cm.set("custom.a", A3, inplace=True)      # IN_CLOSE_WRITE
        d.wait_event("profile_replaced", "custom.a", count=2)
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce"})
        self.assertEqual(self.profile_files(), {"custom.a": A3.encode()})
        self.cm.set("custom.b", B)
        d.wait_event("profile_loaded", "custom.b")
        mark = self.fk.mark()
        self.cm.delete("custom.a")                     # IN_DELETE
        d.wait_event("profile_removed", "custom.a")
        self.assertEqual(self.fk.profiles(), {"custom.b": "enforce"})
        self.assertEqual(self.profile_files(), {"custom.b": B.encode()})
        self.assertEqual(self.removed(mark), ["custom.a"])
        self.assertEqual(len(self.loads()), 4)

    def test_inotify_without_poll(self):
        """With a resync only every hour, changes still arrive at once."""
        self.make_env()
        self.cm.write({"custom.a": A})
        d = self.start_loader(poll=3600)
        d.wait_event("profile_loaded", "custom.a")
        for i, (text, event, count) in enumerate(((A2, "profile_replaced", 1),
                                                  (A3, "profile_replaced", 2))):
            t0 = time.monotonic()
            self.cm.write({"custom.a": text})
            d.wait_event(event, "custom.a", count=count, timeout=5)
            self.assertLess(time.monotonic() - t0, 5)
        t0 = time.monotonic()
        self.cm.write({"custom.a": A3, "custom.b": B})
        d.wait_event("profile_loaded", "custom.b", timeout=5)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce", "custom.b": "enforce"})

    def test_dangling_data_removes_nothing(self):
        """..data points nowhere (a half-made volume): the watcher says so
        once, sends no key set, and nothing is removed; once it is
        readable again, the loader converges."""
        self.make_env()
        self.cm.write({"custom.a": A, "custom.b": B})
        d = self.start_loader()
        d.wait_event("profile_loaded", "custom.b")
        mark = self.fk.mark()
        good = self.cm.data_dir()
        tmp = os.path.join(self.cmdir, "..data_tmp")
        os.symlink("..2000_01_01_00_00_00.missing", tmp)
        os.rename(tmp, os.path.join(self.cmdir, "..data"))
        d.wait_event("configmap_unreadable", process="watcher")
        time.sleep(QUIET_S)
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce", "custom.b": "enforce"})
        self.assertEqual(self.profile_files(), {"custom.a": A.encode(), "custom.b": B.encode()})
        self.assertEqual(self.fk.ops(("remove", "replace", "parser"), mark), [])
        self.assertEqual(len(d.events("configmap_unreadable")), 1)
        # Readable again, without custom.b: now it goes.
        os.symlink(good, tmp)
        os.rename(tmp, os.path.join(self.cmdir, "..data"))
        d.wait_event("configmap_readable", process="watcher")
        self.cm.write({"custom.a": A})
        d.wait_event("profile_removed", "custom.b")
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce"})
        self.assertEqual(self.removed(mark), ["custom.b"])
        self.assertEqual(self.loads(mark), [])

    def test_vanished_directory_removes_nothing(self):
        self.make_env()
        self.cm.write({"custom.a": A, "custom.b": B})
        d = self.start_loader()
        d.wait_event("profile_loaded", "custom.b")
        mark = self.fk.mark()
        os.rename(self.cmdir, self.cmdir + ".gone")
        d.wait_event("configmap_unreadable", process="watcher")
        time.sleep(QUIET_S)
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce", "custom.b": "enforce"})
        self.assertEqual(self.profile_files(), {"custom.a": A.encode(), "custom.b": B.encode()})
        self.assertEqual(self.fk.ops(("remove", "replace"), mark), [])
        self.assertTrue(d.running())

    def test_resync_with_nothing_changed_runs_no_parser(self):
        self.make_env()
        self.cm.write({"custom.a": A, "custom.b": B})
        d = self.start_loader("--log-level", "debug", poll=1)
        d.wait_event("profile_loaded", "custom.b")
        opens = daemonlib.FileOpens(os.path.join(self.cmdir, self.cm.data_dir()), "custom.a")
        self.addCleanup(opens.close)
        mark = self.fk.mark()
        # Every full pass reads every key; the watcher starts a pass only
        # after the loader answered the previous one's sync.
        opens.wait(4, timeout=15)
        runs = self.parser_runs(mark)
        print(f"    parser runs during {opens.poll() - 1} full resyncs with nothing changed: "
              f"{len(runs)}", flush=True)
        self.assertEqual(runs, [])
        self.assertEqual(self.fk.ops(("replace", "remove"), mark), [])
        # Nothing changed: the watcher offers nothing, the loader logs
        # nothing about any key.
        self.assertEqual(self.keyed_events(d), [("profile_loaded", "custom.a"),
                                                ("profile_loaded", "custom.b")])

    def test_sigterm_unloads_nothing(self):
        self.make_env()
        self.cm.write({"custom.a": A, "custom.b": B})
        d = self.start_loader()
        d.wait_event("profile_loaded", "custom.b")
        watcher = d.watcher_pid()
        mark = self.fk.mark()
        state = self.state()
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait(timeout=10), daemonlib.EXIT_OK)
        self.assertEqual(len(d.events("shutdown", process="loader")), 1)
        procs.wait_until(lambda: not procs.alive(watcher), 5, what="watcher gone")
        self.assertEqual(self.fk.ops(("remove", "replace", "parser"), mark), [])
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce", "custom.b": "enforce"})
        self.assertEqual(self.profile_files(), {"custom.a": A.encode(), "custom.b": B.encode()})
        self.assertEqual(self.state(), state)

    def test_sigint_unloads_nothing(self):
        self.make_env()
        self.cm.write({"custom.a": A})
        d = self.start_loader()
        d.wait_event("profile_loaded", "custom.a")
        mark = self.fk.mark()
        d.signal(signal.SIGINT)
        self.assertEqual(d.wait(timeout=10), daemonlib.EXIT_OK)
        self.assertEqual(self.fk.ops(("remove", "replace"), mark), [])
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce"})


if __name__ == "__main__":
    runner.main()
