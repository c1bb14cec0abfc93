#!/usr/bin/env python3
"""Measure apparmor_parser's compile time and peak memory on generated globs.

Usage: measure-glob.py [--parser PATH] [--features FILE] [--timeout S]
                       [--mem-mib N] [SERIES ...]
       measure-glob.py --file PROFILE     (measure one existing file)

Each series generates `profile custom.t { <rules> }` for a growing parameter
and compiles it with the same argv the validator's compile check uses
(-Q -K -j0 --kernel-features FILE: compile, never load).  Every run has a
wall timeout and an address-space cap, so a glob bomb costs at most
--timeout seconds.  A series stops at its first run that fails or exceeds
the timeout.  Output is a Markdown table per series for
docs/validator-limits.md.

Peak memory is the child's ru_maxrss from wait4(), which on Linux covers the
parser and every descendant it waited for.
"""
import argparse
import os
import resource
import signal
import sys
import tempfile
import time

PARSER = "/sbin/apparmor_parser"
FEATURES = "/usr/share/apparmor-features/features"
TIME = "/usr/bin/time"


def run(path, args):
    """Compile one file.  Returns (status, seconds, peak_kib)."""
    # GNU time forks the parser from its own small image, so the peak it
    # reports is the parser's, not this Python process's (ru_maxrss survives
    # execve).
    fd, out = tempfile.mkstemp(prefix="measure-glob.time.")
    os.close(fd)
    argv = [TIME, "-f", "%U %S %M", "-o", out, args.parser, "-Q", "-K", "-j0",
            "--kernel-features", args.features, path]
    cap = args.mem_mib * 1024 * 1024

    def limits():
        os.setsid()
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        cpu = int(args.timeout) + 2
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))

    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            limits()
            fd = os.open(os.devnull, os.O_RDWR)
            os.dup2(fd, 0)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.execve(argv[0], argv, {})
        finally:
            os._exit(127)
    deadline = start + args.timeout
    status = "ok"
    while True:
        wpid, wstatus, ru = os.wait4(pid, os.WNOHANG)
        if wpid == pid:
            break
        if time.monotonic() > deadline:
            os.killpg(pid, signal.SIGKILL)
            _, wstatus, ru = os.wait4(pid, 0)
            status = "timeout"
            break
        time.sleep(0.005)
    secs = time.monotonic() - start
    cpu = None
    try:
        with open(out) as f:
            fields = f.read().split()
        kib = int(fields[-1])
        cpu = float(fields[-3]) + float(fields[-2])
    except (OSError, ValueError, IndexError):
        kib = None  # killed with GNU time: peak unknown
    os.unlink(out)
    if status == "ok":
        if os.WIFSIGNALED(wstatus):
            status = "signal %d" % os.WTERMSIG(wstatus)
        elif os.WEXITSTATUS(wstatus) != 0:
            status = "exit %d" % os.WEXITSTATUS(wstatus)
    # CPU time (user + system) is what we compare: the machine is shared and
    # wall time follows the load.  Wall time is kept for the timeout.
    return status, (cpu if cpu is not None else secs), kib


# ---------------------------------------------------------------------------
# Reference implementation of the counting rules in docs/validator-limits.md.
# common/validator*.c implements the same rules in C; `--cost PATTERN` prints
# what this one computes so the two can be compared.

TUNABLES = "/etc/apparmor.d/tunables"
NONE, SEGMENT, PATH = 0, 1, 2


def load_tunables(root=TUNABLES):
    """Variables defined by tunables/global and what it includes."""
    import re
    defs = {}
    seen = set()

    def read(path):
        if path in seen:
            return
        seen.add(path)
        if os.path.isdir(path):
            for n in sorted(os.listdir(path)):
                if not n.startswith("."):
                    read(os.path.join(path, n))
            return
        try:
            text = open(path, encoding="utf-8", errors="replace").read()
        except OSError:
            return
        for line in text.splitlines():
            line = line.split("#", 1)[0] if not line.lstrip().startswith(
                "#include") else line.lstrip()[1:]
            m = re.match(r"\s*include\s+(?:if\s+exists\s+)?<([^>]+)>", line)
            if m:
                read(os.path.join(os.path.dirname(root), m.group(1)))
                continue
            m = re.match(r"\s*@\{(\w+)\}\s*(\+?=)\s*(.*)$", line)
            if m:
                vals = [v.strip('"') for v in m.group(3).split()]
                if m.group(2) == "=":
                    defs[m.group(1)] = vals
                else:
                    defs.setdefault(m.group(1), []).extend(vals)

    read(os.path.join(root, "global"))
    return defs


def expand(pattern, defs, depth=0):
    """Substitute @{VAR} by its value; several values become {v1,v2}."""
    import re
    if depth > 16:
        raise ValueError("variable recursion")

    def one(m):
        vals = defs.get(m.group(1))
        if vals is None:
            raise ValueError("@{%s} is not defined by tunables/global"
                             % m.group(1))
        vals = [expand(v, defs, depth + 1) for v in vals]
        return vals[0] if len(vals) == 1 else "{" + ",".join(vals) + "}"
    return re.sub(r"@\{(\w+)\}", one, pattern)


def _class_end(p, i):
    """Index just past the class that starts at p[i] == '['."""
    j = i + 1
    if j < len(p) and p[j] == "^":
        j += 1
    if j < len(p) and p[j] == "]":
        j += 1
    while j < len(p) and p[j] != "]":
        j += 1
    return j + 1


def _group_end(p, i):
    """Index of the '}' matching the '{' at p[i]."""
    depth = 0
    j = i
    while j < len(p):
        if p[j] == "[":
            j = _class_end(p, j)
            continue
        if p[j] == "{":
            depth += 1
        elif p[j] == "}":
            depth -= 1
            if depth == 0:
                return j
        j += 1
    return len(p) - 1


def _alternatives(p, i):
    """Split the group at p[i] into its top-level alternatives' text."""
    end = _group_end(p, i)
    alts, cur, depth, j = [], [], 0, i + 1
    while j < end:
        c = p[j]
        if c == "[":
            k = _class_end(p, j)
            cur.append(p[j:k])
            j = k
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        if c == "," and depth == 0:
            alts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        j += 1
    alts.append("".join(cur))
    return alts


def width(text):
    """Characters a glob matches at most, with '*' counted as 0."""
    w, j = 0, 0
    while j < len(text):
        c = text[j]
        if c == "*":
            j += 1
        elif c == "[":
            w += 1
            j = _class_end(text, j)
        elif c == "{":
            w += max(width(a) for a in _alternatives(text, j))
            j = _group_end(text, j) + 1
        else:
            w += 1
            j += 1
    return w


def glob_stats(p):
    """Counts for one pattern (already expanded).

    wildcards: single '*'-runs and '?'; doublestar: runs of two or more '*';
    classes: [...] after the first '*' of the pattern; alt_depth, alt_width;
    ambiguity: the points of KP_GLOB_MAX_AMBIGUITY."""
    st = dict(wildcards=0, doublestar=0, classes=0, alt_depth=0,
              alt_width=0, ambiguity=0, all_classes=0)
    floating, pending, after_u, depth = NONE, False, False, 0
    unbounded = False  # any '*' so far (never reset): what classes count
    i = 0
    while i < len(p):
        c = p[i]
        if c == "*":
            j = i
            while j < len(p) and p[j] == "*":
                j += 1
            if floating != NONE and pending:
                st["ambiguity"] += 1
            unbounded = True
            if j - i >= 2:
                st["doublestar"] += 1
                floating = PATH
            else:
                st["wildcards"] += 1
                if floating == NONE:
                    floating = SEGMENT
            pending, after_u, i = False, True, j
            continue
        if c == "/" and depth == 0 and floating == SEGMENT:
            floating, pending, after_u = NONE, False, False
            i += 1
            continue
        if c == "/" and after_u:
            after_u = False
            i += 1
            continue
        after_u = False
        if c == "?":
            st["wildcards"] += 1
            if floating != NONE:
                st["ambiguity"] += 1
                pending = True
        elif c == "[":
            st["all_classes"] += 1
            if unbounded:
                st["classes"] += 1
            if floating != NONE:
                st["ambiguity"] += 1
                pending = True
            i = _class_end(p, i)
            continue
        elif c == "{":
            alts = _alternatives(p, i)
            st["alt_width"] = max(st["alt_width"], len(alts))
            depth += 1
            st["alt_depth"] = max(st["alt_depth"], depth)
            trailing = depth == 1 and _group_end(p, i) == len(p) - 1
            if floating != NONE:
                if not trailing:
                    st["ambiguity"] += min(max(width(a) for a in alts),
                                           len(alts))
                pending = True
        elif c == "}":
            depth -= 1
        elif c == ",":
            pass
        elif floating != NONE:
            pending = True
        i += 1
    return st


def mib(kib):
    return "n/a" if kib is None else "%.1f" % (kib / 1024)


def profile(rules):
    return "profile custom.t {\n" + "".join("  %s\n" % r for r in rules) + "}\n"


def alt_nested(depth):
    s = "x"
    for i in range(depth):
        s = "{a%d,%s}" % (i, s)
    return s


PERMS = ["r", "w", "rw", "m", "k", "l", "rk", "wk", "rm", "wl", "rwk", "rwl"]


def mixed_rules(n, k, atom):
    """n rules `/**<A_i>` + k x atom + `<B_i>`: distinct literals on both
    sides and varying permissions, so the parser cannot factor the rules
    into one expression."""
    names = lits(2 * n + 2)
    return ["/**%s%s%s %s," % (names[2 * i], atom * k, names[2 * i + 1],
                               PERMS[i % len(PERMS)]) for i in range(n)]


def lits(n):
    """n distinct short literals: a, b, ..., z, ba, bb, ..."""
    out = []
    i = 0
    while len(out) < n:
        s, k = "", i
        while True:
            s = chr(ord("a") + k % 26) + s
            k //= 26
            if k == 0:
                break
        out.append(s)
        i += 1
    return out


# name -> (description, parameter values, rules generator)
SERIES = {
    "q-plain": ("`/tmp/` + n x `?` (no unbounded wildcard before them)",
                [1, 4, 8, 16, 32, 64, 128],
                lambda n: ["/tmp/" + "?" * n + " r,"]),
    "dstar-a-q": ("`/**a` + n x `?` (the issue's bomb)",
                  list(range(0, 19)),
                  lambda n: ["/**a" + "?" * n + " r,"]),
    "star-a-q": ("`/tmp/*a` + n x `?` (single `*` then a literal then `?`)",
                 list(range(0, 19)),
                 lambda n: ["/tmp/*a" + "?" * n + " r,"]),
    "dstar-q": ("`/**` + n x `?` (no literal between)",
                [1, 2, 4, 8, 16, 32, 64],
                lambda n: ["/**" + "?" * n + " r,"]),
    "dstar-a-class": ("`/**a` + n x `[a-z]`",
                      list(range(0, 19)),
                      lambda n: ["/**a" + "[a-z]" * n + " r,"]),
    "dstar-a-star": ("`/**a` + n x `*b` (stars after `**`)",
                     [1, 2, 4, 8, 12, 16, 24, 32],
                     lambda n: ["/**a" + "*b" * n + " r,"]),
    "star-a-class": ("`/tmp/*a` + n x `[a-z]`",
                     list(range(0, 19)),
                     lambda n: ["/tmp/*a" + "[a-z]" * n + " r,"]),
    "star-lit": ("`/` + n x `*x` in one path (stars separated by literals)",
                 [1, 2, 4, 8, 16, 32, 64],
                 lambda n: ["/" + "*x" * n + " r,"]),
    "star-seg": ("n path segments `/*` (`/*/*/.../*`)",
                 [1, 2, 4, 8, 16, 32, 64],
                 lambda n: ["/*" * n + " r,"]),
    "dstar-count": ("n x `/**/x` in one path",
                    [1, 2, 3, 4, 6, 8, 12, 16, 24, 32],
                    lambda n: ["/**/x" * n + " r,"]),
    "dstar-count-lit": ("n x `/**a` in one path (`**` glued to literal)",
                        [1, 2, 3, 4, 6, 8, 12, 16, 24, 32],
                        lambda n: ["/**a" * n + " r,"]),
    "class-plain": ("`/tmp/` + n x `[a-z]` (no unbounded wildcard)",
                    [1, 4, 8, 16, 32, 64, 128],
                    lambda n: ["/tmp/" + "[a-z]" * n + " r,"]),
    "class-neg": ("`/tmp/` + n x `[^/a]`",
                  [1, 4, 8, 16, 32, 64],
                  lambda n: ["/tmp/" + "[^/a]" * n + " r,"]),
    "alt-width": ("`/tmp/{a,b,...}` with n alternatives",
                  [2, 16, 64, 256, 1024, 4096],
                  lambda n: ["/tmp/{" + ",".join(lits(n)) + "} r,"]),
    "alt-depth": ("nested `{a0,{a1,{...x}}}` depth n",
                  [1, 2, 4, 8, 16, 32, 64],
                  lambda n: ["/tmp/" + alt_nested(n) + " r,"]),
    "alt-seq": ("n x `{a,b}` in sequence in one path",
                [1, 2, 4, 8, 16, 32],
                lambda n: ["/tmp/" + "{a,b}" * n + " r,"]),
    "dstar-alt-q": ("`/**{a,b}` + n x `?`",
                    list(range(0, 17)),
                    lambda n: ["/**{a,b}" + "?" * n + " r,"]),
    "dstar-altq": ("`/**a` + n x `{?,}` (optional `?`)",
                   list(range(0, 17)),
                   lambda n: ["/**a" + "{?,}" * n + " r,"]),
    "rules-plain": ("n rules `/srv/dN/** rw,`",
                    [16, 256, 1024, 4096, 16384],
                    lambda n: ["/srv/d%d/** rw," % i for i in range(n)]),
    "rules-glob": ("n rules `/srv/dN/*.{conf,ini} r,` + `/var/**/cN*.log w,`",
                   [16, 256, 1024, 2048, 4096],
                   lambda n: ["/srv/d%d/*.{conf,ini} r," % i
                              if i % 2 == 0 else
                              "/var/**/c%d*.log w," % i for i in range(n)]),
    "rules-dstar-q2": ("n rules `/**xN??` (2 fixed-width wildcards after `**` each)",
                       [1, 2, 4, 8, 16, 32, 64, 128, 256],
                       lambda n: ["/**x%d?? r," % i for i in range(n)]),
    "rules-dstar-q4": ("n rules `/**xN????` (4 after `**` each)",
                       [1, 2, 4, 8, 16, 32, 64],
                       lambda n: ["/**x%d???? r," % i for i in range(n)]),
    "rules-dstar-q6": ("n rules `/**xN??????` (6 after `**` each)",
                       [1, 2, 3, 4, 6, 8, 16],
                       lambda n: ["/**x%d?????? r," % i for i in range(n)]),
    "rules-dstar-q8": ("n rules `/**xN????????` (8 after `**` each)",
                       [1, 2, 3, 4, 6, 8],
                       lambda n: ["/**x%d???????? r," % i for i in range(n)]),
    "rules-mix-q4": ("n rules `/**<A_i>` + 4 x `?` + `<B_i>`, distinct literals "
                     "and permissions (no common prefix/suffix to factor)",
                     [1, 2, 3, 4, 5, 6, 8, 12, 16],
                     lambda n: mixed_rules(n, 4, "?")),
    "rules-mix-c4": ("as rules-mix-q4 with 4 x `[a-z]`",
                     [1, 2, 3, 4, 5, 6, 8, 12, 16],
                     lambda n: mixed_rules(n, 4, "[a-z]")),
    "rules-mix-q6": ("as rules-mix-q4 with 6 x `?`",
                     [1, 2, 3, 4, 5, 6, 8],
                     lambda n: mixed_rules(n, 6, "?")),
    "rules-mix-q2": ("as rules-mix-q4 with 2 x `?`",
                     [1, 2, 4, 6, 8, 12, 16, 24, 32],
                     lambda n: mixed_rules(n, 2, "?")),
    "rules-mix-q1": ("as rules-mix-q4 with 1 x `?`",
                     [1, 2, 4, 8, 16, 24, 32, 48, 64],
                     lambda n: mixed_rules(n, 1, "?")),
    "budget-c-1": ("total n fixed-width after unbounded: one rule `/**a` + n x `[a-z]`",
                   [4, 6, 8, 9, 10],
                   lambda n: mixed_rules(1, n, "[a-z]")),
    "budget-c-2": ("total n: n/2 rules with 2 x `[a-z]` each",
                   [4, 6, 8, 10, 12],
                   lambda n: mixed_rules(n // 2, 2, "[a-z]")),
    "budget-c-1each": ("total n: n rules with 1 x `[a-z]` each",
                       [4, 6, 8, 10, 12, 16],
                       lambda n: mixed_rules(n, 1, "[a-z]")),
    "budget-c-4": ("total n: n/4 rules with 4 x `[a-z]` each",
                   [4, 8, 12],
                   lambda n: mixed_rules(n // 4, 4, "[a-z]")),
    "budget-peer-c-2": ("total n: n/2 `signal peer=/**A_i[a-z][a-z]B_i` rules",
                        [4, 6, 8, 10, 12],
                        lambda n: ["signal (send) peer=/**%s[a-z][a-z]%s,"
                                   % (a, b) for a, b in
                                   zip(lits(n)[0::2], lits(n)[1::2])]),
    "budget-star-c-2": ("total n: n/2 rules `/tmp/*A_i[a-z][a-z]B_i` (single `*`)",
                        [4, 6, 8, 10, 12],
                        lambda n: ["/tmp/*%s[a-z][a-z]%s %s," % (a, b, PERMS[i % 12])
                                   for i, (a, b) in enumerate(
                                       zip(lits(n)[0::2], lits(n)[1::2]))]),
    "rules-star-q": ("n rules `/srv/dN/*a????????` (8 after a `*`, distinct prefixes)",
                     [1, 16, 256, 1024, 4096],
                     lambda n: ["/srv/d%d/*a???????? r," % i for i in range(n)]),
    "peer-dstar-a-q": ("`signal peer=/**a` + n x `?` (a glob outside file rules)",
                       list(range(0, 19)),
                       lambda n: ["signal (send) peer=/**a" + "?" * n + ","]),
    "unix-dstar-a-q": ("`unix (connect) addr=@/**a` + n x `?`",
                       list(range(0, 19)),
                       lambda n: ["unix (connect) addr=@/**a" + "?" * n + ","]),
    "dbus-dstar-a-q": ("`dbus send path=/**a` + n x `?`",
                       list(range(0, 19)),
                       lambda n: ["dbus send path=/**a" + "?" * n + ","]),
}


# The limits of common/limits.h and common/glob_limits.h, as chosen.
LIMITS = dict(bytes=64 * 1024, rules=4096, line=4096, includes=4,
              wildcards=16, doublestar=4, classes=64, alt_depth=4,
              alt_width=64, profile_wildcards=1024, ambiguity=2,
              floating=128, profile_classes=2048, pattern_classes=64,
              expanded=8192)

# The heaviest abstractions in the allowlist, heaviest first (measured one
# by one on this machine; see docs/validator-limits.md).
HEAVY_ABSTRACTIONS = ["gnome", "freedesktop.org", "gtk",
                      "dbus-network-manager-strict", "samba-rpcd",
                      "php-worker", "apache2-common", "base"]

# Ways to spend the whole ambiguity budget (2).
AMBIGUITY_SPENDERS = {
    "classes": ["/**q[a-z][a-z]z r,"],
    "sticky": ["/**qa/**qb w,", "/**qc/**qd rw,"],
    "group": ["/**q{aaab,abaa}z r,"],
    "peer": ["signal (send) peer=/**q[a-z][a-z]z,"],
}

# Fillers: ambiguity 0, repeated while the byte, rule and wildcard budgets
# last; then plain literal rules fill what is left of the bytes.
FILLERS = {
    "plain": lambda i: "owner /srv/d%d/** rw," % i,
    "segments": lambda i: "/srv/d%d/*/**.{conf,ini} %s," % (i, PERMS[i % 12]),
    "root-star": lambda i: "/*x%d/** %s," % (i, PERMS[i % 12]),
    "groups": lambda i: "/srv/{a,b,c,d}%d/{e,f}/** %s," % (i, PERMS[i % 12]),
    "classes": lambda i: "/srv/[a-z]%d[0-9]/** %s," % (i, PERMS[i % 12]),
    "audit-deny": lambda i: ("audit deny /srv/d%d/** w," if i % 2 else
                             "owner /srv/d%d/*/** rwk,") % i,
    "pid": lambda i: "@{PROC}/@{pid}/x%d r," % i,
    "uid": lambda i: "/run/user/@{uid}/x%d r," % i,
    "share": lambda i: "@{system_share_dirs}/x%d/** r," % i,
    "class-run": lambda i: "/srv/x%d/%s r," % (i, "[a-z]" * 60),
}
LITERAL_FILLER = lambda i: "/srv/l%d r," % i  # noqa: E731


def rule_patterns(rule):
    """The globs of one rule as the validator sees them (enough for the
    rules generated here)."""
    out = []
    for tok in rule.rstrip(",").split():
        if tok.startswith("peer="):
            tok = tok[len("peer="):]
        if tok.startswith(("/", "@{")):
            out.append(tok)
    return out


def profile_stats(rules, defs):
    """Per-pattern maxima and profile sums over every pattern of rules."""
    tot = dict(wildcards=0, doublestar=0, classes=0, alt_depth=0,
               alt_width=0, ambiguity=0, profile_wildcards=0, floating=0,
               profile_classes=0, pattern_classes=0, expanded=0)
    for r in rules:
        for pat in rule_patterns(r):
            text = expand(pat, defs)
            st = glob_stats(text)
            for k in ("wildcards", "doublestar", "classes", "alt_depth",
                      "alt_width"):
                tot[k] = max(tot[k], st[k])
            tot["ambiguity"] += st["ambiguity"]
            tot["profile_wildcards"] += (st["wildcards"] + st["doublestar"] +
                                         st["classes"])
            tot["floating"] += floating_chars(text)
            tot["profile_classes"] += st["all_classes"]
            tot["pattern_classes"] = max(tot["pattern_classes"],
                                         st["all_classes"])
            tot["expanded"] = max(tot["expanded"], len(text))
    return tot


def floating_chars(text):
    """Bytes after the first run of two or more '*'."""
    i = text.find("**")
    if i < 0:
        return 0
    while i < len(text) and text[i] == "*":
        i += 1
    return len(text) - i


def text_patterns(text):
    """(line, pattern) for every glob of a profile text, and the number of
    abstraction includes: a rough extraction, good enough for well-formed
    profiles such as the corpus."""
    import re
    pats, includes = [], 0
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if re.match(r"#?include\s*<abstractions/", s):
            includes += 1
            continue
        if s.startswith("#") or s.startswith(("profile ", "abi ")):
            continue
        s = re.sub(r"(^|\s)#.*$", "", s)
        for tok in re.findall(r"(?:[a-z]+=\(?)?[^\s()]+", s):
            tok = tok.rstrip(",")
            m = re.match(r"[a-z]+=\(?(.*)$", tok)
            if m:
                tok = m.group(1)
            tok = tok.strip('"')
            if tok.startswith(("/", "@{")):
                pats.append((n, tok))
    return pats, includes


def check_profile_text(text):
    defs = load_tunables()
    pats, includes = text_patterns(text)
    tot = dict(wildcards=0, doublestar=0, classes=0, alt_depth=0,
               alt_width=0, ambiguity=0, profile_wildcards=0, floating=0,
               profile_classes=0, pattern_classes=0, expanded=0)
    for _, pat in pats:
        t = profile_stats_one(pat, defs)
        for k in ("wildcards", "doublestar", "classes", "alt_depth",
                  "alt_width", "pattern_classes", "expanded"):
            tot[k] = max(tot[k], t[k])
        for k in ("ambiguity", "profile_wildcards", "floating",
                  "profile_classes"):
            tot[k] += t[k]
    tot["includes"] = includes
    return tot


def profile_stats_one(pat, defs):
    text = expand(pat, defs)
    st = glob_stats(text)
    st["profile_wildcards"] = st["wildcards"] + st["doublestar"] + st["classes"]
    st["floating"] = floating_chars(text)
    st["profile_classes"] = st["all_classes"]
    st["pattern_classes"] = st["all_classes"]
    st["expanded"] = len(text)
    return st


def within_limits(tot):
    return all(tot[k] <= LIMITS[k] for k in tot if k in LIMITS)


def worst_profile(spender, filler, nabs=LIMITS["includes"],
                  floating=LIMITS["floating"]):
    """The heaviest profile built from one spender and one filler that
    stays within every limit.  Returns (text, stats)."""
    defs = load_tunables()
    head = ["#include <tunables/global>",
            "profile custom.worst flags=(attach_disconnected,mediate_deleted) {"]
    head += ["  #include <abstractions/%s>" % a
             for a in HEAVY_ABSTRACTIONS[:nabs]]
    rules = list(AMBIGUITY_SPENDERS[spender]) if spender else []
    # Spend the floating-character budget on distinct floating literals.
    used = profile_stats(rules, defs)["floating"]
    i = 0
    while used < floating:
        w = ("f%dx" % i)[:floating - used]
        rules.append("/**%s r," % w)
        used += len(w)
        i += 1
    tail = ["}"]
    size = sum(len(x) + 1 for x in head + tail) + sum(len(r) + 3 for r in rules)
    tot = profile_stats(rules, defs)
    i = 0
    gen = FILLERS[filler]
    while len(rules) < LIMITS["rules"]:
        r = gen(i)
        st = profile_stats([r], defs)
        if (tot["profile_wildcards"] + st["profile_wildcards"] >
                LIMITS["profile_wildcards"] or
                tot["floating"] + st["floating"] > LIMITS["floating"] or
                tot["profile_classes"] + st["profile_classes"] >
                LIMITS["profile_classes"]):
            gen, st = LITERAL_FILLER, profile_stats([LITERAL_FILLER(i)], defs)
            r = gen(i)
        if size + len(r) + 3 > LIMITS["bytes"]:
            break
        rules.append(r)
        size += len(r) + 3
        tot["profile_wildcards"] += st["profile_wildcards"]
        tot["floating"] += st["floating"]
        tot["profile_classes"] += st["profile_classes"]
        i += 1
    tot = profile_stats(rules, defs)
    tot["rules"] = len(rules)
    tot["bytes"] = size
    tot["includes"] = nabs
    tot["line"] = max(len(x) for x in head + rules) + 2
    assert within_limits(tot), tot
    text = "\n".join(head + ["  " + r for r in rules] + tail) + "\n"
    assert len(text) == size, (len(text), size)
    return text, tot


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parser", default=PARSER)
    ap.add_argument("--features", default=FEATURES)
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--mem-mib", type=int, default=2048)
    ap.add_argument("--file")
    ap.add_argument("--check", nargs="+", metavar="PROFILE",
                    help="count a profile's patterns against the limits")
    ap.add_argument("--worst", metavar="SPENDER:FILLER",
                    help="build and measure the worst accepted profile")
    ap.add_argument("--abs", type=int, default=LIMITS["includes"],
                    help="with --worst: how many abstractions to include")
    ap.add_argument("--keep", metavar="FILE",
                    help="with --worst: also write the profile to FILE")
    ap.add_argument("--cost", metavar="PATTERN",
                    help="print the counts of the limits for one pattern")
    ap.add_argument("--keep-going", action="store_true",
                    help="do not stop a series at its first failure")
    ap.add_argument("--values", help="comma-separated parameter values")
    ap.add_argument("series", nargs="*")
    args = ap.parse_args()

    if args.worst:
        spender, filler = args.worst.split(":")
        text, tot = worst_profile(spender or None, filler, nabs=args.abs)
        with tempfile.TemporaryDirectory(prefix="measure-glob.") as tmp:
            path = os.path.join(tmp, "custom.worst")
            with open(path, "w") as f:
                f.write(text)
            if args.keep:
                with open(args.keep, "w") as f:
                    f.write(text)
            st, secs, kib = run(path, args)
        print("| %s | %s | %d | %d | %d | %d | %s | %.2f | %s |" % (
            spender or "-", filler, tot["rules"], tot["profile_wildcards"],
            tot["floating"], tot["bytes"], st, secs, mib(kib)))
        return 0

    if args.check:
        bad = 0
        for path in args.check:
            try:
                tot = check_profile_text(open(path, encoding="ascii",
                                              errors="replace").read())
            except ValueError as e:
                print("%s: %s" % (path, e))
                continue
            over = [k for k in tot if k in LIMITS and tot[k] > LIMITS[k]]
            print("%s: %s%s" % (path, " ".join("%s=%d" % kv for kv in
                                                sorted(tot.items())),
                                "  OVER: " + ",".join(over) if over else ""))
            bad += bool(over)
        return 1 if bad else 0

    if args.cost is not None:
        text = expand(args.cost, load_tunables())
        st = glob_stats(text)
        print(" ".join("%s=%d" % kv for kv in st.items()), "expanded=" + text)
        return 0

    if args.file:
        st, secs, kib = run(args.file, args)
        print("%s: %s %.2f s %s MiB" % (args.file, st, secs, mib(kib)))
        return 0 if st == "ok" else 1

    names = args.series or list(SERIES)
    with tempfile.TemporaryDirectory(prefix="measure-glob.") as tmp:
        for name in names:
            desc, values, gen = SERIES[name]
            if args.values:
                values = [int(v) for v in args.values.split(",")]
            print("\n#### %s: %s\n" % (name, desc))
            print("| n | result | time (s) | peak RSS (MiB) |")
            print("|---:|---|---:|---:|")
            for n in values:
                path = os.path.join(tmp, "p")
                with open(path, "w") as f:
                    f.write(profile(gen(n)))
                st, secs, kib = run(path, args)
                print("| %d | %s | %.2f | %s |" % (n, st, secs, mib(kib)))
                sys.stdout.flush()
                if st == "timeout" or (st != "ok" and not args.keep_going):
                    break
    return 0


if __name__ == "__main__":
    sys.exit(main())
