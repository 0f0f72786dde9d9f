-- Reverting: rollback() of the last batch or of everything, down() and
-- up() of single migrations, irreversible migrations, forget(), and the
-- down script recorded at apply time.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE SCHEMA t06;
SET search_path = t06;

SELECT migrate.add('1', 'CREATE TABLE a (id int)', 'DROP TABLE a');
SELECT migrate.add('2', 'CREATE TABLE b (id int)', 'DROP TABLE b');
SELECT version FROM migrate.latest();
SELECT migrate.add('3', 'CREATE TABLE c (id int)', 'DROP TABLE c');
\set VERBOSITY terse
SELECT migrate.add('4', E'CREATE TABLE d (id int);\nINSERT INTO d VALUES (1)', 'DROP TABLE d');
\set VERBOSITY default
SELECT version FROM migrate.latest();
SELECT version, state, batch FROM migrate.status;

-- rollback() reverts the last batch, newest first
SELECT version, statements FROM migrate.rollback();
SELECT version, state, batch FROM migrate.status;
SELECT to_regclass('c') IS NULL AS c_gone, to_regclass('d') IS NULL AS d_gone;
-- the history has the reverts, with the down scripts that ran
SELECT version, action, batch, down FROM migrate.history ORDER BY id;

-- the batch numbers are reused like knex's: one more than the highest applied
SELECT version FROM migrate.latest();
SELECT version, batch FROM migrate.status;

-- up() applies the next pending migration, or the named one; each call is
-- a batch of its own
SELECT version FROM migrate.rollback(target => 'zero');
SELECT version FROM migrate.up();
SELECT version FROM migrate.up('3');
SELECT version FROM migrate.up('3');
SELECT version, state, batch FROM migrate.status;
SELECT version FROM migrate.up('99');
SELECT version FROM migrate.up('not valid');

-- down() reverts the most recently applied migration, or the named one;
-- reverting one that is not the last warns
SELECT version FROM migrate.up();
SELECT version FROM migrate.down();
SELECT version FROM migrate.up();
SELECT version FROM migrate.down('1');
SELECT version, state FROM migrate.status;
SELECT version FROM migrate.down('1');
SELECT version FROM migrate.down('99');
SELECT version FROM migrate.rollback(target => 'zero');
SELECT version FROM migrate.down();
SELECT version FROM migrate.rollback();

-- rollback uses the down script recorded when the migration was applied,
-- even after the registry entry changed or was removed
SELECT version FROM migrate.latest();
UPDATE migrate.migrations SET down = 'SELECT this_would_fail()' WHERE version = '4';
DELETE FROM migrate.migrations WHERE version = '3';
SELECT version, name, state, registered, reversible FROM migrate.status;
-- a modified applied migration blocks latest(), up() and apply()
\set VERBOSITY default
SELECT version FROM migrate.latest();
\echo :LAST_ERROR_SQLSTATE
SELECT version FROM migrate.up();
SELECT version FROM migrate.apply('5', 'SELECT 1');
\set VERBOSITY terse
-- but not rollback, which reverts both with the recorded text
SELECT version FROM migrate.rollback(target => 'zero');
SELECT to_regclass('c') IS NULL AS c_gone, to_regclass('d') IS NULL AS d_gone;
SELECT version, state FROM migrate.status;
-- registering the applied text again clears the modified state
SELECT migrate.add('3', 'CREATE TABLE c (id int)', 'DROP TABLE c');
SELECT migrate.add('4', E'CREATE TABLE d (id int);\nINSERT INTO d VALUES (1)', 'DROP TABLE d');
SELECT version FROM migrate.up('4');
UPDATE migrate.migrations SET down = 'SELECT this_would_fail()' WHERE version = '4';
SELECT version, state FROM migrate.status WHERE version = '4';
SELECT migrate.add('4', E'CREATE TABLE d (id int);\nINSERT INTO d VALUES (1)', 'DROP TABLE d');
SELECT version, state FROM migrate.status WHERE version = '4';
SELECT version FROM migrate.rollback(target => 'zero');

-- an irreversible migration stops a rollback before anything is reverted
SELECT migrate.add('5', 'CREATE TABLE e (id int)');
SELECT migrate.add('6', 'CREATE TABLE f (id int)', 'DROP TABLE f');
SELECT migrate.add('7', 'CREATE TABLE g (id int)');
SELECT version FROM migrate.latest();
\set VERBOSITY default
SELECT version FROM migrate.rollback();
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
SELECT version FROM migrate.down('5');
SELECT version, state FROM migrate.status WHERE version IN ('5', '6', '7');
SELECT to_regclass('f') IS NOT NULL AS f_kept;

-- a DBA who reverted it by hand records that with forget()
DROP TABLE g;
SELECT migrate.forget('7');
SELECT migrate.forget('7');
SELECT migrate.forget(NULL);
SELECT version, state FROM migrate.status WHERE version IN ('5', '6', '7');
SELECT version, action FROM migrate.history WHERE version = '7' ORDER BY id;
-- forget is not a revert: 7 is pending again and applies again
SELECT version FROM migrate.up('7');

-- the history cannot be rewritten, not even by a superuser
UPDATE migrate.history SET role = 'someone_else';
DELETE FROM migrate.history;
TRUNCATE migrate.history;
SELECT count(*) > 0 AS history_kept FROM migrate.history;
-- nor with the triggers of replication replicas skip (the guards fire
-- ALWAYS)
SET session_replication_role = replica;
UPDATE migrate.history SET role = 'someone_else';
DELETE FROM migrate.history;
TRUNCATE migrate.history;
TRUNCATE migrate.seed_runs;
RESET session_replication_role;
SELECT count(*) > 0 AS history_kept,
       count(*) FILTER (WHERE role = 'someone_else') AS rewritten
  FROM migrate.history;

-- DROP EXTENSION would delete the history: refused while it has rows,
-- unless a superuser asks with migrate.allow_drop
\set VERBOSITY default
RESET migrate.allow_drop;
DROP EXTENSION migrate;
DROP SCHEMA migrate CASCADE;
DROP EXTENSION migrate, plpgsql;
SELECT count(*) > 0 AS history_kept FROM migrate.history;
CREATE ROLE regress_t06_nosu;
SET ROLE regress_t06_nosu;
SET migrate.allow_drop = on;
RESET ROLE;
DROP ROLE regress_t06_nosu;
-- with an empty history there is nothing to lose
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
RESET migrate.allow_drop;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;

RESET search_path;
DROP SCHEMA t06 CASCADE;
