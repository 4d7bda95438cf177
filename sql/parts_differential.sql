--
-- parts_differential: the part tables return what PostgreSQL computes on a
-- local copy of the same data.
--
-- The local copy is the emulator's own dump (/_control/parts: every item
-- byte for byte as the API serves it, words, sentiment and parentRefs
-- included) of the first 60 conversations and of every conversation the
-- joins below select, flattened in SQL exactly as src/resource.c describes
-- each table: a dotted path per column, JSON null as NULL, a path through
-- an array collected per element, entities' groups of matches a row per
-- match (the match's fields first, then the group's; value, else
-- detectedValue).  Each query of the battery runs on the foreign tables
-- and on the local copy; the results are compared as multisets (EXCEPT ALL
-- both ways): every count of differences must be 0.
--
SET client_min_messages = warning;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
\set emu `echo "$SYMBL_EMULATOR_URL"`
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=parts_diff" > /dev/null
CREATE SCHEMA pdf;
CREATE SCHEMA pdl;
-- the default concurrency: several conversations in flight
\set u :emu '/_x/tag=parts_diff'
CREATE SERVER pdiff_srv FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url :'u');
CREATE USER MAPPING FOR CURRENT_USER SERVER pdiff_srv
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
IMPORT FOREIGN SCHEMA symbl FROM SERVER pdiff_srv INTO pdf;

-- the conversations, local, in the dataset's order
CREATE TABLE pdl.conversations (n serial, id text, type text, name text,
  start_time timestamptz, end_time timestamptz, members jsonb, metadata jsonb);
\set cmd 'curl -sf ' :emu '/_control/dataset?format=csv'
COPY pdl.conversations (id, type, name, start_time, end_time, members, metadata)
  FROM PROGRAM :'cmd' WITH (FORMAT csv);

-- The joins: conversations filtered by time windows, name, type, metadata
-- and ids (c stands for the conversations table)
CREATE TABLE pdl.join_filters (n serial, cond text);
INSERT INTO pdl.join_filters (cond) VALUES
  ($$c.start_time >= '2026-01-12' AND c.start_time < '2026-01-13'$$),
  ($$c.start_time >= '2026-01-14'$$),
  ($$c.start_time BETWEEN '2025-02-01' AND '2025-02-28'$$),
  ($$c.name ILIKE '%in progress%'$$),
  ($$c.metadata->>'customerId' = 'cust-007'$$),
  ($$c.type = 'webinar' AND c.start_time >= '2025-06-01'$$),
  ($$c.id IN ('999999999999999', '10000000000000000', '9990000000000-Ab', '9990000000000003', '9990000000000008')$$);
-- the conversations of the local copy: the first 60, and those the joins select
CREATE TABLE pdl.copied (id text PRIMARY KEY);
INSERT INTO pdl.copied SELECT id FROM pdl.conversations WHERE n <= 60;
DO $$
DECLARE f record;
BEGIN
  FOR f IN SELECT * FROM pdl.join_filters LOOP
    EXECUTE format('INSERT INTO pdl.copied SELECT c.id FROM pdl.conversations c WHERE %s ON CONFLICT DO NOTHING', f.cond);
  END LOOP;
END $$;
SELECT count(*) AS copied_conversations FROM pdl.copied;
SELECT string_agg(id, ',' ORDER BY id) AS copy_ids FROM pdl.copied \gset
CREATE TABLE pdl.lines (line jsonb);
\set cmd 'curl -sf "' :emu '/_control/parts?part=all&verbose=true&sentiment=true&parentRefs=true&ids=' :copy_ids '"'
COPY pdl.lines FROM PROGRAM :'cmd' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02');
SELECT line->>'part' AS part, count(*) AS items, count(DISTINCT line->>'conversation_id') AS conversations
  FROM pdl.lines GROUP BY 1 ORDER BY 1;
SELECT line->>'shape' AS entities_shape, count(DISTINCT line->>'conversation_id') AS conversations
  FROM pdl.lines WHERE line->>'part' = 'entities' GROUP BY 1 ORDER BY 1;

-- ==== the local copy, flattened as src/resource.c says
-- JSON null is SQL NULL
CREATE FUNCTION pdl.nn(j jsonb) RETURNS jsonb IMMUTABLE LANGUAGE sql AS
$$ SELECT CASE WHEN j IS NULL OR j = 'null'::jsonb THEN NULL ELSE j END $$;
-- an array of scalars as text[] (strings without quotes, numbers as written)
CREATE FUNCTION pdl.tarr(j jsonb) RETURNS text[] IMMUTABLE LANGUAGE sql AS
$$ SELECT CASE WHEN pdl.nn(j) IS NOT NULL THEN ARRAY(SELECT e #>> '{}' FROM jsonb_array_elements(j) e) END $$;
-- the items of a part, with their conversation
CREATE FUNCTION pdl.items(part text) RETURNS TABLE (conversation_id text, i jsonb) LANGUAGE sql AS
$$ SELECT line->>'conversation_id', line->'item' FROM pdl.lines WHERE line->>'part' = part $$;

CREATE TABLE pdl.messages AS
SELECT conversation_id, i->>'id' AS id, i->>'text' AS text,
       i#>>'{from,id}' AS from_id, i#>>'{from,name}' AS from_name,
       i#>>'{from,email}' AS from_email, i#>>'{from,userId}' AS from_user_id,
       (i->>'startTime')::timestamptz AS start_time, (i->>'endTime')::timestamptz AS end_time,
       (i->>'timeOffset')::float8 AS time_offset, (i->>'duration')::float8 AS duration,
       pdl.nn(i->'phrases') AS phrases, pdl.nn(i->'sentiment') AS sentiment, pdl.nn(i->'words') AS words,
       pdl.nn(i->'entities') AS entities
  FROM pdl.items('messages');
CREATE TABLE pdl.members AS
SELECT conversation_id, i->>'id' AS id, i->>'name' AS name, i->>'email' AS email
  FROM pdl.items('members');
CREATE TABLE pdl.topics AS
SELECT conversation_id, i->>'id' AS id, i->>'text' AS text, i->>'type' AS type,
       (i->>'score')::float8 AS score, pdl.tarr(i->'messageIds') AS message_ids,
       pdl.nn(i->'sentiment') AS sentiment, pdl.nn(i->'parentRefs') AS parent_refs
  FROM pdl.items('topics');
CREATE TABLE pdl.questions AS
SELECT conversation_id, i->>'id' AS id, i->>'text' AS text, i->>'type' AS type,
       (i->>'score')::float8 AS score, pdl.tarr(i->'messageIds') AS message_ids,
       i#>>'{from,id}' AS from_id, i#>>'{from,name}' AS from_name, i#>>'{from,userId}' AS from_user_id
  FROM pdl.items('questions');
CREATE FUNCTION pdl.actions(part text) RETURNS TABLE (conversation_id text, id text, text text,
  type text, score float8, message_ids text[], definitive boolean, assignee_id text,
  assignee_name text, assignee_email text, due_by timestamptz, from_id text, from_name text, from_user_id text,
  entities jsonb, phrases jsonb) LANGUAGE sql AS $$
SELECT conversation_id, i->>'id', i->>'text', i->>'type', (i->>'score')::float8,
       pdl.tarr(i->'messageIds'), (i->>'definitive')::boolean,
       i#>>'{assignee,id}', i#>>'{assignee,name}', i#>>'{assignee,email}', (i->>'dueBy')::timestamptz,
       i#>>'{from,id}', i#>>'{from,name}', i#>>'{from,userId}',
       pdl.nn(i->'entities'), pdl.nn(i->'phrases')
  FROM pdl.items(part) $$;
CREATE TABLE pdl.action_items AS SELECT * FROM pdl.actions('action-items');
CREATE TABLE pdl.follow_ups AS SELECT * FROM pdl.actions('follow-ups');
CREATE TABLE pdl.analytics AS
SELECT conversation_id, m->>'type' AS metric, (m->>'percent')::float8 AS percent,
       (m->>'seconds')::float8 AS seconds
  FROM pdl.items('analytics'), jsonb_array_elements(i->'metrics') m;
CREATE TABLE pdl.member_analytics AS
SELECT conversation_id, m->>'id' AS member_id, m->>'name' AS name, m->>'userId' AS user_id,
       (m#>>'{pace,wpm}')::float8 AS wpm,
       (m#>>'{talkTime,seconds}')::float8 AS talk_seconds,
       (m#>>'{talkTime,percentage}')::float8 AS talk_percent,
       (m#>>'{listenTime,seconds}')::float8 AS listen_seconds,
       (m#>>'{listenTime,percentage}')::float8 AS listen_percent,
       (m#>>'{overlap,overlapDuration}')::float8 AS overlap_seconds,
       pdl.nn(m#>'{overlap,overlappingMembers}') AS overlapping_members
  FROM pdl.items('analytics'), jsonb_array_elements(i->'members') m;
CREATE TABLE pdl.trackers AS
SELECT conversation_id, i->>'id' AS id, i->>'name' AS name, pdl.nn(i->'matches') AS matches
  FROM pdl.items('trackers-detected');
CREATE TABLE pdl.summaries AS
SELECT conversation_id, i->>'id' AS id, i->>'text' AS text,
       CASE WHEN jsonb_typeof(i->'messageRefs') = 'array'
            THEN ARRAY(SELECT r->>'id' FROM jsonb_array_elements(i->'messageRefs') r) END AS message_ids,
       (i->>'startTime')::timestamptz AS start_time, (i->>'endTime')::timestamptz AS end_time
  FROM pdl.items('summary');
-- a row per match of a group (m: the match, i: the group), or per item of
-- a list (m: null)
CREATE TABLE pdl.entities AS
SELECT conversation_id,
       coalesce(m->>'id', i->>'id') AS id,
       coalesce(m->>'type', i->>'type') AS type,
       coalesce(m->>'subType', i->>'subType') AS sub_type,
       coalesce(m->>'customType', i->>'customType') AS custom_type,
       coalesce(m->>'category', i->>'category') AS category,
       coalesce(m->>'value', i->>'value', m->>'detectedValue', i->>'detectedValue') AS value,
       coalesce(m->>'start', i->>'start') AS range_start,
       coalesce(m->>'end', i->>'end') AS range_end,
       coalesce(m->>'text', i->>'text') AS text,
       coalesce(pdl.nn(m->'messageRefs'), pdl.nn(i->'messageRefs')) AS message_refs
  FROM pdl.items('entities'),
       jsonb_array_elements(CASE WHEN jsonb_typeof(i->'matches') = 'array' THEN i->'matches'
                                 ELSE '[null]' END) m;
CREATE FUNCTION pdl.count(t text) RETURNS bigint LANGUAGE plpgsql AS
$$ DECLARE n bigint; BEGIN EXECUTE format('SELECT count(*) FROM pdl.%I', t) INTO n; RETURN n; END $$;
SELECT t AS "table", pdl.count(t) AS rows
  FROM unnest('{messages,members,topics,questions,action_items,follow_ups,analytics,member_analytics,trackers,summaries,entities}'::text[]) t;

-- ==== the battery: {s} is pdf (foreign) or pdl (local)
CREATE TABLE pdl.battery (n serial, tbl text, kind text, q text);
-- a CRM table of the copied conversations (with duplicates and a NULL)
CREATE TABLE pdl.crm AS
SELECT 'acct-' || (n % 7) AS account, id AS conversation_id FROM pdl.conversations
 WHERE id IN (SELECT id FROM pdl.copied) AND n % 3 = 0
UNION ALL SELECT 'acct-x', '9990000000000031' UNION ALL SELECT 'acct-y', NULL;
ANALYZE pdl.crm;
-- local quals per table, and a narrower projection
CREATE TABLE pdl.quals (tbl text, cond text, cols text);
INSERT INTO pdl.quals VALUES
  ('messages', $$p.text ILIKE '%pricing%'$$, 'p.conversation_id, p.id, p.text'),
  ('messages', $$p.from_name = 'John' AND p.duration > 5$$, 'p.conversation_id, p.id, p.words'),
  ('messages', $$p.start_time >= '2026-01-12 16:00' AND p.sentiment->>'suggested' = 'positive'$$, 'p.id, p.sentiment, p.time_offset'),
  ('members', $$p.email IS NOT NULL$$, 'p.conversation_id, p.name'),
  ('topics', $$p.score > 0.5$$, 'p.conversation_id, p.text, p.score'),
  ('topics', $$p.text = 'pricing' OR p.parent_refs @> '[{"text": "sales"}]'$$, 'p.id, p.parent_refs, p.message_ids'),
  ('questions', $$p.text ILIKE '%pricing%'$$, 'p.conversation_id, p.text, p.from_name'),
  ('questions', $$p.score > 0.75 OR p.from_id IS NULL$$, 'p.id, p.message_ids'),
  ('action_items', $$p.definitive AND p.assignee_email IS NOT NULL$$, 'p.conversation_id, p.text, p.assignee_name, p.due_by'),
  ('action_items', $$p.due_by IS NULL OR p.text ILIKE '%pricing%'$$, 'p.id, p.entities, p.phrases'),
  ('follow_ups', $$p.assignee_name IS NULL$$, 'p.conversation_id, p.text, p.from_user_id'),
  ('follow_ups', $$p.score > 0.5 AND p.definitive IS NOT NULL$$, 'p.id, p.definitive, p.score'),
  ('analytics', $$p.metric = 'total_silence' AND p.percent > 50$$, 'p.conversation_id, p.percent, p.seconds'),
  ('member_analytics', $$p.talk_percent > 40$$, 'p.conversation_id, p.name, p.talk_percent, p.wpm'),
  ('member_analytics', $$p.overlap_seconds > 0$$, 'p.member_id, p.overlapping_members'),
  ('trackers', $$p.name = 'Pricing'$$, 'p.conversation_id, p.matches'),
  ('summaries', $$p.text ILIKE '%pricing%'$$, 'p.conversation_id, p.text'),
  ('summaries', $$cardinality(p.message_ids) > 3$$, 'p.id, p.message_ids'),
  ('entities', $$p.type = 'organization'$$, 'p.conversation_id, p.value, p.text'),
  ('entities', $$p.value ILIKE 'a%' OR p.category IS NULL$$, 'p.type, p.sub_type, p.message_refs');
-- per table: sets of ids (an IN list with duplicates, NULL, an unknown id,
-- conversations without parts; = ANY(ARRAY(SELECT ...)) from the
-- conversations table), each with every column and with each local qual,
-- a CRM join; then joins with conversations
INSERT INTO pdl.battery (tbl, kind, q)
SELECT t, 'ids', format($f$SELECT %s FROM {s}.%I p WHERE p.conversation_id IN ('9990000000000002', '9990000000000003', '9990000000000008', '9990000000000023', '9990000000000031', '9990000000000031', NULL, 'nope', '999999999999999', '10000000000000000', '9990000000000-Ab', '9990000000000107', '9990000000000044', '9990000000000012', '9990000000000022')%s$f$,
              coalesce(q.cols, 'p.*'), t, coalesce(' AND (' || q.cond || ')', ''))
  FROM unnest('{messages,members,topics,questions,action_items,follow_ups,analytics,member_analytics,trackers,summaries,entities}'::text[]) t
  LEFT JOIN LATERAL (SELECT cond, cols FROM pdl.quals WHERE tbl = t UNION ALL SELECT NULL, NULL) q ON true;
INSERT INTO pdl.battery (tbl, kind, q)
SELECT t, 'any(array)', format($f$SELECT %s FROM {s}.%I p WHERE p.conversation_id = ANY (ARRAY(SELECT c.id FROM {s}.conversations c WHERE %s))%s$f$,
              coalesce(q.cols, 'p.*'), t, f.cond, coalesce(' AND (' || q.cond || ')', ''))
  FROM unnest('{messages,members,topics,questions,action_items,follow_ups,analytics,member_analytics,trackers,summaries,entities}'::text[]) t
  CROSS JOIN (SELECT cond FROM pdl.join_filters WHERE n IN (1, 4, 5)) f
  LEFT JOIN LATERAL (SELECT cond, cols FROM pdl.quals WHERE tbl = t LIMIT 1) q ON f.cond LIKE '%start_time%';
INSERT INTO pdl.battery (tbl, kind, q)
SELECT t, 'crm join', format($f$SELECT k.account, p.* FROM pdl.crm k JOIN {s}.%I p ON p.conversation_id = k.conversation_id$f$, t)
  FROM unnest('{messages,members,topics,questions,action_items,follow_ups,analytics,member_analytics,trackers,summaries,entities}'::text[]) t;
INSERT INTO pdl.battery (tbl, kind, q)
SELECT t, j.kind, format($f$SELECT c.id AS c_id, c.name AS c_name, c.start_time AS c_start_time, p.* FROM {s}.conversations c %s {s}.%I p ON p.conversation_id = c.id WHERE %s$f$,
              j.op, t, f.cond)
  FROM unnest('{messages,members,topics,questions,action_items,follow_ups,analytics,member_analytics,trackers,summaries,entities}'::text[]) t
  CROSS JOIN pdl.join_filters f
  CROSS JOIN (VALUES ('join', 'JOIN'), ('left join', 'LEFT JOIN')) j (kind, op);
-- joins with a local qual on the part too
INSERT INTO pdl.battery (tbl, kind, q)
SELECT q.tbl, 'join + qual', format($f$SELECT c.name AS c_name, %s FROM {s}.conversations c JOIN {s}.%I p ON p.conversation_id = c.id WHERE %s AND (%s)$f$,
              q.cols, q.tbl, f.cond, q.cond)
  FROM pdl.quals q CROSS JOIN (SELECT cond FROM pdl.join_filters WHERE n IN (1, 5)) f;
-- joins in other shapes: operands the other way round, conditions in a
-- LEFT JOIN's ON, the part missing, counts, whole rows, a LIMIT above or
-- below, three tables, RIGHT JOIN, EXISTS, a local qual on conversations
INSERT INTO pdl.battery (tbl, kind, q)
SELECT t, 'join shapes', format(v.q, t, f.cond, coalesce(q.cond, 'true'))
  FROM unnest('{messages,members,topics,questions,action_items,follow_ups,analytics,member_analytics,trackers,summaries,entities}'::text[]) t
  CROSS JOIN (SELECT cond FROM pdl.join_filters WHERE n IN (1, 5)) f
  LEFT JOIN LATERAL (SELECT cond FROM pdl.quals WHERE tbl = t LIMIT 1) q ON true
  CROSS JOIN (VALUES
    ($v$SELECT c.id AS c_id, p.* FROM {s}.conversations c JOIN {s}.%1$I p ON c.id = p.conversation_id WHERE %2$s$v$),
    ($v$SELECT c.id AS c_id, p.* FROM {s}.conversations c LEFT JOIN {s}.%1$I p ON p.conversation_id = c.id AND %3$s WHERE %2$s$v$),
    ($v$SELECT c.id AS c_id FROM {s}.conversations c LEFT JOIN {s}.%1$I p ON p.conversation_id = c.id WHERE %2$s AND p.conversation_id IS NULL$v$),
    ($v$SELECT c.id AS c_id, count(p.*) AS n FROM {s}.conversations c LEFT JOIN {s}.%1$I p ON p.conversation_id = c.id WHERE %2$s GROUP BY c.id$v$),
    ($v$SELECT c.id AS c_id, p::text AS whole_row FROM {s}.conversations c JOIN {s}.%1$I p ON p.conversation_id = c.id WHERE %2$s$v$),
    ($v$SELECT c_id FROM (SELECT c.id AS c_id FROM {s}.conversations c JOIN {s}.%1$I p ON p.conversation_id = c.id WHERE %2$s ORDER BY c.start_time, c.id LIMIT 15) s$v$),
    ($v$SELECT c.id AS c_id, p.* FROM (SELECT * FROM {s}.conversations c WHERE %2$s ORDER BY c.start_time DESC, c.id LIMIT 5) c JOIN {s}.%1$I p ON p.conversation_id = c.id$v$),
    ($v$SELECT c.id AS c_id, count(*) AS n FROM {s}.conversations c JOIN {s}.%1$I p ON p.conversation_id = c.id JOIN {s}.members m ON m.conversation_id = c.id WHERE %2$s GROUP BY c.id$v$),
    ($v$SELECT c.id AS c_id, p.* FROM {s}.%1$I p RIGHT JOIN {s}.conversations c ON p.conversation_id = c.id WHERE %2$s$v$),
    ($v$SELECT c.id AS c_id FROM {s}.conversations c WHERE %2$s AND EXISTS (SELECT FROM {s}.%1$I p WHERE p.conversation_id = c.id AND %3$s)$v$),
    ($v$SELECT c.id AS c_id, c.name AS c_name, p.* FROM {s}.conversations c JOIN {s}.%1$I p ON p.conversation_id = c.id WHERE %2$s AND (c.name ILIKE '%%a%%' OR c.name IS NULL) AND c.end_time IS NOT NULL$v$)
  ) v (q);
SELECT kind, count(*) AS queries FROM pdl.battery GROUP BY 1 ORDER BY 1;

-- every conversation a join selects is in the local copy (else the
-- comparison would be meaningless)
DO $$
DECLARE f record; n bigint;
BEGIN
  FOR f IN SELECT * FROM pdl.join_filters LOOP
    EXECUTE format('SELECT count(*) FROM pdl.conversations c WHERE %s AND c.id NOT IN (SELECT id FROM pdl.copied)', f.cond) INTO n;
    IF n <> 0 THEN RAISE EXCEPTION 'join filter % selects % conversations outside the copy', f.n, n; END IF;
  END LOOP;
END $$;

-- ==== run: each query on both sides, the differences counted both ways
CREATE TABLE pdl.results (n int, tbl text, kind text, foreign_rows bigint, local_rows bigint,
  missing bigint, extra bigint, error text);
DO $$
DECLARE
  b record;
  fr bigint; lr bigint; missing bigint; extra bigint;
BEGIN
  FOR b IN SELECT * FROM pdl.battery ORDER BY n LOOP
    BEGIN
      EXECUTE 'CREATE TEMP TABLE f_rows AS ' || replace(b.q, '{s}', 'pdf');
      EXECUTE 'CREATE TEMP TABLE l_rows AS ' || replace(b.q, '{s}', 'pdl');
      SELECT count(*) INTO fr FROM f_rows;
      SELECT count(*) INTO lr FROM l_rows;
      SELECT count(*) INTO missing FROM (SELECT * FROM l_rows EXCEPT ALL SELECT * FROM f_rows) x;
      SELECT count(*) INTO extra FROM (SELECT * FROM f_rows EXCEPT ALL SELECT * FROM l_rows) x;
      INSERT INTO pdl.results VALUES (b.n, b.tbl, b.kind, fr, lr, missing, extra, NULL);
      DROP TABLE f_rows, l_rows;
    EXCEPTION WHEN OTHERS THEN
      INSERT INTO pdl.results VALUES (b.n, b.tbl, b.kind, NULL, NULL, NULL, NULL, SQLERRM);
    END;
  END LOOP;
END $$;

-- per table: queries, rows compared, differences (must be 0), errors (must be 0)
SELECT tbl AS "table", count(*) AS queries, sum(local_rows) AS rows,
       count(*) FILTER (WHERE local_rows > 0) AS queries_with_rows,
       coalesce(sum(missing + extra), 0) AS differences,
       count(*) FILTER (WHERE error IS NOT NULL) AS errors
  FROM pdl.results GROUP BY 1 ORDER BY 1;
-- per kind of query
SELECT kind, count(*) AS queries, sum(local_rows) AS rows,
       coalesce(sum(missing + extra), 0) AS differences,
       count(*) FILTER (WHERE error IS NOT NULL) AS errors
  FROM pdl.results GROUP BY 1 ORDER BY 1;
-- any query that differs or failed, with its text (none)
SELECT r.n, r.foreign_rows, r.local_rows, r.missing, r.extra, r.error, b.q
  FROM pdl.results r JOIN pdl.battery b USING (n)
 WHERE r.error IS NOT NULL OR r.missing <> 0 OR r.extra <> 0 OR r.foreign_rows <> r.local_rows
 ORDER BY r.n;
-- every answer of the API was a 200 or a 404 (a part not there), never a
-- 400; no request sent refresh
CREATE TABLE pdl.log (line text);
\set cmd 'curl -sf "' :emu '/_control/log?tag=parts_diff&format=jsonl"'
COPY pdl.log FROM PROGRAM :'cmd' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02');
SELECT line::jsonb->>'status' AS status, count(*) > 0 AS seen
  FROM pdl.log GROUP BY 1 ORDER BY 1;
CREATE TABLE pdl.violations (line text);
\set cmd 'curl -sf "' :emu '/_control/violations?tag=parts_diff"'
COPY pdl.violations FROM PROGRAM :'cmd' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02');
SELECT * FROM pdl.violations;

DROP SCHEMA pdf CASCADE;
DROP SCHEMA pdl CASCADE;
DROP SERVER pdiff_srv CASCADE;
