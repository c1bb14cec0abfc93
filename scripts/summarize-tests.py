#!/usr/bin/env python3
"""Sum the results of every suite that meson ran, at test-case granularity.

Usage: summarize-tests.py LABEL=TESTLOG.json [LABEL=TESTLOG.json ...] [--extra LABEL=PASSED,FAILED]

A meson test counts as the cases it reports itself: Criterion's
"Synthesis: Tested: T | Passing: P | Failing: F | Crashing: C" line, or our
own "N passed, N failed" line; otherwise it counts as one case.  A test that
meson saw fail (non-zero exit, timeout, sanitizer report at exit) but whose
own line claims no failure counts one failure more, so a leak or crash after
the last assertion is never lost.  The last line printed is the total.
"""
import json
import re
import sys

CRITERION = re.compile(
    r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| Failing: (\d+) \| Crashing: (\d+)")
PLAIN = re.compile(r"^(?:\w+: )?(\d+) passed, (\d+) failed", re.M)


def count(entry):
    out = (entry.get("stdout") or "") + "\n" + (entry.get("stderr") or "")
    ok = entry["result"] in ("OK", "EXPECTEDFAIL")
    if entry["result"] == "SKIP":
        return 0, 0, 1
    m = CRITERION.findall(out)
    if m:
        _, p, f, c = (int(x) for x in m[-1])
        passed, failed = p, f + c
    else:
        m = PLAIN.findall(out)
        if m:
            passed, failed = (int(x) for x in m[-1])
        else:
            passed, failed = (1, 0) if ok else (0, 1)
    if not ok and failed == 0:
        failed = 1
    return passed, failed, 0


def main(argv):
    total_p = total_f = total_s = 0
    for arg in argv[1:]:
        if arg.startswith("--extra="):
            label, nums = arg[len("--extra="):].split("=", 1)
            p, f = (int(x) for x in nums.split(","))
            print(f"  {label:<40} {p:5d} passed {f:4d} failed")
            total_p += p
            total_f += f
            continue
        label, path = arg.split("=", 1)
        try:
            lines = open(path, encoding="utf-8").read().splitlines()
        except OSError as e:
            print(f"  {label}: no test log ({e.strerror}): counted as 1 failure")
            total_f += 1
            continue
        for line in lines:
            entry = json.loads(line)
            p, f, s = count(entry)
            name = entry["name"].split(":", 1)[-1].strip()
            mark = "FAIL" if f else ("skip" if s else "ok")
            print(f"  [{label}] {name:<44} {p:5d} passed {f:4d} failed  {mark}")
            total_p += p
            total_f += f
            total_s += s
    if total_s:
        print(f"{total_p} passed, {total_f} failed, {total_s} skipped")
    else:
        print(f"{total_p} passed, {total_f} failed")
    return 1 if total_f else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
