-- verify(): each pending migration's up, down and up again, in order,
-- each on top of the ups before it, schema() compared between them, all
-- rolled back: nothing of the registry, history, DDL history or the
-- tables remains but one row per migration in migrate.verifications.
-- The fixtures are made before the extension, so that they are not drift.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE SCHEMA t52;
SET search_path = t52;
CREATE TABLE accounts (id int PRIMARY KEY, balance int);
INSERT INTO accounts SELECT g, g FROM generate_series(1, 10) g;
CREATE TABLE marks (n int);
CREATE EXTENSION migrate;

-- nothing pending: a NOTICE and no rows
SELECT * FROM migrate.verify();
SELECT count(*) AS verifications FROM migrate.verifications;

-- one migration of each kind
SET client_min_messages = warning;
SELECT migrate.add('1', 'ALTER TABLE accounts ADD COLUMN flag boolean',
                   'ALTER TABLE accounts DROP COLUMN flag', name => 'good');
-- the down drops the table but leaves the column behind
SELECT migrate.add('2', $$CREATE TABLE audit (id int, at timestamptz);
ALTER TABLE accounts ADD COLUMN note text$$,
                   'DROP TABLE audit', name => 'column left behind');
-- the down names a table that does not exist
SELECT migrate.add('3', 'CREATE TABLE ledger (id int)',
                   $$DROP TABLE ledger;
DROP TABLE ledgers$$, name => 'down fails');
-- the data stays: the second up fails on it
SELECT migrate.add('4', $$CREATE TABLE limits (id int);
INSERT INTO accounts (id, balance) VALUES (100, 0)$$,
                   'DROP TABLE limits', name => 'up fails again');
-- the second up makes another table than the first
SELECT migrate.add('5', $up$INSERT INTO marks VALUES (1);
DO $$BEGIN EXECUTE format('CREATE TABLE gen_%s (id int)', (SELECT count(*) FROM marks)); END$$$up$,
                   $down$DO $$BEGIN EXECUTE format('DROP TABLE gen_%s', (SELECT count(*) FROM marks)); END$$$down$,
                   name => 'another schema again');
SELECT migrate.add('6', 'CREATE TABLE kept (id int)', name => 'no down');
SELECT migrate.add('7', 'CREATE TABLE captured (id int)',
                   $$DROP TABLE captured;
-- no inverse known for: GRANT SELECT ON captured TO PUBLIC$$, name => 'incomplete down');
SELECT migrate.add('8', 'CREATE INDEX CONCURRENTLY accounts_balance ON accounts (balance)',
                   'DROP INDEX CONCURRENTLY accounts_balance', transactional => false);
-- the later ones see the earlier ones: 9 uses 1's column and 6's table
SELECT migrate.add('9', $$ALTER TABLE kept ADD COLUMN flag boolean;
UPDATE accounts SET flag = true$$, 'ALTER TABLE kept DROP COLUMN flag', name => 'on top');

-- the state before, to compare with after
CREATE TEMP TABLE before AS
SELECT (SELECT count(*) FROM migrate.history) AS history,
       (SELECT count(*) FROM migrate.applied) AS applied,
       (SELECT count(*) FROM migrate.ddl_log) AS ddl_log,
       (SELECT last_value FROM migrate.history_id_seq) AS history_seq,
       (SELECT last_value FROM migrate.ddl_log_id_seq) AS ddl_log_seq,
       (SELECT string_agg(version || checksum, ',' ORDER BY version) FROM migrate.migrations) AS registry,
       (SELECT count(*) FROM accounts) AS accounts,
       (SELECT count(*) FROM marks) AS marks,
       migrate.schema() AS schema;

SET client_min_messages = notice;
SELECT version, name, result, detail FROM migrate.verify();
SET client_min_messages = warning;

-- nothing remains: the migrations are pending, the tables as they were
SELECT version, state FROM migrate.status;
SELECT (SELECT count(*) FROM migrate.history) = history AS history_same,
       (SELECT count(*) FROM migrate.applied) = applied AS applied_same,
       (SELECT count(*) FROM migrate.ddl_log) = ddl_log AS ddl_log_same,
       (SELECT last_value FROM migrate.history_id_seq) = history_seq AS history_seq_same,
       (SELECT last_value FROM migrate.ddl_log_id_seq) = ddl_log_seq AS ddl_log_seq_same,
       (SELECT string_agg(version || checksum, ',' ORDER BY version) FROM migrate.migrations) = registry AS registry_same,
       (SELECT count(*) FROM accounts) = accounts AS accounts_same,
       (SELECT count(*) FROM marks) = marks AS marks_same,
       migrate.schema() = schema AS schema_same
  FROM before;
SELECT to_regclass('audit') AS audit, to_regclass('kept') AS kept,
       to_regclass('accounts_balance') AS accounts_balance;
CREATE TEMP TABLE left_at AS
SELECT last_value AS ddl_log_seq_left FROM migrate.ddl_log_id_seq;

-- what was found is kept, one row per migration, for the text verified
SELECT v.version, v.result, v.checksum = m.checksum AS same_text,
       v.verified_by = current_user AS by_me, v.detail IS NOT NULL AS has_detail
  FROM migrate.verifications v JOIN migrate.migrations m USING (version)
 ORDER BY m.sort_key;

-- one migration: verified on top of the pending ones before it, its row
-- replaced, the others' kept
UPDATE migrate.verifications SET result = 'down fails' WHERE version = '9';
SELECT version, result FROM migrate.verify('9');
SELECT version, result FROM migrate.verify(version => '1');
-- the DDL history's numbers are put back when no script failed (a failed
-- script's rows go with its rollback before they can be counted: the
-- NOTICE of the first verify() says so)
SELECT last_value = ddl_log_seq_left AS ddl_log_seq_same FROM migrate.ddl_log_id_seq, left_at;
SELECT count(*) AS verifications, count(*) FILTER (WHERE version = '9') AS nine,
       (SELECT result FROM migrate.verifications WHERE version = '9') AS nine_result
  FROM migrate.verifications;
-- a CHECK constraint keeps the results to verify()'s words (terse: the
-- failing row shows the time)
\set VERBOSITY terse
INSERT INTO migrate.verifications (version, checksum, result) VALUES ('x', 'x', 'fine');
\set VERBOSITY default

-- an up script that fails ends the verification, as it ends latest():
-- reported, and the migrations after it not verified
SELECT migrate.add('10', 'ALTER TABLE nosuch ADD COLUMN c int', name => 'up fails');
SELECT migrate.add('11', 'CREATE TABLE never (id int)', 'DROP TABLE never');
SET client_min_messages = notice;
SELECT version, result, detail FROM migrate.verify() WHERE version >= '10';
SET client_min_messages = warning;
SELECT to_regclass('never') AS never;
SELECT migrate.remove('10');
SELECT migrate.remove('11');

-- bad input: unknown, invalid, applied, not for this environment;
-- nothing registered or applied is lost
SELECT * FROM migrate.verify('12');
SELECT * FROM migrate.verify('99');
SELECT * FROM migrate.verify('not a version!');
SELECT count(*) FROM migrate.latest(target => '1');
SELECT * FROM migrate.verify('1');
SELECT migrate.add('e1', 'SELECT 1', environments => ARRAY['production']);
SELECT * FROM migrate.verify('e1');
SELECT migrate.remove('e1');
SELECT version, state FROM migrate.status;
SELECT count(*) FROM migrate.rollback();

-- inside an explicit transaction: verify() leaves it usable, and its rows
-- go with it when it rolls back
BEGIN;
SELECT version, result FROM migrate.verify('1');
SELECT count(*) AS applied FROM migrate.applied;
SELECT version FROM migrate.latest(target => '1');
ROLLBACK;
SELECT count(*) AS applied FROM migrate.applied;

-- verify() cannot be called from a migration
SELECT migrate.add('13', 'SELECT * FROM migrate.verify()');
SELECT version, result, detail FROM migrate.verify('13');
SELECT migrate.remove('13');

-- check(): 'unverified' runs verify() on the pending migrations and fails
-- when a result is not ok; the default conditions are unchanged
SELECT * FROM migrate.check(fail_on => ARRAY['unverified']);
\echo :LAST_ERROR_SQLSTATE
SELECT migrate.remove(v) FROM unnest(ARRAY['2', '3', '4', '5', '6', '7', '8', '9']) v;
SELECT pending FROM migrate.check(fail_on => ARRAY['unverified', 'modified']);
SELECT * FROM migrate.check();
SELECT * FROM migrate.check(fail_on => ARRAY['pending', 'verified']);
-- nothing pending: nothing to verify
SELECT count(*) FROM migrate.latest();
SELECT applied, pending FROM migrate.check(fail_on => ARRAY['unverified']);
SELECT count(*) FROM migrate.rollback(target => 'zero');

-- a deploy role: needs what latest() needs, no more, and runs the
-- migrations with its own privileges
SET client_min_messages = error;
CREATE ROLE regress_verify_deploy;
GRANT USAGE, CREATE ON SCHEMA t52 TO regress_verify_deploy;
SET ROLE regress_verify_deploy;
SELECT * FROM migrate.verify();
SELECT applied FROM migrate.check(fail_on => ARRAY['unverified']);
-- check() without 'unverified' needs nothing of verify()
SELECT applied FROM migrate.check(fail_on => ARRAY['modified']);
RESET ROLE;
GRANT EXECUTE ON FUNCTION migrate.verify(text) TO regress_verify_deploy;
SET ROLE regress_verify_deploy;
-- accounts is not its table
SELECT version, result, detail FROM migrate.verify();
RESET ROLE;
ALTER TABLE accounts OWNER TO regress_verify_deploy;
SET ROLE regress_verify_deploy;
SELECT version, result, detail FROM migrate.verify();
RESET ROLE;
SELECT version, result, verified_by FROM migrate.verifications WHERE version = '1';

RESET search_path;
DROP SCHEMA t52 CASCADE;
DROP OWNED BY regress_verify_deploy;
DROP ROLE regress_verify_deploy;
