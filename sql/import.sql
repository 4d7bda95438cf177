--
-- import: IMPORT FOREIGN SCHEMA symbl
--
\set emu `echo "$SYMBL_EMULATOR_URL"`
\! curl -s -X POST "$SYMBL_EMULATOR_URL/_control/reset?tag=import" > /dev/null
\set uimp :emu '/_x/tag=import'
CREATE SERVER symbl_imp_srv FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url :'uimp', max_concurrent_requests '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER symbl_imp_srv
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');

CREATE SCHEMA symbl_imp;
IMPORT FOREIGN SCHEMA symbl FROM SERVER symbl_imp_srv INTO symbl_imp;
\det+ symbl_imp.*
\d symbl_imp.conversations
-- the imported table works as it is
SELECT count(*), count(DISTINCT id), min(start_time) < max(start_time) AS ordered
  FROM symbl_imp.conversations;
SELECT id, type, name, members, metadata FROM symbl_imp.conversations
 WHERE id = '9990000000000001';

-- importing again into the same schema collides with the existing table
IMPORT FOREIGN SCHEMA symbl FROM SERVER symbl_imp_srv INTO symbl_imp;

-- remote schemas other than "symbl" do not exist (the name is case-sensitive)
CREATE SCHEMA symbl_imp_bad;
IMPORT FOREIGN SCHEMA public FROM SERVER symbl_imp_srv INTO symbl_imp_bad;
IMPORT FOREIGN SCHEMA "Symbl" FROM SERVER symbl_imp_srv INTO symbl_imp_bad;
IMPORT FOREIGN SCHEMA conversations FROM SERVER symbl_imp_srv INTO symbl_imp_bad;
\det symbl_imp_bad.*

-- LIMIT TO and EXCEPT
CREATE SCHEMA symbl_imp_limit;
IMPORT FOREIGN SCHEMA symbl LIMIT TO (conversations)
  FROM SERVER symbl_imp_srv INTO symbl_imp_limit;
\det symbl_imp_limit.*
CREATE SCHEMA symbl_imp_limit_other;
IMPORT FOREIGN SCHEMA symbl LIMIT TO (messages, topics)
  FROM SERVER symbl_imp_srv INTO symbl_imp_limit_other;
\det symbl_imp_limit_other.*
CREATE SCHEMA symbl_imp_except;
IMPORT FOREIGN SCHEMA symbl EXCEPT (conversations)
  FROM SERVER symbl_imp_srv INTO symbl_imp_except;
\det symbl_imp_except.*
CREATE SCHEMA symbl_imp_except_other;
IMPORT FOREIGN SCHEMA symbl EXCEPT (messages)
  FROM SERVER symbl_imp_srv INTO symbl_imp_except_other;
\det symbl_imp_except_other.*

-- an imported table is bound to its server; a quoted server name works too
CREATE SERVER "Symbl Imp Quoted" FOREIGN DATA WRAPPER symbl_fdw OPTIONS (base_url :'uimp', max_concurrent_requests '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER "Symbl Imp Quoted"
  OPTIONS (app_id 'demo-app-id', app_secret 'demo-app-secret');
CREATE SCHEMA symbl_imp_quoted;
IMPORT FOREIGN SCHEMA symbl FROM SERVER "Symbl Imp Quoted" INTO symbl_imp_quoted;
\det symbl_imp_quoted.*
SELECT count(*) FROM symbl_imp_quoted.conversations WHERE name IS NULL;

-- importing is local: only the two scans above reached the API
\! curl -s "$SYMBL_EMULATOR_URL/_control/log?tag=import&format=text"

SET client_min_messages = warning;
DROP SCHEMA symbl_imp, symbl_imp_bad, symbl_imp_limit, symbl_imp_limit_other,
  symbl_imp_except, symbl_imp_except_other, symbl_imp_quoted CASCADE;
DROP SERVER symbl_imp_srv, "Symbl Imp Quoted" CASCADE;
RESET client_min_messages;
