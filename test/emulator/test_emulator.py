#!/usr/bin/env python3
"""Tests for symbl_emulator.py (stdlib unittest).

Run from the repository root:
    python3 -m unittest discover -s test/emulator -v
"""

import csv
import gzip
import http.client
import io
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from datetime import datetime, timezone
from urllib.parse import quote

HERE = os.path.dirname(os.path.abspath(__file__))
EMU = os.path.join(HERE, "symbl_emulator.py")
N = 1000
NOW = "2026-01-15T12:00:00Z"
APP_ID, APP_SECRET = "demo-app-id", "demo-app-secret"
DAY = 86_400_000
TOKEN_MSG = "Token validation failed for provided token."


def ms(iso):
    """ISO with Z (any fraction digits) -> epoch ms int (test-side reference)."""
    base, _, frac = iso.rstrip("Z").partition(".")
    dt = datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return int(dt.timestamp()) * 1000 + (int((frac + "000")[:3]) if frac else 0)


def iso(msv):
    s, r = divmod(msv, 1000)
    return datetime.fromtimestamp(s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % r


NOW_MS = ms(NOW)


def qs(*pairs):
    return "&".join("%s=%s" % (quote(k, safe=""), quote(v, safe="")) for k, v in pairs)


class Emulator:
    def __init__(self, *extra, n=N, now=NOW):
        self.tmp = tempfile.TemporaryDirectory()
        self.ready = os.path.join(self.tmp.name, "port")
        self.logfile = os.path.join(self.tmp.name, "log.jsonl")
        cmd = [sys.executable, EMU, "--port", "0", "--ready-file", self.ready,
               "--conversations", str(n), "--log", self.logfile]
        if now:
            cmd += ["--now", now]
        cmd += list(extra)
        self.t0 = time.monotonic()
        self.errfile = os.path.join(self.tmp.name, "stderr")
        with open(self.errfile, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + 60
        while not os.path.exists(self.ready):
            if self.proc.poll() is not None:
                raise RuntimeError("emulator died: %s" % self.stderr())
            if time.monotonic() > deadline:
                self.close()
                raise RuntimeError("emulator did not start")
            time.sleep(0.02)
        self.startup = time.monotonic() - self.t0
        with open(self.ready) as fh:
            self.port = int(fh.read())
        self._conn = None

    def stderr(self):
        with open(self.errfile, encoding="utf-8", errors="replace") as fh:
            return fh.read()

    def close(self):
        """Stop the emulator; fail if it logged an internal error."""
        if self._conn:
            self._conn.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        err = self.stderr()
        self.tmp.cleanup()
        if "Traceback" in err:
            raise AssertionError("emulator internal error:\n" + err)

    def conn(self, fresh=False, timeout=30):
        if fresh:
            return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        if self._conn is None:
            self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        return self._conn

    def request(self, method, path, body=None, headers=None, fresh=False, timeout=30):
        headers = dict(headers or {})
        for attempt in (0, 1):
            c = self.conn(fresh=fresh, timeout=timeout)
            try:
                c.request(method, path, body=body, headers=headers)
                r = c.getresponse()
                data = r.read()
                if fresh or r.getheader("Connection", "").lower() == "close":
                    c.close()
                    if not fresh:
                        self._conn = None
                return r.status, r, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                c.close()
                if fresh:
                    raise
                self._conn = None
                if attempt:
                    raise

    def token(self, prefix="", app_id=APP_ID, secret=APP_SECRET):
        st, r, body = self.request(
            "POST", prefix + "/oauth2/token:generate",
            body=json.dumps({"type": "application", "appId": app_id, "appSecret": secret}),
            headers={"Content-Type": "application/json"})
        return st, json.loads(body)

    def get(self, query="", prefix="", token=None, headers=None, **kw):
        h = dict(headers or {})
        if token is None:
            token = TOKEN
        if token:
            h["Authorization"] = "Bearer " + token
        path = prefix + "/v1/conversations" + ("?" + query if query else "")
        return self.request("GET", path, headers=h, **kw)

    def rows(self, query="", **kw):
        st, r, body = self.get(query, **kw)
        if st != 200:
            raise AssertionError("HTTP %d: %s" % (st, body[:300]))
        return json.loads(body)["conversations"]

    def all_rows(self, *pairs, limit=100, prefix=""):
        out = []
        off = 0
        while True:
            page = self.rows(qs(*pairs, ("limit", str(limit)), ("offset", str(off))), prefix=prefix)
            out += page
            if len(page) < limit:
                return out
            off += limit

    def control(self, method, path):
        st, r, body = self.request(method, "/_control/" + path)
        return st, body

    def log(self, tag, fmt="text"):
        st, body = self.control("GET", "log?tag=%s&format=%s" % (tag, fmt))
        assert st == 200
        text = body.decode("utf-8")
        if fmt == "text":
            return text.splitlines()
        return [json.loads(l) for l in text.split("\n") if l]


EMU_MAIN = None
TOKEN = None
DS = None          # list of conversation dicts, as served
EARLY = "2000-01-01T00:00:00Z"
ODD_IDS = ("999999999999999", "10000000000000000", "9990000000000-Ab")


def setUpModule():
    global EMU_MAIN, TOKEN, DS
    EMU_MAIN = Emulator()
    st, tok = EMU_MAIN.token()
    assert st == 200, tok
    TOKEN = tok["accessToken"]
    st, body = EMU_MAIN.control("GET", "dataset?format=jsonl")
    assert st == 200
    DS = [json.loads(l) for l in body.split(b"\n") if l]


def tearDownModule():
    if EMU_MAIN:
        EMU_MAIN.close()


def ids(rows):
    return [r["id"] for r in rows]


def end_ms(c):
    """endTime in ms, or None for a conversation in progress (absent or null)."""
    return None if c.get("endTime") is None else ms(c["endTime"])


def in_window(c, ws, we, inclusive=False, end_given=True, missing="match"):
    """The window as the emulator reads it.  end_given: the request had an
    endTime parameter; without one a row in progress always passes it."""
    s, e = ms(c["startTime"]), end_ms(c)
    ok = s >= ws if inclusive else s > ws
    if e is None:
        return ok and (not end_given or missing == "match")
    return ok and (e <= we if inclusive else e < we)


def field(c, sel):
    """A selector's value in a conversation: str, ms for times, None if missing."""
    if sel.startswith("conversation.metadata."):
        return (c.get("metadata") or {}).get(sel[len("conversation.metadata."):])
    key = sel[len("conversation."):]
    if key in ("startTime", "endTime"):
        return None if c.get(key) is None else ms(c[key])
    return c.get(key)


REF_OPS = {"==": lambda v, a: v == a[0], "!=": lambda v, a: v != a[0],
           "=lt=": lambda v, a: v < a[0], "=le=": lambda v, a: v <= a[0],
           "=gt=": lambda v, a: v > a[0], "=ge=": lambda v, a: v >= a[0],
           "<": lambda v, a: v < a[0], "<=": lambda v, a: v <= a[0],
           ">": lambda v, a: v > a[0], ">=": lambda v, a: v >= a[0],
           "=in=": lambda v, a: v in a, "=out=": lambda v, a: v not in a}


def ref_match(v, op, args, missing="match"):
    """One RSQL comparison as the emulator reads it (args already typed)."""
    if v is None:
        return missing == "match" and op not in ("==", "=in=")
    return REF_OPS[op](v, args)


class TestMisc(unittest.TestCase):
    def test_health(self):
        st, body = EMU_MAIN.control("GET", "health")
        self.assertEqual(st, 200)
        self.assertEqual(json.loads(body), {"ok": True, "conversations": N})

    def test_unknown_path_404(self):
        st, r, body = EMU_MAIN.request("GET", "/v1/conversationz")
        self.assertEqual(st, 404)
        self.assertIn("message", json.loads(body))
        st, r, body = EMU_MAIN.request("GET", "/v1/conversations/")
        self.assertEqual(st, 404)

    def test_wrong_method_405(self):
        st, r, body = EMU_MAIN.request("POST", "/v1/conversations", body=b"{}",
                                       headers={"Authorization": "Bearer " + TOKEN})
        self.assertEqual(st, 405)
        self.assertEqual(r.getheader("Allow"), "GET")
        self.assertIn("message", json.loads(body))
        st, r, body = EMU_MAIN.request("GET", "/oauth2/token:generate")
        self.assertEqual(st, 405)

    def test_keepalive_and_content_length(self):
        c = EMU_MAIN.conn(fresh=True)
        for _ in range(3):
            c.request("GET", "/v1/conversations?limit=1", headers={"Authorization": "Bearer " + TOKEN})
            r = c.getresponse()
            body = r.read()
            self.assertEqual(r.status, 200)
            self.assertEqual(int(r.getheader("Content-Length")), len(body))
            self.assertEqual(r.version, 11)
            self.assertTrue(r.getheader("Content-Type").startswith("application/json"))
        c.close()


class TestToken(unittest.TestCase):
    def test_good_and_same_token_shrinking(self):
        p = "/_x/tag=tok-good"
        st, t1 = EMU_MAIN.token(p)
        self.assertEqual(st, 200)
        self.assertEqual(set(t1), {"accessToken", "expiresIn"})
        self.assertEqual(t1["expiresIn"], 86400)
        self.assertIsInstance(t1["accessToken"], str)
        self.assertGreaterEqual(len(t1["accessToken"]), 20)
        time.sleep(1.1)
        st, t2 = EMU_MAIN.token(p)
        self.assertEqual(st, 200)
        self.assertEqual(t2["accessToken"], t1["accessToken"])
        self.assertLess(t2["expiresIn"], t1["expiresIn"])
        self.assertGreater(t2["expiresIn"], 86390)
        self.assertEqual(len(EMU_MAIN.rows("limit=1", token=t2["accessToken"])), 1)

    def test_wrong_credentials_401(self):
        st, body = EMU_MAIN.token("/_x/tag=tok-bad", secret="nope")
        self.assertEqual(st, 401)
        self.assertIn("message", body)
        st, body = EMU_MAIN.token("/_x/tag=tok-bad", app_id="other")
        self.assertEqual(st, 401)

    def _post(self, body, ctype="application/json"):
        h = {"Content-Type": ctype} if ctype else {}
        st, r, data = EMU_MAIN.request("POST", "/_x/tag=tok-mal/oauth2/token:generate",
                                       body=body, headers=h)
        return st, json.loads(data)

    def test_malformed_400(self):
        good = {"type": "application", "appId": APP_ID, "appSecret": APP_SECRET}
        cases = [
            b"not json",
            b"[1,2]",
            json.dumps(dict(good, type="user")).encode(),
            json.dumps({"type": "application", "appId": APP_ID}).encode(),
            json.dumps(dict(good, appSecret=5)).encode(),
            json.dumps(dict(good, extra=1)).encode(),
            b'{"type":"application","appId":"demo-app-id","appId":"x","appSecret":"demo-app-secret"}',
            b"",
            b"\xff\xfe",
        ]
        for body in cases:
            with self.subTest(body=body):
                st, obj = self._post(body)
                self.assertEqual(st, 400)
                self.assertIsInstance(obj["message"], str)
        st, obj = self._post(json.dumps(good).encode(), ctype="text/plain")
        self.assertEqual(st, 400)
        self.assertIn("Content-Type", obj["message"])
        st, obj = self._post(json.dumps(good).encode(), ctype=None)
        self.assertEqual(st, 400)
        st, obj = self._post(json.dumps(good).encode(), ctype="application/json; charset=utf-8")
        self.assertEqual(st, 200)


class TestBearer(unittest.TestCase):
    def check401(self, st, body):
        self.assertEqual(st, 401)
        self.assertEqual(json.loads(body), {"message": TOKEN_MSG})

    def test_missing_invalid(self):
        p = "/_x/tag=bearer"
        st, r, body = EMU_MAIN.get("limit=1", prefix=p, token="")
        self.check401(st, body)
        st, r, body = EMU_MAIN.get("limit=1", prefix=p, token="not-a-token")
        self.check401(st, body)
        st, r, body = EMU_MAIN.request("GET", p + "/v1/conversations?limit=1",
                                       headers={"Authorization": "Basic " + TOKEN})
        self.check401(st, body)
        st, r, body = EMU_MAIN.request("GET", p + "/v1/conversations?limit=1",
                                       headers={"Authorization": TOKEN})
        self.check401(st, body)
        auths = [r["auth"] for r in EMU_MAIN.log("bearer", "jsonl")]
        self.assertEqual(auths, ["missing", "invalid", "invalid", "invalid"])

    def test_expired_ttl(self):
        p = "/_x/tag=bearer-exp,token_ttl=1"
        st, t = EMU_MAIN.token(p)
        self.assertEqual(t["expiresIn"], 1)
        self.assertEqual(len(EMU_MAIN.rows("limit=1", token=t["accessToken"])), 1)
        time.sleep(1.05)
        st, r, body = EMU_MAIN.get("limit=1", prefix=p, token=t["accessToken"])
        self.check401(st, body)
        self.assertEqual(EMU_MAIN.log("bearer-exp", "jsonl")[-1]["auth"], "expired")
        st, t2 = EMU_MAIN.token(p)   # expired -> a new token
        self.assertNotEqual(t2["accessToken"], t["accessToken"])

    def test_token_ttl_zero(self):
        p = "/_x/tag=bearer-zero,token_ttl=0"
        st, t = EMU_MAIN.token(p)
        self.assertEqual((st, t["expiresIn"]), (200, 0))
        st, r, body = EMU_MAIN.get("limit=1", prefix=p, token=t["accessToken"])
        self.check401(st, body)

    def test_expire_token_after(self):
        p = "/_x/tag=bearer-renew,expire_token_after=2"
        st, t = EMU_MAIN.token(p)
        tok = t["accessToken"]
        for _ in range(2):
            st, r, body = EMU_MAIN.get("limit=1", prefix=p, token=tok)
            self.assertEqual(st, 200)
        st, r, body = EMU_MAIN.get("limit=1", prefix=p, token=tok)
        self.check401(st, body)
        st, r, body = EMU_MAIN.get("limit=1", prefix=p, token=tok)
        self.check401(st, body)           # stays expired
        st, t2 = EMU_MAIN.token(p)
        self.assertNotEqual(t2["accessToken"], tok)
        for _ in range(3):
            st, r, body = EMU_MAIN.get("limit=1", prefix=p, token=t2["accessToken"])
            self.assertEqual(st, 200)
        log = EMU_MAIN.log("bearer-renew")
        self.assertIn("GET /v1/conversations?limit=1 -> 401 fault=expire_token", log)

    def test_reset_revokes_tag_tokens(self):
        p = "/_x/tag=bearer-reset"
        st, t = EMU_MAIN.token(p)
        self.assertEqual(len(EMU_MAIN.rows("limit=1", token=t["accessToken"])), 1)
        st, body = EMU_MAIN.control("POST", "reset?tag=bearer-reset")
        self.assertEqual((st, json.loads(body)), (200, {}))
        st, r, body = EMU_MAIN.get("limit=1", prefix=p, token=t["accessToken"])
        self.check401(st, body)
        self.assertEqual(len(EMU_MAIN.rows("limit=1")), 1)   # other tags unaffected


class TestParams(unittest.TestCase):
    def bad(self, query, needle=None):
        st, r, body = EMU_MAIN.get(query)
        self.assertEqual(st, 400, "%s -> %s %s" % (query, st, body[:200]))
        msg = json.loads(body)["message"]
        self.assertIsInstance(msg, str)
        if needle:
            self.assertIn(needle, msg, query)
        return msg

    def test_limit(self):
        for v in ["-1", "65537", "abc", "1.5", "%2B1", "%201", "1e3", "0x10", "99999999999999999999"]:
            self.bad("limit=" + v, "limit")
        self.assertEqual(EMU_MAIN.rows("limit=0"), [])
        self.assertEqual(len(EMU_MAIN.rows(qs(("limit", "65536"), ("startTime", EARLY)))), N)
        self.assertEqual(len(EMU_MAIN.rows()), 20)  # default limit

    def test_offset(self):
        for v in ["-1", "x", "1.0", "2147483648"]:
            self.bad("offset=" + v, "offset")
        self.assertEqual(EMU_MAIN.rows(qs(("offset", "100000"), ("startTime", EARLY))), [])

    def test_order(self):
        for v in ["ASC", "up", "asc,desc", "desc%20"]:
            self.bad("order=" + v, "order")

    def test_sort(self):
        for v in ["conversation.foo", "name", "conversation.id,", ",conversation.id",
                  "conversation.id,conversation.id", "conversation.metadata.customerId",
                  "conversation.id%20", "Conversation.id"]:
            self.bad("sort=" + v, "sort")

    def test_times(self):
        for name in ("startTime", "endTime"):
            for v in ["2021-01-01", "2021-01-01T00:00:00", "2021-13-01T00:00:00Z",
                      "2021-02-30T00:00:00Z", "2021-01-01t00:00:00z", "2021-01-01 00:00:00Z",
                      "2021-01-01T00:00Z", "2021-01-01T00:00:00+0100", "1614441185",
                      "2021-01-01T24:00:00Z", "2021-01-01T00:00:00.Z", "now"]:
                with self.subTest(name=name, v=v):
                    self.bad(qs((name, v)), name)
        # future / not before now
        self.bad(qs(("startTime", "2026-01-15T12:00:00.001Z")), "current time")
        self.bad(qs(("startTime", NOW)), "current time")
        self.bad(qs(("endTime", "2027-01-01T00:00:00Z")), "current time")
        self.bad(qs(("endTime", "2026-01-15T13:00:00+01:00")), "current time")  # == now
        # ordering
        self.bad(qs(("startTime", "2025-01-02T00:00:00Z"), ("endTime", "2025-01-01T00:00:00Z")), "startTime")
        self.bad(qs(("startTime", "2025-01-01T00:00:00Z"), ("endTime", "2025-01-01T00:00:00.000Z")), "startTime")
        self.bad(qs(("startTime", "2025-01-01T01:00:00+01:00"), ("endTime", "2025-01-01T00:00:00Z")), "startTime")
        # good ones
        for v in ["2025-01-01T00:00:00Z", "2025-01-01T00:00:00.123456789Z", "2025-01-01T00:00:00-05:30"]:
            st, r, body = EMU_MAIN.get(qs(("startTime", v)))
            self.assertEqual(st, 200, v)

    def test_unknown_duplicate_empty(self):
        self.bad("foo=1", "foo")
        self.bad("limit=1&foo=", "foo")
        self.bad("Limit=1", "Limit")
        self.bad("limit=1&limit=1", "limit")
        self.bad("order=asc&order=desc", "order")
        self.bad("limit=", "limit")
        self.bad("limit", "limit")
        self.bad("filter=", "filter")
        self.bad("limit=1&&offset=0")
        self.bad("limit=1&")
        self.bad("&limit=1")

    def test_strict_decoding(self):
        self.bad("limit=%zz")
        self.bad("limit=1%")
        self.bad("filter=conversation.name==%ff")          # invalid UTF-8
        self.bad("filter=conversation.name==%C3")          # truncated UTF-8

    def raw_request(self, target):
        s = socket.create_connection(("127.0.0.1", EMU_MAIN.port), timeout=10)
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n"
                   % (target, TOKEN)).encode("utf-8"))
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        return int(data.split(b" ", 2)[1])

    def test_raw_characters_rejected(self):
        for target in ['/v1/conversations?filter=conversation.name=="x"',
                       "/v1/conversations?filter=conversation.name==<x>",
                       "/v1/conversations?filter=conversation.name==a|b",
                       "/v1/conversations?filter=conversation.name==Caf\u00e9",
                       "/v1/conversations?filter=conversation.name==a{b}"]:
            self.assertEqual(self.raw_request(target), 400, target)
        self.assertEqual(self.raw_request("/v1/conversations?filter=conversation.name=='x';conversation.type==meeting"), 200)

    def test_plus_is_literal(self):
        name = "%20 literal %2B and +plus+ %zz %"
        # spaces as %20, '+' sent raw: '+' means plus
        q = "filter=" + quote('conversation.name=="%s"' % name, safe="+") + "&startTime=" + EARLY
        self.assertEqual(ids(EMU_MAIN.rows(q)), ["9990000000000022"])
        # form-style encoding (space as '+') does not match that name
        q = "filter=" + quote('conversation.name=="Sales and Marketing or Ops"', safe=" ").replace(" ", "+")
        self.assertEqual(EMU_MAIN.rows(q + "&startTime=" + EARLY), [])
        q = "filter=" + quote('conversation.name=="Sales and Marketing or Ops"', safe="")
        self.assertEqual(ids(EMU_MAIN.rows(q + "&startTime=" + EARLY)), ["9990000000000008"])


class TestWindow(unittest.TestCase):
    def expected(self, ws, we, pred=lambda c: True, inclusive=False, end_given=True):
        return sorted(c["id"] for c in DS
                      if in_window(c, ws, we, inclusive, end_given) and pred(c))

    def test_default_window(self):
        got = EMU_MAIN.all_rows(("sort", "conversation.startTime,conversation.id"))
        exp = self.expected(NOW_MS - 7 * DAY, NOW_MS, end_given=False)
        self.assertEqual(sorted(ids(got)), exp)
        self.assertGreater(len(exp), 20)
        self.assertLess(len(exp), N // 4)
        for c in got:
            self.assertGreater(ms(c["startTime"]), NOW_MS - 7 * DAY)
            if end_ms(c) is not None:
                self.assertLess(end_ms(c), NOW_MS)
        # conversations in progress that started in the window are in it
        self.assertTrue({"9990000000000038", "9990000000000039", "9990000000000043"} <= set(exp))
        self.assertNotIn("9990000000000040", exp)     # started exactly now - 7 d

    def test_default_window_with_filter(self):
        got = EMU_MAIN.all_rows(("filter", "conversation.type==meeting"),
                                ("sort", "conversation.startTime,conversation.id"))
        exp = self.expected(NOW_MS - 7 * DAY, NOW_MS, lambda c: c.get("type") == "meeting",
                            end_given=False)
        self.assertEqual(sorted(ids(got)), exp)
        self.assertLess(len(exp), sum(1 for c in DS if c.get("type") == "meeting") // 3)
        # a filter on startTime does not lift the window either
        got = EMU_MAIN.all_rows(("filter", "conversation.startTime=gt=2000-01-01T00:00:00Z"),
                                ("sort", "conversation.startTime,conversation.id"))
        self.assertEqual(sorted(ids(got)), self.expected(NOW_MS - 7 * DAY, NOW_MS, end_given=False))

    def test_explicit_early_start_returns_everything(self):
        got = EMU_MAIN.all_rows(("startTime", EARLY), ("sort", "conversation.startTime,conversation.id"))
        self.assertEqual(len(got), N)
        self.assertEqual(len(set(ids(got))), N)
        self.assertEqual(sorted(ids(got)), sorted(c["id"] for c in DS))

    def test_exclusive_bounds(self):
        inside = set(ids(EMU_MAIN.all_rows(("sort", "conversation.startTime,conversation.id"))))
        self.assertNotIn("9990000000000032", inside)   # startTime == now - 7d
        self.assertIn("9990000000000034", inside)      # startTime == now - 7d + 1ms
        self.assertIn("9990000000000035", inside)      # endTime == now - 1ms
        we = NOW_MS - 30 * DAY                         # 033 ends exactly there
        self.assertNotIn("9990000000000033", ids(EMU_MAIN.all_rows(("endTime", iso(we)))))
        self.assertIn("9990000000000033", ids(EMU_MAIN.all_rows(("endTime", iso(we + 1)))))
        c = next(c for c in DS if c["id"] == "9990000000000036")
        s, e = ms(c["startTime"]), ms(c["endTime"])
        def has(ws, we):
            return c["id"] in ids(EMU_MAIN.rows(qs(("startTime", iso(ws)), ("endTime", iso(we)), ("limit", "1000"))))
        self.assertFalse(has(s, e + 1))
        self.assertFalse(has(s - 1, e))
        self.assertTrue(has(s - 1, e + 1))

    def test_only_end_time(self):
        we = NOW_MS - 30 * DAY
        got = EMU_MAIN.all_rows(("endTime", iso(we)), ("sort", "conversation.id"))
        self.assertEqual(sorted(ids(got)), self.expected(we - 7 * DAY, we))
        self.assertGreater(len(got), 0)
        # 'missing=match': rows in progress pass an endTime bound, also those
        # that started after it (here 20 days later)
        self.assertIn("9990000000000044", ids(got))

    def test_only_start_time(self):
        ws = NOW_MS - 100 * DAY
        got = EMU_MAIN.all_rows(("startTime", iso(ws)), ("sort", "conversation.id"))
        self.assertEqual(sorted(ids(got)), self.expected(ws, NOW_MS, end_given=False))
        self.assertIn("9990000000000035", ids(got))  # ends 1 ms before now

    def test_timezone_offsets(self):
        a = EMU_MAIN.rows(qs(("startTime", "2025-06-01T02:00:00+02:00"), ("endTime", "2025-07-01T00:00:00Z"), ("limit", "1000")))
        b = EMU_MAIN.rows(qs(("startTime", "2025-06-01T00:00:00Z"), ("endTime", "2025-06-30T19:00:00-05:00"), ("limit", "1000")))
        self.assertEqual(ids(a), ids(b))
        self.assertEqual(sorted(ids(a)), self.expected(ms("2025-06-01T00:00:00Z"), ms("2025-07-01T00:00:00Z")))
        self.assertIn("9990000000000038", ids(a))   # in progress: passes the endTime bound


class TestInclusiveServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator("--window-bounds", "inclusive", "--no-gzip", n=200)

    @classmethod
    def tearDownClass(cls):
        cls.emu.close()

    def test_inclusive_bounds_and_no_gzip(self):
        st, t = self.emu.token()
        got = set(ids(self.emu.rows("limit=1000", token=t["accessToken"])))
        for i in ("9990000000000032", "9990000000000034", "9990000000000035"):
            self.assertIn(i, got)
        got = set(ids(self.emu.rows(qs(("limit", "1000"), ("endTime", iso(NOW_MS - 30 * DAY))),
                                    token=t["accessToken"])))
        self.assertIn("9990000000000033", got)
        st, r, body = self.emu.get("limit=5", token=t["accessToken"], headers={"Accept-Encoding": "gzip"})
        self.assertEqual(st, 200)
        self.assertIsNone(r.getheader("Content-Encoding"))
        json.loads(body)


class TestAnchorNowRealClock(unittest.TestCase):
    def test_anchor_now_latency(self):
        e = Emulator("--anchor", "now", "--latency-ms", "100", n=300, now=None)
        try:
            st, t = e.token()
            self.assertEqual(st, 200)
            t0 = time.monotonic()
            rows = e.rows("limit=1000", token=t["accessToken"])
            self.assertGreaterEqual(time.monotonic() - t0, 0.1)
            self.assertGreater(len(rows), 5)
            self.assertLess(len(rows), 300)
            now = time.time() * 1000
            for c in rows:
                self.assertGreater(ms(c["startTime"]), now - 7 * DAY - 60_000)
                self.assertLess(end_ms(c) or 0, now)
            st, r, body = e.get(qs(("startTime", iso(int(now) + 60_000))), token=t["accessToken"])
            self.assertEqual(st, 400)
        finally:
            e.close()


class TestRSQL(unittest.TestCase):
    def f(self, flt, *more):
        return EMU_MAIN.all_rows(("filter", flt), ("startTime", EARLY),
                                 ("sort", "conversation.startTime,conversation.id"), *more, limit=500)

    def fids(self, flt):
        return sorted(ids(self.f(flt)))

    def exp(self, pred):
        return sorted(c["id"] for c in DS if pred(c))

    def bad(self, flt, needle=None):
        st, r, body = EMU_MAIN.get(qs(("filter", flt), ("startTime", EARLY)))
        self.assertEqual(st, 400, "%r -> %s" % (flt, st))
        msg = json.loads(body)["message"]
        if needle:
            self.assertIn(needle, msg)
        return msg

    def test_quoted_values_with_escapes(self):
        want = ["9990000000000001"]
        self.assertEqual(self.fids('conversation.name=="O\'Brien \\"Q3\\" review"'), want)
        self.assertEqual(self.fids("conversation.name=='O\\'Brien \"Q3\" review'"), want)
        self.assertEqual(self.fids("conversation.name=='O\\'Brien \\\"Q3\\\" revie\\w'"), want)
        name = "C:\\temp\\new folder\\ \\\\server\\share \\"
        esc = name.replace("\\", "\\\\")
        self.assertEqual(self.fids('conversation.name=="%s"' % esc), ["9990000000000002"])
        self.assertEqual(self.fids('conversation.name=="a==b;c=in=(x,y),d!=e"'), ["9990000000000003"])
        self.assertEqual(self.fids("conversation.name=='=gt='"), ["9990000000000004"])
        self.assertEqual(self.fids('conversation.name=="Café 会议 🎉"'), ["9990000000000010"])
        self.assertEqual(self.fids('conversation.name=="line1\nline2\tcol\r\nend"'), ["9990000000000012"])
        self.assertEqual(self.fids('conversation.name==""'), ["9990000000000013"])
        self.assertEqual(self.fids("conversation.name=='and'"), ["9990000000000006"])
        self.assertEqual(self.fids("conversation.name==and"), ["9990000000000006"])
        self.assertEqual(self.fids('conversation.name=="R&D #1: 100% + tax? a=b&c=d"'), ["9990000000000009"])
        long = next(c["name"] for c in DS if c["id"] == "9990000000000014")
        self.assertEqual(self.fids("conversation.name==" + long), ["9990000000000014"])
        # NFC and NFD are different strings
        self.assertEqual(self.fids('conversation.name=="Caf\u00e9 combining \u00c5"'), [])

    def test_and_forms(self):
        pred = lambda c: c.get("type") == "meeting" and (c.get("metadata") or {}).get("customerId") == "cust-007"
        exp = self.exp(pred)
        self.assertGreater(len(exp), 0)
        self.assertEqual(self.fids("conversation.type==meeting;conversation.metadata.customerId==cust-007"), exp)
        self.assertEqual(self.fids("conversation.type==meeting and conversation.metadata.customerId==cust-007"), exp)
        self.assertEqual(self.fids("conversation.type == meeting  and  conversation.metadata.customerId == 'cust-007'"), exp)
        self.assertEqual(self.fids("(conversation.type==meeting;conversation.metadata.customerId==cust-007)"), exp)
        self.assertEqual(self.fids("(conversation.type==meeting);(conversation.metadata.customerId==cust-007)"), exp)

    def test_or_rejected(self):
        for flt in ["conversation.type==call,conversation.type==chat",
                    "conversation.type==call or conversation.type==chat",
                    "conversation.type==meeting;(conversation.name==a,conversation.name==b)"]:
            self.bad(flt, "OR")

    def test_selector_count(self):
        self.bad("conversation.type==meeting;conversation.name==x;conversation.id==1", "2")
        self.bad("conversation.metadata.a==1;conversation.metadata.b==1;conversation.metadata.c==1", "2")
        lo, hi = "2025-06-01T00:00:00Z", "2025-09-01T00:00:00Z"
        flt = "conversation.startTime=ge=%s;conversation.startTime=lt=%s;conversation.type==meeting" % (lo, hi)
        exp = self.exp(lambda c: ms(lo) <= ms(c["startTime"]) < ms(hi) and c["type"] == "meeting")
        self.assertGreater(len(exp), 0)
        self.assertEqual(self.fids(flt), exp)

    def test_in_out(self):
        self.assertEqual(self.fids("conversation.type=in=(call,chat)"),
                         self.exp(lambda c: c.get("type") in ("call", "chat")))
        self.assertEqual(self.fids("conversation.type=in=(call or chat)"),
                         self.exp(lambda c: c.get("type") in ("call", "chat")))
        self.assertEqual(self.fids("conversation.type=in=webinar"),
                         self.exp(lambda c: c.get("type") == "webinar"))
        self.assertEqual(self.fids("conversation.type=out=(meeting,'call')"),
                         self.exp(lambda c: c.get("type") not in ("call", "meeting")))
        got = self.fids("conversation.metadata.customerId=out=(cust-001,cust-002)")
        exp = self.exp(lambda c: (c.get("metadata") or {}).get("customerId") not in ("cust-001", "cust-002"))
        self.assertEqual(got, exp)
        self.assertIn("9990000000000016", got)           # metadata missing -> =out= matches
        self.bad("conversation.type==(call,chat)", "single")

    def test_metadata_selectors(self):
        meta = lambda c, k: (c.get("metadata") or {}).get(k)
        self.assertEqual(self.fids("conversation.metadata.customerId==cust-001"),
                         self.exp(lambda c: meta(c, "customerId") == "cust-001"))
        self.assertEqual(self.fids("conversation.metadata.x.dotted.key==dotted"),
                         self.exp(lambda c: meta(c, "x.dotted.key") == "dotted"))
        self.assertEqual(self.fids("conversation.metadata.x-dash-key==dashed"),
                         self.exp(lambda c: meta(c, "x-dash-key") == "dashed"))
        self.assertEqual(self.fids("conversation.metadata.note==\"it's \\\"quoted\\\"; a=b,c (x) ~!\""),
                         ["9990000000000019"])
        self.assertEqual(self.fids("conversation.metadata.ünï=='naïve 日本 🎉'"), ["9990000000000019"])
        # 'missing=match': a row without the key matches a range comparison
        self.assertEqual(self.fids("conversation.metadata.customerId=ge=cust-049"),
                         self.exp(lambda c: meta(c, "customerId") is None or meta(c, "customerId") >= "cust-049"))

    def test_missing_semantics(self):
        # the default reading 'missing=match' (class TestMissingReading has both)
        no_name = {"9990000000000015", "9990000000000018", "9990000000000048", "9990000000000049"}
        self.assertEqual(no_name, {c["id"] for c in DS if c.get("name") is None})
        ne = set(self.fids("conversation.name!=zzz"))
        self.assertTrue(no_name <= ne)
        self.assertEqual(len(ne), N)
        lt = set(self.fids("conversation.name=lt=zzz"))
        self.assertTrue(no_name <= lt)
        self.assertEqual(lt, set(self.exp(lambda c: c.get("name") is None or c["name"] < "zzz")))
        self.assertFalse(no_name & set(self.fids("conversation.name=in=(zzz,'')")))
        self.assertFalse(no_name & set(self.fids("conversation.name==''")))
        self.assertTrue(no_name <= set(self.fids("conversation.name=out=(zzz)")))
        self.assertIn("9990000000000016", self.fids("conversation.metadata.customerId<cust-999"))
        self.assertIn("9990000000000016", self.fids("conversation.metadata.customerId!=cust-001"))
        self.assertNotIn("9990000000000016", self.fids("conversation.metadata.customerId==cust-001"))

    def test_unknown_selector(self):
        for flt in ["name==x", "conversation.members==x", "conversation.metadata.==x",
                    "conversation.Name==x", "conversation.metadata==x", "conversation.startDate=ge=2021-01-01T00:00:00Z"]:
            self.bad(flt, "selector")

    def test_wildcard_literal(self):
        self.assertEqual(self.fids("conversation.name==*"), ["9990000000000005"])
        self.assertEqual(self.fids("conversation.name==Sales*"), [])
        self.assertEqual(self.fids("conversation.name==*Ops"), [])

    def test_ordered_string_comparisons(self):
        for op, fn in (("=lt=", lambda a, b: a < b), ("<", lambda a, b: a < b),
                       ("=le=", lambda a, b: a <= b), ("<=", lambda a, b: a <= b),
                       ("=gt=", lambda a, b: a > b), (">", lambda a, b: a > b),
                       ("=ge=", lambda a, b: a >= b), (">=", lambda a, b: a >= b)):
            with self.subTest(op=op):
                self.assertEqual(self.fids("conversation.name%s'Globex / Planning'" % op),
                                 self.exp(lambda c: c.get("name") is None or fn(c["name"], "Globex / Planning")))
        # ids compare as strings, by code point: not as numbers
        got = self.fids("conversation.id=ge=9990000000000030")
        self.assertEqual(got, self.exp(lambda c: c["id"] >= "9990000000000030"))
        self.assertIn("999999999999999", got)          # 15 digits: numerically smaller
        self.assertNotIn("10000000000000000", got)     # 17 digits: numerically larger
        self.assertNotIn("9990000000000-Ab", got)      # '-' < '0'


    def test_time_selectors(self):
        c = next(c for c in DS if c["id"] == "9990000000000036")
        s = c["startTime"]
        self.assertIn(c["id"], self.fids("conversation.startTime==" + s))
        self.assertIn(c["id"], self.fids("conversation.startTime==" + s[:-1] + "000Z"))
        self.assertEqual(self.fids("conversation.startTime=ge=" + s),
                         self.exp(lambda x: ms(x["startTime"]) >= ms(s)))
        self.assertEqual(self.fids("conversation.startTime>" + s),
                         self.exp(lambda x: ms(x["startTime"]) > ms(s)))
        self.assertEqual(self.fids("conversation.endTime=lt=2025-01-01T00:00:00Z"),
                         self.exp(lambda x: end_ms(x) is None or end_ms(x) < ms("2025-01-01T00:00:00Z")))
        self.assertEqual(self.fids("conversation.endTime=lt='2025-01-01T01:00:00+01:00'"),
                         self.exp(lambda x: end_ms(x) is None or end_ms(x) < ms("2025-01-01T00:00:00Z")))
        self.bad("conversation.startTime=gt=2021-13-45T99:00:00Z", "ISO")
        self.bad("conversation.startTime=gt=yesterday", "ISO")
        self.bad("conversation.endTime=in=(2021-01-01T00:00:00Z,x)", "ISO")

    def test_malformed(self):
        for flt in ["conversation.name==", "conversation.name", "==a", "conversation.name=~a",
                    "conversation.name==a=b", "conversation.name=='abc", 'conversation.name=="abc\\',
                    "(conversation.type==meeting", "conversation.type==meeting)",
                    "conversation.type==meeting;", ";conversation.type==meeting",
                    "conversation.type==meeting;;conversation.name==x", "conversation.type=in=()",
                    "conversation.type==a b", "conversation.type==\"a\"b", "conversation.type!a",
                    "conversation.type==meeting andconversation.name==x", "conversation.name==a\nb",
                    "conversation.name==a~b", "conversation.name==(a", "()"]:
            with self.subTest(flt=flt):
                self.bad(flt)
        self.bad("conversation.type=like=meeting", "operator")
        self.bad("conversation.type=foo=meeting", "operator")


class TestSort(unittest.TestCase):
    def all_sorted(self, sort, order="asc"):
        return EMU_MAIN.rows(qs(("startTime", EARLY), ("limit", "65536"), ("sort", sort), ("order", order)))

    def test_default_sort_is_start_time_asc(self):
        rows = EMU_MAIN.rows(qs(("startTime", EARLY), ("limit", "65536")))
        st = [ms(c["startTime"]) for c in rows]
        self.assertEqual(st, sorted(st))
        rows = EMU_MAIN.rows(qs(("startTime", EARLY), ("limit", "65536"), ("order", "desc")))
        st = [ms(c["startTime"]) for c in rows]
        self.assertEqual(st, sorted(st, reverse=True))

    def test_multi_field_with_missing(self):
        def key(c):
            n, t = c.get("name"), c.get("type")
            return ((0, "") if t is None else (1, t), (0, "") if n is None else (1, n), c["id"])
        rows = self.all_sorted("conversation.type,conversation.name,conversation.id")
        self.assertEqual(ids(rows), [c["id"] for c in sorted(DS, key=key)])
        rows = self.all_sorted("conversation.type,conversation.name,conversation.id", "desc")
        self.assertEqual(ids(rows), [c["id"] for c in sorted(DS, key=key, reverse=True)])
        no_name = ["9990000000000015", "9990000000000018", "9990000000000048", "9990000000000049"]
        rows = self.all_sorted("conversation.name,conversation.id")
        self.assertEqual(ids(rows[:4]), no_name)
        self.assertEqual(rows[4]["name"], "")
        rows = self.all_sorted("conversation.name,conversation.id", "desc")
        self.assertEqual(ids(rows[-4:]), no_name[::-1])
        rows = self.all_sorted("conversation.endTime,conversation.id", "desc")
        self.assertEqual(ids(rows), [c["id"] for c in sorted(DS, key=lambda c: (end_ms(c) or -1, c["id"]), reverse=True)])
        rows = self.all_sorted("conversation.id")
        self.assertEqual(ids(rows), sorted(ids(DS)))

    def test_tie_order_varies_by_offset(self):
        full = EMU_MAIN.rows(qs(("limit", "65536"), ("sort", "conversation.startTime")))
        st = [c["startTime"] for c in full]
        # the big tie group (25 rows) inside the default window
        t = max(set(st), key=st.count)
        self.assertGreaterEqual(st.count(t), 25)
        g0 = st.index(t)
        group = set(ids(full[g0:g0 + st.count(t)]))
        orders = set()
        for off in range(g0 - 3, g0 + 1):
            page = EMU_MAIN.rows(qs(("limit", "30"), ("offset", str(off)), ("sort", "conversation.startTime")))
            orders.add(tuple(i for i in ids(page) if i in group))
        self.assertGreater(len(orders), 1, "tie order should differ between pages")
        # ... but the same request is deterministic
        q = qs(("limit", "30"), ("offset", str(g0)), ("sort", "conversation.startTime"))
        self.assertEqual(ids(EMU_MAIN.rows(q)), ids(EMU_MAIN.rows(q)))

    def test_paging_without_tiebreaker_is_unsafe(self):
        got = EMU_MAIN.all_rows(("startTime", EARLY), ("sort", "conversation.type"), limit=7)
        self.assertEqual(len(got), N)
        self.assertLess(len(set(ids(got))), N, "expected duplicated/missing rows without an id tiebreaker")

    def test_paging_with_id_tiebreaker_exact(self):
        for sort, order in (("conversation.startTime,conversation.id", "asc"),
                            ("conversation.type,conversation.id", "desc"),
                            ("conversation.name,conversation.id", "asc")):
            with self.subTest(sort=sort):
                full = ids(self.all_sorted(sort, order))
                got = ids(EMU_MAIN.all_rows(("startTime", EARLY), ("sort", sort), ("order", order), limit=37))
                self.assertEqual(got, full)
                self.assertEqual(len(set(got)), N)


IN_PROGRESS_ABSENT = ["9990000000000038", "9990000000000039", "9990000000000040",
                      "9990000000000041", "9990000000000042", "9990000000000048"]
IN_PROGRESS_NULL = ["9990000000000043", "9990000000000044", "9990000000000049"]


def byid(i):
    return next(c for c in DS if c["id"] == i)


class TestNewRows(unittest.TestCase):
    """Rows with what the contract lets the API leave out, and odd ids."""

    def test_positions_of_the_fixed_rows(self):
        fixed = ids(DS[:92])
        self.assertEqual(fixed[:49], [str(9990000000000001 + k) for k in range(49)])
        self.assertEqual(fixed[49:52], list(ODD_IDS))
        self.assertTrue(all(c["name"].startswith("Bulk import") for c in DS[52:92]))
        self.assertFalse(any(i.startswith("999000000000") for i in ids(DS[92:])))

    def test_in_progress(self):
        for i in IN_PROGRESS_ABSENT:
            self.assertNotIn("endTime", byid(i))
        for i in IN_PROGRESS_NULL:
            self.assertIn("endTime", byid(i))
            self.assertIsNone(byid(i)["endTime"])
        self.assertEqual({c["id"] for c in DS if c.get("endTime") is None},
                         set(IN_PROGRESS_ABSENT + IN_PROGRESS_NULL))
        recent = [i for i in IN_PROGRESS_ABSENT + IN_PROGRESS_NULL
                  if ms(byid(i)["startTime"]) > NOW_MS - 7 * DAY]
        self.assertEqual(sorted(recent), ["9990000000000038", "9990000000000039", "9990000000000043",
                                          "9990000000000048", "9990000000000049"])
        for i in ("9990000000000038", "9990000000000041", "9990000000000044"):
            c = byid(i)
            self.assertTrue(c["name"].startswith("In progress"))
            self.assertIn("customerId", c["metadata"])
            self.assertIsInstance(c["members"], list)
        # ties of a finished and an unfinished conversation
        self.assertEqual(byid("9990000000000040")["startTime"], byid("9990000000000032")["startTime"])
        self.assertEqual(byid("9990000000000042")["startTime"], byid("9990000000000036")["startTime"])

    def test_other_missing_fields(self):
        self.assertNotIn("type", byid("9990000000000045"))
        self.assertEqual(byid("9990000000000045")["name"], "Type missing")
        self.assertIn("metadata", byid("9990000000000046"))
        self.assertIsNone(byid("9990000000000046")["metadata"])
        self.assertIn("members", byid("9990000000000047"))
        self.assertIsNone(byid("9990000000000047")["members"])
        self.assertEqual(list(byid("9990000000000048")), ["id", "startTime"])
        self.assertEqual(byid("9990000000000049"),
                         {"id": "9990000000000049", "type": None, "name": None,
                          "startTime": byid("9990000000000049")["startTime"], "endTime": None,
                          "members": None, "metadata": None})
        self.assertTrue(all("startTime" in c for c in DS))

    def test_bulk_import(self):
        bulk = [c for c in DS if (c.get("name") or "").startswith("Bulk import")]
        self.assertEqual(len(bulk), 40)
        self.assertEqual({c["startTime"] for c in bulk}, {iso(NOW_MS - 100 * DAY)})
        gen = ids(bulk)
        self.assertEqual(sorted(gen), [str(9990000000000100 + j) for j in range(40)])
        self.assertNotEqual(gen, sorted(gen))
        # the only rows at that time: a tie group of 40 in every startTime sort
        t = bulk[0]["startTime"]
        self.assertEqual(sum(1 for c in DS if c["startTime"] == t), 40)
        rows = EMU_MAIN.all_rows(("startTime", EARLY), ("sort", "conversation.startTime,conversation.id"), limit=7)
        self.assertEqual([c["id"] for c in rows if c["startTime"] == t], sorted(gen))

    def test_odd_ids(self):
        short, long_, letters = ODD_IDS
        self.assertEqual((len(short), len(long_)), (15, 17))
        digits = [i for i in ids(DS) if i.isdigit()]
        self.assertEqual(min(digits, key=int), short)
        self.assertEqual(max(digits, key=int), long_)
        self.assertEqual(max(digits), short)            # by code point: the largest
        self.assertLess(long_, "1000000000000001")     # by code point: before 16-digit ids
        self.assertRegex(letters, r"[A-Za-z]")
        self.assertIn("-", letters)
        # the API sorts ids as strings, by code point
        rows = EMU_MAIN.rows(qs(("startTime", EARLY), ("limit", "65536"), ("sort", "conversation.id")))
        self.assertEqual(ids(rows), sorted(ids(DS)))
        self.assertEqual(ids(rows)[-1], short)
        self.assertLess(ids(rows).index(letters), ids(rows).index("9990000000000001"))
        self.assertEqual(ids(EMU_MAIN.rows(qs(("startTime", EARLY), ("filter", "conversation.id==" + letters)))),
                         [letters])


class TestMissingReading(unittest.TestCase):
    """missing=match|nomatch: comparisons and the window on absent/null fields."""
    CASES = [("conversation.name", op, ["Globex / Planning"]) for op in REF_OPS if op not in ("=in=", "=out=")] + [
        ("conversation.name", "=in=", ["Globex / Planning", ""]),
        ("conversation.name", "=out=", ["Globex / Planning", ""]),
        ("conversation.type", "==", ["meeting"]), ("conversation.type", "!=", ["meeting"]),
        ("conversation.type", "=lt=", ["m"]), ("conversation.type", "=ge=", ["m"]),
        ("conversation.type", "=in=", ["meeting", "chat"]), ("conversation.type", "=out=", ["call"]),
        ("conversation.metadata.customerId", "==", ["cust-007"]),
        ("conversation.metadata.customerId", "!=", ["cust-007"]),
        ("conversation.metadata.customerId", "=gt=", ["cust-025"]),
        ("conversation.metadata.customerId", "<=", ["cust-025"]),
        ("conversation.metadata.customerId", "=out=", ["cust-001", "cust-002"]),
        ("conversation.metadata.region", "<", ["us"]),
    ]

    def rsql(self, sel, op, args):
        quoted = ["'%s'" % a for a in args]
        if op in ("=in=", "=out="):
            return "%s%s(%s)" % (sel, op, ",".join(quoted))
        return sel + op + quoted[0]

    def got(self, flt, prefix):
        return sorted(ids(EMU_MAIN.all_rows(("filter", flt), ("startTime", EARLY),
                                            ("sort", "conversation.startTime,conversation.id"),
                                            limit=1000, prefix=prefix)))

    def check(self, sel, op, args, prefix, missing):
        typed = [ms(a) for a in args] if sel.endswith("Time") else args
        exp = sorted(c["id"] for c in DS if ref_match(field(c, sel), op, typed, missing))
        self.assertEqual(self.got(self.rsql(sel, op, args), prefix), exp)
        return exp

    def test_comparisons(self):
        for prefix, missing in (("", "match"), ("/_x/missing=match", "match"),
                                ("/_x/missing=nomatch", "nomatch")):
            for sel, op, args in self.CASES:
                with self.subTest(prefix=prefix, sel=sel, op=op):
                    self.check(sel, op, args, prefix, missing)

    def test_end_time_comparisons(self):
        e = byid("9990000000000035")["endTime"]
        for prefix, missing in (("", "match"), ("/_x/missing=nomatch", "nomatch")):
            for op in REF_OPS:
                with self.subTest(prefix=prefix, op=op):
                    exp = self.check("conversation.endTime", op, [e], prefix, missing)
                    opened = set(IN_PROGRESS_ABSENT + IN_PROGRESS_NULL)
                    if missing == "nomatch" or op in ("==", "=in="):
                        self.assertFalse(opened & set(exp))
                    else:
                        self.assertTrue(opened <= set(exp))

    def test_window(self):
        opened = set(IN_PROGRESS_ABSENT + IN_PROGRESS_NULL)
        for prefix, missing in (("", "match"), ("/_x/missing=match", "match"),
                                ("/_x/missing=nomatch", "nomatch")):
            with self.subTest(prefix=prefix):
                # no endTime parameter: rows in progress pass under both readings
                got = set(ids(EMU_MAIN.all_rows(("startTime", EARLY), prefix=prefix, limit=1000)))
                self.assertEqual(len(got), N)
                got = set(ids(EMU_MAIN.all_rows(prefix=prefix, limit=1000)))
                self.assertEqual(got, {c["id"] for c in DS
                                       if in_window(c, NOW_MS - 7 * DAY, NOW_MS, end_given=False)})
                self.assertTrue({"9990000000000038", "9990000000000043"} <= got)
                # an endTime parameter: they pass it under 'match' only
                for ws, we in ((EARLY, iso(NOW_MS - 1)), (iso(NOW_MS - 40 * DAY), iso(NOW_MS - 30 * DAY))):
                    got = set(ids(EMU_MAIN.all_rows(("startTime", ws), ("endTime", we), prefix=prefix, limit=1000)))
                    exp = {c["id"] for c in DS if in_window(c, ms(ws), ms(we), missing=missing)}
                    self.assertEqual(got, exp)
                    if missing == "match":
                        self.assertTrue(got & opened)
                    else:
                        self.assertFalse(got & opened)
        # under 'match' also one that started after the endTime bound
        got = ids(EMU_MAIN.all_rows(("startTime", iso(NOW_MS - 40 * DAY)), ("endTime", iso(NOW_MS - 30 * DAY))))
        self.assertIn("9990000000000038", got)

    def test_bad_values(self):
        for spec in ("missing=maybe", "missing=", "missing=MATCH", "missing_sort=middle",
                     "time_reading=floor", "missing=match,missing=nomatch"):
            with self.subTest(spec=spec):
                st, r, body = EMU_MAIN.get("limit=1", prefix="/_x/" + spec)
                self.assertEqual(st, 400)


class TestMissingSort(unittest.TestCase):
    """missing_sort=low|high: where absent/null values sort."""

    def ref(self, field_name, desc, high):
        def key(c):
            v = field(c, "conversation." + field_name)
            return ((1,) if high else (0,)) if v is None else ((0, v) if high else (1, v)), c["id"]
        return [c["id"] for c in sorted(DS, key=key, reverse=desc)]

    def test_sort(self):
        for prefix, high in (("", False), ("/_x/missing_sort=low", False), ("/_x/missing_sort=high", True)):
            for fld in ("name", "type", "endTime"):
                for order in ("asc", "desc"):
                    with self.subTest(prefix=prefix, field=fld, order=order):
                        rows = EMU_MAIN.rows(qs(("startTime", EARLY), ("limit", "65536"), ("order", order),
                                                ("sort", "conversation.%s,conversation.id" % fld)), prefix=prefix)
                        exp = self.ref(fld, order == "desc", high)
                        self.assertEqual(ids(rows), exp)
                        nmiss = sum(1 for c in DS if field(c, "conversation." + fld) is None)
                        first = (order == "asc") != high
                        edge = rows[:nmiss] if first else rows[-nmiss:]
                        self.assertTrue(all(field(c, "conversation." + fld) is None for c in edge))

    def test_missing_values_tie(self):
        # without a unique last key, the missing values are one tie group
        rows = EMU_MAIN.rows(qs(("startTime", EARLY), ("limit", "9"), ("sort", "conversation.endTime")),
                             prefix="/_x/missing_sort=low")
        self.assertEqual(set(ids(rows)), set(IN_PROGRESS_ABSENT + IN_PROGRESS_NULL))

    def test_paging_by_key_and_id(self):
        for spec in ("missing_sort=low", "missing_sort=high"):
            with self.subTest(spec=spec):
                pre = "/_x/" + spec
                full = ids(EMU_MAIN.rows(qs(("startTime", EARLY), ("limit", "65536"),
                                            ("sort", "conversation.endTime,conversation.id")), prefix=pre))
                got = ids(EMU_MAIN.all_rows(("startTime", EARLY), ("sort", "conversation.endTime,conversation.id"),
                                            limit=4, prefix=pre))
                self.assertEqual(got, full)


def sub_ms(msv, digits):
    """msv with extra fraction digits after the millisecond: '...SS.mmm<digits>Z'."""
    return iso(msv)[:-1] + digits + "Z"


def read_ms(value, reading):
    """Test-side reading of a time with more than 3 fraction digits."""
    base = ms(value)
    extra = value.rstrip("Z").partition(".")[2][3:]
    return base + (1 if reading == "round" and extra and extra[0] >= "5" else 0)


class TestTimeReading(unittest.TestCase):
    """time_reading=truncate|round: times with more than 3 fraction digits."""
    READINGS = (("", "truncate"), ("/_x/time_reading=truncate", "truncate"), ("/_x/time_reading=round", "round"))

    def test_reference(self):
        self.assertEqual(read_ms(sub_ms(5, "4999"), "round"), 5)
        self.assertEqual(read_ms(sub_ms(5, "5"), "round"), 6)
        self.assertEqual(read_ms(sub_ms(5, "9"), "truncate"), 5)

    def test_window_parameters(self):
        c = byid("9990000000000036")
        s, e = ms(c["startTime"]), ms(c["endTime"])
        for prefix, reading in self.READINGS:
            for ws, we in ((sub_ms(s - 1, "9"), sub_ms(e, "5")), (sub_ms(s - 1, "4"), sub_ms(e, "4999")),
                           (sub_ms(s - 1, "5"), sub_ms(e + 1, "0001")), (sub_ms(s, "0001"), sub_ms(e, "9999"))):
                with self.subTest(prefix=prefix, ws=ws, we=we):
                    got = c["id"] in ids(EMU_MAIN.rows(qs(("startTime", ws), ("endTime", we), ("limit", "65536")),
                                                       prefix=prefix))
                    self.assertEqual(got, s > read_ms(ws, reading) and e < read_ms(we, reading))
        # the distinctive cases
        q = qs(("startTime", sub_ms(s - 1, "9")), ("endTime", sub_ms(e + 1, "0")), ("limit", "65536"))
        self.assertIn(c["id"], ids(EMU_MAIN.rows(q, prefix="/_x/time_reading=truncate")))
        self.assertNotIn(c["id"], ids(EMU_MAIN.rows(q, prefix="/_x/time_reading=round")))
        q = qs(("startTime", sub_ms(s - 1, "0")), ("endTime", sub_ms(e, "5")), ("limit", "65536"))
        self.assertNotIn(c["id"], ids(EMU_MAIN.rows(q, prefix="/_x/time_reading=truncate")))
        self.assertIn(c["id"], ids(EMU_MAIN.rows(q, prefix="/_x/time_reading=round")))

    def test_rsql_values(self):
        s = ms(byid("9990000000000036")["startTime"])
        values = (sub_ms(s, "0004"), sub_ms(s, "5"), sub_ms(s - 1, "9999"), sub_ms(s - 1, "4"), sub_ms(s, "000000"))
        for prefix, reading in self.READINGS:
            for v in values:
                for op in ("==", "!=", "=lt=", "=le=", ">", ">="):
                    with self.subTest(prefix=prefix, v=v, op=op):
                        got = sorted(ids(EMU_MAIN.all_rows(("filter", "conversation.startTime%s'%s'" % (op, v)),
                                                           ("startTime", EARLY), limit=1000, prefix=prefix)))
                        t = read_ms(v, reading)
                        self.assertEqual(got, sorted(c["id"] for c in DS
                                                     if REF_OPS[op](ms(c["startTime"]), [t])))
            with self.subTest(prefix=prefix, op="=in="):
                got = ids(EMU_MAIN.all_rows(("filter", "conversation.startTime=in=(%s,%s)" % (sub_ms(s, "5"), sub_ms(s - 1, "5"))),
                                            ("startTime", EARLY), prefix=prefix))
                self.assertEqual(sorted(got), sorted(c["id"] for c in DS
                                                     if ms(c["startTime"]) in (read_ms(sub_ms(s, "5"), reading),
                                                                               read_ms(sub_ms(s - 1, "5"), reading))))
        # keyset-style lower bounds, read the same way
        for prefix, reading in self.READINGS:
            for op in ("=ge=", "=gt="):
                with self.subTest(prefix=prefix, op=op):
                    v = sub_ms(s - 1, "5")
                    got = ids(EMU_MAIN.all_rows(("filter", 'conversation.startTime%s"%s"' % (op, v)),
                                                ("startTime", EARLY), ("sort", "conversation.startTime,conversation.id"),
                                                limit=1000, prefix=prefix))
                    t = read_ms(v, reading)
                    self.assertEqual(sorted(got), sorted(c["id"] for c in DS
                                                         if REF_OPS[op](ms(c["startTime"]), [t])))

    def test_read_before_the_checks(self):
        # now is 12:00:00.000: .9996 of the second before is 'before now' truncated, 'now' rounded
        just = "2026-01-15T11:59:59.9996Z"
        st, r, body = EMU_MAIN.get(qs(("startTime", just)), prefix="/_x/time_reading=truncate")
        self.assertEqual(st, 200)
        st, r, body = EMU_MAIN.get(qs(("startTime", just)), prefix="/_x/time_reading=round")
        self.assertEqual(st, 400)
        self.assertIn("current time", json.loads(body)["message"])
        # startTime < endTime is decided on the values as read
        a, b = "2025-06-01T00:00:00.0001Z", "2025-06-01T00:00:00.0006Z"
        for prefix, status in (("/_x/time_reading=truncate", 400), ("/_x/time_reading=round", 200)):
            with self.subTest(prefix=prefix):
                st, r, body = EMU_MAIN.get(qs(("startTime", a), ("endTime", b)), prefix=prefix)
                self.assertEqual(st, status, body)


class TestClockSkew(unittest.TestCase):
    """clock_skew=SECONDS: the API's now = the emulator's + SECONDS."""

    def status(self, query, skew):
        prefix = "/_x/clock_skew=%s" % quote(skew, safe="") if skew is not None else ""
        st, r, body = EMU_MAIN.get(query, prefix=prefix)
        return st, json.loads(body)

    def test_times_must_lie_before_the_apis_now(self):
        before, after = qs(("startTime", iso(NOW_MS - 300_000))), qs(("startTime", iso(NOW_MS + 300_000)))
        self.assertEqual(self.status(before, None)[0], 200)
        self.assertEqual(self.status(after, None)[0], 400)
        st, body = self.status(before, "-600")
        self.assertEqual(st, 400)
        self.assertIn(iso(NOW_MS - 600_000), body["message"])
        for skew in ("600", "+600"):
            self.assertEqual(self.status(after, skew)[0], 200)
            self.assertEqual(self.status(qs(("endTime", iso(NOW_MS + 300_000))), skew)[0], 200)
        self.assertEqual(self.status(qs(("endTime", iso(NOW_MS - 300_000))), "-600")[0], 400)

    def test_default_window_moves(self):
        for skew in (-86400, -3600, 86400):
            with self.subTest(skew=skew):
                now = NOW_MS + skew * 1000
                got = set(ids(EMU_MAIN.all_rows(prefix="/_x/clock_skew=%d" % skew, limit=1000)))
                self.assertEqual(got, {c["id"] for c in DS if in_window(c, now - 7 * DAY, now, end_given=False)})
        # an hour behind: 035 (ends 1 ms before the emulator's now) is not over yet
        self.assertNotIn("9990000000000035", ids(EMU_MAIN.all_rows(prefix="/_x/clock_skew=-3600", limit=1000)))

    def test_bad_values(self):
        for skew in ("86401", "-86401", "1.5", "abc", "--5", "+-5", " 5", "9999999"):
            with self.subTest(skew=skew):
                self.assertEqual(self.status("limit=1", skew)[0], 400)
        for skew in ("86400", "-86400", "-0", "+0"):
            with self.subTest(skew=skew):
                self.assertEqual(self.status("limit=1", skew)[0], 200)


class TestSelectorsReading(unittest.TestCase):
    """selectors=apply|ignore|reject: the filter selectors Symbl never shows
    (conversation.id, type, name, startTime, endTime); metadata always applies."""

    SORT = "conversation.startTime,conversation.id"
    PREFIXES = (("", "apply"), ("/_x/selectors=apply", "apply"),
                ("/_x/selectors=ignore", "ignore"), ("/_x/selectors=reject", "reject"))

    def get(self, prefix, flt=None, *pairs):
        pairs = pairs + (("limit", "65536"), ("sort", self.SORT))
        if flt is not None:
            pairs += (("filter", flt),)
        st, r, body = EMU_MAIN.get(qs(*pairs), prefix=prefix)
        body = json.loads(body)
        return st, (ids(body["conversations"]) if st == 200 else body["message"])

    def test_by_id(self):
        flt = 'conversation.id=="9990000000000038"'
        st, window = self.get("")
        self.assertEqual(st, 200)
        self.assertIn("9990000000000038", window)
        self.assertGreater(len(window), 1)
        # apply, ignore, apply again: the result cache keeps the readings apart
        for prefix, reading in self.PREFIXES + self.PREFIXES[:2]:
            with self.subTest(prefix=prefix):
                st, got = self.get(prefix, flt)
                if reading == "reject":
                    self.assertEqual((st, got), (400, "Invalid filter: unsupported selector 'conversation.id'"))
                else:
                    self.assertEqual(st, 200)
                    self.assertEqual(got, ["9990000000000038"] if reading == "apply" else window)

    def test_every_undocumented_selector(self):
        c38 = byid("9990000000000038")
        cases = (("conversation.id", "==", "9990000000000038", ["9990000000000038"]),
                 ("conversation.type", "==", "chat", ["chat"]),
                 ("conversation.name", "!=", c38["name"], [c38["name"]]),
                 # a startTime lower bound narrows the rows under apply only
                 ("conversation.startTime", "=ge=", iso(NOW_MS - 3 * DAY), [NOW_MS - 3 * DAY]),
                 ("conversation.endTime", "=lt=", iso(NOW_MS - 300 * DAY), [NOW_MS - 300 * DAY]))
        every = [c["id"] for c in sorted(DS, key=lambda c: (ms(c["startTime"]), c["id"]))]
        for sel, op, value, typed in cases:
            flt = "%s%s%s" % (sel, op, quote_rsql(value))
            want = [i for i in every if ref_match(field(byid(i), sel), op, typed)]
            self.assertTrue(0 < len(want) < N, sel)
            for prefix, reading in self.PREFIXES:
                with self.subTest(sel=sel, prefix=prefix):
                    st, got = self.get(prefix, flt, ("startTime", EARLY))
                    if reading == "reject":
                        self.assertEqual(st, 400)
                        self.assertEqual(got, "Invalid filter: unsupported selector '%s'" % sel)
                    else:
                        self.assertEqual(st, 200)
                        self.assertEqual(got, want if reading == "apply" else every)

    def test_metadata_always_applied(self):
        flt = "conversation.metadata.customerId==cust-007"
        want = [c["id"] for c in sorted(DS, key=lambda c: (ms(c["startTime"]), c["id"]))
                if (c.get("metadata") or {}).get("customerId") == "cust-007"]
        self.assertTrue(0 < len(want) < N)
        for prefix, reading in self.PREFIXES:
            with self.subTest(prefix=prefix):
                self.assertEqual(self.get(prefix, flt, ("startTime", EARLY)), (200, want))

    def test_ignored_beside_metadata(self):
        meta = "conversation.metadata.customerId==cust-007"
        both = "conversation.type==chat;" + meta
        st, alone = self.get("", meta, ("startTime", EARLY))
        st, applied = self.get("", both, ("startTime", EARLY))
        self.assertTrue(set(applied) < set(alone))
        self.assertEqual(self.get("/_x/selectors=ignore", both, ("startTime", EARLY)), (200, alone))
        self.assertEqual(self.get("/_x/selectors=reject", both, ("startTime", EARLY)),
                         (400, "Invalid filter: unsupported selector 'conversation.type'"))
        # a metadata key whose name looks like a selector is still metadata
        self.assertEqual(self.get("/_x/selectors=reject", "conversation.metadata.id==x")[0], 200)

    def test_still_validated_when_ignored(self):
        for flt in ("conversation.id=xx=1", "conversation.startTime==yesterday",
                    "conversation.endTime=in=(2026-01-01T00:00:00Z,soon)",
                    "conversation.id==1,conversation.type==a", "conversation.id==1 or conversation.id==2",
                    "conversation.id==1;conversation.type==a;conversation.name==b",
                    "conversation.id==1;conversation.metadata.a==b;conversation.metadata.c==d",
                    "conversation.id==(1,2)", "conversation.idx==1", "conversation.id=="):
            with self.subTest(flt=flt):
                st, msg = self.get("", flt)
                self.assertEqual(st, 400)
                self.assertTrue(msg.startswith("Invalid filter: "), msg)
                self.assertEqual(self.get("/_x/selectors=ignore", flt), (400, msg))
                self.assertEqual(self.get("/_x/selectors=reject", flt), (400, msg))

    def test_bad_values(self):
        for spec in ("selectors=maybe", "selectors=APPLY", "selectors=", "selectors=ignore,selectors=apply"):
            with self.subTest(spec=spec):
                self.assertEqual(EMU_MAIN.get("limit=1", prefix="/_x/" + spec)[0], 400)


def quote_rsql(v):
    """An RSQL value: double-quoted, with backslash escapes."""
    return '"%s"' % v.replace("\\", "\\\\").replace('"', '\\"')


class TestSortFieldsReading(unittest.TestCase):
    """sort_fields=apply|ignore|reject: the sort fields Symbl never shows
    (conversation.id, type, endTime)."""

    def rows(self, prefix, sort, order="asc", limit="65536", offset="0"):
        return ids(EMU_MAIN.rows(qs(("startTime", EARLY), ("limit", limit), ("offset", offset),
                                    ("sort", sort), ("order", order)), prefix=prefix))

    def test_reject(self):
        p = "/_x/sort_fields=reject"
        for sort, bad in (("conversation.id", "conversation.id"),
                          ("conversation.type,conversation.name", "conversation.type"),
                          ("conversation.startTime,conversation.id", "conversation.id"),
                          ("conversation.name,conversation.endTime", "conversation.endTime")):
            with self.subTest(sort=sort):
                st, r, body = EMU_MAIN.get(qs(("sort", sort)), prefix=p)
                self.assertEqual(st, 400)
                self.assertEqual(json.loads(body)["message"],
                                 "Invalid sort field '%s' (allowed: conversation.name, conversation.startTime)" % bad)
        for sort in ("conversation.name", "conversation.startTime", "conversation.name,conversation.startTime"):
            with self.subTest(sort=sort):
                self.assertEqual(EMU_MAIN.get(qs(("sort", sort)), prefix=p)[0], 200)
        # an unknown field is refused as under every reading
        st, r, body = EMU_MAIN.get(qs(("sort", "conversation.members")), prefix=p)
        self.assertEqual(st, 400)
        self.assertIn("conversation.members", json.loads(body)["message"])

    def test_ignore_start_and_id_pages_the_bulk_import_unsafely(self):
        sort = "conversation.startTime,conversation.id"
        bulk = {c["id"] for c in DS if (c.get("name") or "").startswith("Bulk import")}
        full = self.rows("", sort)
        g0 = min(full.index(i) for i in bulk)
        self.assertEqual(set(full[g0:g0 + 40]), bulk)
        # apply: the id tiebreaker holds, offset paging tiles exactly
        for prefix in ("", "/_x/sort_fields=apply"):
            got = ids(EMU_MAIN.all_rows(("startTime", EARLY), ("sort", sort), limit=7, prefix=prefix))
            self.assertEqual(got, full)
        # ignore: sorted by startTime alone, the 40 ties permuted per page
        p = "/_x/sort_fields=ignore"
        every = self.rows(p, sort)
        self.assertEqual(sorted(every), sorted(full))
        starts = [ms(byid(i)["startTime"]) for i in every]
        self.assertEqual(starts, sorted(starts))
        self.assertNotEqual(every[g0:g0 + 40], full[g0:g0 + 40])
        orders = [[i for i in self.rows(p, sort, limit="50", offset=str(off)) if i in bulk]
                  for off in (g0 - 5, g0 - 4)]
        self.assertEqual([len(o) for o in orders], [40, 40])
        self.assertNotEqual(orders[0], orders[1])
        got = ids(EMU_MAIN.all_rows(("startTime", EARLY), ("sort", sort), limit=7, prefix=p))
        self.assertEqual(len(got), N)
        self.assertLess(len(set(got) & bulk), 40, "offset paging over the tie group should lose rows")
        self.assertGreater(sum(1 for i in got if i in bulk), len(set(got) & bulk))
        # the same request always gives the same answer
        self.assertEqual(self.rows(p, sort, limit="50", offset=str(g0)), self.rows(p, sort, limit="50", offset=str(g0)))

    def test_ignore_keeps_the_documented_fields(self):
        p = "/_x/sort_fields=ignore"
        for order in ("asc", "desc"):
            with self.subTest(order=order):
                self.assertEqual(self.rows(p, "conversation.endTime,conversation.name", order),
                                 self.rows("", "conversation.name", order))
                self.assertEqual(self.rows(p, "conversation.name,conversation.id,conversation.startTime", order),
                                 self.rows("", "conversation.name,conversation.startTime", order))
                # nothing left: the default, conversation.startTime
                self.assertEqual(self.rows(p, "conversation.id", order),
                                 self.rows("", "conversation.startTime", order))
        self.assertNotEqual(self.rows(p, "conversation.type"), self.rows("", "conversation.type"))

    def test_bad_values(self):
        for spec in ("sort_fields=maybe", "sort_fields=Ignore", "sort_fields=", "sort_fields=apply,sort_fields=apply"):
            with self.subTest(spec=spec):
                self.assertEqual(EMU_MAIN.get("limit=1", prefix="/_x/" + spec)[0], 400)


class TestReadingsOnTheCommandLine(unittest.TestCase):
    """Every reading as a command-line default; a request's /_x/ spec wins."""

    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator("--missing", "nomatch", "--missing-sort", "high", "--time-reading", "round",
                           "--clock-skew", "-600", n=120)
        st, t = cls.emu.token()
        cls.tok = t["accessToken"]

    @classmethod
    def tearDownClass(cls):
        cls.emu.close()

    def rows(self, prefix="", **params):
        params.setdefault("startTime", EARLY)
        params.setdefault("limit", "65536")
        return ids(self.emu.rows(qs(*params.items()), token=self.tok, prefix=prefix))

    def test_defaults_and_overrides(self):
        flt = "conversation.name!=x"
        self.assertNotIn("9990000000000015", self.rows(filter=flt))
        self.assertIn("9990000000000015", self.rows("/_x/missing=match", filter=flt))
        no_name = ["9990000000000015", "9990000000000018", "9990000000000048", "9990000000000049"]
        by_name = self.rows(sort="conversation.name,conversation.id")
        self.assertEqual(by_name[-4:], no_name)
        by_name = self.rows("/_x/missing_sort=low", sort="conversation.name,conversation.id")
        self.assertEqual(by_name[:4], no_name)
        c = byid("9990000000000036")
        v = sub_ms(ms(c["startTime"]) - 1, "5")
        self.assertIn(c["id"], self.rows(filter="conversation.startTime=='%s'" % v))
        self.assertNotIn(c["id"], self.rows("/_x/time_reading=truncate", filter="conversation.startTime=='%s'" % v))
        late = iso(NOW_MS - 300_000)
        st, r, body = self.emu.get(qs(("startTime", late)), token=self.tok)
        self.assertEqual(st, 400)
        st, r, body = self.emu.get(qs(("startTime", late)), token=self.tok, prefix="/_x/clock_skew=0")
        self.assertEqual(st, 200)

    def test_bad_command_line(self):
        for args in (["--clock-skew", "86401"], ["--clock-skew", "x"], ["--missing", "maybe"],
                     ["--missing-sort", "middle"], ["--time-reading", "floor"],
                     ["--selectors", "maybe"], ["--sort-fields", "APPLY"]):
            with self.subTest(args=args):
                p = subprocess.run([sys.executable, EMU, "--conversations", "5", "--dump-dataset", "jsonl"] + args,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                self.assertNotEqual(p.returncode, 0)


class TestSelectorReadingsOnTheCommandLine(unittest.TestCase):
    """--selectors / --sort-fields as command-line defaults; a request's /_x/ spec wins."""

    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator("--selectors", "ignore", "--sort-fields", "reject", n=120)
        st, t = cls.emu.token()
        cls.tok = t["accessToken"]

    @classmethod
    def tearDownClass(cls):
        cls.emu.close()

    def get(self, prefix="", **params):
        params.setdefault("startTime", EARLY)
        params.setdefault("limit", "65536")
        st, r, body = self.emu.get(qs(*params.items()), token=self.tok, prefix=prefix)
        body = json.loads(body)
        return st, (ids(body["conversations"]) if st == 200 else body["message"])

    def test_defaults_and_overrides(self):
        flt = 'conversation.id=="9990000000000038"'
        st, every = self.get()
        self.assertEqual((st, len(every)), (200, 120))
        self.assertEqual(self.get(filter=flt), (200, every))
        self.assertEqual(self.get("/_x/selectors=apply", filter=flt), (200, ["9990000000000038"]))
        st, msg = self.get("/_x/selectors=reject", filter=flt)
        self.assertEqual(st, 400)
        self.assertIn("filter", msg)
        st, msg = self.get(sort="conversation.startTime,conversation.id")
        self.assertEqual(st, 400)
        self.assertIn("sort field 'conversation.id'", msg)
        st, got = self.get("/_x/sort_fields=apply", sort="conversation.id")
        self.assertEqual((st, got), (200, sorted(every)))
        self.assertEqual(self.get(sort="conversation.name,conversation.startTime")[0], 200)


class TestGzip(unittest.TestCase):
    def test_gzip(self):
        q = qs(("limit", "50"), ("startTime", EARLY))
        st, r, plain = EMU_MAIN.get(q)
        self.assertIsNone(r.getheader("Content-Encoding"))
        st, r, gz = EMU_MAIN.get(q, headers={"Accept-Encoding": "deflate, gzip;q=0.8"})
        self.assertEqual(st, 200)
        self.assertEqual(r.getheader("Content-Encoding"), "gzip")
        self.assertEqual(int(r.getheader("Content-Length")), len(gz))
        self.assertEqual(gzip.decompress(gz), plain)
        st, r, body = EMU_MAIN.get(q, headers={"Accept-Encoding": "gzip;q=0"})
        self.assertIsNone(r.getheader("Content-Encoding"))
        self.assertEqual(body, plain)
        st, r, body = EMU_MAIN.get("limit=x", headers={"Accept-Encoding": "gzip"})
        self.assertEqual(st, 400)
        self.assertIn(b"limit", gzip.decompress(body))
        self.assertEqual(EMU_MAIN.log("default", "jsonl")[-1]["accept_encoding"], "gzip")


class TestFaults(unittest.TestCase):
    def test_status_count(self):
        p = "/_x/tag=f-status,status=500,count=2"
        for _ in range(2):
            st, r, body = EMU_MAIN.get("limit=1", prefix=p)
            self.assertEqual(st, 500)
            self.assertEqual(json.loads(body), {"message": "Injected 500"})
        st, r, body = EMU_MAIN.get("limit=1", prefix=p)
        self.assertEqual(st, 200)
        # tokens are not affected by status=
        st, t = EMU_MAIN.token(p)
        self.assertEqual(st, 200)
        self.assertEqual(EMU_MAIN.log("f-status"), [
            "GET /v1/conversations?limit=1 -> 500 fault=status",
            "GET /v1/conversations?limit=1 -> 500 fault=status",
            "GET /v1/conversations?limit=1 -> 200 rows=1",
            "POST /oauth2/token:generate -> 200"])
        # reset makes the fault fire again
        EMU_MAIN.control("POST", "reset?tag=f-status")
        self.assertEqual(EMU_MAIN.get("limit=1", prefix=p)[0], 500)
        self.assertEqual(EMU_MAIN.log("f-status"), ["GET /v1/conversations?limit=1 -> 500 fault=status"])

    def test_status_faults_fire_before_auth(self):
        st, r, body = EMU_MAIN.get("limit=1", prefix="/_x/tag=f-noauth,status=503", token="")
        self.assertEqual(st, 503)

    def test_retry_after(self):
        st, r, body = EMU_MAIN.get("limit=1", prefix="/_x/tag=f-429,status=429,retry_after=3,count=1")
        self.assertEqual(st, 429)
        self.assertEqual(r.getheader("Retry-After"), "3")

    def test_after(self):
        p = "/_x/tag=f-after,status=502,after=2,count=1"
        got = [EMU_MAIN.get("limit=1&offset=%d" % i, prefix=p)[0] for i in range(4)]
        self.assertEqual(got, [200, 200, 502, 200])

    def test_token_status(self):
        p = "/_x/tag=f-tok,token_status=503,retry_after=1,count=1"
        st, r, body = EMU_MAIN.request("POST", p + "/oauth2/token:generate",
                                       body=json.dumps({"type": "application", "appId": APP_ID, "appSecret": APP_SECRET}),
                                       headers={"Content-Type": "application/json"})
        self.assertEqual(st, 503)
        self.assertEqual(r.getheader("Retry-After"), "1")
        self.assertEqual(EMU_MAIN.token(p)[0], 200)
        self.assertEqual(EMU_MAIN.get("limit=1", prefix=p)[0], 200)

    def test_latency(self):
        t0 = time.monotonic()
        st, r, body = EMU_MAIN.get("limit=1", prefix="/_x/tag=f-lat,latency_ms=300")
        self.assertEqual(st, 200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.29)

    def test_slow_bps(self):
        t0 = time.monotonic()
        st, r, body = EMU_MAIN.get(qs(("limit", "4"), ("startTime", EARLY)), prefix="/_x/tag=f-slow,slow_bps=4000", fresh=True)
        dt = time.monotonic() - t0
        self.assertEqual(st, 200)
        self.assertEqual(len(json.loads(body)["conversations"]), 4)
        self.assertGreaterEqual(dt, len(body) / 4000 * 0.8)

    def raw(self, path, timeout=10):
        s = socket.create_connection(("127.0.0.1", EMU_MAIN.port), timeout=timeout)
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n" % (path, TOKEN)).encode())
        return s

    def test_hang(self):
        s = self.raw("/_x/tag=f-hang,hang=1/v1/conversations?limit=1", timeout=0.7)
        with self.assertRaises(socket.timeout):
            s.recv(100)
        s.close()
        time.sleep(0.5)   # server notices the disconnect and closes
        self.assertEqual(EMU_MAIN.log("f-hang"), ["GET /v1/conversations?limit=1 -> none fault=hang"])

    def test_truncate(self):
        s = self.raw("/_x/tag=f-trunc,truncate=10/v1/conversations?limit=3")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertIn(b" 200 ", head.split(b"\r\n")[0])
        cl = int(re.search(rb"Content-Length: (\d+)", head).group(1))
        self.assertGreater(cl, 100)
        self.assertEqual(body, b'{"conversa')

    def test_reset(self):
        s = self.raw("/_x/tag=f-reset,reset=1/v1/conversations?limit=3")
        try:
            data = s.recv(100)
            self.assertEqual(data, b"")
        except ConnectionResetError:
            pass
        s.close()
        time.sleep(0.05)
        self.assertEqual(EMU_MAIN.log("f-reset"), ["GET /v1/conversations?limit=3 -> none fault=reset"])

    def test_on_token_scope(self):
        p = "/_x/tag=f-on,on=token,reset=1"
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionResetError)):
            EMU_MAIN.request("POST", p + "/oauth2/token:generate", body=b"{}",
                             headers={"Content-Type": "application/json"}, fresh=True)
        self.assertEqual(EMU_MAIN.get("limit=1", prefix=p, fresh=True)[0], 200)

    def test_redirect(self):
        st, r, body = EMU_MAIN.get("limit=1", prefix="/_x/tag=f-redir,redirect=http%3A%2F%2F127.0.0.1%3A1%2Fv1%2Fconversations")
        self.assertEqual(st, 302)
        self.assertEqual(r.getheader("Location"), "http://127.0.0.1:1/v1/conversations")

    def test_bad_spec(self):
        for spec in ["tag=x,bogus=1", "status=abc", "status=700", "body=nope", "tag=a,tag=b", "count", "count=-1"]:
            with self.subTest(spec=spec):
                st, r, body = EMU_MAIN.get("limit=1", prefix="/_x/" + spec)
                self.assertEqual(st, 400)
                self.assertIn("message", json.loads(body))

    def test_bodies(self):
        def body(kind):
            st, r, data = EMU_MAIN.get("limit=1", prefix="/_x/tag=f-body,body=" + kind)
            self.assertEqual(st, 200)
            self.assertEqual(int(r.getheader("Content-Length")), len(data))
            return data
        self.assertTrue(body("not_json").startswith(b"<html>"))
        tj = body("truncated_json")
        self.assertTrue(tj.startswith(b'{"conversations":[{'))
        self.assertRaises(ValueError, json.loads, tj)
        self.assertIsInstance(json.loads(body("wrongtype_name"))["conversations"][1]["name"], int)
        self.assertIsInstance(json.loads(body("wrongtype_start"))["conversations"][0]["startTime"], dict)
        self.assertEqual(json.loads(body("bad_timestamp"))["conversations"][0]["startTime"], "2021-13-45T99:00:00Z")
        self.assertEqual(json.loads(body("no_conversations")), {})
        self.assertEqual(json.loads(body("null_conversations")), {"conversations": None})
        self.assertEqual(json.loads(body("conversations_object")), {"conversations": {}})
        iu = body("invalid_utf8")
        self.assertIn(b"\xff", iu)
        self.assertRaises(UnicodeDecodeError, iu.decode, "utf-8")
        self.assertIn("\x00", json.loads(body("nul_in_string"))["conversations"][0]["name"])
        tn = body("trailing_nul")
        self.assertTrue(tn.endswith(b"]}" + b"\x00" * 16))
        self.assertRaises(ValueError, json.loads, tn)
        self.assertEqual(body("empty"), b"")
        rows = json.loads(body("row_not_object"))["conversations"]
        self.assertIsInstance(rows[0], dict)
        self.assertIsInstance(rows[-1], str)
        self.assertEqual(json.loads(body("dense")), {"conversations": [{}] * 200_000})
        # gzip applies to canned bodies too
        st, r, data = EMU_MAIN.get("limit=1", prefix="/_x/tag=f-body,body=not_json", headers={"Accept-Encoding": "gzip"})
        self.assertTrue(gzip.decompress(data).startswith(b"<html>"))

    def test_huge(self):
        c = EMU_MAIN.conn(fresh=True, timeout=60)
        c.request("GET", "/_x/tag=f-huge,body=huge/v1/conversations", headers={"Authorization": "Bearer " + TOKEN})
        r = c.getresponse()
        cl = int(r.getheader("Content-Length"))
        self.assertGreater(cl, 95_000_000)
        buf = io.BytesIO()
        while True:
            chunk = r.read(1 << 20)
            if not chunk:
                break
            buf.write(chunk)
        c.close()
        data = buf.getvalue()
        self.assertEqual(len(data), cl)
        self.assertTrue(data.endswith(b"]}"))
        conv = json.loads(data)["conversations"]
        self.assertEqual(len(conv), 100_000)
        self.assertEqual(len({x["id"] for x in conv}), 100_000)


class TestLog(unittest.TestCase):
    def test_text_and_jsonl(self):
        p = "/_x/tag=logt"
        st, t = EMU_MAIN.token(p)
        tok = t["accessToken"]
        flt = 'conversation.name=="O\'Brien \\"Q3\\" review";conversation.type==meeting'
        raw = qs(("limit", "10"), ("offset", "0"), ("sort", "conversation.startTime,conversation.id"),
                 ("startTime", EARLY), ("filter", flt))
        st, r, body = EMU_MAIN.get(raw, prefix=p, token=tok, headers={"Accept-Encoding": "gzip"})
        self.assertEqual(st, 200)
        EMU_MAIN.get("limit=abc", prefix=p, token=tok)
        EMU_MAIN.get("limit=1", prefix=p, token="")
        EMU_MAIN.request("GET", p + "/nowhere")
        st, bad = EMU_MAIN.token(p, secret="wrong-secret-value")
        self.assertEqual(EMU_MAIN.log("logt"), [
            "POST /oauth2/token:generate -> 200",
            "GET /v1/conversations?limit=10&offset=0&sort=conversation.startTime,conversation.id"
            "&startTime=2000-01-01T00:00:00Z&filter=conversation.name==\"O'Brien \\\"Q3\\\" review\";"
            "conversation.type==meeting -> 200 rows=1",
            "GET /v1/conversations?limit=abc -> 400",
            "GET /v1/conversations?limit=1 -> 401",
            "GET /nowhere -> 404",
            "POST /oauth2/token:generate -> 401",
        ])
        js = EMU_MAIN.log("logt", "jsonl")
        self.assertEqual(len(js), 6)
        rec = js[1]
        for k in ("seq", "tag", "method", "path", "raw_query", "params", "status", "rows", "auth", "accept_encoding"):
            self.assertIn(k, rec)
        self.assertEqual(rec["seq"], 2)
        self.assertEqual(rec["tag"], "logt")
        self.assertEqual(rec["path"], "/v1/conversations")
        self.assertEqual(rec["raw_query"], raw)
        self.assertEqual(rec["params"][4], ["filter", flt])
        self.assertEqual([p[0] for p in rec["params"]], ["limit", "offset", "sort", "startTime", "filter"])
        self.assertEqual((rec["status"], rec["rows"], rec["auth"], rec["accept_encoding"]), (200, 1, "ok", "gzip"))
        self.assertEqual(js[0]["app_id"], APP_ID)
        self.assertEqual([r["auth"] for r in js[2:4]], ["ok", "missing"])
        # no secrets anywhere
        text = "\n".join(EMU_MAIN.log("logt")) + json.dumps(js)
        with open(EMU_MAIN.logfile, encoding="utf-8") as fh:
            filetext = fh.read()
        st, alltext = EMU_MAIN.control("GET", "log?format=jsonl")
        for blob in (text, filetext, alltext.decode()):
            for secret in (APP_SECRET, "wrong-secret-value", tok, TOKEN, "Bearer"):
                self.assertNotIn(secret, blob)
        self.assertIn('"tag": "logt"', filetext)

    def test_text_escapes_control_chars(self):
        EMU_MAIN.get(qs(("filter", 'conversation.name=="a\nb\tc"')), prefix="/_x/tag=logesc")
        self.assertEqual(EMU_MAIN.log("logesc"),
                         ['GET /v1/conversations?filter=conversation.name=="a\\nb\\tc" -> 200 rows=0'])

    def test_reset_all(self):
        e = Emulator(n=40)
        try:
            e.token()
            e.token("/_x/tag=other")
            self.assertEqual(len(e.log("default")), 1)
            st, body = e.control("POST", "reset")
            self.assertEqual(st, 200)
            self.assertEqual(e.log("default"), [])
            self.assertEqual(e.log("other"), [])
        finally:
            e.close()


class TestDataset(unittest.TestCase):
    TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\Z")

    def dump(self, fmt, *extra):
        return subprocess.run([sys.executable, EMU, "--conversations", str(N), "--dump-dataset", fmt, *extra],
                              check=True, stdout=subprocess.PIPE).stdout

    def test_jsonl_dump_matches_api_and_is_deterministic(self):
        a = self.dump("jsonl")
        st, b = EMU_MAIN.control("GET", "dataset?format=jsonl")
        self.assertEqual(a, b)
        self.assertEqual(a, self.dump("jsonl"))
        self.assertNotEqual(a, self.dump("jsonl", "--seed", "7"))
        lines = a.split(b"\n")
        self.assertEqual(lines[-1], b"")
        self.assertEqual(len(lines) - 1, N)
        # rows are served byte-identical to the dump
        served = EMU_MAIN.rows(qs(("filter", "conversation.id==9990000000000019"), ("startTime", EARLY)))
        self.assertIn(json.dumps(served[0], ensure_ascii=False, separators=(",", ":")).encode(), lines)

    def test_invariants(self):
        idset = set()
        keys_seen = set()
        starts = {}
        anchor = NOW_MS
        for c in DS:
            if c["id"] not in ODD_IDS:
                self.assertRegex(c["id"], r"\A[1-9]\d{15}\Z")
            idset.add(c["id"])
            keys = list(c)
            order = ["id", "type", "name", "startTime", "endTime", "members", "metadata"]
            self.assertEqual(keys, [k for k in order if k in keys])
            self.assertIn(c.get("type"), ("meeting", "call", "chat", "webinar", None))
            # the emulator never omits startTime
            self.assertRegex(c["startTime"], self.TIME_RE)
            self.assertGreaterEqual(ms(c["startTime"]), anchor - 731 * DAY)
            self.assertLess(ms(c["startTime"]), anchor)
            if c.get("endTime") is not None:
                self.assertRegex(c["endTime"], self.TIME_RE)
                d = ms(c["endTime"]) - ms(c["startTime"])
                self.assertTrue(60_000 <= d <= 120 * 60_000, c)
                self.assertLessEqual(ms(c["endTime"]), anchor)
            for k, v in (c.get("metadata") or {}).items():
                self.assertIsInstance(v, str)
                self.assertLessEqual(len(v), 128)
                keys_seen.add(k)
            for m in c.get("members") or []:
                self.assertIn("name", m)
                self.assertLessEqual(set(m), {"id", "name", "email"})
            starts.setdefault(c["startTime"], []).append(c["id"])
        self.assertEqual(len(idset), N)
        self.assertIn("x.dotted.key", keys_seen)
        self.assertIn("x-dash-key", keys_seen)
        ties = [v for v in starts.values() if len(v) > 1]
        self.assertGreaterEqual(len(ties), 5)
        self.assertTrue(any(len(v) >= 25 for v in ties))
        cust = {(c.get("metadata") or {}).get("customerId") for c in DS} - {None}
        self.assertLessEqual(cust, {"cust-%03d" % i for i in range(1, 51)})
        self.assertGreater(sum(1 for c in DS if c.get("members") == []), N // 4)
        byid = {c["id"]: c for c in DS}
        self.assertNotIn("name", byid["9990000000000015"])
        self.assertNotIn("metadata", byid["9990000000000016"])
        self.assertNotIn("members", byid["9990000000000017"])
        self.assertIsNone(byid["9990000000000018"]["name"])
        self.assertEqual(byid["9990000000000013"]["name"], "")
        self.assertEqual(len(byid["9990000000000014"]["name"]), 5000)
        in_default = [c for c in DS if in_window(c, NOW_MS - 7 * DAY, NOW_MS, end_given=False)]
        self.assertTrue(20 < len(in_default) < N // 4)

    def test_csv(self):
        data = self.dump("csv")
        st, api = EMU_MAIN.control("GET", "dataset?format=csv")
        self.assertEqual(data, api)
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
        self.assertEqual(len(rows), N)
        byid = {c["id"]: c for c in DS}
        for r, c in zip(rows, DS):
            self.assertEqual(len(r), 7)
            self.assertEqual(r[0], c["id"])
            self.assertEqual(r[1], c.get("type") or "")
            self.assertEqual(r[2], c.get("name") or "")
            self.assertEqual(r[3:5], [c["startTime"], c.get("endTime") or ""])
            if c.get("members") is not None:
                self.assertEqual(json.loads(r[5]), c["members"])
            if c.get("metadata") is not None:
                self.assertEqual(json.loads(r[6]), c["metadata"])
        text = data.decode("utf-8")
        # NULL = unquoted empty field; empty string = ""
        self.assertIn('"9990000000000013","meeting","",', text)
        self.assertIn('"9990000000000015","meeting",,', text)
        self.assertIn('"9990000000000018","meeting",,', text)
        self.assertRegex(text, r'"9990000000000016",[^\n]*,\n')          # metadata NULL (last field)
        self.assertRegex(text, r'"9990000000000017","meeting","Members missing","[^"]+","[^"]+",,"')
        # absent and null alike are NULL
        for pattern in (r'\n"9990000000000038","call","In progress: [^"]+","[^"]+",,"\[',
                        r'\n"9990000000000043","meeting","In progress \(endTime null\)[^"]+","[^"]+",,"\[',
                        r'\n"9990000000000045",,"Type missing",',
                        r'\n"9990000000000046","meeting","Metadata null","[^"]+","[^"]+","\[[^\n]*\]",\n',
                        r'\n"9990000000000047","meeting","Members null","[^"]+","[^"]+",,"\{',
                        r'\n"9990000000000048",,,"[^"]+",,,\n"9990000000000049",,,"[^"]+",,,\n'):
            self.assertTrue(re.search(pattern, text), pattern)


class TestStartupPerformance(unittest.TestCase):
    def test_200k_startup_and_paging(self):
        if os.environ.get("SYMBL_EMU_SKIP_PERF"):
            self.skipTest("SYMBL_EMU_SKIP_PERF set")
        e = Emulator(n=200_000)
        try:
            self.assertLess(e.startup, 10.0)
            st, t = e.token()
            tok = t["accessToken"]
            q = lambda off: qs(("limit", "1000"), ("offset", str(off)), ("startTime", EARLY),
                               ("sort", "conversation.startTime,conversation.id"))
            e.rows(q(0), token=tok)
            t0 = time.monotonic()
            for off in range(1000, 51000, 1000):
                self.assertEqual(len(e.rows(q(off), token=tok)), 1000)
            self.assertLess((time.monotonic() - t0) / 50, 0.1, "paging a cached result must be cheap")
        finally:
            e.close()


if __name__ == "__main__":
    unittest.main()
