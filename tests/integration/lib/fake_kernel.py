"""A fake apparmorfs: what the real apparmor_parser and libapparmor write to,
kept true in its `profiles` file, for tests on a kernel without AppArmor.

Layout of DIR (the directory passed as --apparmorfs / --subdomainfs):
  .replace .load .remove   FIFOs (mode 0600) served by this module
  profiles                 regular file, one line per loaded profile:
                           "<name> (<mode>)", ":<ns>:<name> (<mode>)" for a
                           profile in a namespace; replaced by rename
  features                 copy of the flat features file (a real kernel has
                           a directory there; aa_features_new reads both)
Beside DIR, in its parent directory (one fake kernel per parent directory):
  fake-kernel.log          JSON lines, one per operation (see OPS below)
  fake-kernel.ctl          FIFO: "sync <ack path>" requests from other processes

The server holds each FIFO open read-write, so a writer's open() never
blocks while the server lives; it decodes every complete record as soon as
its bytes arrive (see policy_blob) and every NUL- or newline-terminated name
written to .remove.  A writer's write() returns once its bytes sit in the
pipe, a moment before `profiles` changes: call sync() (in-process or from
another process) before reading `profiles`, or run the parser through the
wrapper that make_parser_wrapper() writes, which syncs before it exits.

OPS logged: replace, load (names, modes, bytes, abi, existed), remove
(names asked, removed: every profile that went, children included; missing:
true when the kernel would have said ENOENT), parser (from the wrapper: argv,
rc, signal, seconds), preload, clear, break, heal, arm (fail_next), fault
(a writer made to fail), error.

Run as a program: `python3 fake_kernel.py serve DIR` (prints "ready" when
serving, stops on SIGTERM/SIGINT), `sync DIR`, `wrapper DIR DEST`.
"""

import ctypes
import errno
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time

try:
    from . import policy_blob
except ImportError:  # run as a script
    import policy_blob

DEFAULT_FEATURES = "/usr/share/apparmor-features/features"
DEFAULT_PARSER = "/sbin/apparmor_parser"
IFACES = (".replace", ".load", ".remove")
LOG_NAME = "fake-kernel.log"
CTL_NAME = "fake-kernel.ctl"
ACK_PREFIX = "fake-kernel.ack."
PROFILES_TMP_NAME = "fake-kernel.profiles.tmp"

FIFO_MODE = 0o600           # like the kernel's policy-admin check: root only
POLL_MS = 50
# A write to .remove that ends without NUL or newline is taken as one name
# once no byte followed for this long (the kernel takes each write whole).
REMOVE_IDLE_FLUSH = 0.2
# Bytes of a half record left this long are reported as an error and dropped.
RECORD_IDLE_FLUSH = 2.0
SYNC_TIMEOUT = 10.0
READ_CHUNK = 1 << 16
# fail_next(): the pipe is shrunk to one page and filled with this byte, so
# the next writer blocks in write() until the server drops its end (EPIPE).
# No record or name starts with 0xff, so leftovers are skipped on reading.
FILLER = b"\xff"
F_SETPIPE_SZ = 1031
IN_OPEN = 0x20
IN_CLOSE_WRITE = 0x08
# After failing a writer, wait this long at most for it to close the FIFO
# before serving it again (a reader back too early would let it succeed).
FAULT_CLOSE_WAIT = 2.0
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = os.O_CLOEXEC


class NotRunning(RuntimeError):
    """No fake kernel serves this directory."""


def state_dir(apparmorfs):
    return os.path.dirname(os.path.abspath(apparmorfs))


def log_path(apparmorfs):
    return os.path.join(state_dir(apparmorfs), LOG_NAME)


def read_log(apparmorfs, op=None, since=0):
    """Entries of the operation log (entries[since:]), optionally one op."""
    try:
        with open(log_path(apparmorfs), encoding="utf-8") as f:
            entries = [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        entries = []
    entries = entries[since:]
    if op is not None:
        ops = {op} if isinstance(op, str) else set(op)
        entries = [e for e in entries if e["op"] in ops]
    return entries


def append_log(apparmorfs, entry):
    """Append one entry; one write() with O_APPEND so writers never interleave."""
    entry = dict(entry)
    entry.setdefault("t", time.time())
    entry.setdefault("mono", time.monotonic())
    line = (json.dumps(entry, sort_keys=True) + "\n").encode()
    fd = os.open(log_path(apparmorfs), os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def read_profiles(apparmorfs):
    """The `profiles` file as {name: mode}, split at the last " (" as the
    loader must do."""
    result = {}
    with open(os.path.join(apparmorfs, "profiles"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            name, sep, mode = line.rpartition(" (")
            if not sep or not mode.endswith(")"):
                raise ValueError(f"bad profiles line {line!r}")
            result[name] = mode[:-1]
    return result


def sync(apparmorfs, timeout=SYNC_TIMEOUT):
    """Wait until the server has taken in everything written so far.

    Works from any process: asks over the control FIFO and waits (bounded)
    for the acknowledgement file.  Raises NotRunning when no server listens.
    """
    sdir = state_dir(apparmorfs)
    ctl = os.path.join(sdir, CTL_NAME)
    ack = os.path.join(sdir, f"{ACK_PREFIX}{os.getpid()}.{threading.get_ident()}.{time.monotonic_ns()}")
    try:
        fd = os.open(ctl, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        if e.errno in (errno.ENXIO, errno.ENOENT):
            raise NotRunning(f"no fake kernel serves {apparmorfs}") from e
        raise
    try:
        os.write(fd, f"sync {ack}\n".encode())
    finally:
        os.close(fd)
    deadline = time.monotonic() + timeout
    delay = 0.0005
    while not os.path.exists(ack):
        if time.monotonic() > deadline:
            raise TimeoutError(f"fake kernel at {apparmorfs} did not answer sync in {timeout}s")
        time.sleep(delay)
        delay = min(delay * 2, 0.01)
    os.unlink(ack)


_libc = ctypes.CDLL(None, use_errno=True)


def _inotify_init():
    fd = _libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return fd


def _inotify_add_watch(fd, path, mask):
    wd = _libc.inotify_add_watch(fd, os.fsencode(path), ctypes.c_uint32(mask))
    if wd < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return wd


def _inotify_rm_watch(fd, wd):
    if _libc.inotify_rm_watch(fd, wd) < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def _parse_remove_name(name):
    """Return (ns, profile-or-None) for a name written to .remove."""
    if name.startswith(":"):
        ns, sep, rest = name[1:].partition(":")
        if not sep:
            return ns, None
        while rest.startswith("/"):
            rest = rest[1:]
        return ns, rest or None
    return None, name


def _fq(ns, name):
    return f":{ns}:{name}" if ns else name


class FakeKernel:
    """Serve a fake apparmorfs at `path` from a thread of this process."""

    def __init__(self, path, features=DEFAULT_FEATURES):
        self.path = os.path.abspath(path)
        self.features = features
        self.state = state_dir(self.path)
        self.log_file = os.path.join(self.state, LOG_NAME)
        self.error = None
        self._profiles = {}
        self._lock = threading.RLock()
        self._fds = {}          # iface -> fd currently at the path
        self._retired = []      # (iface, fd) of FIFOs unlinked by break_iface
        self._bufs = {}         # fd -> bytearray of not yet complete input
        self._last = {}         # fd -> monotonic time of the last byte read
        self._ctl_fd = None
        self._ctl_buf = bytearray()
        self._wake_r = self._wake_w = None
        self._stop = False
        self._thread = None
        self._broken = {}
        self._armed = {}        # iface -> inotify watch: next writer fails
        self._arm_requests = set()
        self._pending = {}      # iface -> deadline: failed a writer, FIFO closed
        self._inotify = None
        self._watches = {}      # inotify watch descriptor -> iface

    # ---- life cycle -----------------------------------------------------

    def start(self):
        os.makedirs(self.path, mode=0o755, exist_ok=True)
        for name in IFACES:
            self._make_fifo(name)
        ctl = os.path.join(self.state, CTL_NAME)
        if os.path.lexists(ctl):
            os.unlink(ctl)
        os.mkfifo(ctl, FIFO_MODE)
        self._ctl_fd = os.open(ctl, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
        if self.features:
            dest = os.path.join(self.path, "features")
            shutil.copyfile(self.features, dest)
            os.chmod(dest, 0o444)
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        with self._lock:
            self._write_profiles()
        self._thread = threading.Thread(target=self._run, name=f"fake-kernel {self.path}", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop serving.  The FIFOs are unlinked, so a later open fails with
        ENOENT and a writer still holding one gets EPIPE: nothing hangs."""
        if self._thread is None:
            return
        self._stop = True
        self._wake()
        self._thread.join(timeout=10)
        self._thread = None
        self._teardown()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def check(self):
        """Raise if the server thread failed."""
        if self.error is not None:
            raise AssertionError(f"fake kernel failed: {self.error}")

    # ---- what tests look at ---------------------------------------------

    def sync(self, timeout=SYNC_TIMEOUT):
        """Wait until every write made so far is applied (no-op once stopped)."""
        if self._thread is not None:
            sync(self.path, timeout)
        self.check()

    def profiles(self, synced=True):
        """{name: mode} as the `profiles` file says (after a sync)."""
        if synced:
            self.sync()
        return read_profiles(self.path)

    def ops(self, op=None, since=0, synced=True):
        """Log entries (after a sync), optionally of one op or a tuple of ops."""
        if synced:
            self.sync()
        return read_log(self.path, op, since)

    def mark(self):
        """A position in the log (after a sync); pass it as since= later."""
        return len(self.ops())

    def names(self, op, since=0, key="names"):
        """Every name of the given op(s) since the mark, in order."""
        out = []
        for e in self.ops(op, since):
            out.extend(e.get(key, []))
        return out

    def wait_for(self, predicate, timeout=10.0, what="condition"):
        """Poll predicate(self) until true (bounded)."""
        deadline = time.monotonic() + timeout
        while True:
            self.check()
            value = predicate(self)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"fake kernel: {what} not met in {timeout}s")
            time.sleep(0.01)

    # ---- what tests change ------------------------------------------------

    def preload(self, profiles):
        """Load profiles as if someone else had: {name: mode} or names."""
        if not isinstance(profiles, dict):
            profiles = {n: "enforce" for n in profiles}
        with self._lock:
            self._profiles.update(profiles)
            self._write_profiles()
            self._log({"op": "preload", "names": sorted(profiles)})

    def clear(self):
        """Unload everything, as a reboot would."""
        with self._lock:
            self._profiles.clear()
            self._write_profiles()
            self._log({"op": "clear"})

    def break_iface(self, iface, how="eisdir"):
        """Make every open of DIR/<iface> fail until heal(): "eisdir" puts a
        directory there (open gives EISDIR), "missing" removes it (ENOENT).
        Writers that opened it before keep working."""
        iface = self._iface(iface)
        if how not in ("eisdir", "missing"):
            raise ValueError(how)
        with self._lock:
            if iface in self._armed:
                raise RuntimeError(f"{iface} is armed by fail_next()")
            p = os.path.join(self.path, iface)
            if iface in self._fds:
                self._retired.append((iface, self._fds.pop(iface)))
            if os.path.lexists(p):
                if os.path.isdir(p) and not os.path.islink(p):
                    os.rmdir(p)
                else:
                    os.unlink(p)
            if how == "eisdir":
                os.mkdir(p, 0o700)
            self._broken[iface] = how
            self._log({"op": "break", "iface": iface, "how": how})
        self._wake()

    def heal(self, iface=None):
        with self._lock:
            for name in ([self._iface(iface)] if iface else list(self._broken)):
                p = os.path.join(self.path, name)
                if os.path.isdir(p) and not os.path.islink(p):
                    os.rmdir(p)
                self._make_fifo(name)
                self._broken.pop(name, None)
                self._log({"op": "heal", "iface": name})
        self._wake()

    def fail_next(self, iface):
        """Make the next writer of DIR/<iface> fail: its open() succeeds and
        its write() fails with EPIPE (and SIGPIPE, which kills a writer that
        does not ignore it: the parser exits non-zero, the loader must ignore
        SIGPIPE).  Nothing of the failed write is applied; the log gets op
        "fault".  One writer only: wait for the "fault" entry (wait_fault())
        before arming again.  Writers after it work."""
        iface = self._iface(iface)
        with self._lock:
            if iface in self._broken:
                raise RuntimeError(f"{iface} is broken; heal() it first")
            if iface in self._armed or iface in self._pending or iface in self._arm_requests:
                raise RuntimeError(f"{iface} is already armed")
            self._arm_requests.add(iface)
        # Armed by the server thread between two polls: a close while it
        # polls the fd would be completed (and reported) only later.
        self._wake()
        self.wait_for(lambda fk: iface not in fk._arm_requests, SYNC_TIMEOUT, f"arming {iface}")

    def _arm(self, iface):
        with self._lock:
            self._arm_requests.discard(iface)
            if self._inotify is None:
                self._inotify = _inotify_init()
            self._drain(self._all_fds())  # what was written before is applied
            # Hold the pipe by a read-only fd, full of filler: our close of
            # it then reports IN_CLOSE_NOWRITE, never mistaken for the
            # failing writer's IN_CLOSE_WRITE (inotify merges equal events).
            p = os.path.join(self.path, iface)
            rfd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            self._fill(iface)
            wfd = self._fds[iface]
            self._bufs.pop(wfd, None)
            self._last.pop(wfd, None)
            os.close(wfd)
            self._fds[iface] = rfd
            self._bufs[rfd] = bytearray()
            self._last[rfd] = time.monotonic()
            wd = _inotify_add_watch(self._inotify, p, IN_OPEN | IN_CLOSE_WRITE)
            self._watches[wd] = iface
            self._armed[iface] = wd
            self._log({"op": "arm", "iface": iface})

    def wait_fault(self, iface, timeout=10.0):
        """Wait until the armed failure of iface has happened and the FIFO
        is served again."""
        iface = self._iface(iface)

        def done(fk):
            with fk._lock:
                return iface not in fk._armed and iface not in fk._pending
        return self.wait_for(done, timeout, f"fault on {iface}")

    def make_parser_wrapper(self, dest, real_parser=DEFAULT_PARSER):
        return make_parser_wrapper(self.path, dest, real_parser)

    # ---- internals ------------------------------------------------------

    @staticmethod
    def _iface(name):
        name = name if name.startswith(".") else "." + name
        if name not in IFACES:
            raise ValueError(f"unknown interface {name}")
        return name

    def _make_fifo(self, name, replace=True):
        p = os.path.join(self.path, name)
        if replace:
            if os.path.lexists(p):
                os.unlink(p)
            os.mkfifo(p, FIFO_MODE)
            os.chmod(p, FIFO_MODE)
        # Read-write: the pipe always has a reader and a writer, so writers
        # never block in open() and the server never sees a spurious EOF.
        fd = os.open(p, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
        with self._lock:
            self._fds[name] = fd
            self._bufs[fd] = bytearray()
            self._last[fd] = time.monotonic()

    def _fill(self, iface):
        fd = self._fds[iface]
        fcntl.fcntl(fd, F_SETPIPE_SZ, 4096)
        while True:
            try:
                os.write(fd, FILLER * 4096)
            except BlockingIOError:
                break
        while True:
            try:
                os.write(fd, FILLER)
            except BlockingIOError:
                break

    def _discard_events(self):
        while True:
            try:
                if not os.read(self._inotify, 4096):
                    break
            except BlockingIOError:
                break

    def _serve_faults(self):
        """A writer opened an armed FIFO: drop our end, so that its write()
        fails with EPIPE.  Serve the FIFO again once it closed
        (IN_CLOSE_WRITE) or after FAULT_CLOSE_WAIT; other writers wait in
        open() till then (a reader back too early would let the failing
        writer succeed)."""
        if self._inotify is None:
            return
        with self._lock:
            events = []
            while True:
                try:
                    data = os.read(self._inotify, 4096)
                except BlockingIOError:
                    break
                pos = 0
                while pos + 16 <= len(data):
                    wd = int.from_bytes(data[pos:pos + 4], "little", signed=True)
                    mask = int.from_bytes(data[pos + 4:pos + 8], "little")
                    length = int.from_bytes(data[pos + 12:pos + 16], "little")
                    events.append((wd, mask))
                    pos += 16 + length
            now = time.monotonic()
            for wd, mask in events:
                iface = self._watches.get(wd)
                if iface is None:
                    continue
                if mask & IN_OPEN and iface in self._armed:
                    del self._armed[iface]
                    self._pending[iface] = [now + FAULT_CLOSE_WAIT, 1, wd]
                    fd = self._fds.pop(iface)
                    self._bufs.pop(fd, None)
                    self._last.pop(fd, None)
                    os.close(fd)  # no reader left: the blocked writer gets EPIPE
                    self._log({"op": "fault", "iface": iface, "error": "EPIPE"})
                elif mask & IN_CLOSE_WRITE and iface in self._pending:
                    self._pending[iface][1] -= 1
            for iface, (deadline, closes, wd) in list(self._pending.items()):
                if closes <= 0 or now >= deadline:
                    del self._pending[iface]
                    try:
                        _inotify_rm_watch(self._inotify, wd)
                    except OSError:
                        pass
                    del self._watches[wd]
                    self._make_fifo(iface, replace=False)

    def _wake(self):
        if self._wake_w is not None:
            try:
                os.write(self._wake_w, b"x")
            except BlockingIOError:
                pass

    def _log(self, entry):
        append_log(self.path, entry)

    def _write_profiles(self):
        lines = "".join(f"{name} ({mode})\n" for name, mode in sorted(self._profiles.items()))
        tmp = os.path.join(self.state, PROFILES_TMP_NAME)
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(lines)
        os.chmod(tmp, 0o444)
        os.rename(tmp, os.path.join(self.path, "profiles"))

    def _all_fds(self):
        with self._lock:
            return list(self._fds.items()) + list(self._retired)

    def _run(self):
        try:
            while not self._stop:
                poller = select.poll()
                fds = self._all_fds()
                for _, fd in fds:
                    poller.register(fd, select.POLLIN)
                poller.register(self._ctl_fd, select.POLLIN)
                poller.register(self._wake_r, select.POLLIN)
                if self._inotify is not None:
                    poller.register(self._inotify, select.POLLIN)
                poller.poll(POLL_MS if not self._pending else 5)
                for iface in list(self._arm_requests):
                    self._arm(iface)
                self._serve_faults()
                fds = self._all_fds()  # every close happens in this thread
                try:
                    os.read(self._wake_r, 4096)
                except BlockingIOError:
                    pass
                self._drain(fds)
                self._serve_ctl()
        except BaseException as e:  # never leave writers hanging
            error = f"{type(e).__name__}: {e}"
            try:
                self._log({"op": "error", "error": error})
            except OSError:
                pass
            self._teardown()
            self.error = error  # set last: once seen, the FIFOs are gone

    def _drain(self, fds):
        """Read what every FIFO holds and apply every complete write."""
        with self._lock:
            now = time.monotonic()
            for iface, fd in fds:
                if iface in self._armed and self._fds.get(iface) == fd:
                    continue  # keep the pipe full until a writer comes
                buf = self._bufs.get(fd)
                if buf is None:
                    continue
                while True:
                    try:
                        chunk = os.read(fd, READ_CHUNK)
                    except BlockingIOError:
                        break
                    if not chunk:
                        break
                    buf += chunk
                    self._last[fd] = now
                if buf:
                    self._consume(iface, fd, buf, now)

    def _consume(self, iface, fd, buf, now):
        idle = now - self._last[fd]
        skip = 0
        while skip < len(buf) and buf[skip] == FILLER[0]:
            skip += 1
        del buf[:skip]
        if iface == ".remove":
            while True:
                cut = [i for i in (buf.find(b"\0"), buf.find(b"\n")) if i >= 0]
                if not cut:
                    break
                end = min(cut)
                self._remove(bytes(buf[:end]))
                del buf[:end + 1]
            if buf and idle >= REMOVE_IDLE_FLUSH:
                self._remove(bytes(buf))
                del buf[:]
            return
        while buf:
            try:
                records, used = policy_blob.split_records(buf)
            except policy_blob.BlobError as e:
                nxt = policy_blob.find_next_header(buf)
                dropped = len(buf) if nxt < 0 else nxt
                self._log({"op": "error", "iface": iface, "error": f"undecodable write: {e}",
                           "bytes": dropped})
                del buf[:dropped]
                continue
            for r in records:
                self._load(iface, r)
            del buf[:used]
            break
        if buf and idle >= RECORD_IDLE_FLUSH:
            self._log({"op": "error", "iface": iface, "error": "incomplete record", "bytes": len(buf)})
            del buf[:]

    def _load(self, iface, record):
        name = record.fqname
        existed = name in self._profiles
        self._profiles[name] = record.mode
        self._write_profiles()
        self._log({"op": iface[1:], "names": [name], "modes": {name: record.mode},
                   "bytes": record.size, "abi": record.abi, "hat": record.hat,
                   "existed": existed})

    def _remove(self, raw):
        name = raw.decode("utf-8", "surrogateescape")
        ns, prof = _parse_remove_name(name)
        if prof is None:
            prefix = f":{ns}:"
            gone = [n for n in self._profiles if n.startswith(prefix)]
        else:
            target = _fq(ns, prof)
            gone = [n for n in self._profiles if n == target or n.startswith(target + "//")]
        for n in gone:
            del self._profiles[n]
        if gone:
            self._write_profiles()
        self._log({"op": "remove", "names": [name], "removed": sorted(gone), "missing": not gone})

    def _serve_ctl(self):
        while True:
            try:
                chunk = os.read(self._ctl_fd, 4096)
            except BlockingIOError:
                break
            if not chunk:
                break
            self._ctl_buf += chunk
        while b"\n" in self._ctl_buf:
            line, _, rest = bytes(self._ctl_buf).partition(b"\n")
            self._ctl_buf = bytearray(rest)
            cmd, _, arg = line.decode("utf-8", "replace").partition(" ")
            if cmd != "sync":
                continue
            # Everything written before the request is in the pipes now.
            self._drain(self._all_fds())
            ack = os.path.abspath(arg)
            if os.path.dirname(ack) == self.state and os.path.basename(ack).startswith(ACK_PREFIX):
                with open(ack, "w"):
                    pass

    def _teardown(self):
        with self._lock:
            for name in IFACES:
                p = os.path.join(self.path, name)
                if os.path.lexists(p) and not os.path.isdir(p):
                    os.unlink(p)
            ctl = os.path.join(self.state, CTL_NAME)
            if os.path.lexists(ctl):
                os.unlink(ctl)
            for _, fd in list(self._fds.items()) + self._retired:
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._fds.clear()
            self._retired.clear()
            for fd in (self._ctl_fd, self._wake_r, self._wake_w, self._inotify):
                if fd is not None:
                    try:
                        os.close(fd)
                    except OSError:
                        pass
            self._ctl_fd = self._wake_r = self._wake_w = self._inotify = None


# ---- the parser wrapper --------------------------------------------------

_WRAPPER = """#!{python} -S
# Generated by tests/integration/lib/fake_kernel.py: runs the real parser,
# (-S: no site module, whose home-directory lookup opens a socket to nscd,
# which the spawner's seccomp filter rightly kills.)
# waits until the fake kernel at {apparmorfs!r} has taken in what it wrote,
# logs the run, and exits as the parser did.
import sys
sys.dont_write_bytecode = True
sys.path.insert(0, {libparent!r})
from lib import fake_kernel
sys.exit(fake_kernel.wrapper_main({real!r}, {apparmorfs!r}, sys.argv[1:]))
"""


def make_parser_wrapper(apparmorfs, dest, real_parser=DEFAULT_PARSER):
    """Write an executable stand-in for --parser that runs real_parser and
    syncs with the fake kernel before it exits (so `profiles` is current
    when the loader sees the parser's exit), logging each run as op
    "parser"."""
    libparent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    text = _WRAPPER.format(python=sys.executable, apparmorfs=os.path.abspath(apparmorfs),
                           libparent=libparent, real=real_parser)
    with open(dest, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(dest, 0o755)
    return dest


def _subdomainfs_arg(argv):
    for i, a in enumerate(argv):
        if a in ("--subdomainfs", "-f") and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--subdomainfs="):
            return a.split("=", 1)[1]
    return None


def wrapper_main(real, apparmorfs, argv):
    target = _subdomainfs_arg(argv) or apparmorfs
    start = time.monotonic()
    child = subprocess.Popen([real, *argv], close_fds=True)
    forward = lambda sig, _frame: child.send_signal(sig)  # noqa: E731
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    rc = child.wait()
    entry = {"op": "parser", "argv": argv, "rc": rc if rc >= 0 else None,
             "signal": -rc if rc < 0 else None, "seconds": round(time.monotonic() - start, 6)}
    try:
        sync(target)
    except (NotRunning, TimeoutError, OSError) as e:
        entry["sync_error"] = str(e)
    try:
        append_log(target, entry)
    except OSError:
        pass
    if rc < 0:
        signal.signal(-rc, signal.SIG_DFL)
        os.kill(os.getpid(), -rc)
        return 128 - rc
    return rc


# ---- command line --------------------------------------------------------

def _serve(path, features, preload):
    fk = FakeKernel(path, features=features)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    fk.start()
    if preload:
        fk.preload(dict(p.split("=", 1) if "=" in p else (p, "enforce") for p in preload))
    print("ready", flush=True)
    while not stop.wait(0.2):
        if fk.error:
            break
    fk.stop()
    if fk.error:
        print(f"fake kernel failed: {fk.error}", file=sys.stderr)
        return 1
    return 0


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(prog="fake_kernel.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="serve DIR until SIGTERM/SIGINT")
    s.add_argument("dir")
    s.add_argument("--features", default=DEFAULT_FEATURES)
    s.add_argument("--preload", action="append", default=[], metavar="NAME[=MODE]")
    y = sub.add_parser("sync", help="wait until the server has taken in every write")
    y.add_argument("dir")
    y.add_argument("--timeout", type=float, default=SYNC_TIMEOUT)
    w = sub.add_parser("wrapper", help="write a --parser stand-in that syncs")
    w.add_argument("dir")
    w.add_argument("dest")
    w.add_argument("--real", default=DEFAULT_PARSER)
    args = ap.parse_args(argv)
    if args.cmd == "serve":
        return _serve(args.dir, args.features, args.preload)
    if args.cmd == "sync":
        try:
            sync(args.dir, args.timeout)
        except (NotRunning, TimeoutError) as e:
            print(e, file=sys.stderr)
            return 1
        return 0
    make_parser_wrapper(args.dir, args.dest, args.real)
    return 0


if __name__ == "__main__":
    sys.exit(main())
