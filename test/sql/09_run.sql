-- CALL migrate.run(): commits after each migration, brings the database to
-- a target version in both directions, and runs non-transactional
-- migrations at top level in a background worker.  Also the target
-- versions of latest() and rollback() and the lock retry settings.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE SCHEMA t09;
SET search_path = t09;

CREATE TABLE items (id int);
INSERT INTO items SELECT generate_series(1, 1000);

SELECT migrate.add('1', 'CREATE TABLE a (id int)', 'DROP TABLE a');
SELECT migrate.add('2', 'CREATE INDEX CONCURRENTLY items_id ON items (id)',
                   'DROP INDEX CONCURRENTLY items_id', transactional => false);
SELECT migrate.add('3', E'CREATE TABLE b (id int);\nINSERT INTO b VALUES (1)', 'DROP TABLE b');
SELECT migrate.add('4', 'VACUUM (ANALYZE) items', '-- nothing to undo', transactional => false);

-- it refuses to run inside a transaction block, before doing anything
BEGIN;
CALL migrate.run();
ROLLBACK;
SELECT count(*) AS applied FROM migrate.applied;

-- run() applies everything, the non-transactional ones in a worker,
-- as one batch
CALL migrate.run();
SELECT version, state, batch, transactional FROM migrate.status;
SELECT indexrelid::regclass, indisvalid FROM pg_index WHERE indrelid = 'items'::regclass;
SELECT version, action, batch, statements, role = current_user AS by_me
  FROM migrate.history ORDER BY id;
-- the worker ran with the caller's search_path: the index is in t09
SELECT relnamespace::regnamespace FROM pg_class WHERE relname = 'items_id';

-- nothing to do
CALL migrate.run();

-- a target below the current version reverts, newest first, including
-- the non-transactional migrations (in the worker)
CALL migrate.run(target => '1');
SELECT version, state FROM migrate.status;
SELECT count(*) AS indexes FROM pg_index WHERE indrelid = 'items'::regclass;
-- a target above applies up to it, and 'zero' reverts everything
CALL migrate.run('3');
SELECT version, state FROM migrate.status;
CALL migrate.run('zero');
SELECT version, state FROM migrate.status;
-- an unknown target is refused
CALL migrate.run('99');
CALL migrate.run('not a version');

-- a failure in the middle: the migrations before it stay applied and
-- recorded, the failed one is rolled back, named, and recorded as failed
SELECT migrate.add('3.5', E'CREATE TABLE c (id int);\nSELECT 1/0;', 'DROP TABLE c');
\set VERBOSITY default
CALL migrate.run();
\set VERBOSITY terse
SELECT version, state FROM migrate.status;
SELECT to_regclass('c') IS NULL AS c_rolled_back;
SELECT version, action, detail FROM migrate.history WHERE action = 'fail';
SELECT migrate.remove('3.5');

-- a failing non-transactional migration: the worker's error, with the
-- migration and statement named, and whether an INVALID index was left
CALL migrate.run();
INSERT INTO items VALUES (1);
SELECT migrate.add('5', 'CREATE UNIQUE INDEX CONCURRENTLY items_unique ON items (id)',
                   'DROP INDEX CONCURRENTLY items_unique', transactional => false);
\set VERBOSITY default
CALL migrate.run();
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
SELECT version, state FROM migrate.status WHERE version = '5';
SELECT indexrelid::regclass, indisvalid FROM pg_index
 WHERE indrelid = 'items'::regclass ORDER BY indexrelid::regclass::text;
DROP INDEX items_unique;
DELETE FROM items WHERE ctid = (SELECT max(ctid) FROM items WHERE id = 1);
CALL migrate.run();
SELECT version, state FROM migrate.status WHERE version = '5';

-- the one-transaction forms take targets too, but refuse
-- non-transactional migrations in their range
SELECT version FROM migrate.rollback(target => '3');
-- the hint gives the target that reverts it with run(): the applied
-- version below it
\set VERBOSITY default
SELECT version FROM migrate.down('5');
\set VERBOSITY terse
CALL migrate.run('zero');
SELECT migrate.remove('2');
SELECT migrate.remove('4');
SELECT migrate.remove('5');
SELECT migrate.add('3.5', 'CREATE TABLE c (id int)', 'DROP TABLE c');
SELECT version FROM migrate.latest(target => '3');
SELECT version FROM migrate.rollback(target => '1');
SELECT version FROM migrate.rollback(target => '1');
SELECT version FROM migrate.latest(target => '1');
SELECT version FROM migrate.latest(target => '3');
SELECT version FROM migrate.latest(target => '3');
SELECT version, state FROM migrate.status;
SELECT version FROM migrate.rollback(target => 'zero');
SELECT version FROM migrate.latest(target => 'zero');
SELECT version FROM migrate.rollback('1', true);
SELECT version FROM migrate.rollback(target => '99');
SELECT migrate.add('2', 'CREATE INDEX CONCURRENTLY items_id2 ON items (id)',
                   transactional => false);
SELECT version FROM migrate.latest(target => '1');
SELECT version FROM migrate.latest(target => '2');
SELECT version, state FROM migrate.status;
SELECT migrate.remove('2');

-- a migration that calls run() runs inside a transaction: refused
SELECT migrate.add('6', 'CALL migrate.run()');
CALL migrate.run('6');
SELECT migrate.remove('6');

-- lock retry settings
SHOW migrate.lock_timeout;
SHOW migrate.lock_retries;
SET migrate.lock_timeout = '2s';
SHOW migrate.lock_timeout;
SET migrate.lock_retries = -1;
SET migrate.lock_retries = 3;
RESET migrate.lock_timeout;
RESET migrate.lock_retries;

CALL migrate.run('zero');
RESET search_path;
DROP SCHEMA t09 CASCADE;
