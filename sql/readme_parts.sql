--
-- readme_parts: every query of README.md's "Conversation parts", as printed
-- there, against the emulator's deterministic data (its dataset ends on
-- 2026-01-15, so "last week" is 2026-01-08 to 2026-01-15), with the small
-- local CRM the README assumes.  The rows are the assertion; the emulator's
-- log shows the requests (sorted: several are in flight at once).
--
-- the README shows no statement that is not below
\! python3 test/readme_queries.py README.md "Conversation parts" sql/readme_parts.sql
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET extra_float_digits = 0;
\set emu `echo "$SYMBL_EMULATOR_URL"`
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=readme" > /dev/null
\set ureadme :emu '/_x/tag=readme'
CREATE SERVER symbl FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url :'ureadme');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE SCHEMA symbl;
IMPORT FOREIGN SCHEMA symbl FROM SERVER symbl INTO symbl;

-- the local CRM of the README's examples
CREATE SCHEMA crm;
CREATE TABLE crm.accounts (customer_id text PRIMARY KEY, account text, tier text);
INSERT INTO crm.accounts
  SELECT 'cust-' || lpad(n::text, 3, '0'), 'Account ' || n,
         CASE WHEN n IN (1, 7, 9, 33) THEN 'enterprise' ELSE 'smb' END
  FROM generate_series(1, 50) n;
UPDATE crm.accounts SET account = 'Acme Corp' WHERE customer_id = 'cust-001';
UPDATE crm.accounts SET account = 'Wayne Enterprises' WHERE customer_id = 'cust-007';
UPDATE crm.accounts SET account = 'Hooli' WHERE customer_id = 'cust-009';
UPDATE crm.accounts SET account = 'Initech' WHERE customer_id = 'cust-033';
CREATE TABLE crm.reps (email text PRIMARY KEY, rep text, team text);
INSERT INTO crm.reps VALUES
  ('john@example.com', 'John', 'East'),
  ('mary@example.com', 'Mary', 'West'),
  ('bob@example.com', 'Bob', 'East');
ANALYZE crm.accounts, crm.reps;

-- which conversations: without ids, a clear error
SELECT * FROM symbl.action_items;

-- messages: one conversation's transcript
SELECT start_time, from_name, text
  FROM symbl.messages
 WHERE conversation_id = '1544659753010544'
 ORDER BY time_offset;

-- messages: the most negative things said yesterday
SELECT c.name, m.from_name, m.text,
       (m.sentiment->'polarity'->>'score')::float8 AS polarity
  FROM symbl.conversations c
  JOIN symbl.messages m ON m.conversation_id = c.id
 WHERE c.start_time >= '2026-01-14' AND c.start_time < '2026-01-15'
   AND (m.sentiment->'polarity'->>'score')::float8 < -0.9
 ORDER BY polarity, c.id, m.id;

-- members: who from enterprise accounts was on last week's conversations
SELECT a.account, m.name, m.email, count(*) AS conversations
  FROM crm.accounts a
  JOIN symbl.conversations c ON c.metadata->>'customerId' = a.customer_id
  JOIN symbl.members m ON m.conversation_id = c.id
 WHERE a.tier = 'enterprise'
   AND c.start_time >= '2026-01-08' AND c.start_time < '2026-01-15'
 GROUP BY a.account, m.name, m.email
 ORDER BY a.account, m.name, m.email;

-- topics: what last week's conversations were negative about
SELECT t.text AS topic, count(*) AS conversations,
       round(avg((t.sentiment->'polarity'->>'score')::numeric), 2) AS polarity
  FROM symbl.topics t
 WHERE t.conversation_id = ANY (ARRAY(
         SELECT id FROM symbl.conversations
          WHERE start_time >= '2026-01-08' AND start_time < '2026-01-15'))
   AND t.sentiment->>'suggested' = 'negative'
 GROUP BY t.text
 ORDER BY conversations DESC, topic;

-- questions: every question enterprise customers asked about pricing last week
SELECT a.account, c.name AS conversation, q.from_name, q.text
  FROM crm.accounts a
  JOIN symbl.conversations c ON c.metadata->>'customerId' = a.customer_id
  JOIN symbl.questions q ON q.conversation_id = c.id
 WHERE a.tier = 'enterprise'
   AND c.start_time >= '2026-01-08' AND c.start_time < '2026-01-15'
   AND q.text ILIKE '%pricing%'
   AND NOT EXISTS (SELECT 1 FROM crm.reps r WHERE r.email = q.from_user_id)
 ORDER BY a.account, c.start_time, c.id, q.id;

-- action_items: open action items from last week's calls with enterprise accounts
SELECT a.account, c.name AS conversation, i.text, i.assignee_name, i.due_by
  FROM crm.accounts a
  JOIN symbl.conversations c ON c.metadata->>'customerId' = a.customer_id
  JOIN symbl.action_items i ON i.conversation_id = c.id
 WHERE a.tier = 'enterprise'
   AND c.start_time >= '2026-01-08' AND c.start_time < '2026-01-15'
   AND (i.due_by IS NULL OR i.due_by >= '2026-01-15')
 ORDER BY a.account, c.start_time, c.id, i.id;

-- follow_ups: who owes a follow-up, and how many are due within a week
SELECT coalesce(f.assignee_name, '(nobody)') AS assignee, count(*) AS follow_ups,
       count(*) FILTER (WHERE f.due_by < '2026-01-22') AS due_within_a_week
  FROM symbl.follow_ups f
 WHERE f.conversation_id = ANY (ARRAY(
         SELECT id FROM symbl.conversations
          WHERE start_time >= '2026-01-08' AND start_time < '2026-01-15'))
 GROUP BY 1
 ORDER BY follow_ups DESC, assignee;

-- analytics: last week's conversations where people talked over each other most
SELECT c.name, a.percent AS overlap_percent, a.seconds AS overlap_seconds
  FROM symbl.conversations c
  JOIN symbl.analytics a ON a.conversation_id = c.id
 WHERE c.start_time >= '2026-01-08' AND c.start_time < '2026-01-15'
   AND a.metric = 'total_overlap'
 ORDER BY a.percent DESC, c.id
 LIMIT 5;

-- member_analytics: talk time per agent last week
SELECT r.rep, count(DISTINCT m.conversation_id) AS conversations,
       round(sum(m.talk_seconds)::numeric / 60, 1) AS talk_minutes,
       round(avg(m.talk_percent)::numeric, 1) AS avg_talk_percent,
       round(avg(m.wpm)::numeric) AS avg_wpm
  FROM crm.reps r
  JOIN symbl.member_analytics m ON m.user_id = r.email
 WHERE m.conversation_id = ANY (ARRAY(
         SELECT id FROM symbl.conversations
          WHERE start_time >= '2026-01-08' AND start_time < '2026-01-15'))
 GROUP BY r.rep
 ORDER BY talk_minutes DESC;

-- trackers: which trackers fired last week, in how many conversations
SELECT t.name AS tracker, count(DISTINCT t.conversation_id) AS conversations
  FROM symbl.trackers t
 WHERE t.conversation_id = ANY (ARRAY(
         SELECT id FROM symbl.conversations
          WHERE start_time >= '2026-01-08' AND start_time < '2026-01-15'))
 GROUP BY t.name
 ORDER BY conversations DESC, tracker;

-- summaries: yesterday's conversations, summed up (or not yet)
SELECT c.start_time, c.name,
       coalesce(string_agg(s.text, ' ' ORDER BY s.id), '(no summary yet)') AS summary
  FROM symbl.conversations c
  LEFT JOIN symbl.summaries s ON s.conversation_id = c.id
 WHERE c.start_time >= '2026-01-14' AND c.start_time < '2026-01-15'
 GROUP BY c.start_time, c.id, c.name
 ORDER BY c.start_time, c.id;

-- entities: the organizations last week's conversations mentioned most
SELECT e.value AS organization, count(DISTINCT e.conversation_id) AS conversations
  FROM symbl.entities e
 WHERE e.conversation_id = ANY (ARRAY(
         SELECT id FROM symbl.conversations
          WHERE start_time >= '2026-01-08' AND start_time < '2026-01-15'))
   AND e.type = 'organization'
 GROUP BY e.value
 ORDER BY conversations DESC, organization
 LIMIT 5;

-- the field option: a table of your own with dotted paths
CREATE FOREIGN TABLE symbl.transcript (
  conversation_id text,
  speaker text OPTIONS (field 'from.name'),
  said text OPTIONS (field 'text'),
  polarity float8 OPTIONS (field 'sentiment.polarity.score')
) SERVER symbl OPTIONS (resource 'messages');
SELECT speaker, said, polarity
  FROM symbl.transcript
 WHERE conversation_id = '1544659753010544' AND polarity < 0
 ORDER BY polarity;

-- what was sent: optional parameters only where a column read needs them,
-- never refresh; summaries not ready yet were 404s (no rows, no error)
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=readme&format=text" | sed -E 's/\/v1\/conversations\/[^/?]+\//\/v1\/conversations\/{id}\//; s/ items=[0-9]+//' | grep -v '^GET /v1/conversations?' | sort | uniq -c
\! curl -s "$SYMBL_EMULATOR_URL/_control/violations?tag=readme"; echo

SET client_min_messages = warning;
DROP SCHEMA symbl CASCADE;
DROP USER MAPPING FOR CURRENT_USER SERVER symbl;
DROP SERVER symbl;
DROP SCHEMA crm CASCADE;
