#!/usr/bin/env python3
"""Restarts and ownership: a reboot reloads everything from the state
before the first sync; a restart with nothing changed runs no parser; the
watcher or the loader dying unloads nothing; files the daemon did not
write are never touched, or adopted with one warning when a key names
them; a lost state file is re-derived.
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
from daemonlib import REMOVAL_CONFIRM_S, profile  # noqa: E402
from lib import procs, runner  # noqa: E402

A = profile("custom.a")
A2 = profile("custom.a", rules=("/usr/** r,", "/srv/** r,"))
B = profile("custom.b", rules=("/etc/hostname r,",))
C = profile("custom.c", rules=("/var/** r,",))
QUIET_S = REMOVAL_CONFIRM_S * 1.75
OLD_MTIME = 1_000_000_000  # 2001


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


class RestartTest(daemonlib.DaemonTestCase):

    def first_run(self, payload, *extra):
        self.make_env()
        self.cm.write(payload)
        d = self.start_loader(*extra, name="loader-1")
        for key in sorted(payload):
            d.wait_event("profile_loaded", key)
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait(timeout=10), daemonlib.EXIT_OK)
        return d

    def passes(self, key="custom.a"):
        opens = daemonlib.FileOpens(os.path.join(self.cmdir, self.cm.data_dir()), key)
        self.addCleanup(opens.close)
        return opens

    def keyed(self, d):
        return [(e["event"], e["key"]) for e in d.events(process="loader") if "key" in e]

    def test_restart_with_nothing_changed_runs_no_parser(self):
        self.first_run({"custom.a": A, "custom.b": B})
        mark = self.fk.mark()
        opens = self.passes()
        # A one-second resync: the second pass starts only after the loader
        # answered the first one's sync.
        d = self.start_loader("--log-level", "debug", name="loader-2", poll=1)
        opens.wait(2)
        boot = d.events("boot_reload")
        self.assertEqual([e["msg"] for e in boot],
                         ["start-up: 0 profile(s) reloaded, 2 already loaded in this boot"])
        # (The wrapper logs runs with --subdomainfs: not the loader's
        # `apparmor_parser --version` at start-up, which compiles nothing.)
        runs = self.parser_runs(mark)
        print(f"    parser runs for a restart with nothing changed: {len(runs)}", flush=True)
        self.assertEqual(runs, [])
        self.assertEqual(self.fk.ops(("replace", "remove"), mark), [])
        # The watcher offered both keys (it starts with an empty table); the
        # loader answered from its state without a parser.
        self.assertEqual(self.keyed(d), [("profile_unchanged", "custom.a"),
                                         ("profile_unchanged", "custom.b")])
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce", "custom.b": "enforce"})

    def test_reboot_reloads_everything_before_the_first_sync(self):
        self.first_run({"custom.a": A, "custom.b": B})
        files = self.profile_files()
        self.fk.clear()
        self.fp.reboot()
        self.assertEqual(self.fk.profiles(), {})
        mark = self.fk.mark()
        opens = self.passes()
        d = self.start_loader("--log-level", "debug", name="loader-2", poll=1)
        opens.wait(2)
        self.assertEqual([e["msg"] for e in d.events("boot_reload")],
                         ["start-up: 2 profile(s) reloaded, 0 already loaded in this boot"])
        # Reloaded from the files in the profiles directory (not from the
        # watcher), before the watcher's first Apply was answered.
        self.assertEqual(self.keyed(d), [("profile_reloaded", "custom.a"),
                                         ("profile_reloaded", "custom.b"),
                                         ("profile_unchanged", "custom.a"),
                                         ("profile_unchanged", "custom.b")])
        names = d.event_names(process="loader")
        self.assertLess(names.index("boot_reload"), names.index("profile_unchanged"))
        loads = self.loads(mark)
        self.assertEqual([r["argv"][-1] for r in loads],
                         [os.path.join(self.pd, "custom.a"), os.path.join(self.pd, "custom.b")])
        self.assertEqual(self.replaced(mark), ["custom.a", "custom.b"])
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce", "custom.b": "enforce"})
        self.assertEqual(self.profile_files(), files)
        self.assertIn(f"loaded custom.a {sha(A)} {self.fp.boot_id} ", self.state())
        self.assertIn(f"loaded custom.b {sha(B)} {self.fp.boot_id} ", self.state())
        self.assertEqual(d.events("profile_missing_from_kernel"), [])

    def test_new_boot_id_alone_reloads(self):
        """Same kernel list, new boot id: the state says nothing was
        loaded in this boot, so everything is loaded again."""
        self.first_run({"custom.a": A})
        self.fp.reboot()
        mark = self.fk.mark()
        d = self.start_loader(name="loader-2")
        d.wait_event("boot_reload")
        self.assertEqual([e["msg"] for e in d.events("boot_reload")],
                         ["start-up: 1 profile(s) reloaded, 0 already loaded in this boot"])
        self.assertEqual(self.replaced(mark), ["custom.a"])

    def test_profile_lost_from_kernel_same_boot_reloads(self):
        """Same boot, but the kernel lost a profile (someone removed it):
        only that one is loaded again."""
        self.first_run({"custom.a": A, "custom.b": B})
        from lib.libapparmor import KernelInterface
        with KernelInterface(self.fk.path, features=daemonlib.FEATURES) as ki:
            ki.remove("custom.b")
        mark = self.fk.mark()
        d = self.start_loader(name="loader-2")
        d.wait_event("boot_reload")
        self.assertEqual([e["msg"] for e in d.events("boot_reload")],
                         ["start-up: 1 profile(s) reloaded, 1 already loaded in this boot"])
        self.assertEqual(self.replaced(mark), ["custom.b"])
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce", "custom.b": "enforce"})

    def test_changes_while_down_are_applied_after_restart(self):
        self.first_run({"custom.a": A, "custom.b": B})
        mark = self.fk.mark()
        self.cm.write({"custom.a": A2, "custom.c": C})
        d = self.start_loader(name="loader-2")
        d.wait_event("profile_replaced", "custom.a")
        d.wait_event("profile_loaded", "custom.c")
        d.wait_event("profile_removed", "custom.b")
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce", "custom.c": "enforce"})
        self.assertEqual(self.profile_files(), {"custom.a": A2.encode(), "custom.c": C.encode()})
        self.assertEqual(sorted(self.replaced(mark)), ["custom.a", "custom.c"])
        self.assertEqual(self.removed(mark), ["custom.b"])

    def test_watcher_killed_loader_exits_and_unloads_nothing(self):
        self.make_env()
        self.cm.write({"custom.a": A, "custom.b": B})
        d = self.start_loader()
        d.wait_event("profile_loaded", "custom.b")
        mark = self.fk.mark()
        state = self.state()
        watcher = d.watcher_pid()
        os.kill(watcher, signal.SIGKILL)
        self.assertEqual(d.wait(timeout=10), daemonlib.EXIT_WATCHER_DIED)
        died = d.events("watcher_exited")
        self.assertEqual(len(died), 1)
        self.assertEqual(died[0]["level"], "error")
        self.assertIn("status 137", died[0]["msg"])
        self.assertEqual(self.fk.ops(("remove", "replace", "parser"), mark), [])
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce", "custom.b": "enforce"})
        self.assertEqual(self.profile_files(), {"custom.a": A.encode(), "custom.b": B.encode()})
        self.assertEqual(self.state(), state)

    def test_watcher_terminated_loader_exits_nonzero(self):
        self.make_env()
        self.cm.write({"custom.a": A})
        d = self.start_loader()
        d.wait_event("profile_loaded", "custom.a")
        mark = self.fk.mark()
        os.kill(d.watcher_pid(), signal.SIGTERM)
        self.assertEqual(d.wait(timeout=5), daemonlib.EXIT_WATCHER_DIED)
        self.assertEqual(len(d.events("watcher_exited")), 1)
        self.assertEqual(self.fk.ops(("remove", "replace"), mark), [])
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce"})

    def test_loader_killed_watcher_follows_and_nothing_is_unloaded(self):
        self.make_env()
        self.cm.write({"custom.a": A})
        d = self.start_loader()
        d.wait_event("profile_loaded", "custom.a")
        watcher = d.watcher_pid()
        mark = self.fk.mark()
        os.kill(d.pid, signal.SIGKILL)
        self.assertEqual(d.wait(timeout=10), -signal.SIGKILL)
        procs.wait_until(lambda: not procs.alive(watcher), 5, what="watcher gone after its loader")
        self.assertEqual(self.fk.ops(("remove", "replace"), mark), [])
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce"})
        # The next start finds everything in place.
        mark = self.fk.mark()
        d2 = self.start_loader(name="loader-2")
        d2.wait_event("boot_reload")
        self.assertEqual([e["msg"] for e in d2.events("boot_reload")],
                         ["start-up: 0 profile(s) reloaded, 1 already loaded in this boot"])
        self.barrier(d2)
        self.assertEqual(self.replaced(mark), ["custom.zz-barrier"])

    def test_unmanaged_files_are_never_touched(self):
        self.make_env()
        others = {"local-profile": b"profile local { }\n",        # not a key name
                  "custom.other": b"profile custom.other { }\n",  # key name, no key, no state
                  "README": b"hands off\n"}
        for name, data in others.items():
            path = os.path.join(self.pd, name)
            with open(path, "wb") as f:
                f.write(data)
            os.utime(path, (OLD_MTIME, OLD_MTIME))
        before = {n: os.lstat(os.path.join(self.pd, n)) for n in others}
        self.cm.write({"custom.a": A, "custom.b": B})
        d = self.start_loader(poll=1)
        d.wait_event("profile_loaded", "custom.b")
        self.cm.write({"custom.a": A2})
        d.wait_event("profile_replaced", "custom.a")
        d.wait_event("profile_removed", "custom.b")
        opens = self.passes()
        opens.wait(2)
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait(timeout=10), 0)
        files = self.profile_files()
        for name, data in others.items():
            st = os.lstat(os.path.join(self.pd, name))
            self.assertEqual(files[name], data)
            self.assertEqual((st.st_mtime_ns, st.st_ino, st.st_mode),
                             (before[name].st_mtime_ns, before[name].st_ino, before[name].st_mode))
        self.assertEqual(sorted(files), ["README", "custom.a", "custom.other", "local-profile"])
        self.assertNotIn("custom.other", self.state())
        self.assertEqual(sorted(e["msg"].split("/")[-1].split(" ")[0]
                                for e in d.events("unmanaged_file")),
                         ["README", "custom.other", "local-profile"])
        self.assertEqual(self.fk.names("remove"), ["custom.b"])

    def test_unmanaged_key_named_file_is_logged(self):
        """A file named like a key that is neither in the state nor in the
        ConfigMap is not ours either: the issue asks for it to be logged
        once, like every other file that is not ours."""
        self.make_env()
        with open(os.path.join(self.pd, "custom.other"), "w", encoding="utf-8") as f:
            f.write("profile custom.other { }\n")
        self.cm.write({"custom.a": A})
        d = self.start_loader()
        d.wait_event("profile_loaded", "custom.a")
        self.assertEqual([(e["key"], e["msg"]) for e in d.events("unmanaged_file")],
                         [("custom.other",
                           f"{self.pd}/custom.other was not written by this daemon: it is "
                           "adopted only if the ConfigMap has this key, and never removed "
                           "otherwise")])

    def test_file_not_written_by_us_is_adopted_with_one_warning(self):
        """The original daemon left /etc/apparmor.d/custom/custom.a and the
        kernel profile; no state.  The key names it: adopted (replaced by
        the ConfigMap's content), one warning, then managed as ours."""
        self.make_env()
        old = b"profile custom.a {\n  /old/** r,\n}\n"
        with open(os.path.join(self.pd, "custom.a"), "wb") as f:
            f.write(old)
        self.fk.preload({"custom.a": "enforce"})
        mark = self.fk.mark()
        self.cm.write({"custom.a": A})
        d = self.start_loader()
        d.wait_event("profile_loaded", "custom.a")
        adopted = d.events("profile_adopted")
        self.assertEqual(len(adopted), 1)
        self.assertEqual((adopted[0]["level"], adopted[0]["key"]), ("warn", "custom.a"))
        self.assertEqual(adopted[0]["msg"], f"Profile custom.a: adopting {self.pd}/custom.a, "
                                            "which this daemon did not write")
        self.assertEqual(self.profile_files(), {"custom.a": A.encode()})
        self.assertEqual(self.replaced(mark), ["custom.a"])
        self.assertIn(f"loaded custom.a {sha(A)} ", self.state())
        # From now on it is ours: a change is a replace, no new warning; a
        # delete removes it.
        self.cm.write({"custom.a": A2})
        d.wait_event("profile_replaced", "custom.a")
        self.cm.write({})
        d.wait_event("profile_removed", "custom.a")
        self.assertEqual(len(d.events("profile_adopted")), 1)
        self.assertEqual(self.fk.profiles(), {})
        self.assertEqual(self.profile_files(), {})

    def test_kernel_profile_without_file_is_not_removed_unless_ours(self):
        """A kernel profile named custom.x that no state or file backs and
        that leaves no key: never removed (not ours)."""
        self.make_env()
        self.fk.preload({"custom.x": "enforce", "docker-default": "enforce"})
        self.cm.write({"custom.a": A})
        d = self.start_loader()
        d.wait_event("profile_loaded", "custom.a")
        self.cm.write({})
        d.wait_event("profile_removed", "custom.a")
        time.sleep(QUIET_S)
        self.assertEqual(self.fk.names("remove"), ["custom.a"])
        self.assertEqual(self.fk.profiles(), {"custom.x": "enforce", "docker-default": "enforce"})

    def test_lost_state_is_rederived_from_the_keys(self):
        """The state file is gone: files named by a key are adopted and
        re-validated; nothing else is touched."""
        self.first_run({"custom.a": A, "custom.b": B})
        os.unlink(os.path.join(self.pd, daemonlib.STATE_FILE))
        mark = self.fk.mark()
        self.cm.write({"custom.a": A})  # custom.b left while we were down
        d = self.start_loader(name="loader-2")
        d.wait_event("profile_loaded", "custom.a")
        self.barrier(d)
        time.sleep(QUIET_S)
        self.assertEqual([e["key"] for e in d.events("profile_adopted")], ["custom.a"])
        self.assertEqual(len(d.events("state_missing")), 1)
        # custom.b: not ours any more (no state, no key): left alone.
        self.assertEqual(self.removed(mark), [])
        self.assertEqual(self.profile_files(), {"custom.a": A.encode(), "custom.b": B.encode(),
                                                "custom.zz-barrier": self.profile_files()["custom.zz-barrier"]})
        self.assertIn(f"loaded custom.a {sha(A)} ", self.state())
        self.assertNotIn("custom.b", self.state())

    def test_corrupt_state_is_ignored_with_a_warning(self):
        self.first_run({"custom.a": A})
        with open(os.path.join(self.pd, daemonlib.STATE_FILE), "w", encoding="utf-8") as f:
            f.write("kapparmor-state 1\nloaded custom.a zz not-a-boot-id\n")
        mark = self.fk.mark()
        d = self.start_loader(name="loader-2")
        d.wait_event("profile_loaded", "custom.a")
        unusable = d.events("state_unusable")
        self.assertEqual(len(unusable), 1)
        self.assertEqual(unusable[0]["level"], "warn")
        self.assertEqual([e["key"] for e in d.events("profile_adopted")], ["custom.a"])
        self.assertEqual(self.replaced(mark), ["custom.a"])
        self.assertIn(f"loaded custom.a {sha(A)} {self.fp.boot_id} ", self.state())

    def test_stale_temporary_files_are_cleaned(self):
        """A crash between the temporary file and its rename leaves
        .<key>.tmp.XXXXXX: removed at the next start."""
        self.first_run({"custom.a": A})
        stale = os.path.join(self.pd, ".custom.a.tmp.Ab12Cd")
        with open(stale, "w", encoding="utf-8") as f:
            f.write(A2)
        d = self.start_loader(name="loader-2")
        d.wait_event("boot_reload")
        self.assertEqual([e["msg"] for e in d.events("stale_temporaries")],
                         ["removed 1 temporary files left by a crash"])
        self.assertFalse(os.path.lexists(stale))
        self.assertEqual(self.profile_files(), {"custom.a": A.encode()})


if __name__ == "__main__":
    runner.main()
