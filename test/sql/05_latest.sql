-- Applying migrations with migrate.latest(): order, batches, errors that
-- name the failing statement, dry runs, out-of-order versions.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE SCHEMA t05;
SET search_path = t05;

-- registered out of order; applied in natural version order
SELECT migrate.add('10', 'CREATE TABLE ten (id int)', 'DROP TABLE ten', name => 'ten');
SELECT migrate.add('2', 'CREATE TABLE two (id int)', 'DROP TABLE two', name => 'two');
SELECT migrate.add('1', $up$
-- a function with a dollar-quoted body, a DO block and an empty statement
CREATE FUNCTION one() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  RETURN 1;
END
$$;;
DO $$ BEGIN PERFORM one(); END $$;
CREATE TABLE one (id int DEFAULT one())
$up$, 'DROP TABLE one; DROP FUNCTION one()', name => 'one');

SELECT migrate.current_version();
SELECT version, name, state, batch, reversible FROM migrate.status;

SELECT version, name, statements, duration >= '0' AS timed FROM migrate.latest();
SELECT version, name, state, batch, applied_by = current_user AS by_me,
       applied_at IS NOT NULL AS has_time, duration >= '0' AS timed
  FROM migrate.status;
SELECT migrate.current_version();
SELECT one();

-- nothing pending: an empty batch
SELECT * FROM migrate.latest();

-- a NOTICE per migration (its DETAIL has the duration); while a migration
-- runs, pg_stat_activity shows it, and afterwards the client's query again
SET client_min_messages = notice;
\set VERBOSITY terse
SELECT migrate.add('10.5', 'CREATE TABLE ten_and_a_half (id int)', 'DROP TABLE ten_and_a_half',
                   name => 'ten and a half');
SELECT (SELECT string_agg(version, ',') FROM migrate.latest()) AS applied,
       (SELECT query FROM pg_stat_activity WHERE pid = pg_backend_pid()) AS activity;
SELECT version FROM migrate.down();
SELECT migrate.remove('10.5');
\set VERBOSITY default
SET client_min_messages = warning;

-- the next call is the next batch
SELECT migrate.add('11', 'CREATE TABLE eleven (id int)', 'DROP TABLE eleven');
SELECT migrate.add('12', 'CREATE TABLE twelve (id int)', 'DROP TABLE twelve');
SELECT version, statements FROM migrate.latest();
SELECT version, batch FROM migrate.status;

-- the history records every apply with its text
SELECT id, version, action, batch, statements, role = current_user AS by_me,
       CASE action WHEN 'apply' THEN checksum = migrate.checksum(up, down) END AS checksum_ok
  FROM migrate.history ORDER BY id;

-- a pending version lower than an applied one is applied, with a warning
SELECT migrate.add('3', 'CREATE TABLE three (id int)', 'DROP TABLE three');
SELECT version FROM migrate.latest();
SELECT version, batch FROM migrate.status WHERE version = '3';

-- a failing statement: one error with the original SQLSTATE, naming the
-- migration, the statement, its line and its first line
SELECT migrate.add('13', 'CREATE TABLE thirteen (id int)', 'DROP TABLE thirteen');
SELECT migrate.add('14', $$CREATE TABLE fourteen (id int);
INSERT INTO fourteen VALUES (1);

INSERT INTO fourteen
  VALUES ('not a number');
CREATE TABLE never (id int);$$, 'DROP TABLE fourteen');
\set VERBOSITY default
\set SHOW_CONTEXT always
SELECT * FROM migrate.latest();
\echo :LAST_ERROR_SQLSTATE
-- errors raised inside a function the migration calls keep their context too
\set VERBOSITY terse
SELECT migrate.add('14', $$CREATE TABLE fourteen (id int);
DO $do$
BEGIN
  RAISE EXCEPTION 'custom failure' USING ERRCODE = 'P0042', HINT = 'from the migration';
END
$do$;$$, 'DROP TABLE fourteen');
\set VERBOSITY default
SELECT * FROM migrate.latest();
\echo :LAST_ERROR_SQLSTATE
-- a missing relation in the first statement of a named migration
\set VERBOSITY terse
SELECT migrate.add('14', 'ALTER TABLE missing ADD COLUMN x int', name => 'alter missing');
\set VERBOSITY default
SELECT * FROM migrate.latest();
\echo :LAST_ERROR_SQLSTATE
\set SHOW_CONTEXT errors
\set VERBOSITY terse

-- the whole call was rolled back: 13 is not applied either, and no table
-- of 13 or 14 exists; the bookkeeping did not change
SELECT version, state, batch FROM migrate.status WHERE version IN ('13', '14');
SELECT count(*) FROM pg_class WHERE relname IN ('thirteen', 'fourteen', 'never');
SELECT count(*) AS history_rows FROM migrate.history;

-- caught by an exception block, the call leaves nothing behind and the
-- caller's transaction goes on
DO $$
BEGIN
  PERFORM migrate.latest();
EXCEPTION WHEN undefined_table THEN
  RAISE WARNING 'caught: %', SQLERRM;
END
$$;
SELECT version, state FROM migrate.status WHERE version IN ('13', '14');

-- a dry run runs everything, reports it, and rolls it all back
SELECT migrate.add('14', 'CREATE TABLE fourteen (id int)', 'DROP TABLE fourteen');
SELECT version, statements FROM migrate.latest(dry_run => true);
SELECT version, state FROM migrate.status WHERE version IN ('13', '14');
SELECT count(*) FROM pg_class WHERE relname IN ('thirteen', 'fourteen');
-- a dry run shows a failure as a real run would
SELECT migrate.add('15', 'SELECT 1/0');
SELECT version FROM migrate.latest(dry_run => true);
SELECT migrate.remove('15');

-- latest() will not run a non-transactional migration, and says what will
SELECT migrate.add('16', 'CREATE INDEX CONCURRENTLY ten_id ON ten (id)',
                   transactional => false);
\set VERBOSITY default
SELECT version FROM migrate.latest();
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
SELECT version, state FROM migrate.status WHERE version IN ('13', '14', '16');
SELECT migrate.remove('16');

-- settings behave as in psql -1 -f: a SET in a migration lasts for the
-- session, a SET LOCAL until the end of the transaction
SET work_mem = '1MB';
BEGIN;
SELECT migrate.add('17', $$SET work_mem = '2MB';
SET LOCAL statement_timeout = '1min';
CREATE TABLE seventeen AS SELECT current_setting('work_mem') AS work_mem$$,
                   'DROP TABLE seventeen');
SELECT migrate.add('18', $$CREATE TABLE eighteen AS
  SELECT current_setting('work_mem') AS work_mem, current_setting('statement_timeout') AS timeout$$,
                   'DROP TABLE eighteen');
SELECT version FROM migrate.latest();
SELECT * FROM seventeen;
SELECT * FROM eighteen;
SHOW work_mem;
SHOW statement_timeout;
COMMIT;
SHOW work_mem;
SHOW statement_timeout;
RESET work_mem;

-- migrations run with the caller's search_path
CREATE SCHEMA app;
SET search_path = app, t05;
SELECT migrate.add('19', 'CREATE TABLE in_app (id int)', 'DROP TABLE in_app');
SELECT version FROM migrate.latest();
SET search_path = t05;
SELECT relnamespace::regnamespace FROM pg_class WHERE relname = 'in_app';

-- a migration cannot call migrate to change state
SELECT migrate.add('20', $$SELECT migrate.add('21', 'SELECT 1')$$);
SELECT version FROM migrate.latest();
SELECT migrate.remove('20');

-- the whole history applies again from scratch, and status is in order
SET search_path = app, t05;
SELECT count(*) FROM migrate.rollback(target => 'zero');
SELECT count(*) FROM pg_class WHERE relname IN ('one', 'two', 'ten', 'in_app');
SELECT count(*) FROM migrate.latest();
SET search_path = t05;
SELECT version, state FROM migrate.status;

RESET search_path;
DROP SCHEMA t05, app CASCADE;
