#!/usr/bin/env python3
"""Removal and in-use protection: a profile a task uses is never removed;
the removal waits, and happens once two scans some seconds apart found no
task using it.  Labels are parsed properly: stacks, hats and child
profiles, namespaces, threads, the legacy attr file, a pending exec.
Last line: "N passed, N failed"."""

import os
import sys
import time

sys.dont_write_bytecode = True
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import daemonlib  # noqa: E402
from daemonlib import REMOVAL_CONFIRM_S, profile  # noqa: E402
from lib import runner  # noqa: E402

A = profile("custom.a")
B = profile("custom.b", rules=("/etc/hostname r,",))
X = profile("custom.x", rules=("/var/** r,",))
AB = profile("custom.ab", rules=("/srv/** r,",))
QUIET_S = REMOVAL_CONFIRM_S * 1.75


class RemovalTest(daemonlib.DaemonTestCase):

    def start_with(self, payload, *extra, **kw):
        self.make_env()
        self.cm.write(payload)
        d = self.start_loader(*extra, **kw)
        for key in sorted(payload):
            d.wait_event("profile_loaded", key)
        return d

    def assert_kept(self, d, key, mark, profiles):
        """key's removal was asked for and must not have happened."""
        time.sleep(QUIET_S)
        self.assertEqual(self.removed(mark), [])
        self.assertEqual(self.fk.profiles(), profiles)
        self.assertIn(key, self.profile_files())
        self.assertIn(f"loaded {key} ", self.state())
        self.assertEqual(d.events("profile_removed"), [])

    def deferred(self, d, key):
        got = d.wait_event("profile_removal_deferred", key)
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0]["level"], "warn")
        return got[0]["msg"]

    def test_in_use_deferred_then_removed_when_free(self):
        d = self.start_with({"custom.a": A, "custom.b": B})
        self.fp.add_task(100, label="custom.a (enforce)")
        self.fp.add_task(200, label="unconfined")
        mark = self.fk.mark()
        self.cm.write({"custom.b": B})
        msg = self.deferred(d, "custom.a")
        self.assertEqual(msg, "Profile custom.a removal deferred: in use by pid 100 (task 100)")
        self.assert_kept(d, "custom.a", mark, {"custom.a": "enforce", "custom.b": "enforce"})
        # The task goes: two clean scans REMOVAL_CONFIRM_S apart, then the
        # removal.
        t0 = time.monotonic()
        self.fp.remove_task(100)
        d.wait_event("profile_removed", "custom.a")
        removes = self.fk.ops("remove", mark)
        self.assertEqual([e["names"] for e in removes], [["custom.a"]])
        self.assertGreaterEqual(removes[0]["mono"] - t0, REMOVAL_CONFIRM_S)
        self.assertEqual(self.fk.profiles(), {"custom.b": "enforce"})
        self.assertEqual(self.profile_files(), {"custom.b": B.encode()})
        self.assertNotIn("custom.a", self.state())
        self.assertEqual(len(d.events("profile_removal_deferred")), 1)

    def test_task_leaving_and_coming_back_restarts_the_confirmation(self):
        """A scan that finds the task again after a clean one starts the
        count over: no removal while the label keeps coming back."""
        d = self.start_with({"custom.a": A})
        self.fp.add_task(100, label="custom.a (enforce)")
        mark = self.fk.mark()
        self.cm.write({})
        self.deferred(d, "custom.a")
        deadline = time.monotonic() + 3 * REMOVAL_CONFIRM_S
        on = True
        while time.monotonic() < deadline:
            self.fp.set_label(100, label="unconfined" if on else "custom.a (enforce)")
            on = not on
            time.sleep(REMOVAL_CONFIRM_S * 0.3)
            self.assertEqual(self.removed(mark), [])
        self.fp.remove_task(100)
        d.wait_event("profile_removed", "custom.a")
        self.assertEqual(self.fk.profiles(), {})

    def test_stacked_label_defers(self):
        """custom.a//&custom.x: both profiles confine the task."""
        d = self.start_with({"custom.a": A, "custom.x": X})
        self.fp.add_task(300, label="custom.a//&custom.x (enforce)")
        mark = self.fk.mark()
        self.cm.write({"custom.a": A})
        self.assertEqual(self.deferred(d, "custom.x"),
                         "Profile custom.x removal deferred: in use by pid 300 (task 300)")
        self.assert_kept(d, "custom.x", mark, {"custom.a": "enforce", "custom.x": "enforce"})
        self.fp.set_label(300, label="custom.a (enforce)")
        d.wait_event("profile_removed", "custom.x")
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce"})
        self.assertEqual(self.removed(mark), ["custom.x"])

    def test_stacked_label_first_component_defers(self):
        d = self.start_with({"custom.a": A, "custom.x": X})
        self.fp.add_task(300, label="custom.a//&custom.x (mixed)")
        mark = self.fk.mark()
        self.cm.write({"custom.x": X})
        self.deferred(d, "custom.a")
        self.assert_kept(d, "custom.a", mark, {"custom.a": "enforce", "custom.x": "enforce"})

    def test_hat_label_defers_parent(self):
        """custom.a//hat is a child of custom.a: removing custom.a would
        remove the hat too."""
        d = self.start_with({"custom.a": A, "custom.b": B})
        self.fp.add_task(400, label="custom.a//hat (enforce)")
        mark = self.fk.mark()
        self.cm.write({"custom.b": B})
        self.assertEqual(self.deferred(d, "custom.a"),
                         "Profile custom.a removal deferred: in use by pid 400 (task 400)")
        self.assert_kept(d, "custom.a", mark, {"custom.a": "enforce", "custom.b": "enforce"})
        self.fp.remove_task(400)
        d.wait_event("profile_removed", "custom.a")
        self.assertEqual(self.removed(mark), ["custom.a"])

    def test_namespaced_label_defers(self):
        """The namespace is stripped before names are compared: in doubt,
        keep the profile."""
        d = self.start_with({"custom.a": A})
        self.fp.add_task(500, label=":tenant:custom.a (complain)")
        mark = self.fk.mark()
        self.cm.write({})
        self.deferred(d, "custom.a")
        self.assert_kept(d, "custom.a", mark, {"custom.a": "enforce"})

    def test_other_thread_defers(self):
        """Only a non-main thread carries the label."""
        d = self.start_with({"custom.a": A})
        self.fp.add_task(600, label="unconfined")
        self.fp.add_task(600, 601, label="custom.a (enforce)")
        mark = self.fk.mark()
        self.cm.write({})
        self.assertEqual(self.deferred(d, "custom.a"),
                         "Profile custom.a removal deferred: in use by pid 600 (task 601)")
        self.assert_kept(d, "custom.a", mark, {"custom.a": "enforce"})
        self.fp.remove_task(600, 601)
        d.wait_event("profile_removed", "custom.a")

    def test_legacy_attr_current_defers(self):
        """A kernel before 5.8: no attr/apparmor/, the label is in
        attr/current."""
        d = self.start_with({"custom.a": A})
        self.fp.add_task(700, label="custom.a (enforce)", apparmor=False)
        mark = self.fk.mark()
        self.cm.write({})
        self.deferred(d, "custom.a")
        self.assert_kept(d, "custom.a", mark, {"custom.a": "enforce"})

    def test_pending_exec_label_defers(self):
        """A task that asked for the profile at its next exec
        (aa_change_onexec): attr/apparmor/exec names it."""
        d = self.start_with({"custom.a": A})
        self.fp.add_task(800, label="unconfined")
        for rel in (("800", "task", "800"), ("800",)):
            path = os.path.join(self.fp.root, *rel, "attr", "apparmor", "exec")
            with open(path, "w", encoding="utf-8") as f:
                f.write("custom.a (enforce)\n")  # as the kernel prints it
        mark = self.fk.mark()
        self.cm.write({})
        self.deferred(d, "custom.a")
        self.assert_kept(d, "custom.a", mark, {"custom.a": "enforce"})

    def test_similar_names_do_not_defer(self):
        """Names are compared whole: custom.ab, custom.a.old, a hat named
        custom.a of another profile and an unconfined task do not hold
        custom.a."""
        d = self.start_with({"custom.a": A, "custom.ab": AB})
        self.fp.add_task(900, label="custom.ab (enforce)")
        self.fp.add_task(901, label="custom.a.old (enforce)")
        self.fp.add_task(902, label="custom.ab//custom.a (enforce)")
        self.fp.add_task(903, label="unconfined")
        self.fp.add_task(904, label="custom.abc//&custom.ab (enforce)")
        mark = self.fk.mark()
        self.cm.write({"custom.ab": AB})
        d.wait_event("profile_removed", "custom.a")
        self.assertEqual(self.removed(mark), ["custom.a"])
        self.assertEqual(self.fk.profiles(), {"custom.ab": "enforce"})
        self.assertEqual(d.events("profile_removal_deferred"), [])

    def test_key_back_before_removal_cancels_it(self):
        d = self.start_with({"custom.a": A, "custom.b": B})
        self.fp.add_task(100, label="custom.a (enforce)")
        mark = self.fk.mark()
        self.cm.write({"custom.b": B})
        self.deferred(d, "custom.a")
        self.cm.write({"custom.a": A, "custom.b": B})
        self.barrier(d)
        self.fp.remove_task(100)
        time.sleep(QUIET_S)
        self.assertEqual(self.removed(mark), [])
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce", "custom.b": "enforce",
                                              "custom.zz-barrier": "enforce"})
        self.assertEqual(self.profile_files()["custom.a"], A.encode())
        # Same content as loaded: nothing to reload.
        self.assertEqual([r["argv"][-1] for r in self.loads(mark) if ".custom.a." in r["argv"][-1]],
                         [])

    def test_unreadable_labels_defer(self):
        """The real /proc here: AppArmor is not in this kernel, so every
        task's label read fails (EINVAL).  A scan that cannot read every
        label is no clean scan: the removal is deferred."""
        self.make_env()
        self.cm.write({"custom.a": A, "custom.b": B})
        d = self.start_loader(proc=False)
        d.wait_event("profile_loaded", "custom.b")
        self.assertEqual(d.events("no_host_pid_namespace"), [])
        mark = self.fk.mark()
        self.cm.write({"custom.b": B})
        msg = self.deferred(d, "custom.a")
        self.assertRegex(msg, r"^Profile custom\.a removal deferred: cannot read the current "
                              r"label of task \d+/\d+: Invalid argument$")
        self.assert_kept(d, "custom.a", mark, {"custom.a": "enforce", "custom.b": "enforce"})

    def test_private_pid_namespace_defers_every_removal(self):
        """A /proc without a kernel thread as PID 2 is not the host's: the
        scan would not see other pods, so nothing is removed."""
        self.make_env()
        os.unlink(os.path.join(self.fp.root, "2", "stat"))
        os.rmdir(os.path.join(self.fp.root, "2"))
        self.cm.write({"custom.a": A, "custom.b": B})
        d = self.start_loader()
        d.wait_event("profile_loaded", "custom.b")
        warn = d.events("no_host_pid_namespace")
        self.assertEqual(len(warn), 1)
        self.assertEqual(warn[0]["level"], "warn")
        mark = self.fk.mark()
        self.cm.write({"custom.b": B})
        self.assertEqual(self.deferred(d, "custom.a"),
                         "Profile custom.a removal deferred: no kernel thread is visible as PID 2 "
                         "in the proc directory: not the host PID namespace (no hostPID)")
        self.assert_kept(d, "custom.a", mark, {"custom.a": "enforce", "custom.b": "enforce"})

    def test_in_use_protection_off_removes_at_once(self):
        d = self.start_with({"custom.a": A, "custom.b": B}, "--in-use-protection=false")
        self.fp.add_task(100, label="custom.a (enforce)")
        mark = self.fk.mark()
        t0 = time.monotonic()
        self.cm.write({"custom.b": B})
        d.wait_event("profile_removed", "custom.a")
        removes = self.fk.ops("remove", mark)
        self.assertEqual([e["names"] for e in removes], [["custom.a"]])
        self.assertLess(removes[0]["mono"] - t0, REMOVAL_CONFIRM_S)
        self.assertEqual(self.fk.profiles(), {"custom.b": "enforce"})
        self.assertEqual(d.events("profile_removal_deferred"), [])

    def test_remove_of_a_profile_gone_from_the_kernel(self):
        """Someone else removed the profile already: the removal still
        completes (file and state entry go)."""
        d = self.start_with({"custom.a": A, "custom.b": B})
        mark = self.fk.mark()
        from lib.libapparmor import KernelInterface
        with KernelInterface(self.fk.path, features=daemonlib.FEATURES) as ki:
            ki.remove("custom.a")
        self.cm.write({"custom.b": B})
        d.wait_event("profile_removed", "custom.a")
        self.assertEqual(self.profile_files(), {"custom.b": B.encode()})
        self.assertNotIn("custom.a", self.state())
        self.assertEqual(self.fk.profiles(), {"custom.b": "enforce"})
        self.assertEqual(d.events("profile_remove_failed"), [])
        self.assertEqual(len(self.removed(mark)), 2)


if __name__ == "__main__":
    runner.main()
