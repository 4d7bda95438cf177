#!/usr/bin/env python3
"""A randomized differential test of UPDATE and DELETE through symbl_fdw.

Runs a seeded random sequence of transactions (BEGIN ... COMMIT or
ROLLBACK, with savepoints) of UPDATE and DELETE statements on a foreign
table over the emulator (joins to a local CRM table, RETURNING, injected
500s and 429s, 1 to 6 requests in flight), and the same statements on a
local copy of the emulator's dataset.

Writes to Symbl are not transactional: each foreign statement's effect is
applied to the local copy at once, in another session, as it was applied
-- for a statement that failed, exactly the rows its writes reached (the
emulator's request log, one tag per statement), which must also be the ids
its error's DETAIL lists.  Checked:
  - RETURNING of each statement that succeeded equals the local one's;
  - a failed statement's DETAIL names exactly the rows applied;
  - the row count each statement that succeeded reports (its command
    tag) is the number of rows its writes reached;
  - after each transaction, the foreign table equals the local copy.

Needs psql (PGHOST/PGPORT/PGDATABASE as for psql), curl-less HTTP to the
emulator (SYMBL_EMULATOR_URL), superuser (COPY FROM PROGRAM is not used:
the copy is loaded through psql's stdin).  Prints one line; exits 1 on a
difference, with what differed.

    python3 test/writes_random.py --seed 1 [--transactions 20] [--verbose]
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import urllib.request

EMU = os.environ.get("SYMBL_EMULATOR_URL", "").rstrip("/")
LOCAL = "wr.local_conv"
FOREIGN = "wr.conv"
READER = "wr.conv_read"
CRM = "wr.crm"
LOCAL_M = "wr.local_members"
FOREIGN_M = "wr.members"
READER_M = "wr.members_read"
# the conversations whose members the statements rename
MEMBER_POOL = 30


def http(method, path):
    req = urllib.request.Request(EMU + path, method=method)
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.read().decode("utf-8")


def psql(script, check=True):
    """Runs a script in one session; returns (stdout, stderr)."""
    p = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=0",
                        "-v", "VERBOSITY=default", "-f", "-"],
                       input=script, capture_output=True, text=True)
    if check and (p.returncode != 0 or "ERROR:" in p.stderr):
        raise SystemExit("psql failed (%d): %s\n%s" % (p.returncode, p.stderr, script[:2000]))
    return p.stdout, p.stderr


def sql_literal(s):
    return "'" + s.replace("'", "''") + "'"


class Case:
    """The random statements, and the state the model needs."""

    def __init__(self, seed, ids, customers, pool):
        self.rng = random.Random(seed)
        self.ids = ids
        self.customers = customers
        self.pool = pool
        self.n = 0

    def pred(self, alias):
        r = self.rng
        col = (alias + ".") if alias else ""
        kind = r.randrange(6)
        if kind == 0:
            return "%smetadata->>'customerId' = %s" % (col, sql_literal(r.choice(self.customers)))
        if kind == 1:
            pick = r.sample(self.ids, r.randint(1, 12))
            return "%sid IN (%s)" % (col, ", ".join(sql_literal(i) for i in pick))
        if kind == 2:
            day = r.randint(1, 700)
            return ("%sstart_time BETWEEN timestamptz '2026-01-15 12:00Z' - interval '%d days'"
                    " AND timestamptz '2026-01-15 12:00Z' - interval '%d days'"
                    % (col, day + r.randint(1, 6), day))
        if kind == 3:
            return "%sname LIKE %s AND %smetadata->>'region' = %s" % (
                col, sql_literal("%" + r.choice("aeiou") + r.choice("nrst") + "%"),
                col, sql_literal(r.choice(["us-east-1", "eu-central-1", "sa-east-1"])))
        if kind == 4:
            return "%smetadata->>'agentId' = %s" % (col, sql_literal("agent-%02d" % r.randint(1, 40)))
        return "%sid = %s" % (col, sql_literal(r.choice(self.ids)))

    def statement(self):
        """(kind, text with {T} for the table, has_returning)"""
        r = self.rng
        self.n += 1
        tag = "v%d" % self.n
        returning = r.random() < 0.4
        kind = r.randrange(9)
        if kind == 8:
            # members, row by row: a rename (and a new email)
            convs = ", ".join(sql_literal(i) for i in r.sample(self.pool, r.randint(1, 4)))
            if r.random() < 0.5:
                text = ("UPDATE {M} SET name = name || ' ~%s' WHERE conversation_id IN (%s)" % (tag, convs))
            else:
                text = ("UPDATE {M} SET name = 'N%s', email = '%s@example.com' WHERE conversation_id IN (%s)"
                        " AND name LIKE %s" % (tag, tag, convs, sql_literal("%" + r.choice("aeiou") + "%")))
            return text + (" RETURNING conversation_id, id, name, email" if returning else ""), returning
        if kind == 0:
            text = ("UPDATE {T} SET metadata = metadata || jsonb_build_object('k%d', '%s') WHERE %s"
                    % (r.randint(1, 5), tag, self.pred("")))
            ret = " RETURNING id, metadata"
        elif kind == 1:
            text = ("UPDATE {T} SET metadata = metadata - %s WHERE %s"
                    % (sql_literal(r.choice(["agentId", "region", "k1", "k2"])), self.pred("")))
            ret = " RETURNING id, metadata->>'customerId'"
        elif kind == 2:
            text = ("UPDATE {T} c SET metadata = c.metadata || jsonb_build_object('customerId', a.customer_id, 'seen', '%s')"
                    " FROM %s a WHERE a.conversation_id = c.id AND a.customer_id LIKE %s"
                    % (tag, CRM, sql_literal("crm-%d%%" % r.randint(0, 9))))
            ret = " RETURNING c.id, c.metadata, a.customer_id"
        elif kind == 3:
            text = "DELETE FROM {T} WHERE %s" % self.pred("")
            ret = " RETURNING id, name, metadata"
        elif kind == 4:
            text = ("DELETE FROM {T} c USING %s a WHERE a.conversation_id = c.id AND a.customer_id LIKE %s"
                    % (CRM, sql_literal("crm-%d%%" % r.randint(0, 9))))
            ret = " RETURNING c.id, a.customer_id"
        elif kind == 5:
            text = ("UPDATE {T} SET metadata = jsonb_build_object('only', '%s') WHERE %s"
                    % (tag, self.pred("")))
            ret = " RETURNING id, metadata"
        elif kind == 6:
            # row by row (a join), every row the scan reads is deleted: a
            # scan that paged while deleting would skip rows
            text = ("DELETE FROM {T} c USING %s a WHERE a.conversation_id = 'unknown-%d' AND %s"
                    % (CRM, r.randrange(10), self.pred("c")))
            ret = " RETURNING c.id"
        else:
            # row by row, every row read leaves the filter the scan sent
            text = ("UPDATE {T} c SET metadata = (c.metadata - 'customerId') || jsonb_build_object('was', a.customer_id)"
                    " FROM %s a WHERE a.conversation_id = 'unknown-%d' AND c.metadata->>'customerId' = %s"
                    % (CRM, r.randrange(10), sql_literal(r.choice(self.customers))))
            ret = " RETURNING c.id, c.metadata"
        return text + (ret if returning else ""), returning

    def fault(self):
        """The /_x/ spec of a statement's faults (may be none), retries."""
        r = self.rng
        k = r.random()
        if k < 0.55:
            return "", 3
        if k < 0.75:
            # 429s the retries get past
            return "status=429,retry_after=0,after=%d,count=%d" % (r.randint(1, 6), r.randint(1, 2)), 3
        # 500s that outlast the retries: the statement fails part-way
        return "status=500,after=%d,count=%d" % (r.randint(1, 8), r.randint(2, 40)), r.randint(0, 1)


def setup(seed, state):
    http("POST", "/_control/reset-state?state=" + state)
    script = """
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS wr CASCADE;
DROP SERVER IF EXISTS wr_srv CASCADE;
DROP SERVER IF EXISTS wr_read_srv CASCADE;
CREATE SCHEMA wr;
CREATE SERVER wr_srv FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url '{emu}/_x/tag=wr_{seed},state={state}', updatable 'true');
CREATE USER MAPPING FOR CURRENT_USER SERVER wr_srv OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE SERVER wr_read_srv FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url '{emu}/_x/tag=wr_{seed}_read,state={state}');
CREATE USER MAPPING FOR CURRENT_USER SERVER wr_read_srv OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE {F} (id text, type text, name text, start_time timestamptz, end_time timestamptz, members jsonb, metadata jsonb) SERVER wr_srv;
CREATE FOREIGN TABLE {R} (id text, metadata jsonb) SERVER wr_read_srv;
CREATE TABLE {L} (id text, type text, name text, start_time timestamptz, end_time timestamptz, members jsonb, metadata jsonb);
CREATE TABLE {C} (conversation_id text PRIMARY KEY, customer_id text);
CREATE FOREIGN TABLE {FM} (conversation_id text, id text, name text, email text) SERVER wr_srv OPTIONS (resource 'members');
CREATE FOREIGN TABLE {RM} (conversation_id text, id text, name text, email text) SERVER wr_read_srv OPTIONS (resource 'members');
CREATE TABLE {LM} (conversation_id text, id text, name text, email text);
""".format(emu=EMU, seed=seed, state=state, F=FOREIGN, R=READER, L=LOCAL, C=CRM,
           FM=FOREIGN_M, RM=READER_M, LM=LOCAL_M)
    psql(script)
    # the local copy: the emulator's dataset as this state serves it
    csv = http("GET", "/_control/dataset?format=csv&state=" + state)
    psql("COPY %s FROM STDIN WITH (FORMAT csv);\n%s\\.\n" % (LOCAL, csv))
    out, _ = psql("SELECT id FROM %s ORDER BY id;\n"
                  "SELECT DISTINCT metadata->>'customerId' FROM %s WHERE metadata ? 'customerId' ORDER BY 1;"
                  % (LOCAL, LOCAL))
    lines = out.split()
    ids = [x for x in lines if not x.startswith("cust-")]
    customers = [x for x in lines if x.startswith("cust-")]
    # a CRM table: some conversations (and a few unknown ids)
    rng = random.Random(seed * 7919 + 1)
    rows = [(i, "crm-%d" % rng.randrange(100)) for i in rng.sample(ids, 150)]
    rows += [("unknown-%d" % k, "crm-%d" % k) for k in range(10)]
    psql("INSERT INTO %s VALUES %s;" % (CRM, ", ".join("(%s, %s)" % (sql_literal(a), sql_literal(b))
                                                          for a, b in rows)))
    # the members of a pool of conversations: the API's own items
    out, _ = psql("SELECT id FROM %s WHERE jsonb_typeof(members) = 'array' AND jsonb_array_length(members) > 0 "
                  "ORDER BY md5(id || '%d') LIMIT %d;" % (LOCAL, seed, MEMBER_POOL))
    pool = out.split()
    lines = http("GET", "/_control/parts?format=jsonl&part=members&state=%s&ids=%s"
                 % (state, ",".join(pool))).split("\n")
    values = []
    for line in lines:
        if line:
            rec = json.loads(line)
            item = rec["item"]
            values.append("(%s)" % ", ".join("NULL" if v is None else sql_literal(v) for v in
                                             (rec["conversation_id"], item.get("id"), item.get("name"),
                                              item.get("email"))))
    psql("INSERT INTO %s VALUES %s;" % (LOCAL_M, ", ".join(values)))
    return ids, customers, pool


def applied_ids(tag):
    """The rows the statement's writes reached: its tag's 200 answers."""
    out = http("GET", "/_control/log?format=jsonl&tag=" + tag)
    ids = []
    for line in out.splitlines():
        rec = json.loads(line)
        key = rec["conversation_id"]
        if rec.get("member_id"):
            key += "/" + rec["member_id"]
        if rec["method"] in ("PUT", "DELETE") and rec["status"] == 200 and key not in ids:
            ids.append(key)
    return ids


def detail_ids(err):
    """The ids an error's DETAIL lists as applied, None when capped."""
    m = re.search(r"No row of this statement was applied", err)
    if m:
        return []
    m = re.search(r"\d+ rows? of this statement (?:was|were) applied: (.*?)\.(?:\n|$| It happened)", err)
    if not m:
        return None
    text = m.group(1)
    if re.search(r" and \d+ more$", text):
        return None
    return [x.strip() for x in text.split(",")]


def table_rows(table):
    out, _ = psql("SELECT id || '|' || coalesce(metadata::text, 'NULL') FROM %s ORDER BY id;" % table)
    return out.splitlines()


def member_rows(table, pool):
    out, _ = psql("SELECT conversation_id || '/' || id || '|' || coalesce(name, 'NULL') || '|' || "
                  "coalesce(email, 'NULL') FROM %s WHERE conversation_id IN (%s) ORDER BY 1;"
                  % (table, ", ".join(sql_literal(i) for i in pool)))
    return out.splitlines()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--transactions", type=int, default=20)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    if not EMU:
        raise SystemExit("SYMBL_EMULATOR_URL is not set")
    state = "wr_state_%d" % args.seed
    ids, customers, pool = setup(args.seed, state)
    case = Case(args.seed, ids, customers, pool)
    problems = []
    nstatements = 0
    nwrote = 0
    tmp = tempfile.mkdtemp(prefix="writes_random.")

    for t in range(args.transactions):
        rng = case.rng
        # the transaction: statements, savepoints, and how it ends
        plan = []
        in_block = rng.random() < 0.7
        if in_block:
            plan.append(("raw", "BEGIN;"))
        for s in range(rng.randint(1, 4)):
            if in_block and rng.random() < 0.25:
                plan.append(("raw", "SAVEPOINT sp%d;" % s))
                plan.append(("stmt",) + case.statement())
                plan.append(("raw", rng.choice(["ROLLBACK TO SAVEPOINT sp%d;", "RELEASE SAVEPOINT sp%d;"]) % s))
            else:
                plan.append(("stmt",) + case.statement())
        if in_block:
            plan.append(("raw", rng.choice(["COMMIT;", "ROLLBACK;"])))

        # the foreign side: one session, each statement with its own tag
        script = ["SET client_min_messages = error;"]
        stmts = []
        for item in plan:
            if item[0] == "raw":
                script.append(item[1])
                continue
            _, text, returning = item
            nstatements += 1
            k = len(stmts)
            tag = "wr_%d_t%d_s%d" % (args.seed, t, k)
            fault, retries = case.fault()
            conc = rng.randint(1, 6)
            page = rng.choice([7, 50, 1000])
            http("POST", "/_control/reset?tag=" + tag)
            base = "%s/_x/tag=%s,state=%s%s" % (EMU, tag, state, "," + fault if fault else "")
            script.append("ALTER SERVER wr_srv OPTIONS (SET base_url %s, ADD max_retries '%d', "
                          "ADD max_concurrent_requests '%d', ADD page_size '%d');"
                          % (sql_literal(base), retries, conc, page))
            out = os.path.join(tmp, "t%d_s%d.out" % (t, k))
            script.append("\\o %s" % out)
            # a marker line in stderr ties the error that follows to its statement
            script.append("\\warn @@stmt %d" % k)
            script.append(text.replace("{T}", FOREIGN).replace("{M}", FOREIGN_M) + ";")
            # the row count PostgreSQL reports (the command tag's)
            script.append("\\o %s.count" % out)
            script.append("\\qecho :ROW_COUNT")
            script.append("\\o")
            script.append("ALTER SERVER wr_srv OPTIONS (DROP max_retries, DROP max_concurrent_requests, "
                          "DROP page_size);")
            stmts.append({"text": text, "returning": returning, "tag": tag, "out": out,
                          "fault": fault, "conc": conc, "page": page})
        _, err = psql("\n".join(script) + "\n", check=False)
        errors = {}
        for chunk in err.split("@@stmt ")[1:]:
            k, _, rest = chunk.partition("\n")
            # the statement's own error: its first message, with its DETAIL
            first = re.split(r"\npsql:<stdin>:", "\n" + rest)[1:2]
            if first and "ERROR:" in first[0]:
                errors[int(k)] = first[0].strip()

        # the local side: the same statements, each on exactly the rows it reached
        for k, st in enumerate(stmts):
            applied = applied_ids(st["tag"])
            nwrote += 1 if applied else 0
            failed = k in errors and "current transaction is aborted" not in errors[k]
            if failed:
                listed = detail_ids(errors[k])
                if listed is not None and sorted(listed) != sorted(applied):
                    problems.append("t%d s%d: DETAIL lists %s, the API applied %s\n  %s\n  %s"
                                    % (t, k, listed, applied, st["text"], errors[k]))
                n = re.search(r"after (\d+) rows? of this statement", errors[k])
                if n and int(n.group(1)) != len(applied):
                    problems.append("t%d s%d: the error counts %s applied, the API applied %d: %s"
                                    % (t, k, n.group(1), len(applied), errors[k]))
            elif k in errors and applied:
                problems.append("t%d s%d: error %r, yet writes applied %s" % (t, k, errors[k], applied))
            local = st["text"].replace("{T}", LOCAL).replace("{M}", LOCAL_M)
            alias = "c." if re.search(r"\{T\} c ", st["text"]) else ""
            key = "conversation_id || '/' || id" if "{M}" in st["text"] else alias + "id"
            # the rows the statement would change on the local copy: all of
            # them must have been written if it succeeded, no other ever
            probe = re.sub(r" RETURNING .*$", "", local) + " RETURNING " + key
            pout, _ = psql("BEGIN;\n%s;\nROLLBACK;\n" % probe)
            would = sorted(set(pout.split()))
            if k not in errors:
                with open(st["out"] + ".count") as f:
                    count = int(f.read().strip() or "0")
                if count != len(applied):
                    problems.append("t%d s%d: the statement reported %d rows, it wrote %d\n  %s"
                                    % (t, k, count, len(applied), st["text"]))
            if not failed and k not in errors and would != sorted(applied):
                problems.append("t%d s%d: the statement should have written %d rows, it wrote %d: "
                                "missing %s, extra %s\n  %s"
                                % (t, k, len(would), len(applied), sorted(set(would) - set(applied))[:5],
                                   sorted(set(applied) - set(would))[:5], st["text"]))
            elif not set(applied) <= set(would):
                problems.append("t%d s%d: wrote rows it should not have: %s\n  %s"
                                % (t, k, sorted(set(applied) - set(would))[:5], st["text"]))
            restrict = "(%s) = ANY (ARRAY[%s]::text[])" % (key, ", ".join(sql_literal(i) for i in applied))
            local = re.sub(r" WHERE ", " WHERE " + restrict + " AND ", local, count=1)
            # (a deleted conversation takes its members with it)
            lout, lerr = psql("SET client_min_messages = error;\n" + local + ";\n"
                              "DELETE FROM %s WHERE conversation_id NOT IN (SELECT id FROM %s);\n"
                              % (LOCAL_M, LOCAL), check=False)
            if "ERROR" in lerr:
                problems.append("t%d s%d: the local statement failed: %s\n  %s" % (t, k, lerr.strip(), local))
            if st["returning"] and not (k in errors):
                with open(st["out"]) as f:
                    fout = f.read()
                if sorted(fout.splitlines()) != sorted(lout.splitlines()):
                    problems.append("t%d s%d: RETURNING differs\n  foreign: %s\n  local:   %s\n  %s"
                                    % (t, k, sorted(fout.splitlines()), sorted(lout.splitlines()), st["text"]))
            if args.verbose:
                print("t%d s%d conc=%d page=%d %s applied=%d%s: %s" % (t, k, st["conc"], st["page"], st["fault"] or "-",
                                                               len(applied), " ERROR" if k in errors else "",
                                                               st["text"][:100]))
        # after each transaction, the tables agree
        f_rows = table_rows(READER) + member_rows(READER_M, pool)
        l_rows = table_rows(LOCAL) + member_rows(LOCAL_M, pool)
        if f_rows != l_rows:
            fs, ls = set(f_rows), set(l_rows)
            problems.append("after transaction %d: the tables differ: only foreign %s, only local %s"
                            % (t, sorted(fs - ls)[:5], sorted(ls - fs)[:5]))
            break

    if not os.environ.get("WRITES_RANDOM_KEEP"):
        psql("SET client_min_messages = warning;\nDROP SCHEMA wr CASCADE;\n"
             "DROP SERVER wr_srv CASCADE;\nDROP SERVER wr_read_srv CASCADE;\n")
    http("POST", "/_control/reset-state?state=" + state)
    # a run whose statements all fail (writes off, say) would prove nothing
    if nwrote < nstatements // 3:
        problems.append("only %d of %d statements wrote anything" % (nwrote, nstatements))
    if problems:
        print("writes_random seed %d: %d differences" % (args.seed, len(problems)))
        for p in problems:
            print(p)
        sys.exit(1)
    print("writes_random seed %d: %d statements in %d transactions, the foreign table equals "
          "its local copy after each" % (args.seed, nstatements, args.transactions))


if __name__ == "__main__":
    main()
