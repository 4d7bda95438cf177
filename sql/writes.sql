--
-- writes: UPDATE of metadata and DELETE through the foreign table, what
-- each sends (the emulator's request log), and what happens when a write
-- fails, is cancelled or is rolled back.
--
SET timezone = 'UTC';
\set emu `echo "$SYMBL_EMULATOR_URL"`
\! for t in w_members w_members404 w_members_pipe w_main w_twin w_fault w_gone w_gone400 w_drop w_retry w_merge w_fail w_fail_rows w_pipe w_pipe_fail w_pipe_pg w_pipe_cancel w_pipe_gone w_pipe_del w_pipe_slow w_pipe_after w_pipe_corr w_xact w_cancel w_paged w_json; do curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=$t" > /dev/null; done
CREATE SCHEMA w;
\set u :emu '/_x/tag=w_main'
CREATE SERVER w_srv FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'u', max_concurrent_requests '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER w_srv
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
IMPORT FOREIGN SCHEMA symbl FROM SERVER w_srv INTO w;
-- EXPLAIN ANALYZE as every version prints it (18 adds decimals, buffers and
-- a Materialize node's storage)
CREATE FUNCTION w_explain_analyze(query text, show_all boolean DEFAULT false)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE format('EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF, VERBOSE %s) %s',
                             CASE WHEN show_all THEN 'on' ELSE 'off' END, query) LOOP
    CONTINUE WHEN line ~ '^\s*Storage: ';
    RETURN NEXT regexp_replace(line, 'rows=(\d+)\.\d+', 'rows=\1', 'g');
  END LOOP;
END $$;
-- the requests EXPLAIN VERBOSE names (the plan around them varies)
CREATE FUNCTION w_requests(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || query LOOP
    CONTINUE WHEN line !~ 'Symbl Request:';
    RETURN NEXT btrim(line);
  END LOOP;
END $$;

-- ==== the option updatable: off by default, on table or server
ALTER SERVER w_srv OPTIONS (ADD updatable 'maybe');
CREATE USER MAPPING FOR PUBLIC SERVER w_srv OPTIONS (updatable 'true');
UPDATE w.conversations SET metadata = '{}' WHERE id = '9990000000000002';
DELETE FROM w.conversations WHERE id = '9990000000000002';
EXPLAIN (COSTS OFF) DELETE FROM w.conversations;
ALTER SERVER w_srv OPTIONS (ADD updatable 'true');
ALTER FOREIGN TABLE w.conversations OPTIONS (ADD updatable 'false');
DELETE FROM w.conversations WHERE id = '9990000000000002';
ALTER FOREIGN TABLE w.conversations OPTIONS (SET updatable 'true');
ALTER SERVER w_srv OPTIONS (DROP updatable);

-- ==== INSERT has no endpoint; only metadata can be set
INSERT INTO w.conversations (id) VALUES ('x');
COPY w.conversations (id) FROM STDIN;
x
\.
UPDATE w.conversations SET name = 'x' WHERE id = '9990000000000002';
UPDATE w.conversations SET metadata = '{}', id = 'y' WHERE id = '9990000000000002';
UPDATE w.conversations SET type = 'call';
-- PostgreSQL's privileges apply as usual
CREATE ROLE regress_w_reader;
GRANT USAGE ON SCHEMA w TO regress_w_reader;
GRANT SELECT ON w.conversations TO regress_w_reader;
SET ROLE regress_w_reader;
DELETE FROM w.conversations WHERE id = '9990000000000002';
RESET ROLE;

-- ==== metadata is checked before anything is sent: strings of at most
-- 128 characters, named by key
UPDATE w.conversations SET metadata = metadata || '{"n": 1}' WHERE id = '9990000000000002';
UPDATE w.conversations SET metadata = jsonb_build_object('long', repeat('é', 129))
  WHERE id = '9990000000000002';
UPDATE w.conversations SET metadata = NULL WHERE id = '9990000000000002';
UPDATE w.conversations SET metadata = '["a"]' WHERE id = '9990000000000002';
UPDATE w.conversations SET metadata = '{"": "v"}' WHERE id = '9990000000000002';
-- all rows are checked before the first is sent: nothing went out
UPDATE w.conversations SET metadata = CASE WHEN id = '9990000000000002'
  THEN '{"bad": true}'::jsonb ELSE '{}' END
  WHERE id IN ('9990000000000001', '9990000000000002');
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?format=text&tag=w_main" | grep -c -E '^(PUT|DELETE)'
-- 128 characters are fine (256 bytes here)
UPDATE w.conversations SET metadata = jsonb_build_object('long', repeat('é', 128))
  WHERE id = '9990000000000002' RETURNING length(metadata->>'long');

-- ==== UPDATE of one table: a direct modification
EXPLAIN (VERBOSE, COSTS OFF)
UPDATE w.conversations SET metadata = metadata || '{"reviewed": "yes"}'
  WHERE metadata->>'customerId' = 'cust-007' AND name LIKE '%a%';
UPDATE w.conversations SET metadata = metadata || '{"reviewed": "yes"}'
  WHERE metadata->>'customerId' = 'cust-007' AND name LIKE '%a%'
  RETURNING id, name, metadata->>'reviewed' AS reviewed, metadata->>'customerId' AS customer;
SELECT count(*) FROM w.conversations WHERE metadata->>'reviewed' = 'yes';
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?format=text&tag=w_main" | grep -E '^(PUT|DELETE)' | tail -n +2

-- ==== UPDATE ... FROM a local CRM table: row by row
CREATE TABLE w.crm_calls (conversation_id text, customer_id text);
INSERT INTO w.crm_calls VALUES
  ('9990000000000019', 'crm-19'), ('9990000000000020', 'crm-20'),
  ('9990000000000020', 'crm-20'), ('no-such-conversation', 'crm-0');
EXPLAIN (VERBOSE, COSTS OFF)
UPDATE w.conversations c
SET metadata = c.metadata || jsonb_build_object('customerId', a.customer_id)
FROM w.crm_calls a WHERE a.conversation_id = c.id;
-- (unaligned: how wide a psql prints the unicode depends on the version)
\a
UPDATE w.conversations c
SET metadata = c.metadata || jsonb_build_object('customerId', a.customer_id)
FROM w.crm_calls a WHERE a.conversation_id = c.id
RETURNING c.id, c.metadata;
\a
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?format=text&tag=w_main" | grep -E '^(PUT|DELETE)' | tail -n 2

-- ==== DELETE, with RETURNING (the row as read)
EXPLAIN (VERBOSE, COSTS OFF)
DELETE FROM w.conversations WHERE id IN ('9990000000000021', '9990000000000022')
  RETURNING id, name, metadata;
DELETE FROM w.conversations WHERE id IN ('9990000000000021', '9990000000000022')
  RETURNING id, name, metadata;
DELETE FROM w.conversations c USING w.crm_calls a
  WHERE a.conversation_id = c.id RETURNING c.id, c.name;
SELECT count(*) FROM w.conversations
  WHERE id IN ('9990000000000019', '9990000000000020', '9990000000000021', '9990000000000022');
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?format=text&tag=w_main" | grep -E '^(PUT|DELETE)' | tail -n 4

-- ==== a row that is gone is not counted, and not an error
-- the API answers 404 (here injected) to the DELETE
\set u :emu '/_x/tag=w_fault,state=w_main,status=404,after=1,count=1'
ALTER SERVER w_srv OPTIONS (SET base_url :'u');
DELETE FROM w.conversations WHERE id = '9990000000000023' RETURNING id;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?format=text&tag=w_fault" | grep -E '^(PUT|DELETE)'
-- really gone: a BEFORE trigger deletes each row through another table
-- over the same state, before the statement's own request
\set u :emu '/_x/tag=w_gone,state=w_main'
ALTER SERVER w_srv OPTIONS (SET base_url :'u');
CREATE SERVER w_twin_srv FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'u', updatable 'true');
CREATE USER MAPPING FOR CURRENT_USER SERVER w_twin_srv
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE w.twin (id text, metadata jsonb) SERVER w_twin_srv;
CREATE FUNCTION w.vanish() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM w.twin WHERE id = OLD.id;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER vanish BEFORE DELETE OR UPDATE ON w.conversations
  FOR EACH ROW WHEN (OLD.metadata->>'vanish' IS NOT NULL) EXECUTE FUNCTION w.vanish();
UPDATE w.conversations SET metadata = '{"vanish": "1"}'
  WHERE id IN ('9990000000000024', '9990000000000025', '9990000000000026');
DELETE FROM w.conversations WHERE id IN ('9990000000000024', '9990000000000025') RETURNING id;
UPDATE w.conversations SET metadata = '{"vanished": "no"}' WHERE id = '9990000000000026'
  RETURNING id;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?format=text&tag=w_gone" | grep -E '^(PUT|DELETE)'
-- an API that answers 400 "either invalid or does not exist" instead
\set u :emu '/_x/tag=w_gone400,state=w_main,unknown_status=400'
ALTER SERVER w_srv OPTIONS (SET base_url :'u');
UPDATE w.conversations SET metadata = '{"vanish": "1"}' WHERE id = '9990000000000027';
DELETE FROM w.conversations WHERE id = '9990000000000027' RETURNING id;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?format=text&tag=w_gone400" | grep -E '^(PUT|DELETE)'
DROP TRIGGER vanish ON w.conversations;

-- ==== a DELETE whose answer was lost, retried, then 404: it is done
\set u :emu '/_x/tag=w_drop,state=w_main,drop_answer=1,after=1,count=1'
ALTER SERVER w_srv OPTIONS (SET base_url :'u');
DELETE FROM w.conversations WHERE id = '9990000000000028' RETURNING id;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?format=text&tag=w_drop" | grep -E '^(PUT|DELETE)'

-- ==== 429 and 5xx are retried; EXPLAIN ANALYZE counts it all
\set u :emu '/_x/tag=w_retry,state=w_main,status=503,retry_after=0,after=1,count=2'
ALTER SERVER w_srv OPTIONS (SET base_url :'u');
SELECT w_explain_analyze($$
UPDATE w.conversations SET metadata = '{"retried": "yes"}' WHERE id = '9990000000000029'$$, true);
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=w_retry" > /dev/null
-- (the second request for 9990000000000031: its DELETE, after its read by id)
\set u :emu '/_x/tag=w_retry,state=w_main,status=429,retry_after=0,path_has=9990000000000031,after=1,count=1'
ALTER SERVER w_srv OPTIONS (SET base_url :'u');
SELECT w_explain_analyze($$
DELETE FROM w.conversations c USING w.crm_calls a
  WHERE c.id IN ('9990000000000030', '9990000000000031', '9990000000000032')
  AND a.customer_id = 'crm-0'$$);
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?format=text&tag=w_retry" | grep -E '^(PUT|DELETE)'

-- ==== replace or merge: the answer shows what the API stored
\set u :emu '/_x/tag=w_merge,state=w_main,put_metadata=merge'
ALTER SERVER w_srv OPTIONS (SET base_url :'u');
-- adding keys: the same under both
UPDATE w.conversations SET metadata = metadata || '{"added": "1"}'
  WHERE id = '9990000000000033' RETURNING metadata;
-- removing one: the API kept it, which is an error naming the key
UPDATE w.conversations SET metadata = metadata - 'agentId'
  WHERE id IN ('9990000000000033', '9990000000000034') RETURNING metadata;
SELECT id, metadata FROM w.conversations WHERE id IN ('9990000000000033', '9990000000000034') ORDER BY id;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?format=text&tag=w_merge" | grep -E '^(PUT|DELETE)'

-- ==== the 37th of 100 writes fails (after the 100 reads by id): the error
-- says which were applied
CREATE TABLE w.hundred AS
  SELECT id FROM w.conversations WHERE id NOT LIKE '999%' ORDER BY id LIMIT 100;
\set u :emu '/_x/tag=w_fail,state=w_main,status=500,after=136,count=2'
ALTER SERVER w_srv OPTIONS (SET base_url :'u', ADD max_retries '1');
UPDATE w.conversations SET metadata = metadata || '{"batch": "1"}'
  WHERE id = ANY (ARRAY(SELECT id FROM w.hundred));
SELECT count(*) AS applied FROM w.conversations WHERE metadata->>'batch' = '1';
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?format=text&tag=w_fail" | grep -E '^(PUT|DELETE)' | grep -v ' -> 200 ' | cut -c1-70
-- row by row (a join), the same
\set u :emu '/_x/tag=w_fail_rows,state=w_main,status=500,after=37,count=2'
ALTER SERVER w_srv OPTIONS (SET base_url :'u');
DELETE FROM w.conversations c USING w.hundred h WHERE c.id = h.id
  AND c.start_time > '2000-01-01';
SELECT count(*) AS left FROM w.conversations c JOIN w.hundred h USING (id);
ALTER SERVER w_srv OPTIONS (DROP max_retries);

-- ==== row by row, with several writes in flight: the issue's statement.
-- The emulator holds a tag's first 4 writes until all 4 have arrived
-- (gather=4): a client that sent one write at a time would fail here.
-- (Requests in flight together reach the log in varying order: sorted.)
CREATE TABLE w.crm_pipe AS
  SELECT id AS conversation_id, 'crm-p' || row_number() OVER (ORDER BY id) AS customer_id
  FROM w.conversations WHERE id NOT LIKE '999%' ORDER BY id OFFSET 200 LIMIT 12;
INSERT INTO w.crm_pipe SELECT * FROM w.crm_pipe ORDER BY 1 LIMIT 1;
\set u :emu '/_x/tag=w_pipe,state=w_main,gather=4'
ALTER SERVER w_srv OPTIONS (SET base_url :'u', SET max_concurrent_requests '4',
  ADD max_retries '0');
-- EXPLAIN VERBOSE says how many go out together; with RETURNING each
-- row waits for its answer
SELECT w_requests($$UPDATE w.conversations c
  SET metadata = c.metadata || jsonb_build_object('customerId', a.customer_id)
  FROM w.crm_pipe a WHERE a.conversation_id = c.id$$);
SELECT w_requests($$UPDATE w.conversations c
  SET metadata = c.metadata || jsonb_build_object('customerId', a.customer_id)
  FROM w.crm_pipe a WHERE a.conversation_id = c.id RETURNING c.id$$);
SELECT w_requests($$DELETE FROM w.conversations WHERE start_time < '2020-01-01'$$);
UPDATE w.conversations c
SET metadata = c.metadata || jsonb_build_object('customerId', a.customer_id)
FROM w.crm_pipe a WHERE a.conversation_id = c.id;
-- (the command tag's count; a row the join matched twice is written once)
\echo :ROW_COUNT
SELECT count(DISTINCT c.id) FROM w.conversations c JOIN w.crm_pipe a ON a.conversation_id = c.id
  WHERE c.metadata->>'customerId' = a.customer_id;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?format=text&tag=w_pipe" | grep -E '^(PUT|DELETE)' | sed 's/ body=.*//' | sort
-- a write refused in the middle: the writes in flight are awaited, and the
-- error names the row and lists those applied
SELECT conversation_id AS fail_id FROM w.crm_pipe ORDER BY 1 OFFSET 6 LIMIT 1 \gset
\set u :emu '/_x/tag=w_pipe_fail,state=w_main,status=500,path_has=' :fail_id
ALTER SERVER w_srv OPTIONS (SET base_url :'u');
UPDATE w.conversations c SET metadata = c.metadata || '{"pass": "2"}'
FROM w.crm_pipe a WHERE a.conversation_id = c.id;
SELECT count(DISTINCT c.id) AS applied FROM w.conversations c
  JOIN w.crm_pipe a ON a.conversation_id = c.id WHERE c.metadata->>'pass' = '2';
-- an error of PostgreSQL's own mid-statement (here in the new value of a
-- row): the writes in flight are awaited, and the error says how far the
-- statement got
SELECT conversation_id AS bad_id FROM w.crm_pipe ORDER BY 1 OFFSET 9 LIMIT 1 \gset
\set u :emu '/_x/tag=w_pipe_pg,state=w_main'
ALTER SERVER w_srv OPTIONS (SET base_url :'u');
UPDATE w.conversations c SET metadata = c.metadata ||
  jsonb_build_object('pass', (30 / CASE WHEN c.id = :'bad_id' THEN 0 ELSE 10 END)::text)
FROM w.crm_pipe a WHERE a.conversation_id = c.id;
SELECT count(DISTINCT c.id) AS applied FROM w.conversations c
  JOIN w.crm_pipe a ON a.conversation_id = c.id WHERE c.metadata->>'pass' = '3';
-- cancelled (statement_timeout) while a write hangs: the error says which
-- rows were applied and which were in flight
\set u :emu '/_x/tag=w_pipe_cancel,state=w_main,hang=1,path_has=' :fail_id
ALTER SERVER w_srv OPTIONS (SET base_url :'u');
SET statement_timeout = '2s';
UPDATE w.conversations c SET metadata = c.metadata || '{"pass": "4"}'
FROM w.crm_pipe a WHERE a.conversation_id = c.id;
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
-- rows gone by the time their write arrives (a BEFORE trigger deletes
-- them through another table) are not counted: the count is corrected
-- before PostgreSQL reads it, for ROW_COUNT as for the command tag
UPDATE w.conversations SET metadata = metadata || '{"vanish": "1"}'
  WHERE id = ANY (ARRAY(SELECT DISTINCT conversation_id FROM w.crm_pipe ORDER BY 1 LIMIT 2));
CREATE TRIGGER vanish BEFORE DELETE OR UPDATE ON w.conversations
  FOR EACH ROW WHEN (OLD.metadata->>'vanish' IS NOT NULL) EXECUTE FUNCTION w.vanish();
\set u :emu '/_x/tag=w_pipe_gone,state=w_main,gather=4'
ALTER SERVER w_srv OPTIONS (SET base_url :'u');
DO $$
DECLARE
  n bigint;
BEGIN
  UPDATE w.conversations c SET metadata = c.metadata || '{"pass": "5"}'
  FROM w.crm_pipe a WHERE a.conversation_id = c.id;
  GET DIAGNOSTICS n = ROW_COUNT;
  RAISE NOTICE 'rows updated: %', n;
END $$;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?format=text&tag=w_pipe_gone" | grep -E '^(PUT|DELETE)' | sed 's/ body=.*//' | sort
UPDATE w.conversations SET metadata = metadata || '{"vanish": "1"}'
  WHERE id = ANY (ARRAY(SELECT DISTINCT conversation_id FROM w.crm_pipe ORDER BY 1 OFFSET 2 LIMIT 2));
\set u :emu '/_x/tag=w_pipe_del,state=w_main,gather=4'
ALTER SERVER w_srv OPTIONS (SET base_url :'u');
DELETE FROM w.conversations c USING w.crm_pipe a
  WHERE a.conversation_id = c.id AND a.customer_id <> 'crm-p212';
\echo :ROW_COUNT
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?format=text&tag=w_pipe_del" | grep -E '^(PUT|DELETE)' | sort
-- EXPLAIN ANALYZE counts them (the join's plan left out)
SELECT line FROM w_explain_analyze($$
DELETE FROM w.conversations c USING w.crm_pipe a WHERE a.conversation_id = c.id$$) AS line
  WHERE line ~ '^ *(Delete on|Symbl (Write|Rows W|Rows A))';
-- a cancel PostgreSQL notices between two rows (statement_timeout during
-- a slow new value): nothing more is awaited, the writes in flight are
-- named as sent with an unknown outcome
CREATE TABLE w.crm_more AS
  SELECT id AS conversation_id FROM w.conversations WHERE id NOT LIKE '999%'
  ORDER BY id OFFSET 220 LIMIT 8;
SELECT conversation_id AS slow_id FROM w.crm_more ORDER BY 1 OFFSET 5 LIMIT 1 \gset
\set u :emu '/_x/tag=w_pipe_slow,state=w_main'
ALTER SERVER w_srv OPTIONS (SET base_url :'u');
SET statement_timeout = '2s';
UPDATE w.conversations c SET metadata = c.metadata ||
  jsonb_build_object('slow', CASE WHEN c.id = :'slow_id' THEN pg_sleep(30)::text ELSE 'no' END)
FROM w.crm_more a WHERE a.conversation_id = c.id;
RESET statement_timeout;
-- AFTER row triggers see each row as written: one write at a time, and a
-- row found gone fires no trigger
CREATE TABLE w.audit (id text, metadata jsonb);
CREATE FUNCTION w.audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO w.audit VALUES (NEW.id, NEW.metadata);
  RETURN NEW;
END $$;
CREATE TRIGGER audit AFTER UPDATE ON w.conversations
  FOR EACH ROW EXECUTE FUNCTION w.audit_row();
\set u :emu '/_x/tag=w_pipe_after,state=w_main,status=404,path_has=' :slow_id
ALTER SERVER w_srv OPTIONS (SET base_url :'u');
UPDATE w.conversations c SET metadata = c.metadata || '{"audited": "yes"}'
FROM w.crm_more a WHERE a.conversation_id = c.id;
\echo :ROW_COUNT
SELECT count(*), count(*) FILTER (WHERE id = :'slow_id') AS gone FROM w.audit;
DROP TRIGGER audit ON w.conversations;
-- a correlated subquery on the table being written sees it as it was when
-- the statement started, as on a local table: its per-row qual stays local,
-- so it reads once, before the first write, and replays that.  (Sent with
-- each row, the rescan of the second row of a customer would miss the
-- first one, deleted meanwhile, and keep it.)
SELECT string_agg(quote_literal(id), ', ' ORDER BY id) AS dup_ids FROM (
  (SELECT id FROM w.conversations WHERE metadata->>'customerId' = 'cust-021'
     AND id NOT LIKE '999%' ORDER BY id LIMIT 2)
  UNION ALL
  (SELECT id FROM w.conversations WHERE metadata->>'customerId' = 'cust-022'
     AND id NOT LIKE '999%' ORDER BY id LIMIT 1)) s \gset
\set u :emu '/_x/tag=w_pipe_corr,state=w_main'
ALTER SERVER w_srv OPTIONS (SET base_url :'u');
SELECT w_requests($$DELETE FROM w.conversations c WHERE c.id IN ($$ || :'dup_ids' || $$)
  AND (SELECT count(*) FROM w.conversations c2 WHERE c2.id IN ($$ || :'dup_ids' || $$)
       AND c2.metadata->>'customerId' = c.metadata->>'customerId') > 1$$);
DELETE FROM w.conversations c WHERE c.id IN (:dup_ids)
  AND (SELECT count(*) FROM w.conversations c2 WHERE c2.id IN (:dup_ids)
       AND c2.metadata->>'customerId' = c.metadata->>'customerId') > 1;
\echo :ROW_COUNT
-- (the table's three reads by id, and the subquery's three, once: replayed)
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?format=text&tag=w_pipe_corr" | grep -c '^GET'
SELECT metadata->>'customerId' AS left FROM w.conversations WHERE id IN (:dup_ids);
DROP TRIGGER vanish ON w.conversations;
ALTER SERVER w_srv OPTIONS (SET max_concurrent_requests '1', DROP max_retries);

-- ==== transactions: writes go out at once and stay
\set u :emu '/_x/tag=w_xact,state=w_main'
ALTER SERVER w_srv OPTIONS (SET base_url :'u');
BEGIN;
UPDATE w.conversations SET metadata = '{"step": "1"}' WHERE id = '9990000000000035';
SAVEPOINT s1;
DELETE FROM w.conversations WHERE id IN ('9990000000000036', '9990000000000037');
-- the transaction sees its own writes
SELECT id, metadata FROM w.conversations WHERE id IN ('9990000000000035', '9990000000000036') ORDER BY id;
ROLLBACK TO SAVEPOINT s1;
SAVEPOINT s2;
RELEASE SAVEPOINT s2;
ROLLBACK;
SELECT id, metadata FROM w.conversations
  WHERE id IN ('9990000000000035', '9990000000000036', '9990000000000037') ORDER BY id;
BEGIN;
UPDATE w.conversations SET metadata = '{"step": "2"}' WHERE id = '9990000000000035';
COMMIT;
-- an error in a later statement aborts the transaction, not the write
-- (its warning is left out here: psql may print it before or after the error)
BEGIN;
DELETE FROM w.conversations WHERE id = '9990000000000038';
SET LOCAL client_min_messages = error;
SELECT 1 / 0;
ROLLBACK;
SELECT count(*) FROM w.conversations WHERE id = '9990000000000038';
-- a subtransaction (an EXCEPTION block) that is rolled back
DO $$ BEGIN
  BEGIN
    DELETE FROM w.conversations WHERE id = '9990000000000042';
    PERFORM 1 / 0;
  EXCEPTION WHEN division_by_zero THEN
    RAISE NOTICE 'caught: the DELETE stays';
  END;
END $$;
SELECT count(*) FROM w.conversations WHERE id = '9990000000000042';
-- a statement that fails by itself says it all in its error (below): no
-- warning then

-- ==== cancelled mid-statement: the error keeps its SQLSTATE and says
-- how far it got (the 4th request hangs until statement_timeout)
\set u :emu '/_x/tag=w_cancel,state=w_main,hang=1,after=3,count=1'
ALTER SERVER w_srv OPTIONS (SET base_url :'u', ADD max_retries '0');
SET statement_timeout = '1s';
UPDATE w.conversations SET metadata = '{"cancel": "test"}'
  WHERE id IN ('9990000000000039', '9990000000000041', '9990000000000045');
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
ALTER SERVER w_srv OPTIONS (DROP max_retries);
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?format=text&tag=w_cancel" | grep -E '^(PUT|DELETE)' | cut -c1-60

-- ==== every matching row is read before the first write: deleting what
-- a filter selects, in pages of 5, loses none to shifting offsets
\set u :emu '/_x/tag=w_paged,state=w_main'
ALTER SERVER w_srv OPTIONS (SET base_url :'u', ADD page_size '5');
SELECT count(*) FROM w.conversations WHERE metadata->>'customerId' = 'cust-011';
DELETE FROM w.conversations WHERE metadata->>'customerId' = 'cust-011';
SELECT count(*) FROM w.conversations WHERE metadata->>'customerId' = 'cust-011';
-- and row by row (a join keeps the writes in the executor's hands)
SELECT count(*) FROM w.conversations WHERE metadata->>'customerId' = 'cust-012';
DELETE FROM w.conversations c USING w.crm_calls a
  WHERE c.metadata->>'customerId' = 'cust-012' AND a.customer_id = 'crm-0';
SELECT count(*) FROM w.conversations WHERE metadata->>'customerId' = 'cust-012';
-- every GET went out before the first DELETE, in both
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?format=text&tag=w_paged" | grep -E '^(GET|DELETE)' | cut -c1-6 | uniq -c
ALTER SERVER w_srv OPTIONS (DROP page_size);

-- ==== a json (and a text) metadata column
\set u :emu '/_x/tag=w_json'
CREATE SERVER w_json_srv FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'u', updatable 'true');
CREATE USER MAPPING FOR CURRENT_USER SERVER w_json_srv
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE w.conv_json (id text, meta json OPTIONS (field 'metadata'), name text)
  SERVER w_json_srv;
UPDATE w.conv_json SET meta = '{"b": "2", "a": "1"}' WHERE id = '9990000000000040'
  RETURNING id, meta, name;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?format=text&tag=w_json" | grep -E '^(PUT|DELETE)'

-- ==== members: name and email, row by row
SELECT id AS mid, name AS old_name, email AS old_email FROM w.members
  WHERE conversation_id = '9990000000000002' ORDER BY id LIMIT 1 \gset
\set u :emu '/_x/tag=w_members,state=w_main'
ALTER SERVER w_srv OPTIONS (SET base_url :'u');
UPDATE w.members SET name = 'x' WHERE conversation_id = '9990000000000002';
ALTER FOREIGN TABLE w.members OPTIONS (ADD updatable 'true');
UPDATE w.members SET id = 'x' WHERE conversation_id = '9990000000000002';
DELETE FROM w.members WHERE conversation_id = '9990000000000002';
ALTER FOREIGN TABLE w.topics OPTIONS (ADD updatable 'true');
UPDATE w.topics SET text = 'x' WHERE conversation_id = '9990000000000002';
UPDATE w.members SET name = NULL WHERE conversation_id = '9990000000000002' AND id = :'mid';
UPDATE w.members SET email = NULL WHERE conversation_id = '9990000000000002' AND id = :'mid';
EXPLAIN (VERBOSE, COSTS OFF)
UPDATE w.members SET name = 'Jane Doe', email = 'jane@example.com'
  WHERE conversation_id = '9990000000000002' AND id = :'mid';
UPDATE w.members SET name = 'Jane Doe', email = 'jane@example.com'
  WHERE conversation_id = '9990000000000002' AND id = :'mid'
  RETURNING conversation_id, name, email, id = :'mid' AS same_member;
-- only the name: the email stays
UPDATE w.members SET name = name || ' (CRM)'
  WHERE conversation_id = '9990000000000002' AND id = :'mid';
SELECT name, email FROM w.members WHERE conversation_id = '9990000000000002' AND id = :'mid';
-- the conversation shows the new name too
SELECT m->>'name' AS name FROM w.conversations, jsonb_array_elements(members) m
  WHERE id = '9990000000000002' AND m->>'name' LIKE 'Jane%';
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?format=text&tag=w_members" | grep -E '^(PUT|DELETE)' | sed -E 's/[0-9a-f]{8}-[0-9a-f-]{27}/<member>/g'
-- a member the API no longer knows (here an injected 404): not counted
\set u :emu '/_x/tag=w_members404,state=w_main,status=404,after=1,count=1'
ALTER SERVER w_srv OPTIONS (SET base_url :'u');
UPDATE w.members SET name = 'Nobody'
  WHERE conversation_id = '9990000000000002' AND id = :'mid' RETURNING name;
-- the members of three conversations, row by row with 3 writes in flight
-- (gather=3); one the API no longer knows (an injected 404) is not counted
SELECT string_agg(quote_literal(id), ', ') AS mconvs, min(id) AS mconv1 FROM (
  SELECT id FROM w.conversations WHERE id NOT LIKE '999%'
    AND jsonb_typeof(members) = 'array' AND jsonb_array_length(members) BETWEEN 2 AND 3
  ORDER BY id DESC LIMIT 3) s \gset
SELECT id AS gone_mid FROM w.members WHERE conversation_id = :'mconv1' ORDER BY id LIMIT 1 \gset
\set u :emu '/_x/tag=w_members_pipe,state=w_main,gather=3,status=404,path_has=' :gone_mid
ALTER SERVER w_srv OPTIONS (SET base_url :'u', SET max_concurrent_requests '3');
SELECT count(*) FROM w.members WHERE conversation_id IN (:mconvs);
UPDATE w.members SET name = name || ' (seen)' WHERE conversation_id IN (:mconvs);
\echo :ROW_COUNT
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?format=text&tag=w_members_pipe" | grep -E '^(PUT|DELETE)' | sed -E 's/[0-9]{16}/<conversation>/; s/[0-9a-f]{8}-[0-9a-f-]{27}/<member>/g; s/ body=.*//' | sort | uniq -c
SELECT count(*) FROM w.members WHERE conversation_id IN (:mconvs) AND name LIKE '% (seen)';
ALTER SERVER w_srv OPTIONS (SET max_concurrent_requests '1');

-- ==== the retention rule the README schedules with pg_cron
\set u :emu '/_x/tag=w_main'
ALTER SERVER w_srv OPTIONS (SET base_url :'u');
-- with a fixed date (the dataset's clock is fixed, the wall clock is not)
SELECT count(*) FROM w.conversations WHERE start_time < '2024-03-01';
DELETE FROM w.conversations WHERE start_time < '2024-03-01';
-- the statement as scheduled (how many it deletes depends on today's date)
DO $$ BEGIN
  DELETE FROM w.conversations WHERE start_time < now() - interval '2 years';
END $$;
SELECT count(*) AS none_left FROM w.conversations
  WHERE start_time < now() - interval '2 years' OR start_time < '2024-03-01';

DROP FUNCTION w_explain_analyze(text, boolean);
DROP FUNCTION w_requests(text);
DROP SCHEMA w CASCADE;
DROP ROLE regress_w_reader;
DROP SERVER w_srv CASCADE;
DROP SERVER w_twin_srv CASCADE;
DROP SERVER w_json_srv CASCADE;
