-- What a user would write without symbl_fdw: page GET /v1/conversations
-- with urllib, parse with json, return rows.  Used by bench/run.sh as the
-- PL/Python baseline (figure c).  One token request per call, then
-- limit=1000 pages sorted by (startTime, id) with offset stepping until a
-- short page; a fresh connection per request (urllib does no keep-alive).
CREATE EXTENSION IF NOT EXISTS plpython3u;

DROP TYPE IF EXISTS symbl_py_conversation CASCADE;
CREATE TYPE symbl_py_conversation AS (
  id text, type text, name text,
  start_time timestamptz, end_time timestamptz,
  members jsonb, metadata jsonb);

CREATE FUNCTION symbl_py_conversations(base_url text, app_id text, app_secret text,
                                       page_size int DEFAULT 1000)
RETURNS SETOF symbl_py_conversation
LANGUAGE plpython3u AS $$
import json
import urllib.parse
import urllib.request

req = urllib.request.Request(
    base_url + "/oauth2/token:generate",
    data=json.dumps({"type": "application", "appId": app_id,
                     "appSecret": app_secret}).encode(),
    headers={"Content-Type": "application/json"}, method="POST")
with urllib.request.urlopen(req, timeout=60) as r:
    token = json.load(r)["accessToken"]
auth = {"Authorization": "Bearer " + token}

offset = 0
while True:
    qs = urllib.parse.urlencode({
        "limit": page_size, "offset": offset,
        "startTime": "1970-01-01T00:00:00.000Z",
        "sort": "conversation.startTime,conversation.id"})
    req = urllib.request.Request(base_url + "/v1/conversations?" + qs, headers=auth)
    with urllib.request.urlopen(req, timeout=60) as r:
        page = json.load(r)["conversations"]
    for c in page:
        members = c.get("members")
        metadata = c.get("metadata")
        yield (c.get("id"), c.get("type"), c.get("name"),
               c.get("startTime"), c.get("endTime"),
               None if members is None else json.dumps(members),
               None if metadata is None else json.dumps(metadata))
    if len(page) < page_size:
        break
    offset += page_size
$$;
