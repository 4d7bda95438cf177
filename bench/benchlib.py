"""What the benchmark drivers (bench/bench.py, bench/parts.py) share: psql
in a new session, the emulator's control endpoints, plan walking, process
CPU time.  Standard library only."""
import json
import os
import subprocess
import sys
import time
import urllib.request

STARTED = time.time()
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


def http(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    with urllib.request.urlopen(req, timeout=120) as r:
        return r.read()


def reset_tag(base, tag):
    http("POST", "%s/_control/reset?tag=%s" % (base, tag))


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
    """The extension anew, and per (schema, emulator URL) a server, a user
    mapping and the imported tables in that schema."""
    sql = ["DROP EXTENSION IF EXISTS symbl_fdw CASCADE", "CREATE EXTENSION symbl_fdw"]
    for name, url in servers:
        sql += [
            "DROP SCHEMA IF EXISTS %s CASCADE" % name,
            "CREATE SERVER %s_srv FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url %s)"
            % (name, sqlstr(url)),
            "CREATE USER MAPPING FOR CURRENT_USER SERVER %s_srv OPTIONS (app_id %s, app_secret %s)"
            % (name, sqlstr(APP_ID), sqlstr(APP_SECRET)),
            "CREATE SCHEMA %s" % name,
            "IMPORT FOREIGN SCHEMA symbl FROM SERVER %s_srv INTO %s" % (name, name),
        ]
    psql(*sql)
