"""A fake /proc tree for the loader's in-use scan and reboot detection.

Layout (what the loader, run with --proc ROOT, must expect):
  ROOT/<pid>/task/<tid>/attr/apparmor/current   the task's label (Linux >= 5.8)
  ROOT/<pid>/task/<tid>/attr/current            legacy file, same label unless
                                                 told otherwise (another LSM)
  ROOT/<pid>/task/<tid>/comm                    the task's name
  ROOT/<pid>/attr/...  and  ROOT/<pid>/comm     the same for the main thread
  ROOT/sys/kernel/random/boot_id                "<uuid>\\n"
  ROOT/self -> <pid>                            only after set_self()
Non-numeric entries ("sys", "self") sit beside the pids, as in /proc.

A label file holds what the kernel prints, with a trailing newline:
  "unconfined"                       no profile
  "custom.a (enforce)"               one profile and its mode
  "custom.a//&custom.x (enforce)"    a stack (" (mixed)" if modes differ)
  ":ns:custom.a (complain)"          a profile in namespace ns
  "custom.a//hat (enforce)"          a hat: a child of custom.a, not custom.a
Labels are written verbatim; the loader parses them.  Files are replaced by
rename, so a reader sees the old or the new label, never half of one.
"""

import os
import shutil
import uuid

BOOT_ID_PATH = ("sys", "kernel", "random", "boot_id")


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, 0o444)
    os.rename(tmp, path)


class FakeProc:
    def __init__(self, root, boot_id=None):
        self.root = os.path.abspath(root)
        os.makedirs(self.root, exist_ok=True)
        self.set_boot_id(boot_id or str(uuid.uuid4()))

    # ---- boot id --------------------------------------------------------

    @property
    def boot_id_path(self):
        return os.path.join(self.root, *BOOT_ID_PATH)

    @property
    def boot_id(self):
        with open(self.boot_id_path, encoding="utf-8") as f:
            return f.read().strip()

    def set_boot_id(self, value):
        _write(self.boot_id_path, value + "\n")

    def reboot(self):
        """A new boot id (pair with FakeKernel.clear() for a full reboot)."""
        new = str(uuid.uuid4())
        self.set_boot_id(new)
        return new

    # ---- tasks --------------------------------------------------------------

    def _task_dir(self, pid, tid):
        return os.path.join(self.root, str(pid), "task", str(tid))

    def add_task(self, pid, tid=None, label="unconfined", *, comm="task",
                 apparmor=True, legacy=True, legacy_label=None):
        """Add thread tid (default: the main thread, tid == pid) of process
        pid with `label`.  apparmor=False leaves out attr/apparmor/ (kernels
        before 5.8); legacy_label puts another LSM's text in attr/current;
        label=None creates the task without attr files."""
        tid = pid if tid is None else tid
        dirs = [self._task_dir(pid, tid)]
        if tid == pid:
            dirs.append(os.path.join(self.root, str(pid)))
        for d in dirs:
            os.makedirs(d, exist_ok=True)
            _write(os.path.join(d, "comm"), comm + "\n")
        self.set_label(pid, tid, label, apparmor=apparmor, legacy=legacy, legacy_label=legacy_label)

    def set_label(self, pid, tid=None, label="unconfined", *, apparmor=True, legacy=True,
                  legacy_label=None):
        tid = pid if tid is None else tid
        dirs = [self._task_dir(pid, tid)]
        if tid == pid:
            dirs.append(os.path.join(self.root, str(pid)))
        for d in dirs:
            if not os.path.isdir(d):
                raise FileNotFoundError(f"no task {pid}/{tid}")
            attr = os.path.join(d, "attr")
            if label is None:
                shutil.rmtree(attr, ignore_errors=True)
                continue
            if apparmor:
                _write(os.path.join(attr, "apparmor", "current"), label + "\n")
            else:
                shutil.rmtree(os.path.join(attr, "apparmor"), ignore_errors=True)
            if legacy:
                _write(os.path.join(attr, "current"),
                       (label if legacy_label is None else legacy_label) + "\n")
            elif os.path.exists(os.path.join(attr, "current")):
                os.unlink(os.path.join(attr, "current"))

    def remove_task(self, pid, tid=None):
        """Remove one thread, or the whole process when tid is None."""
        if tid is None:
            shutil.rmtree(os.path.join(self.root, str(pid)))
        else:
            shutil.rmtree(self._task_dir(pid, tid))

    def tasks(self):
        """{(pid, tid): label from attr/apparmor/current or attr/current}."""
        out = {}
        for p in os.listdir(self.root):
            if not p.isdigit():
                continue
            tdir = os.path.join(self.root, p, "task")
            for t in os.listdir(tdir):
                label = None
                for rel in (("attr", "apparmor", "current"), ("attr", "current")):
                    try:
                        with open(os.path.join(tdir, t, *rel), encoding="utf-8") as f:
                            label = f.read().rstrip("\n")
                        break
                    except FileNotFoundError:
                        continue
                out[(int(p), int(t))] = label
        return out

    def set_self(self, pid):
        link = os.path.join(self.root, "self")
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(str(pid), link)
