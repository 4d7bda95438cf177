--
-- trust: reads and writes are right whatever the API does with the filter
-- selectors and sort fields Symbl never documented (conversation.id, type,
-- name, startTime, endTime in a filter; conversation.id, type, endTime in a
-- sort).  The emulator takes each of its three readings in turn:
--   apply   they filter and sort as asked;
--   ignore  they match every row, and sort as if absent (ties come back in
--           the per-page permutation);
--   reject  they answer 400.
-- Under each reading, with one server (own tag, own write state), the same
-- block runs (test/trust_reading.psql): reads compared with a local copy of
-- the emulator's dataset (rows, differences both ways, order), a one-id
-- UPDATE and a one-id DELETE (exactly one request each, to that id), a
-- DELETE ... WHERE type = 'chat' AND start_time > ... that deletes exactly the
-- local copy's set, and what the API was sent (from the emulator's log).
--
SET client_min_messages = warning;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
\set emu `echo "$SYMBL_EMULATOR_URL"`
\! for r in apply ignore reject; do curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=trust_$r" > /dev/null; curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset-state?state=trust_$r" > /dev/null; done
CREATE SCHEMA tr;

-- The queries, {t} standing for the table.  Each is run on the foreign table
-- and on the local copy; members are compared without their ids (a read by
-- id gives every member one, the list may not).
CREATE TABLE tr.queries (n int PRIMARY KEY, what text NOT NULL, q text NOT NULL);
INSERT INTO tr.queries VALUES
(0, 'type = and start_time > (as EXPLAINed)', $$SELECT c.* FROM {t} c WHERE c.type = 'chat' AND c.start_time > '2025-06-01'$$),
(1, 'full scan', $$SELECT c.* FROM {t} c$$),
(2, 'id =', $$SELECT c.* FROM {t} c WHERE c.id = '7932437116274100'$$),
(3, 'id = (no type key)', $$SELECT c.* FROM {t} c WHERE c.id = '9990000000000045'$$),
(4, 'id = (no such id)', $$SELECT c.* FROM {t} c WHERE c.id = '1234'$$),
(5, 'id IN', $$SELECT c.* FROM {t} c WHERE c.id IN ('9990000000000015', '9990000000000018', '4475514908080367', 'nope')$$),
(6, 'id = ANY(array)', $$SELECT c.* FROM {t} c WHERE c.id = ANY (ARRAY['9990000000000101', '9990000000000139', '999999999999999', '10000000000000000', '9990000000000-Ab'])$$),
(7, 'id = ANY(ARRAY(subquery))', $$SELECT c.* FROM {t} c WHERE c.id = ANY (ARRAY(SELECT id FROM tr.dataset WHERE type = 'webinar'))$$),
(8, 'type =', $$SELECT c.* FROM {t} c WHERE c.type = 'chat'$$),
(9, 'type IN', $$SELECT c.* FROM {t} c WHERE c.type IN ('webinar', 'call')$$),
(10, 'name =', $$SELECT c.* FROM {t} c WHERE c.name = 'Weekly sync'$$),
(11, 'name = and type =', $$SELECT c.* FROM {t} c WHERE c.name = 'Wonka / Weekly sync' AND c.type = 'meeting'$$),
(12, 'end_time range', $$SELECT c.* FROM {t} c WHERE c.end_time >= '2025-01-01' AND c.end_time < '2025-03-01'$$),
(13, 'end_time upper bound', $$SELECT c.* FROM {t} c WHERE c.end_time < '2024-06-01'$$),
(14, 'end_time lower bound', $$SELECT c.* FROM {t} c WHERE c.end_time > '2026-01-10'$$),
(15, 'type = and end_time range', $$SELECT c.* FROM {t} c WHERE c.type = 'chat' AND c.end_time > '2025-01-01' AND c.end_time <= '2026-01-01'$$),
(16, 'start_time range', $$SELECT c.* FROM {t} c WHERE c.start_time > '2025-10-07 11:00' AND c.start_time < '2025-10-07 13:00'$$),
(17, 'type =, LIMIT/OFFSET', $$SELECT c.* FROM {t} c WHERE c.type = 'chat' ORDER BY c.start_time, c.id LIMIT 10 OFFSET 5$$),
(18, 'type =, LIMIT/OFFSET (desc)', $$SELECT c.* FROM {t} c WHERE c.type = 'call' ORDER BY c.start_time DESC, c.id DESC LIMIT 7 OFFSET 41$$),
(19, 'name =, LIMIT', $$SELECT c.* FROM {t} c WHERE c.name = 'Wonka / Weekly sync' ORDER BY c.start_time, c.id LIMIT 4$$),
(20, 'LIMIT/OFFSET across the tie group of 40', $$SELECT c.* FROM {t} c WHERE c.start_time >= '2025-10-01' ORDER BY c.start_time, c.id LIMIT 15 OFFSET 30$$),
(21, 'LIMIT/OFFSET across the tie group of 25', $$SELECT c.* FROM {t} c WHERE c.start_time >= '2026-01-13' ORDER BY c.start_time, c.id LIMIT 20 OFFSET 10$$),
(22, 'end_time range, LIMIT/OFFSET', $$SELECT c.* FROM {t} c WHERE c.end_time < '2026-01-01' AND c.type = 'meeting' ORDER BY c.start_time DESC, c.id DESC LIMIT 10 OFFSET 100$$),
(23, 'LIMIT/OFFSET, no condition', $$SELECT c.* FROM {t} c ORDER BY c.start_time, c.id LIMIT 25 OFFSET 880$$);

-- The emulator's dataset as served before any write (the local copy of
-- every reading starts from it)
CREATE TABLE tr.dataset (id text, type text, name text,
  start_time timestamptz, end_time timestamptz, members jsonb, metadata jsonb);
\set cmd 'curl -sf ' :emu '/_control/dataset?format=csv'
COPY tr.dataset FROM PROGRAM :'cmd' WITH (FORMAT csv);
ANALYZE tr.dataset;
SELECT count(*) AS rows, count(*) FILTER (WHERE type = 'chat') AS chats,
       count(*) FILTER (WHERE type = 'chat' AND start_time > '2025-06-01') AS chats_after
  FROM tr.dataset;

-- q on table ft and on table lt: rows of ft, rows in ft and not in lt (as a
-- multiset), rows in lt and not in ft, and, for a query with ORDER BY,
-- whether both came in the same order
CREATE FUNCTION tr.rows(q text, tab text) RETURNS text[]
LANGUAGE plpgsql AS $fn$
DECLARE
  r text[];
BEGIN
  EXECUTE format('SELECT coalesce(array_agg(regexp_replace(x::text, ''""id"": ""[0-9a-f-]{36}"", '', '''', ''g'')), ''{}'') FROM (%s) x',
                 replace(q, '{t}', tab))
    INTO r;
  RETURN r;
END
$fn$;
CREATE FUNCTION tr.cmp(q text, ft text, lt text,
  OUT rows int, OUT only_foreign bigint, OUT only_local bigint, OUT same_order boolean)
LANGUAGE plpgsql AS $fn$
DECLARE
  f text[] := tr.rows(q, ft);
  l text[] := tr.rows(q, lt);
BEGIN
  rows := cardinality(f);
  SELECT count(*) INTO only_foreign FROM (SELECT unnest(f) EXCEPT ALL SELECT unnest(l)) s;
  SELECT count(*) INTO only_local FROM (SELECT unnest(l) EXCEPT ALL SELECT unnest(f)) s;
  same_order := CASE WHEN q ~ 'ORDER BY' THEN f = l END;
END
$fn$;

-- The emulator's log of a tag, as jsonb records (re-read at each call)
CREATE TABLE tr.sink (n serial, line text);
CREATE FUNCTION tr.log(tag text) RETURNS SETOF jsonb
LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM tr.sink;
  EXECUTE format($c$COPY tr.sink (line) FROM PROGRAM %L WITH (FORMAT csv, DELIMITER E'\x01', QUOTE E'\x02')$c$,
                 format('curl -s "%s/_control/log?format=jsonl&tag=%s"', current_setting('tr.emu'), tag));
  RETURN QUERY SELECT line::jsonb FROM tr.sink ORDER BY n;
END
$fn$;
SELECT set_config('tr.emu', :'emu', false) IS NOT NULL AS emu_set;

-- EXPLAIN ANALYZE, only the scan's line and the retry (no timings, no
-- byte counts)
CREATE FUNCTION tr.explain(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || query LOOP
    CONTINUE WHEN line !~ 'Foreign Scan|Symbl Filter Refused';
    RETURN NEXT regexp_replace(btrim(line), 'rows=(\d+)\.\d+', 'rows=\1', 'g');
  END LOOP;
END $$;

\set r apply
\i test/trust_reading.psql
\set r ignore
\i test/trust_reading.psql
\set r reject
\i test/trust_reading.psql

-- What each reading's API saw: the list's 400s (only under reject: one per
-- server, the first request with an undocumented selector, then remembered),
-- reads of one conversation by id, the writes.  No request sent
-- conversation.id in a filter, or in a sort.
SELECT r AS reading,
       count(*) FILTER (WHERE l->>'method' = 'GET' AND l->>'path' = '/v1/conversations' AND (l->>'status') = '400') AS list_400,
       count(*) FILTER (WHERE l->>'method' = 'GET' AND l->>'path' ~ '^/v1/conversations/') AS by_id,
       count(*) FILTER (WHERE l->>'method' = 'PUT') AS puts,
       count(*) FILTER (WHERE l->>'method' = 'DELETE') AS deletes,
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(l->'params') p
                                       WHERE p->>0 IN ('filter', 'sort') AND p->>1 LIKE '%conversation.id%')) AS id_in_filter_or_sort
  FROM unnest('{apply,ignore,reject}'::text[]) r, tr.log('trust_' || r) l
 GROUP BY r ORDER BY r;
-- the 400s the reject reading answered: one per server (then remembered)
SELECT l->>'status' AS status, l->>'path' AS path,
       (SELECT string_agg(p->>0 || '=' || (p->>1), ' & ') FROM jsonb_array_elements(l->'params') p
         WHERE p->>0 = 'filter') AS filter
  FROM tr.log('trust_reject') l WHERE (l->>'status') = '400' ORDER BY (l->>'seq')::int;

DROP SCHEMA tr CASCADE;
DROP SCHEMA tr_apply CASCADE;
DROP SCHEMA tr_ignore CASCADE;
DROP SCHEMA tr_reject CASCADE;
DROP SERVER tr_srv_apply CASCADE;
DROP SERVER tr_srv_ignore CASCADE;
DROP SERVER tr_srv_reject CASCADE;
DROP SERVER tr_srvw_apply CASCADE;
DROP SERVER tr_srvw_ignore CASCADE;
DROP SERVER tr_srvw_reject CASCADE;
