-- The 0.2.0 surface of running and inspecting: "target" (never a reserved
-- word, never a boolean first parameter), 'zero', rollback's dry run,
-- redo(), mark_applied() and mark_reverted(), view summary and check().
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
-- the per-migration NOTICEs carry durations: shown only where they say
-- something else
SET client_min_messages = warning;
CREATE SCHEMA t11;
SET search_path = t11;
-- the schema of the test is not drift under test
SELECT migrate.dismiss_drift('the schema of this test') AS dismissed;

SELECT migrate.add('1', 'CREATE TABLE a (id int)', 'DROP TABLE a');
SELECT migrate.add('2', 'CREATE TABLE b (id int)', 'DROP TABLE b');
SELECT migrate.add('3', 'CREATE TABLE c (id int)', 'DROP TABLE c');
SELECT version FROM migrate.latest(target => '2');
SELECT version FROM migrate.latest();

-- rollback('1') means "back to 1": 1 stays applied (in 0.1.0 the first
-- parameter was the boolean "all", and '1' reverted everything)
SELECT version FROM migrate.rollback('1');
SELECT version, state FROM migrate.status;

-- a dry run runs the down scripts and keeps nothing of them
SELECT version FROM migrate.latest();
\set VERBOSITY terse
SET client_min_messages = notice;
SELECT version FROM migrate.rollback(target => 'zero', dry_run => true);
SET client_min_messages = warning;
\set VERBOSITY default
SELECT version, state FROM migrate.status;
SELECT count(*) AS tables FROM pg_tables WHERE schemaname = 't11';

-- 'zero' is a target, never a version
SELECT migrate.add('zero', 'SELECT 1');
SELECT count(*) AS registered FROM migrate.migrations WHERE version = 'zero';
SELECT version FROM migrate.rollback(target => 'not a version');

-- versions with the same natural order cannot both be registered
SELECT migrate.add('0002', 'SELECT 2');
SELECT migrate.add('02', 'SELECT 2');
SELECT migrate.add('zero2', 'SELECT 1');
SELECT migrate.remove('zero2');
SELECT count(*) AS registered FROM migrate.migrations WHERE version IN ('0002', '02');
-- a pending migration replaced by other text says whose it replaces
-- (the detail names the role and the time; terse leaves the time out)
SELECT migrate.add('9', 'SELECT 9');
\set VERBOSITY terse
SELECT migrate.add('9', 'SELECT 99');
\set VERBOSITY default
SELECT up FROM migrate.migrations WHERE version = '9';
SELECT migrate.remove('9');

-- redo(): revert with the recorded down, apply the registered text again
SELECT version FROM migrate.redo();
SELECT action, version FROM migrate.history ORDER BY id DESC LIMIT 2;
SELECT version, state FROM migrate.status WHERE version = '3';
-- refusals change nothing
SELECT version FROM migrate.redo('2');
SELECT version FROM migrate.redo('9');
SELECT version FROM migrate.redo('not a version');
SELECT migrate.add('4', 'CREATE TABLE d (id int)');
SELECT version FROM migrate.redo('4');
SELECT version FROM migrate.latest();
SELECT version FROM migrate.redo();
SELECT version, state FROM migrate.status;

-- mark_applied(): a hot fix made by hand, recorded with who and why
SET client_min_messages = notice;
SELECT migrate.add('5', 'CREATE TABLE e (id int)', 'DROP TABLE e');
CREATE TABLE e (id int);
SELECT migrate.mark_applied('5', NULL);
SELECT migrate.mark_applied('5', '  ');
SELECT migrate.mark_applied('6', 'no such migration');
SELECT migrate.mark_applied(NULL, 'no version');
SELECT migrate.mark_applied('5', 'created by hand during incident 123');
SELECT migrate.mark_applied('5', 'again');
SELECT version, state, applied_as, reason FROM migrate.status WHERE version IN ('4', '5');
SELECT action, version, detail, role = current_user AS by_me
  FROM migrate.history WHERE action LIKE 'mark%';

-- mark_reverted(): reverted by hand, recorded with why; then up again
DROP TABLE e;
SELECT migrate.mark_reverted('5', NULL);
SELECT migrate.mark_reverted('5', 'dropped by hand');
SELECT migrate.mark_reverted('5', 'dropped by hand');
SELECT version, state, applied_as FROM migrate.status WHERE version = '5';
SELECT action, version, detail FROM migrate.history
 WHERE action LIKE 'mark%' ORDER BY id;

-- summary and check(): the CI gate (the DDL made by hand above for the
-- marks is acknowledged first)
SELECT migrate.dismiss_drift('made by hand for mark_applied and mark_reverted') AS dismissed;
SELECT * FROM migrate.summary;
-- the SQLSTATE is printed on its own: VERBOSITY verbose would also print
-- the line of pl_exec.c that raised it, which differs between servers
SELECT * FROM migrate.check();
\echo :LAST_ERROR_SQLSTATE
SELECT applied, pending FROM migrate.check(fail_on => ARRAY['modified']);
SELECT * FROM migrate.check(fail_on => ARRAY['pending', 'late']);
SELECT * FROM migrate.check(fail_on => NULL);
SET client_min_messages = warning;
SELECT version FROM migrate.latest();
SELECT applied, pending, modified, current_version FROM migrate.check();
-- drift counts too, unless left out
CREATE TABLE t11.outside (a int);
SELECT drift FROM migrate.summary;
SELECT * FROM migrate.check();
SELECT drift FROM migrate.check(fail_on => ARRAY['pending', 'modified']);

-- who may call what: reading is for everyone, changing is not
CREATE ROLE regress_t11_reader;
SET ROLE regress_t11_reader;
SELECT applied, pending FROM migrate.summary;
SELECT applied FROM migrate.check(fail_on => ARRAY['pending']);
SELECT version FROM migrate.redo();
SELECT migrate.mark_applied('1', 'not mine');
SELECT migrate.mark_reverted('1', 'not mine');
SELECT version FROM migrate.rollback(target => 'zero', dry_run => true);
RESET ROLE;
DROP ROLE regress_t11_reader;

SELECT version FROM migrate.rollback(target => 'zero');
SELECT migrate.mark_reverted('4', 'dropped by the test');
SELECT version FROM migrate.rollback(target => 'zero');
SELECT count(*) AS applied FROM migrate.applied;

-- an unknown version: the error names the versions a typo away from it,
-- or else the nearest ones in migrate's order
SELECT migrate.add(v, 'SELECT 1') FROM unnest(ARRAY['0041', '0042', '0050']) v;
\set VERBOSITY default
SELECT version FROM migrate.up('0043');
SELECT version FROM migrate.rollback(target => '042');
SELECT migrate.remove('9999');
SELECT migrate.export('0045');
SELECT migrate.mark_applied('0051', reason => 'a typo');
\set VERBOSITY terse
SELECT migrate.remove(v) FROM unnest(ARRAY['0041', '0042', '0050']) v;

-- summary counts what status shows, in every state: applied, applied
-- and no longer registered, modified, pending, skipped in this
-- environment, and pending here
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET migrate.environment = 'staging';
SELECT migrate.add(v, 'SELECT 1') FROM unnest(ARRAY['s1', 's2', 's3', 's4']) v;
SELECT migrate.add('s5', 'SELECT 5', environments => ARRAY['production']);
SELECT migrate.add('s6', 'SELECT 6', environments => ARRAY['staging']);
SELECT count(*) FROM migrate.latest(target => 's3');
DELETE FROM migrate.migrations WHERE version = 's2';
UPDATE migrate.migrations SET up = 'SELECT 3 -- edited' WHERE version = 's3';
SELECT version, state FROM migrate.status;
SELECT applied, pending, modified, skipped FROM migrate.summary;
SELECT (SELECT ROW(applied, pending, modified, skipped) FROM migrate.summary) =
       (SELECT ROW(count(*) FILTER (WHERE state = 'applied'), count(*) FILTER (WHERE state = 'pending'),
                   count(*) FILTER (WHERE state = 'modified'), count(*) FILTER (WHERE state = 'skipped'))
          FROM migrate.status) AS summary_is_status;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
RESET migrate.environment;
RESET search_path;
DROP SCHEMA t11 CASCADE;
