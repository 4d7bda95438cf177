"""What the benchmark drivers (bench/bench.py, bench/parts.py,
bench/writes.py) share: psql in a new session, the emulator's control
endpoints, plan walking, process CPU time, the report's machine line and
its README section.  Standard library only."""
import datetime
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

STARTED = time.time()
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
OUT = os.path.join(BENCH, "out")
APP_ID, APP_SECRET = "demo-app-id", "demo-app-secret"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print("[%6.1fs] %s" % (time.time() - STARTED, msg), flush=True)


def psql(*commands, stdin=None):
    """Run psql in a new session; each command is one -c (or a script on
    stdin).  Returns stdout."""
    args = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1"]
    for c in commands:
        args += ["-c", c]
    p = subprocess.run(args, input=stdin, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("psql failed (%d):\n%s\n%s" % (p.returncode, p.stderr, "\n".join(commands) or stdin))
    return p.stdout


def sqlstr(s):
    return "'" + s.replace("'", "''") + "'"


def nodes(plan):
    yield plan
    for p in plan.get("Plans", []):
        yield from nodes(p)


def explain(query, timing=False):
    """EXPLAIN ANALYZE (FORMAT JSON) the query in a new session: (Execution
    Time in ms, plan).  With timing, every node's own times too."""
    out = psql("EXPLAIN (ANALYZE, TIMING %s, FORMAT JSON) " % ("ON" if timing else "OFF") + query)
    doc = json.loads(out)[0]
    return doc["Execution Time"], doc["Plan"]


def plan_shape(plan):
    """The plan's nodes, outermost first: "Nested Loop (Foreign Scan on conversations, ...)" """
    def walk(p):
        name = p["Node Type"]
        if name == "ModifyTable":
            name = p["Operation"]
        elif name == "Foreign Scan" and p.get("Operation", "Select") != "Select":
            name = "Foreign " + p["Operation"]      # a direct modification
        if "Relation Name" in p:
            name += " on " + p["Relation Name"]
        elif p["Node Type"] == "Foreign Scan":
            name += " (join)"
        kids = [walk(k) for k in p.get("Plans", [])]
        return name + (" (" + ", ".join(kids) + ")" if kids else "")
    return walk(plan)


def http(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    with urllib.request.urlopen(req, timeout=120) as r:
        return r.read()


def reset_tag(base, tag):
    http("POST", "%s/_control/reset?tag=%s" % (base, tag))


def reset_state(base, state):
    """Drop the writes of one emulator state: it serves the dataset again."""
    http("POST", "%s/_control/reset-state?state=%s" % (base, state))


def tag_log(base, tag):
    raw = http("GET", "%s/_control/log?tag=%s&format=jsonl" % (base, tag)).decode("utf-8")
    return [json.loads(l) for l in raw.splitlines() if l.strip()]


def curl_token(base):
    """An access token from the emulator at base, as curl gets it."""
    p = subprocess.run(
        ["curl", "-sS", "--fail", "-X", "POST", "-H", "Content-Type: application/json",
         "-d", json.dumps({"type": "application", "appId": APP_ID, "appSecret": APP_SECRET}),
         base + "/oauth2/token:generate"], capture_output=True, text=True, check=True)
    return json.loads(p.stdout)["accessToken"]


def process_cpu(pid):
    """CPU seconds (user + system) the process has used so far, NaN if unknown."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return float("nan")


def create_symbl_schemas(servers):
    """The extension anew, and per (schema, emulator URL[, server options])
    a server, a user mapping and the imported tables in that schema."""
    sql = ["DROP EXTENSION IF EXISTS symbl_fdw CASCADE", "CREATE EXTENSION symbl_fdw"]
    for name, url, *options in servers:
        extra = "".join(", %s %s" % (k, sqlstr(v)) for k, v in (options[0] if options else {}).items())
        sql += [
            "DROP SCHEMA IF EXISTS %s CASCADE" % name,
            "CREATE SERVER %s_srv FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url %s%s)"
            % (name, sqlstr(url), extra),
            "CREATE USER MAPPING FOR CURRENT_USER SERVER %s_srv OPTIONS (app_id %s, app_secret %s)"
            % (name, sqlstr(APP_ID), sqlstr(APP_SECRET)),
            "CREATE SCHEMA %s" % name,
            "IMPORT FOREIGN SCHEMA symbl FROM SERVER %s_srv INTO %s" % (name, name),
        ]
    psql(*sql)


# ---------------------------------------------------------------- report

def fmt_ms(ms):
    return "%.2f s" % (ms / 1000) if ms >= 1000 else "%.1f ms" % ms


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def commit():
    """The checkout's commit, short."""
    return subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h"],
                          capture_output=True, text=True).stdout.strip() or "?"


def run_line(r, args):
    """The report's first line: when, where, what and how long."""
    m = r["machine"]
    return ("Run %s on %d × %s; PostgreSQL %s; commit %s; `bash bench/run.sh%s` took %s."
            % (r["date"], m["nproc"], m["cpu"], m["postgresql"], r["commit"],
               args and " " + args, "%d min %d s" % divmod(int(r["elapsed_s"]), 60)))


def machine():
    """Cores, CPU model and server version, for the report's first line."""
    info = {"nproc": os.cpu_count()}
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    info["postgresql"] = psql("SHOW server_version").strip()
    return info


def elapsed_s():
    """Seconds since bench/run.sh started (BENCH_T0), else since this driver did."""
    return time.time() - float(os.environ.get("BENCH_T0", STARTED))


def update_readme(name, title, command, text):
    """Put text into README.md between <!-- name:start --> and <!-- name:end -->
    (a new section at the end if the markers are missing)."""
    path = os.path.join(ROOT, "README.md")
    with open(path, encoding="utf-8") as f:
        readme = f.read()
    section = ("<!-- %s:start -->\n## %s\n\n"
               "Generated by `%s` (see [bench/README.md](bench/README.md)); "
               "do not edit by hand.\n\n" % (name, title, command) + text +
               "\n<!-- %s:end -->" % name)
    m = re.search(r"<!-- %s:start -->.*?<!-- %s:end -->" % (re.escape(name), re.escape(name)),
                  readme, re.S)
    if m:
        readme = readme[:m.start()] + section + readme[m.end():]
    else:
        readme = readme.rstrip("\n") + "\n\n" + section + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(readme)
