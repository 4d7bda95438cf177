--
-- writes_random: random UPDATE and DELETE statements (joins to a local CRM
-- table, RETURNING, transactions with savepoints, injected 500s and 429s,
-- 1 to 6 writes in flight, pages of 7 to 1000 rows) on the conversations
-- and members tables and on local copies of the emulator's dataset and of
-- its members (test/writes_random.py, seeded; any difference is printed).
--
\setenv PGDATABASE :DBNAME
\! python3 test/writes_random.py --seed 1
\! python3 test/writes_random.py --seed 2
