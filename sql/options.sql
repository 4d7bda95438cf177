--
-- options: validation of the options of every catalog, credentials in the
-- user mapping, columns that cannot be fed, and secrets kept from other roles.
--
\set emu `echo "$SYMBL_EMULATOR_URL"`
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=options" > /dev/null
\set uopt :emu '/_x/tag=options'

-- ==== the wrapper itself takes no options
ALTER FOREIGN DATA WRAPPER symbl_fdw OPTIONS (ADD base_url 'https://api.symbl.ai');

-- ==== unknown options: the hint lists what each catalog takes
CREATE SERVER symbl_opt_bad FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url 'https://api.symbl.ai', pagesize '10');
CREATE SERVER symbl_opt_bad FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (app_id 'demo-app-id');
CREATE SERVER symbl_opt_srv FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'uopt', max_concurrent_requests '1', page_size '300', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_opt_srv
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret', user 'x');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_opt_srv
  OPTIONS (page_size '10');
CREATE FOREIGN TABLE symbl_opt_bad (id text) SERVER symbl_opt_srv
  OPTIONS (table 'conversations');
CREATE FOREIGN TABLE symbl_opt_bad (id text OPTIONS (column_name 'id'))
  SERVER symbl_opt_srv;
CREATE FOREIGN TABLE symbl_opt_bad (id text OPTIONS (field 'id', base_url 'x'))
  SERVER symbl_opt_srv;

-- ==== integer options: range and syntax
ALTER SERVER symbl_opt_srv OPTIONS (SET page_size '0');
ALTER SERVER symbl_opt_srv OPTIONS (SET page_size '70000');
ALTER SERVER symbl_opt_srv OPTIONS (SET page_size 'abc');
ALTER SERVER symbl_opt_srv OPTIONS (SET page_size '');
ALTER SERVER symbl_opt_srv OPTIONS (SET page_size '-5');
ALTER SERVER symbl_opt_srv OPTIONS (SET page_size '65537');
-- a fraction is not an integer (and must not be silently rounded)
ALTER SERVER symbl_opt_srv OPTIONS (SET page_size '12.5');
ALTER SERVER symbl_opt_srv OPTIONS (SET page_size '65536');
ALTER SERVER symbl_opt_srv OPTIONS (SET page_size '1');
ALTER SERVER symbl_opt_srv OPTIONS (SET page_size '300');
ALTER SERVER symbl_opt_srv OPTIONS (ADD connect_timeout_ms '0');
ALTER SERVER symbl_opt_srv OPTIONS (ADD connect_timeout_ms '10s');
ALTER SERVER symbl_opt_srv OPTIONS (ADD connect_timeout_ms '3600001');
ALTER SERVER symbl_opt_srv OPTIONS (ADD request_timeout_ms '-1');
ALTER SERVER symbl_opt_srv OPTIONS (ADD request_timeout_ms '86400001');
ALTER SERVER symbl_opt_srv OPTIONS (SET max_retries '21');
ALTER SERVER symbl_opt_srv OPTIONS (SET max_retries '-1');
ALTER SERVER symbl_opt_srv OPTIONS (ADD max_response_mb '0');
ALTER SERVER symbl_opt_srv OPTIONS (ADD max_response_mb '1025');
ALTER SERVER symbl_opt_srv OPTIONS (ADD allow_insecure_http 'maybe');
-- the largest values are accepted
ALTER SERVER symbl_opt_srv OPTIONS (ADD connect_timeout_ms '3600000',
  ADD request_timeout_ms '86400000', ADD max_response_mb '1024');
ALTER SERVER symbl_opt_srv OPTIONS (DROP connect_timeout_ms,
  DROP request_timeout_ms, DROP max_response_mb);
-- rows (the planner's estimate) is a non-negative number
CREATE FOREIGN TABLE symbl_opt_bad (id text) SERVER symbl_opt_srv OPTIONS (rows '-1');
CREATE FOREIGN TABLE symbl_opt_bad (id text) SERVER symbl_opt_srv OPTIONS (rows 'many');

-- ==== base_url
CREATE SERVER symbl_opt_bad FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url 'not a url');
CREATE SERVER symbl_opt_bad FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url '');
CREATE SERVER symbl_opt_bad FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url 'api.symbl.ai');
CREATE SERVER symbl_opt_bad FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url 'ftp://api.symbl.ai');
CREATE SERVER symbl_opt_bad FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url 'file:///etc/passwd');
CREATE SERVER symbl_opt_bad FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url 'https://user:pass@api.symbl.ai');
CREATE SERVER symbl_opt_bad FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url 'https://user@api.symbl.ai');
CREATE SERVER symbl_opt_bad FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url 'https://api.symbl.ai/?x=1');
CREATE SERVER symbl_opt_bad FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url 'https://api.symbl.ai/#top');
-- plain http only to loopback, unless allow_insecure_http says otherwise
CREATE SERVER symbl_opt_bad FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url 'http://api.symbl.ai');
CREATE SERVER symbl_opt_bad FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url 'http://10.0.0.1:8080');
-- "127." must start an IPv4 address, not a host name
CREATE SERVER symbl_opt_bad127 FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url 'http://127.example.com');
SET client_min_messages = warning;
DROP SERVER IF EXISTS symbl_opt_bad127;
RESET client_min_messages;
CREATE SERVER symbl_opt_bad FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url 'http://localhost.example.com');
CREATE SERVER symbl_opt_bad FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url 'http://api.symbl.ai', allow_insecure_http 'false');
CREATE SERVER symbl_opt_http FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url 'http://api.symbl.ai', allow_insecure_http 'true');
ALTER SERVER symbl_opt_http OPTIONS (SET allow_insecure_http 'off');
ALTER SERVER symbl_opt_http OPTIONS (DROP allow_insecure_http);
ALTER SERVER symbl_opt_http OPTIONS (SET base_url 'https://api.symbl.ai', DROP allow_insecure_http);
CREATE SERVER symbl_opt_lo1 FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url 'http://localhost:8099');
CREATE SERVER symbl_opt_lo2 FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url 'http://127.0.0.1:8099/');
CREATE SERVER symbl_opt_lo3 FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url 'http://[::1]:8099');
CREATE SERVER symbl_opt_https FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url 'https://api.symbl.ai');
-- the server's options as stored (the server is renamed away from the port)
SELECT srvname, srvoptions FROM pg_foreign_server
 WHERE srvname LIKE 'symbl\_opt\_%' AND srvname <> 'symbl_opt_srv' ORDER BY srvname;
DROP SERVER symbl_opt_lo1, symbl_opt_lo2, symbl_opt_lo3, symbl_opt_http;

-- ==== user mappings: either access_token, or app_id with app_secret
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_opt_https
  OPTIONS (access_token 'tok-7f3a9c-secret', app_id 'demo-app-id');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_opt_https
  OPTIONS (access_token 'tok-7f3a9c-secret', app_secret 'demo-app-secret');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_opt_https
  OPTIONS (app_id 'demo-app-id');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_opt_https
  OPTIONS (app_secret 'demo-app-secret');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_opt_https
  OPTIONS (app_id '', app_secret 'demo-app-secret');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_opt_https
  OPTIONS (app_id 'demo-app-id', app_secret '');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_opt_https
  OPTIONS (access_token '');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_opt_https
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
-- switching to a token must drop the app credentials in the same command
ALTER USER MAPPING FOR CURRENT_USER SERVER symbl_opt_https
  OPTIONS (ADD access_token 'tok-7f3a9c-secret');
ALTER USER MAPPING FOR CURRENT_USER SERVER symbl_opt_https
  OPTIONS (DROP app_secret);
ALTER USER MAPPING FOR CURRENT_USER SERVER symbl_opt_https
  OPTIONS (DROP app_id, DROP app_secret, ADD access_token 'tok-7f3a9c-secret');
ALTER USER MAPPING FOR CURRENT_USER SERVER symbl_opt_https
  OPTIONS (DROP access_token, ADD app_id 'demo-app-id', ADD app_secret 'demo-app-secret');

-- ==== column option field
CREATE FOREIGN TABLE symbl_opt_bad (conv_id text OPTIONS (field 'from..name'))
  SERVER symbl_opt_srv;
CREATE FOREIGN TABLE symbl_opt_bad (conv_id text OPTIONS (field ''))
  SERVER symbl_opt_srv;
-- accepted spellings of a field: case and underscores do not matter
CREATE FOREIGN TABLE symbl_opt_fields (
  a text OPTIONS (field 'id'),
  b timestamptz OPTIONS (field 'start_time'),
  c timestamptz OPTIONS (field 'ENDTIME'),
  d jsonb OPTIONS (field 'Members')
) SERVER symbl_opt_srv;
ALTER FOREIGN TABLE symbl_opt_fields ALTER COLUMN a OPTIONS (SET field 'not a field');

-- ==== columns that cannot be fed: refused when a query is planned
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_opt_srv
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE symbl_opt_unknown_col (id text, duration interval)
  SERVER symbl_opt_srv;
SELECT * FROM symbl_opt_unknown_col;
EXPLAIN (COSTS OFF) SELECT id FROM symbl_opt_unknown_col;
CREATE FOREIGN TABLE symbl_opt_int_start (id text, start_time integer)
  SERVER symbl_opt_srv;
SELECT id FROM symbl_opt_int_start;
CREATE FOREIGN TABLE symbl_opt_int_members (id text, members int)
  SERVER symbl_opt_srv;
SELECT count(*) FROM symbl_opt_int_members;
CREATE FOREIGN TABLE symbl_opt_int_id (id bigint) SERVER symbl_opt_srv;
SELECT * FROM symbl_opt_int_id;
CREATE FOREIGN TABLE symbl_opt_date_end (end_time date) SERVER symbl_opt_srv;
SELECT * FROM symbl_opt_date_end;
CREATE FOREIGN TABLE symbl_opt_json_name (name jsonb) SERVER symbl_opt_srv;
SELECT * FROM symbl_opt_json_name;
-- a column mapped by the field option is judged by its field
CREATE FOREIGN TABLE symbl_opt_mapped (started text OPTIONS (field 'startTime'))
  SERVER symbl_opt_srv;
SELECT * FROM symbl_opt_mapped;
-- none of these reached the API
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=options&format=text"
-- a dropped bad column no longer matters
ALTER FOREIGN TABLE symbl_opt_unknown_col DROP COLUMN duration;
SELECT count(*) FROM symbl_opt_unknown_col;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=options&format=text"

-- ==== other users may point a server only at https, never in clear text
CREATE ROLE regress_symbl_opt_owner;
CREATE ROLE regress_symbl_opt_other;
GRANT USAGE ON FOREIGN DATA WRAPPER symbl_fdw TO regress_symbl_opt_other;
SET ROLE regress_symbl_opt_other;
CREATE SERVER symbl_opt_user_bad FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url 'http://127.0.0.1:8099');
CREATE SERVER symbl_opt_user_bad FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url 'https://api.symbl.ai', allow_insecure_http 'true');
-- https and the other options are the owner's to set
CREATE SERVER symbl_opt_user_srv FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (page_size '100', max_retries '1');
ALTER SERVER symbl_opt_user_srv OPTIONS (ADD base_url 'https://eu.api.symbl.ai');
ALTER SERVER symbl_opt_user_srv OPTIONS (SET page_size '200');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_opt_user_srv
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
ALTER SERVER symbl_opt_user_srv OPTIONS (SET base_url 'http://api.symbl.ai');
ALTER SERVER symbl_opt_user_srv OPTIONS (ADD allow_insecure_http 'true');
RESET ROLE;
SELECT srvname, srvoptions FROM pg_foreign_server WHERE srvname = 'symbl_opt_user_srv';
-- a plain-http server made by a superuser cannot be altered by its owner
ALTER SERVER symbl_opt_user_srv OPTIONS (SET base_url 'http://127.0.0.1:8099');
SET ROLE regress_symbl_opt_other;
ALTER SERVER symbl_opt_user_srv OPTIONS (SET page_size '300');
RESET ROLE;
DROP SERVER symbl_opt_user_srv CASCADE;

-- ==== credentials are needed at scan time
CREATE SERVER symbl_opt_nocred FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url :'uopt', max_concurrent_requests '1');
CREATE FOREIGN TABLE symbl_opt_nocred_t (id text) SERVER symbl_opt_nocred;
GRANT SELECT ON symbl_opt_nocred_t TO regress_symbl_opt_other;
-- no user mapping at all (PostgreSQL's own error, worded differently by 18: its SQLSTATE)
SET ROLE regress_symbl_opt_other;
\set VERBOSITY sqlstate
SELECT * FROM symbl_opt_nocred_t;
\set VERBOSITY default
RESET ROLE;
-- a user mapping without credentials
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_opt_nocred;
SELECT * FROM symbl_opt_nocred_t;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=options&format=text"

-- ==== secrets stay with their owner
ALTER SERVER symbl_opt_https OWNER TO regress_symbl_opt_owner;
CREATE USER MAPPING FOR regress_symbl_opt_owner SERVER symbl_opt_https
  OPTIONS (app_id 'demo-app-id', app_secret 'owner-secret-value');
CREATE USER MAPPING FOR PUBLIC SERVER symbl_opt_https
  OPTIONS (access_token 'public-token-value');
GRANT USAGE ON FOREIGN SERVER symbl_opt_https TO regress_symbl_opt_other;
-- the owner of the server sees the options of its mappings
SET ROLE regress_symbl_opt_owner;
\deu+ regress_symbl_opt_*
SELECT srvname, usename, umoptions FROM pg_user_mappings
 WHERE srvname = 'symbl_opt_https' AND usename IN ('regress_symbl_opt_owner', 'public')
 ORDER BY usename;
RESET ROLE;
-- another role with USAGE sees neither the owner's secret nor the PUBLIC token
SET ROLE regress_symbl_opt_other;
\des+ symbl_opt_https
\deu+ regress_symbl_opt_*
SELECT srvname, usename, umoptions FROM pg_user_mappings
 WHERE srvname = 'symbl_opt_https' AND usename IN ('regress_symbl_opt_owner', 'public')
 ORDER BY usename;
SELECT count(*) FROM pg_user_mapping;
RESET ROLE;
-- no secret in EXPLAIN either
CREATE FOREIGN TABLE symbl_opt_explain (id text) SERVER symbl_opt_srv;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM symbl_opt_explain;

-- ==== clean up
SET client_min_messages = warning;
DROP SERVER symbl_opt_srv, symbl_opt_https, symbl_opt_nocred CASCADE;
REVOKE USAGE ON FOREIGN DATA WRAPPER symbl_fdw FROM regress_symbl_opt_other;
DROP ROLE regress_symbl_opt_owner;
DROP ROLE regress_symbl_opt_other;
RESET client_min_messages;
