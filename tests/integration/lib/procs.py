"""Start, watch and stop the processes of an integration test; every wait
is bounded.

    p = Proc(["build/loader/kapparmor-loader", "--once", ...], logdir=tmp, name="loader")
    wait_until(lambda: "ready" in p.stderr(), timeout=10, what="loader ready")
    st = read_status(p.pid)
    assert st["CapEff"] == cap_mask("mac_admin")
    p.signal(_sig.SIGTERM); assert p.wait(timeout=10) == 0

Each Proc runs in a session of its own (so stop() can kill its process
group: the parser and anything else it started) with PR_SET_PDEATHSIG
SIGKILL, so nothing outlives a test process that was killed; stdout and
stderr go to files in logdir; stdin is /dev/null.  Start processes from
the main thread: the parent-death signal follows the thread that forked.
"""

import ctypes
import os
import signal as _sig
import subprocess
import time

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36

# Capability numbers (linux/capability.h) the tests talk about.
CAPS = {
    "chown": 0, "dac_override": 1, "dac_read_search": 2, "fowner": 3, "fsetid": 4,
    "kill": 5, "setgid": 6, "setuid": 7, "setpcap": 8, "linux_immutable": 9,
    "net_bind_service": 10, "net_broadcast": 11, "net_admin": 12, "net_raw": 13,
    "ipc_lock": 14, "ipc_owner": 15, "sys_module": 16, "sys_rawio": 17, "sys_chroot": 18,
    "sys_ptrace": 19, "sys_pacct": 20, "sys_admin": 21, "sys_boot": 22, "sys_nice": 23,
    "sys_resource": 24, "sys_time": 25, "sys_tty_config": 26, "mknod": 27, "lease": 28,
    "audit_write": 29, "audit_control": 30, "setfcap": 31, "mac_override": 32,
    "mac_admin": 33, "syslog": 34, "wake_alarm": 35, "block_suspend": 36,
    "audit_read": 37, "perfmon": 38, "bpf": 39, "checkpoint_restore": 40,
}
CAP_NAMES = {v: k for k, v in CAPS.items()}

_libc = ctypes.CDLL(None, use_errno=True)
_prctl = _libc.prctl
_prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
_prctl.restype = ctypes.c_int

_all = []


def cap_mask(*names):
    mask = 0
    for n in names:
        mask |= 1 << CAPS[n.lower().removeprefix("cap_")]
    return mask


def cap_names(mask):
    return sorted(CAP_NAMES.get(i, f"cap_{i}") for i in range(64) if mask >> i & 1)


def read_status(pid="self"):
    """/proc/<pid>/status as a dict.  Parsed: Uid, Gid (lists of real,
    effective, saved, fs), Groups (list), CapInh/CapPrm/CapEff/CapBnd/CapAmb
    (ints), NoNewPrivs, Seccomp, Seccomp_filters, PPid, Pid, Tgid (ints);
    anything else stays a string."""
    out = {}
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        for line in f:
            key, _, value = line.partition(":")
            value = value.strip()
            if key in ("Uid", "Gid"):
                out[key] = [int(x) for x in value.split()]
            elif key == "Groups":
                out[key] = [int(x) for x in value.split()]
            elif key.startswith("Cap"):
                out[key] = int(value, 16)
            elif key in ("NoNewPrivs", "Seccomp", "Seccomp_filters", "PPid", "Pid", "Tgid"):
                out[key] = int(value)
            else:
                out[key] = value
    return out


def open_fds(pid="self"):
    """{fd: readlink target} of a process."""
    base = f"/proc/{pid}/fd"
    out = {}
    for name in os.listdir(base):
        try:
            out[int(name)] = os.readlink(os.path.join(base, name))
        except FileNotFoundError:
            pass
    return out


def children(pid):
    """Direct children of pid (every thread's /proc/.../children)."""
    kids = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return kids
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="utf-8") as f:
                kids.extend(int(x) for x in f.read().split())
        except FileNotFoundError:
            pass
    return kids


def descendants(pid):
    out = []
    todo = [pid]
    while todo:
        for kid in children(todo.pop()):
            out.append(kid)
            todo.append(kid)
    return out


def alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        # Gone between open() and read(): reading a vanished task's stat
        # fails with ESRCH.
        return False


def wait_until(predicate, timeout=10.0, interval=0.02, what="condition"):
    """Call predicate until it returns something true; return that value.
    Raises TimeoutError naming `what` after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: not met within {timeout}s")
        time.sleep(interval)


def become_subreaper():
    """Adopt orphaned descendants (e.g. a watcher whose loader died), so
    tests can see and reap them."""
    if _prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def reap_orphans():
    """Reap adopted children that exited; return {pid: status}."""
    reaped = {}
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        reaped[pid] = status
    return reaped


def _child_setup():
    _prctl(PR_SET_PDEATHSIG, _sig.SIGKILL, 0, 0, 0)


class Proc:
    def __init__(self, argv, *, logdir, name=None, env=None, cwd=None, pass_fds=(),
                 stdin=None, die_with_parent=True):
        self.argv = [str(a) for a in argv]
        self.name = name or os.path.basename(self.argv[0])
        os.makedirs(logdir, exist_ok=True)
        self.stdout_path = os.path.join(logdir, f"{self.name}.stdout")
        self.stderr_path = os.path.join(logdir, f"{self.name}.stderr")
        out = open(self.stdout_path, "wb")
        err = open(self.stderr_path, "wb")
        try:
            self.popen = subprocess.Popen(
                self.argv, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                stdout=out, stderr=err, env=env, cwd=cwd, pass_fds=tuple(pass_fds),
                start_new_session=True,
                preexec_fn=_child_setup if die_with_parent else None)
        finally:
            out.close()
            err.close()
        self.pid = self.popen.pid
        self.started = time.monotonic()
        _all.append(self)

    def __repr__(self):
        return f"Proc({self.name}, pid={self.pid}, rc={self.popen.returncode})"

    # ---- output -----------------------------------------------------------

    def stdout(self):
        with open(self.stdout_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stderr(self):
        with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def wait_output(self, text, stream="stderr", timeout=10.0):
        """Wait until `text` appears in stdout or stderr; return the output."""
        read = self.stderr if stream == "stderr" else self.stdout

        def seen():
            data = read()
            if text in data:
                return data
            if self.popen.poll() is not None:
                data = read()
                if text in data:
                    return data
                raise AssertionError(f"{self.name} exited with {self.popen.returncode} "
                                     f"before printing {text!r}; {stream}:\n{data[-2000:]}")
            return None
        return wait_until(seen, timeout, what=f"{self.name} printing {text!r}")

    # ---- state and signals ---------------------------------------------

    def running(self):
        return self.popen.poll() is None

    @property
    def returncode(self):
        return self.popen.poll()

    def status(self):
        return read_status(self.pid)

    def wait(self, timeout=10.0):
        """Exit status (negative signal number if killed); TimeoutError if
        still running after timeout."""
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"{self.name} (pid {self.pid}) still running after {timeout}s") from None

    def signal(self, sig):
        if self.popen.poll() is None:
            self.popen.send_signal(sig)

    def kill_group(self, sig=_sig.SIGKILL):
        """Signal the process group (the process and what it started that
        stayed in its group) and every other descendant."""
        targets = descendants(self.pid)
        try:
            os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        for pid in targets:
            try:
                os.kill(pid, sig)
            except (ProcessLookupError, PermissionError):
                pass

    def stop(self, timeout=5.0):
        """SIGTERM, then SIGKILL to the whole group after timeout; reap.
        Returns the exit status."""
        if self.popen.poll() is None:
            self.signal(_sig.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill_group(_sig.SIGKILL)
        return self.popen.wait(timeout=timeout)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def run(argv, timeout=30.0, env=None, cwd=None, input=None):
    """Run to completion; returns CompletedProcess (text stdout/stderr).
    On timeout the whole process group is killed and TimeoutError raised."""
    p = subprocess.Popen([str(a) for a in argv], stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd,
                         start_new_session=True, preexec_fn=_child_setup)
    try:
        out, err = p.communicate(input=input.encode() if isinstance(input, str) else input, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, _sig.SIGKILL)
        p.communicate()
        raise TimeoutError(f"{argv[0]} still running after {timeout}s") from None
    return subprocess.CompletedProcess(p.args, p.returncode, out.decode(errors="replace"),
                                       err.decode(errors="replace"))


def stop_all():
    """Stop every Proc started by this module that still runs."""
    while _all:
        p = _all.pop()
        try:
            p.stop(timeout=2.0)
        except (TimeoutError, OSError):
            pass
