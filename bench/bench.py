#!/usr/bin/env python3
"""symbl_fdw benchmark driver.  Run by bench/inner.sh inside pg_virtualenv,
with the emulators already started (see bench/run.sh); standard library only.

Times: PostgreSQL-side figures are the 'Execution Time' of
EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON), each run in a new psql session
(so every run includes the token request and the TCP connect, as a user's
first query does).  curl figures are time.perf_counter() around the curl
processes (token POST + one curl process fetching every page over one
keep-alive connection).  Every figure is the median of the runs.
"""
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

from benchlib import APP_ID, APP_SECRET, STARTED, create_symbl_schemas, curl_token, fmt_ms, log, nodes, process_cpu, psql, reset_tag, sqlstr, tag_log
from benchlib import machine as benchlib_machine
from benchlib import update_readme as update_readme_section

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
# the chart of a --pg-config run sits beside the default one
CHART = ("chart-%s.png" % os.environ["SYMBL_BENCH_SECTION"]
         if os.environ.get("SYMBL_BENCH_SECTION", "bench") != "bench" else "chart.png")
OUT = os.path.join(BENCH, "out")

HOSTED = os.environ["BENCH_HOSTED_URL"]      # --latency-ms 50
LOOP = os.environ["BENCH_LOOP_URL"]          # --latency-ms 0
SMALL = os.environ["BENCH_SMALL_URL"]        # 10,000 conversations, --latency-ms 0
EMU_PID = {HOSTED: int(os.environ.get("BENCH_HOSTED_PID", "0")),
           LOOP: int(os.environ.get("BENCH_LOOP_PID", "0")),
           SMALL: int(os.environ.get("BENCH_SMALL_PID", "0"))}
CARD = os.environ["BENCH_CARD_URL"]
N = int(os.environ["BENCH_N"])
SMALL_N = int(os.environ["BENCH_SMALL_N"])
LATENCY_MS = int(os.environ["BENCH_LATENCY_MS"])
MILLION = os.environ.get("BENCH_MILLION") == "1"
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
BIG_RUNS = int(os.environ.get("BENCH_BIG_RUNS", "3"))
SCAN_RUNS = BIG_RUNS if N >= 1_000_000 else RUNS
ARGS = os.environ.get("BENCH_ARGS", "")

AGG = ("count(*) AS n, "
       "sum(length(id) + length(coalesce(name, '')) + length(type)) AS chars, "
       "max(start_time) AS max_start, max(end_time) AS max_end, "
       "sum(jsonb_array_length(members)) AS members, count(metadata) AS with_metadata")
PAGES_FROM = ("(SELECT c->>'id' AS id, c->>'type' AS type, c->>'name' AS name, "
              "(c->>'startTime')::timestamptz AS start_time, "
              "(c->>'endTime')::timestamptz AS end_time, "
              # a JSON null is SQL NULL, as the FDW and PL/Python make it
              "nullif(c->'members', 'null') AS members, nullif(c->'metadata', 'null') AS metadata "
              "FROM pages, jsonb_array_elements(body::jsonb->'conversations') c) s")




# ---------------------------------------------------------------- helpers





def explain(query):
    """EXPLAIN ANALYZE the query in a new session: (ms, plan, wall ms)."""
    t0 = time.perf_counter()
    out = psql("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + query)
    wall = (time.perf_counter() - t0) * 1000
    doc = json.loads(out)[0]
    return doc["Execution Time"], doc["Plan"], wall




def agg_input_rows(plan):
    """Rows that reached the top Aggregate."""
    child = plan["Plans"][0]
    return int(child["Actual Rows"] * child["Actual Loops"])


def fdw_stats(plan):
    for n in nodes(plan):
        if n.get("Node Type") == "Foreign Scan":
            return {k: n[k] for k in n if k.startswith("Symbl ")}
    return {}








def api_gets(records):
    return [r for r in records if r["method"] == "GET" and r["path"] == "/v1/conversations"]


def token_posts(records):
    return [r for r in records if r["method"] == "POST" and r["path"] == "/oauth2/token:generate"]


def emu_cpu(base):
    """CPU seconds the emulator process serving base has used so far."""
    return process_cpu(EMU_PID.get(base, 0))


def med(xs):
    return statistics.median(xs)


def curl_fetch(urls, token, outputs=None, compressed=True):
    """One curl process, every URL in turn over one keep-alive connection.
    Returns the per-transfer 'code bytes connects' lines."""
    cfg = os.path.join(OUT, "curl.cfg")
    with open(cfg, "w") as f:
        for i, u in enumerate(urls):
            f.write('url = "%s"\n' % u)
            f.write('output = "%s"\n' % (outputs[i] if outputs else "/dev/null"))
    p = subprocess.run(
        ["curl", "-sS", "--fail"] + (["--compressed"] if compressed else []) +
        ["-H", "Authorization: Bearer " + token,
         "-w", "%{http_code} %{size_download} %{num_connects}\n", "-K", cfg],
        capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("curl failed (%d): %s" % (p.returncode, p.stderr))
    return p.stdout.splitlines()


def proc_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmHWM", "VmRSS"):
                out[k] = int(v.split()[0])       # kB
    return out


# ---------------------------------------------------------------- set-up

def setup():
    servers = {
        "symbl": HOSTED + "/_x/tag=fdw_hosted",
        "symbl_limit": HOSTED + "/_x/tag=fdw_limit10",
        "symbl_loop": LOOP + "/_x/tag=fdw_loop",
        "symbl_small": SMALL + "/_x/tag=fdw_small",
        "symbl_mem": LOOP + "/_x/tag=fdw_mem",
        "symbl_warm_hosted": HOSTED + "/_x/tag=warmup",
        "symbl_warm_loop": LOOP + "/_x/tag=warmup",
        "symbl_card": CARD + "/_x/tag=fdw_card",
    }
    create_symbl_schemas(servers.items())
    # (c) needs PL/Python, which only Debian's packaged servers have here
    global HAVE_PLPYTHON
    HAVE_PLPYTHON = psql("SELECT count(*) FROM pg_available_extensions "
                         "WHERE name = 'plpython3u'").strip() == "1"
    if HAVE_PLPYTHON:
        with open(os.path.join(BENCH, "plpython.sql")) as f:
            psql(stdin=f.read())
    else:
        log("no PL/Python in this server: figure (c) is left out")
    # The emulator sorts the window once per distinct query, and keeps each
    # page's body and its gzip: one unmeasured full scan per emulator, so
    # that no measured run (of any method) pays for that.
    for schema in ("symbl_warm_hosted", "symbl_warm_loop", "symbl_small"):
        t0 = time.perf_counter()
        n = psql("SELECT count(*) FROM %s.conversations" % schema).strip()
        log("warm-up scan %s: %s rows, %.1f s" % (schema, n, time.perf_counter() - t0))


def machine():
    info = benchlib_machine()
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                info["memory_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    cv = subprocess.run(["curl", "--version"], capture_output=True, text=True).stdout.split()
    info["libcurl"] = next((w for w in cv if w.startswith("libcurl/")), "?").split("/", 1)[1]
    try:
        info["libcurl_linked"] = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", "libcurl4"], capture_output=True, text=True).stdout
    except OSError:
        pass
    info["python"] = sys.version.split()[0]
    return info


# ---------------------------------------------------------------- figures

def summarize_runs(res):
    """Medians over res["runs"]: time, rows/s and emulator CPU where measured."""
    res["ms"] = med([r["ms"] for r in res["runs"]])
    res["rows"] = res["runs"][0]["rows"]
    res["rows_per_s"] = res["rows"] / (res["ms"] / 1000)
    if "emulator_cpu_s" in res["runs"][0]:
        res["emulator_cpu_s"] = med([r["emulator_cpu_s"] for r in res["runs"]])
    return res


def fdw_full_scan(schema, base, tag, runs, label):
    """(a) full scan through the FDW; returns result and the URLs of run 1."""
    q = "SELECT %s FROM %s.conversations" % (AGG, schema)
    res = {"query": q, "runs": []}
    urls = None
    for i in range(runs):
        reset_tag(base, tag)
        c0 = emu_cpu(base)
        ms, plan, wall = explain(q)
        c1 = emu_cpu(base)
        recs = tag_log(base, tag)
        gets = api_gets(recs)
        run = {"ms": ms, "wall_ms": wall, "rows": agg_input_rows(plan), "emulator_cpu_s": c1 - c0,
               "api_requests": len(gets), "token_requests": len(token_posts(recs)),
               "non_200": sum(1 for r in gets if r["status"] != 200),
               "empty_pages": sum(1 for r in gets if r["rows"] == 0), "explain": fdw_stats(plan)}
        res["runs"].append(run)
        if urls is None:
            urls = sequential_urls(gets)
            res["accept_encoding"] = gets[0]["accept_encoding"] if gets else None
        log("%s run %d: %.0f ms, %d rows, %d requests, emulator CPU %.2f s"
            % (label, i + 1, ms, run["rows"], len(gets), run["emulator_cpu_s"]))
    return summarize_runs(res), urls


def sequential_urls(gets):
    """The FDW's list URLs (exactly as sent) that a sequential client needs:
    in offset order, up to the first short page.  Pages the FDW asked for
    past that one (prefetch) are left out, so curl is not charged for them."""
    ok = [r for r in gets if r["status"] == 200]
    # keyset paging: requests carry an anchor (a startTime=ge= condition in
    # the filter) that changes every few pages; anchors come in scan order,
    # offsets count within one anchor.  An anchored scan ends with one
    # request without the anchor again (the unanchored tail), at an offset
    # past the unanchored pages' tiling: it goes last.
    anchors = []
    for r in sorted(ok, key=lambda r: r["seq"]):
        f = dict(r["params"]).get("filter", "")
        if f not in anchors:
            anchors.append(f)

    def param(r, name, default):
        return int(dict(r["params"]).get(name, default))

    tail = set()
    if len(anchors) > 1:
        first = sorted((r for r in ok if dict(r["params"]).get("filter", "") == anchors[0]),
                       key=lambda r: param(r, "offset", "0"))
        gap = False
        for prev, r in zip(first, first[1:]):
            gap = gap or param(r, "offset", "0") != param(prev, "offset", "0") + param(prev, "limit", "20")
            if gap:
                tail.add(r["seq"])
    ok.sort(key=lambda r: (len(anchors) if r["seq"] in tail else
                           anchors.index(dict(r["params"]).get("filter", "")),
                           param(r, "offset", "0")))
    out = []
    for r in ok:
        out.append(r["path"] + "?" + r["raw_query"])
        if r["rows"] < int(dict(r["params"]).get("limit", "20")):
            break
    return out


def curl_sequential(base, tag, paths, runs, label, accept_encoding):
    """(b) the FDW's exact list requests, one after another, by curl, which
    asks for gzip when the FDW did."""
    prefix = "%s/_x/tag=%s" % (base, tag)
    urls = [prefix + p for p in paths]
    gzip = "gzip" in (accept_encoding or "")
    res = {"requests": len(urls), "compressed": gzip, "runs": []}
    for i in range(runs):
        reset_tag(base, tag)
        c0 = emu_cpu(base)
        t0 = time.perf_counter()
        tok = curl_token(prefix)
        lines = curl_fetch(urls, tok, compressed=gzip)
        ms = (time.perf_counter() - t0) * 1000
        c1 = emu_cpu(base)
        gets = api_gets(tag_log(base, tag))
        codes = [l.split()[0] for l in lines]
        run = {"ms": ms, "rows": sum(r["rows"] or 0 for r in gets), "api_requests": len(gets),
               "emulator_cpu_s": c1 - c0,
               "bytes": sum(int(l.split()[1]) for l in lines),
               "connections": sum(int(l.split()[2]) for l in lines),
               "non_200": sum(1 for c in codes if c != "200")}
        res["runs"].append(run)
        log("%s run %d: %.0f ms, %d rows, %d requests over %d connection(s), emulator CPU %.2f s"
            % (label, i + 1, ms, run["rows"], len(gets), run["connections"], run["emulator_cpu_s"]))
    return summarize_runs(res)


HAVE_PLPYTHON = False


def plpython_scan(base, tag, runs, label):
    """(c) the PL/Python function a user would write (None without PL/Python)."""
    if not HAVE_PLPYTHON:
        return None
    url = "%s/_x/tag=%s" % (base, tag)
    q = "SELECT %s FROM symbl_py_conversations(%s, %s, %s)" % (
        AGG, sqlstr(url), sqlstr(APP_ID), sqlstr(APP_SECRET))
    res = {"query": q.replace(APP_SECRET, "…"), "runs": []}
    for i in range(runs):
        reset_tag(base, tag)
        c0 = emu_cpu(base)
        ms, plan, wall = explain(q)
        c1 = emu_cpu(base)
        gets = api_gets(tag_log(base, tag))
        run = {"ms": ms, "wall_ms": wall, "rows": agg_input_rows(plan), "api_requests": len(gets),
               "emulator_cpu_s": c1 - c0}
        res["runs"].append(run)
        log("%s run %d: %.0f ms, %d rows, %d requests, emulator CPU %.2f s"
            % (label, i + 1, ms, run["rows"], len(gets), run["emulator_cpu_s"]))
    return summarize_runs(res)


def load_pages(paths):
    """Fetch the pages' bodies once (curl, loopback) into pages(body text)."""
    pdir = os.path.join(OUT, "pages")
    shutil.rmtree(pdir, ignore_errors=True)
    os.makedirs(pdir)
    prefix = LOOP + "/_x/tag=fetch_pages"
    files = [os.path.join(pdir, "%06d.json" % i) for i in range(len(paths))]
    curl_fetch([prefix + p for p in paths], curl_token(prefix), files)
    csv = os.path.join(OUT, "pages.csv")
    nbytes = 0
    with open(csv, "w", encoding="utf-8", newline="") as out:
        for fn in files:
            with open(fn, encoding="utf-8", newline="") as f:
                body = f.read()
            nbytes += len(body.encode("utf-8"))
            out.write('"' + body.replace('"', '""') + '"\n')
    # EXTERNAL: stored uncompressed, so the JSON path pays for parsing only
    psql("DROP TABLE IF EXISTS pages",
         "CREATE TABLE pages(body text)",
         "ALTER TABLE pages ALTER body SET STORAGE EXTERNAL",
         "\\copy pages(body) FROM %s WITH (FORMAT csv)" % sqlstr(csv),
         "VACUUM ANALYZE pages")
    shutil.rmtree(pdir)
    os.unlink(csv)
    return {"pages": len(paths), "bytes": nbytes}


def pg_json_scan(runs, label):
    """(d) PostgreSQL's own JSON path over the same bytes."""
    q = "SELECT %s FROM %s" % (AGG, PAGES_FROM)
    explain(q)                               # warm the buffer cache, unmeasured
    res = {"query": q, "runs": []}
    for i in range(runs):
        ms, plan, wall = explain(q)
        nrows = agg_input_rows(plan)
        res["runs"].append({"ms": ms, "wall_ms": wall, "rows": nrows})
        log("%s run %d: %.0f ms, %d rows" % (label, i + 1, ms, nrows))
    return summarize_runs(res)


def limit10(runs):
    """(e) LIMIT 10: latency in a new session (includes the token request)
    and in a warm session (token cached, connection open); requests made."""
    base, tag = HOSTED, "fdw_limit10"
    q = "SELECT * FROM symbl_limit.conversations LIMIT 10"
    res = {"query": q, "cold_runs": [], "warm_runs": []}
    for i in range(runs):
        reset_tag(base, tag)
        ms, plan, wall = explain(q)
        recs = tag_log(base, tag)
        gets = api_gets(recs)
        limits = [dict(r["params"]).get("limit") for r in gets]
        res["cold_runs"].append({"ms": ms, "wall_ms": wall, "rows": int(plan["Actual Rows"]),
                                 "api_requests": len(gets),
                                 "token_requests": len(token_posts(recs)), "limits": limits,
                                 "urls": [r["path"] + "?" + r["raw_query"] for r in gets]})
        log("LIMIT 10 new session run %d: %.1f ms, %d API request(s), limit=%s"
            % (i + 1, ms, len(gets), ",".join(map(str, limits))))
    # warm: one session, a first identical query, then the measured ones
    reset_tag(base, tag)
    out = psql(*["EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + q] * (runs + 1))
    docs, dec, pos = [], json.JSONDecoder(), 0
    out = out.strip()
    while pos < len(out):
        doc, pos = dec.raw_decode(out, pos)
        docs.append(doc[0])
        while pos < len(out) and out[pos].isspace():
            pos += 1
    gets = api_gets(tag_log(base, tag))
    res["warm_runs"] = [{"ms": d["Execution Time"]} for d in docs[1:]]
    res["warm_api_requests_per_query"] = len(gets) / (runs + 1)
    res["warm_limits"] = sorted({dict(r["params"]).get("limit") for r in gets})
    res["ms"] = med([r["ms"] for r in res["cold_runs"]])
    res["warm_ms"] = med([r["ms"] for r in res["warm_runs"]])
    res["api_requests"] = max(r["api_requests"] for r in res["cold_runs"])
    res["limits"] = sorted({l for r in res["cold_runs"] for l in r["limits"]} |
                           set(res["warm_limits"]))
    log("LIMIT 10 warm session: median %.1f ms, %.2f API request(s) per query"
        % (res["warm_ms"], res["warm_api_requests_per_query"]))
    return res


def design_card():
    """(g) the design card's query and LIMIT 10 on 100,000 conversations up
    to now: requests made and rows received against rows returned."""
    res = []
    for q in ("SELECT * FROM symbl_card.conversations WHERE start_time > now() - interval '3 days'",
              "SELECT * FROM symbl_card.conversations LIMIT 10"):
        reset_tag(CARD, "fdw_card")
        ms, plan, wall = explain(q)
        gets = api_gets(tag_log(CARD, "fdw_card"))
        stats = fdw_stats(plan)
        res.append({"query": q, "ms": ms, "rows": int(plan["Actual Rows"]),
                    "api_requests": len(gets), "stats": stats,
                    "limits": [dict(g["params"]).get("limit") for g in gets]})
        log("design card: %s: %d rows, %d request(s)" % (q, int(plan["Actual Rows"]), len(gets)))
    return res


MEM_SCRIPT = r"""
SELECT pg_backend_pid() AS pid \gset
\setenv BENCH_PID :pid
\! echo "BEFORE $(grep VmHWM /proc/$BENCH_PID/status)"
SELECT %s FROM %s.conversations;
\! echo "AFTER $(grep VmHWM /proc/$BENCH_PID/status)"
\! echo "PID $BENCH_PID"
"""


def peak_memory(schema, runs, label):
    """(f) backend VmHWM after a full scan, in a new session per run."""
    res = {"runs": []}
    for i in range(runs):
        out = psql(stdin=MEM_SCRIPT % (AGG, schema))
        before = int(re.search(r"BEFORE VmHWM:\s+(\d+)", out).group(1))
        after = int(re.search(r"AFTER VmHWM:\s+(\d+)", out).group(1))
        rows = None
        for line in out.splitlines():
            if "|" in line:
                rows = int(line.split("|")[0])
        res["runs"].append({"vmhwm_before_kb": before, "vmhwm_kb": after, "rows": rows})
        log("%s run %d: %d rows, VmHWM %d kB (%d kB after connecting)"
            % (label, i + 1, rows, after, before))
    res["vmhwm_kb"] = med([r["vmhwm_kb"] for r in res["runs"]])
    res["vmhwm_before_kb"] = med([r["vmhwm_before_kb"] for r in res["runs"]])
    res["rows"] = res["runs"][0]["rows"]
    return res


def results_match():
    """The same aggregate through the FDW, the pages table and PL/Python
    (loopback, unmeasured): the three must agree exactly."""
    fdw = psql("SELECT %s FROM symbl_loop.conversations" % AGG).strip()
    pg = psql("SELECT %s FROM %s" % (AGG, PAGES_FROM)).strip()
    py = psql("SELECT %s FROM symbl_py_conversations(%s, %s, %s)" % (
        AGG, sqlstr(LOOP + "/_x/tag=py_check"), sqlstr(APP_ID), sqlstr(APP_SECRET))).strip() \
        if HAVE_PLPYTHON else None
    return {"fdw": fdw, "pg_json": pg, "plpython": py,
            "equal": fdw == pg and (py is None or py == fdw)}


# ---------------------------------------------------------------- report

def fmt_int(x):
    return "{:,}".format(int(round(x)))


def chart(r):
    bars = [("FDW\\nhosted", r["a_hosted_fdw"]["rows_per_s"], "#1f77b4"),
            ("curl sequential\\nhosted", r["b_hosted_curl"]["rows_per_s"], "#1f77b4"),
            ("PL/Python\\nhosted", (r["c_hosted_plpython"] or {}).get("rows_per_s"), "#1f77b4"),
            ("FDW\\nloopback", r["a_loopback_fdw"]["rows_per_s"], "#ff7f0e"),
            ("PostgreSQL JSON\\nloopback", r["d_loopback_pg_json"]["rows_per_s"], "#ff7f0e")]
    bars = [b for b in bars if b[1] is not None]
    data = os.path.join(OUT, "chart.dat")
    with open(data, "w") as f:
        for i, (_, v, color) in enumerate(bars):
            f.write("%d %.0f %d\n" % (i, v, int(color[1:], 16)))
    top = max(v for _, v, _ in bars)
    png = os.path.join(BENCH, CHART)
    lines = [
        'set terminal pngcairo size 1000,580 font "sans,10" noenhanced',
        "set bmargin 4",
        "set output '%s'" % png,
        'set title "symbl_fdw: full scan of %s conversations, rows per second (median of %d runs)\\n'
        'blue: hosted regime, every answer delayed %d ms; orange: loopback, no added latency"'
        % (fmt_int(N), SCAN_RUNS, LATENCY_MS),
        'set ylabel "rows per second"',
        "set style fill solid 0.85 border -1",
        "set boxwidth 0.6",
        "set grid ytics",
        "set yrange [0:%f]" % (top * 1.12),
        "set xrange [-0.6:%f]" % (len(bars) - 0.4),
        'set format y "%.0f"',
        "set xtics nomirror (%s)" % ", ".join('"%s" %d' % (name, i) for i, (name, _, _) in enumerate(bars)),
        "unset key",
    ]
    for i, (_, v, _) in enumerate(bars):
        lines.append('set label "%s" at %d,%f center' % (fmt_int(v), i, v + top * 0.03))
    lines.append("plot '%s' using 1:2:3 with boxes lc rgb variable" % data)
    gp = os.path.join(OUT, "chart.gp")
    with open(gp, "w") as f:
        f.write("\n".join(lines) + "\n")
    subprocess.run(["gnuplot", gp], check=True)
    return png


def verdict(ok):
    return "n/a" if ok is None else "pass" if ok else "FAIL"


def ratios(r):
    a, b = r["a_hosted_fdw"]["ms"], r["b_hosted_curl"]["ms"]
    c = r["c_hosted_plpython"]["ms"] if r["c_hosted_plpython"] else None
    al, d = r["a_loopback_fdw"]["ms"], r["d_loopback_pg_json"]["ms"]
    big, small = r["f_memory_big"]["vmhwm_kb"], r["f_memory_small"]["vmhwm_kb"]
    e = r["e_limit10"]
    out = [
        {"name": "hosted FDW ÷ sequential curl (time)", "value": a / b, "target": "≤ 0.5",
         "pass": a / b <= 0.5},
        {"name": "hosted FDW ÷ PL/Python (time)", "value": a / c if c else "no PL/Python",
         "target": "≤ 0.3", "pass": None if c is None else a / c <= 0.3},
        {"name": "loopback FDW ÷ PostgreSQL JSON path (time)", "value": al / d, "target": "≤ 1.0",
         "pass": al / d <= 1.0},
        {"name": "peak memory %s rows ÷ %s rows" % (fmt_int(r["f_memory_big"]["rows"]),
                                                   fmt_int(r["f_memory_small"]["rows"])),
         "value": big / small, "target": "≤ 1.2", "pass": big / small <= 1.2},
        {"name": "LIMIT 10: API requests, limit=", "value": "%d, limit=%s"
         % (e["api_requests"], ",".join(map(str, e["limits"]))),
         "target": "1, limit=10", "pass": e["api_requests"] == 1 and e["limits"] == ["10"]},
    ]
    for g in r["g_design_card"]:
        out.append({"name": "100,000 conversations: `%s`: API requests"
                    % g["query"].replace("symbl_card.", ""),
                    "value": "%d (%s rows)" % (g["api_requests"], fmt_int(g["rows"])),
                    "target": "1", "pass": g["api_requests"] == 1})
    return out


def report_text(r):
    m = r["machine"]
    a, b, c = r["a_hosted_fdw"], r["b_hosted_curl"], r["c_hosted_plpython"]
    al, d, e = r["a_loopback_fdw"], r["d_loopback_pg_json"], r["e_limit10"]
    fb, fs = r["f_memory_big"], r["f_memory_small"]
    L = []
    L.append("Run %s on %d × %s, %.1f GB RAM; PostgreSQL %s, libcurl %s (Debian %s); "
             "`bash bench/run.sh%s` took %s."
             % (r["date"], m["nproc"], m["cpu"], m["memory_gb"], m["postgresql"], m["libcurl"],
                m.get("libcurl_linked", "?"), ARGS and " " + ARGS,
                "%d min %d s" % divmod(int(r["elapsed_s"]), 60)))
    L.append("")
    L.append("Dataset: the bundled emulator (`test/emulator`) with %s conversations, clock frozen "
             "at its anchor; the FDW asks for pages of %d rows and made %d requests per full "
             "scan, %d of them answered with no rows (past the end); curl fetches exactly "
             "those URLs (as sent, from the emulator's log) up to the first short page (%d), %s. After one unmeasured warm-up scan per emulator (it caches page bodies "
             "and their gzip), %s; "
             "times are EXPLAIN (ANALYZE, TIMING OFF) `Execution Time` in a new session per "
             "run (so each includes the token request), curl times are wall-clock "
             "(`time.perf_counter`) around the token POST and one curl process."
             % (fmt_int(N), 1000, a["runs"][0]["api_requests"], a["runs"][0]["empty_pages"], r["b_hosted_curl"]["requests"],
                "asking for gzip as the FDW did" if r["b_hosted_curl"]["compressed"]
                else "without gzip, as the FDW asked (no Accept-Encoding: gzip)",
                ("every figure is the median of %d runs" % RUNS if SCAN_RUNS == RUNS else
                 "full scans are medians of %d runs, the rest of %d" % (SCAN_RUNS, RUNS))))
    L.append("")
    def ecpu(x):
        v = x.get("emulator_cpu_s")
        return "–" if v is None or v != v else "%.2f s" % v
    L.append("| figure | time | rows | rows/s | requests | emulator CPU |")
    L.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    L.append("| (a) FDW full scan, hosted (%d ms per answer) | %s | %s | %s | %d | %s |"
             % (LATENCY_MS, fmt_ms(a["ms"]), fmt_int(a["rows"]), fmt_int(a["rows_per_s"]),
                a["runs"][0]["api_requests"], ecpu(a)))
    L.append("| (b) the same requests one after another, curl | %s | %s | %s | %d | %s |"
             % (fmt_ms(b["ms"]), fmt_int(b["rows"]), fmt_int(b["rows_per_s"]), b["requests"], ecpu(b)))
    if c:
        L.append("| (c) PL/Python function (urllib + json) | %s | %s | %s | %d | %s |"
                 % (fmt_ms(c["ms"]), fmt_int(c["rows"]), fmt_int(c["rows_per_s"]),
                    c["runs"][0]["api_requests"], ecpu(c)))
    else:
        L.append("| (c) PL/Python function (urllib + json) | not measured: no PL/Python in this server | | | | |")
    L.append("| (a) FDW full scan, loopback (no added latency) | %s | %s | %s | %d | %s |"
             % (fmt_ms(al["ms"]), fmt_int(al["rows"]), fmt_int(al["rows_per_s"]),
                al["runs"][0]["api_requests"], ecpu(al)))
    L.append("| (d) PostgreSQL JSON path over the same bodies (`pages`, %s MB) | %s | %s | %s | – | – |"
             % ("%.0f" % (r["pages"]["bytes"] / 1e6), fmt_ms(d["ms"]), fmt_int(d["rows"]),
                fmt_int(d["rows_per_s"])))
    bl = r["b_loopback_curl"]
    L.append("| context: curl over the same requests, loopback | %s | %s | %s | %d | %s |"
             % (fmt_ms(bl["ms"]), fmt_int(bl["rows"]), fmt_int(bl["rows_per_s"]), bl["requests"],
                ecpu(bl)))
    L.append("| (e) `LIMIT 10`, hosted, new session (token + page) | %s | %d | – | %d (limit=%s) | – |"
             % (fmt_ms(e["ms"]), e["cold_runs"][0]["rows"], e["api_requests"],
                ",".join(map(str, e["limits"]))))
    L.append("| (e) `LIMIT 10`, hosted, warm session (token cached) | %s | 10 | – | %.0f | – |"
             % (fmt_ms(e["warm_ms"]), e["warm_api_requests_per_query"]))
    L.append("| (f) backend peak memory (VmHWM), full scan of %s rows | %.1f MB | %s | – | – | – |"
             % (fmt_int(fs["rows"]), fs["vmhwm_kb"] / 1024, fmt_int(fs["rows"])))
    L.append("| (f) backend peak memory (VmHWM), full scan of %s rows | %.1f MB | %s | – | – | – |"
             % (fmt_int(fb["rows"]), fb["vmhwm_kb"] / 1024, fmt_int(fb["rows"])))
    L.append("")
    L.append("*Emulator CPU* is the CPU time the (single-process, Python) emulator spent "
             "while the figure ran, on the same %d cores: where it approaches the figure's "
             "time, the emulator, not the client, sets the pace." % m["nproc"])
    L.append("")
    if not MILLION:
        L.append("Peak memory compares 10,000 with %s rows (run `bash bench/run.sh --million` "
                 "for 1,000,000). A session's VmHWM right after connecting is %.1f MB."
                 % (fmt_int(fb["rows"]), fs["vmhwm_before_kb"] / 1024))
    else:
        L.append("A session's VmHWM right after connecting is %.1f MB."
                 % (fs["vmhwm_before_kb"] / 1024))
    L.append("")
    L.append("| ratio | value | target | |")
    L.append("| --- | ---: | --- | --- |")
    for x in r["ratios"]:
        v = x["value"]
        L.append("| %s | %s | %s | %s |" % (x["name"], "%.3f" % v if isinstance(v, float) else v,
                                            x["target"], verdict(x["pass"])))
    L.append("")
    chk = r["results_match"]
    L.append(("The FDW, the `pages` JSON path and the PL/Python function" if c else
              "The FDW and the `pages` JSON path") + " return the same "
             "aggregate: %s." % ("yes" if chk["equal"] else "**NO** (see bench/out/results.json)"))
    L.append("")
    L.append("![rows per second](bench/%s)" % CHART)
    return "\n".join(L)


def update_readme(text):
    # --pg-config runs get a section of their own (SYMBL_BENCH_SECTION)
    name = os.environ.get("SYMBL_BENCH_SECTION", "bench")
    title = os.environ.get("SYMBL_BENCH_TITLE", "Benchmark")
    command = "bash bench/run.sh" + (" --pg-config …" if name != "bench" else "")
    update_readme_section(name, title, command, text)


# ---------------------------------------------------------------- main

def main():
    os.makedirs(OUT, exist_ok=True)
    log("dataset %s conversations; %d runs per figure (%d for full scans)" % (fmt_int(N), RUNS, SCAN_RUNS))
    setup()
    r = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
         "dataset_conversations": N, "latency_ms": LATENCY_MS, "runs": RUNS,
         "scan_runs": SCAN_RUNS, "million": MILLION,
         "timing": "EXPLAIN (ANALYZE, TIMING OFF) Execution Time, new session per run; "
                   "curl: time.perf_counter around token POST + one curl process"}
    r["machine"] = machine()

    log("== hosted regime (%d ms per answer)" % LATENCY_MS)
    r["a_hosted_fdw"], hosted_urls = fdw_full_scan("symbl", HOSTED, "fdw_hosted", SCAN_RUNS, "(a) FDW hosted")
    r["b_hosted_curl"] = curl_sequential(HOSTED, "curl_hosted", hosted_urls, SCAN_RUNS, "(b) curl hosted",
                                         r["a_hosted_fdw"].get("accept_encoding"))
    r["c_hosted_plpython"] = plpython_scan(HOSTED, "py_hosted", SCAN_RUNS, "(c) PL/Python hosted")
    r["e_limit10"] = limit10(RUNS)
    r["g_design_card"] = design_card()

    log("== loopback regime (no added latency)")
    r["a_loopback_fdw"], loop_urls = fdw_full_scan("symbl_loop", LOOP, "fdw_loop", SCAN_RUNS, "(a) FDW loopback")
    r["b_loopback_curl"] = curl_sequential(LOOP, "curl_loop", loop_urls, SCAN_RUNS, "curl loopback",
                                           r["a_loopback_fdw"].get("accept_encoding"))
    r["pages"] = load_pages(loop_urls)
    log("pages: %d bodies, %.1f MB" % (r["pages"]["pages"], r["pages"]["bytes"] / 1e6))
    r["d_loopback_pg_json"] = pg_json_scan(SCAN_RUNS, "(d) PostgreSQL JSON")
    r["results_match"] = results_match()
    log("same aggregate from FDW, JSON path, PL/Python: %s" % r["results_match"]["equal"])

    log("== peak memory")
    r["f_memory_small"] = peak_memory("symbl_small", 3, "(f) memory %s rows" % fmt_int(SMALL_N))
    r["f_memory_big"] = peak_memory("symbl_mem", 3, "(f) memory %s rows" % fmt_int(N))

    r["ratios"] = ratios(r)
    r["elapsed_s"] = time.time() - float(os.environ.get("BENCH_T0", STARTED))
    r["chart"] = os.path.relpath(chart(r), ROOT)
    text = report_text(r)
    r["report_markdown"] = text
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(r, f, indent=2, ensure_ascii=False)
    update_readme(text)

    print()
    print("symbl_fdw benchmark — %s conversations" % fmt_int(N))
    print("  (a) FDW hosted        %10s  %12s rows/s" % (fmt_ms(r["a_hosted_fdw"]["ms"]), fmt_int(r["a_hosted_fdw"]["rows_per_s"])))
    print("  (b) curl hosted       %10s  %12s rows/s" % (fmt_ms(r["b_hosted_curl"]["ms"]), fmt_int(r["b_hosted_curl"]["rows_per_s"])))
    if r["c_hosted_plpython"]:
        print("  (c) PL/Python hosted  %10s  %12s rows/s" % (fmt_ms(r["c_hosted_plpython"]["ms"]), fmt_int(r["c_hosted_plpython"]["rows_per_s"])))
    print("  (a) FDW loopback      %10s  %12s rows/s" % (fmt_ms(r["a_loopback_fdw"]["ms"]), fmt_int(r["a_loopback_fdw"]["rows_per_s"])))
    print("  (d) PG JSON loopback  %10s  %12s rows/s" % (fmt_ms(r["d_loopback_pg_json"]["ms"]), fmt_int(r["d_loopback_pg_json"]["rows_per_s"])))
    print("      curl loopback     %10s  %12s rows/s" % (fmt_ms(r["b_loopback_curl"]["ms"]), fmt_int(r["b_loopback_curl"]["rows_per_s"])))
    e = r["e_limit10"]
    print("  (e) LIMIT 10 hosted   %10s new session, %s warm; %d API request(s), limit=%s"
          % (fmt_ms(e["ms"]), fmt_ms(e["warm_ms"]), e["api_requests"], ",".join(map(str, e["limits"]))))
    print("  (f) peak memory       %.1f MB (%s rows) vs %.1f MB (%s rows)"
          % (r["f_memory_small"]["vmhwm_kb"] / 1024, fmt_int(r["f_memory_small"]["rows"]),
             r["f_memory_big"]["vmhwm_kb"] / 1024, fmt_int(r["f_memory_big"]["rows"])))
    for x in r["ratios"]:
        v = x["value"]
        print("  %-48s %8s  target %-11s %s" % (x["name"], "%.3f" % v if isinstance(v, float) else v,
                                              x["target"], verdict(x["pass"])))
    print("  same aggregate everywhere: %s" % r["results_match"]["equal"])
    print("results: bench/out/results.json; chart: bench/chart.png; README.md section updated")


if __name__ == "__main__":
    main()
