#!/usr/bin/env python3
"""Generate the random part of sql/differential.sql.

    python3 test/gen_differential.py [--seed S] [--count N] [--write]

Prints INSERT statements into dt.battery (the query table of
sql/differential.sql): N queries over a foreign or local table, each with
0-4 predicates of every kind the FDW pushes down or keeps local (=, <>, IN,
NOT IN on id/type/name/metadata->>'key', metadata @>, time comparisons with
literals, cross-type values, now()/current_date, infinities; OR, NOT, LIKE,
ILIKE, regex, functions of columns, text ranges, IS NULL), an optional
ORDER BY (a total order ending with id, or a prefix whose order is then
checked on its key), LIMIT/OFFSET only under a total order, an occasional
join with the local CRM table, and a session time zone (mostly UTC).
Queries with a time the API cannot express (before 1970, after 9999) run on
dt.conv_paged only, so that the transfer figures measured on dt.conv do not
depend on how such values are handled.

Literal values come from the emulator's own dataset (same seed and anchor as
the test runs: 1000 conversations, seed 42), so predicates hit rows.
Everything is deterministic from --seed.  With --write the block between the
GENERATED markers of sql/differential.sql is replaced in place.

Python 3 standard library only.
"""

import argparse
import math
import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "test", "emulator"))
import symbl_emulator as emu  # noqa: E402  (read-only use of the dataset)

BEGIN_MARK = "-- BEGIN GENERATED"
END_MARK = "-- END GENERATED"

ANCHOR_MS = math.floor(emu.parse_iso_ms(emu.DEFAULT_ANCHOR))
TIE25_MS = ANCHOR_MS - 2 * emu.MS_PER_DAY + 123


def q(s):
    """SQL string literal (standard_conforming_strings on)."""
    return "'" + s.replace("'", "''") + "'"


def ts_literal(ms, extra_us=0):
    """timestamptz literal for epoch ms (+ microseconds), in UTC."""
    s, us = divmod(int(ms) * 1000 + extra_us, 1_000_000)
    base = emu.fmt_ms(s * 1000)[:19].replace("T", " ")
    frac = "%03d" % (us // 1000) if us % 1000 == 0 else "%06d" % us
    return "'%s.%s+00'" % (base, frac)


class Gen:
    def __init__(self, seed):
        self.rnd = random.Random(seed)
        self.ds = emu.Dataset(1000, 42, ANCHOR_MS)
        ds = self.ds
        self.ids = list(ds.ids)
        self.types = ["meeting", "call", "chat", "webinar"]
        self.names = [n for n in ds.names if n is not None]
        self.meta_vals = {}
        for m in ds.metas:
            for k, v in (m or {}).items():
                self.meta_vals.setdefault(k, []).append(v)
        self.meta_rows = [m for m in ds.metas if m]

    # ---- values ---------------------------------------------------------
    def pick(self, seq):
        return seq[self.rnd.randrange(len(seq))]

    def text_value(self, col):
        r = self.rnd.random()
        if col == "id":
            if r < 0.75:
                return self.pick(self.ids)
            if r < 0.9:
                return "99900000000000%02d" % self.rnd.randint(1, 37)
            return self.pick(["nope", "", "999000000000000", "9990000000000001 "])
        if col == "type":
            if r < 0.85:
                return self.pick(self.types)
            return self.pick(["Meeting", "", "meeting "])
        if col == "name":
            if r < 0.7:
                return self.pick(self.names)
            if r < 0.9:
                # adversarial names, but not the 5000-character one (fixed part)
                return self.pick(self.names[:13] + self.names[14:37])
            return self.pick(["nope", "", "%", "*", "Weekly sync "])
        key = col
        vals = self.meta_vals.get(key)
        if vals and r < 0.85:
            return self.pick(vals)
        return self.pick(["nope", "", "cust-000", "agent-99"])

    def time_ms(self, col):
        r = self.rnd.random()
        arr = self.ds.start if col == "start_time" or self.rnd.random() < 0.3 else self.ds.end
        if r < 0.5:
            return arr[self.rnd.randrange(len(arr))]
        if r < 0.6:
            return TIE25_MS
        if r < 0.7:
            return ANCHOR_MS - 7 * emu.MS_PER_DAY + self.rnd.choice([-1, 0, 1])
        return ANCHOR_MS - self.rnd.randrange(740 * emu.MS_PER_DAY)

    def time_value(self, col):
        r = self.rnd.random()
        if r < 0.06:
            return self.pick(["now()", "now() - interval '50 years'",
                              "now() + interval '1 day'",
                              "current_date - 3650", "current_date + 1",
                              "current_timestamp"])
        if r < 0.09:
            return self.pick(["'infinity'", "'-infinity'"])
        if r < 0.1:
            v = self.pick(["'1969-12-31 23:59:59.999+00'", "'1900-01-01+00'",
                           "'10000-01-01+00'", "'2100-01-01+00'"])
            if v != "'2100-01-01+00'":
                self.edge = True        # outside what the API can express
            return v
        ms = self.time_ms(col)
        r = self.rnd.random()
        if r < 0.6:
            lit = ts_literal(ms)
        elif r < 0.75:
            lit = ts_literal(ms + self.rnd.choice([-1, 1]))
        elif r < 0.85:
            lit = ts_literal(ms, self.rnd.choice([-500, 500, -1, 1]))
        else:
            lit = ts_literal(ms + self.rnd.choice([-1, 1]) * emu.MS_PER_DAY)
        r = self.rnd.random()
        if r < 0.1:
            return lit[:-4] + "'::timestamp"         # without time zone (UTC)
        if r < 0.15:
            return lit[:11] + "'::date"
        return lit

    # ---- predicates -----------------------------------------------------
    def text_col(self):
        r = self.rnd.random()
        if r < 0.2:
            return "id", "c.id"
        if r < 0.35:
            return "type", "c.type"
        if r < 0.6:
            return "name", "c.name"
        key = self.pick(["customerId", "customerId", "agentId", "region",
                         "x-dash-key", "x.dotted.key", "note", "long",
                         "ünïcode-kéy", "key with space"])
        return key, "(c.metadata->>%s)" % q(key)

    def text_pred(self):
        col, expr = self.text_col()
        r = self.rnd.random()
        if r < 0.35:
            return "%s = %s" % (expr, q(self.text_value(col)))
        if r < 0.45:
            return "%s <> %s" % (expr, q(self.text_value(col)))
        if r < 0.65:
            n = self.rnd.randint(1, 5)
            vals = [q(self.text_value(col)) for _ in range(n)]
            if self.rnd.random() < 0.1:
                vals.append("NULL")
            if self.rnd.random() < 0.1:
                return "%s = ANY (ARRAY[%s]::text[])" % (expr, ", ".join(vals))
            return "%s IN (%s)" % (expr, ", ".join(vals))
        if r < 0.75:
            n = self.rnd.randint(1, 4)
            vals = [q(self.text_value(col)) for _ in range(n)]
            if self.rnd.random() < 0.05:
                vals.append("NULL")
            return "%s NOT IN (%s)" % (expr, ", ".join(vals))
        if r < 0.8:
            return "%s IS %sNULL" % (expr, self.pick(["", "NOT "]))
        if r < 0.85:
            v = self.text_value(col)
            return "%s LIKE %s" % (expr, q(v[:3] + "%"))
        if r < 0.88:
            v = self.text_value(col)
            return "%s ILIKE %s" % (expr, q("%" + v[-3:].lower()))
        if r < 0.91:
            return "%s ~ %s" % (expr, q(self.pick(["^[A-M]", "sync$", "[0-9]{3}", "^$", "\\*"])))
        if r < 0.94:
            return "lower(%s) = %s" % (expr, q(self.text_value(col).lower()))
        if r < 0.97:
            return "%s %s %s" % (expr, self.pick(["<", "<=", ">", ">="]),
                                 q(self.text_value(col)))
        return "%s BETWEEN %s AND %s" % (expr, q(self.pick(["A", "C", "M"])),
                                         q(self.pick(["D", "T", "z"])))

    def contains_pred(self):
        r = self.rnd.random()
        if r < 0.7:
            m = self.pick(self.meta_rows)
            items = list(m.items())
            self.rnd.shuffle(items)
            items = items[:self.rnd.randint(1, 3)]
        elif r < 0.9:
            items = [(self.pick(["customerId", "agentId", "region"]),
                      self.text_value(self.pick(["customerId", "agentId", "region"])))
                     for _ in range(self.rnd.randint(1, 2))]
        else:
            items = self.pick([[], [("x-dash-key", "dashed")], [("ünïcode-kéy", "✓ yes")],
                               [("note", "it's \"quoted\"; a=b,c (x) ~!")]])
        obj = "{" + ",".join(
            '"%s":"%s"' % (k.replace("\\", "\\\\").replace('"', '\\"'),
                           v.replace("\\", "\\\\").replace('"', '\\"'))
            for k, v in items) + "}"
        return "c.metadata @> %s" % q(obj)

    def time_pred(self):
        col = self.pick(["start_time", "start_time", "end_time"])
        r = self.rnd.random()
        if r < 0.15:
            a, b = sorted([self.time_ms(col), self.time_ms(col)])
            return "c.%s BETWEEN %s AND %s" % (col, ts_literal(a), ts_literal(b))
        op = self.pick(["=", "<>", "<", "<=", ">", ">=", ">", ">=", "<", "<="])
        return "c.%s %s %s" % (col, op, self.time_value(col))

    def null_pred(self):
        return self.pick(["c.name IS NULL", "c.name IS NOT NULL", "c.metadata IS NULL",
                          "c.members IS NULL", "c.metadata IS NOT NULL",
                          "c.name <> ''", "c.name = ''"])

    def pred(self, depth=0):
        r = self.rnd.random()
        if r < 0.35:
            p = self.text_pred()
        elif r < 0.45:
            p = self.contains_pred()
        elif r < 0.8:
            p = self.time_pred()
        elif r < 0.85:
            p = self.null_pred()
        elif r < 0.95 and depth == 0:
            p = "(%s OR %s)" % (self.pred(1), self.pred(1))
        elif depth == 0:
            p = "NOT (%s)" % self.pred(1)
        else:
            p = self.text_pred()
        return p

    # ---- queries --------------------------------------------------------
    TOTAL_ORDERS = ["c.id", "c.start_time, c.id", "c.start_time DESC, c.id DESC",
                    "c.start_time DESC, c.id", "c.end_time, c.id",
                    "c.end_time DESC, c.id DESC", "c.start_time, c.end_time, c.id",
                    "c.name, c.id", "c.type, c.start_time DESC, c.id",
                    "c.id COLLATE \"C\" DESC", "c.start_time, c.id COLLATE \"C\""]
    PREFIX_ORDERS = [("c.start_time", "start_time"), ("c.start_time DESC", "start_time"),
                     ("c.end_time DESC", "end_time"), ("c.type", "type")]

    def query(self):
        rnd = self.rnd
        self.edge = False
        npred = rnd.choice([0, 1, 1, 2, 2, 2, 3, 3, 4])
        preds = [self.pred() for _ in range(npred)]
        join = rnd.random() < 0.08
        sel = "c.*" if rnd.random() < 0.8 else "c.id, c.name, c.start_time, c.end_time, c.type"
        frm = "{t} c"
        if join:
            frm = "dt.crm a JOIN {t} c ON c.metadata->>'customerId' = a.customer_id"
            sel = "a.tier, " + sel
            if rnd.random() < 0.5:
                preds.append("a.tier = 'enterprise'")
        sql = "SELECT %s FROM %s" % (sel, frm)
        if preds:
            sql += " WHERE " + " AND ".join(preds)
        r = rnd.random()
        ordered, key = False, None
        if r < 0.45:
            sql += " ORDER BY " + self.pick(self.TOTAL_ORDERS)
            if join:
                sql += ", a.tier"    # a customer may appear under two tiers
            ordered = True
            r2 = rnd.random()
            if r2 < 0.6:
                sql += " LIMIT %d" % self.pick([0, 1, 2, 3, 5, 7, 10, 10, 20, 25, 150, 1500])
            if r2 < 0.3 or 0.8 < r2 < 0.9:
                sql += " OFFSET %d" % self.pick([0, 1, 3, 10, 24, 40, 300, 999, 1200])
        elif r < 0.6:
            o, key = self.pick(self.PREFIX_ORDERS)
            sql += " ORDER BY " + o
        # the session time zone (timestamp/date literals, now(), output)
        r = rnd.random()
        tz = "UTC" if r < 0.8 else "America/St_Johns" if r < 0.9 else "Asia/Kathmandu"
        return sql, ordered, key, tz, self.edge


def render(seed, count):
    g = Gen(seed)
    out = ["%s (python3 test/gen_differential.py --seed %d --count %d --write)"
           % (BEGIN_MARK, seed, count),
           "INSERT INTO dt.battery (kind, q, ordered, key, tz, ftables) VALUES"]
    rows = []
    for _ in range(count):
        sql, ordered, key, tz, edge = g.query()
        # queries with times the API cannot express run on dt.conv_paged only
        # (see sql/differential.sql: the transfer figures of dt.conv)
        ftables = "'{dt.conv_paged}'" if edge else "DEFAULT"
        rows.append("('gen', %s, %s, %s, %s, %s)" % (q(sql), "true" if ordered else "false",
                                                    q(key) if key else "NULL", q(tz), ftables))
    out.append(",\n".join(rows) + ";")
    out.append(END_MARK)
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=20260115)
    ap.add_argument("--count", type=int, default=400)
    ap.add_argument("--write", action="store_true",
                    help="replace the GENERATED block of sql/differential.sql")
    args = ap.parse_args()
    text = render(args.seed, args.count)
    if not args.write:
        sys.stdout.write(text)
        return 0
    path = os.path.join(ROOT, "sql", "differential.sql")
    with open(path, encoding="utf-8") as fh:
        src = fh.read()
    b = src.index(BEGIN_MARK)
    e = src.index(END_MARK, b) + len(END_MARK) + 1
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(src[:b] + text + src[e:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
