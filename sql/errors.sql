--
-- errors: HTTP statuses, retries, transport failures and broken bodies.
-- Every error is clear, and the session goes on working after it.
--
SET timezone = 'UTC';
\set emu `echo "$SYMBL_EMULATOR_URL"`
\! for t in err_ok err_400 err_404 err_404t err_429 err_429p err_503 err_500 err_418 err_body err_trunc err_reset err_huge err_redir; do curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=$t" > /dev/null; done
\set uok :emu '/_x/tag=err_ok'
CREATE SERVER symbl_err_ok FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url :'uok', max_concurrent_requests '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_err_ok
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE symbl_err_ok_t (id text) SERVER symbl_err_ok;
SELECT count(*) FROM symbl_err_ok_t;

-- one server whose base_url each case points at its fault
CREATE SERVER symbl_err FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'uok', max_concurrent_requests '1', max_retries '1', connect_timeout_ms '2000',
           request_timeout_ms '5000');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_err
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE symbl_err_t (
  id text, type text, name text, start_time timestamptz, end_time timestamptz,
  members jsonb, metadata jsonb
) SERVER symbl_err;

-- a transport error's detail carries libcurl's text, with timings and byte
-- counts that vary: this shows the error with the numbers masked
CREATE FUNCTION symbl_err_show(query text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  state text;
  msg text;
  detail text;
  hint text;
BEGIN
  EXECUTE query;
  RETURN NEXT 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
    detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
  RETURN NEXT 'ERROR ' || state || ': ' || msg;
  RETURN NEXT 'DETAIL: ' || regexp_replace(detail, '[0-9]+ (ms|milliseconds|bytes|out of)', 'N \1', 'g');
  IF hint <> '' THEN
    RETURN NEXT 'HINT: ' || hint;
  END IF;
END
$$;

-- ==== 400: not retried, the API's message in DETAIL
\set u :emu '/_x/tag=err_400,status=400'
ALTER SERVER symbl_err OPTIONS (SET base_url :'u');
SELECT count(*) FROM symbl_err_t;
\echo :LAST_ERROR_SQLSTATE
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=err_400&format=text"

-- ==== a base_url with a wrong path: 404, from the token endpoint first
\set u :emu '/_x/tag=err_404/api'
ALTER SERVER symbl_err OPTIONS (SET base_url :'u');
SELECT count(*) FROM symbl_err_t;
\echo :LAST_ERROR_SQLSTATE
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=err_404&format=text"
-- ... and from the API itself
\set u :emu '/_x/tag=err_404t/v2'
CREATE SERVER symbl_err_404 FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url :'u', max_concurrent_requests '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_err_404
  OPTIONS (access_token 'any-token');
CREATE FOREIGN TABLE symbl_err_404_t (id text) SERVER symbl_err_404;
SELECT count(*) FROM symbl_err_404_t;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=err_404t&format=text"

-- ==== 429 twice with Retry-After: 0, then success
\set u :emu '/_x/tag=err_429,status=429,retry_after=0,count=2'
ALTER SERVER symbl_err OPTIONS (SET base_url :'u', SET max_retries '2');
SELECT count(*), count(DISTINCT id) FROM symbl_err_t;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=err_429&format=text"
-- 429 that does not stop: an error once the retries are used up
\set u :emu '/_x/tag=err_429p,status=429,retry_after=0'
ALTER SERVER symbl_err OPTIONS (SET base_url :'u', SET max_retries '1');
SELECT count(*) FROM symbl_err_t;
\echo :LAST_ERROR_SQLSTATE
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=err_429p&format=text"

-- ==== a persistent 503: max_retries 1 means two attempts
\set u :emu '/_x/tag=err_503,status=503'
ALTER SERVER symbl_err OPTIONS (SET base_url :'u');
SELECT count(*) FROM symbl_err_t;
\echo :LAST_ERROR_SQLSTATE
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=err_503&format=text"

-- ==== one 500 on the second page: retried, and the scan completes
\set u :emu '/_x/tag=err_500,status=500,after=1,count=1'
ALTER SERVER symbl_err OPTIONS (SET base_url :'u', ADD page_size '400');
SELECT count(*), count(DISTINCT id) FROM symbl_err_t;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=err_500&format=text"
ALTER SERVER symbl_err OPTIONS (DROP page_size);

-- ==== a status the API does not document: not retried
\set u :emu '/_x/tag=err_418,status=418'
ALTER SERVER symbl_err OPTIONS (SET base_url :'u');
SELECT count(*) FROM symbl_err_t;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=err_418&format=text"

-- the session is fine after all of these
SELECT count(*) FROM symbl_err_ok_t;

-- ==== nobody listening
ALTER SERVER symbl_err OPTIONS (SET base_url 'http://127.0.0.1:1');
SELECT symbl_err_show('SELECT count(*) FROM symbl_err_t');

-- ==== broken bodies: a clear error naming the problem and where it is
\set u :emu '/_x/tag=err_body,body=not_json'
ALTER SERVER symbl_err OPTIONS (SET base_url :'u');
SELECT count(*) FROM symbl_err_t;
\echo :LAST_ERROR_SQLSTATE
\set u :emu '/_x/tag=err_body,body=truncated_json'
ALTER SERVER symbl_err OPTIONS (SET base_url :'u');
SELECT count(*) FROM symbl_err_t;
\set u :emu '/_x/tag=err_body,body=trailing_nul'
ALTER SERVER symbl_err OPTIONS (SET base_url :'u');
SELECT count(*) FROM symbl_err_t;
\set u :emu '/_x/tag=err_body,body=empty'
ALTER SERVER symbl_err OPTIONS (SET base_url :'u');
SELECT count(*) FROM symbl_err_t;
\set u :emu '/_x/tag=err_body,body=no_conversations'
ALTER SERVER symbl_err OPTIONS (SET base_url :'u');
SELECT count(*) FROM symbl_err_t;
\echo :LAST_ERROR_SQLSTATE
\set u :emu '/_x/tag=err_body,body=null_conversations'
ALTER SERVER symbl_err OPTIONS (SET base_url :'u');
SELECT count(*) FROM symbl_err_t;
\set u :emu '/_x/tag=err_body,body=conversations_object'
ALTER SERVER symbl_err OPTIONS (SET base_url :'u');
SELECT count(*) FROM symbl_err_t;
\set u :emu '/_x/tag=err_body,body=row_not_object'
ALTER SERVER symbl_err OPTIONS (SET base_url :'u');
SELECT count(*) FROM symbl_err_t;
-- valid JSON of nothing but empty objects: a parser's tree of it would
-- take hundreds of times its size (gigabytes within max_response_mb)
\set u :emu '/_x/tag=err_body,body=dense'
ALTER SERVER symbl_err OPTIONS (SET base_url :'u');
SELECT count(*) FROM symbl_err_t;
\echo :LAST_ERROR_SQLSTATE
\set u :emu '/_x/tag=err_body,body=wrongtype_name'
ALTER SERVER symbl_err OPTIONS (SET base_url :'u');
SELECT count(*) FROM symbl_err_t;
SELECT name FROM symbl_err_t;
\echo :LAST_ERROR_SQLSTATE
\set u :emu '/_x/tag=err_body,body=wrongtype_start'
ALTER SERVER symbl_err OPTIONS (SET base_url :'u');
SELECT start_time FROM symbl_err_t;
\set u :emu '/_x/tag=err_body,body=bad_timestamp'
ALTER SERVER symbl_err OPTIONS (SET base_url :'u');
SELECT start_time FROM symbl_err_t;
\echo :LAST_ERROR_SQLSTATE
-- startTime is read even when not selected (keyset paging anchors on it),
-- so the bad timestamp is an error for other columns too
SELECT id, name, end_time FROM symbl_err_t;
\set u :emu '/_x/tag=err_body,body=invalid_utf8'
ALTER SERVER symbl_err OPTIONS (SET base_url :'u');
SELECT name FROM symbl_err_t;
\echo :LAST_ERROR_SQLSTATE
\set u :emu '/_x/tag=err_body,body=nul_in_string'
ALTER SERVER symbl_err OPTIONS (SET base_url :'u');
SELECT name FROM symbl_err_t;
\echo :LAST_ERROR_SQLSTATE
-- each broken body was asked for once: a 200 is never retried
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=err_body&format=text"

-- the session is fine after all of these
SELECT count(*) FROM symbl_err_ok_t;

-- ==== transfers cut short: retried, then a clear error
\set u :emu '/_x/tag=err_trunc,truncate=100'
ALTER SERVER symbl_err OPTIONS (SET base_url :'u');
SELECT symbl_err_show('SELECT count(*) FROM symbl_err_t');
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=err_trunc&format=text"
\set u :emu '/_x/tag=err_reset,reset=1'
ALTER SERVER symbl_err OPTIONS (SET base_url :'u');
SELECT symbl_err_show('SELECT count(*) FROM symbl_err_t');
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=err_reset&format=text"

-- ==== an answer larger than max_response_mb: stopped, not retried
\set u :emu '/_x/tag=err_huge,body=huge'
ALTER SERVER symbl_err OPTIONS (SET base_url :'u', ADD max_response_mb '1');
SELECT count(*) FROM symbl_err_t;
\echo :LAST_ERROR_SQLSTATE
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=err_huge&format=text"
ALTER SERVER symbl_err OPTIONS (DROP max_response_mb);

-- ==== a redirect is not followed
\set u :emu '/_x/tag=err_redir,redirect=http%3A%2F%2F127.0.0.1%3A1%2Fv1%2Fconversations'
ALTER SERVER symbl_err OPTIONS (SET base_url :'u');
SELECT count(*) FROM symbl_err_t;
\echo :LAST_ERROR_SQLSTATE
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=err_redir&format=text"

-- ==== an error inside a subtransaction leaves the transaction usable
BEGIN;
SAVEPOINT s1;
SELECT count(*) FROM symbl_err_t;
ROLLBACK TO SAVEPOINT s1;
SELECT count(*) FROM symbl_err_ok_t;
COMMIT;

-- ==== and at the end, the session still works
SELECT count(*) FROM symbl_err_ok_t;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=err_ok&format=text"

SET client_min_messages = warning;
DROP FUNCTION symbl_err_show(text);
DROP SERVER symbl_err_ok, symbl_err, symbl_err_404 CASCADE;
RESET client_min_messages;
