/* sql/symbl_fdw--0.1.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION symbl_fdw" to load this file. \quit

CREATE FUNCTION symbl_fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION symbl_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER symbl_fdw
  HANDLER symbl_fdw_handler
  VALIDATOR symbl_fdw_validator;

COMMENT ON FOREIGN DATA WRAPPER symbl_fdw IS 'Symbl.ai conversations (GET /v1/conversations) as a foreign table';

-- How the account's API treats the filter selectors and sort fields Symbl
-- never documented (README, "What is trusted and what is rechecked")
CREATE FUNCTION symbl_probe(server name, record boolean DEFAULT false,
  OUT used_in text, OUT selector text, OUT behaviour text, OUT evidence text)
RETURNS SETOF record
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE;
