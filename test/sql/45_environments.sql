-- Environments: the setting migrate.environment, and environments on
-- add(), apply() and add_seed(): an entry runs only where the setting is
-- one of its environments; elsewhere it is skipped and shown as skipped.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE SCHEMA t45;
SET search_path = t45;
\pset null '(null)'

-- not set: only entries for every environment run
SHOW migrate.environment;
SELECT migrate.add('1', 'CREATE TABLE things (id int)', 'DROP TABLE things');
SELECT migrate.add('2', $$INSERT INTO things VALUES (2)$$,
                   environments => ARRAY['dev', 'staging']);
SELECT migrate.add('3', $$INSERT INTO things VALUES (3)$$, environments => ARRAY['production']);
SELECT version, state, environments FROM migrate.status;
SELECT version FROM migrate.latest();
SELECT version, state FROM migrate.status;

-- in staging, 2 is pending and runs, 3 stays skipped
SET migrate.environment = 'staging';
SELECT version, state FROM migrate.status;
SELECT version FROM migrate.latest();
SELECT * FROM things ORDER BY id;
-- an applied migration is applied wherever it was applied
SET migrate.environment = 'production';
SELECT version, state FROM migrate.status;

-- up(version) and apply() skip a migration that is not for here, with a
-- NOTICE; it stays registered
SET migrate.environment = 'dev';
SET client_min_messages = notice;
SELECT version FROM migrate.up('3');
SELECT version FROM migrate.apply('4', $$INSERT INTO things VALUES (4)$$,
                                  environments => ARRAY['production']);
SET client_min_messages = warning;
SELECT version FROM migrate.apply('5', $$INSERT INTO things VALUES (5)$$,
                                  environments => ARRAY['dev']);
SELECT version, state, environments FROM migrate.status;
RESET migrate.environment;

-- CALL migrate.run() plans the same way: in dev, 3 and 4 stay skipped
SET migrate.environment = 'dev';
SELECT migrate.add('6', $$INSERT INTO things VALUES (6)$$, environments => ARRAY['dev']);
CALL migrate.run();
SELECT version, state FROM migrate.status WHERE version IN ('3', '4', '6');
RESET migrate.environment;

-- environments are part of the registration: new ones are an update, the
-- same ones unchanged, NULL makes it run everywhere
SELECT migrate.add('3', $$INSERT INTO things VALUES (3)$$, environments => ARRAY['production']);
SELECT migrate.add('3', $$INSERT INTO things VALUES (3)$$, environments => ARRAY['production', 'dev']);
SELECT migrate.add('3', $$INSERT INTO things VALUES (3)$$);
SELECT version, state, environments FROM migrate.status WHERE version = '3';
SELECT migrate.add('3', $$INSERT INTO things VALUES (3)$$, environments => ARRAY['production']);

-- bad environments: nothing registered
\set VERBOSITY default
SELECT migrate.add('7', 'SELECT 1', environments => ARRAY[]::text[]);
SELECT migrate.add('7', 'SELECT 1', environments => ARRAY['dev', NULL]);
SELECT migrate.add('7', 'SELECT 1', environments => ARRAY['']);
SELECT migrate.add('7', 'SELECT 1', environments => ARRAY[['a'], ['b']]);
SELECT migrate.add_seed('7_x', 'SELECT 1', environments => ARRAY[]::text[]);
\set VERBOSITY terse
SELECT count(*) FROM migrate.migrations WHERE version = '7';

-- seeds: the same rule; the run records the environment
SELECT migrate.add_seed('1_demo', $$INSERT INTO things VALUES (100)$$,
                        environments => ARRAY['dev']);
SELECT migrate.add_seed('2_all', $$INSERT INTO things VALUES (200)$$);
SELECT name, state, environments FROM migrate.seed_status;
SELECT name FROM migrate.seed();
SELECT name, state FROM migrate.seed_status;
SET migrate.environment = 'dev';
SELECT name, state FROM migrate.seed_status;
SELECT name FROM migrate.seed();
SELECT name, environment FROM migrate.seed_runs ORDER BY id;
RESET migrate.environment;

-- set per database (or role): new sessions get it
ALTER DATABASE contrib_regression SET migrate.environment = 'production';
\c
SET client_min_messages = warning;
SET search_path = t45;
SHOW migrate.environment;
SELECT version, state FROM migrate.status WHERE version = '3';
SELECT version FROM migrate.latest();
ALTER DATABASE contrib_regression RESET migrate.environment;
\c
SET client_min_messages = warning;
SELECT current_setting('migrate.environment', true) IS NULL AS unset;

SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
DROP SCHEMA t45 CASCADE;
