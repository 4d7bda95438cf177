#!/usr/bin/env python3
"""Strict emulator of Symbl.ai's GET /v1/conversations (and the token endpoint).

Test fixture for symbl_fdw.  Python 3 standard library only.  See README.md in
this directory for the command line, the fault-injection prefix (/_x/<spec>),
the control endpoints (/_control/...) and the request-log format.

The emulator is deliberately AS STRICT as the published contract
(/work/shared/symbl-api): every point the contract leaves open is resolved the
way that is hardest on the client (7-day default window also under a filter,
exclusive window bounds, tie order that changes from page to page, no OR,
at most two distinct selectors, strict query-string decoding, ...).
"""

import argparse
import array
import bisect
import collections
import gzip
import json
import math
import os
import re
import secrets
import select
import signal
import socket
import struct
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import formatdate
from fractions import Fraction
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import conv_parts  # noqa: E402  (this directory's modules)
import conv_state  # noqa: E402

VERSION = "1.0"
MS_PER_MIN = 60_000
MS_PER_DAY = 86_400_000
SEVEN_DAYS_MS = 7 * MS_PER_DAY
DEFAULT_ANCHOR = "2026-01-15T12:00:00Z"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MASK64 = (1 << 64) - 1

SORT_FIELDS = ("conversation.id", "conversation.type", "conversation.name",
               "conversation.startTime", "conversation.endTime")
# the sort fields Symbl shows; the others are applied, ignored or refused by
# the 'sort_fields' reading
DOCUMENTED_SORT_FIELDS = ("conversation.name", "conversation.startTime")
UNDOCUMENTED_SORT_FIELDS = frozenset(SORT_FIELDS) - frozenset(DOCUMENTED_SORT_FIELDS)
API_PARAMS = ("limit", "offset", "order", "sort", "startTime", "endTime", "filter")
LIMIT_MAX = 65536
OFFSET_MAX = 2**31 - 1
MSG_TOKEN = "Token validation failed for provided token."
MSG_CONV_NOT_FOUND = ("The conversation and/or its metadata you asked could not be found, "
                      "please check the input provided")
MSG_CONV_INVALID = "The conversationId is either invalid or does not exist."
MSG_DELETED = "successfully deleted the conversation"
MSG_SUMMARY_NOT_READY = "The summary of this conversation is not ready yet, please try again later."
MSG_MEMBER_UPDATED = ("Member with id %s updated successfully! The update should be reflected "
                      "in all messages and insights along with this conversation")
ADVERSARIAL_ID_BASE = 9990000000000000

_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def jdump(obj):
    return _JSON.encode(obj)


def jbytes(obj):
    return _JSON.encode(obj).encode("utf-8")


# --------------------------------------------------------------------------
# Time helpers
# --------------------------------------------------------------------------

_ISO_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2})\Z", re.ASCII)


def parse_iso_ms(s):
    """Strict ISO 8601 -> exact milliseconds since the epoch (a Fraction).

    Accepted: YYYY-MM-DDTHH:MM:SS[.f+](Z|+HH:MM|-HH:MM). Raises ValueError."""
    m = _ISO_RE.match(s)
    if not m:
        raise ValueError("not YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM)")
    y, mo, d, h, mi, se = (int(m.group(i)) for i in range(1, 7))
    dt = datetime(y, mo, d, h, mi, se, tzinfo=timezone.utc)  # validates ranges
    tz = m.group(8)
    off = 0
    if tz != "Z":
        oh, om = int(tz[1:3]), int(tz[4:6])
        if oh > 23 or om > 59:
            raise ValueError("bad UTC offset")
        off = (oh * 60 + om) * MS_PER_MIN * (1 if tz[0] == "+" else -1)
    base = (dt - EPOCH) // timedelta(milliseconds=1) - off
    frac = m.group(7)
    val = Fraction(base)
    if frac:
        val += Fraction(int(frac) * 1000, 10 ** len(frac))
    return val


def read_time_ms(s, time_reading):
    """A time value as the API reads it: strict ISO 8601, then the fraction
    beyond the millisecond truncated or rounded half-up -> integer epoch ms."""
    v = parse_iso_ms(s)
    if time_reading == "round":
        return math.floor(v + Fraction(1, 2))
    return math.floor(v)    # the written digits cut off: floor, also before 1970


def fmt_ms(ms):
    """Integer epoch milliseconds -> YYYY-MM-DDTHH:MM:SS.mmmZ."""
    s, r = divmod(int(ms), 1000)
    t = time.gmtime(s)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (
        t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, r)


def real_now_ms():
    return Fraction(time.time_ns(), 1_000_000)


def _splitmix(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


# --------------------------------------------------------------------------
# Dataset
# --------------------------------------------------------------------------

_TOPICS = ["Weekly sync", "Quarterly business review", "Sales call", "Standup",
           "Design review", "Customer onboarding", "Support escalation",
           "Interview", "Sprint retro", "Planning", "Product demo", "1:1",
           "Kickoff", "Renewal discussion", "Incident postmortem",
           "Product webinar", "Support chat", "Brainstorming", "Catch up"]
_COMPANIES = ["Acme Corp", "Globex", "Initech", "Umbrella", "Hooli",
              "Stark Industries", "Wayne Enterprises", "Soylent", "Vandelay",
              "Tyrell", "Cyberdyne", "Wonka"]
_PEOPLE = [("John", "john@example.com"), ("Mary", "mary@example.com"),
           ("José Álvarez", "jose@example.es"), ("Zoë Ng", None),
           ("李雷", "li.lei@example.cn"), ("Ahmed Khan", "ahmed@example.org"),
           ("Olga Petrova", "olga@example.ru"), ("Sam O'Neil", "sam.oneil@example.com"),
           ("Priya", None), ("Kwame Mensah", "kwame@example.gh"),
           ("Ana-Maria Pop", "ana-maria@example.ro"), ("Bob", "bob@example.com")]
_REGIONS = ["us-east-1", "us-west-2", "eu-central-1", "ap-southeast-2", "sa-east-1"]
_WEIRD_META = [("x.dotted.key", "dotted"), ("x-dash-key", "dashed"),
               ("ünïcode-kéy", "✓ yes"), ("key with space", "spaced"),
               ("x.dotted.key", "a;b=c,d")]
_CUSTOMERS = ["cust-%03d" % i for i in range(1, 51)]
_AGENTS = ["agent-%02d" % i for i in range(1, 41)] + ["johndoe", "janedoe"]

MISSING = object()  # marker for "field absent" in adversarial specs


# How the emulator reads what the contract leaves open (README "Readings");
# per request through /_x/<spec>, else the command line's, else these.
Readings = collections.namedtuple("Readings",
                                  "missing missing_sort time_reading selectors sort_fields")
READING_CHOICES = {"missing": ("match", "nomatch"),
                   "missing_sort": ("low", "high"),
                   "time_reading": ("truncate", "round"),
                   "selectors": ("apply", "ignore", "reject"),
                   "sort_fields": ("apply", "ignore", "reject")}
DEFAULT_READINGS = Readings("match", "low", "truncate", "apply", "apply")
CLOCK_SKEW_MAX = 86400


def adversarial_specs(anchor):
    """The fixed adversarial conversations, in their fixed positions.

    Every endTime (here and in the generated rows) is < anchor, so with
    --now equal to the anchor an explicit early startTime reaches all rows.
    Every row has a startTime; every other field but id may be absent or
    null (an 'end' of MISSING or None: a conversation still in progress).

    Position k gets id str(9990000000000001 + k) unless the entry sets 'id'.
    Every entry: dict of overrides; 'start', 'dur' and 'end' in ms.  A value
    MISSING drops the key.  -> [(row, start ms, end ms or None)]"""
    base = anchor - 3 * MS_PER_DAY
    long_name = ("0123456789abcdef-" * 300)[:4999] + "Z"
    specs = [
        dict(name="O'Brien \"Q3\" review"),
        dict(name="C:\\temp\\new folder\\ \\\\server\\share \\"),
        dict(name="a==b;c=in=(x,y),d!=e"),
        dict(name="=gt="),
        dict(name="*"),
        dict(name="and"),
        dict(name="or"),
        dict(name="Sales and Marketing or Ops"),
        dict(name="R&D #1: 100% + tax? a=b&c=d"),
        dict(name="Café 会议 🎉"),
        dict(name="Cafe\u0301 combining A\u030a"),
        dict(name="line1\nline2\tcol\r\nend"),
        dict(name=""),
        dict(name=long_name),
        dict(name=MISSING),
        dict(name="Metadata missing", metadata=MISSING),
        dict(name="Members missing", members=MISSING),
        dict(name=None),
        dict(name="Metadata quoting",
             metadata={"customerId": "cust-007",
                       "note": "it's \"quoted\"; a=b,c (x) ~!",
                       "ünï": "naïve 日本 🎉"}),
        dict(name="Metadata dotted and dashed keys",
             metadata={"customerId": "cust-001", "x.dotted.key": "dotted",
                       "x-dash-key": "dashed"}),
        dict(name="Metadata 128-char value",
             metadata={"customerId": "cust-002", "long": ("v" * 127) + "Ω"}),
        dict(name="%20 literal %2B and +plus+ %zz %"),
        dict(name="NULL"),
        dict(name="\\N"),
        dict(name="(x) ~ !y <z> >= 'q'"),
        dict(name="  padded  "),
        dict(name="line\u2028sep\u2029para"),
        dict(name="csv, \"quoted\", field"),
        dict(name="\\."),
        dict(name=" "),
        dict(name="Members edge cases",
             members=[{"name": "Only Name"},
                      {"id": "00000000-0000-0000-0000-000000000000",
                       "name": "Zoë \"Z\" O'Hara", "email": "zoë@exämple.com"},
                      {"name": "", "email": "empty-name@example.com"}],
             metadata={}),
        # window boundary rows (relative to now == anchor)
        dict(name="Boundary: starts exactly 7 days before anchor",
             start=anchor - SEVEN_DAYS_MS, dur=30 * MS_PER_MIN),
        dict(name="Boundary: ends exactly 30 days before anchor",
             start=anchor - 30 * MS_PER_DAY - 45 * MS_PER_MIN, dur=45 * MS_PER_MIN),
        dict(name="Boundary: starts 1 ms after 7 days before anchor",
             start=anchor - SEVEN_DAYS_MS + 1, dur=30 * MS_PER_MIN),
        dict(name="Boundary: ends 1 ms before anchor",
             start=anchor - 60 * MS_PER_MIN - 1, dur=60 * MS_PER_MIN),
        dict(name="Old adversarial: O'Brien \"Q3\" review",
             start=anchor - 400 * MS_PER_DAY + 5, dur=20 * MS_PER_MIN,
             type="call"),
        dict(name="Old adversarial: =in=(a,b);x==y",
             start=anchor - 90 * MS_PER_DAY + 999, dur=90 * MS_PER_MIN,
             type="webinar",
             metadata={"customerId": "cust-050", "agentId": "agent-01",
                       "region": "eu-central-1"}),
        # --- fields the contract lets the API omit (every field but id) ---
        # conversations still in progress: no endTime key, or "endTime": null
        dict(name="In progress: started 67 min before anchor",
             start=anchor - 67 * MS_PER_MIN + 250, end=MISSING, type="call",
             members=[{"name": "Mary", "email": "mary@example.com"}],
             metadata={"agentId": "agent-07", "customerId": "cust-007",
                       "region": "us-east-1"}),
        dict(name="In progress: started 2 days before anchor",
             start=anchor - 2 * MS_PER_DAY + 5 * 60 * MS_PER_MIN + 1, end=MISSING),
        dict(name="In progress: started exactly 7 days before anchor",
             start=anchor - SEVEN_DAYS_MS, end=MISSING),          # ties with 032
        dict(name="In progress: started 45 days before anchor",
             start=anchor - 45 * MS_PER_DAY + 777, end=MISSING, type="webinar"),
        dict(name="In progress: started 400 days before anchor",
             start=anchor - 400 * MS_PER_DAY + 5, end=MISSING),   # ties with 036
        dict(name="In progress (endTime null): started 3 hours before anchor",
             start=anchor - 3 * 60 * MS_PER_MIN + 42, end=None),
        dict(name="In progress (endTime null): started 20 days before anchor",
             start=anchor - 20 * MS_PER_DAY + 3, end=None, type="chat"),
        dict(name="Type missing", type=MISSING),
        dict(name="Metadata null", metadata=None),
        dict(name="Members null", members=None),
        dict(type=MISSING, name=MISSING, end=MISSING, members=MISSING,
             metadata=MISSING),                                   # id and startTime only
        dict(type=None, name=None, end=None, members=None, metadata=None),
        # ids are strings: lengths differ, so code-point order is not numeric order
        dict(id="999999999999999", name="Odd id: 15 digits"),
        dict(id="10000000000000000", name="Odd id: 17 digits"),
        dict(id="9990000000000-Ab", name="Odd id: letters and a dash"),
    ]
    specs += bulk_import_specs(anchor)
    out = []
    for k, s in enumerate(specs):
        start = s.get("start", base + k * 17 * MS_PER_MIN + k * 7)
        dur = s.get("dur", (5 + k) * MS_PER_MIN + 123)
        end = s.get("end", start + dur)
        row = {
            "id": s.get("id", str(ADVERSARIAL_ID_BASE + 1 + k)),
            "type": s.get("type", "meeting"),
            "name": s.get("name", "Adversarial %d" % k),
            "startTime": fmt_ms(start),
            "endTime": end if end is MISSING or end is None else fmt_ms(end),
            "members": s.get("members", [{"name": "John", "email": "john@example.com"}]
                             if k % 2 else []),
            "metadata": s.get("metadata", {"agentId": "agent-%02d" % (k % 40 + 1),
                                           "customerId": _CUSTOMERS[k % 50]}),
        }
        for key in list(row):
            if row[key] is MISSING:
                del row[key]
        out.append((row, start, end if isinstance(end, int) else None))
    return out


BULK_IMPORT_ROWS = 40


def bulk_import_specs(anchor):
    """A bulk import: 40 conversations with one startTime (more than a page
    of most clients), ids handed out in an order that is not their sort order."""
    start = anchor - 100 * MS_PER_DAY
    return [dict(id=str(ADVERSARIAL_ID_BASE + 100 + (j * 23 + 7) % BULK_IMPORT_ROWS),
                 name="Bulk import %02d" % j, type="call", start=start,
                 dur=(10 + (j * 7) % BULK_IMPORT_ROWS) * MS_PER_MIN + j,
                 members=[],
                 metadata={"customerId": _CUSTOMERS[j % 50], "source": "import"})
            for j in range(BULK_IMPORT_ROWS)]


# endTime of a conversation in progress (absent or null): below every time,
# so that it sorts lowest and passes any upper bound unless a reading says no
END_MISSING = -(1 << 63)
END_MISSING_HIGH = (1 << 63) - 1


class Dataset:
    """Columnar, pre-serialised conversation store."""

    def __init__(self, n, seed, anchor_ms):
        self.n = n
        self.seed = seed
        self.anchor = anchor_ms
        self.rows = []                  # pre-serialised JSON (bytes)
        self.ids = []
        self.types = []                 # str, or None when null / absent
        self.names = []                 # str, or None when null / absent
        self.start = array.array("q")   # always present
        self.end = array.array("q")     # END_MISSING when null / absent
        self.metas = []                 # dict, or None when null / absent
        self.open_rows = []             # indices of rows without an endTime
        self._rank_lock = threading.Lock()
        self._ranks = {}                # (column, missing high?) -> sort key array
        self._index = None              # id -> row index, built on first use
        self._generate()

    def index_of(self, cid):
        """Row index of a conversation id, or None."""
        if self._index is None:
            with self._rank_lock:
                if self._index is None:
                    self._index = {c: i for i, c in enumerate(self.ids)}
        return self._index.get(cid)

    def _add(self, row, start, end):
        if end is None:
            self.open_rows.append(len(self.rows))
            end = END_MISSING
        self.rows.append(jbytes(row))
        self.ids.append(row["id"])
        self.types.append(row.get("type"))
        self.names.append(row.get("name"))
        self.start.append(start)
        self.end.append(end)
        self.metas.append(row.get("metadata"))

    def _generate(self):
        import random
        n, anchor = self.n, self.anchor
        adv = adversarial_specs(anchor)[:n]
        for row, s, e in adv:
            self._add(row, s, e)
        ngen = n - len(adv)
        rng = random.Random(self.seed)
        rnd = rng.random
        getbits = rng.getrandbits
        # id bijection: 1e15 + (g*P + Q) mod M, M = 8.99e15 (never >= 9.99e15)
        M = 8_990_000_000_000_000
        P = 6_364_136_223_846_793
        while math.gcd(P, M) != 1:
            P += 2
        Q = _splitmix(self.seed & MASK64) % M
        names_pool = {}
        meta_pool = {}
        span = 730 * MS_PER_DAY
        window = SEVEN_DAYS_MS
        # The last week is busier than the average week, but at scale it is
        # not 6% of two years: the share shrinks past 20,000 conversations,
        # as do the tie groups placed there (the first 1,000 rows, and so
        # every smaller dataset, are unchanged).
        recent_share = 0.06 if n <= 20000 else 0.06 * 20000 / n
        tie_left = 0
        tie_start = 0
        rows_append = self.rows.append
        ids_append = self.ids.append
        types_append = self.types.append
        names_append = self.names.append
        start_append = self.start.append
        end_append = self.end.append
        metas_append = self.metas.append
        ntop, ncomp, npeople = len(_TOPICS), len(_COMPANIES), len(_PEOPLE)
        ncust, nagent, nreg, nweird = len(_CUSTOMERS), len(_AGENTS), len(_REGIONS), len(_WEIRD_META)
        encode = _JSON.encode
        for g in range(ngen):
            cid = str(1_000_000_000_000_000 + (g * P + Q) % M)
            r = rnd()
            ctype = ("meeting" if r < 0.85 else "call" if r < 0.93
                     else "chat" if r < 0.97 else "webinar")
            dur = MS_PER_MIN + int(rnd() * (119 * MS_PER_MIN + 1))
            if tie_left > 0:
                start = tie_start
                tie_left -= 1
            elif g == 200:
                # one big tie group (25 rows) inside the default window
                start = tie_start = anchor - 2 * MS_PER_DAY + 123
                tie_left = 24
            elif g % 41 == 7:
                grp = g // 41
                tie_left = 1 + grp % 4          # group of 2..5 rows
                reserve = 120 * MS_PER_MIN
                if grp % 3 == 0 and grp < 24:
                    start = anchor - window + 1 + int(rnd() * (window - reserve - 1))
                else:
                    start = anchor - span + int(rnd() * (span - reserve))
                tie_start = start
            elif rnd() < recent_share:
                lo = anchor - window + 1
                start = lo + int(rnd() * (anchor - 1 - dur - lo + 1))
            else:
                start = anchor - span + int(rnd() * (span - dur))
            end = start + dur
            # name
            t = _TOPICS[int(rnd() * ntop)]
            c = _COMPANIES[int(rnd() * ncomp)]
            r = rnd()
            if r < 0.1:
                nm = "%s - %s #%d" % (t, c, 1 + int(rnd() * 99))
            elif r < 0.2:
                nm = t
            else:
                nm = "%s / %s" % (c, t)
            nm = names_pool.setdefault(nm, nm)
            # members
            r = rnd()
            if r < 0.45:
                members = []
            else:
                members = []
                for _ in range(1 + int(rnd() * 4)):
                    pname, pmail = _PEOPLE[int(rnd() * npeople)]
                    mem = {}
                    if rnd() < 0.7:
                        h = "%032x" % getbits(128)
                        mem["id"] = "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])
                    mem["name"] = pname
                    if pmail is not None and rnd() < 0.8:
                        mem["email"] = pmail
                    members.append(mem)
            # metadata
            items = []
            if rnd() < 0.8:
                items.append(("agentId", _AGENTS[int(rnd() * nagent)]))
            if rnd() < 0.7:
                items.append(("customerId", _CUSTOMERS[int(rnd() * ncust)]))
            if rnd() < 0.6:
                items.append(("region", _REGIONS[int(rnd() * nreg)]))
            if rnd() < 0.03:
                items.append(_WEIRD_META[int(rnd() * nweird)])
            items = tuple(items)
            meta = meta_pool.get(items)
            if meta is None:
                meta = meta_pool[items] = dict(items)
            row = {"id": cid, "type": ctype, "name": nm,
                   "startTime": fmt_ms(start), "endTime": fmt_ms(end),
                   "members": members, "metadata": meta}
            rows_append(encode(row).encode("utf-8"))
            ids_append(cid)
            types_append(ctype)
            names_append(nm)
            start_append(start)
            end_append(end)
            metas_append(meta)

    # ---- sort keys -------------------------------------------------------
    def _rank(self, column, missing_high):
        """Integer sort keys of a string column (code-point order); a missing
        value ranks below (or above) every string.  Built once, on demand."""
        with self._rank_lock:
            key = (column, missing_high)
            r = self._ranks.get(key)
            if r is None:
                values = getattr(self, column)
                distinct = sorted({x for x in values if x is not None})
                rank = {v: i for i, v in enumerate(distinct)}
                miss = len(distinct) if missing_high else -1
                r = self._ranks[key] = array.array(
                    "l", (miss if x is None else rank[x] for x in values))
            return r

    def _end_high(self):
        with self._rank_lock:
            r = self._ranks.get(("end", True))
            if r is None:
                r = self._ranks[("end", True)] = array.array("q", self.end)
                for i in self.open_rows:
                    r[i] = END_MISSING_HIGH
            return r

    def key_getter(self, field, missing_high=False):
        if field == "conversation.startTime":
            return self.start.__getitem__
        if field == "conversation.endTime":
            if missing_high and self.open_rows:
                return self._end_high().__getitem__
            return self.end.__getitem__
        if field == "conversation.id":
            return self.ids.__getitem__
        if field == "conversation.type":
            return self._rank("types", missing_high).__getitem__
        if field == "conversation.name":
            return self._rank("names", missing_high).__getitem__
        raise KeyError(field)

    # ---- dumps -------------------------------------------------------------
    def rows_under(self, overlay):
        """The rows as the list serves them under a state's overlay."""
        if overlay is None:
            return self.rows
        gone = overlay.deleted
        return [overlay.row_bytes(i, r, jbytes) for i, r in enumerate(self.rows)
                if i not in gone]

    def jsonl_bytes(self, overlay=None):
        return b"".join(r + b"\n" for r in self.rows_under(overlay))

    def csv_lines(self, overlay=None):
        """Header-less CSV for COPY ... FROM STDIN WITH (FORMAT csv)."""
        def q(s):
            return '"' + s.replace('"', '""') + '"'
        for raw in self.rows_under(overlay):
            o = json.loads(raw)
            text = [o.get(k) for k in ("id", "type", "name", "startTime", "endTime")]
            js = [o.get(k) for k in ("members", "metadata")]
            yield ",".join(["" if v is None else q(v) for v in text] +
                           ["" if v is None else q(jdump(v)) for v in js]) + "\n"

    def csv_bytes(self, overlay=None):
        return "".join(self.csv_lines(overlay)).encode("utf-8")


# --------------------------------------------------------------------------
# RSQL (grammar of jirutka/rsql-parser 2.x)
# --------------------------------------------------------------------------

class FilterError(ValueError):
    pass


_RESERVED = set("\"'();,=<>!~")
_ALPHA = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
OPERATORS = {"==": "eq", "!=": "ne", "=lt=": "lt", "<": "lt", "=le=": "le",
             "<=": "le", "=gt=": "gt", ">": "gt", "=ge=": "ge", ">=": "ge",
             "=in=": "in", "=out=": "out"}


def rsql_tokenize(s):
    toks = []   # (kind, value, pos); kinds: STR, QSTR, AND, OR, LP, RP, OP
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == " ":
            if s.startswith(" and ", i):
                toks.append(("AND", " and ", i))
                i += 5
                continue
            if s.startswith(" or ", i):
                toks.append(("OR", " or ", i))
                i += 4
                continue
            i += 1
            continue
        if c == "\t":
            i += 1
            continue
        if c in "'\"":
            j = i + 1
            buf = []
            while True:
                if j >= n:
                    raise FilterError("unterminated quoted value starting at position %d" % i)
                d = s[j]
                if d == "\\":
                    if j + 1 >= n:
                        raise FilterError("unterminated quoted value starting at position %d" % i)
                    buf.append(s[j + 1])
                    j += 2
                    continue
                if d == c:
                    break
                buf.append(d)
                j += 1
            toks.append(("QSTR", "".join(buf), i))
            i = j + 1
            continue
        if c == ";":
            toks.append(("AND", ";", i)); i += 1; continue
        if c == ",":
            toks.append(("OR", ",", i)); i += 1; continue
        if c == "(":
            toks.append(("LP", "(", i)); i += 1; continue
        if c == ")":
            toks.append(("RP", ")", i)); i += 1; continue
        if c == "=":
            j = i + 1
            while j < n and s[j] in _ALPHA:
                j += 1
            if j < n and s[j] == "=":
                toks.append(("OP", s[i:j + 1], i))
                i = j + 1
                continue
            raise FilterError("invalid operator at position %d" % i)
        if c == "!":
            if s.startswith("!=", i):
                toks.append(("OP", "!=", i)); i += 2; continue
            raise FilterError("unexpected '!' at position %d" % i)
        if c in "<>":
            if i + 1 < n and s[i + 1] == "=":
                toks.append(("OP", c + "=", i)); i += 2; continue
            toks.append(("OP", c, i)); i += 1; continue
        if c == "~":
            raise FilterError("unexpected '~' at position %d" % i)
        if c.isspace():
            raise FilterError("unexpected whitespace character %r at position %d "
                              "(quote the value)" % (c, i))
        j = i
        while j < n and s[j] not in _RESERVED and not s[j].isspace():
            j += 1
        toks.append(("STR", s[i:j], i))
        i = j
    return toks


class _Parser:
    def __init__(self, src):
        self.src = src
        self.toks = rsql_tokenize(src)
        self.p = 0

    def peek(self):
        return self.toks[self.p] if self.p < len(self.toks) else ("EOF", "", len(self.src))

    def take(self, kind, what):
        t = self.peek()
        if t[0] != kind:
            if t[0] == "EOF":
                raise FilterError("expected %s but the filter ended" % what)
            raise FilterError("expected %s at position %d, found %r" % (what, t[2], t[1]))
        self.p += 1
        return t

    def parse(self):
        node = self.or_()
        t = self.peek()
        if t[0] != "EOF":
            raise FilterError("unexpected %r at position %d" % (t[1], t[2]))
        return node

    def or_(self):
        nodes = [self.and_()]
        while self.peek()[0] == "OR":
            self.p += 1
            nodes.append(self.and_())
        return nodes[0] if len(nodes) == 1 else ("or", nodes)

    def and_(self):
        nodes = [self.constraint()]
        while self.peek()[0] == "AND":
            self.p += 1
            nodes.append(self.constraint())
        return nodes[0] if len(nodes) == 1 else ("and", nodes)

    def constraint(self):
        if self.peek()[0] == "LP":
            self.p += 1
            node = self.or_()
            self.take("RP", "')'")
            return node
        sel = self.take("STR", "a selector")
        op = self.take("OP", "a comparison operator")
        if self.peek()[0] == "LP":
            self.p += 1
            args = [self.argument()]
            while self.peek()[0] == "OR":
                self.p += 1
                args.append(self.argument())
            self.take("RP", "')'")
        else:
            args = [self.argument()]
        return ("cmp", sel[1], op[1], args, sel[2])

    def argument(self):
        t = self.peek()
        if t[0] in ("STR", "QSTR"):
            self.p += 1
            return t[1]
        if t[0] == "EOF":
            raise FilterError("expected a value but the filter ended")
        raise FilterError("expected a value at position %d, found %r" % (t[2], t[1]))


def _has_or(node):
    if node[0] == "or":
        return True
    if node[0] == "and":
        return any(_has_or(x) for x in node[1])
    return False


def _flatten(node, out):
    if node[0] == "and":
        for x in node[1]:
            _flatten(x, out)
    else:
        out.append(node)
    return out


STRING_SELECTORS = {"conversation.id": "ids", "conversation.type": "types",
                    "conversation.name": "names"}
TIME_SELECTORS = {"conversation.startTime": "start", "conversation.endTime": "end"}
META_PREFIX = "conversation.metadata."
# filter selectors Symbl never shows (only conversation.metadata.<key> is):
# applied, ignored (every row matches) or refused, by the 'selectors' reading
UNDOCUMENTED_SELECTORS = frozenset(STRING_SELECTORS) | frozenset(TIME_SELECTORS)


# pred: row index -> bool; start_min: the least startTime (ms) the filter's
# startTime lower bounds allow, or None; start_only: the filter is nothing but
# such bounds and ignored comparisons (start_min then decides it alone)
CompiledFilter = collections.namedtuple("CompiledFilter", "pred start_min start_only")


def compile_filter(src, ds, readings=DEFAULT_READINGS, metas=None):
    """Parse and validate an RSQL filter -> CompiledFilter.
    metas: the metadata column to read (a state's overlay), else the dataset's."""
    node = _Parser(src).parse()
    if _has_or(node):
        raise FilterError("OR is not supported in filter (',' and ' or ' between comparisons)")
    cmps = _flatten(node, [])
    selectors = []
    for _, sel, op, args, pos in cmps:
        if not (sel in STRING_SELECTORS or sel in TIME_SELECTORS or
                (sel.startswith(META_PREFIX) and len(sel) > len(META_PREFIX))):
            raise FilterError("unknown selector '%s'" % sel)
        if sel not in selectors:
            selectors.append(sel)
    if len(selectors) > 2:
        raise FilterError("filter can not have more than 2 parameters (distinct selectors), got %d: %s"
                          % (len(selectors), ", ".join(selectors)))
    ignore = readings.selectors == "ignore"
    preds = []
    start_min = None
    start_only = True
    for _, sel, op, args, pos in cmps:
        kind = OPERATORS.get(op)
        if kind is None:
            raise FilterError("unknown operator '%s' at position %d" % (op, pos))
        if kind not in ("in", "out") and len(args) != 1:
            raise FilterError("operator '%s' expects a single value" % op)
        on_missing = _missing_matches(kind, readings.missing)
        if sel in TIME_SELECTORS:
            vals = []
            for a in args:
                try:
                    vals.append(read_time_ms(a, readings.time_reading))
                except ValueError:
                    raise FilterError("invalid ISO 8601 value '%s' for %s" % (a, sel))
            if ignore:
                continue    # matches every row, narrows nothing
            col = getattr(ds, TIME_SELECTORS[sel])
            pred = _time_pred(col, kind, vals)
            if sel == "conversation.startTime" and kind in ("gt", "ge"):
                low = vals[0] + (kind == "gt")
                start_min = low if start_min is None else max(start_min, low)
                continue
            if sel == "conversation.endTime" and ds.open_rows:
                pred = _with_missing_end(col, pred, on_missing)
            preds.append(pred)
        elif sel in STRING_SELECTORS:
            if ignore:
                continue
            preds.append(_col_pred(getattr(ds, STRING_SELECTORS[sel]), kind, args, on_missing))
        else:
            preds.append(_meta_pred(ds.metas if metas is None else metas,
                                    sel[len(META_PREFIX):], kind, args, on_missing))
        start_only = False
    if readings.selectors == "reject":
        # after every other check: only an otherwise valid filter gets this
        for sel in selectors:
            if sel in UNDOCUMENTED_SELECTORS:
                raise FilterError("unsupported selector '%s'" % sel)
    if start_min is not None:
        start = ds.start
        preds.append(lambda i: start[i] >= start_min)
    if not preds:
        pred = lambda i: True   # every comparison ignored
    elif len(preds) == 1:
        pred = preds[0]
    else:
        pred = lambda i, preds=tuple(preds): all(p(i) for p in preds)
    return CompiledFilter(pred, start_min, start_only)


def _missing_matches(kind, missing):
    """Does a comparison match a row whose field (or metadata key) is absent
    or null?  'match': every comparison that could hold for some value not
    equal to the operand does (!=, =out=, the ranges); 'nomatch': none does."""
    return missing == "match" and kind not in ("eq", "in")


def _time_pred(col, kind, vals):
    """Comparison of an integer ms column with values read to the ms."""
    v = vals[0]
    if kind == "eq":
        return lambda i: col[i] == v
    if kind == "ne":
        return lambda i: col[i] != v
    if kind == "gt":
        return lambda i: col[i] > v
    if kind == "ge":
        return lambda i: col[i] >= v
    if kind == "lt":
        return lambda i: col[i] < v
    if kind == "le":
        return lambda i: col[i] <= v
    s = frozenset(vals)
    if kind == "in":
        return lambda i: col[i] in s
    return lambda i: col[i] not in s


def _with_missing_end(col, pred, on_missing):
    return lambda i: on_missing if col[i] == END_MISSING else pred(i)


def _cmp_value_pred(kind, args, on_missing):
    a = args[0]
    if kind == "eq":
        return lambda v: v == a if v is not None else on_missing
    if kind == "ne":
        return lambda v: v != a if v is not None else on_missing
    if kind == "lt":
        return lambda v: v < a if v is not None else on_missing
    if kind == "le":
        return lambda v: v <= a if v is not None else on_missing
    if kind == "gt":
        return lambda v: v > a if v is not None else on_missing
    if kind == "ge":
        return lambda v: v >= a if v is not None else on_missing
    s = frozenset(args)
    if kind == "in":
        return lambda v: v in s if v is not None else on_missing
    return lambda v: v not in s if v is not None else on_missing


def _col_pred(col, kind, args, on_missing):
    f = _cmp_value_pred(kind, args, on_missing)
    return lambda i: f(col[i])


def _meta_pred(metas, key, kind, args, on_missing):
    f = _cmp_value_pred(kind, args, on_missing)

    def pred(i):
        m = metas[i]
        return f(None if m is None else m.get(key))
    return pred


# --------------------------------------------------------------------------
# Query engine: window + filter + sort, cached; pages are slices
# --------------------------------------------------------------------------

def effective_sort(sort_fields, readings):
    """The sort key the API applies: under sort_fields=ignore without the
    undocumented fields (none left: the default), so rows that tie on the
    rest come back in the tie permutation, even for (startTime, id)."""
    fields = tuple(sort_fields)
    if readings.sort_fields != "ignore":
        return fields
    kept = tuple(f for f in fields if f not in UNDOCUMENTED_SORT_FIELDS)
    return kept or ("conversation.startTime",)


class Result:
    __slots__ = ("idx", "gstarts", "gends", "bodies")

    def __init__(self, idx, gstarts, gends):
        self.idx = idx
        self.gstarts = gstarts
        self.gends = gends
        # (offset, limit) -> [body, gzipped body or None]: repeated pages
        # (benchmarks run the same scan several times) cost a dict lookup
        self.bodies = {}


# bytes of page bodies kept in Result.bodies, across all results
# (a keyset-paged scan of a million rows asks ~63 distinct queries; 1 GB
# holds every page of it, so repeated benchmark scans cost the emulator
# almost no CPU beside the backend on the same cores)
PAGE_CACHE_LIMIT = 1024 * 1024 * 1024
_page_cache_bytes = [0]
_page_cache_lock = threading.Lock()


def _forget_bodies(res):
    """A result leaves the cache: its page bodies no longer count."""
    with _page_cache_lock:
        _page_cache_bytes[0] -= sum(len(b[0]) for b in res.bodies.values())
        res.bodies = {}


class Engine:
    def __init__(self, ds, inclusive=False, cache_size=256):
        self.ds = ds
        self.inclusive = inclusive
        # (startTime, id) order: the sort clients page by needs no re-sort
        order = sorted(range(ds.n), key=lambda i: (ds.start[i], ds.ids[i]))
        self.start_order = array.array("l", order)
        self.start_sorted = array.array("q", (ds.start[i] for i in order))
        self.max_end = max(ds.end) if ds.n else 0
        self.cache = collections.OrderedDict()
        self.cache_size = cache_size
        self.lock = threading.Lock()
        self.computing = {}     # key -> Event: concurrent misses compute once

    def window_bounds(self, ws, we):
        """Fraction window -> (min start ms, max end ms), both inclusive ints."""
        if self.inclusive:
            return math.ceil(ws), math.floor(we)
        return math.floor(ws) + 1, math.ceil(we) - 1

    def query(self, ws, we, filter_src, sort_fields, desc,
              readings=DEFAULT_READINGS, end_given=False, overlay=None):
        """Rows of the window (ws, we) that pass the filter, sorted.
        end_given: the request had an endTime parameter (under 'nomatch' a
        row without endTime then fails the window).  overlay: a state's
        writes (None: the dataset as generated)."""
        sort_fields = effective_sort(sort_fields, readings)
        smin, emax = self.window_bounds(ws, we)
        # The default window moves with the clock; key the cache by the rows
        # the bounds select, not by the bounds, so repeated pages hit it.
        emax = min(emax, self.max_end)
        p0 = bisect.bisect_left(self.start_sorted, smin)
        smin = self.start_sorted[p0] if p0 < len(self.start_sorted) else 1 << 62
        drop_open = end_given and readings.missing == "nomatch"
        key = (smin, emax, filter_src, sort_fields, desc, readings, drop_open,
               overlay.key() if overlay is not None else None)
        while True:
            with self.lock:
                res = self.cache.get(key)
                if res is not None:
                    self.cache.move_to_end(key)
                    return res
                done = self.computing.get(key)
                if done is None:
                    done = self.computing[key] = threading.Event()
                    break
            done.wait()
        try:
            res = self._compute(smin, emax, filter_src, sort_fields, desc, readings, drop_open,
                                overlay)
            with self.lock:
                self.cache[key] = res
                self.cache.move_to_end(key)
                while len(self.cache) > self.cache_size:
                    _forget_bodies(self.cache.popitem(last=False)[1])
        finally:
            with self.lock:
                del self.computing[key]
            done.set()
        return res

    def _window(self, smin, emax, drop_open):
        """Row indices with startTime >= smin and endTime <= emax, in
        (startTime, id) order; rows without endTime by the reading."""
        ds = self.ds
        p0 = bisect.bisect_left(self.start_sorted, smin)
        p1 = bisect.bisect_right(self.start_sorted, emax)
        end = ds.end
        if emax >= self.max_end:
            cand = self.start_order[p0:p1]     # every end fits (a C-level copy)
        else:
            # END_MISSING is below every bound: rows in progress stay
            cand = [i for i in self.start_order[p0:p1] if end[i] <= emax]
        if not ds.open_rows:
            return cand
        start = ds.start
        if drop_open:
            gone = {i for i in ds.open_rows if smin <= start[i] <= emax}
            if gone:
                cand = [i for i in cand if i not in gone]
            return cand
        # rows in progress that started after emax: after every row above
        later = sorted((start[i], ds.ids[i], i) for i in ds.open_rows
                       if start[i] >= smin and start[i] > emax)
        if later:
            cand = list(cand) + [t[2] for t in later]
        return cand

    def _compute(self, smin, emax, filter_src, sort_fields, desc, readings, drop_open,
                 overlay=None):
        ds = self.ds
        flt = None
        if filter_src is not None:
            metas = None
            if overlay is not None and overlay.meta:
                metas = conv_state.MetasView(ds.metas, overlay.meta)
            flt = compile_filter(filter_src, ds, readings, metas)
            # a startTime lower bound in the filter (keyset paging sends one)
            # narrows the rows to look at; the filter itself still decides
            if flt.start_min is not None:
                smin = max(smin, flt.start_min)
        cand = self._window(smin, emax, drop_open)
        if overlay is not None and overlay.deleted:
            gone = overlay.deleted
            cand = [i for i in cand if i not in gone]
        if flt is not None and not flt.start_only:
            pred = flt.pred
            cand = [i for i in cand if pred(i)]
        if tuple(sort_fields) == ("conversation.startTime", "conversation.id"):
            # already in this order; ids are unique, so there are no ties
            return Result(cand[::-1] if desc else cand, [], [])
        high = readings.missing_sort == "high"
        getters = [ds.key_getter(f, high) for f in sort_fields]
        if len(getters) == 1:
            keys = list(map(getters[0], cand))
        else:
            keys = [tuple(g(i) for g in getters) for i in cand]
        perm = sorted(range(len(cand)), key=keys.__getitem__, reverse=desc)
        idx = [cand[j] for j in perm]
        skeys = [keys[j] for j in perm]
        gstarts, gends = [], []
        m = len(skeys)
        p = 0
        while p < m:
            q = p + 1
            k = skeys[p]
            while q < m and skeys[q] == k:
                q += 1
            if q - p > 1:
                gstarts.append(p)
                gends.append(q)
            p = q
        return Result(idx, gstarts, gends)

    @staticmethod
    def page(res, offset, limit):
        """Rows [offset, offset+limit) where every group of rows whose sort keys
        tie is permuted by a pseudo-random permutation seeded by
        (offset, limit, group position): tie order differs between pages."""
        lst = res.idx
        lo = offset
        hi = min(len(lst), offset + limit)
        if lo >= hi:
            return []
        out = lst[lo:hi]
        gs, ge = res.gstarts, res.gends
        k = max(0, bisect.bisect_right(gs, lo) - 1)
        ng = len(gs)
        while k < ng and gs[k] < hi:
            s, e = gs[k], ge[k]
            if e > lo:
                n = e - s
                h = _splitmix(_splitmix(_splitmix(offset) ^ limit) ^ s)
                a = 1 + (h % n)
                while math.gcd(a, n) != 1:
                    a += 1
                b = (h >> 32) % n
                for p in range(max(s, lo), min(e, hi)):
                    out[p - lo] = lst[s + (a * (p - s) + b) % n]
            k += 1
        return out


# --------------------------------------------------------------------------
# Fault specs
# --------------------------------------------------------------------------

BODY_KINDS = ("not_json", "truncated_json", "wrongtype_name", "wrongtype_start",
              "bad_timestamp", "no_conversations", "null_conversations",
              "conversations_object", "invalid_utf8", "nul_in_string", "huge",
              "empty", "row_not_object", "trailing_nul", "dense")
_INT_KEYS = ("count", "after", "token_ttl", "expire_token_after", "latency_ms",
             "slow_bps", "truncate", "gather")
FAULT_KEYS = ("tag", "status", "retry_after", "count", "after", "token_status",
              "token_ttl", "expire_token_after", "latency_ms", "slow_bps", "hang",
              "truncate", "reset", "body", "redirect", "on",
              "missing", "missing_sort", "time_reading", "clock_skew",
              "selectors", "sort_fields",
              "state", "put_metadata", "drop_answer", "unknown_status", "gather",
              "path_has", "trackers_path", "trackers_shape")
PUT_METADATA_CHOICES = ("replace", "merge")
# the status of a PUT/DELETE of an unknown conversation: not stated (take
# 404, accept 400, says the contract)
UNKNOWN_STATUS_CHOICES = ("404", "400")


# how long gather=N holds the first writes before giving up (503)
GATHER_WAIT = 15.0


class SpecError(ValueError):
    pass


_PCT_BAD = re.compile(r"%(?![0-9A-Fa-f]{2})")


def strict_unquote(s):
    if _PCT_BAD.search(s):
        raise ValueError("malformed percent-escape in %r" % s)
    return unquote(s, encoding="utf-8", errors="strict")


_SKEW_RE = re.compile(r"[+-]?[0-9]{1,6}\Z", re.ASCII)


def parse_clock_skew(v):
    """Signed seconds, |S| <= CLOCK_SKEW_MAX. Raises SpecError."""
    if not _SKEW_RE.match(v) or abs(int(v)) > CLOCK_SKEW_MAX:
        raise SpecError("clock_skew must be signed whole seconds, at most %d either way"
                        % CLOCK_SKEW_MAX)
    return int(v)


def parse_fault_spec(seg):
    if not seg:
        raise SpecError("empty fault spec after /_x/")
    spec = {}
    for item in seg.split(","):
        k, sep, v = item.partition("=")
        try:
            k, v = strict_unquote(k), strict_unquote(v)
        except (ValueError, UnicodeDecodeError) as e:
            raise SpecError("fault spec: %s" % e)
        if not sep or not v:
            raise SpecError("fault spec item %r needs key=value" % item)
        if k not in FAULT_KEYS:
            raise SpecError("unknown fault spec key %r (known: %s)" % (k, ", ".join(FAULT_KEYS)))
        if k in spec:
            raise SpecError("fault spec key %r given twice" % k)
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in v):
            raise SpecError("fault spec value for %r contains control characters" % k)
        if k in ("status", "token_status"):
            if not v.isdigit() or not 200 <= int(v) <= 599:
                raise SpecError("%s must be an HTTP status 200..599" % k)
            v = int(v)
        elif k in _INT_KEYS:
            if not (v.isascii() and v.isdigit()):
                raise SpecError("%s must be a non-negative integer" % k)
            v = int(v)
            if k in ("slow_bps", "gather") and v == 0:
                raise SpecError("%s must be > 0" % k)
        elif k in ("hang", "reset", "drop_answer"):
            if v not in ("0", "1"):
                raise SpecError("%s must be 0 or 1" % k)
            v = v == "1"
        elif k == "body":
            if v not in BODY_KINDS:
                raise SpecError("unknown body kind %r (known: %s)" % (v, ", ".join(BODY_KINDS)))
        elif k == "on":
            if v not in ("api", "token", "all"):
                raise SpecError("on must be api, token or all")
        elif k in READING_CHOICES:
            if v not in READING_CHOICES[k]:
                raise SpecError("%s must be %s" % (k, " or ".join(READING_CHOICES[k])))
        elif k == "clock_skew":
            v = parse_clock_skew(v)
        elif k == "put_metadata":
            if v not in PUT_METADATA_CHOICES:
                raise SpecError("put_metadata must be replace or merge")
        elif k == "trackers_path":
            if v not in conv_parts.TRACKERS_PATH_CHOICES:
                raise SpecError("trackers_path must be %s" % " or ".join(conv_parts.TRACKERS_PATH_CHOICES))
        elif k == "trackers_shape":
            if v not in conv_parts.TRACKERS_SHAPE_CHOICES:
                raise SpecError("trackers_shape must be %s" % " or ".join(conv_parts.TRACKERS_SHAPE_CHOICES))
        elif k == "unknown_status":
            if v not in UNKNOWN_STATUS_CHOICES:
                raise SpecError("unknown_status must be 404 or 400")
            v = int(v)
        spec[k] = v
    spec.setdefault("tag", "default")
    spec.setdefault("on", "api")
    return spec


# --------------------------------------------------------------------------
# Shared server state: tokens, per-tag counters, request log
# --------------------------------------------------------------------------

class Token:
    __slots__ = ("value", "app_id", "tag", "expires_at", "ttl", "forced")

    def __init__(self, value, app_id, tag, ttl):
        self.value = value
        self.app_id = app_id
        self.tag = tag
        self.ttl = ttl
        self.expires_at = time.monotonic() + ttl
        self.forced = False

    def expired(self):
        return self.forced or time.monotonic() >= self.expires_at


class TagState:
    def __init__(self):
        self.log = collections.deque(maxlen=200_000)
        self.seq = 0
        self.api_n = 0
        self.token_n = 0
        self.api_ok = 0
        self.expire_fired = False
        self.violations = collections.Counter()   # kind -> requests
        self.gathered = 0       # writes that arrived under gather=N


class State:
    def __init__(self, args, ds, engine):
        self.args = args
        self.ds = ds
        self.engine = engine
        self.lock = threading.Lock()
        self.gather_cond = threading.Condition(self.lock)
        self.tags = {}
        self.tokens = {}        # value -> Token
        self.current = {}       # (tag, app_id, ttl) -> Token
        self.gseq = 0
        self.logfile = open(args.log, "a", encoding="utf-8") if args.log else None
        self.logfile_lock = threading.Lock()
        self.fixed_now = parse_iso_ms(args.now) if args.now else None
        self.states = {}        # state name -> conv_state.Overlay (only states with writes)
        self.wseq = 0           # versions of overlays: never reused, also after a reset
        self.parts = conv_parts.PartsCache(ds.seed, fmt_ms)

    # ---- states (writes) ---------------------------------------------------
    @staticmethod
    def state_name(spec):
        """The state a request reads and writes: its spec's, else its tag."""
        return spec.get("state", spec["tag"])

    def overlay(self, name):
        """The state's writes, or None while it has none."""
        with self.lock:
            return self.states.get(name)

    def write(self, name, change):
        """Apply change(overlay) -> new overlay to a state, atomically."""
        with self.lock:
            ov = self.states.get(name) or conv_state.Overlay(name)
            new = change(ov)
            self.wseq += 1
            new.version = self.wseq
            self.states[name] = new
            return new

    def reset_states(self, name=None):
        with self.lock:
            if name is None:
                self.states.clear()
            else:
                self.states.pop(name, None)

    # ---- one conversation under a state -----------------------------------
    def members_of(self, idx, ov, base):
        """Every member of a conversation, with ids, as the state has them
        (None when the row has no members array)."""
        fm = conv_parts.full_members(self.ds.seed, base["id"], base.get("members"))
        if fm is not None and ov is not None:
            for pos, e in ov.members.get(idx, {}).items():
                fm[pos]["name"] = e["name"]
                if "email" in e:
                    fm[pos]["email"] = e["email"]
        return fm

    def conversation(self, idx, ov):
        """The conversation object GET /v1/conversations/{id} serves: the
        list row under the state, every member with an id."""
        raw = self.ds.rows[idx]
        base = json.loads(raw)
        row = ov.row_dict(idx, raw) if ov is not None else json.loads(raw)
        members = self.members_of(idx, ov, base)
        if members is not None:
            row["members"] = [{k: m[k] for k in ("id", "name", "email") if k in m}
                              for m in members]
        return row

    def part(self, idx, ov, kind, opts, spec=None):
        """The JSON value of a part ('conversation' or one of PART_KINDS),
        or None for a 404 (summary not ready).  spec: the request's /_x/
        spec, for its trackers_shape (else the command line's)."""
        if kind == "conversation":
            return self.conversation(idx, ov)
        base = json.loads(self.ds.rows[idx])
        end = self.ds.end[idx]
        sk = self.parts.skeleton(base["id"], self.ds.start[idx],
                                 None if end == END_MISSING else end,
                                 conv_parts.full_members(self.ds.seed, base["id"],
                                                         base.get("members")))
        return conv_parts.part_answer(sk, kind, self.members_of(idx, ov, base) or [], opts,
                                      (spec or {}).get("trackers_shape", self.args.trackers_shape))

    def path_retired(self, spec, path):
        """Whether a tracker path is retired under the request's
        trackers_path reading (it then answers 404 for every conversation)."""
        have = spec.get("trackers_path", self.args.trackers_path)
        return path in conv_parts.TRACKER_PATHS and have != "both" and have != path

    def live_index(self, cid, ov):
        """Row index of a conversation the state still has, or None."""
        idx = self.ds.index_of(cid)
        if idx is None or (ov is not None and idx in ov.deleted):
            return None
        return idx

    def count_violation(self, tag, kind):
        with self.lock:
            self.tag(tag).violations[kind] += 1

    def violations(self, tag=None):
        with self.lock:
            tags = [self.tags[tag]] if tag in self.tags else [] if tag else list(self.tags.values())
            total = collections.Counter()
            for t in tags:
                total.update(t.violations)
        return total

    def now_ms(self):
        return self.fixed_now if self.fixed_now is not None else real_now_ms()

    def api_now_ms(self, spec):
        """The API's clock: the emulator's, skewed by clock_skew seconds."""
        return self.now_ms() + 1000 * spec.get("clock_skew", self.args.clock_skew)

    def readings(self, spec):
        """The readings of a request: its /_x/ spec's, else the command line's."""
        a = self.args
        return Readings(spec.get("missing", a.missing),
                        spec.get("missing_sort", a.missing_sort),
                        spec.get("time_reading", a.time_reading),
                        spec.get("selectors", a.selectors),
                        spec.get("sort_fields", a.sort_fields))

    def tag(self, name):
        t = self.tags.get(name)
        if t is None:
            t = self.tags[name] = TagState()
        return t

    def gather(self, tag, n):
        """gather=N: the tag's first N writes wait here until all N have
        arrived (so a client that sends one write at a time never gets
        past the first).  -> False when they did not within GATHER_WAIT s."""
        with self.gather_cond:
            ts = self.tag(tag)
            ts.gathered += 1
            if ts.gathered >= n:
                self.gather_cond.notify_all()
                return True
            return self.gather_cond.wait_for(lambda: self.tag(tag).gathered >= n,
                                             timeout=GATHER_WAIT)

    def new_record(self, tag, method, path, raw_query, params, accept_encoding):
        with self.lock:
            ts = self.tag(tag)
            ts.seq += 1
            self.gseq += 1
            rec = {"seq": ts.seq, "tag": tag, "method": method, "path": path,
                   "raw_query": raw_query, "params": params, "status": None,
                   "rows": None, "auth": None, "accept_encoding": accept_encoding,
                   "fault": None, "app_id": None, "conversation_id": None,
                   "member_id": None, "items": None, "violation": None, "body": None,
                   "_g": self.gseq, "_done": False}
            ts.log.append(rec)
        return rec

    def finish_record(self, rec):
        rec["_done"] = True
        if self.logfile is not None:
            line = json.dumps(public_record(rec), ensure_ascii=False) + "\n"
            with self.logfile_lock:
                self.logfile.write(line)
                self.logfile.flush()

    def reset(self, tag=None):
        """A tag's (or every tag's) log, counters, tokens and state."""
        with self.lock:
            if tag is None:
                self.tags.clear()
                self.tokens.clear()
                self.current.clear()
                self.states.clear()
                return
            self.tags.pop(tag, None)
            self.states.pop(tag, None)
            for v in [v for v, t in self.tokens.items() if t.tag == tag]:
                del self.tokens[v]
            for k in [k for k in self.current if k[0] == tag]:
                del self.current[k]

    def issue_token(self, tag, app_id, ttl):
        with self.lock:
            key = (tag, app_id, ttl)
            t = self.current.get(key)
            if t is not None and not t.expired() and t.value in self.tokens:
                return t, max(0, int(t.expires_at - time.monotonic()))
            t = Token(secrets.token_urlsafe(32), app_id, tag, ttl)
            self.tokens[t.value] = t
            self.current[key] = t
            return t, ttl

    def log_records(self, tag=None):
        with self.lock:
            if tag is not None:
                ts = self.tags.get(tag)
                return list(ts.log) if ts else []
            recs = [r for ts in self.tags.values() for r in ts.log]
        recs.sort(key=lambda r: r["_g"])
        return recs


def public_record(rec):
    return {k: v for k, v in rec.items() if not k.startswith("_")}


_CTRL_ESC = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _esc_text(s):
    out = []
    for ch in s:
        o = ord(ch)
        if ch in _CTRL_ESC:
            out.append(_CTRL_ESC[ch])
        elif o < 32 or o == 127 or 0x80 <= o < 0xA0 or o in (0x2028, 0x2029):
            out.append("\\u%04x" % o)
        else:
            out.append(ch)
    return "".join(out)


def text_record(rec):
    q = ""
    if rec["params"]:
        q = "?" + "&".join("%s=%s" % (k, v) for k, v in rec["params"])
    elif rec["params"] is None and rec["raw_query"]:
        q = "?" + rec["raw_query"]
    if not rec["_done"]:
        st = "pending"
    elif rec["status"] is None:
        st = "none"
    else:
        st = str(rec["status"])
    line = "%s %s%s -> %s" % (rec["method"], rec["path"], q, st)
    if rec["rows"] is not None:
        line += " rows=%d" % rec["rows"]
    if rec["items"] is not None:
        line += " items=%d" % rec["items"]
    if rec["fault"]:
        line += " fault=%s" % rec["fault"]
    if rec["violation"]:
        line += " violation=%s" % rec["violation"]
    # ids that arrived percent-encoded: shown decoded
    if rec["conversation_id"] is not None and rec.get("_raw_id") != rec["conversation_id"]:
        line += " id=%s" % rec["conversation_id"]
    if rec["member_id"] is not None and rec.get("_raw_member") != rec["member_id"]:
        line += " member=%s" % rec["member_id"]
    if rec["body"] is not None:
        line += " body=%s" % jdump(rec["body"])
    return _esc_text(line)


# --------------------------------------------------------------------------
# Canned broken bodies
# --------------------------------------------------------------------------

def _canned_row(**over):
    row = {"id": "4866329603473408", "type": "meeting", "name": "Canned",
           "startTime": "2021-02-27T15:53:05.594Z", "endTime": "2021-02-27T16:18:05.048Z",
           "members": [], "metadata": {"agentId": "johndoe"}}
    row.update(over)
    return row


def canned_body(kind):
    """-> bytes, or (length, chunk iterator) for the streamed 'huge' body."""
    good = jbytes(_canned_row())
    if kind == "not_json":
        return b"<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>\n"
    if kind == "truncated_json":
        full = b'{"conversations":[' + good + b"," + good + b"]}"
        return full[:len(full) // 2 + 7]
    if kind == "wrongtype_name":
        return b'{"conversations":[' + good + b"," + jbytes(_canned_row(id="4866329603473409", name=12345)) + b"]}"
    if kind == "wrongtype_start":
        return b'{"conversations":[' + jbytes(_canned_row(startTime={"seconds": 1614441185})) + b"]}"
    if kind == "bad_timestamp":
        return b'{"conversations":[' + jbytes(_canned_row(startTime="2021-13-45T99:00:00Z")) + b"]}"
    if kind == "no_conversations":
        return b"{}"
    if kind == "null_conversations":
        return b'{"conversations":null}'
    if kind == "conversations_object":
        return b'{"conversations":{}}'
    if kind == "invalid_utf8":
        return b'{"conversations":[' + jbytes(_canned_row(name="bad \x00")).replace(b"\\u0000", b"\xff") + b"]}"
    if kind == "nul_in_string":
        return b'{"conversations":[' + jbytes(_canned_row(name="nul\x00here")) + b"]}"
    if kind == "empty":
        return b""
    if kind == "trailing_nul":
        # a complete value, then NUL bytes: not JSON (a C string reader would stop early)
        return b'{"conversations":[' + good + b"]}" + b"\x00" * 16
    if kind == "row_not_object":
        return b'{"conversations":[' + good + b',"not an object"]}'
    if kind == "dense":
        # valid JSON, 600 kB: 200,000 empty objects, the most values a byte
        # can hold (a parser's tree of it is hundreds of times its size)
        return b'{"conversations":[' + b",".join([b"{}"] * DENSE_OBJECTS) + b"]}"
    if kind == "huge":
        return huge_body()
    raise ValueError(kind)


DENSE_OBJECTS = 200_000


HUGE_ROWS = 100_000


def huge_body():
    pad = "x" * 880
    tmpl = _canned_row(id="%016d", name="Huge body row " + pad)
    tmpl_s = jdump(tmpl)
    one = (tmpl_s % 0).encode()
    rowlen = len(one)
    prefix, suffix = b'{"conversations":[', b"]}"
    length = len(prefix) + HUGE_ROWS * rowlen + (HUGE_ROWS - 1) + len(suffix)

    def gen():
        yield prefix
        per = 1000
        for base in range(0, HUGE_ROWS, per):
            parts = [(tmpl_s % (8000000000000000 + k)).encode()
                     for k in range(base, min(HUGE_ROWS, base + per))]
            chunk = b",".join(parts)
            if base + per < HUGE_ROWS:
                chunk += b","
            yield chunk
        yield suffix
    return (length, gen())


# --------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------

# RFC 3986 query characters (after the '?'): unreserved / pct-encoded /
# sub-delims / ':' / '@' / '/' / '?'.
_QUERY_OK = re.compile(r"[A-Za-z0-9\-._~%!$&'()*+,;=:@/?]*\Z")


class QueryError(ValueError):
    pass


# RFC 3986 pchar: what a path segment may hold unencoded
_SEGMENT_OK = re.compile(r"[A-Za-z0-9\-._~%!$&'()*+,;=:@]*\Z")
CONV_PREFIX = "/v1/conversations/"
ALL_PARTS = ("conversation",) + conv_parts.PART_KINDS


def split_segments(rest):
    """The raw path after /v1/conversations/ -> (raw segments, decoded
    segments): each segment percent-decoded exactly once.  Raises QueryError."""
    raw = rest.split("/")
    for seg in raw:
        if not _SEGMENT_OK.match(seg):
            bad = next(ch for ch in seg if not _SEGMENT_OK.match(ch))
            raise QueryError("path segment contains %r, which must be percent-encoded" % bad)
        if seg in (".", ".."):
            raise QueryError("path segment %r must be percent-encoded (%%2E)" % seg)
    try:
        return raw, [strict_unquote(seg) for seg in raw]
    except ValueError as e:
        raise QueryError("path segment is not validly percent-encoded UTF-8 (%s)"
                         % (e.__class__.__name__ if isinstance(e, UnicodeDecodeError) else e))


def validate_part_params(kind, params, allow_refresh=True):
    """Query parameters of a one-conversation endpoint -> {name: value}.
    Unknown, repeated or empty ones, and booleans other than true/false: 400."""
    allowed = conv_parts.PART_PARAMS.get(kind, {})
    if not allow_refresh:
        allowed = {k: v for k, v in allowed.items() if k != "refresh"}
    out = {}
    for name, value in params:
        if name not in allowed:
            raise QueryError("Unknown query parameter '%s' (%s)" % (
                name, "allowed: " + ", ".join(allowed) if allowed else "this endpoint takes none"))
        if name in out:
            raise QueryError("Query parameter '%s' given more than once" % name)
        if value == "":
            raise QueryError("Query parameter '%s' has an empty value" % name)
        if allowed[name] == "bool" and value not in ("true", "false"):
            raise QueryError("Invalid %s '%s': must be true or false" % (name, value))
        out[name] = value
    return out


def parse_query(raw):
    """Strictly decode a raw query string -> list of (name, value) pairs.

    '+' is a literal plus (no form decoding), spaces must be %20."""
    if raw is None or raw == "":
        return []
    if not _QUERY_OK.match(raw):
        bad = next(ch for ch in raw if not _QUERY_OK.match(ch))
        raise QueryError("query string contains %r, which must be percent-encoded" % bad)
    out = []
    for piece in raw.split("&"):
        if piece == "":
            raise QueryError("empty query parameter (stray '&')")
        name, _, value = piece.partition("=")
        try:
            out.append((strict_unquote(name), strict_unquote(value)))
        except ValueError as e:  # includes UnicodeDecodeError
            raise QueryError("query parameter %r is not validly percent-encoded UTF-8 (%s)"
                             % (name, e.__class__.__name__ if isinstance(e, UnicodeDecodeError) else e))
    return out


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # clients that go away (reset, timeout) are normal here: stay quiet
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, socket.timeout)):
            return
        super().handle_error(request, client_address)

    def server_bind(self):
        # skip HTTPServer.server_bind's reverse DNS lookup (getfqdn)
        import socketserver
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = host
        self.server_port = port


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SymblEmulator/" + VERSION
    sys_version = ""
    timeout = 300

    def log_message(self, fmt, *args):  # quiet
        pass

    def setup(self):
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    # every method goes through _dispatch
    def do_GET(self): self._dispatch()
    def do_POST(self): self._dispatch()
    def do_PUT(self): self._dispatch()
    def do_DELETE(self): self._dispatch()
    def do_PATCH(self): self._dispatch()
    def do_OPTIONS(self): self._dispatch()
    def do_HEAD(self): self._dispatch()

    @property
    def st(self):
        return self.server.state

    # ---- low level output ------------------------------------------------
    def _accepts_gzip(self):
        ae = self.headers.get("Accept-Encoding")
        if not ae or not self.server.gzip_enabled:
            return False
        for part in ae.split(","):
            bits = [b.strip() for b in part.split(";")]
            if bits[0].lower() not in ("gzip", "x-gzip"):
                continue
            q = 1.0
            for b in bits[1:]:
                if b.lower().startswith("q="):
                    try:
                        q = float(b[2:])
                    except ValueError:
                        q = 0.0
            return q > 0
        return False

    def _send(self, status, body=b"", ctype="application/json; charset=utf-8",
              headers=(), fault=None, gzip_ok=True, gzip_cache=None):
        """Write one full response. body: bytes or (length, iterator).
        gzip_cache: a list whose item 1 holds (or receives) the gzipped body."""
        fault = fault or {}
        stream = None
        hdrs = []
        if isinstance(body, tuple):
            length, stream = body
        else:
            if gzip_ok and body and self._accepts_gzip():
                if gzip_cache is not None and gzip_cache[1] is not None:
                    body = gzip_cache[1]
                else:
                    body = gzip.compress(body, compresslevel=self.server.gzip_level, mtime=0)
                    if gzip_cache is not None:
                        gzip_cache[1] = body
                hdrs.append(("Content-Encoding", "gzip"))
            length = len(body)
        delay = self.server.latency_ms + fault.get("latency_ms", 0)
        if delay:
            time.sleep(delay / 1000.0)
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Status"
        head = ["HTTP/1.1 %d %s" % (status, reason),
                "Server: " + self.server_version,
                "Date: " + formatdate(usegmt=True)]
        if ctype:
            head.append("Content-Type: " + ctype)
        head.append("Content-Length: %d" % length)
        if self.server.gzip_enabled:
            head.append("Vary: Accept-Encoding")
        for k, v in list(hdrs) + list(headers):
            head.append("%s: %s" % (k, v))
        truncate = fault.get("truncate")
        if truncate is not None or self.close_connection:
            self.close_connection = True
            head.append("Connection: close")
        head_b = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        if self.command == "HEAD":
            body, stream, length = b"", None, 0
        slow = fault.get("slow_bps")
        try:
            if stream is None and truncate is None and not slow:
                self.wfile.write(head_b + body)
                return
            self.wfile.write(head_b)
            chunks = stream if stream is not None else iter((body,))
            budget = truncate if truncate is not None else None
            for chunk in chunks:
                if budget is not None:
                    if budget <= 0:
                        break
                    chunk = chunk[:budget]
                    budget -= len(chunk)
                if slow:
                    step = max(1, slow // 10)
                    for p in range(0, len(chunk), step):
                        part = chunk[p:p + step]
                        time.sleep(len(part) / slow)
                        self.wfile.write(part)
                else:
                    self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError, socket.timeout, OSError):
            self.close_connection = True

    def _json(self, status, obj, **kw):
        self._send(status, jbytes(obj), **kw)

    def _msg(self, status, message, **kw):
        self._json(status, {"message": message}, **kw)

    def _read_body(self):
        te = self.headers.get("Transfer-Encoding")
        if te:
            if te.strip().lower() != "chunked":
                raise QueryError("unsupported Transfer-Encoding %r" % te)
            data = bytearray()
            while True:
                line = self.rfile.readline(1024)
                if not line:
                    raise QueryError("truncated chunked body")
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(data)
                data += self.rfile.read(size)
                self.rfile.readline(8)
                if len(data) > 1 << 20:
                    raise QueryError("request body too large")
        cl = self.headers.get("Content-Length")
        if cl is None:
            return b""
        cl = cl.strip()
        if not cl.isdigit():
            raise QueryError("invalid Content-Length")
        n = int(cl)
        if n > 1 << 20:
            raise QueryError("request body too large")
        return self.rfile.read(n) if n else b""

    # ---- dispatch ----------------------------------------------------------
    def _dispatch(self):
        try:
            self._dispatch_inner()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:  # never die silently on a bug: answer 500
            import traceback
            traceback.print_exc(file=sys.stderr)
            try:
                self._msg(500, "emulator internal error: %s" % e)
            except Exception:
                pass
            self.close_connection = True

    def _dispatch_inner(self):
        raw = self.path
        try:
            self.body = self._read_body()
        except (QueryError, ValueError) as e:
            self.close_connection = True
            self._msg(400, str(e))
            return
        path, qmark, raw_query = raw.partition("?")
        if not qmark:
            raw_query = None
        if path.startswith("/_control/") or path == "/_control":
            return self._control(path, raw_query)
        spec = {"tag": "default", "on": "api"}
        if path.startswith("/_x/"):
            seg, slash, rest = path[4:].partition("/")
            try:
                spec = parse_fault_spec(seg)
            except SpecError as e:
                self._msg(400, str(e))
                return
            path = "/" + rest
        ae = self.headers.get("Accept-Encoding")
        try:
            params = parse_query(raw_query)
            qerr = None
        except QueryError as e:
            params, qerr = None, str(e)
        rec = self.st.new_record(spec["tag"], self.command, path, raw_query, params, ae)
        try:
            try:
                dpath = strict_unquote(path)
            except ValueError:
                dpath = None
            if dpath == "/v1/conversations":
                if self.command != "GET":
                    rec["status"] = 405
                    self._msg(405, "Method %s not allowed on /v1/conversations" % self.command,
                              headers=[("Allow", "GET")])
                    return
                self._api(spec, rec, params, qerr)
            elif dpath == "/oauth2/token:generate":
                if self.command != "POST":
                    rec["status"] = 405
                    self._msg(405, "Method %s not allowed on /oauth2/token:generate" % self.command,
                              headers=[("Allow", "POST")])
                    return
                self._token(spec, rec)
            elif path.startswith(CONV_PREFIX):
                self._conversation(spec, rec, params, qerr, path[len(CONV_PREFIX):])
            else:
                rec["status"] = 404
                self._msg(404, "No such endpoint: %s %s" % (self.command, path))
        finally:
            self.st.finish_record(rec)

    # ---- faults --------------------------------------------------------------
    def _active(self, spec, kind, path=None):
        """Advance the tag's counter for this kind; is the fault window open?
        With path_has=S, only API requests whose path holds S count."""
        st = self.st
        if path is not None and "path_has" in spec and spec["path_has"] not in path:
            return False
        with st.lock:
            ts = st.tag(spec["tag"])
            if kind == "api":
                seq = ts.api_n
                ts.api_n += 1
            else:
                seq = ts.token_n
                ts.token_n += 1
        after = spec.get("after", 0)
        count = spec.get("count")
        return seq >= after and (count is None or seq < after + count)

    def _transport_faults(self, spec, kind, active, rec):
        """Apply hang/reset/redirect; return (handled, fault dict for _send)."""
        f = {}
        if not active or spec["on"] not in (kind, "all"):
            return False, f
        for k in ("latency_ms", "slow_bps", "truncate"):
            if k in spec:
                f[k] = spec[k]
                rec["fault"] = k if rec["fault"] is None else rec["fault"]
        if spec.get("reset"):
            rec["fault"] = "reset"
            if spec.get("latency_ms"):
                time.sleep(spec["latency_ms"] / 1000.0)
            self._do_reset()
            return True, f
        if spec.get("hang"):
            rec["fault"] = "hang"
            self._do_hang()
            return True, f
        if "redirect" in spec:
            rec["fault"] = "redirect"
            rec["status"] = 302
            self._msg(302, "Found", headers=[("Location", spec["redirect"])], fault=f)
            return True, f
        return False, f

    def _do_reset(self):
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def _do_hang(self):
        self.close_connection = True
        sock = self.connection
        deadline = time.monotonic() + 120
        try:
            while time.monotonic() < deadline:
                r, _, _ = select.select([sock], [], [], 0.2)
                if r:
                    try:
                        data = sock.recv(65536, socket.MSG_PEEK)
                    except OSError:
                        break
                    if not data:
                        break
                    time.sleep(0.2)
        except (OSError, ValueError):
            pass

    def _injected_status(self, spec, rec, key, f):
        """Answer with the status the fault spec's `key` asks for."""
        code = spec[key]
        rec["status"] = code
        rec["fault"] = key
        hdrs = [("Retry-After", spec["retry_after"])] if "retry_after" in spec else []
        self._msg(code, "Injected %d" % code, headers=hdrs, fault=f)

    # ---- token endpoint -------------------------------------------------------
    def _token(self, spec, rec):
        active = self._active(spec, "token")
        handled, f = self._transport_faults(spec, "token", active, rec)
        if handled:
            return
        if active and "token_status" in spec:
            self._injected_status(spec, rec, "token_status", f)
            return
        ct = self.headers.get("Content-Type", "")
        if ct.split(";")[0].strip().lower() != "application/json":
            rec["status"] = 400
            self._msg(400, "Content-Type must be application/json", fault=f)
            return
        try:
            text = self.body.decode("utf-8")

            def no_dups(pairs):
                keys = [k for k, _ in pairs]
                if len(set(keys)) != len(keys):
                    raise ValueError("duplicate key")
                return dict(pairs)
            obj = json.loads(text, object_pairs_hook=no_dups)
        except ValueError:
            rec["status"] = 400
            self._msg(400, "Request body must be a JSON object {\"type\":\"application\",\"appId\":...,\"appSecret\":...}", fault=f)
            return
        err = None
        if not isinstance(obj, dict):
            err = "Request body must be a JSON object"
        elif set(obj) - {"type", "appId", "appSecret"}:
            err = "Unknown field(s) in request body: %s" % ", ".join(sorted(set(obj) - {"type", "appId", "appSecret"}))
        elif obj.get("type") != "application":
            err = "\"type\" must be \"application\""
        elif not isinstance(obj.get("appId"), str) or not obj.get("appId"):
            err = "\"appId\" is required and must be a non-empty string"
        elif not isinstance(obj.get("appSecret"), str) or not obj.get("appSecret"):
            err = "\"appSecret\" is required and must be a non-empty string"
        if err:
            rec["status"] = 400
            self._msg(400, err, fault=f)
            return
        rec["app_id"] = obj["appId"]
        args = self.st.args
        if not (secrets.compare_digest(obj["appId"].encode(), args.app_id.encode()) and
                secrets.compare_digest(obj["appSecret"].encode(), args.app_secret.encode())):
            rec["status"] = 401
            self._msg(401, "Invalid appId or appSecret.", fault=f)
            return
        ttl = spec.get("token_ttl", args.token_ttl)
        tok, remaining = self.st.issue_token(spec["tag"], obj["appId"], ttl)
        rec["status"] = 200
        self._json(200, {"accessToken": tok.value, "expiresIn": remaining}, fault=f)

    # ---- API ----------------------------------------------------------------
    def _classify_auth(self):
        vals = self.headers.get_all("Authorization") or []
        if not vals:
            return "missing", None
        if len(vals) > 1:
            return "invalid", None
        scheme, sp, tok = vals[0].partition(" ")
        if scheme.lower() != "bearer" or not tok:
            return "invalid", None
        with self.st.lock:
            t = self.st.tokens.get(tok)
        if t is None:
            return "invalid", None
        if t.expired():
            return "expired", t
        return "ok", t

    def _api_prelude(self, spec, rec):
        """What every API endpoint does first: the fault window, transport
        faults, injected status/body, authentication.  -> the fault dict for
        _send, or None when the request has been answered."""
        st = self.st
        active = self._fault_active = self._active(spec, "api", rec["path"])
        auth, tok = self._classify_auth()
        rec["auth"] = auth
        handled, f = self._transport_faults(spec, "api", active, rec)
        if handled:
            return None
        if active and "status" in spec:
            self._injected_status(spec, rec, "status", f)
            return None
        if active and "body" in spec:
            rec["status"] = 200
            rec["fault"] = "body:" + spec["body"]
            self._send(200, canned_body(spec["body"]), fault=f)
            return None
        if auth == "ok" and "expire_token_after" in spec:
            with st.lock:
                ts = st.tag(spec["tag"])
                if not ts.expire_fired and ts.api_ok >= spec["expire_token_after"]:
                    ts.expire_fired = True
                    tok.forced = True
                    auth = rec["auth"] = "expired"
                    rec["fault"] = "expire_token"
        if auth != "ok":
            rec["status"] = 401
            self._msg(401, MSG_TOKEN, fault=f)
            return None
        return f

    def _count_ok(self, spec):
        with self.st.lock:
            self.st.tag(spec["tag"]).api_ok += 1

    def _note_violation(self, spec, rec, params):
        """refresh is never a read: whatever the answer, the request is one."""
        if params and any(k == "refresh" for k, _ in params):
            rec["violation"] = "refresh"
            self.st.count_violation(spec["tag"], "refresh")

    # ---- one conversation: GET, its parts, PUT, DELETE ------------------------
    def _conversation(self, spec, rec, params, qerr, rest):
        st = self.st
        try:
            raw, dec = split_segments(rest)
        except QueryError as e:
            rec["status"] = 400
            self._msg(400, str(e))
            return
        n = len(raw)
        if "" in raw:
            kind = None
        elif n == 1:
            kind, allow = "conversation", ("GET", "PUT", "DELETE")
        elif n == 2 and conv_parts.part_kind(dec[1]) is not None:
            kind, allow = conv_parts.part_kind(dec[1]), ("GET",)
        elif n == 3 and dec[1] == "members":
            kind, allow = "member", ("PUT",)
        else:
            kind = None
        if kind is None:
            rec["status"] = 404
            self._msg(404, "No such endpoint: %s %s%s" % (self.command, CONV_PREFIX, rest))
            return
        cid = rec["conversation_id"] = dec[0]
        rec["_raw_id"] = raw[0]
        if n == 2 and st.path_retired(spec, dec[1]):
            rec["status"] = 404
            self._msg(404, "No such endpoint: %s %s%s" % (self.command, CONV_PREFIX, rest))
            return
        if kind == "member":
            rec["member_id"], rec["_raw_member"] = dec[2], raw[2]
        if self.command == "PUT" or self.body:
            rec["body"] = conv_state.logged_body(self.body)
        if self.command not in allow:
            rec["status"] = 405
            self._msg(405, "Method %s not allowed on this endpoint" % self.command,
                      headers=[("Allow", ", ".join(allow))])
            return
        self._note_violation(spec, rec, params)
        f = self._api_prelude(spec, rec)
        if f is None:
            return
        try:
            if qerr is not None:
                raise QueryError("Malformed query string: " + qerr)
            opts = validate_part_params(kind if self.command == "GET" else "write", params)
        except QueryError as e:
            rec["status"] = 400
            self._msg(400, str(e), fault=f)
            return
        if self.command != "GET" and "gather" in spec and not st.gather(spec["tag"], spec["gather"]):
            rec["status"] = 503
            rec["fault"] = "gather"
            self._msg(503, "gather: fewer than %d writes were in flight together" % spec["gather"],
                      fault=f)
            return
        name = st.state_name(spec)
        ov = st.overlay(name)
        idx = st.live_index(cid, ov)
        if idx is None:
            status = 404 if self.command == "GET" else \
                spec.get("unknown_status", int(st.args.unknown_status))
            rec["status"] = status
            self._msg(status, MSG_CONV_NOT_FOUND if self.command == "GET" else MSG_CONV_INVALID,
                      fault=f)
            return
        if self.command == "GET":
            answer = st.part(idx, ov, kind, opts, spec)
            if answer is None:
                rec["status"] = 404
                self._msg(404, MSG_SUMMARY_NOT_READY, fault=f)
                return
            if kind != "conversation":
                rec["items"] = len(conv_parts.part_items(kind, answer))
            status, answer = 200, answer
        elif self.command == "DELETE":
            if self.body:
                rec["status"] = 400
                self._msg(400, "DELETE takes no request body", fault=f)
                return
            st.write(name, lambda o: o.with_delete(idx))
            answer = {"message": MSG_DELETED}
        elif kind == "member":
            answer = self._put_member(spec, rec, f, name, ov, idx, dec[2])
        else:
            answer = self._put_metadata(spec, rec, f, name, idx)
        if answer is None:
            return
        if self.command != "GET" and self._fault_active and spec.get("drop_answer"):
            # the write is done; its answer is lost (a client that retries
            # finds the conversation already changed or gone)
            rec["fault"] = "drop_answer"
            self._do_reset()
            return
        rec["status"] = 200
        self._count_ok(spec)
        self._json(200, answer, fault=f)

    def _json_body(self, rec, f):
        """The request's JSON body, strictly; None after a 400."""
        try:
            return conv_state.parse_json_body(self.body, self.headers.get("Content-Type")), True
        except conv_state.BodyError as e:
            rec["status"] = 400
            self._msg(400, str(e), fault=f)
            return None, False

    def _put_metadata(self, spec, rec, f, name, idx):
        st = self.st
        obj, ok = self._json_body(rec, f)
        if not ok:
            return None
        try:
            meta = conv_state.validate_metadata_body(obj)
        except conv_state.BodyError as e:
            rec["status"] = 400
            self._msg(400, str(e), fault=f)
            return None
        merge = spec.get("put_metadata", st.args.put_metadata) == "merge"

        def change(o):
            new = dict(o.metadata(idx, st.ds.metas[idx]) or {}) if merge else {}
            new.update(meta)
            return o.with_meta(idx, new)
        return st.conversation(idx, st.write(name, change))

    def _put_member(self, spec, rec, f, name, ov, idx, member_id):
        st = self.st
        members = st.members_of(idx, ov, json.loads(st.ds.rows[idx])) or []
        pos = next((p for p, m in enumerate(members) if m["id"] == member_id), None)
        if pos is None:
            rec["status"] = 404
            self._msg(404, "Member with id %s could not be found in this conversation."
                      % member_id, fault=f)
            return None
        obj, ok = self._json_body(rec, f)
        if not ok:
            return None
        try:
            new_name, email = conv_state.validate_member_body(obj, member_id)
        except conv_state.BodyError as e:
            rec["status"] = 400
            self._msg(400, str(e), fault=f)
            return None
        st.write(name, lambda o: o.with_member(idx, pos, new_name, email))
        return {"message": MSG_MEMBER_UPDATED % member_id}

    def _api(self, spec, rec, params, qerr):
        st = self.st
        self._note_violation(spec, rec, params)
        f = self._api_prelude(spec, rec)
        if f is None:
            return
        overlay = st.overlay(st.state_name(spec))
        try:
            readings = st.readings(spec)
            q = self._validate(params, qerr, readings, st.api_now_ms(spec))
            res = st.engine.query(q["ws"], q["we"], q.get("filter"), q["sort"], q["order"] == "desc",
                                  readings, q["end_given"], overlay)
        except (QueryError, FilterError) as e:
            rec["status"] = 400
            msg = str(e)
            if isinstance(e, FilterError):
                msg = "Invalid filter: " + msg
            self._msg(400, msg, fault=f)
            return
        key = (q["offset"], q["limit"])
        cached = res.bodies.get(key)
        if cached is None:
            page = Engine.page(res, q["offset"], q["limit"])
            rows = st.ds.rows
            if overlay is None:
                body = b",".join([rows[i] for i in page])
            else:
                body = b",".join([overlay.row_bytes(i, rows[i], jbytes) for i in page])
            cached = [b'{"conversations":[' + body + b"]}", None, len(page)]
            with _page_cache_lock:
                if _page_cache_bytes[0] + len(cached[0]) <= PAGE_CACHE_LIMIT:
                    _page_cache_bytes[0] += len(cached[0])
                    res.bodies[key] = cached
        rec["status"] = 200
        rec["rows"] = cached[2]
        self._count_ok(spec)
        self._send(200, cached[0], fault=f, gzip_cache=cached)

    def _validate(self, params, qerr, readings=DEFAULT_READINGS, now=None):
        if qerr is not None:
            raise QueryError("Malformed query string: " + qerr)
        seen = {}
        for name, value in params:
            if name not in API_PARAMS:
                raise QueryError("Unknown query parameter '%s' (allowed: %s)" % (name, ", ".join(API_PARAMS)))
            if name in seen:
                raise QueryError("Query parameter '%s' given more than once" % name)
            if value == "":
                raise QueryError("Query parameter '%s' has an empty value" % name)
            seen[name] = value
        q = {}
        v = seen.get("limit", "20")
        if not (v.isascii() and v.isdigit()) or int(v) > LIMIT_MAX:
            raise QueryError("Invalid limit '%s': must be an integer between 0 and %d" % (v, LIMIT_MAX))
        q["limit"] = int(v)
        v = seen.get("offset", "0")
        if not (v.isascii() and v.isdigit()) or int(v) > OFFSET_MAX:
            raise QueryError("Invalid offset '%s': must be a non-negative integer" % v)
        q["offset"] = int(v)
        v = seen.get("order", "asc")
        if v not in ("asc", "desc"):
            raise QueryError("Invalid order '%s': must be asc or desc" % v)
        q["order"] = v
        v = seen.get("sort", "conversation.startTime")
        fields = v.split(",")
        for fld in fields:
            if fld not in SORT_FIELDS:
                raise QueryError("Invalid sort field '%s' (allowed: %s)" % (fld, ", ".join(SORT_FIELDS)))
        if len(set(fields)) != len(fields):
            raise QueryError("Invalid sort '%s': a field is repeated" % v)
        if readings.sort_fields == "reject":
            for fld in fields:
                if fld in UNDOCUMENTED_SORT_FIELDS:
                    raise QueryError("Invalid sort field '%s' (allowed: %s)"
                                     % (fld, ", ".join(DOCUMENTED_SORT_FIELDS)))
        q["sort"] = tuple(fields)
        if now is None:
            now = self.st.api_now_ms({})
        times = {}
        for name in ("startTime", "endTime"):
            if name in seen:
                try:
                    t = read_time_ms(seen[name], readings.time_reading)
                except ValueError:
                    raise QueryError("Invalid %s '%s': must be an ISO 8601 date-time "
                                     "(YYYY-MM-DDTHH:MM:SS[.fff] followed by Z or +HH:MM)" % (name, seen[name]))
                if not t < now:
                    raise QueryError("Invalid %s '%s': must be less than the current time %s"
                                     % (name, seen[name], fmt_ms(math.floor(now))))
                times[name] = t
        if "startTime" in times and "endTime" in times:
            if not times["startTime"] < times["endTime"]:
                raise QueryError("Invalid time range: startTime must be less than endTime")
        we = times.get("endTime", now)
        ws = times.get("startTime", we - SEVEN_DAYS_MS)
        q["ws"], q["we"] = ws, we
        q["end_given"] = "endTime" in times
        if "filter" in seen:
            # validate eagerly (also when the result is cached)
            compile_filter(seen["filter"], self.st.ds, readings)
            q["filter"] = seen["filter"]
        return q

    # ---- control endpoints ------------------------------------------------------
    @staticmethod
    def _part_options(kinds, params, fixed):
        """The API query parameters among a control request's: validated as
        the API would validate them for each of kinds."""
        opts = [(k, v) for k, v in params.items() if k not in fixed]
        out = {}
        for kind in kinds:
            allowed = conv_parts.PART_PARAMS.get(kind, {})
            out.update(validate_part_params(kind, [(k, v) for k, v in opts if k in allowed],
                                            allow_refresh=False))
        unknown = [k for k, _ in opts if k not in out]
        if unknown:
            raise QueryError("Unknown parameter '%s'" % unknown[0])
        return out

    def _control_part(self, params):
        """GET /_control/part?conversation=ID&path=KIND[&state=S][&API params]:
        exactly the body the API serves (404 as the API would)."""
        st = self.st
        kind = params.get("path")
        if kind not in ALL_PARTS:
            raise QueryError("path must be one of: %s" % ", ".join(ALL_PARTS))
        if "conversation" not in params:
            raise QueryError("conversation=ID is required")
        opts = self._part_options([kind], params, ("conversation", "path", "state"))
        ov = st.overlay(params.get("state", "default"))
        idx = st.live_index(params["conversation"], ov)
        if idx is None:
            self._msg(404, MSG_CONV_NOT_FOUND)
            return
        answer = st.part(idx, ov, kind, opts)
        if answer is None:
            self._msg(404, MSG_SUMMARY_NOT_READY)
            return
        self._json(200, answer)

    def _control_parts(self, params):
        """GET /_control/parts?part=KIND|all[&ids=A,B|&first=N][&state=S][&API
        params]: one line {"conversation_id","part","item"} per item."""
        st = self.st
        part = params.get("part", "all")
        kinds = ALL_PARTS if part == "all" else (part,)
        if part != "all" and part not in ALL_PARTS:
            raise QueryError("part must be all or one of: %s" % ", ".join(ALL_PARTS))
        if params.get("format", "jsonl") != "jsonl":
            raise QueryError("format must be jsonl")
        opts = self._part_options(kinds, params, ("part", "ids", "first", "state", "format"))
        ov = st.overlay(params.get("state", "default"))
        ds = st.ds
        if "ids" in params and "first" in params:
            raise QueryError("give ids or first, not both")
        if "ids" in params:
            rows = [st.live_index(c, ov) for c in params["ids"].split(",")]
        else:
            first = params.get("first", str(ds.n))
            if not (first.isascii() and first.isdigit()):
                raise QueryError("first must be a non-negative integer")
            rows = range(min(ds.n, int(first)))
        out = []
        for idx in rows:
            if idx is None or (ov is not None and idx in ov.deleted):
                continue
            cid = ds.ids[idx]
            for kind in kinds:
                answer = st.part(idx, ov, kind, opts)
                items = [answer] if kind == "conversation" else conv_parts.part_items(kind, answer)
                for item in items:
                    line = {"conversation_id": cid, "part": kind, "item": item}
                    if kind == "entities":
                        line["shape"] = "list" if isinstance(answer, list) else "object"
                    out.append(jdump(line))
        body = "".join(l + "\n" for l in out).encode("utf-8")
        self._send(200, body, ctype="application/x-ndjson; charset=utf-8")

    def _control(self, path, raw_query):
        try:
            params = dict(parse_query(raw_query))
        except QueryError as e:
            self._msg(400, str(e))
            return
        st = self.st
        if path == "/_control/reset":
            if self.command != "POST":
                self._msg(405, "use POST", headers=[("Allow", "POST")])
                return
            st.reset(params.get("tag"))
            self._json(200, {})
            return
        if path == "/_control/reset-state":
            if self.command != "POST":
                self._msg(405, "use POST", headers=[("Allow", "POST")])
                return
            st.reset_states(params.get("state"))
            self._json(200, {})
            return
        if self.command != "GET" and path in ("/_control/log", "/_control/health", "/_control/dataset",
                                              "/_control/violations", "/_control/part",
                                              "/_control/parts"):
            self._msg(405, "use GET", headers=[("Allow", "GET")])
            return
        if path in ("/_control/part", "/_control/parts"):
            try:
                if path == "/_control/part":
                    self._control_part(params)
                else:
                    self._control_parts(params)
            except QueryError as e:
                self._msg(400, str(e))
            return
        if path == "/_control/violations":
            v = st.violations(params.get("tag"))
            self._json(200, {"violations": sum(v.values()), "kinds": dict(sorted(v.items()))})
            return
        if path == "/_control/health":
            self._json(200, {"ok": True, "conversations": st.ds.n})
        elif path == "/_control/log":
            fmt = params.get("format", "text")
            recs = st.log_records(params.get("tag"))
            if fmt == "text":
                body = "".join(text_record(r) + "\n" for r in recs).encode("utf-8")
                self._send(200, body, ctype="text/plain; charset=utf-8")
            elif fmt == "jsonl":
                body = "".join(json.dumps(public_record(r), ensure_ascii=False) + "\n"
                               for r in recs).encode("utf-8")
                self._send(200, body, ctype="application/x-ndjson; charset=utf-8")
            else:
                self._msg(400, "format must be text or jsonl")
        elif path == "/_control/dataset":
            fmt = params.get("format", "jsonl")
            ov = st.overlay(params["state"]) if "state" in params else None
            if fmt == "csv":
                self._send(200, st.ds.csv_bytes(ov), ctype="text/csv; charset=utf-8")
            elif fmt == "jsonl":
                self._send(200, st.ds.jsonl_bytes(ov), ctype="application/x-ndjson; charset=utf-8")
            else:
                self._msg(400, "format must be csv or jsonl")
        else:
            self._msg(404, "No such control endpoint: %s" % path)


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------

def build_arg_parser():
    p = argparse.ArgumentParser(description="Strict Symbl.ai /v1/conversations emulator")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8099, help="0 = pick a free port")
    p.add_argument("--conversations", type=int, default=1000, metavar="N")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--anchor", default=DEFAULT_ANCHOR, help="ISO 8601 or 'now'")
    p.add_argument("--now", default=None, help="fixed server clock (ISO 8601); default: real UTC clock")
    p.add_argument("--latency-ms", type=int, default=0)
    p.add_argument("--app-id", default="demo-app-id")
    p.add_argument("--app-secret", default="demo-app-secret")
    p.add_argument("--token-ttl", type=int, default=86400)
    p.add_argument("--log", default=None, metavar="FILE", help="also append JSON-lines log records here")
    p.add_argument("--window-bounds", choices=("exclusive", "inclusive"), default="exclusive")
    p.add_argument("--dump-dataset", choices=("csv", "jsonl"), default=None)
    p.add_argument("--ready-file", default=None, metavar="PATH")
    p.add_argument("--no-gzip", action="store_true")
    p.add_argument("--gzip-level", type=int, default=1, choices=range(1, 10), metavar="1..9")
    # readings of what the contract leaves open; a request's /_x/ spec overrides
    p.add_argument("--trackers-path", choices=conv_parts.TRACKERS_PATH_CHOICES,
                   default=conv_parts.TRACKERS_PATH_CHOICES[0])
    p.add_argument("--trackers-shape", choices=conv_parts.TRACKERS_SHAPE_CHOICES,
                   default=conv_parts.TRACKERS_SHAPE_CHOICES[0])
    p.add_argument("--missing", choices=READING_CHOICES["missing"],
                   default=DEFAULT_READINGS.missing)
    p.add_argument("--missing-sort", choices=READING_CHOICES["missing_sort"],
                   default=DEFAULT_READINGS.missing_sort)
    p.add_argument("--time-reading", choices=READING_CHOICES["time_reading"],
                   default=DEFAULT_READINGS.time_reading)
    p.add_argument("--selectors", choices=READING_CHOICES["selectors"],
                   default=DEFAULT_READINGS.selectors,
                   help="undocumented filter selectors (id, type, name, startTime, endTime)")
    p.add_argument("--sort-fields", choices=READING_CHOICES["sort_fields"],
                   default=DEFAULT_READINGS.sort_fields,
                   help="undocumented sort fields (id, type, endTime)")
    p.add_argument("--clock-skew", default="0", metavar="SECONDS",
                   help="the API's clock = the emulator's + SECONDS (signed)")
    p.add_argument("--put-metadata", choices=PUT_METADATA_CHOICES, default="replace",
                   help="PUT /v1/conversations/{id} replaces the metadata, or merges into it")
    p.add_argument("--unknown-status", choices=UNKNOWN_STATUS_CHOICES, default="404",
                   help="the status of a PUT or DELETE of an unknown conversation")
    return p


def resolve_anchor(s):
    if s == "now":
        return (time.time_ns() // 1_000_000) // MS_PER_MIN * MS_PER_MIN
    return math.floor(parse_iso_ms(s))


def main(argv=None):
    args = build_arg_parser().parse_args(argv)
    if args.conversations < 0:
        sys.exit("--conversations must be >= 0")
    try:
        anchor = resolve_anchor(args.anchor)
        if args.now:
            parse_iso_ms(args.now)
    except ValueError as e:
        sys.exit("bad --anchor/--now: %s" % e)
    try:
        args.clock_skew = parse_clock_skew(args.clock_skew)
    except SpecError as e:
        sys.exit("bad --clock-skew: %s" % e)
    ds = Dataset(args.conversations, args.seed, anchor)
    if args.dump_dataset:
        out = sys.stdout.buffer
        if args.dump_dataset == "jsonl":
            for r in ds.rows:
                out.write(r + b"\n")
        else:
            for line in ds.csv_lines():
                out.write(line.encode("utf-8"))
        out.flush()
        return 0
    engine = Engine(ds, inclusive=(args.window_bounds == "inclusive"))
    state = State(args, ds, engine)
    httpd = Server((args.host, args.port), Handler)
    httpd.state = state
    httpd.latency_ms = args.latency_ms
    httpd.gzip_enabled = not args.no_gzip
    httpd.gzip_level = args.gzip_level
    port = httpd.server_address[1]
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as fh:
            fh.write("%d\n" % port)
        os.replace(tmp, args.ready_file)
    print("symbl_emulator listening on http://%s:%d (%d conversations, anchor %s)"
          % (args.host, port, ds.n, fmt_ms(anchor)), flush=True)

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    try:
        httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
