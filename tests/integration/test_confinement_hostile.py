#!/usr/bin/env python3
"""A compromised watcher (issue 5): the real loader, with its filter on,
runs tests/proto/hostile_watcher in place of kapparmor-watcher (through a
symlink hostile-NAME: the loader passes a fixed argv and no environment).

For every scenario the loader must answer as specified - a protocol
violation ends it with exit 3 and a `protocol_violation` line, hostile
content is rejected with a Result and it keeps running, a Remove of a key it
does not manage is answered not_managed - and it must never write outside
its profiles directory, never load or remove a profile it does not manage,
keep its memory bounded through a burst of 10 000 Applies, and never die of
its seccomp filter.
"""

import sys

sys.dont_write_bytecode = True

import os  # noqa: E402
import time  # noqa: E402

import test_confinement_common as cc  # noqa: E402
from lib import procs, runner  # noqa: E402

# Loaded by someone else before the loader starts: never to be touched.
FOREIGN = {"docker-default": "enforce", "/usr/sbin/cupsd": "enforce",
           "custom.unmanaged": "enforce"}
MIB = 1024 * 1024
# The loader's memory through the burst: its high-water mark, and how much
# it may grow over its first reading (one frame, the key set, the profile
# list are all it holds).
BURST_HWM_LIMIT = 64 * MIB
BURST_GROWTH_LIMIT = 16 * MIB
BURST_APPLIES = 10000
BURST_MAX_LOADS = 3


def tree(root, skip=()):
    """{relative path: (type, size, mtime_ns, mode)} of everything under
    root, without following symlinks; `skip` are relative directories."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        dirnames[:] = [d for d in dirnames if os.path.normpath(os.path.join(rel, d)) not in skip]
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            try:
                st = os.lstat(p)
            except FileNotFoundError:
                continue
            out[os.path.relpath(p, root)] = (st.st_mode >> 12, st.st_size, st.st_mtime_ns,
                                             st.st_mode & 0o7777)
    return out


class HostileWatcher(cc.ConfinementCase):

    timeout = 180

    def make_hostile_env(self):
        """The profiles directory sits two levels below a canary tree that
        has an etc/apparmor.d of its own, where "../../etc/apparmor.d/x"
        from the profiles directory would land."""
        self.make_env()
        os.rmdir(self.pd)
        self.canary = self.path("canary")
        os.makedirs(os.path.join(self.canary, "etc", "apparmor.d"), 0o755)
        with open(os.path.join(self.canary, "etc", "apparmor.d", "docker-default"), "w",
                  encoding="utf-8") as f:
            f.write("profile docker-default {\n}\n")
        self.pd = os.path.join(self.canary, "var", "profiles")
        os.makedirs(self.pd, 0o755)
        self.fk.preload(FOREIGN)
        self.before = self.snapshot()
        self.host_before = tree("/etc/apparmor.d")
        self.fk_mark = self.fk.mark()

    def snapshot(self):
        # Everything of the test but what the loader may write (its
        # profiles directory), the fake kernel's own state, the logs and
        # the test's programs (the stand-in parser logs beside itself).
        pd = os.path.relpath(self.pd, self.tmp)
        snap = tree(self.tmp, skip={pd, "apparmorfs", "logs", "bin"})
        snap.pop(pd, None)
        return snap

    def start_hostile(self, scenario, *extra):
        link = os.path.join(self.bindir, f"hostile-{scenario}")
        os.symlink(cc.HOSTILE, link)
        return self.start_loader(*extra, watcher=link, wait_started=True)

    def hostile_report(self, d):
        """The hostile watcher's lines (it shares the loader's stdout)."""
        return d.proc.stdout().splitlines()

    def assert_nothing_touched(self, managed=()):
        """No file outside the profiles directory changed, the host's
        /etc/apparmor.d neither, and the fake kernel saw no operation on a
        profile the loader does not manage."""
        after = self.snapshot()
        changed = sorted(k for k in set(after) | set(self.before)
                         if after.get(k) != self.before.get(k))
        self.assertEqual(changed, [], "files outside the profiles directory changed")
        self.assertEqual(tree("/etc/apparmor.d"), self.host_before)
        for name in sorted(os.listdir(self.pd)):
            self.assertTrue(name == ".kapparmor-state" or name in managed,
                            f"unexpected file {name} in the profiles directory")
        for op in ("replace", "load", "remove"):
            touched = self.fk.names(op, since=self.fk_mark)
            self.assertEqual([n for n in touched if n not in managed], [],
                             f"{op} of a profile the loader does not manage")
        self.assertEqual({k: v for k, v in self.fk.profiles().items() if k in FOREIGN}, FOREIGN)

    def violation(self, scenario, detail):
        self.make_hostile_env()
        d = self.start_hostile(scenario)
        rc = d.proc.wait(timeout=20)
        self.assertEqual(rc, cc.EXIT_PROTOCOL, d.proc.stderr()[-2000:])
        lines = d.events("protocol_violation", process="loader")
        self.assertEqual(len(lines), 1, d.proc.stderr()[-2000:])
        self.assertIn(detail, lines[0]["msg"])
        self.assertEqual(d.events("profile_loaded") + d.events("profile_removed"), [])
        self.assert_nothing_touched()
        self.assert_no_seccomp_kill(d)

    # ---- protocol violations: fatal -------------------------------------------------

    def test_oversize_frame(self):
        self.violation("oversize", "datagram-truncated")

    def test_truncated_frame(self):
        self.violation("truncated", "frame-length-mismatch")

    def test_zero_length_prefix(self):
        self.violation("zero-prefix", "frame-empty")

    def test_unknown_message_type(self):
        self.violation("unknown-type", "unknown-field")

    def test_two_bodies(self):
        self.violation("two-bodies", "multiple-bodies")

    def test_apply_before_hello(self):
        self.violation("apply-before-hello", "in state hello: apply is not permitted here")

    def test_wrong_version(self):
        self.violation("wrong-version", "in state hello")

    def test_wrong_role(self):
        self.violation("wrong-role", "in state hello")

    def test_key_with_slash(self):
        self.violation("key-slash", "bad-key")

    def test_key_with_dotdot(self):
        self.violation("key-dotdot", "bad-key")

    def test_remove_of_a_system_profile(self):
        self.violation("remove-system", "bad-key")

    def test_fd_passing(self):
        self.violation("fd-pass", "ancillary-data")

    # ---- legal messages, hostile content: answered, the loader keeps running -------

    def test_hostile_content_is_rejected(self):
        self.make_hostile_env()
        d = self.start_hostile("shadow")
        pids = {"loader": d.pid, "spawner": d.spawner_pid()}
        procs.wait_until(lambda: len([x for x in self.hostile_report(d)
                                      if x.startswith("result")]) >= 3,
                         15, what="three results")
        results = [x.split() for x in self.hostile_report(d) if x.startswith("result")]
        # The loader's own validator refuses each: the include of a file
        # outside the abstractions, a second profile (docker-default) in
        # one key, a profile named other than its key.
        self.assertEqual(results, [
            ["result", "apply", "custom.x", "rejected", "include-not-allowed"],
            ["result", "apply", "custom.y", "rejected", "extra-profile"],
            ["result", "apply", "custom.z", "rejected", "name-mismatch"],
        ], self.hostile_report(d))
        self.assertEqual(self.hostile_report(d)[0], "hello")
        self.assertEqual(self.fk.names("replace", since=self.fk_mark), [])
        self.assert_alive(pids, "after hostile content")
        self.assert_nothing_touched()
        self.stop(d)

    def test_remove_of_an_unmanaged_key(self):
        self.make_hostile_env()
        d = self.start_hostile("remove-unmanaged")
        procs.wait_until(lambda: any(x.startswith("result") for x in self.hostile_report(d)),
                         15, what="a result")
        results = [x.split() for x in self.hostile_report(d) if x.startswith("result")]
        self.assertEqual(results, [["result", "remove", "custom.never-loaded", "not_managed",
                                    "-"]])
        self.assertTrue(d.proc.running())
        self.assert_nothing_touched()
        self.stop(d)

    def test_burst_of_applies_in_bounded_memory(self):
        self.make_hostile_env()
        d = self.start_hostile("burst-stay")
        first = procs.read_status(d.pid)
        base_rss = int(first["VmRSS"].split()[0]) * 1024
        hwm = 0
        deadline = time.monotonic() + 120
        while not any(x.startswith("burst ") for x in self.hostile_report(d)):
            self.assertTrue(d.proc.running(), d.proc.stderr()[-2000:])
            st = procs.read_status(d.pid)
            hwm = max(hwm, int(st["VmHWM"].split()[0]) * 1024)
            self.assertLess(time.monotonic(), deadline, "the burst did not end")
            time.sleep(0.05)
        st = procs.read_status(d.pid)
        hwm = max(hwm, int(st["VmHWM"].split()[0]) * 1024)
        self.assertIn(f"burst sent {BURST_APPLIES} results {BURST_APPLIES}",
                      self.hostile_report(d))
        if "address" not in os.environ.get("KP_SANITIZE", "none"):
            # Under AddressSanitizer freed memory sits in its quarantine
            # (256 MiB by default) and the shadow comes on top: the bounds
            # are the normal build's to check.
            self.assertLess(hwm - base_rss, BURST_GROWTH_LIMIT,
                            f"VmHWM {hwm // 1024} KiB, {base_rss // 1024} KiB at start")
            self.assertLess(hwm, BURST_HWM_LIMIT, f"VmHWM {hwm // 1024} KiB")
        # Loaded once, then unchanged: not one parser run per Apply.  (A
        # second load can happen when the next Apply comes before the fake
        # kernel listed the first one: its list lags a write by a moment,
        # the real kernel's does not.)
        replaced = self.fk.names("replace", since=self.fk_mark)
        self.assertEqual(set(replaced), {"custom.burst"})
        self.assertLessEqual(len(replaced), BURST_MAX_LOADS)
        loads = d.events("profile_loaded", "custom.burst") + \
            d.events("profile_replaced", "custom.burst")
        self.assertEqual(len(loads), len(replaced))
        self.assert_nothing_touched(managed={"custom.burst"})
        self.stop(d)


if __name__ == "__main__":
    runner.main()
