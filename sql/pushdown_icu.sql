--
-- pushdown_icu: a comparison under a nondeterministic collation stays a
-- local Filter (the API compares code points exactly), and still returns
-- the right rows.  Such collations need ICU: on a server built without it
-- the test ends here (expected/pushdown_icu_1.out; 16 and later have a
-- "unicode" collation of provider icu even so).
--
SELECT count(*) = 0 AS no_icu FROM pg_collation WHERE collprovider = 'i' AND collname <> 'unicode' \gset
\if :no_icu
\quit
\endif
SET client_min_messages = warning;
\set VERBOSITY terse
\set emu `echo "$SYMBL_EMULATOR_URL"`
\set uicu :emu '/_x/tag=pushdown-icu'
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=pushdown-icu" > /dev/null
CREATE SCHEMA pdi;
CREATE SERVER pdi_srv FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'uicu', page_size '2000', max_concurrent_requests '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER pdi_srv
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE pdi.conv (id text, name text) SERVER pdi_srv;
CREATE COLLATION pdi.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM pdi.conv WHERE name = 'wonka / planning' COLLATE pdi.ci;
SELECT count(*) FROM pdi.conv WHERE name = 'wonka / planning' COLLATE pdi.ci;
SELECT count(*) FROM pdi.conv WHERE name = 'Wonka / Planning';
-- a token; the collated scan fetches every row, the plain one sends its filter
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?format=text&tag=pushdown-icu"
DROP SCHEMA pdi CASCADE;
DROP SERVER pdi_srv CASCADE;
