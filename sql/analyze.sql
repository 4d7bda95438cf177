--
-- analyze: ANALYZE counts every conversation of a table and samples them
-- for the column statistics; the planner then works on that count instead
-- of the table option rows.  The emulator serves 1000 conversations:
-- 833 meetings, 88 calls, 48 chats, 31 webinars, two without a name.
--
SET timezone = 'UTC';
\set emu `echo "$SYMBL_EMULATOR_URL"`
\! for t in anl anl_f anl_500 anl_hang anl_crm; do curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=$t" > /dev/null; done
\set uanl :emu '/_x/tag=anl'
\set uanlf :emu '/_x/tag=anl_f'
\set uanl500 :emu '/_x/tag=anl_500,status=500,after=1'
\set uanlhang :emu '/_x/tag=anl_hang,hang=1,after=1'
\set uanlcrm :emu '/_x/tag=anl_crm'

-- pages of 300: ANALYZE reads four of them, one request at a time
CREATE SERVER anl_srv FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'uanl', page_size '300', max_retries '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER anl_srv
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE anl_conv (id text, type text, name text,
  start_time timestamptz, end_time timestamptz, members jsonb, metadata jsonb)
  SERVER anl_srv;

-- the planner's row estimate of a query (EXPLAIN's "Plan Rows" of the top node)
CREATE FUNCTION anl_rows(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
  plan json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO plan;
  RETURN (plan->0->'Plan'->>'Plan Rows')::float8;
END $$;

-- ==== before ANALYZE: reltuples -1 (never analyzed), and the planner
-- takes the table option rows (default 10000)
SELECT reltuples, relpages FROM pg_class WHERE oid = 'anl_conv'::regclass;
SELECT anl_rows('SELECT * FROM anl_conv') AS all_rows,
       anl_rows($$SELECT * FROM anl_conv WHERE type = 'call'$$) AS calls;
SELECT count(*) FROM pg_stats WHERE tablename = 'anl_conv';

-- ==== ANALYZE: the exact count, statistics for every column
ANALYZE anl_conv;
SELECT reltuples FROM pg_class WHERE oid = 'anl_conv'::regclass;
-- the default statistics target samples up to 30000 rows: here all 1000,
-- so the statistics are exact
SELECT attname, null_frac, n_distinct FROM pg_stats
 WHERE tablename = 'anl_conv' ORDER BY attname;
SELECT most_common_vals, most_common_freqs FROM pg_stats
 WHERE tablename = 'anl_conv' AND attname = 'type';
-- the full scan's request, paged with limit/offset until the short page
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=anl&format=text"

-- ==== the planner now uses the count and the statistics
SELECT anl_rows('SELECT * FROM anl_conv') AS all_rows,
       anl_rows($$SELECT * FROM anl_conv WHERE type = 'call'$$) AS calls,
       anl_rows($$SELECT * FROM anl_conv WHERE name IS NULL$$) AS no_name;
-- the table option rows no longer counts once the table has been analyzed
ALTER FOREIGN TABLE anl_conv OPTIONS (ADD rows '50000');
SELECT anl_rows('SELECT * FROM anl_conv') AS all_rows;
ALTER FOREIGN TABLE anl_conv OPTIONS (DROP rows);

-- ==== statistics on an expression of metadata, for the CRM join: 50
-- customers, so about 20 conversations each instead of the default guess
SELECT anl_rows($$SELECT * FROM anl_conv WHERE metadata->>'customerId' = 'cust-033'$$) AS one_customer;
CREATE STATISTICS anl_customer ON (metadata->>'customerId') FROM anl_conv;
ANALYZE anl_conv;
SELECT anl_rows($$SELECT * FROM anl_conv WHERE metadata->>'customerId' = 'cust-033'$$) AS one_customer;
SELECT null_frac, n_distinct FROM pg_stats_ext_exprs WHERE statistics_name = 'anl_customer';

-- ==== a smaller sample than the table: still the exact count, and the
-- sample has the size the statistics target asks for (300 rows)
ALTER FOREIGN TABLE anl_conv ALTER COLUMN type SET STATISTICS 1;
ALTER FOREIGN TABLE anl_conv ALTER COLUMN id SET STATISTICS 1;
ALTER FOREIGN TABLE anl_conv ALTER COLUMN name SET STATISTICS 1;
ALTER FOREIGN TABLE anl_conv ALTER COLUMN start_time SET STATISTICS 1;
ALTER FOREIGN TABLE anl_conv ALTER COLUMN end_time SET STATISTICS 1;
ALTER FOREIGN TABLE anl_conv ALTER COLUMN members SET STATISTICS 1;
ALTER FOREIGN TABLE anl_conv ALTER COLUMN metadata SET STATISTICS 1;
ALTER STATISTICS anl_customer SET STATISTICS 1;
ANALYZE anl_conv;
SELECT reltuples FROM pg_class WHERE oid = 'anl_conv'::regclass;
-- ids are unique: PostgreSQL scales the sample's distinct count to the table
SELECT n_distinct FROM pg_stats WHERE tablename = 'anl_conv' AND attname = 'id';

-- ==== a table with a filter: ANALYZE counts only that subset
CREATE SERVER anl_srv_f FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'uanlf', page_size '300');
CREATE USER MAPPING FOR CURRENT_USER SERVER anl_srv_f
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE anl_calls (id text, type text, name text)
  SERVER anl_srv_f OPTIONS (filter 'conversation.type=in=(call,chat)');
ANALYZE anl_calls;
SELECT reltuples FROM pg_class WHERE oid = 'anl_calls'::regclass;
SELECT most_common_vals, most_common_freqs FROM pg_stats
 WHERE tablename = 'anl_calls' AND attname = 'type';
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=anl_f&format=text"

-- ==== a 500 on the second page that outlasts the retries: a clean error,
-- and the statistics of the last ANALYZE stay (nothing of the first page)
ALTER SERVER anl_srv_f OPTIONS (SET base_url :'uanl500', SET page_size '100',
  ADD max_retries '1');
\set VERBOSITY terse
ANALYZE anl_calls;
\set VERBOSITY default
SELECT reltuples FROM pg_class WHERE oid = 'anl_calls'::regclass;
SELECT most_common_vals, most_common_freqs FROM pg_stats
 WHERE tablename = 'anl_calls' AND attname = 'type';
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=anl_500&format=text"
-- ==== statement_timeout while the API does not answer the second page:
-- ANALYZE is cancelled like a scan, and the statistics stay
ALTER SERVER anl_srv_f OPTIONS (SET base_url :'uanlhang');
SET statement_timeout = '1s';
ANALYZE anl_calls;
RESET statement_timeout;
SELECT reltuples FROM pg_class WHERE oid = 'anl_calls'::regclass;
-- the session goes on
ALTER SERVER anl_srv_f OPTIONS (SET base_url :'uanlf');
SELECT count(*) FROM anl_calls;
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=anl_f" > /dev/null

-- ==== the CRM fast path: conversations of the accounts in a local table,
-- with the account list as an array.  The initplan runs first, and its
-- values go into one =in= request (NULL never matches, so it is left out)
CREATE SERVER anl_srv_crm FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'uanlcrm');
CREATE USER MAPPING FOR CURRENT_USER SERVER anl_srv_crm
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE anl_crm_conv (id text, type text, name text,
  start_time timestamptz, end_time timestamptz, members jsonb, metadata jsonb)
  SERVER anl_srv_crm;
CREATE TABLE crm_accounts (customer_id text, tier text);
INSERT INTO crm_accounts VALUES
  ('cust-001', 'enterprise'), ('cust-007', 'enterprise'), ('cust-042', 'enterprise'),
  (NULL, 'enterprise'), ('cust-002', 'smb');
-- (EXPLAIN without the "(returns $0)" that 16 and older print after InitPlan)
CREATE FUNCTION anl_explain(q text) RETURNS SETOF text LANGUAGE plpgsql AS $fn$
DECLARE l text;
BEGIN
  FOR l IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || q LOOP
    RETURN NEXT regexp_replace(l, '^(\s*InitPlan \d+) \(returns \$\d+\)$', '\1');
  END LOOP;
END
$fn$;
SELECT anl_explain($q$
SELECT c.metadata->>'customerId' AS customer, count(*) FROM anl_crm_conv c
 WHERE c.metadata->>'customerId' = ANY (ARRAY(SELECT customer_id FROM crm_accounts
                                              WHERE tier = 'enterprise'))
 GROUP BY 1 ORDER BY 1$q$);
SELECT c.metadata->>'customerId' AS customer, count(*) FROM anl_crm_conv c
 WHERE c.metadata->>'customerId' = ANY (ARRAY(SELECT customer_id FROM crm_accounts
                                              WHERE tier = 'enterprise'))
 GROUP BY 1 ORDER BY 1;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=anl_crm&format=text"

-- ==== the same accounts as a join: the planner weighs one request per
-- account (a parameterized nested loop) against a full scan.  With the
-- guess of 10000 conversations (11 pages of 1000) the per-account requests
-- win; once ANALYZE has counted 1000 (2 requests), the full scan does.
ANALYZE crm_accounts;
EXPLAIN (COSTS OFF)
SELECT a.customer_id, c.id FROM crm_accounts a
  JOIN anl_crm_conv c ON c.metadata->>'customerId' = a.customer_id
 WHERE a.tier = 'enterprise';
ANALYZE anl_crm_conv;
EXPLAIN (COSTS OFF)
SELECT a.customer_id, c.id FROM crm_accounts a
  JOIN anl_crm_conv c ON c.metadata->>'customerId' = a.customer_id
 WHERE a.tier = 'enterprise';
