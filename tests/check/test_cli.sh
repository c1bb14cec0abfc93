#!/usr/bin/env bash
# Tests of the kapparmor-check command line: exit codes, the text and JSON
# formats documented in docs/kapparmor-check.md, every kind of SOURCE, and
# inputs that must neither hang nor crash it.
#
#   tests/check/test_cli.sh PATH/TO/kapparmor-check
#
# Prints one line per failed check and "N passed, N failed" at the end.
set -uo pipefail

check=${1:?usage: $0 PATH/TO/kapparmor-check}
here=$(cd "$(dirname "$0")" && pwd)
data=$here/data
parser=/sbin/apparmor_parser
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kp-check-test-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
current=""

# Every run is bounded: a hang is a failure, not a stuck test suite.
run() {
	timeout 30 "$check" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

run_stdin() {
	local input=$1
	shift
	timeout 30 "$check" "$@" <"$input" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

fail() {
	echo "FAIL [$current]: $*"
	echo "  exit: $rc"
	echo "  stdout: ${out:0:600}"
	echo "  stderr: ${err:0:600}"
	current_ok=0
}

begin() {
	current=$1
	current_ok=1
}

end() {
	if [ "$current_ok" -eq 1 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
}

expect_rc() {
	[ "$rc" -eq "$1" ] || fail "expected exit $1"
}

expect_out() {
	[ "$out" = "$1" ] || fail "expected stdout: $1"
}

expect_out_has() {
	grep -qxF -- "$1" <<<"$out" || fail "expected a stdout line: $1"
}

expect_err_has() {
	grep -qF -- "$1" <<<"$err" || fail "expected on stderr: $1"
}

expect_empty_out() {
	[ -z "$out" ] || fail "expected no stdout"
}

# Run python on the JSON output; the script gets the document as `doc` and
# fails the check with an AssertionError message.
expect_json() {
	local script=$1
	local msg
	if ! msg=$(python3 -c '
import hashlib, json, sys
doc = json.load(open(sys.argv[1]))
exec(sys.argv[2])
' "$tmp/out" "$script" 2>&1); then
		fail "JSON check: ${msg: -400}"
	fi
}

# ---------------------------------------------------------------- usage
begin "help"
run --help
expect_rc 0
grep -q '^usage: kapparmor-check' <<<"$out" || fail "no usage line"
end

begin "version"
run --version
expect_rc 0
grep -qE '^kapparmor-check [0-9]+\.[0-9]+\.[0-9]+$' <<<"$out" || fail "bad version line"
end

begin "no source"
run
expect_rc 2
expect_empty_out
expect_err_has "no SOURCE given"
end

begin "unknown option"
run --bogus "$data/good.yaml"
expect_rc 2
expect_empty_out
end

begin "unknown policy"
run --policy lax "$data/good.yaml"
expect_rc 2
expect_err_has 'unknown policy "lax"'
end

begin "stdin twice"
run_stdin "$data/good.yaml" --no-compile - -
expect_rc 2
expect_err_has '"-" given more than once'
end

begin "empty source argument"
run --no-compile ""
expect_rc 2
end

# ---------------------------------------------------------------- text output
begin "all accepted"
run --no-compile "$data/good.yaml"
expect_rc 0
expect_out "custom.deny-write-outside-home: ok"
end

begin "mixed verdicts"
run --no-compile "$data/mixed.yaml"
expect_rc 1
expect_out_has "custom.good: ok"
expect_out_has "custom.bin: rejected: binary-data: binaryData is not accepted: a profile is text"
grep -qE '^custom\.mount: rejected: policy-mount: line 3: ' <<<"$out" || fail "mount line"
grep -qE '^bad\\x20key: rejected: key-format(: |$)' <<<"$out" || fail "bad key line"
# One line per key, sorted by key (bytewise).
[ "$(grep -cv ': warning: ' <<<"$out")" -eq 4 ] || fail "expected 4 verdict lines"
[ "$(grep -v ': warning: ' <<<"$out" | cut -d: -f1 | tr '\n' ' ')" = 'bad\x20key custom.bin custom.good custom.mount ' ] || fail "order"
end

begin "policy baseline rejects complain"
run --no-compile "$data/complain.yaml"
expect_rc 1
grep -qE '^custom\.dev: rejected: complain-mode: line 1(: |$)' <<<"$out" || fail "complain line"
end

begin "policy permissive accepts complain"
run --no-compile --policy permissive "$data/complain.yaml"
expect_rc 0
expect_out_has "custom.dev: ok"
grep -q 'rejected' <<<"$out" && fail "nothing may be rejected"
end

begin "warnings follow the verdict line"
run --no-compile "$data/warnings.yaml"
expect_rc 0
[ "$(head -n 1 <<<"$out")" = "custom.warn: ok" ] || fail "verdict first"
grep -qE '^custom\.warn: warning: [a-z-]+: line 2: .+' <<<"$out" || fail "warning line"
end

begin "policy name is case-insensitive"
run --no-compile --policy PERMISSIVE "$data/complain.yaml"
expect_rc 0
end

begin "empty configmap"
run --no-compile "$data/empty.yaml"
expect_rc 0
expect_empty_out
end

begin "stdin"
run_stdin "$data/mixed.yaml" --no-compile -
expect_rc 1
expect_out_has "custom.good: ok"
expect_out_has "custom.bin: rejected: binary-data: binaryData is not accepted: a profile is text"
end

begin "stdin from a pipe"
out=$(timeout 30 "$check" --no-compile - <"$data/good.yaml" | cat)
rc=${PIPESTATUS[0]}
[ "$out" = "custom.deny-write-outside-home: ok" ] || fail "pipe output"
end

begin "several sources are prefixed"
run --no-compile "$data/good.yaml" "$data/complain.yaml"
expect_rc 1
expect_out_has "$data/good.yaml: custom.deny-write-outside-home: ok"
grep -qF "$data/complain.yaml: custom.dev: rejected: complain-mode" <<<"$out" || fail "prefix"
end

# ---------------------------------------------------------------- JSON output
begin "json document"
run --json --no-compile "$data/mixed.yaml"
expect_rc 1
expect_json '
assert doc["version"] == 1, doc["version"]
assert doc["policy"] == "baseline"
assert doc["compile"] is False
assert doc["summary"] == {"accepted": 1, "rejected": 3, "source_errors": 0}, doc["summary"]
[src] = doc["sources"]
assert src["error"] is None
keys = {k["key"]: k for k in src["keys"]}
assert [k["key"] for k in src["keys"]] == ["bad key", "custom.bin", "custom.good", "custom.mount"]
g = keys["custom.good"]
assert g["verdict"] == "ok" and g["reason"] is None and g["line"] is None and g["message"] is None
text = "profile custom.good {\n  /tmp/** rw,\n}\n".encode()
assert g["bytes"] == len(text), g["bytes"]
assert g["sha256"] == hashlib.sha256(text).hexdigest()
assert g["compiled"] is False
b = keys["custom.bin"]
assert b["verdict"] == "rejected" and b["reason"] == "binary-data" and b["line"] is None
assert b["bytes"] is None and b["sha256"] is None
m = keys["custom.mount"]
assert m["reason"] == "policy-mount" and m["line"] == 3, m
assert isinstance(m["message"], str) and "\n" not in m["message"]
assert keys["bad key"]["reason"] == "key-format"
for k in src["keys"]:
    assert isinstance(k["warnings"], list) and k["warnings_dropped"] >= 0
'
end

begin "json permissive"
run --json --no-compile --policy permissive "$data/complain.yaml"
expect_rc 0
expect_json '
assert doc["policy"] == "permissive"
assert doc["summary"]["accepted"] == 1
'
end

begin "json with an unreadable source"
run --json --no-compile "$data/good.yaml" "$tmp/missing.yaml"
expect_rc 2
expect_json '
a, b = doc["sources"]
assert a["error"] is None and len(a["keys"]) == 1
assert b["source"].endswith("missing.yaml") and "No such file" in b["error"], b
assert b["keys"] == []
assert doc["summary"] == {"accepted": 1, "rejected": 0, "source_errors": 1}
'
end

begin "json warnings"
run --json --no-compile "$data/warnings.yaml"
expect_rc 0
expect_json '
[k] = doc["sources"][0]["keys"]
assert k["verdict"] == "ok"
ws = k["warnings"]
assert len(ws) >= 1, ws
assert ws[0]["line"] == 2 and ws[0]["reason"] and ws[0]["message"], ws
'
end

begin "json empty configmap"
run --json --no-compile "$data/empty.yaml"
expect_rc 0
expect_json '
assert doc["sources"][0]["keys"] == []
'
end

# ---------------------------------------------------------------- sources
begin "missing source"
run --no-compile "$tmp/missing.yaml"
expect_rc 2
expect_empty_out
expect_err_has "missing.yaml: No such file or directory"
end

begin "unreadable source does not stop the others"
run --no-compile "$tmp/missing.yaml" "$data/good.yaml"
expect_rc 2
expect_out "$data/good.yaml: custom.deny-write-outside-home: ok"
end

begin "fifo source does not hang"
mkfifo "$tmp/fifo"
run --no-compile "$tmp/fifo"
expect_rc 2
expect_err_has "neither a directory nor a regular file"
end

begin "symlink source is not followed"
ln -s "$data/good.yaml" "$tmp/link.yaml"
run --no-compile "$tmp/link.yaml"
expect_rc 2
expect_err_has "symbolic link"
end

begin "device source is refused"
run --no-compile /dev/null
expect_rc 2
end

begin "invalid yaml"
run --no-compile "$data/invalid.yaml"
expect_rc 2
expect_err_has "YAML syntax error at line"
end

begin "anchors refused"
run --no-compile "$data/anchors.yaml"
expect_rc 2
expect_err_has "anchors are not accepted"
end

begin "no configmap in manifest"
run --no-compile "$data/no-configmap.yaml"
expect_rc 2
expect_err_has "no object of kind ConfigMap"
end

begin "empty file"
: >"$tmp/empty"
run --no-compile "$tmp/empty"
expect_rc 2
end

begin "oversized manifest"
python3 -c '
import sys
sys.stdout.write("kind: ConfigMap\n" + "#" * (8 * 1024 * 1024) + "\n")' >"$tmp/big.yaml"
run --no-compile "$tmp/big.yaml"
expect_rc 2
expect_err_has "larger than 8388608 bytes"
run_stdin "$tmp/big.yaml" --no-compile -
expect_rc 2
expect_err_has "larger than 8388608 bytes"
end

begin "plain directory"
d=$tmp/plain
mkdir "$d"
printf 'profile custom.a {\n  /tmp/** rw,\n}\n' >"$d/custom.a"
printf 'profile custom.b {\n  mount,\n}\n' >"$d/custom.b"
printf 'x' >"$d/.hidden"
mkfifo "$d/custom.fifo"
ln -s ../../../etc/passwd "$d/custom.escape"
python3 -c 'import sys; sys.stdout.write("#" * 70000)' >"$d/custom.big"
touch "$d/custom.a:b c"
run --no-compile "$d"
expect_rc 1
expect_out_has "custom.a: ok"
grep -qE '^custom\.b: rejected: policy-mount: line 2' <<<"$out" || fail "mount line"
expect_out_has "custom.fifo: rejected: not-regular-file: a FIFO"
expect_out_has "custom.escape: rejected: symlink-escape: symbolic link leaves the directory"
expect_out_has "custom.big: rejected: too-large: larger than 65536 bytes"
grep -qE '^custom\.a\\x3ab\\x20c: rejected: key-format' <<<"$out" || fail "escaped key"
grep -q hidden <<<"$out" && fail "dot file listed"
end

begin "kubelet layout"
d=$tmp/kubelet
ts=..2026_01_01_00_00_00.123
mkdir -p "$d/$ts"
printf 'profile custom.a {\n  /tmp/** rw,\n}\n' >"$d/$ts/custom.a"
ln -s "$ts" "$d/..data"
ln -s ..data/custom.a "$d/custom.a"
run --no-compile "$d"
expect_rc 0
expect_out "custom.a: ok"
end

begin "kubelet layout with dangling ..data"
rm "$d/..data"
ln -s ..2026_01_01_00_00_09.999 "$d/..data"
run --no-compile "$d"
expect_rc 2
expect_empty_out
expect_err_has "..data names a missing directory"
end

begin "directory with too many keys"
d=$tmp/many
mkdir "$d"
(cd "$d" && for i in $(seq 0 4096); do : >"custom.k$i"; done)
run --no-compile "$d"
expect_rc 2
expect_err_has "too-many-keys"
end

# ---------------------------------------------------------------- compile
begin "parser missing: compile-unavailable"
run --parser "$tmp/no-parser" "$data/good.yaml"
expect_rc 1
grep -qE '^custom\.deny-write-outside-home: rejected: compile-unavailable' <<<"$out" || fail "compile-unavailable line"
[ "$(grep -c 'use --no-compile' <<<"$err")" -eq 1 ] || fail "expected one note on stderr"
end

begin "features file missing: compile-unavailable"
run --features "$tmp/no-features" "$data/good.yaml" "$data/warnings.yaml"
expect_rc 1
expect_out_has "$data/warnings.yaml: custom.warn: rejected: compile-unavailable: kernel features $tmp/no-features: No such file or directory"
[ "$(grep -c 'use --no-compile' <<<"$err")" -eq 1 ] || fail "expected one note on stderr"
expect_err_has "kernel features $tmp/no-features"
end

begin "parser that fails: compile-failed"
cat >"$tmp/failing-parser" <<'EOF'
#!/bin/sh
echo "AppArmor parser error at line 2: fake failure" >&2
exit 1
EOF
chmod +x "$tmp/failing-parser"
run --parser "$tmp/failing-parser" "$data/good.yaml"
expect_rc 1
grep -qE '^custom\.deny-write-outside-home: rejected: compile-failed' <<<"$out" || fail "compile-failed line"
end

begin "rejected keys are not compiled"
run --parser "$tmp/failing-parser" "$data/mixed.yaml"
expect_rc 1
grep -qE '^custom\.mount: rejected: policy-mount' <<<"$out" || fail "policy reason kept"
end

if [ -x "$parser" ]; then
	begin "real parser compiles the example"
	run --json "$data/good.yaml"
	expect_rc 0
	expect_json '
assert doc["compile"] is True
[k] = doc["sources"][0]["keys"]
assert k["verdict"] == "ok" and k["compiled"] is True, k
'
	end
fi

# ---------------------------------------------------------------- output errors
begin "output write error"
timeout 30 "$check" --no-compile "$data/good.yaml" >/dev/full 2>"$tmp/err"
rc=$?
out=""
err=$(cat "$tmp/err")
expect_rc 2
expect_err_has "cannot write"
end

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
