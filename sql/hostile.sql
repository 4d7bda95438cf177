--
-- hostile: seeded random values full of RSQL and URL metacharacters reach the
-- API as exactly the literal value, never as an operator
--
SET timezone = 'UTC';
\set emu `echo "$SYMBL_EMULATOR_URL"`
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=hostile" > /dev/null
\set u :emu '/_x/tag=hostile'
CREATE SERVER symbl_hostile FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'u', max_concurrent_requests '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_hostile
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE symbl_hostile_conv (id text, name text, metadata jsonb)
  SERVER symbl_hostile;

-- 300 values of 1..60 characters drawn from quotes, backslashes, RSQL
-- operators and delimiters, URL metacharacters, white space, control
-- characters, unicode; plus a few too long to send.  Drawn by md5, not
-- random(): setseed's sequence changed in 15.
CREATE TEMP TABLE hostile_values AS
SELECT i, v FROM (
  SELECT i, string_agg(substr(a.alphabet, 1 + get_byte(decode(md5(i || '-' || j), 'hex'), 0) % length(a.alphabet), 1), '' ORDER BY j) AS v
    FROM generate_series(1, 300) i,
         LATERAL generate_series(1, 1 + (i * 7) % 60) j,
         (SELECT E'"''\\;,=()!~<>&#%+?/ \n\t\r*aZ9.-_é会🎉\x01\x7f' || 'and or =in= =out= == != =gt=' AS alphabet) a
   GROUP BY i) s
UNION ALL SELECT 301, repeat('é"\;', 1500)
UNION ALL SELECT 302, repeat('&', 7000);
SELECT count(*) AS values, count(DISTINCT v) AS distinct_values, max(length(v)) AS longest FROM hostile_values;

-- each value once in a name equality, once in a metadata equality
DO $$
DECLARE
  r record;
  n bigint;
BEGIN
  FOR r IN SELECT * FROM hostile_values ORDER BY i LOOP
    EXECUTE 'SELECT count(*) FROM symbl_hostile_conv WHERE name = $1' INTO n USING r.v;
    IF n <> 0 THEN RAISE EXCEPTION 'value % matched % rows', r.i, n; END IF;
    EXECUTE 'SELECT count(*) FROM symbl_hostile_conv WHERE metadata->>''agentId'' = $1' INTO n USING r.v;
    IF n <> 0 THEN RAISE EXCEPTION 'value % matched % rows', r.i, n; END IF;
  END LOOP;
END $$;

-- what the emulator received, decoded by its strict parser
CREATE TEMP TABLE hostile_log (line text);
\set cmd 'curl -s "' :emu '/_control/log?tag=hostile&format=jsonl"'
COPY hostile_log FROM PROGRAM :'cmd' WITH (FORMAT csv, QUOTE E'\x02', DELIMITER E'\x03');
CREATE TEMP TABLE hostile_sent AS
SELECT row_number() OVER (ORDER BY (line::jsonb->>'seq')::int) AS n,
       (line::jsonb->>'status')::int AS status,
       (SELECT p->>1 FROM jsonb_array_elements(line::jsonb->'params') p WHERE p->>0 = 'filter') AS filter
  FROM hostile_log
 WHERE line::jsonb->>'path' = '/v1/conversations';
-- one request per query, every one accepted
SELECT count(*) AS requests, count(*) FILTER (WHERE status <> 200) AS not_200 FROM hostile_sent;
-- the value each filter carries, unquoted the way an RSQL parser does
CREATE TEMP TABLE hostile_received AS
SELECT n, m[1] AS selector,
       regexp_replace(m[2], '\\(.)', '\1', 'g') AS value
  FROM hostile_sent, regexp_match(filter, '^(conversation\.name|conversation\.metadata\.agentId)=="(.*)"$', 's') m;
SELECT count(*) AS exact_round_trips
  FROM hostile_values v
  JOIN hostile_received r ON r.n IN (2 * v.i - 1, 2 * v.i) AND r.value = v.v;
-- values too long for a URL were not sent: PostgreSQL checked those itself
SELECT v.i, length(v.v) AS length, s.filter IS NULL AS checked_locally
  FROM hostile_values v JOIN hostile_sent s ON s.n IN (2 * v.i - 1, 2 * v.i)
 WHERE s.filter IS NULL OR length(v.v) > 100
 ORDER BY v.i, s.n;

DROP SERVER symbl_hostile CASCADE;
