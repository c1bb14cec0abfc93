#!/usr/bin/env python3
"""Run kapparmor-check over the accept/reject corpus and check every verdict.

Usage: run-corpus.py --check KAPPARMOR_CHECK [--parser PATH] [--features FILE]
                     [--only accept|reject] CORPUS_DIR

CORPUS_DIR holds accept/, reject/ and reject.expect.  Each file of accept/ and
reject/ is one ConfigMap key named like the file.  One case per file:

  accept/KEY   kapparmor-check says ok (its compile step included), the
               profile inside is named exactly KEY, and apparmor_parser
               compiles the file itself (-Q -K -j0 --kernel-features FILE).
  reject/KEY   kapparmor-check rejects it with exactly the reason code that
               reject.expect gives for KEY ("KEY REASON", one per line).

Prints one line per failure, then "N passed, N failed"; exits 1 on any
failure.  A missing kapparmor-check, missing parser, unreadable output or a
wrong exit status is a failure, never a skip.
"""
import argparse
import json
import os
import re
import subprocess
import sys

PARSER = "/sbin/apparmor_parser"
FEATURES = "/usr/share/apparmor-features/features"
CHECK_TIMEOUT = 240      # seconds for one kapparmor-check run over a directory
PARSER_TIMEOUT = 20      # seconds for one direct apparmor_parser run
HEADER = re.compile(rb"^[ \t]*profile[ \t]+([^ \t\n{]+)", re.M)


class Result:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self):
        self.passed += 1

    def fail(self, what, why):
        self.failed += 1
        print("FAIL %s: %s" % (what, why))


def keys_of(directory):
    """The files kapparmor-check reads as keys: regular files whose names do
    not start with '.'."""
    out = []
    for name in sorted(os.listdir(directory)):
        if name.startswith("."):
            continue
        if os.path.isfile(os.path.join(directory, name)):
            out.append(name)
    return out


def read_expect(path):
    expect = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            # The reason is the last word; a key may hold a space.
            key, sep, reason = line.rpartition(" ")
            if not sep or not key:
                raise ValueError("%s:%d: expected 'KEY REASON'" % (path, n))
            if key in expect:
                raise ValueError("%s:%d: %s listed twice" % (path, n, key))
            expect[key] = reason
    return expect


def run_check(args, directory):
    """Run kapparmor-check --json on a directory.  Returns (exit status,
    {key: entry}) or raises RuntimeError with a one-line reason."""
    argv = [args.check, "--json", "--parser", args.parser,
            "--features", args.features, directory]
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=CHECK_TIMEOUT)
    except FileNotFoundError:
        raise RuntimeError("kapparmor-check not found: %s" % args.check)
    except PermissionError:
        raise RuntimeError("kapparmor-check not executable: %s" % args.check)
    except subprocess.TimeoutExpired:
        raise RuntimeError("kapparmor-check did not finish in %d s"
                           % CHECK_TIMEOUT)
    if proc.returncode < 0:
        raise RuntimeError("kapparmor-check died of signal %d"
                           % -proc.returncode)
    try:
        doc = json.loads(proc.stdout.decode("utf-8"))
        sources = doc["sources"]
        if len(sources) != 1:
            raise ValueError("%d sources" % len(sources))
        src = sources[0]
        if src.get("error") is not None:
            raise RuntimeError("kapparmor-check could not read %s: %s"
                               % (directory, src["error"]))
        entries = {}
        for e in src["keys"]:
            if e["key"] in entries:
                raise ValueError("key %r reported twice" % e["key"])
            entries[e["key"]] = e
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError("unreadable --json output (%s; exit %d%s)"
                           % (e, proc.returncode,
                              "; stderr: " + err[0] if err else ""))
    return proc.returncode, entries


def describe(entry):
    if entry.get("verdict") == "ok":
        return "ok"
    parts = ["rejected", str(entry.get("reason"))]
    if entry.get("line") is not None:
        parts.append("line %s" % entry["line"])
    if entry.get("message"):
        parts.append(entry["message"])
    return ": ".join(parts)


def parser_compiles(args, path):
    """None when apparmor_parser compiles the file, else why not."""
    argv = [args.parser, "-Q", "-K", "-j0", "--kernel-features",
            args.features, path]
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=PARSER_TIMEOUT,
                              env={})
    except FileNotFoundError:
        return "apparmor_parser not found: %s" % args.parser
    except subprocess.TimeoutExpired:
        return "apparmor_parser did not finish in %d s" % PARSER_TIMEOUT
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        return "apparmor_parser exit %d: %s" % (
            proc.returncode, msg[0] if msg else "(no message)")
    return None


def check_accept(args, corpus, res):
    directory = os.path.join(corpus, "accept")
    keys = keys_of(directory)
    if not keys:
        res.fail("accept/", "no files")
        return
    try:
        status, entries = run_check(args, directory)
    except RuntimeError as e:
        for k in keys:
            res.fail("accept/" + k, str(e))
        return
    if status != 0:
        res.fail("accept/", "kapparmor-check exit status %d, expected 0"
                 % status)
    for k in sorted(set(entries) - set(keys)):
        res.fail("accept/" + k, "reported but not a file of the corpus")
    for k in keys:
        path = os.path.join(directory, k)
        e = entries.get(k)
        if e is None:
            res.fail("accept/" + k, "not reported by kapparmor-check")
            continue
        if e.get("verdict") != "ok":
            res.fail("accept/" + k, "expected ok, got " + describe(e))
            continue
        if e.get("compiled") is not True:
            res.fail("accept/" + k, "ok but not compiled by kapparmor-check")
            continue
        with open(path, "rb") as f:
            names = HEADER.findall(f.read())
        if names != [k.encode()]:
            res.fail("accept/" + k, "profile names in the file: %r" % names)
            continue
        why = parser_compiles(args, path)
        if why:
            res.fail("accept/" + k, why)
            continue
        res.ok()


def check_reject(args, corpus, res):
    directory = os.path.join(corpus, "reject")
    keys = keys_of(directory)
    try:
        expect = read_expect(os.path.join(corpus, "reject.expect"))
    except (OSError, ValueError) as e:
        for k in keys:
            res.fail("reject/" + k, "reject.expect: %s" % e)
        return
    for k in sorted(set(expect) - set(keys)):
        res.fail("reject/" + k, "listed in reject.expect but no such file")
    if not keys:
        res.fail("reject/", "no files")
        return
    try:
        status, entries = run_check(args, directory)
    except RuntimeError as e:
        for k in keys:
            res.fail("reject/" + k, str(e))
        return
    if status != 1:
        res.fail("reject/", "kapparmor-check exit status %d, expected 1"
                 % status)
    for k in sorted(set(entries) - set(keys)):
        res.fail("reject/" + k, "reported but not a file of the corpus")
    for k in keys:
        want = expect.get(k)
        if want is None:
            res.fail("reject/" + k, "no expected reason in reject.expect")
            continue
        e = entries.get(k)
        if e is None:
            res.fail("reject/" + k, "not reported by kapparmor-check")
            continue
        if e.get("verdict") != "rejected" or e.get("reason") != want:
            res.fail("reject/" + k, "expected rejected: %s, got %s"
                     % (want, describe(e)))
            continue
        res.ok()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", required=True, help="kapparmor-check binary")
    ap.add_argument("--parser", default=PARSER)
    ap.add_argument("--features", default=FEATURES)
    ap.add_argument("--only", choices=("accept", "reject"))
    ap.add_argument("corpus")
    args = ap.parse_args()

    res = Result()
    if args.only in (None, "accept"):
        check_accept(args, args.corpus, res)
    if args.only in (None, "reject"):
        check_reject(args, args.corpus, res)
    print("%d passed, %d failed" % (res.passed, res.failed))
    return 1 if res.failed or not res.passed else 0


if __name__ == "__main__":
    sys.exit(main())
