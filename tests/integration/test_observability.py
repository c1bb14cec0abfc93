#!/usr/bin/env python3
"""Observability (issue 7): the watcher's HTTP endpoint scraped during the
split-daemon scenarios, on loopback, with the watcher under its seccomp
filter.  /healthz, /readyz, /metrics (checked against a strict parser of
the Prometheus text format 0.0.4) and /status must give exact values.
Last line: "N passed, N failed"."""

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import daemonlib  # noqa: E402
from daemonlib import profile, rejected_profile  # noqa: E402
from lib import procs, runner  # noqa: E402

A = profile("custom.a")
B = profile("custom.b", rules=("/etc/hostname r,",))
C = profile("custom.c", rules=("/var/** r,",))
BAD = rejected_profile("custom.bad")
SHA_RE = re.compile(r"^[0-9a-f]{64}$")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

# ---- a strict reader of the text exposition format 0.0.4 ---------------------

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE_RE = re.compile(rf"^({NAME})(?:\{{((?:{LABEL})(?:,{LABEL})*)?\}})? "
                       r"([-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|Inf|NaN))$")
HELP_RE = re.compile(rf"^# HELP ({NAME}) (.+)$")
TYPE_RE = re.compile(rf"^# TYPE ({NAME}) (counter|gauge|histogram|summary|untyped)$")
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """{(name, frozenset(labels)): value}; raises AssertionError on anything
    the format does not allow, or that Prometheus conventions forbid."""
    assert text.endswith("\n"), "ends with a newline"
    types, helps, samples = {}, {}, {}
    current = None
    for n, line in enumerate(text[:-1].split("\n"), 1):
        m = HELP_RE.match(line)
        if m:
            assert m.group(1) not in helps, f"line {n}: second HELP"
            helps[m.group(1)] = m.group(2)
            continue
        m = TYPE_RE.match(line)
        if m:
            name = m.group(1)
            assert name not in types, f"line {n}: second TYPE"
            assert name in helps, f"line {n}: TYPE before HELP"
            types[name] = m.group(2)
            current = name
            if m.group(2) == "counter":
                assert name.endswith("_total"), f"line {n}: counter without _total"
            continue
        assert not line.startswith("#"), f"line {n}: stray comment {line!r}"
        m = SAMPLE_RE.match(line)
        assert m, f"line {n}: not a sample: {line!r}"
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        base = re.sub(r"_(bucket|sum|count)$", "", name) \
            if types.get(current) == "histogram" else name
        assert base == current, f"line {n}: {name} outside its family {current}"
        assert name.startswith("kapparmor_"), f"line {n}: namespace"
        lab = frozenset(LABEL_RE.findall(labels))
        key = (name, lab)
        assert key not in samples, f"line {n}: duplicate sample"
        samples[key] = float(value)
    for name, t in types.items():
        if t == "histogram":
            buckets = sorted(((float(dict(k[1])["le"].replace("+Inf", "inf")), v)
                              for k, v in samples.items() if k[0] == name + "_bucket"))
            assert buckets and buckets[-1][0] == float("inf"), f"{name}: +Inf bucket"
            assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), \
                f"{name}: buckets not cumulative"
            assert samples[(name + "_count", frozenset())] == buckets[-1][1]
    return samples


def metric(samples, name, **labels):
    return samples[(name, frozenset(labels.items()))]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def audit_lines():
    """The kernel's seccomp-kill audit lines (type=1326) so far."""
    try:
        out = subprocess.run(["dmesg"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line for line in out.splitlines() if "type=1326" in line]


def sigsys_for(pid, before):
    """Seccomp kills of pid logged since `before` (audit_lines() then):
    older lines may name a recycled pid."""
    return [line for line in audit_lines() if line not in before
            and f" pid={pid} " in line]


class ObservabilityTest(daemonlib.DaemonTestCase):

    def serve(self, payload, *extra, **kw):
        self.audit_before = set(audit_lines())
        self.make_env()
        self.cm.write(payload)
        self.port = free_port()
        d = self.start_loader("--listen", f"127.0.0.1:{self.port}", *extra, **kw)
        self.watcher = d.watcher_pid()
        d.wait_event("listening", process="watcher")
        return d

    def get(self, path, method="GET"):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            c.request(method, path)
            r = c.getresponse()
            return r.status, r.getheader("Content-Type"), r.read().decode()
        finally:
            c.close()

    def wait_status(self, path, status, timeout=20.0):
        return procs.wait_until(
            lambda: (lambda r: r if r[0] == status else None)(self.get(path)),
            timeout, interval=0.05, what=f"{path} {status}")

    def assert_confined_alive(self, d):
        self.assertTrue(procs.alive(self.watcher), "the watcher is alive")
        with open(f"/proc/{self.watcher}/status") as f:
            self.assertIn("Seccomp:\t2", f.read())
        self.assertEqual(sigsys_for(self.watcher, self.audit_before), [])

    def test_three_loads_one_rejection(self):
        d = self.serve({"custom.a": A, "custom.b": B, "custom.c": C,
                        "custom.bad": BAD})
        for key in ("custom.a", "custom.b", "custom.c"):
            d.wait_event("profile_loaded", key)
        self.wait_status("/readyz", 200)
        self.assertEqual(self.get("/readyz")[2], "ready\n")
        self.assertEqual(self.get("/healthz")[:3:2], (200, "ok\n"))

        status, ctype, body = self.get("/metrics")
        self.assertEqual(status, 200)
        self.assertEqual(ctype, "text/plain; version=0.0.4; charset=utf-8")
        s = parse_metrics(body)
        ops = {(dict(k[1])["operation"], dict(k[1])["result"]): v for k, v in s.items()
               if k[0] == "kapparmor_profile_operations_total" and v}
        self.assertEqual(ops, {("load", "ok"): 3, ("load", "rejected"): 1})
        rej = {dict(k[1])["reason"]: v for k, v in s.items()
               if k[0] == "kapparmor_validation_rejections_total" and v}
        self.assertEqual(rej, {"extra-profile": 1})
        self.assertEqual(metric(s, "kapparmor_profiles_managed"), 3)
        self.assertEqual(metric(s, "kapparmor_profiles_desired"), 4)
        self.assertEqual(metric(s, "kapparmor_removals_deferred_in_use"), 0)
        self.assertEqual(metric(s, "kapparmor_sync_duration_seconds_count"), 1)
        # One parser run per load, timed by the loader (Result.duration_ms).
        self.assertEqual(metric(s, "kapparmor_parser_duration_seconds_count"), 3)
        self.assertGreater(metric(s, "kapparmor_parser_duration_seconds_sum"), 0)
        last = metric(s, "kapparmor_last_successful_sync_timestamp_seconds")
        self.assertLess(abs(last - time.time()), 60)
        info = [dict(k[1]) for k in s if k[0] == "kapparmor_build_info"]
        self.assertEqual(len(info), 1)
        self.assertEqual(set(info[0]), {"version", "parser_version"})
        self.assertRegex(info[0]["parser_version"], r"^\d+\.\d+\.\d+")

        status, ctype, body = self.get("/status")
        self.assertEqual((status, ctype), (200, "application/json"))
        doc = json.loads(body)
        self.assertIs(doc["synced"], True)
        keys = {k["key"]: k for k in doc["keys"]}
        self.assertEqual(sorted(keys), ["custom.a", "custom.b", "custom.bad", "custom.c"])
        for k in ("custom.a", "custom.b", "custom.c"):
            self.assertEqual(keys[k]["state"], "loaded")
            self.assertIsNone(keys[k]["reason"])
        self.assertEqual(keys["custom.bad"]["state"], "rejected")
        self.assertEqual(keys["custom.bad"]["reason"], "extra-profile")
        self.assertEqual(keys["custom.bad"]["line"], 4)
        for k in keys.values():
            self.assertRegex(k["sha256"], SHA_RE)
            self.assertRegex(k["changed"], TIME_RE)

        # A resync of the same content changes no counter.
        self.cm.write({"custom.a": A, "custom.b": B, "custom.c": C,
                       "custom.bad": BAD, "custom.zz-barrier": profile("custom.zz-barrier")})
        d.wait_event("profile_loaded", "custom.zz-barrier")
        procs.wait_until(lambda: parse_metrics(self.get("/metrics")[2]).get(
            ("kapparmor_sync_duration_seconds_count", frozenset())) == 2, 10,
            what="second sync")
        s = parse_metrics(self.get("/metrics")[2])
        ops = {(dict(k[1])["operation"], dict(k[1])["result"]): v for k, v in s.items()
               if k[0] == "kapparmor_profile_operations_total" and v}
        self.assertEqual(ops, {("load", "ok"): 4, ("load", "rejected"): 1})
        self.assert_confined_alive(d)

    def test_routes_and_methods(self):
        d = self.serve({"custom.a": A})
        d.wait_event("profile_loaded", "custom.a")
        for path in ("/", "/healthz/", "/metric", "/status.json", "/../healthz"):
            self.assertEqual(self.get(path)[0], 404, path)
        for method in ("POST", "PUT", "DELETE", "OPTIONS", "PATCH"):
            self.assertEqual(self.get("/metrics", method)[0], 405, method)
        status, _, body = self.get("/healthz", "HEAD")
        self.assertEqual((status, body), (200, ""))
        self.assert_confined_alive(d)

    def test_deferred_removal_in_status(self):
        d = self.serve({"custom.a": A, "custom.b": B})
        d.wait_event("profile_loaded", "custom.a")
        d.wait_event("profile_loaded", "custom.b")
        self.fp.add_task(100, label="custom.a (enforce)")
        self.cm.write({"custom.b": B})
        d.wait_event("profile_removal_deferred", "custom.a")

        def deferred_seen():
            doc = json.loads(self.get("/status")[2])
            keys = {k["key"]: k for k in doc["keys"]}
            return keys if keys.get("custom.a", {}).get("reason") else None
        keys = procs.wait_until(deferred_seen, 10, what="deferred in /status")
        self.assertEqual(keys["custom.a"]["state"], "pending_removal")
        self.assertEqual(keys["custom.b"]["state"], "loaded")
        s = parse_metrics(self.get("/metrics")[2])
        self.assertEqual(metric(s, "kapparmor_removals_deferred_in_use"), 1)
        self.assertEqual(metric(s, "kapparmor_profiles_desired"), 1)
        self.assertEqual(metric(s, "kapparmor_profiles_managed"), 2)
        self.assertGreaterEqual(metric(s, "kapparmor_profile_operations_total",
                                       operation="remove", result="deferred"), 1)
        self.assert_confined_alive(d)

    def test_readyz_flips_after_the_first_sync(self):
        # The first pass waits on a parser that hangs until its timeout.
        d = self.serve({"custom.a": A}, "--parser-timeout", "3",
                       parser=daemonlib.PARSERS["hang"])
        status, _, body = self.wait_status("/readyz", 503, timeout=10)
        self.assertEqual(body, "not ready: the first reconcile has not finished\n")
        self.assertEqual(self.get("/healthz")[0], 200)
        status, _, body = self.wait_status("/readyz", 200, timeout=30)
        doc = json.loads(self.get("/status")[2])
        self.assertEqual(doc["keys"][0]["state"], "failed")
        s = parse_metrics(self.get("/metrics")[2])
        self.assertEqual(metric(s, "kapparmor_profile_operations_total",
                                operation="load", result="failed"), 1)
        self.assert_confined_alive(d)

    def test_dual_stack_and_no_network_socket_in_the_loader(self):
        self.make_env()
        self.cm.write({"custom.a": A})
        self.port = free_port()
        self.audit_before = set(audit_lines())
        d = self.start_loader("--listen", f"[::]:{self.port}")
        self.watcher = d.watcher_pid()
        d.wait_event("listening", process="watcher")
        d.wait_event("profile_loaded", "custom.a")
        for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            if family == socket.AF_INET6 and not socket.has_ipv6:
                continue
            with socket.socket(family, socket.SOCK_STREAM) as s:
                s.settimeout(5)
                s.connect((host, self.port))
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 200 "), host)
        # The loader holds no TCP or UDP socket; the watcher holds the
        # listening one.
        self.assertEqual(inet_sockets(d.pid), set())
        self.assertTrue(inet_sockets(self.watcher))
        self.assert_confined_alive(d)

    def test_address_in_use_stops_the_daemon(self):
        self.make_env()
        self.cm.write({"custom.a": A})
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen(1)
            port = busy.getsockname()[1]
            d = self.start_loader("--listen", f"127.0.0.1:{port}", wait_started=False,
                                  proc=False)
            rc = d.wait(timeout=20)
        self.assertEqual(rc, daemonlib.EXIT_WATCHER_DIED)
        got = d.events("startup_failed", process="watcher")
        self.assertEqual(len(got), 1)
        self.assertIn("Address already in use", got[0]["msg"])

    def test_off_opens_no_socket(self):
        self.make_env()
        self.cm.write({"custom.a": A})
        d = self.start_loader("--listen", "off")
        d.wait_event("profile_loaded", "custom.a")
        self.assertEqual(inet_sockets(d.watcher_pid()), set())
        self.assertEqual(d.events("listening"), [])

    def test_healthz_follows_the_loaders_heartbeat(self):
        d = self.serve({"custom.a": A})
        d.wait_event("profile_loaded", "custom.a")
        self.wait_status("/readyz", 200)
        self.assertEqual(self.get("/healthz")[0], 200)
        # A stopped loader answers no heartbeat: unhealthy after 15 s
        # (KP_HEALTH_WINDOW_MS), healthy again once it answers.
        os.kill(d.pid, signal.SIGSTOP)
        try:
            t0 = time.monotonic()
            status, _, body = self.wait_status("/healthz", 503, timeout=25)
            self.assertGreaterEqual(time.monotonic() - t0, 9)
            self.assertEqual(body, "unhealthy: the loader has not answered recently\n")
        finally:
            os.kill(d.pid, signal.SIGCONT)
        self.wait_status("/healthz", 200, timeout=10)
        self.assert_confined_alive(d)

    def test_readyz_says_apparmor_is_unavailable(self):
        d = self.serve({"custom.a": A}, apparmorfs=self.path("no-apparmorfs"))
        d.wait_event("profile_not_loaded", "custom.a")
        status, _, body = self.wait_status("/readyz", 503)
        procs.wait_until(lambda: json.loads(self.get("/status")[2])["synced"], 10,
                         what="first sync")
        status, _, body = self.get("/readyz")
        self.assertEqual((status, body), (503, "not ready: AppArmor unavailable on this node\n"))
        self.assertEqual(self.get("/healthz")[0], 200)
        key = json.loads(self.get("/status")[2])["keys"][0]
        self.assertEqual((key["state"], key["reason"]), ("failed", "apparmor-unavailable"))
        s = parse_metrics(self.get("/metrics")[2])
        self.assertEqual(metric(s, "kapparmor_profile_operations_total",
                                operation="load", result="failed"), 1)
        self.assertEqual(metric(s, "kapparmor_profiles_managed"), 0)
        self.assert_confined_alive(d)


def inet_sockets(pid):
    """Inodes of pid's open sockets that are TCP or UDP (v4 or v6)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]$", target)
        if m:
            inodes.add(m.group(1))
    inet = set()
    for table in ("tcp", "tcp6", "udp", "udp6"):
        try:
            with open(f"/proc/{pid}/net/{table}") as f:
                for line in list(f)[1:]:
                    inet.add(line.split()[9])
        except OSError:
            pass
    return inodes & inet


if __name__ == "__main__":
    runner.main()
