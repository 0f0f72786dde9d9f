-- Splitting scripts into statements with PostgreSQL's own parser.

-- dollar quotes, DO blocks, comments, empty statements, strings with ';'
SELECT statement, line, command, top_level_only, sql
  FROM migrate.statements($script$
-- a leading comment
CREATE TABLE t (id int, note text DEFAULT 'a;b');;
/* a block /* nested */ comment; */ INSERT INTO t VALUES (1, E'x\';y');
CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  RETURN 1; -- a semicolon inside the body
END
$$;
DO $do$ BEGIN PERFORM 1; END $do$;
;
SELECT 'last statement, no semicolon'
$script$);

-- SQL-standard function bodies (BEGIN ATOMIC) hold semicolons too
SELECT statement, line, command
  FROM migrate.statements($$
CREATE FUNCTION g(a int) RETURNS int LANGUAGE sql
BEGIN ATOMIC
  SELECT a + 1;
  SELECT a + 2;
END;
CREATE FUNCTION h(a int) RETURNS int LANGUAGE sql RETURN a * 2;
$$);

-- an empty or comment-only script has no statements
SELECT count(*) FROM migrate.statements('');
SELECT count(*) FROM migrate.statements(E'-- nothing here\n/* at all */\n');

-- statements PostgreSQL cannot run inside a transaction block
SELECT statement, command, top_level_only
  FROM migrate.statements($$
CREATE INDEX CONCURRENTLY i1 ON t (id);
CREATE INDEX i2 ON t (id);
DROP INDEX CONCURRENTLY i1;
DROP INDEX i2;
REINDEX (CONCURRENTLY) INDEX i1;
REINDEX INDEX CONCURRENTLY i1;
REINDEX TABLE t;
REINDEX SCHEMA public;
REINDEX DATABASE regression;
VACUUM t;
VACUUM (ANALYZE) t;
ANALYZE t;
CLUSTER;
CLUSTER t USING i1;
ALTER SYSTEM SET work_mem = '8MB';
CREATE DATABASE d;
DROP DATABASE d;
ALTER DATABASE d SET TABLESPACE pg_default;
ALTER DATABASE d SET work_mem = '8MB';
CREATE TABLESPACE ts LOCATION '/nowhere';
DROP TABLESPACE ts;
ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY;
ALTER TABLE p DETACH PARTITION p1;
DISCARD ALL;
DISCARD PLANS;
CREATE SUBSCRIPTION s CONNECTION 'dbname=x' PUBLICATION p;
CREATE SUBSCRIPTION s CONNECTION 'dbname=x' PUBLICATION p WITH (connect = false);
ALTER SUBSCRIPTION s REFRESH PUBLICATION;
ALTER SUBSCRIPTION s SET PUBLICATION p WITH (refresh = false);
DROP SUBSCRIPTION s;
$$);

-- syntax errors name the line
SELECT * FROM migrate.statements(E'SELECT 1;\nSELECT 2;\nSELEC 3;\n');
SELECT * FROM migrate.statements(E'CREATE TABLE x (\n  id int,\n');
-- psql meta-commands and variables are not SQL
SELECT * FROM migrate.statements(E'SELECT 1;\n\\i other.sql\n');
SELECT * FROM migrate.statements(E'\\set ON_ERROR_STOP on\nSELECT 1;');
SELECT * FROM migrate.statements(E'SELECT 1;\nCREATE TABLE :"name" (id int);');
SELECT * FROM migrate.statements(E'SELECT 1\n\\gset\n');
-- transaction control and COPY from the client never work in a migration
SELECT * FROM migrate.statements(E'BEGIN;\nCREATE TABLE y (id int);\nCOMMIT;');
SELECT * FROM migrate.statements(E'CREATE TABLE y (id int);\nSAVEPOINT a;');
SELECT * FROM migrate.statements(E'COPY t FROM STDIN;');
SELECT * FROM migrate.statements(E'COPY t TO STDOUT;');
-- COPY from a server file is a statement like any other
SELECT command FROM migrate.statements(E'COPY t FROM \'/tmp/t.csv\';');
SELECT * FROM migrate.statements(NULL);

-- multibyte text before an error still gives the right line
SELECT * FROM migrate.statements(E'SELECT \'ünïcödé\';\nSELECT \'日本\';\nSELECT FROM FROM;');

-- Large scripts (from 128 kB) are parsed 64 kB at a time, so that the
-- parse trees of a whole data migration are never in memory at once.
-- The statements and the errors are those of one parse of the whole:
-- 20,000 statements, rebuilt exactly from what statements() returns
CREATE TEMP TABLE big AS
  SELECT string_agg(format('INSERT INTO t VALUES (%s, ''row %s; with a semicolon'');', g, g), E'\n') AS script
    FROM generate_series(1, 20000) g;
SELECT count(*), max(line), max(statement),
       string_agg(sql || ';', E'\n' ORDER BY statement) = (SELECT script FROM big) AS same_text
  FROM migrate.statements((SELECT script FROM big));
-- a BEGIN ATOMIC body (with CASE ... END inside) and a rule with a list of
-- actions in parentheses, each longer than a chunk, are one statement
-- each, wherever the chunks fall
CREATE TEMP TABLE parts AS SELECT
  (SELECT string_agg(format('SELECT %s;', g), E'\n') FROM generate_series(1, 9000) g) AS head,
  'CREATE FUNCTION f() RETURNS int LANGUAGE sql' || E'\nBEGIN ATOMIC\n' ||
  (SELECT string_agg(format('  SELECT CASE WHEN %s > 0 THEN 1 ELSE 0 END;', g), E'\n') FROM generate_series(1, 4000) g) ||
  E'\nEND;' AS atomic,
  E'CREATE RULE r AS ON INSERT TO t DO ALSO (\n' ||
  (SELECT string_agg(format('  INSERT INTO u VALUES (%s);', g), E'\n') FROM generate_series(1, 4000) g) ||
  E'\n);' AS rule;
SELECT statement, line, command, length(sql)
  FROM migrate.statements((SELECT head || E'\n' || atomic || E'\n' || head || E'\n' || rule || E'\n' || head FROM parts))
 WHERE command <> 'SELECT';
-- errors deep in a large script name the same line as in a small one:
-- a syntax error, an unterminated quote, a psql meta-command
SELECT * FROM migrate.statements((SELECT script || E'\nSELEC 1;\n' || script FROM big));
SELECT * FROM migrate.statements((SELECT script || E'\nSELECT $x$ never closed;\nSELECT 1;' FROM big));
SELECT * FROM migrate.statements((SELECT script || E'\n\\i other.sql\n' || script FROM big));
-- and the parser's warnings come once, as from one parse
SET standard_conforming_strings = off;
SET escape_string_warning = on;
SELECT count(*) FROM migrate.statements((SELECT script || E'\nSELECT \'a\\\\b\';\n' || script FROM big));
RESET standard_conforming_strings;
RESET escape_string_warning;
DROP TABLE big, parts;
