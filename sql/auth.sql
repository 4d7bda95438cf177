--
-- auth: tokens from app_id/app_secret, cached, renewed; access_token
--
\set emu `echo "$SYMBL_EMULATOR_URL"`
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=auth_ok" > /dev/null
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=auth_bad" > /dev/null
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=auth_tok" > /dev/null
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=auth_ttl0" > /dev/null
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=auth_expire" > /dev/null
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=auth_t500" > /dev/null
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=auth_401" > /dev/null
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=auth_inval" > /dev/null
\set uok :emu '/_x/tag=auth_ok'
\set ubad :emu '/_x/tag=auth_bad'
\set utok :emu '/_x/tag=auth_tok'
\set uttl0 :emu '/_x/tag=auth_ttl0,token_ttl=0'
\set uexpire :emu '/_x/tag=auth_expire,expire_token_after=2'
\set ut500 :emu '/_x/tag=auth_t500,token_status=500'
\set u401 :emu '/_x/tag=auth_401,status=401'
\set uinval :emu '/_x/tag=auth_inval'

-- ==== app_id and app_secret: one token, used for every request of the session
CREATE SERVER symbl_auth_ok FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'uok', max_concurrent_requests '1', page_size '600');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_auth_ok
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE symbl_auth_ok_t (id text) SERVER symbl_auth_ok;
CREATE FOREIGN TABLE symbl_auth_ok_t2 (name text) SERVER symbl_auth_ok;
SELECT count(*) FROM symbl_auth_ok_t;
SELECT count(*) FROM symbl_auth_ok_t;
-- another table of the same server shares the token
SELECT count(name) FROM symbl_auth_ok_t2;
-- one token request; every API request carried a valid token
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=auth_ok&format=jsonl" | python3 -c 'import sys, json; [print(r["method"], r["path"], r["status"], "rows=%s" % r["rows"] if r["rows"] is not None else "app_id=%s" % r["app_id"], "auth=%s" % r["auth"]) for r in map(json.loads, sys.stdin)]'

-- ==== wrong credentials: the token endpoint says 401, no API request is made
CREATE SERVER symbl_auth_bad FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'ubad', max_concurrent_requests '1', max_retries '3');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_auth_bad
  OPTIONS (app_id 'demo-app-id', app_secret 'wrong-secret-value');
CREATE FOREIGN TABLE symbl_auth_bad_t (id text) SERVER symbl_auth_bad;
SELECT count(*) FROM symbl_auth_bad_t;
\echo :LAST_ERROR_SQLSTATE
ALTER USER MAPPING FOR CURRENT_USER SERVER symbl_auth_bad
  OPTIONS (SET app_id 'wrong-app-id', SET app_secret 'demo-app-secret');
SELECT count(*) FROM symbl_auth_bad_t;
-- fixing the user mapping takes effect in the same session
ALTER USER MAPPING FOR CURRENT_USER SERVER symbl_auth_bad
  OPTIONS (SET app_id 'demo-app-id');
SELECT count(*) FROM symbl_auth_bad_t;
-- a rejected secret is not retried (401 is final)
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=auth_bad&format=text"
-- breaking it again: the cached token is not reused for the new credentials
ALTER USER MAPPING FOR CURRENT_USER SERVER symbl_auth_bad
  OPTIONS (SET app_secret 'another-wrong-secret');
SELECT count(*) FROM symbl_auth_bad_t;

-- ==== the token cache follows the catalog: ALTER or DROP of the user
-- mapping or the server drops the token, and the next query asks for a new
-- one with what the catalog says then
CREATE SERVER symbl_auth_inval FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'uinval', max_concurrent_requests '1', page_size '600');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_auth_inval
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE symbl_auth_inval_t (id text) SERVER symbl_auth_inval;
SELECT count(*) FROM symbl_auth_inval_t;
SELECT count(*) FROM symbl_auth_inval_t;
-- one token for both queries
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=auth_inval&format=text" | sed -E 's/\?.*(limit=[0-9]+).*( ->)/?\1\2/'
-- ALTER SERVER: the next query reads the new page_size and asks for a token
ALTER SERVER symbl_auth_inval OPTIONS (SET page_size '400');
SELECT count(*) FROM symbl_auth_inval_t;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=auth_inval&format=text" | tail -n 4 | sed -E 's/\?.*(limit=[0-9]+).*( ->)/?\1\2/'
-- ALTER USER MAPPING, even to the same values: a new token
ALTER USER MAPPING FOR CURRENT_USER SERVER symbl_auth_inval
  OPTIONS (SET app_secret 'demo-app-secret');
SELECT count(*) FROM symbl_auth_inval_t;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=auth_inval&format=text" | tail -n 4 | sed -E 's/\?.*(limit=[0-9]+).*( ->)/?\1\2/'
-- a wrong secret: asked for at once, and refused
ALTER USER MAPPING FOR CURRENT_USER SERVER symbl_auth_inval
  OPTIONS (SET app_secret 'inval-wrong-secret');
SELECT count(*) FROM symbl_auth_inval_t;
\echo :LAST_ERROR_SQLSTATE
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=auth_inval&format=text" | tail -n 1
ALTER USER MAPPING FOR CURRENT_USER SERVER symbl_auth_inval
  OPTIONS (SET app_secret 'demo-app-secret');
SELECT count(*) FROM symbl_auth_inval_t;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=auth_inval&format=text" | tail -n 4 | sed -E 's/\?.*(limit=[0-9]+).*( ->)/?\1\2/'
-- DROP USER MAPPING: no token is left to use; a new mapping gets a new one
DROP USER MAPPING FOR CURRENT_USER SERVER symbl_auth_inval;
-- (PostgreSQL's own error, worded differently by 17 and later: its SQLSTATE)
\set VERBOSITY sqlstate
SELECT count(*) FROM symbl_auth_inval_t;
\set VERBOSITY default
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_auth_inval
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
SELECT count(*) FROM symbl_auth_inval_t;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=auth_inval&format=text" | tail -n 4 | sed -E 's/\?.*(limit=[0-9]+).*( ->)/?\1\2/'
-- a mapping FOR PUBLIC, then one of the user's own: each has its token
DROP USER MAPPING FOR CURRENT_USER SERVER symbl_auth_inval;
CREATE USER MAPPING FOR PUBLIC SERVER symbl_auth_inval
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
SELECT count(*) FROM symbl_auth_inval_t;
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_auth_inval
  OPTIONS (app_id 'demo-app-id', app_secret 'inval-wrong-secret');
SELECT count(*) FROM symbl_auth_inval_t;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=auth_inval&format=text" | tail -n 5 | sed -E 's/\?.*(limit=[0-9]+).*( ->)/?\1\2/'

-- ==== access_token: sent as it is, never renewed
CREATE SERVER symbl_auth_tok FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'utok', max_concurrent_requests '1', max_retries '3');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_auth_tok
  OPTIONS (access_token 'not-a-valid-token');
CREATE FOREIGN TABLE symbl_auth_tok_t (id text) SERVER symbl_auth_tok;
SELECT count(*) FROM symbl_auth_tok_t;
\echo :LAST_ERROR_SQLSTATE
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=auth_tok&format=text"
-- a valid token, obtained outside PostgreSQL (the psql variable is not echoed)
\set goodtok `curl -s -X POST -H 'Content-Type: application/json' -d '{"type":"application","appId":"demo-app-id","appSecret":"demo-app-secret"}' "$SYMBL_EMULATOR_URL/_x/tag=auth_tok/oauth2/token:generate" | python3 -c 'import sys, json; print(json.load(sys.stdin)["accessToken"])'`
ALTER USER MAPPING FOR CURRENT_USER SERVER symbl_auth_tok
  OPTIONS (SET access_token :'goodtok');
SELECT count(*), count(DISTINCT id) FROM symbl_auth_tok_t;
-- only the token request made by curl above: the FDW never asked for one
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=auth_tok&format=text"

-- ==== a token that is always expired: one renewal, then the error
CREATE SERVER symbl_auth_ttl0 FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url :'uttl0', max_concurrent_requests '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_auth_ttl0
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE symbl_auth_ttl0_t (id text) SERVER symbl_auth_ttl0;
SELECT count(*) FROM symbl_auth_ttl0_t;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=auth_ttl0&format=text"

-- ==== the API keeps answering 401: one renewal, then the error
CREATE SERVER symbl_auth_401 FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'u401', max_concurrent_requests '1', max_retries '3');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_auth_401
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE symbl_auth_401_t (id text) SERVER symbl_auth_401;
SELECT count(*) FROM symbl_auth_401_t;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=auth_401&format=text"

-- ==== the token expires in the middle of a scan: renewed once, the page is
-- asked for again, and every conversation arrives exactly once
CREATE SERVER symbl_auth_expire FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'uexpire', max_concurrent_requests '1', page_size '300');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_auth_expire
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE symbl_auth_expire_t (id text) SERVER symbl_auth_expire;
SELECT count(*), count(DISTINCT id) FROM symbl_auth_expire_t;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=auth_expire&format=text"
-- the renewed token goes on working in the next query
SELECT count(*) FROM symbl_auth_expire_t;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=auth_expire&format=text" | tail -n 4

-- ==== the token endpoint fails
CREATE SERVER symbl_auth_t500 FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'ut500', max_concurrent_requests '1', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_auth_t500
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE symbl_auth_t500_t (id text) SERVER symbl_auth_t500;
SELECT count(*) FROM symbl_auth_t500_t;
-- with retries, each attempt is logged
ALTER SERVER symbl_auth_t500 OPTIONS (SET max_retries '2');
SELECT count(*) FROM symbl_auth_t500_t;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=auth_t500&format=text"

-- ==== after all of this the session works
SELECT count(*) FROM symbl_auth_ok_t;

SET client_min_messages = warning;
DROP SERVER symbl_auth_ok, symbl_auth_bad, symbl_auth_tok, symbl_auth_ttl0,
  symbl_auth_401, symbl_auth_expire, symbl_auth_t500, symbl_auth_inval CASCADE;
RESET client_min_messages;
