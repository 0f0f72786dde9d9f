-- Recording DDL never changes what a user's statement does or what the
-- user can observe: the server does not crash when another event trigger
-- reports something, lastval() stays the user's, a statement's notices
-- appear once, and errors are the statement's own.  Each case is run in
-- a fresh session (\c), where migrate's library is loaded only by the
-- first event trigger that fires.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
CREATE SCHEMA t25;
SET search_path = t25, public;

-- another extension's (or a DBA's) event trigger that reports on every
-- DDL command
CREATE FUNCTION t25.report_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'reported: %', tg_tag;
END
$$;
CREATE EVENT TRIGGER t25_report ON ddl_command_end
    EXECUTE FUNCTION t25.report_ddl();

-- DDL from a DO block as the first DDL of a session: the other trigger's
-- NOTICE must not find a dangling error context (this crashed the
-- server)
\c
SET search_path = t25, public;
DO $$BEGIN CREATE TABLE t25.from_do (a int); END$$;
DO $$BEGIN EXECUTE 'CREATE TABLE t25.from_do_execute (a int)'; END$$;
SELECT 1 AS still_connected;
SELECT statement FROM migrate.ddl_log
 WHERE object_identity LIKE 't25.from_do%' ORDER BY id;
DROP EVENT TRIGGER t25_report;

-- lastval() is the user's last nextval(), before and after DDL, in a
-- fresh session and in one that has recorded DDL already
\c
SET search_path = t25, public;
CREATE SEQUENCE t25.user_seq START 42;
SELECT nextval('t25.user_seq');
CREATE TABLE t25.after_nextval (a int);
SELECT lastval();
ALTER TABLE t25.after_nextval ADD COLUMN b int;
SELECT lastval();
-- a role that may not read migrate's sequences
CREATE ROLE regress_t25_app;
GRANT ALL ON SCHEMA t25 TO regress_t25_app;
\c
SET search_path = t25, public;
SET ROLE regress_t25_app;
CREATE SEQUENCE t25.app_seq START 7;
SELECT nextval('t25.app_seq');
CREATE TABLE t25.app_table (a int);
SELECT lastval();
-- lastval() is undefined before any nextval(), DDL or not
\c
SET search_path = t25, public;
CREATE TABLE t25.no_nextval (a int);
\set VERBOSITY terse
SELECT lastval();
\set VERBOSITY default

-- a statement's own notices appear once: parse analysis of a %TYPE
-- argument reports the conversion, and recording the statement (its
-- previous definition, for CREATE OR REPLACE) must not report it again
\c
SET search_path = t25, public;
CREATE TABLE t25.typed (a int);
CREATE FUNCTION t25.takes_type(x t25.typed.a%TYPE) RETURNS int
    LANGUAGE sql AS 'SELECT x';
CREATE OR REPLACE FUNCTION t25.takes_type(x t25.typed.a%TYPE) RETURNS int
    LANGUAGE sql AS 'SELECT x + 1';
DROP FUNCTION t25.takes_type(t25.typed.a%TYPE);

-- recording leaves no lock on migrate's relations for pg_locks to list:
-- the log's row is appended as a catalog row is, releasing the table's
-- lock at once, and its number is taken without holding the sequence
BEGIN;
CREATE TABLE t25.locks_probe (a int);
SELECT l.relation::regclass AS relation, l.mode
  FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
 WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation'
   AND c.relnamespace = 'migrate'::regnamespace
 ORDER BY 1, 2;
COMMIT;

-- a failing statement's error is its own, with nothing of migrate's
CREATE TABLE t25.typed (a int);
ALTER TABLE t25.typed ADD COLUMN a int;

RESET ROLE;
DROP SCHEMA t25 CASCADE;
DROP ROLE regress_t25_app;
