--
-- join: conversations JOIN a part ON part.conversation_id = conversations.id
-- runs as one foreign scan: the list request, then each conversation's part
-- request, several in flight.  Rows are the same as PostgreSQL's own join.
--
SET client_min_messages = warning;
\set VERBOSITY terse
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
\set emu `echo "$SYMBL_EMULATOR_URL"`
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=join" > /dev/null
\set ujoin :emu '/_x/tag=join'
CREATE SERVER join_srv FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'ujoin', max_concurrent_requests '4');
CREATE USER MAPPING FOR CURRENT_USER SERVER join_srv
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE SCHEMA sj;
IMPORT FOREIGN SCHEMA symbl FROM SERVER join_srv INTO sj;

-- EXPLAIN ANALYZE without what differs between versions (18: rows=35.00)
CREATE FUNCTION sj_analyze(query text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  ln text;
BEGIN
  FOR ln IN EXECUTE 'EXPLAIN (ANALYZE, BUFFERS OFF, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || query
  LOOP
    RETURN NEXT regexp_replace(ln, '(rows=[0-9]+)\.00 ', '\1 ', 'g');
  END LOOP;
END
$$;

-- 1. The issue's query (a fixed window instead of now()): one foreign scan
EXPLAIN (VERBOSE, COSTS OFF)
SELECT c.name, a.text, a.assignee_name
FROM sj.conversations c
JOIN sj.action_items a ON a.conversation_id = c.id
WHERE c.start_time > '2026-01-14';

-- its rows equal those of the join PostgreSQL computes itself (the OFFSET 0
-- fence keeps the conversations apart: a parameterized scan per row)
CREATE TEMP TABLE pushed AS
SELECT c.id, c.name, a.id AS item, a.text, a.assignee_name
FROM sj.conversations c
JOIN sj.action_items a ON a.conversation_id = c.id
WHERE c.start_time > '2026-01-14';
CREATE TEMP TABLE fenced AS
SELECT c.id, c.name, a.id AS item, a.text, a.assignee_name
FROM (SELECT * FROM sj.conversations WHERE start_time > '2026-01-14' OFFSET 0) c
JOIN sj.action_items a ON a.conversation_id = c.id;
SELECT (SELECT count(*) FROM pushed) AS rows,
       (SELECT count(DISTINCT id) FROM pushed) AS conversations,
       (SELECT count(*) FROM (TABLE pushed EXCEPT ALL TABLE fenced) d) AS missing,
       (SELECT count(*) FROM (TABLE fenced EXCEPT ALL TABLE pushed) d) AS extra;

-- every conversation of the window asked once for its action items
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=join" > /dev/null
SELECT count(*) FROM sj.conversations c
JOIN sj.action_items a ON a.conversation_id = c.id
WHERE c.start_time > '2026-01-14';
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=join&format=text" | grep -v oauth2 | sed -E 's#/v1/conversations/[^/]+/#/v1/conversations/{id}/#; s/ items=[0-9]+//' | sort | uniq -c
SELECT count(DISTINCT id) AS window FROM sj.conversations WHERE start_time > '2026-01-14';

-- 2. EXPLAIN ANALYZE counts both sides
SELECT sj_analyze($$SELECT c.name, a.text FROM sj.conversations c
JOIN sj.action_items a ON a.conversation_id = c.id
WHERE c.start_time > '2026-01-14' AND a.score > 0.5$$);

-- 3. LEFT JOIN: a conversation without a summary (404) keeps its row
EXPLAIN (VERBOSE, COSTS OFF)
SELECT c.id, s.text FROM sj.conversations c
LEFT JOIN sj.summaries s ON s.conversation_id = c.id
WHERE c.start_time > '2026-01-14';
SELECT sj_analyze($$SELECT c.id, s.text FROM sj.conversations c
LEFT JOIN sj.summaries s ON s.conversation_id = c.id
WHERE c.start_time > '2026-01-14'$$);
SELECT count(*) AS rows, count(DISTINCT c.id) AS conversations,
       count(*) FILTER (WHERE s.id IS NULL) AS without_summary
FROM sj.conversations c
LEFT JOIN sj.summaries s ON s.conversation_id = c.id
WHERE c.start_time > '2026-01-14';
-- a condition on the part inside ON keeps the unmatched conversations; in
-- WHERE it filters the joined rows
SELECT
  (SELECT count(*) FROM sj.conversations c
     LEFT JOIN sj.summaries s ON s.conversation_id = c.id AND s.text ILIKE '%pricing%'
    WHERE c.start_time > '2026-01-14') AS in_on,
  (SELECT count(*) FROM (SELECT * FROM sj.conversations WHERE start_time > '2026-01-14' OFFSET 0) c
     LEFT JOIN sj.summaries s ON s.conversation_id = c.id AND s.text ILIKE '%pricing%') AS in_on_fenced,
  (SELECT count(*) FROM sj.conversations c
     LEFT JOIN sj.summaries s ON s.conversation_id = c.id
    WHERE c.start_time > '2026-01-14' AND coalesce(s.text, '') NOT ILIKE '%pricing%') AS in_where,
  (SELECT count(*) FROM (SELECT * FROM sj.conversations WHERE start_time > '2026-01-14' OFFSET 0) c
     LEFT JOIN sj.summaries s ON s.conversation_id = c.id
    WHERE coalesce(s.text, '') NOT ILIKE '%pricing%') AS in_where_fenced;

-- 4. a local CRM table: the plan may join it with the part through a
-- parameterized scan (one request per CRM row); rows are the same
CREATE TEMP TABLE crm_accounts (conversation_id text, account text, tier text);
INSERT INTO crm_accounts
SELECT id, 'account ' || row_number() OVER (ORDER BY id),
       CASE WHEN row_number() OVER (ORDER BY id) % 2 = 0 THEN 'enterprise' ELSE 'smb' END
FROM sj.conversations WHERE start_time > '2026-01-14';
ANALYZE crm_accounts;
SELECT k.account, count(*) FROM crm_accounts k
JOIN sj.conversations c ON c.id = k.conversation_id
JOIN sj.action_items a ON a.conversation_id = c.id
WHERE k.tier = 'enterprise' AND c.start_time > '2026-01-14'
GROUP BY 1 ORDER BY 1;
SELECT k.account, count(*) FROM crm_accounts k
JOIN sj.action_items a ON a.conversation_id = k.conversation_id
WHERE k.tier = 'enterprise'
GROUP BY 1 ORDER BY 1;

-- 5. what is not pushed: a whole-row reference is a plain nested loop
EXPLAIN (COSTS OFF)
SELECT c, a.text FROM sj.conversations c
JOIN sj.action_items a ON a.conversation_id = c.id
WHERE c.start_time > '2026-01-14';
SELECT count(*) FROM sj.conversations c
JOIN sj.action_items a ON a.conversation_id = c.id
WHERE c.start_time > '2026-01-14' AND c IS DISTINCT FROM NULL;
-- a join on another column is no source of conversation ids
SELECT count(*) FROM sj.conversations c
JOIN sj.action_items a ON a.text = c.name
WHERE c.start_time > '2026-01-14';

-- 6. a part request that keeps failing fails the query, clearly
\set ufail :emu '/_x/tag=join-fail,status=500,after=3'
CREATE SERVER join_fail FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'ufail', max_retries '1', max_concurrent_requests '2');
CREATE USER MAPPING FOR CURRENT_USER SERVER join_fail
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE SCHEMA sjf;
IMPORT FOREIGN SCHEMA symbl LIMIT TO (conversations, topics) FROM SERVER join_fail INTO sjf;
\set VERBOSITY default
SELECT count(*) FROM sjf.conversations c JOIN sjf.topics t ON t.conversation_id = c.id
WHERE c.start_time > '2026-01-14';
\set VERBOSITY terse

-- 7. a cancel in the middle of the part requests stops them; the session
-- goes on (statement_timeout against a slow API)
\set uslow :emu '/_x/tag=join-slow,latency_ms=400'
CREATE SERVER join_slow FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'uslow', max_retries '0', max_concurrent_requests '2');
CREATE USER MAPPING FOR CURRENT_USER SERVER join_slow
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE SCHEMA sjs;
IMPORT FOREIGN SCHEMA symbl LIMIT TO (conversations, messages) FROM SERVER join_slow INTO sjs;
SET statement_timeout = '1500ms';
SELECT count(*) FROM sjs.conversations c JOIN sjs.messages m ON m.conversation_id = c.id
WHERE c.start_time > '2026-01-14';
RESET statement_timeout;
SELECT count(*) > 0 AS works_again FROM sj.conversations c
JOIN sj.members m ON m.conversation_id = c.id
WHERE c.start_time > '2026-01-15';

DROP FUNCTION sj_analyze(text);
DROP SCHEMA sj, sjf, sjs CASCADE;
DROP SERVER join_srv, join_fail, join_slow CASCADE;
