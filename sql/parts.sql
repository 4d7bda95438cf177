--
-- parts: the tables of a conversation's parts (issue 11): messages, members,
-- topics, questions, action items, follow-ups, analytics, member analytics,
-- trackers, summaries and entities.  Rows for known conversations, the
-- optional parameters sent only when a column needs them, every form of
-- conversation ids, the error without them, 404 as no rows, retries, hostile
-- ids as one path segment, the field option, bad definitions, concurrency,
-- ANALYZE and malformed answers; each block with the requests the emulator
-- logged (its own tag).
--
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET extra_float_digits = 0;
\set emu `echo "$SYMBL_EMULATOR_URL"`
CREATE SCHEMA pt;
-- One request in flight at a time (but in block 11): the log is in the
-- order of the ids, which a scan asks for sorted and each once.
CREATE SERVER pt_srv FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'emu', max_concurrent_requests '1', max_retries '2');
CREATE USER MAPPING FOR CURRENT_USER SERVER pt_srv
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');

-- Helpers: talk to the emulator's control endpoints from SQL.
CREATE TABLE pt.emu (url text, tag text);
INSERT INTO pt.emu VALUES (:'emu', NULL);
CREATE TABLE pt.sink (n serial, line text);
CREATE FUNCTION pt.curl(path text, method text DEFAULT 'GET') RETURNS SETOF text
LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM pt.sink;
  EXECUTE format($c$COPY pt.sink (line) FROM PROGRAM %L WITH (FORMAT csv, DELIMITER E'\x01', QUOTE E'\x02')$c$,
                 format('curl -s -X %s ''%s''', method, (SELECT url FROM pt.emu) || path));
  RETURN QUERY SELECT line FROM pt.sink ORDER BY n;
END
$fn$;
-- a block: a fresh tag (and its own state), the server pointed at it
-- with extra fault options
CREATE PROCEDURE pt.block(tag text, faults text DEFAULT '') LANGUAGE plpgsql AS $fn$
BEGIN
  UPDATE pt.emu SET tag = block.tag;
  PERFORM pt.curl('/_control/reset?tag=' || tag, 'POST');
  EXECUTE format('ALTER SERVER pt_srv OPTIONS (SET base_url %L)',
                 (SELECT url FROM pt.emu) || '/_x/tag=' || tag || faults);
END
$fn$;
-- the block's requests as the emulator logged them (raw path, decoded
-- parameters, status, items)
CREATE FUNCTION pt.log() RETURNS SETOF text LANGUAGE sql AS
$$ SELECT pt.curl('/_control/log?format=text&tag=' || (SELECT tag FROM pt.emu)) $$;
-- the same, sorted: with several requests in flight they arrive in any order
CREATE FUNCTION pt.log_sorted() RETURNS SETOF text LANGUAGE sql AS
$$ SELECT l FROM pt.log() l ORDER BY l COLLATE "C" $$;
-- the block's requests as JSON
CREATE FUNCTION pt.requests() RETURNS SETOF jsonb LANGUAGE sql AS
$$ SELECT l::jsonb FROM pt.curl('/_control/log?format=jsonl&tag=' || (SELECT tag FROM pt.emu)) l $$;
-- DELETE a conversation through the API, in the block's state
CREATE FUNCTION pt.delete_conversation(id text) RETURNS SETOF text LANGUAGE plpgsql AS $fn$
DECLARE base text := (SELECT url || '/_x/tag=' || tag FROM pt.emu);
BEGIN
  DELETE FROM pt.sink;
  EXECUTE format($c$COPY pt.sink (line) FROM PROGRAM %L WITH (FORMAT csv, DELIMITER E'\x01', QUOTE E'\x02')$c$,
    format($s$token=$(curl -s -X POST -H 'Content-Type: application/json' -d '{"type":"application","appId":"demo-app-id","appSecret":"demo-app-secret"}' '%s/oauth2/token:generate' | sed -E 's/.*"accessToken":"([^"]*)".*/\1/'); curl -s -o /dev/null -w 'DELETE %%{http_code}' -X DELETE -H "Authorization: Bearer $token" '%s/v1/conversations/%s'$s$,
           base, base, id));
  RETURN QUERY SELECT line FROM pt.sink ORDER BY n;
END
$fn$;
-- EXPLAIN (VERBOSE, COSTS OFF) alike on every version: an InitPlan's
-- output (13 to 16 print "InitPlan 1 (returns $0)" and "$0", 17 and 18
-- "InitPlan 1" and "(InitPlan 1).col1"), and the two sides of a join
-- clause in one order (18 prints some the other way round)
CREATE FUNCTION pt.explain(q text) RETURNS SETOF text LANGUAGE plpgsql AS $fn$
DECLARE
  l text;
  m text[];
BEGIN
  FOR l IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || q LOOP
    l := regexp_replace(l, '^(\s*InitPlan \d+) \(returns \$\d+\)$', '\1');
    l := regexp_replace(l, '\(InitPlan \d+\)\.col1|\$0', '$initplan', 'g');
    m := regexp_match(l, '^(\s*Filter: \()(\w+\.\w+) = (\w+\.\w+)(\))$');
    IF m IS NOT NULL AND m[2] COLLATE "C" > m[3] THEN
      l := m[1] || m[3] || ' = ' || m[2] || m[4];
    END IF;
    RETURN NEXT l;
  END LOOP;
END
$fn$;
-- what EXPLAIN ANALYZE counted in the part scans of a query (rows without
-- 18's decimals)
CREATE FUNCTION pt.counted(q text) RETURNS TABLE (rows bigint, conversations bigint,
  requests bigint, retries bigint, not_found bigint, rows_received bigint)
LANGUAGE plpgsql AS $fn$
DECLARE plan jsonb;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON, TIMING OFF, SUMMARY OFF) ' || q INTO plan;
  RETURN QUERY
  SELECT (p->>'Actual Rows')::numeric::bigint, (p->>'Symbl Conversations')::bigint,
         (p->>'Symbl Requests')::bigint, (p->>'Symbl Retries')::bigint,
         (p->>'Symbl Not Found')::bigint, (p->>'Symbl Rows Received')::bigint
    FROM jsonb_path_query(plan, 'strict $.**') p
   WHERE p ? 'Symbl Not Found';
END
$fn$;
-- an error as text (SQLSTATE, message, detail, hint), for errors inside a
-- query whose context lines would vary
CREATE FUNCTION pt.error_of(q text) RETURNS SETOF text LANGUAGE plpgsql AS $fn$
DECLARE
  state text; msg text; detail text; hint text; context text;
BEGIN
  EXECUTE q;
  RETURN NEXT 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
    detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT, context = PG_EXCEPTION_CONTEXT;
  RETURN NEXT 'ERROR ' || state || ': ' || msg;
  IF detail <> '' THEN RETURN NEXT 'DETAIL: ' || detail; END IF;
  IF hint <> '' THEN RETURN NEXT 'HINT: ' || hint; END IF;
  -- the extension's own context line, not PL/pgSQL's
  IF split_part(context, E'\n', 1) NOT LIKE 'PL/pgSQL%'
     AND split_part(context, E'\n', 1) NOT LIKE 'SQL statement%' THEN
    RETURN NEXT 'CONTEXT: ' || split_part(context, E'\n', 1);
  END IF;
END
$fn$;

-- ==== 1. IMPORT FOREIGN SCHEMA: the conversations and the eleven part
-- tables, each part table naming its resource
CALL pt.block('parts_import');
IMPORT FOREIGN SCHEMA symbl FROM SERVER pt_srv INTO pt;
SELECT c.relname, ft.ftoptions,
       string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum) AS columns
  FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
 WHERE c.relnamespace = 'pt'::regnamespace
 GROUP BY c.relname, ft.ftoptions ORDER BY c.relname;
CREATE SCHEMA pt_some;
IMPORT FOREIGN SCHEMA symbl LIMIT TO (messages, summaries) FROM SERVER pt_srv INTO pt_some;
IMPORT FOREIGN SCHEMA symbl EXCEPT (conversations, messages, summaries, entities)
  FROM SERVER pt_srv INTO pt_some;
SELECT relname FROM pg_class WHERE relnamespace = 'pt_some'::regnamespace ORDER BY relname;
DROP SCHEMA pt_some CASCADE;
-- importing asks the API nothing
SELECT * FROM pt.log();

-- ==== 2. every table, for known conversations
CALL pt.block('parts_read');
-- 9990000000000010: three messages from one member
SELECT conversation_id, id, text, from_id, from_name, from_email, from_user_id,
       start_time, end_time, time_offset, duration, phrases, sentiment,
       jsonb_array_length(words) AS words, words->0 AS first_word
  FROM pt.messages WHERE conversation_id = '9990000000000010' ORDER BY start_time, id;
-- 9990000000000031: three members, two without an id in the list, one named ""
SELECT * FROM pt.members WHERE conversation_id = '9990000000000031' ORDER BY id;
SELECT * FROM pt.topics WHERE conversation_id = '9990000000000021' ORDER BY id;
SELECT * FROM pt.questions WHERE conversation_id = '9990000000000005' ORDER BY id;
-- assignees with and without an email, dueBy present, absent and null
SELECT * FROM pt.action_items WHERE conversation_id = '9990000000000031' ORDER BY id;
SELECT * FROM pt.follow_ups WHERE conversation_id = '9990000000000021' ORDER BY id;
SELECT * FROM pt.analytics WHERE conversation_id = '9990000000000031' ORDER BY metric;
SELECT * FROM pt.member_analytics WHERE conversation_id = '9990000000000031' ORDER BY member_id;
SELECT conversation_id, id, name, jsonb_array_length(matches) AS matches,
       matches->0->>'value' AS value, jsonb_array_length(matches->0->'messageRefs') AS message_refs
  FROM pt.trackers WHERE conversation_id = '9990000000000023' ORDER BY id;
SELECT * FROM pt.summaries WHERE conversation_id = '9990000000000023' ORDER BY id;
-- entities in both published shapes: a list (9990000000000021), and groups
-- of matches (9990000000000008), a row per match with value from
-- detectedValue and no text
SELECT * FROM pt.entities WHERE conversation_id IN ('9990000000000021', '9990000000000008')
 ORDER BY conversation_id, type, value;
SELECT * FROM pt.log();

-- ==== 3. optional parameters only for the columns that need them:
-- verbose=true for messages.words, sentiment=true for the sentiment
-- columns, parentRefs=true for topics.parent_refs; a column read only by
-- a qual, or through a whole-row reference, counts
CALL pt.block('parts_params');
SELECT count(*) FROM pt.messages WHERE conversation_id = '9990000000000021';
SELECT count(words) FROM pt.messages WHERE conversation_id = '9990000000000021';
SELECT count(*) FROM pt.messages WHERE conversation_id = '9990000000000021' AND sentiment IS NOT NULL;
SELECT count(*) FROM (SELECT m FROM pt.messages m WHERE conversation_id = '9990000000000021') s;
SELECT count(id) FROM pt.topics WHERE conversation_id = '9990000000000021';
SELECT count(parent_refs) FROM pt.topics WHERE conversation_id = '9990000000000021';
SELECT count(sentiment) FROM pt.topics WHERE conversation_id = '9990000000000021';
SELECT count(*) FROM pt.topics t WHERE conversation_id = '9990000000000021' AND t IS NOT NULL;
-- the tables without optional parameters
SELECT count(*) FROM pt.questions WHERE conversation_id = '9990000000000021';
SELECT count(*) FROM pt.summaries WHERE conversation_id = '9990000000000021';
SELECT * FROM pt.log();
-- the plan shows what a scan sends
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, text FROM pt.messages WHERE conversation_id = '9990000000000021';
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM pt.messages WHERE conversation_id = '9990000000000021';
EXPLAIN (VERBOSE, COSTS OFF) SELECT text, parent_refs FROM pt.topics WHERE conversation_id = '9990000000000021';

-- ==== 4. where the conversation ids come from
CALL pt.block('parts_ids');
-- = value
SELECT count(*) FROM pt.members WHERE conversation_id = '9990000000000031';
-- IN with duplicates, NULL, an unknown id: each id asked once, sorted
SELECT conversation_id, count(*) FROM pt.members
 WHERE conversation_id IN ('9990000000000031', '9990000000000010', NULL, '9990000000000031', 'nope')
 GROUP BY 1 ORDER BY 1;
-- NULL only, and an empty array: nothing to ask
SELECT count(*) FROM pt.members WHERE conversation_id = NULL;
SELECT count(*) FROM pt.members WHERE conversation_id = ANY ('{}'::text[]);
-- the value on either side, and a parameter
SELECT count(*) FROM pt.members WHERE '9990000000000002' = conversation_id;
SET plan_cache_mode = force_generic_plan;
PREPARE pt_ids(text[]) AS
  SELECT conversation_id, count(*) FROM pt.members WHERE conversation_id = ANY ($1)
   GROUP BY 1 ORDER BY 1;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE pt_ids('{9990000000000031,9990000000000004}');
EXECUTE pt_ids('{9990000000000031,9990000000000004,9990000000000031,NULL}');
EXECUTE pt_ids('{9990000000000006}');
DEALLOCATE pt_ids;
PREPARE pt_one(text) AS SELECT count(*) FROM pt.members WHERE conversation_id = $1;
EXECUTE pt_one('9990000000000008');
DEALLOCATE pt_one;
RESET plan_cache_mode;
SELECT * FROM pt.log();
-- = ANY(ARRAY(SELECT id FROM conversations WHERE ...)): one list request,
-- then one per conversation it found
CALL pt.block('parts_ids_sub');
SELECT * FROM pt.explain($q$
SELECT m.conversation_id, m.name FROM pt.members m
 WHERE m.conversation_id = ANY (ARRAY(SELECT id FROM pt.conversations
                                       WHERE name LIKE 'In progress%' AND start_time >= '2025-12-01'))$q$);
SELECT m.conversation_id, m.name FROM pt.members m
 WHERE m.conversation_id = ANY (ARRAY(SELECT id FROM pt.conversations
                                       WHERE name LIKE 'In progress%' AND start_time >= '2025-12-01'))
 ORDER BY 1, 2;
SELECT * FROM pt.log();
-- a join with a local CRM table: a parameterized scan, one request per
-- outer row (a NULL id asks nothing)
CALL pt.block('parts_ids_crm');
CREATE TABLE pt.crm_calls (account text, conversation_id text);
INSERT INTO pt.crm_calls VALUES ('Acme', '9990000000000031'), ('Globex', '9990000000000008'),
  ('Initech', NULL), ('Hooli', '9990000000000010');
ANALYZE pt.crm_calls;
-- (without Memoize, which 13 lacks: the same plan on every version)
DO $$ BEGIN
  IF EXISTS (SELECT FROM pg_settings WHERE name = 'enable_memoize') THEN SET enable_memoize = off; END IF;
END $$;
SELECT * FROM pt.explain($q$
SELECT c.account, a.text, a.assignee_name
  FROM pt.crm_calls c JOIN pt.action_items a ON a.conversation_id = c.conversation_id$q$);
DO $$ BEGIN
  IF EXISTS (SELECT FROM pg_settings WHERE name = 'enable_memoize') THEN RESET enable_memoize; END IF;
END $$;
SELECT c.account, a.text, a.assignee_name
  FROM pt.crm_calls c JOIN pt.action_items a ON a.conversation_id = c.conversation_id
 ORDER BY 1, 2, 3;
-- a LEFT JOIN keeps the accounts without action items
SELECT c.account, count(a.id) AS action_items
  FROM pt.crm_calls c LEFT JOIN pt.action_items a ON a.conversation_id = c.conversation_id
 GROUP BY 1 ORDER BY 1;
SELECT * FROM pt.log();
-- a correlated subquery, LATERAL, NOT EXISTS: the same parameterized scan,
-- rescanned per outer row
SELECT c.account, (SELECT count(*) FROM pt.members m WHERE m.conversation_id = c.conversation_id)
  FROM pt.crm_calls c ORDER BY 1;
SELECT c.account, x.name
  FROM pt.crm_calls c,
       LATERAL (SELECT m.name FROM pt.members m WHERE m.conversation_id = c.conversation_id
                 ORDER BY m.name COLLATE "C" DESC LIMIT 1) x
 ORDER BY 1;
SELECT c.account FROM pt.crm_calls c
 WHERE NOT EXISTS (SELECT FROM pt.follow_ups f WHERE f.conversation_id = c.conversation_id)
 ORDER BY 1;
-- conversations joined with a part, and IN (subquery): rows only (the
-- plans belong to join pushdown)
CALL pt.block('parts_ids_join');
SELECT c.id, c.name, m.name AS member
  FROM pt.conversations c JOIN pt.members m ON m.conversation_id = c.id
 WHERE c.name LIKE 'Members%'
 ORDER BY 1, 3;
SELECT c.id, count(q.id) AS questions
  FROM pt.conversations c LEFT JOIN pt.questions q ON q.conversation_id = c.id
 WHERE c.start_time >= '2026-01-12 20:00' AND c.start_time < '2026-01-12 21:00'
 GROUP BY 1 ORDER BY 1;
SELECT conversation_id, count(*) FROM pt.members
 WHERE conversation_id IN (SELECT id FROM pt.conversations WHERE name LIKE 'Members%')
 GROUP BY 1 ORDER BY 1;

-- ==== 5. without conversation ids: a planning error that shows the forms
-- that give them, never a scan of every conversation
CALL pt.block('parts_noids');
SELECT * FROM pt.messages;
SELECT count(*) FROM pt.questions WHERE text ILIKE '%pricing%';
SELECT count(*) FROM pt.members WHERE conversation_id LIKE '999%';
SELECT count(*) FROM pt.members WHERE conversation_id <> '9990000000000031';
SELECT count(*) FROM pt.members WHERE conversation_id > '9990000000000030';
SELECT count(*) FROM pt.members WHERE conversation_id = '9990000000000031' OR name = 'x';
SELECT count(*) FROM pt.members WHERE conversation_id = md5(random()::text);
-- a join on another column, and a FULL JOIN (which takes no parameters)
SELECT count(*) FROM pt.crm_calls c JOIN pt.members m ON m.name = c.account;
SELECT count(*) FROM pt.crm_calls c FULL JOIN pt.members m ON m.conversation_id = c.conversation_id;
SELECT count(*) FROM pt.conversations c JOIN pt.members m ON m.email = c.name
 WHERE c.id = '9990000000000031';
-- nothing was asked
SELECT * FROM pt.log();

-- ==== 6. a 404 is no rows: a summary not ready yet, a conversation
-- without messages; EXPLAIN ANALYZE counts them
CALL pt.block('parts_404');
SELECT conversation_id, count(*) FROM pt.summaries
 WHERE conversation_id IN ('9990000000000008', '9990000000000023', '9990000000000003')
 GROUP BY 1 ORDER BY 1;
SELECT * FROM pt.counted($q$SELECT * FROM pt.summaries
 WHERE conversation_id IN ('9990000000000008', '9990000000000023', '9990000000000003')$q$);
-- an unknown id is a 404 too
SELECT * FROM pt.counted($q$SELECT * FROM pt.messages WHERE conversation_id IN ('9990000000000003', 'nope')$q$);
SELECT * FROM pt.log();
-- a conversation deleted (in this tag's state): its parts are 404, no rows
CALL pt.block('parts_deleted');
SELECT pt.delete_conversation('9990000000000031');
SELECT conversation_id, count(*) FROM pt.members
 WHERE conversation_id IN ('9990000000000031', '9990000000000010') GROUP BY 1 ORDER BY 1;
SELECT * FROM pt.counted($q$SELECT * FROM pt.action_items
 WHERE conversation_id IN ('9990000000000031', '9990000000000010')$q$);
SELECT * FROM pt.log();
SELECT pt.curl('/_control/reset-state?state=parts_deleted', 'POST');

-- ==== 7. retries: 500 and 429 are retried (max_retries 2); past the
-- retries an error, and the next query works
CALL pt.block('parts_500', ',status=500,count=2');
SELECT * FROM pt.counted($q$SELECT * FROM pt.members
 WHERE conversation_id IN ('9990000000000031', '9990000000000010')$q$);
SELECT * FROM pt.log();
CALL pt.block('parts_429', ',status=429,retry_after=0,count=2,after=1');
SELECT count(*) FROM pt.topics WHERE conversation_id IN ('9990000000000031', '9990000000000010');
SELECT * FROM pt.log();
CALL pt.block('parts_503', ',status=503,retry_after=0,after=1');
SELECT count(*) FROM pt.topics WHERE conversation_id IN ('9990000000000031', '9990000000000010');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM pt.log();
CALL pt.block('parts_after_error');
SELECT count(*) FROM pt.topics WHERE conversation_id IN ('9990000000000031', '9990000000000010');
-- the token expires between two conversations: renewed once, every
-- conversation once
CALL pt.block('parts_token', ',expire_token_after=2');
SELECT conversation_id, count(*) FROM pt.members
 WHERE conversation_id IN ('9990000000000031', '9990000000000010', '9990000000000002', '9990000000000004')
 GROUP BY 1 ORDER BY 1;
SELECT * FROM pt.log();
-- requests that never answer: statement_timeout ends the query (three in
-- flight), and the next query works
CALL pt.block('parts_hang', ',hang=1');
ALTER SERVER pt_srv OPTIONS (SET max_concurrent_requests '3');
SET statement_timeout = '500ms';
SELECT count(*) FROM pt.members
 WHERE conversation_id IN ('9990000000000031', '9990000000000010', '9990000000000002', '9990000000000004');
RESET statement_timeout;
ALTER SERVER pt_srv OPTIONS (SET max_concurrent_requests '1');
CALL pt.block('parts_after_hang');
SELECT count(*) FROM pt.members
 WHERE conversation_id IN ('9990000000000031', '9990000000000010', '9990000000000002', '9990000000000004');

-- ==== 8. hostile ids reach the API as one path segment: every character
-- but unreserved ones escaped, and the dots too, so that "." and ".." are
-- not dot segments; an empty id asks nothing
CALL pt.block('parts_hostile');
CREATE TABLE pt.hostile_ids (id text);
INSERT INTO pt.hostile_ids VALUES ('a/b?c#d%e..f'), ('..'), ('.'), (''), ('../../v1/conversations'),
  ('%2F'), ('x y+z&limit=1'), ('é/会'), ('9990000000000031/../9990000000000010'),
  (E'tab\there'), ('9990000000000031?verbose=true');
SELECT count(*) FROM pt.messages WHERE conversation_id = ANY (ARRAY(SELECT id FROM pt.hostile_ids));
SELECT * FROM pt.log_sorted();
-- every id but the empty one arrived exactly as it is, in its own request
SELECT count(*) AS requests,
       count(*) FILTER (WHERE r->>'conversation_id' IN (SELECT id FROM pt.hostile_ids)) AS exact,
       count(DISTINCT r->>'conversation_id') AS distinct_ids,
       count(*) FILTER (WHERE r->>'path' LIKE '/v1/conversations/%/messages'
                          AND split_part(r->>'path', '/', 5) = 'messages') AS one_segment
  FROM pt.requests() r WHERE r->>'method' = 'GET';
-- a join with the same ids: per row, the same segments
SELECT h.id, count(m.id) FROM pt.hostile_ids h LEFT JOIN pt.messages m ON m.conversation_id = h.id
 GROUP BY 1 ORDER BY h.id COLLATE "C";

-- ==== 9. the field option: dotted JSON paths, and paths through arrays
-- that collect a value per element (text[] or jsonb); a path's first name
-- decides the optional parameters
CALL pt.block('parts_field');
CREATE FOREIGN TABLE pt.msg_paths (
  conversation_id text,
  message_id text OPTIONS (field 'id'),
  speaker text OPTIONS (field 'from.name'),
  speaker_obj jsonb OPTIONS (field 'from'),
  phrase_texts text[] OPTIONS (field 'phrases.text'),
  phrase_types jsonb OPTIONS (field 'phrases.type'),
  polarity float8 OPTIONS (field 'sentiment.polarity.score'),
  word_list text[] OPTIONS (field 'words.word'),
  offset_ms numeric OPTIONS (field 'timeOffset')
) SERVER pt_srv OPTIONS (resource 'messages');
SELECT m.id, p.speaker, p.speaker_obj, p.phrase_texts, p.phrase_types, p.polarity,
       p.word_list, p.offset_ms
  FROM pt.msg_paths p JOIN pt.messages m ON m.conversation_id = p.conversation_id AND m.id = p.message_id
 WHERE p.conversation_id = '9990000000000010' AND m.conversation_id = '9990000000000010'
 ORDER BY m.start_time;
-- the same values as the imported columns give
SELECT count(*) AS messages,
       count(*) FILTER (WHERE p.speaker IS NOT DISTINCT FROM m.from_name
                          AND p.polarity IS NOT DISTINCT FROM (m.sentiment #>> '{polarity,score}')::float8
                          AND p.word_list = ARRAY(SELECT w->>'word' FROM jsonb_array_elements(m.words) w)
                          AND p.phrase_texts IS NOT DISTINCT FROM
                              CASE WHEN m.phrases IS NOT NULL
                                   THEN ARRAY(SELECT x->>'text' FROM jsonb_array_elements(m.phrases) x) END
                          AND p.offset_ms::float8 = m.time_offset) AS same
  FROM pt.msg_paths p JOIN pt.messages m ON m.conversation_id = p.conversation_id AND m.id = p.message_id
 WHERE p.conversation_id = ANY ('{9990000000000031,9990000000000023}')
   AND m.conversation_id = ANY ('{9990000000000031,9990000000000023}');
SELECT speaker FROM pt.msg_paths WHERE conversation_id = '9990000000000010';
CREATE FOREIGN TABLE pt.sum_paths (
  conversation_id text,
  text text,
  refs jsonb OPTIONS (field 'messageRefs'),
  ref_ids jsonb OPTIONS (field 'messageRefs.id'),
  ref_id_array text[] OPTIONS (field 'messageRefs.id')
) SERVER pt_srv OPTIONS (resource 'summaries');
SELECT ref_ids, ref_id_array, jsonb_array_length(refs) FROM pt.sum_paths
 WHERE conversation_id = '9990000000000023' ORDER BY text;
CREATE FOREIGN TABLE pt.tracker_paths (
  conversation_id text,
  name text,
  match_values text[] OPTIONS (field 'matches.value'),
  match_types jsonb OPTIONS (field 'matches.type')
) SERVER pt_srv OPTIONS (resource 'trackers');
SELECT * FROM pt.tracker_paths WHERE conversation_id = '9990000000000023' ORDER BY name;
-- (two part scans in one query, each with its request in flight: sorted)
SELECT * FROM pt.log_sorted();
-- a path through an array into a column of one value: an error that says
-- what to declare
CREATE FOREIGN TABLE pt.sum_wrong (conversation_id text, ref_id text OPTIONS (field 'messageRefs.id'))
  SERVER pt_srv OPTIONS (resource 'summaries');
SELECT * FROM pt.error_of($q$SELECT * FROM pt.sum_wrong WHERE conversation_id = '9990000000000023'$q$);
-- a path into a field that is not there is NULL
CREATE FOREIGN TABLE pt.mem_missing (conversation_id text, nothing text OPTIONS (field 'no.such.field'))
  SERVER pt_srv OPTIONS (resource 'members');
SELECT conversation_id, nothing FROM pt.mem_missing WHERE conversation_id = '9990000000000031';
-- a path that goes on through a string: the wrong type, as anywhere in an
-- answer (it was NULL)
CREATE FOREIGN TABLE pt.mem_scalar (conversation_id text, first_name text OPTIONS (field 'name.first'))
  SERVER pt_srv OPTIONS (resource 'members');
SELECT * FROM pt.error_of($q$SELECT * FROM pt.mem_scalar WHERE conversation_id = '9990000000000031'$q$);

-- ==== 10. definitions that cannot work: clear errors
CALL pt.block('parts_bad');
-- a column that is not the resource's, and no field
CREATE FOREIGN TABLE pt.bad_name (conversation_id text, speaker text) SERVER pt_srv OPTIONS (resource 'messages');
SELECT * FROM pt.bad_name WHERE conversation_id = '9990000000000010';
-- types that cannot hold the value
CREATE FOREIGN TABLE pt.bad_type (conversation_id text, score point) SERVER pt_srv OPTIONS (resource 'topics');
SELECT * FROM pt.bad_type WHERE conversation_id = '9990000000000010';
CREATE FOREIGN TABLE pt.bad_id_type (conversation_id bigint, id text) SERVER pt_srv OPTIONS (resource 'topics');
SELECT * FROM pt.bad_id_type WHERE conversation_id = 9990000000000010;
-- a type that accepts the declaration but not the value: an error at the row
CREATE FOREIGN TABLE pt.bad_value (conversation_id text, text integer, score boolean)
  SERVER pt_srv OPTIONS (resource 'topics');
SELECT * FROM pt.error_of($q$SELECT text FROM pt.bad_value WHERE conversation_id = '9990000000000010'$q$);
SELECT * FROM pt.error_of($q$SELECT score FROM pt.bad_value WHERE conversation_id = '9990000000000010'$q$);
-- bad paths, an unknown resource
CREATE FOREIGN TABLE pt.bad_path (conversation_id text, x text OPTIONS (field 'from..name')) SERVER pt_srv OPTIONS (resource 'messages');
CREATE FOREIGN TABLE pt.bad_path (conversation_id text, x text OPTIONS (field 'from name')) SERVER pt_srv OPTIONS (resource 'messages');
CREATE FOREIGN TABLE pt.bad_resource (conversation_id text) SERVER pt_srv OPTIONS (resource 'transcripts');
-- filter is the conversations table's option only
CREATE FOREIGN TABLE pt.bad_filter (conversation_id text, id text) SERVER pt_srv
  OPTIONS (resource 'members', filter 'conversation.type==call');
SELECT * FROM pt.bad_filter WHERE conversation_id = '9990000000000031';
SELECT * FROM pt.log();

-- ==== 11. several conversations at once: up to max_concurrent_requests in
-- flight, the rows in the order of the ids (the log's order may vary: sorted)
CALL pt.block('parts_conc', ',latency_ms=20');
ALTER SERVER pt_srv OPTIONS (SET max_concurrent_requests '3');
SELECT conversation_id, count(*) AS rows, min(id) AS first_id FROM pt.messages
 WHERE conversation_id IN ('9990000000000002', '9990000000000003', '9990000000000005',
                           '9990000000000006', '9990000000000007', '9990000000000008',
                           '9990000000000009', '9990000000000010', 'nope')
 GROUP BY 1 ORDER BY 1;
-- the rows come a conversation after the other, in the order of the ids
SELECT count(*) AS rows, bool_and(conversation_id >= previous) AS in_order
  FROM (SELECT conversation_id, lag(conversation_id, 1, '') OVER () AS previous
          FROM pt.messages
         WHERE conversation_id IN ('9990000000000009', '9990000000000002', '9990000000000005')) s;
SELECT * FROM pt.log_sorted();
ALTER SERVER pt_srv OPTIONS (SET max_concurrent_requests '1');

-- ==== 12. ANALYZE skips a part table (there is nothing to sample without
-- conversation ids) with PostgreSQL's own warning
CALL pt.block('parts_analyze');
ANALYZE pt.members;
SELECT * FROM pt.log();

-- ==== 13. malformed answers: clear errors naming the resource and the
-- request
CALL pt.block('parts_body_not_json', ',body=not_json');
SELECT * FROM pt.error_of($q$SELECT * FROM pt.members WHERE conversation_id = '9990000000000031'$q$);
CALL pt.block('parts_body_truncated', ',body=truncated_json');
SELECT * FROM pt.error_of($q$SELECT * FROM pt.members WHERE conversation_id = '9990000000000031'$q$);
CALL pt.block('parts_body_empty', ',body=empty');
SELECT * FROM pt.error_of($q$SELECT * FROM pt.members WHERE conversation_id = '9990000000000031'$q$);
CALL pt.block('parts_body_nul', ',body=trailing_nul');
SELECT * FROM pt.error_of($q$SELECT * FROM pt.members WHERE conversation_id = '9990000000000031'$q$);
CALL pt.block('parts_body_object', ',body=no_conversations');
SELECT * FROM pt.error_of($q$SELECT * FROM pt.members WHERE conversation_id = '9990000000000031'$q$);
-- ({} is an answer of the trackers: one tracker as an object, or none)
SELECT * FROM pt.error_of($q$SELECT * FROM pt.trackers WHERE conversation_id = '9990000000000023'$q$);
SELECT * FROM pt.error_of($q$SELECT * FROM pt.entities WHERE conversation_id = '9990000000000023'$q$);
CALL pt.block('parts_body_array', ',body=null_conversations');
SELECT * FROM pt.error_of($q$SELECT * FROM pt.analytics WHERE conversation_id = '9990000000000023'$q$);
-- trackers take one tracker as an object, but not an object with none of
-- their fields ({"conversations": null}); {} above was no tracker
SELECT * FROM pt.error_of($q$SELECT * FROM pt.trackers WHERE conversation_id = '9990000000000023'$q$);
CALL pt.block('parts_body_after');
SELECT count(*) FROM pt.members WHERE conversation_id = '9990000000000031';

-- ==== 14. the answer shapes Symbl published later.  Trackers: /trackers
-- first, /trackers-detected when that answers 404 (and the other way round
-- once /trackers-detected answered: the path that answered is asked first,
-- per server, for the rest of the backend's life); a 404 from both is no
-- rows.  Under every trackers_path and trackers_shape the same rows, but
-- that the object shape holds one tracker only (9990000000000023 has four).
-- Before this block the default emulator (/trackers-detected only) answered
-- the trackers: that path is asked first.
CREATE TABLE pt.trk (reading text, conversation_id text, id text, name text, matches jsonb);
CREATE TABLE pt.trk_log (n serial, reading text, line text);
CREATE PROCEDURE pt.read_trackers(path text, shape text) LANGUAGE plpgsql AS $fn$
DECLARE reading text := path || ' ' || shape;
BEGIN
  CALL pt.block(format('parts_trk_%s_%s', replace(path, '-', '_'), shape),
                format(',trackers_path=%s,trackers_shape=%s', path, shape));
  INSERT INTO pt.trk
  SELECT reading, conversation_id, id, name, matches FROM pt.trackers
   WHERE conversation_id IN ('9990000000000002', '9990000000000003', '9990000000000021',
                             '9990000000000023', 'nope');
  INSERT INTO pt.trk_log (reading, line) SELECT reading, l FROM pt.log() l;
END
$fn$;
CALL pt.read_trackers('both', 'array');
CALL pt.read_trackers('trackers', 'array');
CALL pt.read_trackers('trackers', 'wrapped');
CALL pt.read_trackers('trackers', 'object');
CALL pt.read_trackers('trackers-detected', 'object');
CALL pt.read_trackers('trackers-detected', 'wrapped');
CALL pt.read_trackers('trackers-detected', 'array');
CALL pt.read_trackers('both', 'wrapped');
CALL pt.read_trackers('both', 'object');
SELECT reading, line FROM pt.trk_log ORDER BY n;
-- the rows of the 2022 reading, and how every other reading compares
SELECT conversation_id, id, name, jsonb_array_length(matches) AS matches
  FROM pt.trk WHERE reading = 'trackers-detected array' ORDER BY conversation_id, id;
SELECT r.reading, count(t.*) AS rows,
       NOT EXISTS (SELECT conversation_id, id, name, matches FROM pt.trk WHERE reading = r.reading
                   EXCEPT SELECT conversation_id, id, name, matches FROM pt.trk
                           WHERE reading = 'trackers-detected array') AS all_rows_known,
       NOT EXISTS (SELECT conversation_id, id, name, matches FROM pt.trk
                    WHERE reading = 'trackers-detected array'
                   EXCEPT SELECT conversation_id, id, name, matches FROM pt.trk
                           WHERE reading = r.reading) AS no_row_missing,
       string_agg(DISTINCT t.conversation_id || ':' || t.name, ' ' ORDER BY t.conversation_id || ':' || t.name)
         FILTER (WHERE t.conversation_id = '9990000000000023') AS of_9990000000000023
  FROM (SELECT DISTINCT reading FROM pt.trk) r JOIN pt.trk t USING (reading)
 GROUP BY r.reading ORDER BY r.reading;
-- EXPLAIN VERBOSE names both paths; EXPLAIN ANALYZE counts the requests to
-- the other path (the first conversation of a block, and 'nope': both 404)
CALL pt.block('parts_trk_explain', ',trackers_path=trackers');
EXPLAIN (VERBOSE, COSTS OFF) SELECT name FROM pt.trackers WHERE conversation_id = '9990000000000021';
DO $$
DECLARE plan jsonb;
BEGIN
  EXECUTE $q$EXPLAIN (ANALYZE, FORMAT JSON, TIMING OFF, SUMMARY OFF)
    SELECT name FROM pt.trackers WHERE conversation_id IN ('9990000000000021', '9990000000000023', 'nope')$q$
    INTO plan;
  RAISE NOTICE 'requests %, to the other path %, not found %, rows received %',
    plan->0->'Plan'->>'Symbl Requests', plan->0->'Plan'->>'Symbl Other Path Requests',
    plan->0->'Plan'->>'Symbl Not Found', plan->0->'Plan'->>'Symbl Rows Received';
END
$$;
SELECT * FROM pt.log();

-- the new columns, each present on some items and NULL where the field is
-- absent: assignee_id, a summary's start_time/end_time, an entity group's
-- id and a date range's bounds (text: "2026-01-19 09:00:00" has no zone),
-- a message's PII entities
CALL pt.block('parts_published');
SELECT id, assignee_id, assignee_name, assignee_email FROM pt.action_items
 WHERE conversation_id = '9990000000000031' ORDER BY id;
-- (an assignee with an id, one without, one {})
SELECT id, assignee_id, assignee_name, assignee_email FROM pt.follow_ups
 WHERE conversation_id = '9990000000000046' ORDER BY id;
SELECT id, start_time, end_time, message_ids FROM pt.summaries
 WHERE conversation_id = '9990000000000002' ORDER BY id;
-- a list (9990000000000023: no ids) and groups (9990000000000031)
SELECT conversation_id, id, type, sub_type, value, range_start, range_end, text
  FROM pt.entities WHERE conversation_id IN ('9990000000000023', '9990000000000031')
 ORDER BY conversation_id, type, value, range_start;
SELECT pg_typeof(range_start), range_start::timestamp < range_end::timestamp AS ordered
  FROM pt.entities WHERE conversation_id = '9990000000000031' AND range_start IS NOT NULL;
SELECT id, text, entities FROM pt.messages
 WHERE conversation_id = '9990000000000010' ORDER BY start_time, id;
SELECT * FROM pt.log();

-- ==== 15. no request of any test sent refresh (it changes the server's
-- state)
SELECT pt.curl('/_control/violations');

DROP SCHEMA pt CASCADE;
DROP SERVER pt_srv CASCADE;
