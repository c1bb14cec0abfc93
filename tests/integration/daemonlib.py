"""Shared set-up for the daemon's integration suites (test_daemon_*.py):
the real kapparmor-loader and kapparmor-watcher against the fake
apparmorfs, a kubelet-style ConfigMap, a fake /proc and the real
apparmor_parser (through the fake kernel's wrapper, which logs every run).

    class T(daemonlib.DaemonTestCase):
        def test_x(self):
            self.make_env()
            self.cm.write({"custom.a": daemonlib.profile("custom.a")})
            d = self.start_loader()
            d.wait_event("profile_loaded", "custom.a")

Paths of the programs come from KP_LOADER / KP_WATCHER (set by meson),
else from KP_BUILD_DIR, else from the first of build-*/ and build/ in the
source tree that holds both.
"""

import json
import os
import re
import signal
import stat
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from lib import procs, runner  # noqa: E402

SRC = os.path.dirname(os.path.dirname(HERE))
PARSER = "/sbin/apparmor_parser"
FEATURES = "/usr/share/apparmor-features/features"
WATCHER_UID = 61374          # the loader's default --watcher-uid
STATE_FILE = ".kapparmor-state"
REMOVAL_CONFIRM_S = 2.0      # KP_REMOVAL_CONFIRM_MS in loader/reconcile.h
PF_KTHREAD = 0x00200000
# The shim runs as the watcher's uid: an interpreter every uid can run
# (sys.executable may live under /root).
SYSTEM_PYTHON = "/usr/bin/python3"

# Exit codes of kapparmor-loader (loader/main.c).
EXIT_OK, EXIT_ONCE_FAILURES, EXIT_USAGE, EXIT_PROTOCOL, EXIT_WATCHER_DIED = 0, 1, 2, 3, 4


PARSER_MODES = ("wrap", "record", "hang", "crash", "fail")


def _find_programs():
    """(loader, watcher, {mode: stand-in parser})."""
    loader = os.environ.get("KP_LOADER")
    watcher = os.environ.get("KP_WATCHER")
    parsers = {m: os.environ.get(f"KP_PARSER_{m.upper()}") for m in PARSER_MODES}
    if loader and watcher and all(parsers.values()):
        return loader, watcher, parsers
    dirs = [os.environ["KP_BUILD_DIR"]] if os.environ.get("KP_BUILD_DIR") else \
        [os.path.join(SRC, "build")] + sorted(
            os.path.join(SRC, d) for d in os.listdir(SRC) if d.startswith("build-"))
    for d in dirs:
        lo = os.path.join(d, "loader", "kapparmor-loader")
        wa = os.path.join(d, "watcher", "kapparmor-watcher")
        ps = {m: os.path.join(d, "tests", "integration", f"daemon_parser_{m}") for m in PARSER_MODES}
        if all(os.access(p, os.X_OK) for p in [lo, wa, *ps.values()]):
            return lo, wa, ps
    raise RuntimeError("kapparmor-loader, kapparmor-watcher or tests/integration/daemon_parser_* "
                       "not found: set KP_LOADER, KP_WATCHER and KP_PARSER_<MODE>, or KP_BUILD_DIR")


LOADER, WATCHER, PARSERS = _find_programs()
RECORD_NAME = "standin-parser.jsonl"   # written by the stand-ins but wrap


def profile(name, rules=("/usr/** r,",), flags=None):
    """A small profile named `name` that the validator accepts."""
    head = f"profile {name}" + (f" flags=({flags})" if flags else "") + " {\n"
    return head + "".join(f"  {r}\n" for r in rules) + "}\n"


def rejected_profile(name):
    """A text the validator refuses (reason extra-profile, line 4)."""
    return profile(name) + "profile custom.zz-extra {\n}\n"


# ---- log lines ---------------------------------------------------------------

TEXT_RE = re.compile(r"^(?P<time>\S+) (?P<level>\w+)\s+(?P<process>\w+)\[(?P<event>[a-z0-9_]+)\]: (?P<rest>.*)$")


def parse_log(text):
    """JSON log lines as dicts (time, level, process, event, key?, msg);
    other lines as {"raw": line}."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            e = json.loads(line)
            if isinstance(e, dict) and "event" in e:
                out.append(e)
                continue
        except ValueError:
            pass
        out.append({"raw": line})
    return out


def log_time(entry):
    """Wall-clock seconds of a JSON log entry ("2026-01-01T00:00:00.123Z")."""
    import calendar
    t = entry["time"]
    base, _, frac = t.rstrip("Z").partition(".")
    secs = calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S"))
    return secs + (int(frac) / 10 ** len(frac) if frac else 0.0)


class Daemon:
    """A running kapparmor-loader (and its watcher) with log helpers."""

    def __init__(self, proc, fake_proc_root=None):
        self.proc = proc
        self.pid = proc.pid
        self.fake_proc_root = fake_proc_root

    def __getattr__(self, name):
        return getattr(self.proc, name)

    def events(self, event=None, key=None, process=None):
        out = []
        for e in parse_log(self.proc.stderr()):
            if "event" not in e:
                continue
            if event is not None and e["event"] != event:
                continue
            if key is not None and e.get("key") != key:
                continue
            if process is not None and e["process"] != process:
                continue
            out.append(e)
        return out

    def event_names(self, process=None, level=None):
        return [e["event"] for e in parse_log(self.proc.stderr())
                if "event" in e and (process is None or e["process"] == process)
                and (level is None or e["level"] == level)]

    def raw_lines(self):
        return [e["raw"] for e in parse_log(self.proc.stderr()) if "raw" in e]

    def wait_event(self, event, key=None, count=1, timeout=15.0, process=None):
        """Wait until `count` lines of event (for key) were logged; return
        them.  Fails at once if the loader exits first."""
        def seen():
            got = self.events(event, key, process)
            if len(got) >= count:
                return got
            if self.proc.popen.poll() is not None:
                got = self.events(event, key, process)
                if len(got) >= count:
                    return got
                raise AssertionError(
                    f"loader exited with {self.proc.popen.returncode} before logging "
                    f"{count}x {event} {key or ''}; log:\n{self.proc.stderr()[-3000:]}")
            return None
        return procs.wait_until(seen, timeout, interval=0.01,
                                what=f"{count}x {event} {key or ''}")

    def watcher_pid(self, timeout=10.0):
        """The watcher: the loader's child running kapparmor-watcher."""
        def find():
            for kid in procs.children(self.pid):
                try:
                    if os.readlink(f"/proc/{kid}/exe") == os.path.realpath(WATCHER):
                        return kid
                except OSError:
                    pass
            return None
        return procs.wait_until(find, timeout, what="watcher process")


# ---- the test case -------------------------------------------------------------

class DaemonTestCase(runner.IntegrationTestCase):
    """make_env() builds a fake kernel (self.fk), a kubelet-style ConfigMap
    (self.cm), a root-owned profiles directory (self.pd), a fake /proc that
    looks like the host's PID namespace (self.fp) and the parser wrapper
    (self.parser)."""

    timeout = 90

    def make_env(self, plain=False):
        self.fk = self.fake_kernel()
        self.cm = self.configmap(plain=plain)
        self.cmdir = self.cm.dir
        self.pd = self.path("profiles")
        os.mkdir(self.pd, 0o755)
        os.chmod(self.pd, 0o755)
        self.fp = self.fake_proc()
        host_pid_namespace(self.fp)
        # The real parser through a wrapper that syncs the fake kernel and
        # logs each run (op "parser"), like fk.make_parser_wrapper(), but in
        # C: the Python one dies of SIGSYS under the spawner's filter.
        self.parser = PARSERS["wrap"]
        self.shim = None
        return self

    def loader_argv(self, *extra, once=False, poll=3600, proc=True, parser=None,
                    log_format="json", apparmorfs=None, watcher=None):
        argv = [LOADER,
                "--configmap-dir", self.cmdir,
                "--profiles-dir", self.pd,
                "--apparmorfs", apparmorfs or self.fk.path,
                "--features", FEATURES,
                "--parser", parser or self.parser,
                "--poll-time", str(poll),
                "--log-format", log_format,
                "--listen", "off",
                "--watcher", watcher or WATCHER]
        if proc:
            argv += ["--proc", self.fp.root]
        if once:
            argv.append("--once")
        return argv + list(extra)

    def start_loader(self, *extra, name="loader", wait_started=True, proc=True, env=None,
                     argv=None, watcher_args=None, **kw):
        """Start the loader; with proc=True (the fake /proc) through the
        work-around below.  watcher_args {flag: value} changes the argv the
        loader gives the watcher (through the shim), to play a watcher that
        disagrees with the loader.  Returns a Daemon once it logged
        `started`."""
        argv = argv or self.loader_argv(*extra, proc=proc, **kw)
        if proc and "--proc" in argv:
            argv = self._proc_workaround(argv, watcher_args)
        elif watcher_args:
            argv = self._shim(argv, None, watcher_args)
        p = self.start(argv, name=name, env=daemon_env(env))
        d = Daemon(p, self.fp.root if proc else None)
        if wait_started:
            d.wait_event("started")
            if proc and "--proc" in argv:
                self._proc_workaround_done(d)
        return d

    def run_once(self, *extra, name="loader-once", timeout=60.0, **kw):
        """--once to completion; returns (exit code, Daemon)."""
        d = self.start_loader(*extra, name=name, once=True, wait_started=False, **kw)
        if "--proc" in d.proc.argv:
            self._wait_started_or_exit(d)
        rc = d.proc.wait(timeout=timeout)
        return rc, d

    def _wait_started_or_exit(self, d):
        procs.wait_until(lambda: d.events("started") or d.proc.popen.poll() is not None,
                         15.0, what="loader started or exited")
        if d.events("started"):
            self._proc_workaround_done(d)

    # BUG (loader/privdrop.c, kp_privdrop_loader and kp_privdrop_exec_watcher):
    # both processes verify their own credentials from "<--proc>/self/status"
    # instead of the kernel's /proc/self/status.  With --proc pointing at a
    # fake /proc the loader refuses to start ("cannot read .../self/status");
    # test_daemon_config.ConfigTest.test_fake_proc_without_self_starts pins
    # it.  Until it is fixed, every daemon started with the fake /proc goes
    # through this work-around:
    #  - the loader is exec'd by a shell that first makes <proc>/self a link
    #    to its own pid N (the PID-namespace check reads it and compares it
    #    with getpid()) and <proc>/N a link to /proc/self, so that
    #    "<proc>/self/status" resolves, for whichever process reads it, to
    #    its own real status;
    #  - once the loader logged `started` (its check is done) the test
    #    removes both links: <proc>/N is a symlink, which the in-use scan
    #    refuses to enter (it would make every scan incomplete);
    #  - the watcher is started through a shim (--watcher) that has already
    #    passed its own check in the loader's child and waits until the
    #    links are gone before it execs the real watcher, so no scan can run
    #    before they are gone (scans follow the watcher's messages).
    def _proc_workaround(self, argv, watcher_args=None):
        root = argv[argv.index("--proc") + 1]
        argv = self._shim(argv, os.path.join(root, "self"), watcher_args)
        script = 'ln -s "$$" "$1/self" && ln -s /proc/self "$1/$$" && shift && exec "$@"'
        return ["/bin/sh", "-c", script, "sh", root] + argv

    def _shim(self, argv, wait_gone, watcher_args):
        """Put the shim in --watcher's place."""
        watcher = argv[argv.index("--watcher") + 1]
        shim = self.path(f"watcher-shim-{time.monotonic_ns()}")
        with open(shim, "w", encoding="utf-8") as f:
            f.write(_SHIM.format(python=SYSTEM_PYTHON, wait_gone=wait_gone,
                                 watcher=watcher, replace=dict(watcher_args or {})))
        os.chmod(shim, 0o755)
        argv = list(argv)
        argv[argv.index("--watcher") + 1] = shim
        return argv

    def _proc_workaround_done(self, d):
        """After `started` (the loader's own check is done): wait until the
        loader's child became the shim (its own check, in the child before
        exec, is done too), then remove the links the shim waits for."""
        root = d.fake_proc_root
        targets = {os.path.realpath(SYSTEM_PYTHON), os.path.realpath(WATCHER)}

        def child_execd():
            for kid in procs.children(d.pid):
                try:
                    if os.readlink(f"/proc/{kid}/exe") in targets:
                        return True
                except OSError:
                    pass
            return d.proc.popen.poll() is not None
        procs.wait_until(child_execd, 15.0, what="watcher child exec'd the shim")
        for name in (str(d.pid), "self"):
            p = os.path.join(root, name)
            if os.path.islink(p):
                os.unlink(p)

    # ---- views -------------------------------------------------------------------

    def profile_files(self):
        """{name: bytes} of every file in the profiles directory but the
        state file."""
        out = {}
        for name in sorted(os.listdir(self.pd)):
            if name == STATE_FILE:
                continue
            with open(os.path.join(self.pd, name), "rb") as f:
                out[name] = f.read()
        return out

    def state(self):
        """The state file's lines (its format is the loader's; tests only
        look for keys in it)."""
        try:
            with open(os.path.join(self.pd, STATE_FILE), encoding="utf-8") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def loads(self, since=0):
        """Parser runs that loaded something (argv with --replace)."""
        return [e for e in self.fk.ops("parser", since) if "--replace" in e["argv"]]

    def parser_runs(self, since=0):
        return self.fk.ops("parser", since)

    def records(self):
        """What the stand-in parsers recorded, one dict per run."""
        path = os.path.join(self.fk.state, RECORD_NAME)
        try:
            with open(path, encoding="utf-8") as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def replaced(self, since=0):
        return self.fk.names("replace", since)

    def removed(self, since=0):
        return self.fk.names("remove", since)

    def barrier(self, d, key="custom.zz-barrier"):
        """Make sure every pass the watcher started before this call (its
        Applies, Removes and its key-set sync) was handled by the loader:
        change one key and wait until the loader loaded it.  The watcher
        starts a pass only after the loader answered the previous one's
        sync.  The key stays in the ConfigMap and the kernel."""
        self._barriers = getattr(self, "_barriers", 0) + 1
        n = self._barriers
        before = len(d.events("profile_loaded", key)) + len(d.events("profile_replaced", key))
        self.cm.update({key: profile(key, rules=(f"/opt/barrier{n}/** r,",))})
        procs.wait_until(lambda: len(d.events("profile_loaded", key)) +
                         len(d.events("profile_replaced", key)) > before
                         or d.proc.popen.poll() is not None,
                         15.0, what=f"barrier {n}")
        if d.proc.popen.poll() is not None:
            raise AssertionError(f"loader exited with {d.proc.popen.returncode} "
                                 "during a barrier")

    def write_keys(self, n, prefix="custom.k"):
        payload = {f"{prefix}{i:03d}": profile(f"{prefix}{i:03d}") for i in range(n)}
        self.cm.write(payload)
        return payload


_SHIM = """#!{python}
# Generated by tests/integration/daemonlib.py: runs as the watcher's uid in
# its place.  Waits until the test removed {wait_gone!r} (the --proc
# work-around), changes the flags in {replace!r}, then becomes the real
# watcher with the same fds.
import os, sys, time
wait_gone, replace = {wait_gone!r}, {replace!r}
deadline = time.monotonic() + 30
while wait_gone and os.path.lexists(wait_gone):
    if time.monotonic() > deadline:
        sys.stderr.write("watcher shim: %s still there after 30 s\\n" % wait_gone)
        sys.exit(3)
    time.sleep(0.002)
argv = sys.argv[1:]
for flag, value in replace.items():
    argv[argv.index(flag) + 1] = value
os.execv({watcher!r}, ["kapparmor-watcher"] + argv)
"""


SANITIZER_ENV = ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")


def daemon_env(extra=None):
    """The loader's environment: empty, as in the pod (the chart sets
    none), but for the sanitizers' options; plus `extra`."""
    env = {k: os.environ[k] for k in SANITIZER_ENV if k in os.environ}
    env.update(extra or {})
    return env


def host_pid_namespace(fp):
    """Make a FakeProc look like the host's PID namespace to the loader:
    PID 2 is a kernel thread (kthreadd), as the loader's check requires."""
    d = os.path.join(fp.root, "2")
    os.makedirs(d, exist_ok=True)
    flags = PF_KTHREAD | 0x8040
    with open(os.path.join(d, "stat"), "w", encoding="utf-8") as f:
        f.write(f"2 (kthreadd) S 0 0 0 0 -1 {flags} 0 0 0 0 0 0 0 0 20 0 1 0 3 0 0 "
                "18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n")
    os.chmod(os.path.join(d, "stat"), 0o444)


def status(pid):
    return procs.read_status(pid)


def file_mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def kill(pid, sig=signal.SIGKILL):
    os.kill(pid, sig)


# ---- watching the watcher read the ConfigMap ------------------------------------

import ctypes  # noqa: E402
import struct  # noqa: E402

_libc = ctypes.CDLL(None, use_errno=True)
IN_OPEN = 0x20
_EVENT = struct.Struct("iIII")


class FileOpens:
    """Counts opens of one file (by name) in a directory with inotify: each
    pass of the watcher opens every key's file once, so this counts passes
    without touching the daemon."""

    def __init__(self, directory, name):
        self.name = name.encode()
        self.count = 0
        self.fd = _libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        if _libc.inotify_add_watch(self.fd, os.fsencode(directory), IN_OPEN) < 0:
            err = ctypes.get_errno()
            os.close(self.fd)
            raise OSError(err, f"inotify_add_watch {directory}")

    def poll(self):
        while True:
            try:
                buf = os.read(self.fd, 65536)
            except BlockingIOError:
                return self.count
            off = 0
            while off < len(buf):
                _wd, mask, _cookie, length = _EVENT.unpack_from(buf, off)
                name = buf[off + _EVENT.size: off + _EVENT.size + length].rstrip(b"\0")
                off += _EVENT.size + length
                if mask & IN_OPEN and name == self.name:
                    self.count += 1

    def wait(self, n, timeout=15.0):
        """Wait until the file was opened n times in all."""
        return procs.wait_until(lambda: self.poll() >= n, timeout,
                                what=f"{n} opens of {self.name.decode()}")

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
