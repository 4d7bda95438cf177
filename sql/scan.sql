--
-- scan: full scans, paging, column mapping and types, exact values
--
SET timezone = 'UTC';
\set emu `echo "$SYMBL_EMULATOR_URL"`
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=scan" > /dev/null
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=scan300" > /dev/null
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=scan500" > /dev/null
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=scancur" > /dev/null
\set uscan :emu '/_x/tag=scan'
\set uscan300 :emu '/_x/tag=scan300'
\set uscan500 :emu '/_x/tag=scan500'
\set uscancur :emu '/_x/tag=scancur'
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=scanpar" > /dev/null
\set uscanpar :emu '/_x/tag=scanpar'
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=scanks" > /dev/null
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=scangz" > /dev/null
\set uscangz :emu '/_x/tag=scangz'
\set uscanks :emu '/_x/tag=scanks'
CREATE SERVER symbl_scan_srv FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url :'uscan', max_concurrent_requests '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_scan_srv
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE symbl_scan_all (
  id text, type text, name text,
  start_time timestamptz, end_time timestamptz,
  members jsonb, metadata jsonb
) SERVER symbl_scan_srv;

-- ==== a full scan sees every conversation, not the API's default 7 days:
-- an explicit startTime at the epoch; the default page of 1000 is full, so
-- one more page is asked for
SELECT count(*), count(DISTINCT id) FROM symbl_scan_all;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=scan&format=text"

-- ==== paging: limit/offset until a short page
CREATE SERVER symbl_scan_srv300 FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'uscan300', max_concurrent_requests '1', page_size '300');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_scan_srv300
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE symbl_scan_p300 (id text, start_time timestamptz)
  SERVER symbl_scan_srv300;
SELECT count(*), count(DISTINCT id) FROM symbl_scan_p300;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=scan300&format=text"
-- rows come in the API's order (startTime; equal ones in its own order,
-- which the pager does not trust) across page boundaries
SELECT count(*) AS out_of_order FROM (
  SELECT id, start_time, lag(start_time) OVER () AS prev_start, lag(id) OVER () AS prev_id
    FROM symbl_scan_p300) s
 WHERE prev_start > start_time;
-- a page size that divides the total: one page at a time, each request starts
-- at the last row of the page before (held back as a possible tie), so the
-- last full page is followed by a short one, the end
CREATE SERVER symbl_scan_srv500 FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'uscan500', max_concurrent_requests '1', page_size '500');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_scan_srv500
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE symbl_scan_p500 (id text) SERVER symbl_scan_srv500;
SELECT count(*), count(DISTINCT id) FROM symbl_scan_p500;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=scan500&format=text"
-- the default: several pages in flight at once; rows still come once each,
-- in the API's order, and every page is asked for exactly once
CREATE SERVER symbl_scan_srvpar FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'uscanpar', page_size '100');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_scan_srvpar
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE symbl_scan_par (id text, start_time timestamptz) SERVER symbl_scan_srvpar;
SELECT count(*), count(DISTINCT id) FROM symbl_scan_par;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=scanpar&format=text" | grep -c 'rows=100$'
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=scanpar&format=text" | grep 'rows=100$' | sort -u | wc -l
SELECT count(*) AS out_of_order FROM (
  SELECT id, start_time, lag(start_time) OVER () AS prev_start, lag(id) OVER () AS prev_id
    FROM symbl_scan_par) s
 WHERE prev_start > start_time;
-- keyset paging: every 16 pages the requests re-anchor at the last row's
-- startTime (the startTime parameter, a millisecond early), so offsets stay
-- small however deep the scan goes; rows still come once each and in order,
-- across the groups of 25 and 40 equal startTimes, which the API orders
-- differently on every page: a group that crosses a page boundary is read
-- again whole, in one request off the page grid.  When the anchored requests end, one last request without
-- the anchor asks for what follows all the rows (conversations without a
-- startTime, which anchors cannot see, if the API sorts them last).
CREATE SERVER symbl_scan_srvks FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'uscanks', max_concurrent_requests '1', page_size '10');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_scan_srvks
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE symbl_scan_ks (id text, start_time timestamptz) SERVER symbl_scan_srvks;
SELECT count(*), count(DISTINCT id) FROM symbl_scan_ks;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=scanks&format=jsonl" | python3 -c 'import sys, json; r = [json.loads(l) for l in sys.stdin if l.strip() and json.loads(l)["path"] == "/v1/conversations"]; p = [dict(x["params"]) for x in r]; e = "1970-01-01T00:00:00.000Z"; a = [q for q in p if q["startTime"] != e]; print(len(r), "requests,", len(a), "anchored, largest anchored offset", max(int(q["offset"]) for q in a), ", tie groups read again", sum(int(q["offset"]) % 10 != 0 or int(q["limit"]) != 10 for q in p), "; the last:", "anchored" if p[-1]["startTime"] != e else "unanchored", "offset", p[-1]["offset"])'
SELECT count(*) AS out_of_order FROM (
  SELECT id, start_time, lag(start_time) OVER () AS prev_start, lag(id) OVER () AS prev_id
    FROM symbl_scan_ks) s
 WHERE prev_start > start_time;
-- compression: asked for from remote hosts, not over loopback (where it only
-- costs CPU), unless the server option says otherwise; the rows are the same
CREATE SERVER symbl_scan_srvgz FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'uscangz', max_concurrent_requests '1', page_size '300',
           compression 'true');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_scan_srvgz
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE symbl_scan_gz (id text, name text, members jsonb, metadata jsonb)
  SERVER symbl_scan_srvgz;
CREATE FOREIGN TABLE symbl_scan_plain (id text, name text, members jsonb, metadata jsonb)
  SERVER symbl_scan_srv300;
SELECT (SELECT md5(string_agg(concat_ws('|', id, name, members, metadata), ',' ORDER BY id))
          FROM symbl_scan_gz) =
       (SELECT md5(string_agg(concat_ws('|', id, name, members, metadata), ',' ORDER BY id))
          FROM symbl_scan_plain) AS same_rows;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=scangz&format=jsonl" | python3 -c 'import sys, json; r = [json.loads(l) for l in sys.stdin if l.strip()]; print("compression on:", sorted({x["accept_encoding"] for x in r if x["path"] == "/v1/conversations"}))'
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=scan300&format=jsonl" | python3 -c 'import sys, json; r = [json.loads(l) for l in sys.stdin if l.strip()]; print("loopback default:", sorted({str(x["accept_encoding"]) for x in r if x["path"] == "/v1/conversations"}))'
-- parse_thread 'false': the same rows, every page parsed in the backend's thread
CREATE TEMP TABLE symbl_scan_threaded AS
  SELECT md5(string_agg(concat_ws('|', id, name, members, metadata), ',' ORDER BY id)) AS h
    FROM symbl_scan_plain;
ALTER SERVER symbl_scan_srv300 OPTIONS (ADD parse_thread 'false');
SELECT h = (SELECT md5(string_agg(concat_ws('|', id, name, members, metadata), ',' ORDER BY id))
              FROM symbl_scan_plain) AS same_rows
  FROM symbl_scan_threaded;
ALTER SERVER symbl_scan_srv300 OPTIONS (SET parse_thread 'maybe');
ALTER SERVER symbl_scan_srv300 OPTIONS (DROP parse_thread);
-- a cursor fetches pages only as rows are needed
CREATE SERVER symbl_scan_srvcur FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'uscancur', max_concurrent_requests '1', page_size '300');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_scan_srvcur
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE symbl_scan_cur_t (id text) SERVER symbl_scan_srvcur;
BEGIN;
DECLARE symbl_scan_cur CURSOR FOR SELECT id FROM symbl_scan_cur_t;
FETCH 2 FROM symbl_scan_cur;
MOVE 297 IN symbl_scan_cur;
FETCH 2 FROM symbl_scan_cur;
CLOSE symbl_scan_cur;
COMMIT;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=scancur&format=text"
-- a table without columns still counts every row
CREATE FOREIGN TABLE symbl_scan_nocols () SERVER symbl_scan_srv300;
SELECT count(*) FROM symbl_scan_nocols;

-- ==== the reference: the emulator's dataset, loaded with COPY
CREATE TABLE symbl_scan_ref (
  id text, type text, name text,
  start_time timestamptz, end_time timestamptz,
  members jsonb, metadata jsonb
);
\copy symbl_scan_ref FROM PROGRAM 'curl -s "$SYMBL_EMULATOR_URL/_control/dataset?format=csv"' WITH (FORMAT csv)
SELECT count(*) FROM symbl_scan_ref;
-- the foreign table holds exactly the same rows, byte for byte
SELECT count(*) AS missing FROM (TABLE symbl_scan_ref EXCEPT ALL TABLE symbl_scan_all) d;
SELECT count(*) AS extra FROM (TABLE symbl_scan_all EXCEPT ALL TABLE symbl_scan_ref) d;

-- ==== adversarial names, exactly as sent (to_json shows control characters)
-- (unaligned: psql's display width of some characters differs between
-- PostgreSQL versions, as their Unicode tables do)
\pset format unaligned
SELECT f.id, CASE WHEN octet_length(f.name) > 60 THEN left(f.name, 20) || '...'
             ELSE to_json(f.name)::text END AS name,
       octet_length(f.name) AS bytes, md5(f.name) = md5(r.name) AS same
  FROM symbl_scan_all f JOIN symbl_scan_ref r USING (id)
 WHERE f.id LIKE '99900000000000%'
 ORDER BY f.id;
SELECT char_length(name), md5(name) FROM symbl_scan_all WHERE id = '9990000000000014';
-- missing fields and "name": null are NULL
SELECT id, name IS NULL AS no_name, members IS NULL AS no_members,
       metadata IS NULL AS no_metadata
  FROM symbl_scan_all WHERE id BETWEEN '9990000000000015' AND '9990000000000018'
 ORDER BY id;
-- members and metadata as jsonb
SELECT id, members, metadata FROM symbl_scan_all
 WHERE id IN ('9990000000000019', '9990000000000020', '9990000000000021', '9990000000000031')
 ORDER BY id;
SELECT metadata->>'ünï' AS unicode_key, metadata->>'x.dotted.key' AS dotted,
       length(metadata->>'long') AS long_len, members->1->>'name' AS member
  FROM symbl_scan_all
 WHERE id IN ('9990000000000019', '9990000000000020', '9990000000000021', '9990000000000031')
 ORDER BY id;
\pset format aligned
-- timestamps keep their milliseconds
SELECT id, start_time, end_time FROM symbl_scan_all
 WHERE id IN ('9990000000000032', '9990000000000034', '9990000000000035', '9990000000000037')
 ORDER BY id;

-- ==== other column sets, orders and types
-- a subset in another order, with a mapped column and timestamp without time zone
CREATE FOREIGN TABLE symbl_scan_rev (
  metadata jsonb,
  end_time timestamp,
  name varchar(5000),
  conv_id text OPTIONS (field 'id')
) SERVER symbl_scan_srv300;
SELECT conv_id, name, end_time, metadata FROM symbl_scan_rev
 WHERE conv_id IN ('9990000000000001', '9990000000000016') ORDER BY conv_id;
SELECT count(*) AS differences FROM (
  SELECT metadata, end_time, name, conv_id FROM symbl_scan_rev
  EXCEPT ALL
  SELECT metadata, end_time AT TIME ZONE 'UTC', name, id FROM symbl_scan_ref) d;
-- timestamp without time zone holds the UTC time; timestamptz follows TimeZone
CREATE FOREIGN TABLE symbl_scan_times (
  id text, start_time timestamptz,
  start_local timestamp OPTIONS (field 'startTime')
) SERVER symbl_scan_srv300;
SET timezone = 'America/New_York';
SELECT id, start_time, start_local FROM symbl_scan_times WHERE id = '9990000000000001';
SET timezone = 'UTC';
SELECT id, start_time, start_local FROM symbl_scan_times WHERE id = '9990000000000001';
-- json and text for members and metadata
CREATE FOREIGN TABLE symbl_scan_json (
  id text, members json, metadata text
) SERVER symbl_scan_srv300;
\pset format unaligned
SELECT id, members, metadata FROM symbl_scan_json
 WHERE id IN ('9990000000000019', '9990000000000031') ORDER BY id;
\pset format aligned
SELECT count(*) AS differences FROM symbl_scan_json j JOIN symbl_scan_ref r USING (id)
 WHERE j.members::jsonb IS DISTINCT FROM r.members
    OR j.metadata::jsonb IS DISTINCT FROM r.metadata;
SELECT count(*) FROM symbl_scan_json WHERE members IS NULL OR metadata IS NULL;
-- a column that is the same field twice
CREATE FOREIGN TABLE symbl_scan_twice (
  id text, id2 text OPTIONS (field 'id'), meta_json json OPTIONS (field 'metadata'),
  meta_jsonb jsonb OPTIONS (field 'metadata')
) SERVER symbl_scan_srv300;
SELECT count(*) FROM symbl_scan_twice
 WHERE id = id2 AND meta_json::jsonb IS NOT DISTINCT FROM meta_jsonb;
-- varchar(n) enforces its length: a value that does not fit is an error
-- naming the field, the conversation and the page
CREATE FOREIGN TABLE symbl_scan_short (id text, name varchar(30)) SERVER symbl_scan_srv300;
SELECT count(name) FROM symbl_scan_short;
-- only the columns a query reads are converted
SELECT count(*), count(id) FROM symbl_scan_short;
SELECT name FROM symbl_scan_short WHERE id = '9990000000000001';

-- ==== the design card's query: the last three days hold no conversation of
-- a dataset anchored in the past, and the query runs
SELECT count(*) FROM symbl_scan_all WHERE start_time > now() - interval '3 days';
SELECT * FROM symbl_scan_all WHERE start_time > now() - interval '3 days';

-- ==== EXPLAIN
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM symbl_scan_all;
EXPLAIN (VERBOSE, COSTS OFF) SELECT conv_id, name FROM symbl_scan_rev;
CREATE FUNCTION symbl_scan_explain(query text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  ln text;
BEGIN
  FOR ln IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || query
  LOOP
    -- (18 prints the planner's buffers by default: a table planned for the
    -- first time reads the catalog)
    CONTINUE WHEN ln ~ '^\s*(Planning:|Buffers:)';
    -- (18 prints actual rows with two decimals: rows=1000.00)
    RETURN NEXT regexp_replace(regexp_replace(ln, 'Bytes Received: [1-9][0-9]*', 'Bytes Received: N'),
                               '(rows=[0-9]+)\.00 ', '\1 ', 'g');
  END LOOP;
END
$$;
SELECT symbl_scan_explain('SELECT id FROM symbl_scan_p300');
SELECT symbl_scan_explain('SELECT * FROM symbl_scan_all');
SELECT symbl_scan_explain('SELECT count(*) FROM symbl_scan_nocols');
-- pages asked for ahead that turn out to lie past the end are counted
-- too: the count is what the API received
\set uscanahead :emu '/_x/tag=scanahead'
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=scanahead" > /dev/null
CREATE SERVER symbl_scan_srvahead FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'uscanahead', page_size '11', max_concurrent_requests '6');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_scan_srvahead
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE symbl_scan_ahead (id text, start_time timestamptz)
  SERVER symbl_scan_srvahead;
SELECT symbl_scan_explain($$SELECT id FROM symbl_scan_ahead WHERE start_time > '2025-12-01'$$);
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=scanahead&format=text" | grep -c '^GET'
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=scanahead&format=text" | grep -c ' rows=0$'

SET client_min_messages = warning;
DROP FUNCTION symbl_scan_explain(text);
DROP TABLE symbl_scan_ref;
DROP SERVER symbl_scan_srv, symbl_scan_srv300, symbl_scan_srv500, symbl_scan_srvcur,
  symbl_scan_srvahead CASCADE;
RESET client_min_messages;
