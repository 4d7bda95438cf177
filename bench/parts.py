#!/usr/bin/env python3
"""symbl_fdw benchmark of the part tables (bash bench/run.sh --parts).  Run
by bench/inner.sh inside the throwaway cluster, with two emulators started
(hosted: 50 ms per answer; loopback: none); standard library only.

(h) the join of issue 11 over the 200 most recent conversations, hosted:
    the FDW's EXPLAIN ANALYZE Execution Time in a new session, against the
    same requests (the list, then each conversation's action items, from
    the emulator's log) sent one after another by one curl process.
(m) a backend's peak memory (VmHWM) reading every column of the messages
    of 2,000 conversations against 200 (and, once, of all of them), the ids
    given as a parameter (= ANY($1)), jit off, loopback.
Results: bench/out/parts.json, bench/chart-parts.png, and README.md's
section between <!-- bench-parts:start --> and <!-- bench-parts:end -->.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import time

from benchlib import (run_line, BENCH, OUT, ROOT, commit, create_symbl_schemas, curl_token, elapsed_s, explain, fmt_ms, http,
                      log, machine, nodes, plan_shape, process_cpu, psql, reset_tag, sqlstr, tag_log,
                      update_readme, utc_now)

CHART = "chart-parts.png"

HOSTED = os.environ["BENCH_HOSTED_URL"]
LOOP = os.environ["BENCH_LOOP_URL"]
EMU_PID = {HOSTED: int(os.environ.get("BENCH_HOSTED_PID", "0")),
           LOOP: int(os.environ.get("BENCH_LOOP_PID", "0"))}
N = int(os.environ["BENCH_N"])
LATENCY_MS = int(os.environ["BENCH_LATENCY_MS"])
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
ARGS = os.environ.get("BENCH_ARGS", "")
JOIN_CONVERSATIONS = 200
MEMORY_SMALL, MEMORY_BIG = 200, 2000

JOIN_TARGET = 0.2
MEMORY_TARGET = 1.2


def api_gets(records):
    return [r for r in records if r["method"] == "GET" and r["path"].startswith("/v1/")]


def emu_cpu(base):
    """CPU seconds the emulator process serving base has used so far."""
    return process_cpu(EMU_PID.get(base, 0))


def symbl_stats(plan):
    """The Symbl counters of every foreign scan, by relation (or join)."""
    return [{k: v for k, v in n.items() if k.startswith("Symbl ") or k == "Relation Name"}
            for n in nodes(plan) if n["Node Type"] == "Foreign Scan"]


# ---------------------------------------------------------------- set-up

def setup():
    create_symbl_schemas((("parts_hosted", HOSTED + "/_x/tag=fdw_join"),
                          ("parts_warm", HOSTED + "/_x/tag=warmup"),
                          ("parts_mem", LOOP + "/_x/tag=fdw_mem")))


def join_window():
    """A start_time bound that exactly JOIN_CONVERSATIONS conversations pass:
    the lower bound below the 200 most recent, and an upper one only when
    the 200th and 201st most recent start at the same time."""
    raw = http("GET", HOSTED + "/_control/dataset?format=jsonl").decode("utf-8")
    starts = sorted((json.loads(l)["startTime"] for l in raw.split("\n") if l.strip()),
                    reverse=True)
    k = JOIN_CONVERSATIONS
    for i in range(len(starts) - k):
        if (i == 0 or starts[i - 1] > starts[i]) and starts[i + k - 1] > starts[i + k]:
            cond = "c.start_time > %s" % sqlstr(starts[i + k])
            if i > 0:
                cond += " AND c.start_time <= %s" % sqlstr(starts[i])
            return cond
    sys.exit("no window of exactly %d conversations" % k)


JOIN_QUERY = ("SELECT c.name, a.text, a.assignee_name\n"
              "FROM %s.conversations c\n"
              "JOIN %s.action_items a ON a.conversation_id = c.id\n"
              "WHERE %s")


def sequential_urls(gets):
    """The FDW's requests in the order a sequential client sends them: the
    list (up to its short page), then the parts in the order sent."""
    lists = [r for r in gets if r["path"] == "/v1/conversations" and r["status"] == 200]
    parts = [r for r in gets if r["path"] != "/v1/conversations"]
    urls = []
    for r in sorted(lists, key=lambda r: r["seq"]):
        urls.append(r["path"] + "?" + r["raw_query"])
        if r["rows"] < int(dict(r["params"]).get("limit", "20")):
            break
    for r in sorted(parts, key=lambda r: r["seq"]):
        urls.append(r["path"] + ("?" + r["raw_query"] if r["raw_query"] else ""))
    return urls


def fdw_join(window, runs):
    q = JOIN_QUERY % ("parts_hosted", "parts_hosted", window)
    res = {"query": JOIN_QUERY % ("symbl", "symbl", window), "runs": []}
    # the emulator builds a conversation's parts on first use: warm up
    t0 = time.perf_counter()
    psql("SELECT count(*) FROM (%s) j" % (JOIN_QUERY % ("parts_warm", "parts_warm", window)))
    log("warm-up join: %.1f s" % (time.perf_counter() - t0))
    urls = None
    for i in range(runs):
        reset_tag(HOSTED, "fdw_join")
        c0 = emu_cpu(HOSTED)
        ms, plan = explain(q)
        c1 = emu_cpu(HOSTED)
        gets = api_gets(tag_log(HOSTED, "fdw_join"))
        lists = [g for g in gets if g["path"] == "/v1/conversations"]
        parts = [g for g in gets if g["path"] != "/v1/conversations"]
        run = {"ms": ms, "rows": int(plan["Actual Rows"]), "requests": len(gets),
               "list_requests": len(lists), "part_requests": len(parts),
               "conversations": sum(g["rows"] or 0 for g in lists),
               "not_found": sum(1 for g in parts if g["status"] == 404),
               "emulator_cpu_s": c1 - c0, "plan": plan_shape(plan), "stats": symbl_stats(plan)}
        res["runs"].append(run)
        if urls is None:
            urls = sequential_urls(gets)
            res["accept_encoding"] = gets[0]["accept_encoding"] if gets else None
        log("(h) FDW join run %d: %.0f ms, %d rows, %d requests (%d list, %d parts), plan %s"
            % (i + 1, ms, run["rows"], len(gets), len(lists), len(parts), run["plan"]))
    res["ms"] = statistics.median(r["ms"] for r in res["runs"])
    res["plan"] = res["runs"][0]["plan"]
    res["verbose"] = [l.rstrip().replace("parts_hosted.", "symbl.")
                      for l in psql("EXPLAIN (VERBOSE, COSTS OFF) " + q).splitlines()
                      if "Symbl " in l or "Scan" in l or "Loop" in l or "Join" in l]
    return res, urls


def curl_sequential(paths, runs, accept_encoding):
    """The same requests one after another: one curl process, one keep-alive
    connection, bodies to /dev/null; gzip only if the FDW asked for it."""
    tag = "curl_join"
    prefix = "%s/_x/tag=%s" % (HOSTED, tag)
    gzip = "gzip" in (accept_encoding or "")
    cfg = os.path.join(OUT, "parts-curl.cfg")
    with open(cfg, "w") as f:
        for p in paths:
            f.write('url = "%s%s"\noutput = "/dev/null"\n' % (prefix, p))
    res = {"requests": len(paths), "compressed": gzip, "runs": []}
    for i in range(runs):
        reset_tag(HOSTED, tag)
        c0 = emu_cpu(HOSTED)
        t0 = time.perf_counter()
        token = curl_token(prefix)
        p = subprocess.run(["curl", "-sS"] + (["--compressed"] if gzip else []) +
                           ["-H", "Authorization: Bearer " + token,
                            "-w", "%{http_code} %{num_connects}\n", "-K", cfg],
                           capture_output=True, text=True)
        ms = (time.perf_counter() - t0) * 1000
        c1 = emu_cpu(HOSTED)
        if p.returncode != 0:
            sys.exit("curl failed (%d): %s" % (p.returncode, p.stderr))
        codes = [l.split()[0] for l in p.stdout.splitlines()]
        run = {"ms": ms, "requests": len(codes),
               "connections": sum(int(l.split()[1]) for l in p.stdout.splitlines()),
               "not_found": codes.count("404"),
               "other": sum(1 for c in codes if c not in ("200", "404")),
               "emulator_cpu_s": c1 - c0}
        res["runs"].append(run)
        log("(h) curl sequential run %d: %.0f ms, %d requests over %d connection(s), %d 404"
            % (i + 1, ms, run["requests"], run["connections"], run["not_found"]))
    res["ms"] = statistics.median(r["ms"] for r in res["runs"])
    return res


MESSAGES_AGG = ("count(*) AS n, sum(length(m.text)) AS chars, count(m.from_name) AS named, "
                "max(m.end_time) AS last_end, sum(m.duration) AS seconds, "
                "sum(jsonb_array_length(m.words)) AS words, count(m.sentiment) AS with_sentiment, "
                "sum(jsonb_array_length(m.phrases)) AS phrases")
# The ids are a parameter: the measure is of the part requests alone (the
# list of conversations has its own bounded pages, measured by bench.py).
MESSAGES_QUERY = "SELECT %s FROM parts_mem.messages m WHERE m.conversation_id = ANY ($1)"
IDS_QUERY = ("SELECT '{' || string_agg(id, ',' ORDER BY start_time DESC, id) || '}' FROM "
             "(SELECT id, start_time FROM parts_mem.conversations ORDER BY start_time DESC, id "
             "LIMIT %d) s")

MEM_SCRIPT = r"""
SET jit = off;
PREPARE messages_of(text[]) AS %s;
SELECT pg_backend_pid() AS pid \gset
\setenv BENCH_PID :pid
\! echo "BEFORE $(grep VmHWM /proc/$BENCH_PID/status)"
EXECUTE messages_of('%s');
\! echo "AFTER $(grep VmHWM /proc/$BENCH_PID/status)"
"""


def peak_memory(n, runs, warm=True):
    q = MESSAGES_QUERY % MESSAGES_AGG
    ids = psql(IDS_QUERY % n).strip()
    if warm:                                 # the emulator builds the parts once
        psql(stdin=MEM_SCRIPT % (q, ids))
    res = {"conversations": n, "query": q.replace("parts_mem.", "symbl."), "runs": []}
    for i in range(runs):
        reset_tag(LOOP, "fdw_mem")
        out = psql(stdin=MEM_SCRIPT % (q, ids))
        before = int(re.search(r"BEFORE VmHWM:\s+(\d+)", out).group(1))
        after = int(re.search(r"AFTER VmHWM:\s+(\d+)", out).group(1))
        rows = next(int(l.split("|")[0]) for l in out.splitlines() if "|" in l)
        gets = api_gets(tag_log(LOOP, "fdw_mem"))
        parts = [g for g in gets if g["path"] != "/v1/conversations"]
        run = {"vmhwm_before_kb": before, "vmhwm_kb": after, "messages": rows,
               "part_requests": len(parts)}
        res["runs"].append(run)
        log("(m) messages of %d conversations run %d: %d messages, %d requests, VmHWM %d kB (%d kB after connecting)"
            % (n, i + 1, rows, len(parts), after, before))
    res["vmhwm_kb"] = statistics.median(r["vmhwm_kb"] for r in res["runs"])
    res["vmhwm_before_kb"] = statistics.median(r["vmhwm_before_kb"] for r in res["runs"])
    res["messages"] = res["runs"][0]["messages"]
    res["part_requests"] = res["runs"][0]["part_requests"]
    return res


def body_bytes(n):
    """What the messages answers of the first n conversations weigh (the
    size of what the backend would hold if it kept them all)."""
    if n >= N:
        return len(http("GET", "%s/_control/parts?format=jsonl&part=messages&verbose=true"
                        "&sentiment=true&first=%d" % (LOOP, N)))
    ids = psql("SELECT string_agg(id, ',' ORDER BY start_time DESC, id) FROM (SELECT id, start_time "
               "FROM parts_mem.conversations ORDER BY start_time DESC, id LIMIT %d) s" % n).strip()
    raw = http("GET", "%s/_control/parts?format=jsonl&part=messages&verbose=true&sentiment=true&ids=%s"
               % (LOOP, ids))
    return len(raw)


# ---------------------------------------------------------------- report

def verdict(ok):
    return "pass" if ok else "FAIL"


def chart(r):
    h, c = r["join_fdw"], r["join_curl"]
    ms, mb, ma = r["memory_small"], r["memory_big"], r["memory_all"]
    data = os.path.join(OUT, "parts-chart.dat")
    with open(data, "w") as f:
        f.write("0 %.3f %d\n1 %.3f %d\n" % (h["ms"] / 1000, 0x1f77b4, c["ms"] / 1000, 0x1f77b4))
        f.write("\n\n")
        for i, x in enumerate((ms, mb, ma)):
            f.write("%d %.1f %d\n" % (i, x["vmhwm_kb"] / 1024, 0xff7f0e if i < 2 else 0xbbbbbb))
    png = os.path.join(BENCH, CHART)
    tmax = max(h["ms"], c["ms"]) / 1000
    mmax = max(ms["vmhwm_kb"], mb["vmhwm_kb"], ma["vmhwm_kb"]) / 1024
    lines = [
        'set terminal pngcairo size 1000,540 font "sans,10" noenhanced',
        "set bmargin 4",
        "set output '%s'" % png,
        "set multiplot layout 1,2 title \"symbl_fdw: the part tables (median of %d runs)\"" % RUNS,
        "set style fill solid 0.85 border -1",
        "set boxwidth 0.6",
        "set grid ytics",
        "unset key",
        "set xrange [-0.6:1.6]",
        # left: time
        'set title "conversations JOIN action_items, %d conversations, %d ms per answer\\n'
        'ratio FDW / curl %.3f (target <= %.1f)"' % (JOIN_CONVERSATIONS, LATENCY_MS, r["join_ratio"], JOIN_TARGET),
        'set ylabel "seconds"',
        "set yrange [0:%f]" % (tmax * 1.15),
        'set xtics nomirror ("FDW join" 0, "curl, %d requests\\none after another" 1)' % c["requests"],
    ]
    for i, v in enumerate((h["ms"] / 1000, c["ms"] / 1000)):
        lines.append('set label %d "%.2f s" at %d,%f center' % (i + 1, v, i, v + tmax * 0.04))
    lines += [
        "plot '%s' index 0 using 1:2:3 with boxes lc rgb variable" % data,
        "unset label",
        'set title "backend peak memory (VmHWM), messages of n conversations\\n'
        'ratio %s / %s: %.3f (target <= %.1f)"' % ("{:,}".format(MEMORY_BIG), "{:,}".format(MEMORY_SMALL),
                                                   r["memory_ratio"], MEMORY_TARGET),
        'set ylabel "MB"',
        "set yrange [0:%f]" % (mmax * 1.15),
        "set xrange [-0.6:2.6]",
        'set xtics nomirror ("%s conversations" 0, "%s conversations" 1, "all %s (1 run)" 2)'
        % ("{:,}".format(MEMORY_SMALL), "{:,}".format(MEMORY_BIG), "{:,}".format(N)),
    ]
    for i, v in enumerate((ms["vmhwm_kb"] / 1024, mb["vmhwm_kb"] / 1024, ma["vmhwm_kb"] / 1024)):
        lines.append('set label %d "%.1f MB" at %d,%f center' % (i + 1, v, i, v + mmax * 0.04))
    lines += ["plot '%s' index 1 using 1:2:3 with boxes lc rgb variable" % data, "unset multiplot"]
    gp = os.path.join(OUT, "parts-chart.gp")
    with open(gp, "w") as f:
        f.write("\n".join(lines) + "\n")
    subprocess.run(["gnuplot", gp], check=True)
    return png


def report_text(r):
    h, c = r["join_fdw"], r["join_curl"]
    ms, mb = r["memory_small"], r["memory_big"]
    h0 = h["runs"][0]
    L = []
    L.append(run_line(r, ARGS))
    L.append("")
    L.append("Dataset: the bundled emulator with %s conversations, clock frozen at its anchor. "
             "Times are the median of %d runs: EXPLAIN (ANALYZE, TIMING OFF) `Execution Time` in "
             "a new session (token request included), curl wall-clock around the token POST and "
             "one curl process over one keep-alive connection, after one unmeasured warm-up join "
             "(the emulator builds a conversation's parts on first use)."
             % ("{:,}".format(N), RUNS))
    L.append("")
    L.append("The join (hosted regime, every answer %d ms late), over the %d most recent "
             "conversations:" % (LATENCY_MS, JOIN_CONVERSATIONS))
    L.append("")
    L.append("```sql\n%s;\n```" % h["query"])
    L.append("")
    L.append("| figure | time | rows | requests | emulator CPU |")
    L.append("| --- | ---: | ---: | ---: | ---: |")
    L.append("| (h) FDW: `%s` | %s | %d | %d (%d list, %d action items, %d of them 404) | %.2f s |"
             % (h["plan"], fmt_ms(h["ms"]), h0["rows"], h0["requests"], h0["list_requests"],
                h0["part_requests"], h0["not_found"],
                statistics.median(x["emulator_cpu_s"] for x in h["runs"])))
    L.append("| (h) the same %d requests one after another, curl | %s | – | %d | %.2f s |"
             % (c["requests"], fmt_ms(c["ms"]), c["requests"],
                statistics.median(x["emulator_cpu_s"] for x in c["runs"])))
    L.append("")
    L.append("Peak memory of a backend (`VmHWM` after the query, a new session per run, loopback "
             "emulator) reading every column of `messages` (`words` and `sentiment` included, so "
             "each request carries `verbose=true&sentiment=true`):")
    L.append("")
    L.append("```sql\nPREPARE messages_of(text[]) AS\n%s;\nEXECUTE messages_of('{…}');  -- the ids of the n latest conversations\n```"
             % (MESSAGES_QUERY.replace("parts_mem.", "symbl.") % "…"))
    L.append("")
    L.append("The ids are a parameter, so that the figure is that of the part requests alone: a "
             "subquery such as `= ANY(ARRAY(SELECT id FROM symbl.conversations … LIMIT n))` adds "
             "the list's own pages (up to `page_size` conversations each, bounded as the "
             "conversations benchmark shows). The session runs with `jit = off`: a request is "
             "priced as a round trip (1,000), so a plan of a few hundred conversations passes "
             "`jit_above_cost`, and PostgreSQL then loads LLVM into the backend, about 50 MB once "
             "per backend and nothing to do with the answers (measured: 71 MB for `EXPLAIN` "
             "alone with 900 ids, 21 MB with 500). Where JIT is on, such a query pays that once; "
             "`SET jit = off` for sessions that read many conversations saves it, and compiling "
             "buys nothing for a scan that waits on the network.")
    L.append("")
    L.append("| conversations | messages | requests | the answers' JSON | VmHWM |")
    L.append("| ---: | ---: | ---: | ---: | ---: |")
    for x in (ms, mb, r["memory_all"]):
        L.append("| %s | %s | %s | %.1f MB | %.1f MB |"
                 % ("{:,}".format(x["conversations"]), "{:,}".format(x["messages"]),
                    "{:,}".format(x["part_requests"]), x["body_bytes"] / 1e6, x["vmhwm_kb"] / 1024))
    L.append("")
    L.append("A session's VmHWM right after connecting is %.1f MB. The last line (every "
             "conversation of the dataset, %d run%s) shows where the peak levels off."
             % (ms["vmhwm_before_kb"] / 1024, len(r["memory_all"]["runs"]),
                "" if len(r["memory_all"]["runs"]) == 1 else "s"))
    L.append("")
    L.append("| ratio | value | target | |")
    L.append("| --- | ---: | --- | --- |")
    L.append("| join: FDW ÷ sequential curl (time) | %.3f | ≤ %.1f | %s |"
             % (r["join_ratio"], JOIN_TARGET, verdict(r["join_ratio"] <= JOIN_TARGET)))
    L.append("| peak memory, messages of %s ÷ %s conversations | %.3f | ≤ %.1f | %s |"
             % ("{:,}".format(MEMORY_BIG), "{:,}".format(MEMORY_SMALL), r["memory_ratio"],
                MEMORY_TARGET, verdict(r["memory_ratio"] <= MEMORY_TARGET)))
    L.append("")
    L.append("`EXPLAIN VERBOSE` of the join:")
    L.append("")
    L.append("```\n%s\n```" % "\n".join(h["verbose"]))
    L.append("")
    L.append("![the part tables](bench/%s)" % CHART)
    return "\n".join(L)


def main():
    os.makedirs(OUT, exist_ok=True)
    log("part tables: %d conversations, %d runs per figure" % (N, RUNS))
    setup()
    r = {"date": utc_now(),
         "dataset_conversations": N, "latency_ms": LATENCY_MS, "runs": RUNS,
         "machine": machine(),
         "commit": commit()}
    window = join_window()
    log("join window: %s" % window)
    r["join_fdw"], urls = fdw_join(window, RUNS)
    r["join_curl"] = curl_sequential(urls, RUNS, r["join_fdw"].get("accept_encoding"))
    r["join_ratio"] = r["join_fdw"]["ms"] / r["join_curl"]["ms"]
    r["memory_small"] = peak_memory(MEMORY_SMALL, RUNS)
    r["memory_small"]["body_bytes"] = body_bytes(MEMORY_SMALL)
    r["memory_big"] = peak_memory(MEMORY_BIG, RUNS)
    r["memory_big"]["body_bytes"] = body_bytes(MEMORY_BIG)
    r["memory_ratio"] = r["memory_big"]["vmhwm_kb"] / r["memory_small"]["vmhwm_kb"]
    # (beyond the emulator's cache of 2,048 conversations' parts: no warm-up)
    r["memory_all"] = peak_memory(N, 1, warm=False)
    r["memory_all"]["body_bytes"] = body_bytes(N)
    r["elapsed_s"] = elapsed_s()
    r["chart"] = os.path.relpath(chart(r), ROOT)
    text = report_text(r)
    r["report_markdown"] = text
    with open(os.path.join(OUT, "parts.json"), "w") as f:
        json.dump(r, f, indent=2, ensure_ascii=False)
    update_readme("bench-parts", "Benchmark of the part tables", "bash bench/run.sh --parts", text)
    print()
    print("symbl_fdw benchmark of the part tables")
    print("  join FDW   %10s  (%s)" % (fmt_ms(r["join_fdw"]["ms"]), r["join_fdw"]["plan"]))
    print("  join curl  %10s  (%d requests one after another)" % (fmt_ms(r["join_curl"]["ms"]), r["join_curl"]["requests"]))
    print("  ratio FDW / curl %.3f (target <= %.1f): %s" % (r["join_ratio"], JOIN_TARGET, verdict(r["join_ratio"] <= JOIN_TARGET)))
    print("  VmHWM %.1f MB (%d conversations) vs %.1f MB (%d): ratio %.3f (target <= %.1f): %s"
          % (r["memory_small"]["vmhwm_kb"] / 1024, MEMORY_SMALL, r["memory_big"]["vmhwm_kb"] / 1024,
             MEMORY_BIG, r["memory_ratio"], MEMORY_TARGET, verdict(r["memory_ratio"] <= MEMORY_TARGET)))
    print("results: bench/out/parts.json; chart: bench/%s; README.md section updated" % CHART)


if __name__ == "__main__":
    main()
