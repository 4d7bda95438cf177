--
-- probe: symbl_probe(server) judges, read-only and in a few requests, how
-- the API treats each filter selector and sort field Symbl never
-- documented, under each of the emulator's three readings (selectors and
-- sort_fields: apply, ignore, reject); record => true writes the verdict
-- into the server's send_selectors and exact_selectors, and only then is a
-- type or name equality exact in reads (a LIMIT goes out with it).  These
-- are the only requests of the suite with conversation.id in a filter
-- (tags probe-*: test/regress.sh checks every other one).
--
SET client_min_messages = notice;
\set VERBOSITY terse
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
\set emu `echo "$SYMBL_EMULATOR_URL"`
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=probe-apply" > /dev/null
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=probe-ignore" > /dev/null
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=probe-reject" > /dev/null
CREATE SCHEMA pr;
\set u :emu '/_x/tag=probe-apply,selectors=apply,sort_fields=apply'
CREATE SERVER pr_apply FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url :'u');
\set u :emu '/_x/tag=probe-ignore,selectors=ignore,sort_fields=ignore'
CREATE SERVER pr_ignore FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url :'u');
\set u :emu '/_x/tag=probe-reject,selectors=reject,sort_fields=reject'
CREATE SERVER pr_reject FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url :'u');
CREATE USER MAPPING FOR CURRENT_USER SERVER pr_apply
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE USER MAPPING FOR CURRENT_USER SERVER pr_ignore
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE USER MAPPING FOR CURRENT_USER SERVER pr_reject
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');

-- 1. each reading, as the probe finds it
SELECT used_in, selector, behaviour FROM symbl_probe('pr_apply');
SELECT used_in, selector, behaviour FROM symbl_probe('pr_ignore');
SELECT used_in, selector, behaviour FROM symbl_probe('pr_reject');
-- the evidence behind each verdict
SELECT selector, behaviour, evidence FROM symbl_probe('pr_apply') WHERE used_in = 'filter';
SELECT selector, behaviour, evidence FROM symbl_probe('pr_ignore') WHERE used_in = 'filter';
SELECT selector, behaviour, evidence FROM symbl_probe('pr_apply') WHERE used_in = 'sort';
SELECT selector, behaviour, evidence FROM symbl_probe('pr_ignore') WHERE used_in = 'sort';
SELECT used_in, selector, evidence FROM symbl_probe('pr_reject') LIMIT 2;
-- what one probe costs: the requests of the last run under reject
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?format=text&tag=probe-reject" | grep -v '^POST' | tail -n 9

-- 2. before recording, a type equality is a superset: rechecked, no LIMIT sent
CREATE FOREIGN TABLE pr.conv_apply (id text, type text, name text,
  start_time timestamptz, end_time timestamptz) SERVER pr_apply;
CREATE FOREIGN TABLE pr.conv_ignore (id text, type text, name text,
  start_time timestamptz, end_time timestamptz) SERVER pr_ignore;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT id FROM pr.conv_apply WHERE type = 'chat' ORDER BY start_time LIMIT 3;

-- 3. record: what was applied becomes exact, what was ignored or refused is
-- no longer sent
SELECT count(*) FROM symbl_probe('pr_apply', record => true);
SELECT count(*) FROM symbl_probe('pr_ignore', record => true);
SELECT count(*) FROM symbl_probe('pr_reject', record => true);
SELECT srvname, srvoptions[2:] FROM pg_foreign_server
  WHERE srvname LIKE 'pr\_%' ORDER BY srvname;
-- verified: the equality is exact, the LIMIT goes out with it
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT id FROM pr.conv_apply WHERE type = 'chat' ORDER BY start_time LIMIT 3;
SELECT count(*) FROM (SELECT id FROM pr.conv_apply WHERE type = 'chat'
  ORDER BY start_time LIMIT 3) s;
-- ignored: nothing is sent, PostgreSQL filters
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT id FROM pr.conv_ignore WHERE type = 'chat' ORDER BY start_time LIMIT 3;
-- a write still rechecks a verified selector
CREATE FOREIGN TABLE pr.conv_apply_w (id text, type text, metadata jsonb)
  SERVER pr_apply OPTIONS (updatable 'true');
EXPLAIN (VERBOSE, COSTS OFF)
  DELETE FROM pr.conv_apply_w WHERE type = 'chat';

-- 4. recording needs a writable transaction, the server's owner and USAGE
BEGIN READ ONLY;
SELECT count(*) FROM symbl_probe('pr_apply', record => true);
ROLLBACK;
CREATE ROLE pr_nobody;
SET ROLE pr_nobody;
SELECT count(*) FROM symbl_probe('pr_apply');
RESET ROLE;
DROP ROLE pr_nobody;
SELECT * FROM symbl_probe('no_such_server');

DROP SCHEMA pr CASCADE;
DROP SERVER pr_apply, pr_ignore, pr_reject CASCADE;
