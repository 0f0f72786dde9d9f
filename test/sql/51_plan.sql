-- plan(): the pending migrations run as latest() would, measured per
-- statement (locks from the lock table, rewrites, rows, WAL), then rolled
-- back: nothing of the registry, history, DDL history or the tables
-- remains.  Durations and WAL vary: they are shown as booleans.
-- The fixtures are made before the extension, so that they are not drift.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE SCHEMA t51;
SET search_path = t51;
CREATE TABLE accounts (id int PRIMARY KEY, balance int, note varchar(10));
INSERT INTO accounts SELECT g, g, 'n' FROM generate_series(1, 100) g;
-- a sequence of the caller's, which a migration advances
CREATE SEQUENCE ticket_seq;
SELECT setval('ticket_seq', 5);
CREATE EXTENSION migrate;

-- what plan() says about its lock timeout, and nothing pending
SELECT * FROM migrate.plan();
SET client_min_messages = warning;

SELECT migrate.add('1', 'ALTER TABLE accounts ADD COLUMN flag boolean', name => 'metadata only');
SELECT migrate.add('2', $$ALTER TABLE accounts ALTER COLUMN balance TYPE bigint;
UPDATE accounts SET flag = balance > 50$$, name => 'rewrite and backfill');
SELECT migrate.add('3', 'CREATE INDEX accounts_flag ON accounts (flag); SELECT nextval(''ticket_seq'')',
                   name => 'index');
SELECT migrate.add('4', 'CREATE INDEX CONCURRENTLY accounts_note ON accounts (note)',
                   transactional => false);

-- the state before, to compare with after
CREATE TEMP TABLE before AS
SELECT (SELECT count(*) FROM migrate.history) AS history,
       (SELECT count(*) FROM migrate.applied) AS applied,
       (SELECT count(*) FROM migrate.ddl_log) AS ddl_log,
       (SELECT last_value FROM migrate.history_id_seq) AS history_seq,
       (SELECT last_value FROM migrate.ddl_log_id_seq) AS ddl_log_seq,
       (SELECT relfilenode FROM pg_class WHERE relname = 'accounts') AS node,
       (SELECT format_type(atttypid, atttypmod) FROM pg_attribute
         WHERE attrelid = 'accounts'::regclass AND attname = 'balance') AS balance_type;

SELECT version, statement, sql, duration >= '0' AS timed, locks, rewritten,
       rows, wal_bytes > 0 AS wrote_wal, conflicts, outcome, sqlstate, note, lint
  FROM migrate.plan();

-- nothing remains: the migrations are pending, the table as it was
SELECT version, state FROM migrate.status;
SELECT (SELECT count(*) FROM migrate.history) = history AS history_same,
       (SELECT count(*) FROM migrate.applied) = applied AS applied_same,
       (SELECT count(*) FROM migrate.ddl_log) = ddl_log AS ddl_log_same,
       (SELECT last_value FROM migrate.history_id_seq) = history_seq AS history_seq_same,
       (SELECT last_value FROM migrate.ddl_log_id_seq) = ddl_log_seq AS ddl_log_seq_same,
       (SELECT relfilenode FROM pg_class WHERE relname = 'accounts') = node AS node_same,
       (SELECT format_type(atttypid, atttypmod) FROM pg_attribute
         WHERE attrelid = 'accounts'::regclass AND attname = 'balance') = balance_type AS type_same
  FROM before;
SELECT count(*) AS flag_columns FROM pg_attribute
 WHERE attrelid = 'accounts'::regclass AND attname = 'flag';
SELECT to_regclass('accounts_flag') AS index_left;
-- the sequence did advance: plan() said so
SELECT last_value FROM ticket_seq;

-- a target, as latest(target) takes it
SELECT version, statement, outcome FROM migrate.plan(target => '1');
SELECT version, statement, outcome FROM migrate.plan('2');
SELECT * FROM migrate.plan(target => 'nope');

-- a migration that fails half way: reported, rolled back, plan stops
SELECT migrate.remove('4');
SELECT migrate.add('5', $$ALTER TABLE accounts ADD COLUMN later int;
INSERT INTO accounts (id) VALUES (1);
ALTER TABLE accounts ADD COLUMN never int$$, name => 'fails');
SELECT migrate.add('6', 'CREATE TABLE after_failure (id int)');
SELECT version, statement, sql, outcome, sqlstate, note
  FROM migrate.plan() WHERE outcome <> 'measured' OR version = '5';
SELECT count(*) AS later_columns FROM pg_attribute
 WHERE attrelid = 'accounts'::regclass AND attname = 'later';
SELECT to_regclass('after_failure') AS table_left;
SELECT (SELECT last_value FROM migrate.history_id_seq) = history_seq AS history_seq_same
  FROM before;
SELECT version, state FROM migrate.status;

-- a modified applied migration stops plan() as it stops latest()
SELECT migrate.remove('5');
SELECT count(*) FROM migrate.latest(target => '1');
UPDATE migrate.migrations SET up = up || ' ' WHERE version = '1';
SELECT * FROM migrate.plan();
UPDATE migrate.migrations SET up = rtrim(up) WHERE version = '1';

-- a deploy role: needs what latest() needs, no more, and runs the
-- migrations with its own privileges (it may not use ticket_seq)
SET client_min_messages = error;
CREATE ROLE regress_plan_deploy;
GRANT USAGE, CREATE ON SCHEMA t51 TO regress_plan_deploy;
ALTER TABLE accounts OWNER TO regress_plan_deploy;
SET ROLE regress_plan_deploy;
SELECT count(*) FROM migrate.plan();
RESET ROLE;
GRANT EXECUTE ON FUNCTION migrate.plan(text) TO regress_plan_deploy;
SET ROLE regress_plan_deploy;
SELECT version, statement, outcome, rewritten, sqlstate, note FROM migrate.plan();
RESET ROLE;
GRANT USAGE ON SEQUENCE ticket_seq TO regress_plan_deploy;
SET ROLE regress_plan_deploy;
SELECT version, statement, outcome, sqlstate, note FROM migrate.plan() WHERE outcome <> 'measured';
RESET ROLE;

-- plan() cannot be called from a migration
SELECT migrate.add('7', 'SELECT * FROM migrate.plan()');
SELECT version, outcome, sqlstate, note FROM migrate.plan() WHERE outcome <> 'measured';

RESET search_path;
DROP SCHEMA t51 CASCADE;
DROP OWNED BY regress_plan_deploy;
DROP ROLE regress_plan_deploy;
