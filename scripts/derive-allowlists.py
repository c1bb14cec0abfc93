#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Derive the validator's allowlists from the installed AppArmor files.

The validator (common/) lets a profile include only:
  - abi <abi/NAME>,            NAME a regular file under abi/
  - <tunables/NAME>            tunables that only define variables
  - <abstractions/NAME>        abstractions that, with everything they pull
                               in, define no profile, hat or child and carry
                               no exec transition other than ix

This script reads /etc/apparmor.d (or --root), decides each list, and writes
common/allowlist_data.c.  With --check it re-derives the file and fails with
a diff when the committed file and the installed files disagree, so a change
in the apparmor package cannot silently widen what we accept.  --explain
prints every excluded file and why.

The scanner below is deliberately coarse: it looks at tokens, not at a full
grammar.  Every doubt excludes a file; it never includes one.
"""

import argparse
import difflib
import os
import re
import sys

ROOT_DEFAULT = "/etc/apparmor.d"
OUTPUT_DEFAULT = os.path.normpath(os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "common",
    "allowlist_data.c"))

NAME_RE = re.compile(r"^[A-Za-z0-9._-]+$")
VAR_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
VAR_REF_RE = re.compile(r"@\{([^}]*)\}")
ASSIGN_RE = re.compile(r"^@\{([A-Za-z][A-Za-z0-9_]*)\}\s*(\+?=)\s*(.*)$")
INCLUDE_RE = re.compile(
    r"^(#include|include)(\s+if\s+exists)?\s*(<[^>]*>|\"[^\"]*\"|\S+)\s*(.*)$")
# A file-rule permission word that names an exec transition: any mode token
# with an x preceded by p, c or u (in either case).  ix alone is inherit.
MODE_TOKEN_RE = re.compile(r"^[rwalkmxpcuiRWALKMXPCUI]+$")
TRANSITION_RE = re.compile(r"[pPcCuU][iIuU]?[xX]")
POLICY_KEYWORDS = ("mount", "remount", "pivot_root", "change_profile",
                   "userns", "all")
QUALIFIERS = ("audit", "allow", "deny", "owner", "user", "other")
MAX_VARIABLES = 64  # the C side keeps the defined set in a uint64_t
# Variables apparmor_parser 3.0.8 defines itself, per profile.
BUILTIN_VARIABLES = ("profile_name",)


class Derivation:
    def __init__(self, root):
        self.root = root
        self.cache = {}
        self.known_variables = set()

    # -- reading -----------------------------------------------------------

    def statements(self, path):
        """Split a file into (kind, text) pieces: ("include", raw) for every
        include directive and ("text", line) for everything else, with
        comments removed.  A '#' starts a comment only at the start of a
        token, as in apparmor_parser's lexer; '#include' there is a
        directive, not a comment."""
        with open(path, "r", encoding="utf-8", errors="strict") as f:
            data = f.read()
        out = []
        for line in data.split("\n"):
            rest = line
            text = ""
            while True:
                m = re.search(r"(^|[\s,{}])#", rest)
                if not m:
                    text += rest
                    break
                start = m.end() - 1
                text += rest[:start]
                tail = rest[start:]
                if tail.startswith("#include"):
                    out.append(("include", tail))
                else:
                    pass  # comment to the end of the line
                break
            stripped = text.strip()
            if stripped.startswith("include") and re.match(
                    r"^include\s", stripped):
                # 'include' without '#' may follow other text on the
                # line in theory; treat the whole remainder as the
                # directive and anything before it as text.
                out.append(("include", stripped))
                continue
            m = re.search(r"(^|[\s,])include\s", text)
            if m and stripped:
                out.append(("text", text[:m.start()]))
                out.append(("include", text[m.start():].strip()))
                continue
            if stripped:
                out.append(("text", text))
        return data, out

    def parse_include(self, raw):
        """Returns (target, if_exists, trailing) with target like
        'abstractions/base', or (None, reason) for forms we do not model."""
        m = INCLUDE_RE.match(raw.strip())
        if not m:
            return None, "unparseable include %r" % raw.strip()
        word, if_exists, target, trailing = m.groups()
        if not (target.startswith("<") and target.endswith(">")):
            return None, "non-search include %s" % target
        name = target[1:-1].strip()
        if name.startswith("/") or ".." in name.split("/"):
            return None, "include escapes the search path %s" % target
        return (name, bool(if_exists), trailing), None

    def resolve(self, name):
        path = os.path.join(self.root, name)
        if os.path.isdir(path):
            return "dir", path
        if os.path.isfile(path):
            return "file", path
        return "missing", path

    # -- abstractions ------------------------------------------------------

    def file_problems(self, path):
        """Problems in one file, ignoring what it includes.  Returns
        (problems, includes)."""
        data, stmts = self.statements(path)
        problems = []
        includes = []
        refs = set()
        if "\\" in data:
            problems.append("uses a backslash escape")
        for kind, text in stmts:
            if kind == "text":
                refs.update(VAR_REF_RE.findall(text))
            if kind == "include":
                inc, why = self.parse_include(text)
                if inc is None:
                    problems.append(why)
                    continue
                includes.append(inc)
                if inc[2].strip():
                    problems.append("text after include %s" % inc[0])
                continue
            if "->" in text:
                problems.append("has a transition or link target (->)")
            words = [t for t in re.split(r"[\s,]+", text.strip()) if t]
            for tok in words:
                if MODE_TOKEN_RE.match(tok) and TRANSITION_RE.search(tok):
                    problems.append("exec transition %s" % tok)
                if tok in ("profile", "hat") or tok.startswith("^"):
                    problems.append("defines a profile or hat (%s)" % tok)
                if tok in ("alias", "rewrite", "if", "else") or \
                        tok.startswith("$"):
                    problems.append("statement %s is not valid in a body" %
                                    tok)
                if ASSIGN_RE.match(tok) or tok in ("=", "+="):
                    problems.append("defines a variable")
            # Paths (tokens starting with / @ or ") may hold {a,b}
            # alternations; anywhere else a brace opens or closes a block.
            # Conditional values (member={a,b}) may too.
            for tok in VAR_REF_RE.sub("@V", text).split():
                if tok[0] in "/@\"":
                    continue
                brace = min((i for i in (tok.find("{"), tok.find("}"))
                             if i >= 0), default=-1)
                if brace >= 0 and "=" not in tok[:brace]:
                    problems.append("opens a block or profile")
            if re.search(r"@\{[^}]*\}\s*\+?=", text):
                problems.append("defines a variable")
            # A rule keyword may start any comma-separated piece.
            for piece in text.split(","):
                pw = piece.split()
                lead = []
                while pw and pw[0] in QUALIFIERS:
                    lead.append(pw.pop(0))
                if pw and pw[0] in POLICY_KEYWORDS and "deny" not in lead:
                    problems.append("allows %s" % pw[0])
        return problems, includes, refs

    def abstraction_verdict(self, name, stack=()):
        """(ok, reason, variables used) for <name>, following includes
        recursively."""
        if name in self.cache:
            return self.cache[name]
        if name in stack:
            # the parser's include cache stops cycles
            return True, None, set()
        kind, path = self.resolve(name)
        refs = set()
        if kind == "missing":
            verdict = (False, "missing")
        elif kind == "dir":
            verdict = (True, None)
            for entry in sorted(os.listdir(path)):
                sub = name + "/" + entry
                if os.path.isdir(os.path.join(path, entry)):
                    continue  # the parser does not descend
                ok, why, sub_refs = self.abstraction_verdict(
                    sub, stack + (name,))
                refs |= sub_refs
                if not ok:
                    verdict = (False, "via %s: %s" % (sub, why))
                    break
        else:
            problems, includes, refs = self.file_problems(path)
            verdict = (True, None)
            if problems:
                verdict = (False, problems[0])
            else:
                for target, if_exists, _ in includes:
                    if target.count("/") == 0 or target.rstrip("/") in (
                            "abstractions", "tunables"):
                        verdict = (False, "includes the whole directory <%s>"
                                   % target)
                        break
                    tkind, _ = self.resolve(target)
                    if tkind == "missing":
                        if if_exists:
                            continue
                        verdict = (False, "includes missing <%s>" % target)
                        break
                    ok, why, sub_refs = self.abstraction_verdict(
                        target, stack + (name,))
                    refs = refs | sub_refs
                    if not ok:
                        verdict = (False, "via <%s>: %s" % (target, why))
                        break
        if verdict[0]:
            for ref in sorted(refs):
                if ref not in self.known_variables and \
                        ref not in BUILTIN_VARIABLES:
                    verdict = (False, "uses @{%s}, which no allowed tunable "
                               "defines" % ref)
                    break
        result = (verdict[0], verdict[1], refs)
        self.cache[name] = result
        return result

    def abstractions(self):
        base = os.path.join(self.root, "abstractions")
        allowed, excluded = [], []
        for entry in sorted(os.listdir(base)):
            full = os.path.join(base, entry)
            if not NAME_RE.match(entry) or entry in (".", ".."):
                excluded.append((entry, "name outside [A-Za-z0-9._-]"))
                continue
            if os.path.isdir(full):
                excluded.append((entry, "is a directory"))
                continue
            if not os.path.isfile(full) or os.path.islink(full):
                excluded.append((entry, "not a regular file"))
                continue
            ok, why, refs = self.abstraction_verdict("abstractions/" + entry)
            if ok:
                allowed.append((entry, refs - set(BUILTIN_VARIABLES)))
            else:
                excluded.append((entry, why))
        return allowed, excluded

    # -- tunables ----------------------------------------------------------

    def tunable_scan(self, name, stack, defs, order):
        """Collect assignments of <name> (file or directory) into defs.
        Returns (ok, reason, defined_names)."""
        if name in stack:
            return True, None, set()
        kind, path = self.resolve(name)
        if kind == "missing":
            return False, "missing", set()
        if kind == "dir":
            names = set()
            for entry in sorted(os.listdir(path)):
                if os.path.isdir(os.path.join(path, entry)):
                    continue
                ok, why, sub = self.tunable_scan(name + "/" + entry,
                                                 stack + (name,), defs, order)
                if not ok:
                    return False, "via %s/%s: %s" % (name, entry, why), set()
                names |= sub
            return True, None, names
        data, stmts = self.statements(path)
        if "\\" in data:
            return False, "uses a backslash escape", set()
        names = set()
        for kind2, text in stmts:
            if kind2 == "include":
                inc, why = self.parse_include(text)
                if inc is None:
                    return False, why, set()
                target, if_exists, trailing = inc
                if trailing.strip():
                    return False, "text after include", set()
                if not target.startswith("tunables/") or \
                        target.rstrip("/") == "tunables":
                    return False, "includes <%s>" % target, set()
                if self.resolve(target)[0] == "missing" and if_exists:
                    continue
                ok, why, sub = self.tunable_scan(target, stack + (name,),
                                                 defs, order)
                if not ok:
                    return False, "via <%s>: %s" % (target, why), set()
                names |= sub
                continue
            m = ASSIGN_RE.match(text.strip())
            if not m:
                return False, "statement other than a variable: %r" % \
                    text.strip()[:40], set()
            var, op, values = m.groups()
            vals = parse_values(values)
            if vals is None:
                return False, "unparseable values for @{%s}" % var, set()
            key = (path, var, op)
            if key not in defs:
                defs[key] = vals
                order.append(key)
            names.add(var)
        return True, None, names

    def tunables(self):
        base = os.path.join(self.root, "tunables")
        allowed, excluded = [], []
        defs, order = {}, []
        for entry in sorted(os.listdir(base)):
            full = os.path.join(base, entry)
            if not NAME_RE.match(entry):
                excluded.append((entry, "name outside [A-Za-z0-9._-]"))
                continue
            if os.path.isdir(full):
                excluded.append((entry, "is a directory"))
                continue
            if not os.path.isfile(full) or os.path.islink(full):
                excluded.append((entry, "not a regular file"))
                continue
            ok, why, names = self.tunable_scan("tunables/" + entry, (), defs,
                                               order)
            if ok:
                allowed.append((entry, names))
            else:
                excluded.append((entry, why))
        return allowed, excluded, self.variables(defs, order)

    def variables(self, defs, order):
        """name -> list of values, merging '+=' in file order."""
        values = {}
        origin = {}
        for key in order:
            path, var, op = key
            if op == "=":
                if var in values and origin[var] != path:
                    raise SystemExit("derive-allowlists: @{%s} defined in %s "
                                     "and %s" % (var, origin[var], path))
                values.setdefault(var, [])
                origin[var] = path
                values[var] = values[var] + defs[key]
        for key in order:
            path, var, op = key
            if op == "+=":
                if var not in values:
                    raise SystemExit("derive-allowlists: @{%s} += before ="
                                     % var)
                values[var] = values[var] + defs[key]
        return values

    def abis(self):
        base = os.path.join(self.root, "abi")
        out = []
        for entry in sorted(os.listdir(base)):
            full = os.path.join(base, entry)
            if NAME_RE.match(entry) and os.path.isfile(full) and \
                    not os.path.islink(full):
                out.append(entry)
        return out


def parse_values(text):
    vals = []
    i = 0
    while i < len(text):
        if text[i] in " \t":
            i += 1
            continue
        if text[i] == '"':
            j = text.find('"', i + 1)
            if j < 0:
                return None
            vals.append(text[i + 1:j])
            i = j + 1
            continue
        j = i
        while j < len(text) and text[j] not in " \t":
            j += 1
        vals.append(text[i:j])
        i = j
    if not vals or any(("," in v and "{" not in v) for v in vals):
        return None
    return vals


def expand(values, stack=()):
    """Every variable as one AARE string: several values become {a,b}."""
    out = {}
    deps = {}

    def ex(name, stack):
        if name in out:
            return out[name]
        if name in stack:
            raise SystemExit("derive-allowlists: @{%s} is recursive" % name)
        if name not in values:
            raise SystemExit("derive-allowlists: @{%s} is not defined" % name)
        parts = []
        needs = set()
        for v in values[name]:
            def sub(m):
                ref = m.group(1)
                if not VAR_NAME_RE.match(ref):
                    raise SystemExit("derive-allowlists: bad reference "
                                     "@{%s}" % ref)
                needs.add(ref)
                text = ex(ref, stack + (name,))
                needs.update(deps[ref])
                return text
            parts.append(VAR_REF_RE.sub(sub, v))
        text = parts[0] if len(parts) == 1 else "{" + ",".join(parts) + "}"
        out[name] = text
        deps[name] = needs
        return text

    for name in values:
        ex(name, ())
    return out, deps


def c_string(s):
    for ch in s:
        if not (0x20 <= ord(ch) < 0x7f) or ch in '"\\':
            if ch == '"':
                continue
            raise SystemExit("derive-allowlists: unexpected character in %r"
                             % s)
    return '"' + s.replace('"', '\\"') + '"'


def render(root, abis, abstractions, tunables, variables, deps,
           excluded_abs, excluded_tun):
    names = sorted(variables)
    if len(names) > MAX_VARIABLES:
        raise SystemExit("derive-allowlists: %d variables, more than %d"
                         % (len(names), MAX_VARIABLES))
    index = {n: i for i, n in enumerate(names)}
    lines = []
    w = lines.append
    w("/* SPDX-License-Identifier: Apache-2.0 */")
    w("/*")
    w(" * GENERATED by scripts/derive-allowlists.py from %s of" % root)
    w(" * Debian's apparmor package.  Do not edit: regenerate with")
    w(" *     python3 scripts/derive-allowlists.py")
    w(" * and check with --check (the allowlist unit test does).")
    w(" *")
    w(" * Abstractions left out, and why:")
    for entry, why in excluded_abs:
        w(" *   %s: %s" % (entry, why.replace("*/", "* /")))
    w(" * Tunables left out, and why:")
    for entry, why in excluded_tun:
        w(" *   %s: %s" % (entry, why.replace("*/", "* /")))
    w(" */")
    w('#include "common/allowlist.h"')
    w("")
    w("const char *const kp_abi_allowlist[] = {")
    for a in abis:
        w("\t%s," % c_string(a))
    w("};")
    w("const size_t kp_abi_allowlist_len = sizeof(kp_abi_allowlist) /")
    w("    sizeof(kp_abi_allowlist[0]);")
    w("")
    w("const struct kp_abstraction kp_abstraction_allowlist[] = {")
    for a, refs in abstractions:
        mask = 0
        for r in refs:
            mask |= 1 << index[r]
            for d in deps[r]:
                mask |= 1 << index[d]
        w("\t{ %s, UINT64_C(0x%016x) }," % (c_string(a), mask))
    w("};")
    w("const size_t kp_abstraction_allowlist_len =")
    w("    sizeof(kp_abstraction_allowlist) /")
    w("    sizeof(kp_abstraction_allowlist[0]);")
    w("")
    w("const struct kp_variable kp_variables[] = {")
    for n in names:
        mask = 0
        for d in deps[n]:
            mask |= 1 << index[d]
        w("\t{ %s, %s," % (c_string(n), c_string(variables[n])))
        w("\t    UINT64_C(0x%016x) }," % mask)
    w("};")
    w("const size_t kp_variables_len = sizeof(kp_variables) /")
    w("    sizeof(kp_variables[0]);")
    w("")
    w("const struct kp_tunable kp_tunable_allowlist[] = {")
    for t, defined in tunables:
        mask = 0
        for d in defined:
            mask |= 1 << index[d]
        w("\t{ %s, UINT64_C(0x%016x) }," % (c_string(t), mask))
    w("};")
    w("const size_t kp_tunable_allowlist_len =")
    w("    sizeof(kp_tunable_allowlist) / sizeof(kp_tunable_allowlist[0]);")
    return "\n".join(lines) + "\n"


def self_test(root):
    """Mutate a copy of root and check that each mutation changes the
    verdicts the way the rules say.  Returns the number of failures."""
    import shutil
    import tempfile
    failures = 0
    with tempfile.TemporaryDirectory(prefix="derive-allowlists.") as tmp:
        copy = os.path.join(tmp, "apparmor.d")
        shutil.copytree(root, copy, symlinks=True)

        def append(rel, text):
            with open(os.path.join(copy, rel), "a", encoding="utf-8") as f:
                f.write(text)

        def write(rel, text):
            path = os.path.join(copy, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)

        def verdicts():
            d = Derivation(copy)
            tun, _, values = d.tunables()
            variables, _ = expand(values)
            d.known_variables = set(variables)
            abs_ok, _ = d.abstractions()
            return set(a for a, _ in abs_ok), set(t for t, _ in tun)

        before_abs, before_tun = verdicts()
        for name in ("base", "crypto", "python", "perl", "bash", "ruby",
                     "openssl"):
            if name not in before_abs:
                print("self-test: %s not allowed to begin with" % name)
                return 1
        append("abstractions/crypto", "  /usr/bin/evil Px,\n")
        append("abstractions/bash", "  /usr/bin/ok r, # Px -> x, ^hat\n")
        append("abstractions/perl", "  deny mount,\n")
        append("abstractions/python", "  /usr/bin/x rw, change_profile,\n")
        append("abstractions/ruby", "  include if exists <abstractions/"
               "ruby.dx>\n")
        write("abstractions/ruby.dx/evil", "  ^hat {\n  }\n")
        write("abstractions/withvar", "  @{NOPE}/x r,\n")
        write("abstractions/wholedir", "  #include <abstractions>\n")
        append("abstractions/openssl", "  /a#b Cx,\n")
        write("tunables/evil", "alias /a -> /b,\n")
        append("tunables/global", "include <tunables/evil>\n")
        after_abs, after_tun = verdicts()
        expect = {
            "crypto": False,   # Px
            "base": False,     # includes crypto
            "bash": True,      # the transition is in a comment
            "perl": True,      # deny forms are fine
            "python": False,   # change_profile after a ',' on the line
            "ruby": False,     # a hat in an 'if exists' directory
            "withvar": False,  # a variable no tunable defines
            "wholedir": False,  # includes <abstractions>
            "openssl": False,  # '#' inside a token is no comment
        }
        for name, want in sorted(expect.items()):
            if (name in after_abs) != want:
                print("self-test: abstraction %s: expected %s" % (
                    name, "allowed" if want else "excluded"))
                failures += 1
        for name, want in (("evil", False), ("global", False),
                           ("proc", True)):
            if (name in after_tun) != want:
                print("self-test: tunable %s: expected %s" % (
                    name, "allowed" if want else "excluded"))
                failures += 1
    if failures == 0:
        print("derive-allowlists: self-test passed")
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default=ROOT_DEFAULT)
    ap.add_argument("--output", default=OUTPUT_DEFAULT)
    ap.add_argument("--check", action="store_true",
                    help="compare with --output instead of writing it")
    ap.add_argument("--explain", action="store_true",
                    help="print the lists and every exclusion")
    ap.add_argument("--self-test", action="store_true",
                    help="check the rules on mutated copies of --root")
    args = ap.parse_args()

    if args.self_test:
        return 1 if self_test(args.root) else 0

    d = Derivation(args.root)
    abis = d.abis()
    tunables, excluded_tun, values = d.tunables()
    variables, deps = expand(values)
    d.known_variables = set(variables)
    abstractions, excluded_abs = d.abstractions()
    text = render(args.root, abis, abstractions, tunables, variables, deps,
                  excluded_abs, excluded_tun)

    if args.explain:
        print("abi: %s" % " ".join(abis))
        print("abstractions allowed (%d): %s" % (
            len(abstractions), " ".join(a for a, _ in abstractions)))
        for e, why in excluded_abs:
            print("  excluded %s: %s" % (e, why))
        print("tunables allowed (%d): %s" % (
            len(tunables), " ".join(t for t, _ in tunables)))
        for e, why in excluded_tun:
            print("  excluded %s: %s" % (e, why))
        for n in sorted(variables):
            print("  @{%s} = %s" % (n, variables[n]))
        return 0

    if args.check:
        try:
            with open(args.output, "r", encoding="utf-8") as f:
                current = f.read()
        except OSError as e:
            print("derive-allowlists: cannot read %s: %s" % (args.output, e),
                  file=sys.stderr)
            return 1
        if current == text:
            print("derive-allowlists: %s matches %s (%d abstractions, %d "
                  "tunables, %d variables)" % (args.output, args.root,
                                               len(abstractions),
                                               len(tunables), len(variables)))
            return 0
        sys.stdout.writelines(difflib.unified_diff(
            current.splitlines(True), text.splitlines(True),
            fromfile="committed " + os.path.basename(args.output),
            tofile="derived from " + args.root))
        print("derive-allowlists: %s disagrees with %s; review the diff and "
              "regenerate with: python3 scripts/derive-allowlists.py" %
              (args.output, args.root), file=sys.stderr)
        return 1

    with open(args.output, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
