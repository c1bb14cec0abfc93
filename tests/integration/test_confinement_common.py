"""Shared set-up of the confinement suites (test_confinement.py and
test_confinement_hostile.py); not a suite itself.

The real kapparmor-loader runs with the real watcher (or a hostile one)
against the fake apparmorfs, with its filters on.  Every test ends by
asserting that no process of ours was killed by its seccomp filter: the
loader's exit status, the parser runs the loader reports, and - where the
kernel log is readable - the audit records of seccomp kills
(type=1326) of our pids and programs since the test began.

Programs come from KP_BUILD_DIR (set by meson), else from the first build
directory of the source tree that holds them all.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from lib import procs, runner  # noqa: E402

SRC = os.path.dirname(os.path.dirname(HERE))
REAL_PARSER = "/sbin/apparmor_parser"
FEATURES = "/usr/share/apparmor-features/features"
WATCHER_UID = 61374                       # the loader's default --watcher-uid
MAC_ADMIN = procs.cap_mask("mac_admin")   # 1 << 33
SIGSYS = signal.SIGSYS

# kapparmor-loader's exit codes (loader/main.c).
EXIT_OK, EXIT_ONCE_FAILURES, EXIT_USAGE, EXIT_PROTOCOL, EXIT_WATCHER_DIED = 0, 1, 2, 3, 4

_PROGRAMS = {
    "loader": "loader/kapparmor-loader",
    "watcher": "watcher/kapparmor-watcher",
    "standin": "tests/seccomp/parser_standin",
    "hostile": "tests/proto/hostile_watcher",
}


def _build_dir():
    if os.environ.get("KP_BUILD_DIR"):
        return os.environ["KP_BUILD_DIR"]
    dirs = [os.path.join(SRC, "build")] + sorted(
        os.path.join(SRC, d) for d in os.listdir(SRC) if d.startswith("build-"))
    for d in dirs:
        if all(os.access(os.path.join(d, p), os.X_OK) for p in _PROGRAMS.values()):
            return d
    raise RuntimeError("no build directory with " + ", ".join(_PROGRAMS.values()) +
                       ": set KP_BUILD_DIR")


BUILD = _build_dir()
LOADER, WATCHER, STANDIN, HOSTILE = (os.path.join(BUILD, _PROGRAMS[k])
                                     for k in ("loader", "watcher", "standin", "hostile"))


def profile(name, rules=("/usr/** r,",)):
    return f"profile {name} {{\n" + "".join(f"  {r}\n" for r in rules) + "}\n"


# ---- the kernel's audit records of seccomp kills -------------------------------

AUDIT_RE = re.compile(r"audit\(\d+\.\d+:(?P<serial>\d+)\): .*?\bpid=(?P<pid>\d+) "
                      r".*?\bexe=\"(?P<exe>[^\"]*)\" .*?\bsig=(?P<sig>\d+) .*?\bsyscall=(?P<nr>\d+)")


def audit_records():
    """Seccomp kill records (type=1326) in the kernel log, or None when the
    log cannot be read (dmesg_restrict without CAP_SYSLOG)."""
    try:
        out = subprocess.run(["dmesg"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    recs = []
    for line in out.stdout.decode(errors="replace").splitlines():
        if "type=1326" not in line:
            continue
        m = AUDIT_RE.search(line)
        if m:
            recs.append({"serial": int(m["serial"]), "pid": int(m["pid"]), "exe": m["exe"],
                         "sig": int(m["sig"]), "syscall": int(m["nr"]), "line": line.strip()})
    return recs


def audit_mark():
    recs = audit_records()
    if recs is None:
        return None
    return max((r["serial"] for r in recs), default=0)


# ---- log lines ----------------------------------------------------------------------

def parse_log(text):
    out = []
    for line in text.splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if isinstance(e, dict) and "event" in e:
            out.append(e)
    return out


class Daemon:
    """A running loader with its log (JSON) and its processes."""

    def __init__(self, proc, watcher_path):
        self.proc = proc
        self.pid = proc.pid
        self.watcher_path = os.path.realpath(watcher_path)

    def events(self, event=None, key=None, process=None):
        return [e for e in parse_log(self.proc.stderr())
                if (event is None or e["event"] == event)
                and (key is None or e.get("key") == key)
                and (process is None or e["process"] == process)]

    def wait_event(self, event, key=None, count=1, timeout=20.0, process=None):
        def seen():
            got = self.events(event, key, process)
            if len(got) >= count:
                return got
            if self.proc.popen.poll() is not None:
                got = self.events(event, key, process)
                if len(got) >= count:
                    return got
                raise AssertionError(f"loader exited {self.proc.popen.returncode} before "
                                     f"logging {count}x {event} {key or ''}:\n"
                                     f"{self.proc.stderr()[-3000:]}")
            return None
        return procs.wait_until(seen, timeout, interval=0.02, what=f"{count}x {event} {key or ''}")

    def _child(self, exe, timeout=10.0, what="child"):
        def find():
            for kid in procs.children(self.pid):
                try:
                    if os.readlink(f"/proc/{kid}/exe") == exe:
                        return kid
                except OSError:
                    pass
            return None
        return procs.wait_until(find, timeout, what=what)

    def watcher_pid(self):
        return self._child(self.watcher_path, what="the watcher process")

    def spawner_pid(self):
        """The loader's second child: a fork of the loader itself."""
        return self._child(os.path.realpath(LOADER), what="the spawner process")


class ConfinementCase(runner.IntegrationTestCase):
    """A fake kernel, a kubelet-style ConfigMap, a profiles directory and the
    stand-in parser's names; the loader started with an empty environment."""

    timeout = 120

    def setUp(self):
        super().setUp()
        self.audit_start = audit_mark()
        self.watched_pids = set()

    def make_env(self):
        self.fk = self.fake_kernel()
        self.cm = self.configmap()
        self.pd = self.path("profiles")
        os.mkdir(self.pd, 0o755)
        self.bindir = self.path("bin")
        os.mkdir(self.bindir, 0o755)
        for mode in ("parser-status", "parser-fail", "parser-sleep"):
            os.symlink(STANDIN, os.path.join(self.bindir, mode))
        self.parser_log = os.path.join(self.bindir, "parser-runs.log")
        return self

    def parser(self, mode="parser-status"):
        return os.path.join(self.bindir, mode)

    def loader_argv(self, *extra, parser=None, once=False, poll=3600, watcher=None,
                    proc=None, log_level="debug"):
        argv = [LOADER,
                "--configmap-dir", self.cm.dir,
                "--profiles-dir", self.pd,
                "--apparmorfs", self.fk.path,
                "--features", FEATURES,
                "--parser", parser or self.parser(),
                "--poll-time", str(poll),
                "--log-format", "json",
                "--log-level", log_level,
                "--listen", "off",
                "--watcher", watcher or WATCHER]
        if proc is not None:
            argv += ["--proc", proc]
        if once:
            argv.append("--once")
        return argv + list(extra)

    def start_loader(self, *extra, name="loader", wait_started=True, watcher=None,
                     fake_proc=None, **kw):
        argv = self.loader_argv(*extra, watcher=watcher,
                                proc=fake_proc.root if fake_proc else None, **kw)
        p = self.start(argv, name=name, env={})
        self.watched_pids.add(p.pid)
        d = Daemon(p, watcher or WATCHER)
        if wait_started:
            d.wait_event("started")
        return d

    # ---- what the processes are ---------------------------------------------------

    def daemon_pids(self, d):
        """{role: pid} of the loader, the watcher and the spawner; remembers
        them for the seccomp-kill check."""
        pids = {"loader": d.pid, "watcher": d.watcher_pid(), "spawner": d.spawner_pid()}
        self.watched_pids.update(pids.values())
        return pids

    def assert_alive(self, pids, when=""):
        for role, pid in pids.items():
            self.assertTrue(procs.alive(pid), f"the {role} (pid {pid}) is gone {when}")

    def parser_runs(self):
        """The stand-in's records, as dicts (pid, mode, status lines, args)."""
        runs = []
        try:
            with open(self.parser_log, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return runs
        for line in lines:
            head, _, args = line.partition(" args=")
            rec = dict(kv.split("=", 1) for kv in head.split(" "))
            rec["args"] = args.split("|") if args else []
            for k in ("pid", "ppid", "NoNewPrivs", "Seccomp", "Seccomp_filters"):
                if k in rec:
                    rec[k] = int(rec[k])
            for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
                if k in rec:
                    rec[k] = int(rec[k], 16)
            for k in ("Uid", "Gid"):
                if k in rec:
                    rec[k] = [int(x) for x in rec[k].split(",") if x]
            runs.append(rec)
            self.watched_pids.add(rec["pid"])
        return runs

    def seccomp_kills(self):
        """Audit records of seccomp kills since setUp of any pid we watched or
        any of our programs; None when the kernel log is unreadable."""
        if self.audit_start is None:
            return None
        recs = audit_records()
        if recs is None:
            return None
        ours = {os.path.realpath(p) for p in (LOADER, WATCHER, STANDIN, HOSTILE)}
        return [r for r in recs if r["serial"] > self.audit_start
                and (r["pid"] in self.watched_pids or r["exe"] in ours)]

    def assert_no_seccomp_kill(self, d=None):
        if d is not None:
            for e in d.events():
                self.assertNotIn("SIGSYS", e.get("msg", ""), f"a process died of its filter: {e}")
        kills = self.seccomp_kills()
        if kills:
            self.fail("seccomp killed a process of ours:\n" +
                      "\n".join(r["line"] for r in kills))

    def stop(self, d, expect=EXIT_OK):
        """SIGTERM; the loader must exit `expect` and nothing may have died
        of its filter.  (The watcher's own last line races with the
        parent-death SIGKILL it gets when the loader is gone: not waited
        for.)"""
        d.proc.signal(signal.SIGTERM)
        rc = d.proc.wait(timeout=15)
        self.assertEqual(rc, expect, f"loader exit status (negative: killed by signal "
                                     f"{-rc if rc < 0 else ''}):\n{d.proc.stderr()[-2000:]}")
        if expect == EXIT_OK:
            self.assertTrue(d.events("shutdown", process="loader"))
        self.assert_no_seccomp_kill(d)
        return rc


def wait_gone(pid, timeout=10.0, what="process"):
    procs.wait_until(lambda: not procs.alive(pid), timeout, what=f"{what} {pid} gone")


def now():
    return time.monotonic()
