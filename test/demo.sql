-- symbl_fdw demo: Symbl conversations as a table, joined with a CRM table.
\pset pager off
\set ECHO queries
SET timezone = 'UTC';

CREATE EXTENSION symbl_fdw;
CREATE SERVER symbl FOREIGN DATA WRAPPER symbl_fdw
  OPTIONS (base_url :'emu');                -- the real API: 'https://api.symbl.ai'
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE SCHEMA symbl;
IMPORT FOREIGN SCHEMA symbl FROM SERVER symbl INTO symbl;

-- The design card's query: the last three days.
SELECT id, type, left(name, 40) AS name, start_time, end_time,
       jsonb_array_length(members) AS members, metadata->>'customerId' AS customer
FROM symbl.conversations
WHERE start_time > now() - interval '3 days'
ORDER BY start_time DESC
LIMIT 15;

-- What was sent for it.
EXPLAIN (VERBOSE, COSTS OFF)
SELECT * FROM symbl.conversations WHERE start_time > now() - interval '3 days';

-- All of history is there (no silent 7-day window).
SELECT count(*) AS conversations, min(start_time)::date AS first, max(start_time)::date AS last
FROM symbl.conversations;

-- A small local CRM table, joined on metadata->>'customerId'.
CREATE TABLE crm_accounts (customer_id text PRIMARY KEY, account text, tier text);
INSERT INTO crm_accounts VALUES
  ('cust-007', 'Acme Corp', 'enterprise'),
  ('cust-013', 'Globex', 'enterprise'),
  ('cust-021', 'Initech', 'smb'),
  ('cust-042', 'Umbrella', 'enterprise');
ANALYZE crm_accounts;

SELECT a.account, a.tier, count(*) AS conversations,
       max(c.start_time) AS latest
FROM crm_accounts a
JOIN symbl.conversations c ON c.metadata->>'customerId' = a.customer_id
WHERE a.tier = 'enterprise'
GROUP BY a.account, a.tier
ORDER BY a.account;

-- One filtered request per enterprise account, not a download of the account.
EXPLAIN (VERBOSE, COSTS OFF)
SELECT a.account, c.id
FROM crm_accounts a
JOIN symbl.conversations c ON c.metadata->>'customerId' = a.customer_id
WHERE a.tier = 'enterprise';

-- LIMIT 10 is one request for ten rows.
EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT id, name FROM symbl.conversations ORDER BY start_time DESC LIMIT 10;
