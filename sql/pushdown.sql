--
-- pushdown: what each kind of qual, sort and limit becomes in the request
-- to GET /v1/conversations, what stays a local Filter, and the exact
-- requests the emulator received (its decoded log, one tag per block).
--
SET client_min_messages = warning;
\set VERBOSITY terse
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
\set emu `echo "$SYMBL_EMULATOR_URL"`
CREATE SCHEMA pd;
-- Pages larger than the dataset (1000 rows) and one request in flight at a
-- time: every scan is one request, and the emulator's log is in a stable
-- order (paging and prefetching are shown with a small page in block 18).
CREATE SERVER pd_srv FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'emu', page_size '2000', max_concurrent_requests '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER pd_srv
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE pd.conv (id text, type text, name text,
  start_time timestamptz, end_time timestamptz, members jsonb, metadata jsonb)
  SERVER pd_srv;
-- the same data, local, for the "what is correct" side
CREATE TABLE pd.local_conv (id text, type text, name text,
  start_time timestamptz, end_time timestamptz, members jsonb, metadata jsonb);
\set cmd 'curl -sf ' :emu '/_control/dataset?format=csv'
COPY pd.local_conv (id, type, name, start_time, end_time, members, metadata)
  FROM PROGRAM :'cmd' WITH (FORMAT csv);

-- Helpers: talk to the emulator's control endpoints from SQL.
CREATE TABLE pd.emu (url text, tag text);
INSERT INTO pd.emu VALUES (:'emu', NULL);
CREATE TABLE pd.sink (n serial, line text);
CREATE FUNCTION pd.curl(path text, method text DEFAULT 'GET') RETURNS SETOF text
LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM pd.sink;
  EXECUTE format($c$COPY pd.sink (line) FROM PROGRAM %L WITH (FORMAT csv, DELIMITER E'\x01', QUOTE E'\x02')$c$,
                 format('curl -s -X %s ''%s''', method, (SELECT url FROM pd.emu) || path));
  RETURN QUERY SELECT line FROM pd.sink ORDER BY n;
END
$fn$;
-- a block: a fresh tag, and the foreign server pointed at it
CREATE PROCEDURE pd.block(tag text) LANGUAGE plpgsql AS $fn$
BEGIN
  UPDATE pd.emu SET tag = block.tag;
  PERFORM pd.curl('/_control/reset?tag=' || tag, 'POST');
  EXECUTE format('ALTER SERVER pd_srv OPTIONS (SET base_url %L)',
                 (SELECT url FROM pd.emu) || '/_x/tag=' || tag);
END
$fn$;
-- the block's requests, as the emulator decoded them
CREATE FUNCTION pd.log() RETURNS SETOF text LANGUAGE sql AS
$$ SELECT pd.curl('/_control/log?format=text&tag=' || (SELECT tag FROM pd.emu)) $$;
-- the same, with times masked (for values computed from the clock)
CREATE FUNCTION pd.log_masked() RETURNS SETOF text LANGUAGE sql AS
$$ SELECT regexp_replace(l, '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z', '<time>', 'g') FROM pd.log() l $$;
-- the block's API requests (numbered from 1) as JSON, parameters as an object
CREATE FUNCTION pd.requests() RETURNS TABLE (n bigint, status int, rows int, params jsonb)
LANGUAGE sql AS $$
  SELECT row_number() OVER (ORDER BY (r->>'seq')::int), (r->>'status')::int, (r->>'rows')::int,
         (SELECT jsonb_object_agg(p->>0, p->>1) FROM jsonb_array_elements(r->'params') p)
    FROM (SELECT l::jsonb AS r
            FROM pd.curl('/_control/log?format=jsonl&tag=' || (SELECT tag FROM pd.emu)) l) s
   WHERE r->>'path' = '/v1/conversations'
   ORDER BY 1
$$;
-- EXPLAIN with times masked
CREATE FUNCTION pd.explain_masked(q text) RETURNS SETOF text LANGUAGE plpgsql AS $fn$
DECLARE l text;
BEGIN
  FOR l IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || q LOOP
    RETURN NEXT regexp_replace(l, '\d{4}-\d\d-\d\dT\d\d%3A\d\d%3A\d\d\.\d+Z', '<time>', 'g');
  END LOOP;
END
$fn$;
-- a time as the FDW writes it: UTC, milliseconds unless there are microseconds
CREATE FUNCTION pd.iso(t timestamptz) RETURNS text LANGUAGE sql AS $$
  SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.') ||
         CASE WHEN extract(microseconds FROM t)::bigint % 1000 = 0
              THEN to_char(t AT TIME ZONE 'UTC', 'MS') ELSE to_char(t AT TIME ZONE 'UTC', 'US') END || 'Z'
$$;
-- the RSQL time comparison sent for a bound: a bound between milliseconds
-- goes out rounded outwards to a whole one
CREATE FUNCTION pd.time_cond(selector text, op text, t timestamptz) RETURNS text LANGUAGE sql AS $$
  SELECT format('%s%s"%s"', selector, op,
                pd.iso(CASE WHEN op IN ('=ge=', '=gt=') OR date_trunc('milliseconds', t) = t
                            THEN date_trunc('milliseconds', t)
                            ELSE date_trunc('milliseconds', t) + interval '1 ms' END))
$$;

--
-- 1. Lower bounds on start_time (>, >=, =, BETWEEN): the startTime window
--    parameter 1 ms below the bound (floor to the ms), plus the RSQL
--    comparison (rounded outwards to whole milliseconds); rechecked, since
--    what the API does with a conversation that lacks the time is not
--    documented.  Row ...32 starts exactly at 2026-01-08 12:00:00, row ...34
--    one millisecond later.
--
CALL pd.block('pd-time-lower');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv WHERE start_time > '2026-01-08 12:00:00+00';
SELECT count(*), min(start_time) FROM pd.conv WHERE start_time > '2026-01-08 12:00:00+00';
SELECT count(*), min(start_time) FROM pd.conv WHERE start_time >= '2026-01-08 12:00:00+00';
-- the 25 rows that share one startTime
SELECT count(*), min(id), max(id) FROM pd.conv WHERE start_time = '2026-01-13 12:00:00.123+00';
SELECT count(*) FROM pd.conv WHERE start_time BETWEEN '2025-01-01' AND '2025-02-01';
-- sub-millisecond bounds: the window is floored, the RSQL keeps microseconds
SELECT count(*) FROM pd.conv
 WHERE start_time > '2026-01-13 12:00:00.1225+00' AND start_time < '2026-01-13 12:00:00.1235+00';
SELECT * FROM pd.log();

--
-- 2. Upper bounds on start_time: RSQL only, never an endTime parameter
--    (endTime bounds the end of a conversation, not its start).
--
CALL pd.block('pd-time-upper');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv WHERE start_time < '2024-03-01';
SELECT count(*), max(start_time) FROM pd.conv WHERE start_time < '2024-03-01';
SELECT count(*), max(start_time) FROM pd.conv WHERE start_time <= '2026-01-08 12:00:00.001+00'
   AND start_time >= '2026-01-08 12:00:00+00';
SELECT * FROM pd.log();

--
-- 3. end_time: an upper bound becomes the endTime window parameter 1 ms
--    above it (when that lies in the past) plus the RSQL comparison; a lower
--    bound is RSQL only.  Rechecked: a conversation in progress has no
--    endTime.  Row ...33 ends exactly at 2025-12-16 12:00:00.
--
CALL pd.block('pd-time-end');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv WHERE end_time <= '2025-12-16 12:00:00+00';
SELECT count(*), max(end_time) FROM pd.conv WHERE end_time <= '2025-12-16 12:00:00+00';
SELECT count(*), max(end_time) FROM pd.conv WHERE end_time < '2025-12-16 12:00:00+00';
SELECT id, end_time FROM pd.conv WHERE end_time = '2025-12-16 12:00:00+00';
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv WHERE end_time >= '2026-01-15 11:59:59.999+00';
SELECT id, end_time FROM pd.conv WHERE end_time >= '2026-01-15 11:59:59.999+00';
-- both windows at once
SELECT count(*) FROM pd.conv WHERE start_time >= '2025-12-01' AND end_time < '2025-12-02';
SELECT * FROM pd.log();

--
-- 4. Values known only at run time are evaluated once per scan: now() -
--    interval, current_date, $1 of a generic plan.  The clock-based requests
--    are shown masked, then checked against now() of the same transaction.
--
CALL pd.block('pd-time-stable');
SELECT * FROM pd.explain_masked($$SELECT id FROM pd.conv
  WHERE start_time >= now() - interval '50 years' AND type = 'webinar'$$);
BEGIN;
SELECT count(*) FROM pd.conv WHERE start_time >= now() - interval '50 years' AND type = 'webinar';
SELECT count(*) FROM pd.conv WHERE start_time >= current_date - 3650 AND type = 'chat';
-- a bound not in the past: no endTime parameter, the RSQL only
SELECT count(*) FROM pd.conv WHERE end_time <= now() + interval '1 hour' AND type = 'chat';
SELECT * FROM pd.log_masked();
SELECT n, params->>'startTime' = pd.iso(date_trunc('milliseconds', now() - interval '50 years') - interval '1 ms') AS window_ok,
       params->>'filter' = 'conversation.type=="webinar";' ||
                           pd.time_cond('conversation.startTime', '=ge=', now() - interval '50 years') AS filter_ok
  FROM pd.requests() WHERE n = 1;
SELECT n, params->>'startTime' = pd.iso((current_date - 3650)::timestamptz - interval '1 ms') AS window_ok,
       params->>'filter' = format('conversation.type=="chat";conversation.startTime=ge="%s"',
                                  pd.iso((current_date - 3650)::timestamptz)) AS filter_ok
  FROM pd.requests() WHERE n = 2;
SELECT n, params->>'startTime' AS start_time, params ? 'endTime' AS has_end_time,
       params->>'filter' = 'conversation.type=="chat";' ||
                           pd.time_cond('conversation.endTime', '=le=', now() + interval '1 hour') AS filter_ok
  FROM pd.requests() WHERE n = 3;
COMMIT;
CALL pd.block('pd-time-param');
SET plan_cache_mode = force_generic_plan;
PREPARE pd_since(timestamptz, text) AS
  SELECT count(*) FROM pd.conv WHERE start_time >= $1 AND type = $2;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE pd_since('2026-01-01', 'call');
EXECUTE pd_since('2026-01-01', 'call');
EXECUTE pd_since('2025-01-01 06:00:00.0005+00', 'chat');
EXECUTE pd_since(NULL, 'chat');
DEALLOCATE pd_since;
RESET plan_cache_mode;
SELECT * FROM pd.log();

--
-- 5. A lower bound in the future: no request at all, no rows, no error.
--    A lower bound on end_time in the future is only RSQL (an empty answer).
--
CALL pd.block('pd-time-future');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv WHERE start_time > now() + interval '1 day';
SELECT count(*) FROM pd.conv WHERE start_time > now() + interval '1 day';
SELECT count(*) FROM pd.conv WHERE start_time >= '2100-01-01';
SELECT count(*) FROM pd.conv WHERE start_time = '2100-01-01' AND type = 'call';
SELECT count(*) FROM pd.conv WHERE end_time > '2100-01-01';
SELECT * FROM pd.log();

--
-- 6. Infinite bounds and bounds outside what the API can express (before
--    1970, after 9999): the rows must still be right.
--
CALL pd.block('pd-time-range');
-- nothing ends at or before -infinity: no request at all
SELECT count(*) FROM pd.conv WHERE end_time <= '-infinity';
SELECT count(*) AS requests FROM pd.log();
SELECT count(*) FROM pd.conv WHERE start_time > '-infinity' AND end_time < 'infinity';
SELECT count(*) FROM pd.conv WHERE start_time >= '1900-01-01';
SELECT (SELECT count(*) FROM pd.conv WHERE start_time < '1969-12-31 23:59:59+00') AS remote,
       (SELECT count(*) FROM pd.local_conv WHERE start_time < '1969-12-31 23:59:59+00') AS local;
SELECT (SELECT count(*) FROM pd.conv WHERE end_time = '1960-01-01+00') AS remote,
       (SELECT count(*) FROM pd.local_conv WHERE end_time = '1960-01-01+00') AS local;
SELECT (SELECT count(*) FROM pd.conv WHERE end_time > '10000-01-01+00') AS remote,
       (SELECT count(*) FROM pd.local_conv WHERE end_time > '10000-01-01+00') AS local;

--
-- 7. =, <>, IN, NOT IN on id, type and name: = and IN are exact (==, =in=);
--    <> and NOT IN are sent (!=, =out=) and rechecked on type and name,
--    because the API may match a missing field with them; on id (which
--    every conversation has) they are exact.
--
CALL pd.block('pd-text');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv WHERE id = '9990000000000001';
SELECT id, name FROM pd.conv WHERE id = '9990000000000001';
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv WHERE type IN ('chat', 'webinar') AND name <> 'Wonka / Planning';
SELECT count(*) FROM pd.conv WHERE type IN ('chat', 'webinar') AND name <> 'Wonka / Planning';
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv WHERE type NOT IN ('meeting', 'call') AND id <> '9990000000000037';
SELECT count(*) FROM pd.conv WHERE type NOT IN ('meeting', 'call') AND id <> '9990000000000037';
-- rows without a name (...15 absent, ...18 null) never match <>
SELECT count(*) FROM pd.conv WHERE name <> 'x' AND id IN ('9990000000000015', '9990000000000018', '9990000000000016');
SELECT id FROM pd.conv WHERE name = '';
-- NULL in IN is ignored; NOT IN with a NULL matches nothing (no request)
SELECT id FROM pd.conv WHERE id IN ('9990000000000002', NULL, 'nope');
SELECT count(*) FROM pd.conv WHERE id NOT IN ('9990000000000002', NULL);
SELECT count(*) FROM pd.conv WHERE id = ANY ('{}'::text[]);
SELECT * FROM pd.log();
-- an empty NOT IN list excludes nothing
SELECT (SELECT count(*) FROM pd.conv WHERE id <> ALL ('{}'::text[])) AS remote,
       (SELECT count(*) FROM pd.local_conv WHERE id <> ALL ('{}'::text[])) AS local;

--
-- 8. metadata->>'key' = / IN and metadata @> '{"k":"v"}' become
--    conversation.metadata.key; keys with other characters than letters,
--    digits, _ and - stay local.
--
CALL pd.block('pd-metadata');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv WHERE metadata->>'customerId' = 'cust-007';
SELECT count(*) FROM pd.conv WHERE metadata->>'customerId' = 'cust-007';
SELECT count(*) FROM pd.conv WHERE metadata->>'region' IN ('us-east-1', 'sa-east-1');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv WHERE metadata @> '{"customerId": "cust-050", "region": "eu-central-1"}';
SELECT id FROM pd.conv WHERE metadata @> '{"customerId": "cust-050", "region": "eu-central-1"}';
SELECT count(*) FROM pd.conv WHERE metadata->>'x-dash-key' = 'dashed';
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv WHERE metadata @> '{"x.dotted.key": "dotted"}' AND metadata->>'ünïcode-kéy' IS NULL;
SELECT count(*) FROM pd.conv WHERE metadata @> '{"x.dotted.key": "dotted"}' AND metadata->>'ünïcode-kéy' IS NULL;
-- a non-string value in the pattern stays local
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv WHERE metadata @> '{"customerId": ["cust-001"]}';
-- hostile and long metadata values
SELECT id FROM pd.conv WHERE metadata->>'note' = 'it''s "quoted"; a=b,c (x) ~!';
SELECT id FROM pd.conv WHERE metadata->>'long' = repeat('v', 127) || 'Ω';
SELECT * FROM pd.log();

--
-- 9. Hostile values round-trip: the emulator's decoded log shows exactly
--    the literal, and the matching adversarial row comes back.  One request
--    per value (a correlated subquery), then literals in one IN list.
--
CALL pd.block('pd-hostile');
CREATE TABLE pd.hostile (n int, name text);
INSERT INTO pd.hostile VALUES
  (1, 'O''Brien "Q3" review'),
  (2, 'C:\temp\new folder\ \\server\share \'),
  (3, 'a==b;c=in=(x,y),d!=e'),
  (4, '=gt='),
  (5, '*'),
  (6, 'and'),
  (7, 'or'),
  (8, 'Sales and Marketing or Ops'),
  (9, 'R&D #1: 100% + tax? a=b&c=d'),
  (10, 'Café 会议 🎉'),
  (11, U&'Cafe\0301 combining A\030a'),
  (12, E'line1\nline2\tcol\r\nend'),
  (13, ''),
  (22, '%20 literal %2B and +plus+ %zz %'),
  (23, 'NULL'),
  (24, '\N'),
  (25, '(x) ~ !y <z> >= ''q'''),
  (26, '  padded  '),
  (27, U&'line\2028sep\2029para'),
  (28, 'csv, "quoted", field'),
  (29, '\.'),
  (30, ' ');
SELECT h.n, (SELECT string_agg(c.id, ',') FROM pd.conv c WHERE c.name = h.name) AS ids
  FROM pd.hostile h ORDER BY h.n;
SELECT * FROM pd.log();
CALL pd.block('pd-hostile-in');
SELECT id FROM pd.conv
 WHERE name IN ('a==b;c=in=(x,y),d!=e', '=gt=', '*', 'and', 'or', 'R&D #1: 100% + tax? a=b&c=d', '\N', '')
 ORDER BY id;
SELECT * FROM pd.log();

--
-- 10. Very long values: the 5000-character name round-trips (the value the
--     emulator decoded is compared with it).  A value or a list too long for
--     a URL must not make the query fail.
--
CALL pd.block('pd-long');
SELECT id, length(name) FROM pd.conv
 WHERE name = (SELECT name FROM pd.local_conv WHERE id = '9990000000000014');
SELECT n, status, rows, length(params->>'filter') AS filter_length,
       params->>'filter' = format('conversation.name=="%s"',
                                  (SELECT name FROM pd.local_conv WHERE id = '9990000000000014')) AS exact
  FROM pd.requests();
SELECT (SELECT count(*) FROM pd.conv WHERE name = repeat('é', 12000)) AS remote,
       (SELECT count(*) FROM pd.local_conv WHERE name = repeat('é', 12000)) AS local;
SET plan_cache_mode = force_generic_plan;
PREPARE pd_ids(text[]) AS SELECT count(*) FROM pd.conv WHERE id = ANY ($1);
SELECT array_agg(id || s)::text AS many_ids
  FROM pd.local_conv, (VALUES (''), ('-a'), ('-b')) v(s) \gset
EXECUTE pd_ids(:'many_ids');
DEALLOCATE pd_ids;
RESET plan_cache_mode;

--
-- 11. At most 2 distinct selectors per filter: the 2 most selective
--     candidates are sent (id, metadata, name, type, time, then <>), the rest
--     stay Filter; time bounds still drive the window.  Never a 400.
--
CALL pd.block('pd-budget');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv
 WHERE type = 'call' AND metadata->>'region' = 'us-east-1' AND name <> 'x' AND start_time >= '2025-01-01';
SELECT count(*) FROM pd.conv
 WHERE type = 'call' AND metadata->>'region' = 'us-east-1' AND name <> 'x' AND start_time >= '2025-01-01';
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv
 WHERE metadata @> '{"customerId": "cust-050", "region": "eu-central-1", "agentId": "agent-01"}';
SELECT id FROM pd.conv
 WHERE metadata @> '{"customerId": "cust-050", "region": "eu-central-1", "agentId": "agent-01"}';
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv
 WHERE id IN ('9990000000000037', '9990000000000036') AND type = 'webinar'
   AND metadata->>'customerId' = 'cust-050' AND end_time < '2026-01-01';
SELECT id FROM pd.conv
 WHERE id IN ('9990000000000037', '9990000000000036') AND type = 'webinar'
   AND metadata->>'customerId' = 'cust-050' AND end_time < '2026-01-01';
SELECT * FROM pd.log();
-- a table-level raw RSQL filter uses up the budget (in either AND syntax)
CALL pd.block('pd-budget-raw');
CREATE FOREIGN TABLE pd.emea_calls (id text, type text, name text, metadata jsonb)
  SERVER pd_srv OPTIONS (filter 'conversation.type==call;conversation.metadata.region==eu-central-1');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.emea_calls WHERE name <> 'x' AND metadata->>'agentId' = 'agent-07';
SELECT count(*) FROM pd.emea_calls WHERE name <> 'x' AND metadata->>'agentId' = 'agent-07';
SELECT * FROM pd.log();
ALTER FOREIGN TABLE pd.emea_calls
  OPTIONS (SET filter 'conversation.type==call and conversation.metadata.region==eu-central-1');
SELECT (SELECT count(*) FROM pd.emea_calls WHERE name <> 'x' AND metadata->>'agentId' = 'agent-07') AS remote,
       (SELECT count(*) FROM pd.local_conv WHERE type = 'call' AND metadata->>'region' = 'eu-central-1'
           AND name <> 'x' AND metadata->>'agentId' = 'agent-07') AS local;

--
-- 12. What stays local: OR, LIKE, ILIKE, regexes, functions of columns,
--     text ranges on name (a nondeterministic collation: pushdown_icu).
--
CALL pd.block('pd-local');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv WHERE type = 'chat' OR metadata->>'customerId' = 'cust-001';
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv WHERE name LIKE 'Acme%' AND name ILIKE '%sync';
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv WHERE name ~ '^=' AND lower(type) = 'call';
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv WHERE name > 'W' AND name BETWEEN 'A' AND 'Z';
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv WHERE name LIKE '*' AND type = 'meeting';
SELECT count(*) FROM pd.conv WHERE type = 'chat' OR metadata->>'customerId' = 'cust-001';
SELECT id, name FROM pd.conv WHERE name LIKE '*' OR name ~ '^=' ORDER BY id;
SELECT * FROM pd.log();

--
-- 13. ORDER BY start_time DESC LIMIT 10: one request, limit=10&order=desc,
--     with conversation.id as the tiebreaker (the 10th row is the first of
--     4 that share a start_time: the one with the greatest id).
--
CALL pd.block('pd-order-limit');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id, start_time FROM pd.conv ORDER BY start_time DESC LIMIT 10;
SELECT id, start_time FROM pd.conv ORDER BY start_time DESC LIMIT 10;
SELECT * FROM pd.log();

--
-- 14. ORDER BY start_time DESC, id LIMIT 10: the API sorts by start_time
--     (how it orders ids is not documented, so id never is), an Incremental
--     Sort finishes.  The first request asks for the row goal (10), the
--     Incremental Sort reads past it to close the last group of equal
--     start_time: one more small request (limit=20), 30 rows in all.
--
CALL pd.block('pd-order-prefix');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id, start_time FROM pd.conv ORDER BY start_time DESC, id LIMIT 10;
SELECT id, start_time FROM pd.conv ORDER BY start_time DESC, id LIMIT 10;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id, start_time FROM pd.conv ORDER BY start_time DESC, id COLLATE "C" DESC LIMIT 10;
SELECT id, start_time FROM pd.conv ORDER BY start_time DESC, id COLLATE "C" DESC LIMIT 10;
SELECT * FROM pd.log();

--
-- 15. ORDER BY name stays local: a Sort node, and no limit sent.
--
CALL pd.block('pd-order-local');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id, name FROM pd.conv ORDER BY name LIMIT 3;
SELECT id, name FROM pd.conv WHERE type = 'webinar' ORDER BY name, id LIMIT 3;
SELECT * FROM pd.log();

--
-- 16. LIMIT 10 alone: one request with limit=10.
--
CALL pd.block('pd-limit');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv LIMIT 10;
SELECT count(*) FROM (SELECT id FROM pd.conv LIMIT 10) s;
SELECT count(*) FROM (SELECT id FROM pd.conv WHERE type = 'call' LIMIT 10) s;
SELECT * FROM pd.log();
-- whole-row references and system columns above a pushed LIMIT
SELECT c FROM pd.conv c WHERE id = '9990000000000005' LIMIT 1;
SELECT row_to_json(c)->>'name' AS name FROM pd.conv c WHERE id = '9990000000000005' LIMIT 1;
SELECT tableoid::regclass, id FROM pd.conv WHERE id = '9990000000000005' LIMIT 1;

--
-- 17. LIMIT with a qual that stays local (or is only rechecked) is not
--     pushed: the Limit node stays above the scan, and the rows are right.
--     The first request is sized from the row goal and the estimated share
--     of rows the local qual keeps (LIKE: 0.5%, so 600 for 3 rows), and
--     later ones double.
--
CALL pd.block('pd-limit-local');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv WHERE name LIKE 'Acme%' ORDER BY start_time, id COLLATE "C" LIMIT 3;
SELECT id, name FROM pd.conv WHERE name LIKE 'Acme%' ORDER BY start_time, id COLLATE "C" LIMIT 3;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv WHERE type <> 'meeting' ORDER BY start_time DESC LIMIT 3;
SELECT id, type FROM pd.conv WHERE type <> 'meeting' ORDER BY start_time DESC LIMIT 3;
SELECT * FROM pd.log();

--
-- 18. OFFSET: pushed with the LIMIT (or alone) when the whole ORDER BY is
--     (start_time alone); ORDER BY ..., id is a row goal instead, and
--     end_time is sorted locally (conversations in progress have none).
--     With page_size 4 the tie group of 25 is paged by id: no row twice,
--     none lost.
--
CALL pd.block('pd-offset');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv ORDER BY start_time LIMIT 3 OFFSET 995;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv ORDER BY start_time, id COLLATE "C" LIMIT 3 OFFSET 995;
SELECT id FROM pd.conv ORDER BY start_time, id COLLATE "C" LIMIT 3 OFFSET 995;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pd.conv ORDER BY end_time DESC, id COLLATE "C" DESC OFFSET 998;
SELECT id FROM pd.conv ORDER BY end_time DESC, id COLLATE "C" DESC OFFSET 998;
ALTER SERVER pd_srv OPTIONS (SET page_size '4');
SELECT id FROM pd.conv WHERE start_time = '2026-01-13 12:00:00.123+00'
 ORDER BY id COLLATE "C" LIMIT 10 OFFSET 2;
SELECT count(*), count(DISTINCT id) FROM pd.conv WHERE start_time = '2026-01-13 12:00:00.123+00';
ALTER SERVER pd_srv OPTIONS (SET page_size '2000');
SELECT * FROM pd.log();
-- an OFFSET beyond what the API accepts (2^31 - 1) still answers: no rows
SELECT id FROM pd.conv ORDER BY start_time, id COLLATE "C" OFFSET 3000000000;
SELECT id FROM pd.conv ORDER BY start_time, id COLLATE "C" LIMIT 5 OFFSET 2147483646;

--
-- 19. The CRM join: a parameterized nested loop, one filtered request per
--     outer row (none for a NULL key); per-row LIMIT in a lateral subquery.
--
CALL pd.block('pd-join');
CREATE TABLE pd.crm_accounts (customer_id text, tier text);
INSERT INTO pd.crm_accounts VALUES
  ('cust-001', 'enterprise'), ('cust-007', 'enterprise'), ('cust-042', 'enterprise'),
  (NULL, 'enterprise'), ('cust-002', 'smb'), ('cust-003', 'smb');
ANALYZE pd.crm_accounts;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT a.customer_id, c.id FROM pd.crm_accounts a
  JOIN pd.conv c ON c.metadata->>'customerId' = a.customer_id
 WHERE a.tier = 'enterprise';
SELECT a.customer_id, count(c.id) FROM pd.crm_accounts a
  JOIN pd.conv c ON c.metadata->>'customerId' = a.customer_id
 WHERE a.tier = 'enterprise' GROUP BY 1 ORDER BY 1;
SELECT * FROM pd.log();
CALL pd.block('pd-join-lateral');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT a.customer_id, x.id FROM pd.crm_accounts a CROSS JOIN LATERAL
  (SELECT c.id FROM pd.conv c WHERE c.metadata->>'customerId' = a.customer_id
    ORDER BY c.start_time DESC LIMIT 2) x
 WHERE a.tier = 'smb';
SELECT a.customer_id, x.id, x.start_time FROM pd.crm_accounts a CROSS JOIN LATERAL
  (SELECT c.id, c.start_time FROM pd.conv c WHERE c.metadata->>'customerId' = a.customer_id
    ORDER BY c.start_time DESC LIMIT 2) x
 WHERE a.tier = 'smb' ORDER BY 1, 3 DESC;
SELECT * FROM pd.log();

--
-- Rows transferred = rows returned for every query whose predicates are all
-- pushable: EXPLAIN ANALYZE's "Symbl Rows Received" of the scan against the
-- rows the query returns.
--
CREATE FUNCTION pd.transfer(q text) RETURNS TABLE (returned bigint, received bigint)
LANGUAGE plpgsql AS $$
DECLARE
  plan jsonb;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON, TIMING OFF, SUMMARY OFF) ' || q INTO plan;
  returned := (plan->0->'Plan'->>'Actual Rows')::numeric;  -- 48.00 on 18
  received := jsonb_path_query_first(plan, 'strict $.**."Symbl Rows Received"')::bigint;
  RETURN NEXT;
END $$;
SELECT t.returned, t.received, round(t.received::numeric / nullif(t.returned, 0), 2) AS ratio, q
  FROM unnest(ARRAY[
    $q$SELECT * FROM pd.conv WHERE start_time >= '2025-12-01' AND start_time < '2026-01-01'$q$,
    $q$SELECT * FROM pd.conv WHERE start_time > '2026-01-12 00:00:00.123456+00'$q$,
    $q$SELECT id FROM pd.conv WHERE start_time BETWEEN '2025-03-01' AND '2025-03-31'$q$,
    $q$SELECT id FROM pd.conv WHERE end_time <= '2025-06-01' AND type IN ('call', 'chat')$q$,
    $q$SELECT id FROM pd.conv WHERE end_time >= '2026-01-14' AND metadata->>'region' IN ('eu-central-1', 'us-east-1')$q$,
    $q$SELECT id FROM pd.conv WHERE metadata->>'customerId' = 'cust-007'$q$,
    $q$SELECT id FROM pd.conv WHERE metadata @> '{"customerId": "cust-001"}' AND type = 'meeting'$q$,
    $q$SELECT id FROM pd.conv WHERE id IN ('9990000000000001', '9990000000000003', 'nope')$q$,
    $q$SELECT * FROM pd.conv LIMIT 10$q$,
    $q$SELECT * FROM pd.conv ORDER BY start_time DESC LIMIT 10$q$,
    $q$SELECT id FROM pd.conv WHERE metadata->>'customerId' = 'cust-001' ORDER BY start_time LIMIT 5 OFFSET 3$q$,
    $q$SELECT id, start_time FROM pd.conv WHERE start_time < '2025-01-01' ORDER BY start_time DESC LIMIT 7$q$
  ]) q, pd.transfer(q) t;

DROP SCHEMA pd CASCADE;
DROP SERVER pd_srv CASCADE;
