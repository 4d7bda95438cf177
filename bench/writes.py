#!/usr/bin/env python3
"""symbl_fdw benchmark of the writes (bash bench/run.sh --writes).  Run by
bench/inner.sh inside the throwaway cluster, with the hosted emulator
(50 ms per answer) started; standard library only.

The issue's row-by-row statement, over exactly CONVERSATIONS conversations
of a local CRM table:
(a) the FDW with max_concurrent_requests at its default;
(b) the same statement with max_concurrent_requests '1' (one write at a
    time, as the row-by-row path did before writes were pipelined);
(c) the same PUTs (same bodies) one after another by one curl process;
(d) a direct modification of the same conversations, for comparison.
Every run writes into an emulator state of its own, dropped before the run,
so each starts from the dataset; the emulator's log must show exactly one
PUT per conversation, all answered 200, and the state what was meant.
Results: bench/out/writes.json and README.md's section between
<!-- bench-writes:start --> and <!-- bench-writes:end -->.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import time

from benchlib import (run_line, OUT, ROOT, commit, create_symbl_schemas, curl_token, elapsed_s, explain, fmt_ms,
                      http, log, machine, nodes, plan_shape, process_cpu, psql, reset_state, reset_tag,
                      sqlstr, tag_log, update_readme, utc_now)

HOSTED = os.environ["BENCH_HOSTED_URL"]
EMU_PID = int(os.environ.get("BENCH_HOSTED_PID", "0"))
N = int(os.environ["BENCH_N"])
LATENCY_MS = int(os.environ["BENCH_LATENCY_MS"])
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
ARGS = os.environ.get("BENCH_ARGS", "")
CONVERSATIONS = 200

CRM_UPDATE = ("UPDATE %s.conversations c\n"
              "SET metadata = c.metadata || jsonb_build_object('customerId', a.customer_id)\n"
              "FROM crm_calls a WHERE a.conversation_id = c.id")
DIRECT_UPDATE = ("UPDATE %s.conversations SET metadata = metadata || '{\"k\":\"v\"}'\n"
                 "WHERE id = ANY (%s)")

# one emulator tag and write state per figure (the state named after it)
SCHEMAS = {"warm": "writes_warm", "a": "writes_fdw", "b": "writes_one", "d": "writes_direct"}
CURL_TAG = "writes_curl"


def default_concurrency():
    """max_concurrent_requests' default, as src/option.c declares it."""
    with open(os.path.join(ROOT, "src", "option.c")) as f:
        m = re.search(r"SERVER_INT\(max_concurrent_requests,\s*\d+,\s*\d+,\s*(\d+)\)", f.read())
    return int(m.group(1)) if m else None


def prefix(tag):
    return "%s/_x/tag=%s,state=%s" % (HOSTED, tag, tag)


def fresh(tag):
    """The tag's log cleared and its state dropped: the run starts from the dataset."""
    reset_tag(HOSTED, tag)
    reset_state(HOSTED, tag)


def emu_cpu():
    return process_cpu(EMU_PID)


def dataset(state=None):
    url = HOSTED + "/_control/dataset?format=jsonl" + ("&state=" + state if state else "")
    return [json.loads(l) for l in http("GET", url).decode("utf-8").split("\n") if l.strip()]


# ---------------------------------------------------------------- set-up

def setup():
    create_symbl_schemas([(schema, prefix(schema), {"updatable": "true"} if key != "b" else
                           {"updatable": "true", "max_concurrent_requests": "1"})
                          for key, schema in SCHEMAS.items()])


def pick_calls():
    """CONVERSATIONS conversations spread evenly over the dataset, among those
    whose metadata is an object (NULL || jsonb would be NULL, which the API
    cannot store), each with a customer id: [(id, metadata, customer id)]."""
    rows = [r for r in dataset() if isinstance(r.get("metadata"), dict)]
    step = len(rows) // CONVERSATIONS
    if step < 1:
        sys.exit("only %d conversations with metadata; %d needed" % (len(rows), CONVERSATIONS))
    return [(r["id"], r["metadata"], "crm-%04d" % (i + 1))
            for i, r in enumerate(rows[::step][:CONVERSATIONS])]


def create_crm_table(calls):
    values = ",\n".join("(%s, %s)" % (sqlstr(cid), sqlstr(cust)) for cid, _, cust in calls)
    psql("DROP TABLE IF EXISTS crm_calls",
         "CREATE TABLE crm_calls (conversation_id text, customer_id text)",
         "INSERT INTO crm_calls VALUES\n" + values,
         "ANALYZE crm_calls")


# ---------------------------------------------------------------- checks

def check_run(tag, label, expected):
    """The emulator's log of tag holds exactly one PUT per conversation of
    expected, all answered 200, and its state stores expected's metadata.
    Returns the log's counts."""
    records = tag_log(HOSTED, tag)
    puts = [r for r in records if r["method"] == "PUT"]
    bad = [r for r in puts if r["status"] != 200]
    ids = sorted(r["conversation_id"] for r in puts)
    if len(puts) != len(expected) or bad or ids != sorted(expected):
        sys.exit("%s: %d PUTs (%d not 200: %s) for %d conversations (%d distinct ids sent)"
                 % (label, len(puts), len(bad), [(r["conversation_id"], r["status"]) for r in bad[:5]],
                    len(expected), len(set(ids))))
    stored = {r["id"]: r.get("metadata") for r in dataset(tag) if r["id"] in expected}
    wrong = [cid for cid, meta in expected.items() if stored.get(cid) != meta]
    if wrong:
        sys.exit("%s: %d conversations store other metadata than meant, e.g. %s: %s, not %s"
                 % (label, len(wrong), wrong[0], stored.get(wrong[0]), expected[wrong[0]]))
    reads = [r for r in records if r["method"] == "GET" and r["path"] == "/v1/conversations"]
    by_id = [r for r in records if r["method"] == "GET" and re.fullmatch(r"/v1/conversations/[^/]+", r["path"])]
    return {"puts": len(puts), "puts_200": len(puts) - len(bad), "reads": len(reads),
            "reads_without_rows": sum(1 for r in reads if not r.get("rows")),
            "reads_by_id": len(by_id),
            "tokens": sum(1 for r in records if r["path"] == "/oauth2/token:generate")}


def symbl_counters(plan):
    """Every node's Symbl counters (EXPLAIN ANALYZE), by node."""
    return [dict({k: v for k, v in n.items() if k.startswith("Symbl ")}, node=plan_shape(n).split(" (")[0])
            for n in nodes(plan) if any(k.startswith("Symbl ") for k in n)]


def read_ms(plan):
    """How long the scan of conversations below the update took to read
    every row (its Actual Total Time); None for a direct modification."""
    for n in nodes(plan):
        if n["Node Type"] == "Foreign Scan" and n.get("Operation", "Select") == "Select":
            return n["Actual Total Time"]
    return None


# ---------------------------------------------------------------- figures

def fdw_update(key, statement, expected, runs, label):
    """statement(schema) in the figure's schema, EXPLAIN ANALYZEd in a new
    session per run."""
    schema = SCHEMAS[key]
    q = statement(schema)
    res = {"runs": []}
    for i in range(runs):
        fresh(schema)
        c0 = emu_cpu()
        t0 = time.perf_counter()
        ms, plan = explain(q, timing=True)
        wall = (time.perf_counter() - t0) * 1000
        c1 = emu_cpu()
        run = {"ms": ms, "psql_wall_ms": wall, "read_ms": read_ms(plan), "emulator_cpu_s": c1 - c0,
               "plan": plan_shape(plan), "stats": symbl_counters(plan)}
        run.update(check_run(schema, label, expected))
        res["runs"].append(run)
        log("%s run %d: %.0f ms (read %s), %d PUTs all 200, %d read requests, plan %s"
            % (label, i + 1, ms, "%.0f ms" % run["read_ms"] if run["read_ms"] is not None else "in the node",
               run["puts"], run["reads"], run["plan"]))
    res["ms"] = statistics.median(r["ms"] for r in res["runs"])
    reads = [r["read_ms"] for r in res["runs"] if r["read_ms"] is not None]
    res["read_ms"] = statistics.median(reads) if reads else None
    res["plan"] = res["runs"][0]["plan"]
    res["verbose"] = [l.rstrip().replace(schema + ".", "symbl.")
                      for l in psql("EXPLAIN (VERBOSE, COSTS OFF) " + q).splitlines()
                      if "Symbl " in l or "Scan" in l or "Join" in l or "Update" in l or "Loop" in l]
    return res


def cfg_quote(s):
    """A string in a curl config file's double quotes."""
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def curl_config(calls, token):
    """One PUT per conversation, each with its own options (curl's `next`
    resets them), all in one curl process."""
    cfg = os.path.join(OUT, "writes-curl.cfg")
    with open(cfg, "w", encoding="utf-8") as f:
        for i, (cid, meta, cust) in enumerate(calls):
            body = json.dumps({"metadata": dict(meta, customerId=cust)}, ensure_ascii=False,
                              separators=(",", ":"))
            f.write("%surl = %s\nrequest = \"PUT\"\nheader = %s\n"
                    "header = \"Content-Type: application/json\"\ndata-binary = %s\n"
                    "output = \"/dev/null\"\nwrite-out = \"%%{http_code} %%{num_connects}\\n\"\n"
                    % ("next\n" if i else "",
                       cfg_quote("%s/v1/conversations/%s" % (prefix(CURL_TAG), cid)),
                       cfg_quote("Authorization: Bearer " + token), cfg_quote(body)))
    return cfg


def curl_sequential(calls, expected, runs, label):
    """The same PUTs one after another: one curl process, one keep-alive
    connection, the token POST included in the time."""
    res = {"requests": len(calls), "runs": []}
    for i in range(runs):
        fresh(CURL_TAG)
        c0 = emu_cpu()
        t0 = time.perf_counter()
        cfg = curl_config(calls, curl_token(prefix(CURL_TAG)))
        p = subprocess.run(["curl", "-sS", "-K", cfg], capture_output=True, text=True)
        ms = (time.perf_counter() - t0) * 1000
        c1 = emu_cpu()
        os.unlink(cfg)                          # it holds a token
        if p.returncode != 0:
            sys.exit("curl failed (%d): %s" % (p.returncode, p.stderr))
        lines = [l.split() for l in p.stdout.splitlines()]
        run = {"ms": ms, "connections": sum(int(l[1]) for l in lines), "emulator_cpu_s": c1 - c0}
        run.update(check_run(CURL_TAG, label, expected))
        res["runs"].append(run)
        log("%s run %d: %.0f ms, %d PUTs all 200 over %d connection(s)"
            % (label, i + 1, ms, run["puts"], run["connections"]))
    res["ms"] = statistics.median(r["ms"] for r in res["runs"])
    return res


# ---------------------------------------------------------------- report

def ecpu(x):
    return "%.2f s" % statistics.median(r["emulator_cpu_s"] for r in x["runs"])


def report_text(r):
    a, b, c, d = r["a_fdw"], r["b_fdw_one"], r["c_curl"], r["d_direct"]
    conc = r["default_concurrency"]
    L = []
    L.append(run_line(r, ARGS))
    L.append("")
    L.append("The bundled emulator with %s conversations, every answer %d ms late (the hosted "
             "regime), clock frozen at its anchor. `crm_calls` is a local table of %d conversation "
             "ids spread over the dataset (among those with metadata: `NULL || jsonb` is NULL, "
             "which the API cannot store), each with a customer id. Every run "
             "writes into an emulator state of its own, dropped before the run, so each starts "
             "from the dataset; each run's log must hold exactly %d PUTs, all answered 200, and "
             "the state the metadata meant. Times are the median of %d run%s: "
             "`EXPLAIN (ANALYZE, FORMAT JSON)` `Execution Time` in a new session (token request "
             "and reading the table included), curl wall-clock around the token POST and one curl "
             "process over one keep-alive connection."
             % ("{:,}".format(N), LATENCY_MS, CONVERSATIONS, CONVERSATIONS, RUNS, "" if RUNS == 1 else "s"))
    L.append("")
    L.append("```sql\n%s;\n```" % r["statement"])
    L.append("")
    L.append("| figure | time | of it, reading the table | PUTs (answered 200) | list requests (without rows) | GETs by id | emulator CPU |")
    L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, x in (("(a) FDW, `max_concurrent_requests` %s (default)" % conc, a),
                    ("(b) FDW, `max_concurrent_requests` 1 (one write at a time)", b)):
        x0 = x["runs"][0]
        L.append("| %s | %s | %s | %d (%d) | %d (%d) | %d | %s |"
                 % (name, fmt_ms(x["ms"]), fmt_ms(x["read_ms"]), x0["puts"], x0["puts_200"], x0["reads"],
                    x0["reads_without_rows"], x0["reads_by_id"], ecpu(x)))
    c0 = c["runs"][0]
    L.append("| (c) the same %d PUTs one after another, curl | %s | – | %d (%d) | – | – | %s |"
             % (c["requests"], fmt_ms(c["ms"]), c0["puts"], c0["puts_200"], ecpu(c)))
    d0 = d["runs"][0]
    L.append("| (d) FDW, direct modification (below), `max_concurrent_requests` %s | %s | – | %d (%d) | %d (%d) | %d | %s |"
             % (conc, fmt_ms(d["ms"]), d0["puts"], d0["puts_200"], d0["reads"], d0["reads_without_rows"],
                d0["reads_by_id"], ecpu(d)))
    L.append("")
    L.append("Plan of (a) and (b): `%s`. (d) is `%s`:" % (a["plan"], d["plan"]))
    L.append("")
    L.append("```sql\n%s;\n```" % r["direct_statement"])
    L.append("")
    L.append("(d) names its conversations by id, so it reads them with `GET /v1/conversations/{id}` "
             "(documented and exact, up to `max_concurrent_requests` at a time): %d GETs by id and "
             "%d list requests for %d conversations, not a read of the whole account; every "
             "condition is rechecked on the rows read before a PUT goes out."
             % (d0["reads_by_id"], d0["reads"], CONVERSATIONS))
    L.append("")
    L.append("| ratio | value |")
    L.append("| --- | ---: |")
    L.append("| (a) ÷ (c): FDW ÷ sequential curl | %.3f |" % r["ratio_a_c"])
    L.append("| (a) ÷ (b): default concurrency ÷ one write at a time | %.3f |" % r["ratio_a_b"])
    L.append("| the same, the writes alone (time less reading the table) | %.3f (1 ÷ %s = %.3f) |"
             % (r["ratio_a_b_writes"], conc, 1 / conc))
    L.append("| (d) ÷ (c): direct modification ÷ sequential curl | %.3f |" % r["ratio_d_c"])
    if r["ratio_a_b"] > 0.5:
        L.append("")
        L.append("**(a) is not clearly faster than (b)**: with %s writes in flight it should take "
                 "about 1 ÷ %s of (b)'s writing time." % (conc, conc))
    return "\n".join(L)


def main():
    os.makedirs(OUT, exist_ok=True)
    log("writes: %d of %d conversations, %d runs per figure" % (CONVERSATIONS, N, RUNS))
    setup()
    r = {"date": utc_now(), "dataset_conversations": N, "conversations": CONVERSATIONS,
         "latency_ms": LATENCY_MS, "runs": RUNS, "machine": machine(), "commit": commit(),
         "default_concurrency": default_concurrency()}
    if r["default_concurrency"] is None:
        sys.exit("no default of max_concurrent_requests in src/option.c")
    calls = pick_calls()
    create_crm_table(calls)
    ids_literal = sqlstr("{" + ",".join(cid for cid, _, _ in calls) + "}") + "::text[]"
    crm = {cid: dict(meta, customerId=cust) for cid, meta, cust in calls}
    kv = {cid: dict(meta, k="v") for cid, meta, _ in calls}
    # the emulator sorts the list's window once and caches its pages: warm up
    fresh(SCHEMAS["warm"])
    t0 = time.perf_counter()
    psql(CRM_UPDATE % SCHEMAS["warm"])
    log("warm-up: %.1f s" % (time.perf_counter() - t0))
    r["statement"] = CRM_UPDATE % "symbl"
    r["a_fdw"] = fdw_update("a", lambda s: CRM_UPDATE % s, crm, RUNS, "(a) FDW default concurrency")
    r["b_fdw_one"] = fdw_update("b", lambda s: CRM_UPDATE % s, crm, RUNS, "(b) FDW one write at a time")
    r["c_curl"] = curl_sequential(calls, crm, RUNS, "(c) curl sequential")
    r["direct_statement"] = DIRECT_UPDATE % ("symbl", "'{…the same %d ids…}'::text[]" % CONVERSATIONS)
    r["d_direct"] = fdw_update("d", lambda s: DIRECT_UPDATE % (s, ids_literal), kv, RUNS,
                               "(d) FDW direct modification")
    a, b = r["a_fdw"], r["b_fdw_one"]
    r["ratio_a_c"] = a["ms"] / r["c_curl"]["ms"]
    r["ratio_a_b"] = a["ms"] / b["ms"]
    r["ratio_a_b_writes"] = (a["ms"] - a["read_ms"]) / (b["ms"] - b["read_ms"])
    r["ratio_d_c"] = r["d_direct"]["ms"] / r["c_curl"]["ms"]
    r["elapsed_s"] = elapsed_s()
    text = report_text(r)
    r["report_markdown"] = text
    with open(os.path.join(OUT, "writes.json"), "w") as f:
        json.dump(r, f, indent=2, ensure_ascii=False)
    update_readme("bench-writes", "Benchmark of the writes", "bash bench/run.sh --writes", text)
    print()
    print("symbl_fdw benchmark of the writes (%d conversations, %d ms per answer)" % (CONVERSATIONS, LATENCY_MS))
    print("  (a) FDW, %s in flight   %10s  (read %s)" % (r["default_concurrency"], fmt_ms(a["ms"]), fmt_ms(a["read_ms"])))
    print("  (b) FDW, 1 in flight    %10s  (read %s)" % (fmt_ms(b["ms"]), fmt_ms(b["read_ms"])))
    print("  (c) curl sequential     %10s" % fmt_ms(r["c_curl"]["ms"]))
    print("  (d) direct modification %10s" % fmt_ms(r["d_direct"]["ms"]))
    print("  a/c %.3f  a/b %.3f (writes alone %.3f)  d/c %.3f"
          % (r["ratio_a_c"], r["ratio_a_b"], r["ratio_a_b_writes"], r["ratio_d_c"]))
    if r["ratio_a_b"] > 0.5:
        print("  NOTE: (a) is not clearly faster than (b)")
    print("results: bench/out/writes.json; README.md section updated")


if __name__ == "__main__":
    main()
