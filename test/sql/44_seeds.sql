-- Seeds: add_seed(), seed() and the seed_status view.  Seeds run once,
-- in name order; repeatable ones again when their text changes; every run
-- is recorded; a failing seed names itself and leaves nothing applied.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE SCHEMA t44;
SET search_path = t44;
\pset null '(null)'
CREATE TABLE countries (code text PRIMARY KEY, name text);
CREATE TABLE settings (key text PRIMARY KEY, value text);

SELECT migrate.add_seed('10_settings', $$INSERT INTO settings VALUES ('theme', 'dark')$$,
                        repeatable => true);
SELECT migrate.add_seed('2_countries', $$INSERT INTO countries VALUES ('fr', 'France');
INSERT INTO countries VALUES ('de', 'Germany');$$);
-- the same again: nothing to do; new text before it ran: replaced
SELECT migrate.add_seed('2_countries', $$INSERT INTO countries VALUES ('fr', 'France');
INSERT INTO countries VALUES ('de', 'Germany');$$);
SELECT migrate.add_seed('2_countries', $$INSERT INTO countries VALUES ('fr', 'France');
INSERT INTO countries VALUES ('it', 'Italy');$$);
SELECT name, state, repeatable, runs, last_ran_at FROM migrate.seed_status;

-- natural name order: 2 before 10; search_path is the caller's
SELECT name, statements FROM migrate.seed();
SELECT * FROM countries ORDER BY code;
SELECT * FROM settings;
SELECT name, state, runs, last_ran_by = current_user AS by_me FROM migrate.seed_status;
SELECT name, statements, ran_by = current_user AS by_me, environment,
       checksum = migrate.checksum(sql) AS checksum_ok
  FROM migrate.seed_runs ORDER BY id;
-- nothing left to run
SELECT name FROM migrate.seed();

-- a repeatable seed with new text runs again
SELECT migrate.add_seed('10_settings', $$UPDATE settings SET value = 'light' WHERE key = 'theme'$$,
                        repeatable => true);
SELECT name, state, runs FROM migrate.seed_status;
SELECT name FROM migrate.seed();
SELECT * FROM settings;
SELECT name, state, runs FROM migrate.seed_status;

-- a seed that ran is history: new text for it is refused
\set VERBOSITY default
SELECT migrate.add_seed('2_countries', $$INSERT INTO countries VALUES ('es', 'Spain')$$);
\set VERBOSITY terse
-- ... unless it becomes repeatable, which runs it again
SELECT migrate.add_seed('2_countries', $$INSERT INTO countries VALUES ('es', 'Spain')$$,
                        repeatable => true);
SELECT name FROM migrate.seed();
SELECT code FROM countries ORDER BY code;

-- a failing seed stops the call and names itself; the seeds before it in
-- the same call are rolled back too
SELECT migrate.add_seed('3_more', $$INSERT INTO countries VALUES ('pt', 'Portugal')$$);
SELECT migrate.add_seed('4_broken', $$INSERT INTO countries VALUES ('pt', 'Portugal again')$$);
\set VERBOSITY default
SELECT name FROM migrate.seed();
\set VERBOSITY terse
SELECT code FROM countries WHERE code = 'pt';
SELECT name, state FROM migrate.seed_status WHERE name IN ('3_more', '4_broken');
SELECT count(*) FROM migrate.seed_runs WHERE name IN ('3_more', '4_broken');

-- bad input: nothing registered
\set VERBOSITY default
SELECT migrate.add_seed(NULL, 'SELECT 1');
SELECT migrate.add_seed('has space', 'SELECT 1');
SELECT migrate.add_seed('5_x', NULL);
SELECT migrate.add_seed('5_x', E'  -- only a comment\n');
SELECT migrate.add_seed('5_x', 'SELECT 1', repeatable => NULL);
SELECT migrate.add_seed('5_x', E'INSERT INTO countries VALUES (1);\nINSERT INTO countries VALUS (2);');
SELECT migrate.add_seed('5_x', E'\\copy countries from data.csv');
SELECT migrate.add_seed('5_x', E'BEGIN;\nINSERT INTO countries VALUES (\'x\');\nCOMMIT;');
SELECT migrate.add_seed('5_x', 'VACUUM countries');
\set VERBOSITY terse
SELECT count(*) FROM migrate.seeds WHERE name = '5_x';

-- privileges: not for PUBLIC; the status view is
CREATE ROLE regress_seed_nobody;
SET ROLE regress_seed_nobody;
SELECT migrate.add_seed('9_x', 'SELECT 1');
SELECT * FROM migrate.seed();
SELECT count(*) FROM migrate.seed_status;
SELECT count(*) FROM migrate.seed_runs;
RESET ROLE;
DROP ROLE regress_seed_nobody;

-- the record of seed runs is append-only, as the history is
UPDATE migrate.seed_runs SET statements = 0;
DELETE FROM migrate.seed_runs;
TRUNCATE migrate.seed_runs;
-- also where replication replicas skip triggers
SET session_replication_role = replica;
UPDATE migrate.seed_runs SET statements = 0;
DELETE FROM migrate.seed_runs;
RESET session_replication_role;
SELECT count(*) > 0 AS runs_kept FROM migrate.seed_runs;

SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
RESET search_path;
DROP SCHEMA t44 CASCADE;
