#!/usr/bin/env python3
"""What each process of the running daemon holds, read from the kernel
(/proc/<pid>/status, /proc/<pid>/fd): the watcher runs as the dedicated
uid with no capability and no_new_privs; the loader keeps CAP_MAC_ADMIN
only; apparmor_parser gets fds 0-2, an empty environment, at most
CAP_MAC_ADMIN, and its limits.  (Seccomp is asserted by the confinement
suites, not here.)
Last line: "N passed, N failed"."""

import os
import sys
import unittest

sys.dont_write_bytecode = True
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import daemonlib  # noqa: E402
from daemonlib import FEATURES, PARSERS, WATCHER_UID, profile  # noqa: E402
from lib import procs, runner  # noqa: E402

A = profile("custom.a")
MAC_ADMIN = procs.cap_mask("mac_admin")
PARSER_AS_BYTES = 512 * 1024 * 1024   # KP_SPAWN_DEFAULT_AS_BYTES
PARSER_NOFILE = 256                   # KP_SPAWN_DEFAULT_NOFILE
PARSER_OOM_SCORE_ADJ = 1000


def status_lines(text):
    """The parsed fields of a /proc/<pid>/status text."""
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        value = value.strip()
        if key in ("Uid", "Gid", "Groups"):
            out[key] = [int(x) for x in value.split()]
        elif key.startswith("Cap") or key in ("SigBlk", "SigIgn"):
            out[key] = int(value, 16)
        elif key == "NoNewPrivs":
            out[key] = int(value)
    return out


class PrivilegesTest(daemonlib.DaemonTestCase):

    def running(self, *extra, **kw):
        """A daemon on the real /proc (nothing here scans it), with one
        profile loaded."""
        self.make_env()
        self.cm.write({"custom.a": A})
        d = self.start_loader(*extra, proc=False, **kw)
        d.wait_event("profile_loaded", "custom.a")
        return d

    def test_watcher_runs_as_the_dedicated_uid_without_capabilities(self):
        d = self.running()
        st = procs.read_status(d.watcher_pid())
        self.assertEqual(st["Uid"], [WATCHER_UID] * 4)
        self.assertEqual(st["Gid"], [WATCHER_UID] * 4)
        self.assertEqual(st["Groups"], [])
        self.assertEqual({k: st[k] for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")},
                         {"CapInh": 0, "CapPrm": 0, "CapEff": 0, "CapBnd": 0, "CapAmb": 0})
        self.assertEqual(st["NoNewPrivs"], 1)
        self.assertEqual(st["PPid"], d.pid)
        self.assertEqual(os.readlink(f"/proc/{d.watcher_pid()}/exe"), os.path.realpath(daemonlib.WATCHER))
        self.assertIn(f"watcher pid {d.watcher_pid()} uid {WATCHER_UID}", d.events("started")[0]["msg"])

    def test_loader_keeps_cap_mac_admin_only(self):
        d = self.running()
        st = procs.read_status(d.pid)
        self.assertEqual(st["Uid"], [0, 0, 0, 0])
        self.assertEqual(procs.cap_names(st["CapEff"]), ["mac_admin"])
        self.assertEqual((st["CapEff"], st["CapPrm"], st["CapBnd"]), (MAC_ADMIN,) * 3)
        self.assertEqual((st["CapInh"], st["CapAmb"]), (0, 0))

    def test_every_other_child_of_the_loader_holds_at_most_mac_admin(self):
        """Besides the watcher, whatever the loader keeps running (a spawner
        process, for one) holds no more than the loader."""
        d = self.running()
        watcher = d.watcher_pid()
        for kid in procs.children(d.pid):
            if kid == watcher:
                continue
            st = procs.read_status(kid)
            self.assertEqual(st["CapBnd"] & ~MAC_ADMIN, 0, kid)
            self.assertEqual(st["CapEff"] & ~MAC_ADMIN, 0, kid)
            self.assertEqual(st["CapPrm"] & ~MAC_ADMIN, 0, kid)

    def test_watcher_uid_and_gid_flags(self):
        d = self.running("--watcher-uid", "4242", "--watcher-gid", "4343")
        st = procs.read_status(d.watcher_pid())
        self.assertEqual((st["Uid"], st["Gid"], st["Groups"]), ([4242] * 4, [4343] * 4, []))
        self.assertEqual(st["CapEff"] | st["CapPrm"] | st["CapBnd"] | st["CapAmb"], 0)

    def test_watcher_gid_defaults_to_its_uid(self):
        d = self.running("--watcher-uid", "4242")
        st = procs.read_status(d.watcher_pid())
        self.assertEqual((st["Uid"], st["Gid"]), ([4242] * 4, [4242] * 4))

    def test_watcher_uid_from_the_environment(self):
        d = self.running(env={"WATCHER_UID": "4444"})
        self.assertEqual(procs.read_status(d.watcher_pid())["Uid"], [4444] * 4)

    def test_watcher_holds_no_fd_of_the_loader(self):
        """stdin, stdout and stderr, the socket at fd 3, its inotify fd:
        never the profiles directory, apparmorfs or /proc."""
        d = self.running()
        fds = procs.open_fds(d.watcher_pid())
        loader_fds = procs.open_fds(d.pid)
        self.assertEqual(fds[0], "/dev/null")
        self.assertEqual((fds[1], fds[2]), (loader_fds[1], loader_fds[2]))
        self.assertRegex(fds[3], r"^socket:\[\d+\]$")
        rest = sorted(v for k, v in fds.items() if k > 3)
        self.assertEqual(rest, ["anon_inode:inotify"])

    def test_watcher_signal_mask_is_empty(self):
        d = self.running()
        st = status_lines(open(f"/proc/{d.watcher_pid()}/status", encoding="utf-8").read())
        self.assertEqual(st["SigBlk"], 0)

    def test_parser_gets_fds_0_to_2_an_empty_environment_and_its_limits(self):
        d = self.running(parser=PARSERS["record"])
        recs = self.records()
        self.assertEqual(len(recs), 1)
        rec = recs[0]
        self.assertEqual(sorted(rec["fds"]), ["0", "1", "2"])
        self.assertEqual(rec["fds"]["0"], "/dev/null")
        self.assertRegex(rec["fds"]["1"], r"^pipe:\[\d+\]$")
        self.assertRegex(rec["fds"]["2"], r"^pipe:\[\d+\]$")
        self.assertEqual(rec["env"], [])
        self.assertEqual(rec["argv"][:-1], ["--replace", "--skip-cache", "--jobs=0",
                                            "--subdomainfs", self.fk.path,
                                            "--kernel-features", FEATURES])
        st = status_lines(rec["status"])
        self.assertEqual(st["Uid"], [0, 0, 0, 0])
        self.assertEqual(st["CapEff"] & ~MAC_ADMIN, 0)
        self.assertEqual(st["CapPrm"] & ~MAC_ADMIN, 0)
        self.assertEqual(st["CapBnd"], MAC_ADMIN)
        self.assertEqual((st["CapInh"], st["CapAmb"]), (0, 0))
        self.assertEqual(st["NoNewPrivs"], 1)
        self.assertEqual(st["SigBlk"], 0)
        self.assertEqual(rec["rlimit_as"], PARSER_AS_BYTES)
        self.assertEqual(rec["rlimit_core"], 0)
        self.assertEqual(rec["rlimit_nofile"], PARSER_NOFILE)
        self.assertEqual(rec["oom_score_adj"], PARSER_OOM_SCORE_ADJ)
        # Its own session and process group (not the loader's), so that a
        # timeout can kill it and everything it started.
        fields = rec["stat"].rpartition(")")[2].split()
        pgrp, session = int(fields[2]), int(fields[3])
        self.assertNotEqual(session, d.pid)
        self.assertNotEqual(pgrp, d.pid)
        self.assertEqual(pgrp, session)
        self.assertIn(session, (rec["pid"], rec["ppid"]))
        self.assertEqual(self.fk.profiles(), {"custom.a": "enforce"})


if __name__ == "__main__":
    runner.main()
