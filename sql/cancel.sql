--
-- cancel: statement_timeout, request_timeout_ms, pg_cancel_backend and
-- back-off sleeps all end a query promptly, and the session goes on.
--
\set emu `echo "$SYMBL_EMULATOR_URL"`
\! for t in cancel_ok cancel_hang cancel_rto cancel_user cancel_429 cancel_tok cancel_slow; do curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=$t" > /dev/null; done
\set uok :emu '/_x/tag=cancel_ok'
CREATE SERVER symbl_cancel_ok FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url :'uok', max_concurrent_requests '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_cancel_ok
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE symbl_cancel_ok_t (id text) SERVER symbl_cancel_ok;
SELECT count(*) FROM symbl_cancel_ok_t;

-- one server whose base_url each case points at its fault
CREATE SERVER symbl_cancel FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'uok', max_concurrent_requests '1', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_cancel
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE FOREIGN TABLE symbl_cancel_t (id text) SERVER symbl_cancel;

-- a timeout's detail carries libcurl's text, with timings that vary: this
-- shows the error with the numbers masked
CREATE FUNCTION symbl_cancel_show(query text) RETURNS SETOF text
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

-- ==== statement_timeout while the API does not answer
\set u :emu '/_x/tag=cancel_hang,hang=1'
ALTER SERVER symbl_cancel OPTIONS (SET base_url :'u');
SELECT clock_timestamp() AS t0 \gset
SET statement_timeout = '1s';
SELECT count(*) FROM symbl_cancel_t;
RESET statement_timeout;
\echo :LAST_ERROR_SQLSTATE
SELECT clock_timestamp() - :'t0' < interval '5 s' AS prompt;
-- the abandoned request was closed (the emulator saw the client go)
SELECT pg_sleep(0.5);
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=cancel_hang&format=text"
SELECT count(*) FROM symbl_cancel_ok_t;

-- ==== request_timeout_ms
\set u :emu '/_x/tag=cancel_rto,hang=1'
ALTER SERVER symbl_cancel OPTIONS (SET base_url :'u', ADD request_timeout_ms '500');
SELECT clock_timestamp() AS t0 \gset
SELECT symbl_cancel_show('SELECT count(*) FROM symbl_cancel_t');
SELECT clock_timestamp() - :'t0' < interval '5 s' AS prompt;
ALTER SERVER symbl_cancel OPTIONS (DROP request_timeout_ms);
SELECT pg_sleep(0.5);
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=cancel_rto&format=text"

-- ==== pg_cancel_backend from another session
\set u :emu '/_x/tag=cancel_user,hang=1'
ALTER SERVER symbl_cancel OPTIONS (SET base_url :'u');
SELECT clock_timestamp() AS t0 \gset
\! (for i in $(seq 1 50); do sleep 0.2; n=$(psql -X -A -t -q -d postgres -c "SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE query LIKE '%cancel_marker%' AND state = 'active' AND pid <> pg_backend_pid()"); [ "$n" = 1 ] && break; done) > /dev/null 2>&1 &
SELECT /* cancel_marker */ count(*) FROM symbl_cancel_t;
\echo :LAST_ERROR_SQLSTATE
SELECT clock_timestamp() - :'t0' < interval '5 s' AS prompt;
SELECT pg_sleep(0.5);
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=cancel_user&format=text"
SELECT count(*) FROM symbl_cancel_ok_t;

-- ==== a long Retry-After: the back-off sleep is interrupted
\set u :emu '/_x/tag=cancel_429,status=429,retry_after=30'
ALTER SERVER symbl_cancel OPTIONS (SET base_url :'u', SET max_retries '3');
SELECT clock_timestamp() AS t0 \gset
SET statement_timeout = '1s';
SELECT count(*) FROM symbl_cancel_t;
RESET statement_timeout;
SELECT clock_timestamp() - :'t0' < interval '5 s' AS prompt;
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=cancel_429&format=text"
ALTER SERVER symbl_cancel OPTIONS (SET max_retries '0');

-- ==== the token endpoint does not answer
\set u :emu '/_x/tag=cancel_tok,hang=1,on=token'
ALTER SERVER symbl_cancel OPTIONS (SET base_url :'u');
SELECT clock_timestamp() AS t0 \gset
SET statement_timeout = '1s';
SELECT count(*) FROM symbl_cancel_t;
RESET statement_timeout;
SELECT clock_timestamp() - :'t0' < interval '5 s' AS prompt;
SELECT pg_sleep(0.5);
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=cancel_tok&format=text"

-- ==== a body that trickles in
\set u :emu '/_x/tag=cancel_slow,slow_bps=2000'
ALTER SERVER symbl_cancel OPTIONS (SET base_url :'u');
SELECT clock_timestamp() AS t0 \gset
SET statement_timeout = '1s';
SELECT count(*) FROM symbl_cancel_t;
RESET statement_timeout;
SELECT clock_timestamp() - :'t0' < interval '5 s' AS prompt;

-- ==== a cancel inside a transaction block: the transaction is aborted,
-- ROLLBACK brings the session back
\set u :emu '/_x/tag=cancel_hang,hang=1'
ALTER SERVER symbl_cancel OPTIONS (SET base_url :'u');
BEGIN;
SELECT count(*) FROM symbl_cancel_ok_t;
SET LOCAL statement_timeout = '1s';
SELECT count(*) FROM symbl_cancel_t;
SELECT count(*) FROM symbl_cancel_ok_t;
ROLLBACK;

-- ==== afterwards the same session works, for both servers
SELECT count(*) FROM symbl_cancel_ok_t;
ALTER SERVER symbl_cancel OPTIONS (SET base_url :'uok');
SELECT count(*), count(DISTINCT id) FROM symbl_cancel_t;

SET client_min_messages = warning;
DROP FUNCTION symbl_cancel_show(text);
DROP SERVER symbl_cancel_ok, symbl_cancel CASCADE;
RESET client_min_messages;
