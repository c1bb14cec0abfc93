"""ctypes calls into libapparmor's kernel interface, as the loader makes them.

The kernel interface must be created with a features object read from a
file (or the fake apparmorfs' `features`): created with NULL, libapparmor
reads the running kernel's features and fails on a kernel without AppArmor.
The features must include policy/set_load, else libapparmor splits every
write at record headers (and, for a name shorter than a header, reads past
its end).

    with KernelInterface(fk.path) as ki:
        ki.remove("custom.a")          # writes "custom.a\\0" to .remove
"""

import ctypes
import ctypes.util
import os

DEFAULT_FEATURES = "/usr/share/apparmor-features/features"
AT_FDCWD = -100

_lib = None


def _load():
    global _lib
    if _lib is None:
        name = ctypes.util.find_library("apparmor") or "libapparmor.so.1"
        lib = ctypes.CDLL(name, use_errno=True)
        vp = ctypes.c_void_p
        lib.aa_features_new.argtypes = [ctypes.POINTER(vp), ctypes.c_int, ctypes.c_char_p]
        lib.aa_features_new.restype = ctypes.c_int
        lib.aa_features_unref.argtypes = [vp]
        lib.aa_features_unref.restype = None
        lib.aa_features_supports.argtypes = [vp, ctypes.c_char_p]
        lib.aa_features_supports.restype = ctypes.c_bool
        lib.aa_kernel_interface_new.argtypes = [ctypes.POINTER(vp), vp, ctypes.c_char_p]
        lib.aa_kernel_interface_new.restype = ctypes.c_int
        lib.aa_kernel_interface_unref.argtypes = [vp]
        lib.aa_kernel_interface_unref.restype = None
        lib.aa_kernel_interface_remove_policy.argtypes = [vp, ctypes.c_char_p]
        lib.aa_kernel_interface_remove_policy.restype = ctypes.c_int
        for fn in ("aa_kernel_interface_replace_policy", "aa_kernel_interface_load_policy"):
            f = getattr(lib, fn)
            f.argtypes = [vp, ctypes.c_char_p, ctypes.c_size_t]
            f.restype = ctypes.c_int
        _lib = lib
    return _lib


def _check(rc, what):
    if rc == -1:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


class KernelInterface:
    """An aa_kernel_interface on `apparmorfs` with features from a file."""

    def __init__(self, apparmorfs, features=DEFAULT_FEATURES):
        lib = _load()
        self._lib = lib
        self._ki = ctypes.c_void_p()
        feats = ctypes.c_void_p()
        _check(lib.aa_features_new(ctypes.byref(feats), AT_FDCWD, os.fsencode(features)),
               f"aa_features_new({features})")
        try:
            self.supports_setload = lib.aa_features_supports(feats, b"policy/set_load")
            _check(lib.aa_kernel_interface_new(ctypes.byref(self._ki), feats, os.fsencode(apparmorfs)),
                   f"aa_kernel_interface_new({apparmorfs})")
        finally:
            lib.aa_features_unref(feats)

    def remove(self, fqname):
        _check(self._lib.aa_kernel_interface_remove_policy(self._ki, os.fsencode(fqname)),
               f"aa_kernel_interface_remove_policy({fqname})")

    def replace(self, blob):
        _check(self._lib.aa_kernel_interface_replace_policy(self._ki, blob, len(blob)),
               "aa_kernel_interface_replace_policy")

    def load(self, blob):
        _check(self._lib.aa_kernel_interface_load_policy(self._ki, blob, len(blob)),
               "aa_kernel_interface_load_policy")

    def close(self):
        if self._ki:
            self._lib.aa_kernel_interface_unref(self._ki)
            self._ki = ctypes.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
