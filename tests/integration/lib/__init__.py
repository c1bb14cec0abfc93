"""Test harness for Kapparmor's integration tests (stdlib only).

  fake_kernel    a fake apparmorfs that the real apparmor_parser writes to
  policy_blob    decoder of the binary policy the parser writes
  atomic_writer  kubelet's ConfigMap volume update sequence (and plain dirs)
  fake_proc      a fake /proc tree with AppArmor labels and a boot id
  procs          start/stop/wait for processes, read /proc/<pid>/status
  runner         unittest runner whose last line is "N passed, N failed"
  libapparmor    ctypes calls into libapparmor's kernel interface

See docs/testing.md.
"""
