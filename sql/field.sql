--
-- field: the conditions users bring.  Inheritance and partition trees,
-- OFFSETs into a group of equal start_time, conversations in progress and
-- other missing fields, a LATIN1 database, bounds finer than the API's
-- millisecond, an API clock minutes off, and row goals.  Each query runs
-- against the foreign table and a local copy of the same data, under each
-- reading the contract leaves open (the emulator's /_x/ keys missing,
-- missing_sort, time_reading, clock_skew): results must be the same under
-- every reading, and no request may be refused.
--
SET client_min_messages = warning;
\set VERBOSITY terse
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
\set emu `echo "$SYMBL_EMULATOR_URL"`
CREATE SCHEMA fld;
CREATE SERVER fld_srv FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'emu', max_concurrent_requests '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER fld_srv
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE fld.conv (id text, type text, name text,
  start_time timestamptz, end_time timestamptz, members jsonb, metadata jsonb)
  SERVER fld_srv;
CREATE TABLE fld.local (id text, type text, name text,
  start_time timestamptz, end_time timestamptz, members jsonb, metadata jsonb);
\set cmd 'curl -sf ' :emu '/_control/dataset?format=csv'
COPY fld.local FROM PROGRAM :'cmd' WITH (FORMAT csv);
ANALYZE fld.local;

-- Helpers: the emulator's control endpoints from SQL
CREATE TABLE fld.emu (url text, tag text);
INSERT INTO fld.emu VALUES (:'emu', NULL);
CREATE TABLE fld.sink (n serial, line text);
CREATE FUNCTION fld.curl(path text, method text DEFAULT 'GET') RETURNS SETOF text
LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM fld.sink;
  EXECUTE format($c$COPY fld.sink (line) FROM PROGRAM %L WITH (FORMAT csv, DELIMITER E'\x01', QUOTE E'\x02')$c$,
                 format('curl -s -X %s ''%s''', method, (SELECT url FROM fld.emu) || path));
  RETURN QUERY SELECT line FROM fld.sink ORDER BY n;
END
$fn$;
-- a block: a fresh tag and readings ('' for the emulator's defaults, the
-- hardest ones), the foreign server pointed at them
CREATE PROCEDURE fld.block(tag text, readings text DEFAULT '') LANGUAGE plpgsql AS $fn$
BEGIN
  UPDATE fld.emu SET tag = block.tag;
  PERFORM fld.curl('/_control/reset?tag=' || tag, 'POST');
  EXECUTE format('ALTER SERVER fld_srv OPTIONS (SET base_url %L)',
                 (SELECT url FROM fld.emu) || '/_x/tag=' || tag ||
                 CASE WHEN readings <> '' THEN ',' || readings ELSE '' END);
END
$fn$;
CREATE FUNCTION fld.requests() RETURNS TABLE (n bigint, status int, rows int, params jsonb)
LANGUAGE sql AS $$
  SELECT row_number() OVER (ORDER BY (r->>'seq')::int), (r->>'status')::int, (r->>'rows')::int,
         (SELECT jsonb_object_agg(p->>0, p->>1) FROM jsonb_array_elements(r->'params') p)
    FROM (SELECT l::jsonb AS r
            FROM fld.curl('/_control/log?format=jsonl&tag=' || (SELECT tag FROM fld.emu)) l) s
   WHERE r->>'path' = '/v1/conversations'
   ORDER BY 1
$$;
-- requests of the block the API refused (must stay 0)
CREATE FUNCTION fld.refused() RETURNS bigint LANGUAGE sql AS
$$ SELECT count(*) FROM fld.requests() WHERE status <> 200 $$;
-- q with T read as the foreign table and as the local copy: 'same' when
-- both give the same rows (as multisets; in order too when ordered), or
-- what differs, or the error
CREATE FUNCTION fld.same(q text, ordered boolean DEFAULT false) RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
  remote text[];
  local text[];
BEGIN
  EXECUTE format('SELECT array_agg(r::text %s) FROM (%s) r',
                 CASE WHEN ordered THEN '' ELSE 'ORDER BY r::text' END,
                 replace(q, ' T ', ' fld.conv ')) INTO remote;
  EXECUTE format('SELECT array_agg(r::text %s) FROM (%s) r',
                 CASE WHEN ordered THEN '' ELSE 'ORDER BY r::text' END,
                 replace(q, ' T ', ' fld.local ')) INTO local;
  IF remote IS NOT DISTINCT FROM local THEN
    RETURN format('same (%s rows)', coalesce(cardinality(local), 0));
  END IF;
  RETURN format('DIFFERENT: %s rows remote, %s local', coalesce(cardinality(remote), 0),
                coalesce(cardinality(local), 0));
EXCEPTION WHEN OTHERS THEN
  RETURN 'ERROR: ' || SQLERRM;
END
$fn$;

-- query sets, each run under several readings: a WARNING names any query
-- whose rows differ from the local copy's, and the last line counts the
-- requests the API refused
CREATE TABLE fld.queries (n serial, set text, q text, ordered boolean DEFAULT false);
CREATE PROCEDURE fld.run(query_set text, readings text) LANGUAGE plpgsql AS $fn$
DECLARE r record;
BEGIN
  CALL fld.block('fld-' || query_set, readings);
  FOR r IN SELECT * FROM fld.queries WHERE set = query_set ORDER BY n LOOP
    IF fld.same(r.q, r.ordered) NOT LIKE 'same%' THEN
      RAISE WARNING '% [%]: %', r.q, readings, fld.same(r.q, r.ordered);
    END IF;
  END LOOP;
  RAISE WARNING '% [%]: % queries, % requests refused', query_set, readings,
    (SELECT count(*) FROM fld.queries WHERE set = query_set), fld.refused();
END
$fn$;

--
-- 1. Inheritance: a table inheriting from the foreign table used to crash
--    the backend in LIMIT planning (the parent never gets
--    GetForeignRelSize, so no fdw_private), and kept crashing after the
--    child was dropped (relhassubclass stays set).
--
CALL fld.block('fld-inherit');
CREATE TABLE fld.child () INHERITS (fld.conv);
INSERT INTO fld.child (id, type, name, start_time)
  VALUES ('local-1', 'meeting', 'kept locally', '2026-01-10 10:00+00');
SELECT id FROM fld.conv WHERE id = 'local-1' LIMIT 1;
SELECT count(*) FROM (SELECT * FROM fld.conv LIMIT 1) s;
SELECT count(*) = (SELECT count(*) + 1 FROM fld.local) AS all_rows FROM fld.conv;
SELECT count(*) FROM fld.conv WHERE start_time >= '2026-01-10 10:00+00' AND type = 'meeting'
  AND id IN ('local-1', '9990000000000032');
SELECT id, start_time FROM fld.conv WHERE start_time >= '2026-01-10 09:00+00'
 ORDER BY start_time, id LIMIT 3;
DROP TABLE fld.child;
SELECT relhassubclass FROM pg_class WHERE oid = 'fld.conv'::regclass;
SELECT count(*) FROM (SELECT * FROM fld.conv LIMIT 1) s;
SELECT fld.same('SELECT id FROM T ORDER BY start_time, id LIMIT 5', true);
-- the foreign table as a partition of a partitioned table
CREATE TABLE fld.parted (id text, type text, name text,
  start_time timestamptz, end_time timestamptz, members jsonb, metadata jsonb)
  PARTITION BY RANGE (start_time);
CREATE FOREIGN TABLE fld.parted_api PARTITION OF fld.parted
  FOR VALUES FROM ('1970-01-01+00') TO ('2026-06-01+00') SERVER fld_srv;
CREATE TABLE fld.parted_new PARTITION OF fld.parted
  FOR VALUES FROM ('2026-06-01+00') TO (MAXVALUE);
INSERT INTO fld.parted_new (id, start_time) VALUES ('new-1', '2026-07-01+00');
SELECT count(*) = (SELECT count(*) + 1 FROM fld.local WHERE start_time IS NOT NULL) AS all_rows
  FROM fld.parted;
SELECT count(*) FROM (SELECT * FROM fld.parted LIMIT 2) s;
SELECT id FROM fld.parted ORDER BY start_time DESC, id LIMIT 2;
SELECT id FROM fld.parted WHERE start_time < '2026-06-01+00' AND id = '9990000000000032' LIMIT 1;
-- UNION ALL views
CREATE VIEW fld.calls_and_chats AS
  SELECT id, type FROM fld.conv WHERE type = 'call'
  UNION ALL SELECT id, type FROM fld.conv WHERE type = 'chat';
SELECT count(*) = (SELECT count(*) FROM fld.local WHERE type IN ('call', 'chat')) AS same
  FROM fld.calls_and_chats;
SELECT count(*) FROM (SELECT * FROM fld.calls_and_chats LIMIT 3) s;
SELECT fld.refused() AS refused;

--
-- 2. An OFFSET into a group of equal start_time, then keyset re-anchoring:
--    the rows of the group the OFFSET skipped used to be left out of the
--    anchor's count (40 rows, 35 distinct).  The 25-row group starts
--    :k - 5 rows in; the OFFSET lands 5 rows into it.  Pages of 1 and 2
--    rows re-anchor every 16 and 32 rows.
--
SELECT count(*) + 5 AS k FROM fld.local WHERE start_time < '2026-01-13 12:00:00.123+00' \gset
-- the API orders equal start_times its own way, another on every page (the
-- emulator: a permutation per request): which 20 of the group's 25 rows the
-- OFFSET window holds is open (as on a local table), their start_times and
-- the rows of every group wholly inside the window are not, and no row
-- comes twice
CALL fld.block('fld-offset-ties');
-- (fld.conv is an inheritance parent now: LIMIT is not pushed there)
CREATE FOREIGN TABLE fld.plain (id text, start_time timestamptz) SERVER fld_srv;
ALTER SERVER fld_srv OPTIONS (ADD page_size '1');
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM fld.plain ORDER BY start_time OFFSET :k LIMIT 40;
CREATE FUNCTION fld.window_check(got text, want text)
RETURNS TABLE (count bigint, distinct_ids bigint, same_start_times boolean, same_whole_groups boolean)
LANGUAGE plpgsql AS $$
BEGIN
  -- a group of equal start_time wholly inside the window must come whole;
  -- of one cut by the window's edge, any of its rows may
  RETURN QUERY EXECUTE format($q$
    WITH r AS MATERIALIZED (%s), l AS MATERIALIZED (%s),
         whole AS (SELECT l.start_time FROM l GROUP BY l.start_time
                   HAVING count(*) = (SELECT count(*) FROM fld.local x WHERE x.start_time = l.start_time))
    SELECT count(*), count(DISTINCT id),
           array_agg(start_time ORDER BY start_time) = (SELECT array_agg(start_time ORDER BY start_time) FROM l),
           coalesce(array_agg(id ORDER BY id) FILTER (WHERE start_time IN (SELECT * FROM whole)), '{}') =
             (SELECT coalesce(array_agg(id ORDER BY id) FILTER (WHERE start_time IN (SELECT * FROM whole)), '{}') FROM l)
      FROM r $q$, got, want);
END $$;
SELECT * FROM fld.window_check(
  format('SELECT id, start_time FROM fld.plain ORDER BY start_time OFFSET %s LIMIT 40', :k),
  format('SELECT id, start_time FROM fld.local ORDER BY start_time OFFSET %s LIMIT 40', :k));
ALTER SERVER fld_srv OPTIONS (SET page_size '2', SET max_concurrent_requests '4');
SELECT * FROM fld.window_check(
  format('SELECT id, start_time FROM fld.plain ORDER BY start_time OFFSET %s LIMIT 150', :k - 20),
  format('SELECT id, start_time FROM fld.local ORDER BY start_time OFFSET %s LIMIT 150', :k - 20));
-- and from offset 0 (a scan that re-anchors) to past the group: all rows
WITH r AS MATERIALIZED (SELECT id FROM fld.plain ORDER BY start_time LIMIT :k + 100)
SELECT count(*), count(DISTINCT id),
       array_agg(id ORDER BY id) = (SELECT array_agg(id ORDER BY id) FROM
         (SELECT id FROM fld.local ORDER BY start_time, id COLLATE "C" LIMIT :k + 100) l) AS same
  FROM r;
-- the requests: plain offsets in the OFFSET scans, anchors (the startTime
-- parameter) from offset 0, and the tie group read again whole where it
-- crossed a page boundary (a limit beyond the page size)
SELECT count(*) AS requests,
       count(*) FILTER (WHERE params->>'startTime' <> '1970-01-01T00:00:00.000Z') AS anchored,
       max((params->>'offset')::int) FILTER (WHERE params->>'startTime' <> '1970-01-01T00:00:00.000Z') AS max_anchored_offset,
       count(*) FILTER (WHERE (params->>'limit')::int > 2) AS tie_group_reads,
       count(*) FILTER (WHERE params->>'sort' LIKE '%conversation.id%') AS sorted_by_id
  FROM fld.requests();
ALTER SERVER fld_srv OPTIONS (DROP page_size, SET max_concurrent_requests '1');
SELECT fld.refused() AS refused;

--
-- 3. Missing fields: conversations in progress have no endTime, some have
--    no name (absent or null), no type, null metadata or members.  SQL must
--    treat them as NULL under every reading of what the API does with a
--    missing field in !=, =out=, ranges, the window and sorts.
--
SELECT count(*) FILTER (WHERE end_time IS NULL) > 0 AS in_progress,
       count(*) FILTER (WHERE name IS NULL) > 1 AS unnamed,
       count(*) FILTER (WHERE type IS NULL) > 0 AS untyped
  FROM fld.local;
INSERT INTO fld.queries (set, q, ordered) SELECT 'missing', * FROM (VALUES
  ('SELECT id FROM T WHERE end_time < ''infinity''', false),
  ('SELECT id FROM T WHERE end_time <> ''2020-01-01+00''', false),
  ('SELECT id FROM T WHERE end_time >= ''2026-01-01+00''', false),
  ('SELECT id FROM T WHERE end_time <= ''2026-01-14+00''', false),
  ('SELECT id FROM T WHERE end_time < now() - interval ''10 seconds''', false),
  ('SELECT id FROM T WHERE end_time IS NULL', false),
  ('SELECT id FROM T WHERE name <> ''x''', false),
  ('SELECT id FROM T WHERE name NOT IN (''a'', ''b'')', false),
  ('SELECT id FROM T WHERE type <> ''meeting''', false),
  ('SELECT id FROM T WHERE type NOT IN (''meeting'', ''call'')', false),
  ('SELECT id FROM T WHERE metadata->>''region'' <> ''emea''', false),
  ('SELECT id FROM T WHERE start_time > ''2026-01-01+00'' AND end_time IS NULL', false),
  ('SELECT id, end_time FROM T ORDER BY end_time, id', true),
  ('SELECT id, end_time FROM T ORDER BY end_time DESC, id', true),
  ('SELECT id, end_time FROM T ORDER BY end_time NULLS FIRST, id LIMIT 20', true),
  ('SELECT id, name FROM T ORDER BY name, id LIMIT 20', true),
  ('SELECT id, start_time FROM T ORDER BY start_time DESC, id LIMIT 20', true),
  ('SELECT id FROM T WHERE end_time < ''infinity'' ORDER BY start_time, id LIMIT 5', true)) v;
SET client_min_messages = warning;
CALL fld.run('missing', '');
CALL fld.run('missing', 'missing=nomatch');
CALL fld.run('missing', 'missing=match,missing_sort=high');
CALL fld.run('missing', 'missing=nomatch,missing_sort=high');

--
-- 4. A LATIN1 database: values and metadata keys go out as UTF-8, and a
--    key that is not plain ASCII letters, digits, _ or - stays local (no
--    locale-dependent isalnum).
--
SELECT current_database() AS regress_db \gset
CREATE DATABASE fld_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
\c fld_latin1
\encoding UTF8
SET client_min_messages = warning;
SET timezone = 'UTC';
\set emu `echo "$SYMBL_EMULATOR_URL"`
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=fld-latin1" > /dev/null
\set u :emu '/_x/tag=fld-latin1'
CREATE EXTENSION symbl_fdw;
CREATE SERVER l1_srv FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'u', max_concurrent_requests '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER l1_srv
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE l1_conv (id text, type text, name text,
  start_time timestamptz, end_time timestamptz, members jsonb, metadata jsonb)
  SERVER l1_srv OPTIONS (filter 'conversation.type!="réunion"');
SELECT count(*) FROM l1_conv WHERE name = 'Réunion équipe café';
SELECT count(*) FROM l1_conv WHERE name IN ('Réunion', 'équipe') AND type = 'meeting';
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM l1_conv WHERE metadata->>'clé' = 'x' AND type = 'call';
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=fld-latin1&format=text"
\c :regress_db
SET client_min_messages = warning;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
DROP DATABASE fld_latin1;

--
-- 5. Bounds between milliseconds: the API reads times to the millisecond,
--    truncating or rounding.  The 25-row group starts at 12:00:00.123; row
--    ...33 ends at 2025-12-16 12:00:00.000.
--
INSERT INTO fld.queries (set, q) SELECT 'ms', * FROM (VALUES
  ('SELECT id FROM T WHERE start_time >= ''2026-01-13 12:00:00.1234+00'''),
  ('SELECT id FROM T WHERE start_time >= ''2026-01-13 12:00:00.1226+00'''),
  ('SELECT id FROM T WHERE start_time > ''2026-01-13 12:00:00.1229+00'''),
  ('SELECT id FROM T WHERE start_time = ''2026-01-13 12:00:00.123001+00'''),
  ('SELECT id FROM T WHERE start_time = ''2026-01-13 12:00:00.123+00'''),
  ('SELECT id FROM T WHERE start_time < ''2026-01-13 12:00:00.1233+00'' AND start_time > ''2026-01-13+00'''),
  ('SELECT id FROM T WHERE start_time <= ''2026-01-13 12:00:00.1227+00'' AND start_time > ''2026-01-13+00'''),
  ('SELECT id FROM T WHERE start_time <> ''2026-01-13 12:00:00.1230004+00'' AND start_time > ''2026-01-13+00'''),
  ('SELECT id FROM T WHERE end_time < ''2025-12-16 12:00:00.0003+00'' AND end_time > ''2025-12-15+00'''),
  ('SELECT id FROM T WHERE end_time <= ''2025-12-15 23:59:59.9997+00'' AND end_time > ''2025-12-15+00'''),
  ('SELECT id FROM T WHERE end_time = ''2025-12-16 12:00:00.0004+00''')) v;
CALL fld.run('ms', 'time_reading=truncate');
CALL fld.run('ms', 'time_reading=round');
-- what went out: whole milliseconds, rounded outwards
CALL fld.block('fld-ms-sent');
SELECT count(*) FROM fld.conv WHERE start_time >= '2026-01-13 12:00:00.1234+00' AND type = 'call';
SELECT count(*) FROM fld.conv WHERE end_time < '2025-12-16 12:00:00.0003+00' AND type = 'call';
SELECT count(*) FROM fld.conv WHERE start_time = '2026-01-13 12:00:00.123001+00' AND type = 'call';
SELECT n, params->>'filter' AS filter FROM fld.requests();

--
-- 6. The API's clock minutes off ours: no window parameter that the API
--    could take for one in the future, and the right rows.
--
INSERT INTO fld.queries (set, q) SELECT 'skew', * FROM (VALUES
  ('SELECT id FROM T WHERE end_time < now() - interval ''10 seconds'''),
  ('SELECT id FROM T WHERE end_time <= now() - interval ''6 minutes'''),
  ('SELECT id FROM T WHERE start_time > now() - interval ''1 minute'''),
  ('SELECT id FROM T WHERE start_time >= now() - interval ''4 minutes'' AND end_time < now()'),
  ('SELECT id FROM T WHERE start_time > now() + interval ''2 minutes'''),
  ('SELECT id FROM T WHERE start_time >= now() - interval ''3 days'''),
  ('SELECT id FROM T WHERE start_time BETWEEN ''2026-01-01+00'' AND now() - interval ''30 seconds''')) v;
CALL fld.run('skew', 'clock_skew=-300');
CALL fld.run('skew', 'clock_skew=-120');
CALL fld.run('skew', 'clock_skew=120');
CALL fld.run('skew', 'clock_skew=300');

--
-- 10. Row goals: ORDER BY start_time DESC, id LIMIT 10 pushes the
--     start_time prefix under an Incremental Sort.  The first request asks
--     for the 10 rows the LIMIT wants, the Incremental Sort reads a little
--     past them to close the group of equal start_time: at most one page
--     and two requests, not two full pages.
--
CALL fld.block('fld-goal');
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM fld.conv ORDER BY start_time DESC, id LIMIT 10;
SELECT id FROM fld.conv ORDER BY start_time DESC, id LIMIT 10;
SELECT count(*) AS requests, sum(rows) AS rows_received, max((params->>'limit')::int) AS largest_limit
  FROM fld.requests();
SELECT fld.same('SELECT id FROM T ORDER BY start_time DESC, id LIMIT 10', true);
-- a selective local qual: the first request is sized by its estimate
CALL fld.block('fld-goal-local');
SELECT count(*) FROM (SELECT id FROM fld.conv WHERE name LIKE '%Acme%' ORDER BY start_time LIMIT 2) s;
SELECT n, params->>'limit' AS "limit", params->>'offset' AS "offset", rows FROM fld.requests();
