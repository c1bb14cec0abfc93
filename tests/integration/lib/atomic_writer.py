"""Update a directory the way kubelet updates a mounted ConfigMap volume.

kubelet's atomic writer (pkg/volume/util/atomic_writer.go) keeps the data in
a timestamped directory and swaps one symlink:

  DIR/..2024_05_01_10_20_30.3527282822/custom.a   the files (mode 0644)
  DIR/..data -> ..2024_05_01_10_20_30.3527282822  swapped by rename(2)
  DIR/custom.a -> ..data/custom.a                 one symlink per key

Write(payload), in kubelet's order:
  1. read the old target of ..data
  2. compare: if no file changed and no key went away, do nothing
  3. mkdir DIR/..<UTC %Y_%m_%d_%H_%M_%S>.<random decimal>, chmod 0755
  4. write each file into it, chmod to the mode (0644 by default)
  5. symlink ..data_tmp -> <new dir name>
  6. rename ..data_tmp over ..data             <- the one atomic switch
  7. create the missing top-level key -> ..data/key symlinks
  8. remove the top-level symlinks of keys that went away
  9. remove the old timestamped directory

AtomicWriter(dir).write({...}) replaces the whole key set (as kubelet does);
update() changes some keys and keeps the others.  `hook`, if given, is called
with the name of each step as it completes ("tsdir", "data_tmp", "swapped",
"links", "unlinked", "old_removed"), so a test can act between steps.

PlainWriter(dir) is the hostPath / test case without ..data: files written in
place or by rename of a temporary file.

Command line:
  atomic_writer.py write DIR key=FILE...    the whole set, kubelet style
  atomic_writer.py update DIR [key=FILE...] [--remove KEY...]
  atomic_writer.py plain DIR key=FILE... [--remove KEY...] [--inplace]
"""

import errno
import os
import random
import re
import sys
import time

DATA_DIR = "..data"
DATA_TMP = "..data_tmp"
DEFAULT_MODE = 0o644
# The key rule of a ConfigMap key (kubelet also forbids a leading "..").
KEY_RE = re.compile(r"^[-._a-zA-Z0-9]+$")
MAX_KEY_LEN = 253


def check_key(key):
    if not KEY_RE.match(key) or len(key) > MAX_KEY_LEN or key.startswith("..") or key in (".",):
        raise ValueError(f"invalid ConfigMap key {key!r}")
    return key


def _as_bytes(value):
    return value.encode() if isinstance(value, str) else bytes(value)


def _write_file(path, data, mode):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
    finally:
        os.close(fd)
    os.chmod(path, mode)  # whatever the umask


class AtomicWriter:
    def __init__(self, directory, mode=DEFAULT_MODE, hook=None):
        self.dir = os.path.abspath(directory)
        self.mode = mode
        self.hook = hook
        os.makedirs(self.dir, exist_ok=True)

    def _step(self, name):
        if self.hook:
            self.hook(name)

    def data_dir(self):
        """Name of the timestamped directory ..data points to, or None."""
        try:
            return os.readlink(os.path.join(self.dir, DATA_DIR))
        except FileNotFoundError:
            return None

    def current(self):
        """{key: bytes} as the volume shows it now."""
        ts = self.data_dir()
        if ts is None:
            return {}
        base = os.path.join(self.dir, ts)
        out = {}
        for name in sorted(os.listdir(base)):
            with open(os.path.join(base, name), "rb") as f:
                out[name] = f.read()
        return out

    def _new_ts_dir(self):
        prefix = time.strftime("..%Y_%m_%d_%H_%M_%S.", time.gmtime())
        while True:
            name = prefix + str(random.randrange(1 << 32))
            try:
                os.mkdir(os.path.join(self.dir, name), 0o700)
            except FileExistsError:
                continue
            os.chmod(os.path.join(self.dir, name), 0o755)
            return name

    def write(self, payload):
        """Make the volume hold exactly `payload` ({key: bytes|str}).
        Returns the new timestamped directory's name, or None when nothing
        changed (kubelet then writes nothing)."""
        payload = {check_key(k): _as_bytes(v) for k, v in payload.items()}
        old = self.data_dir()
        removed = set()
        if old is not None:
            old_keys = set(os.listdir(os.path.join(self.dir, old)))
            removed = old_keys - set(payload)
            changed = bool(removed)
            for key, data in payload.items():
                try:
                    with open(os.path.join(self.dir, old, key), "rb") as f:
                        changed = changed or f.read() != data
                except FileNotFoundError:
                    changed = True
            if not changed:
                self._create_links(payload)
                return None
        ts = self._new_ts_dir()
        for key, data in payload.items():
            _write_file(os.path.join(self.dir, ts, key), data, self.mode)
        self._step("tsdir")
        tmp = os.path.join(self.dir, DATA_TMP)
        try:
            os.symlink(ts, tmp)
        except OSError:
            _rmtree(os.path.join(self.dir, ts))
            raise
        self._step("data_tmp")
        try:
            os.rename(tmp, os.path.join(self.dir, DATA_DIR))
        except OSError:
            os.unlink(tmp)
            _rmtree(os.path.join(self.dir, ts))
            raise
        self._step("swapped")
        self._create_links(payload)
        self._step("links")
        for key in sorted(removed):
            try:
                os.unlink(os.path.join(self.dir, key))
            except FileNotFoundError:
                pass
        self._step("unlinked")
        if old is not None:
            _rmtree(os.path.join(self.dir, old))
        self._step("old_removed")
        return ts

    def update(self, set_=None, remove=()):
        payload = self.current()
        payload.update({k: _as_bytes(v) for k, v in (set_ or {}).items()})
        for key in remove:
            payload.pop(key, None)
        return self.write(payload)

    def _create_links(self, payload):
        for key in payload:
            link = os.path.join(self.dir, key)
            try:
                os.readlink(link)
            except FileNotFoundError:
                os.symlink(os.path.join(DATA_DIR, key), link)
            except OSError as e:  # a non-symlink is left alone, as kubelet does
                if e.errno != errno.EINVAL:
                    raise


class PlainWriter:
    """A directory of plain files (hostPath, tests): no ..data."""

    def __init__(self, directory, mode=DEFAULT_MODE):
        self.dir = os.path.abspath(directory)
        self.mode = mode
        os.makedirs(self.dir, exist_ok=True)

    def set(self, key, data, inplace=False):
        """Write one key: by rename of a temporary file (an editor's save,
        IN_MOVED_TO) or in place (truncate + write, IN_CLOSE_WRITE)."""
        path = os.path.join(self.dir, check_key(key))
        data = _as_bytes(data)
        if inplace:
            _write_file(path, data, self.mode)
            return
        tmp = os.path.join(self.dir, f".{key}.tmp{os.getpid()}")
        _write_file(tmp, data, self.mode)
        os.rename(tmp, path)

    def delete(self, key):
        os.unlink(os.path.join(self.dir, check_key(key)))

    def write(self, payload, inplace=False):
        """Make the directory hold exactly `payload`."""
        for name in os.listdir(self.dir):
            if name not in payload and KEY_RE.match(name) and not name.startswith(".."):
                os.unlink(os.path.join(self.dir, name))
        for key, data in payload.items():
            self.set(key, data, inplace=inplace)

    def current(self):
        out = {}
        for name in sorted(os.listdir(self.dir)):
            p = os.path.join(self.dir, name)
            if os.path.isfile(p):
                with open(p, "rb") as f:
                    out[name] = f.read()
        return out


def _rmtree(path):
    for root, dirs, files in os.walk(path, topdown=False):
        for name in files:
            os.unlink(os.path.join(root, name))
        for name in dirs:
            p = os.path.join(root, name)
            if os.path.islink(p):
                os.unlink(p)
            else:
                os.rmdir(p)
    os.rmdir(path)


def _specs(specs):
    payload = {}
    for spec in specs:
        key, sep, src = spec.partition("=")
        if not sep:
            raise SystemExit(f"atomic_writer: expected key=FILE, got {spec!r}")
        with open(src, "rb") as f:
            payload[check_key(key)] = f.read()
    return payload


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(prog="atomic_writer.py", description="kubelet-style ConfigMap volume updates")
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write", help="make DIR hold exactly these keys (kubelet sequence)")
    w.add_argument("dir")
    w.add_argument("specs", nargs="*", metavar="key=FILE")
    u = sub.add_parser("update", help="change some keys, keep the others (kubelet sequence)")
    u.add_argument("dir")
    u.add_argument("specs", nargs="*", metavar="key=FILE")
    u.add_argument("--remove", action="append", default=[], metavar="KEY")
    p = sub.add_parser("plain", help="change keys of a plain directory (no ..data)")
    p.add_argument("dir")
    p.add_argument("specs", nargs="*", metavar="key=FILE")
    p.add_argument("--remove", action="append", default=[], metavar="KEY")
    p.add_argument("--inplace", action="store_true")
    args = ap.parse_args(argv)
    payload = _specs(args.specs)
    if args.cmd == "write":
        ts = AtomicWriter(args.dir).write(payload)
    elif args.cmd == "update":
        ts = AtomicWriter(args.dir).update(payload, args.remove)
    else:
        pw = PlainWriter(args.dir)
        for key, data in payload.items():
            pw.set(key, data, inplace=args.inplace)
        for key in args.remove:
            pw.delete(key)
        return 0
    print(ts or "unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
