-- migrate.bundle(): the registry and the seeds as a psql script of
-- migrate.add() and migrate.add_seed() calls.  Dollar quoting never
-- collides with the scripts; running the bundle in a fresh registry gives
-- the same migrations, checksums, status and seeds.  (Shipping a bundle
-- to another database is tested in test/t/032_bundle.pl.)
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE SCHEMA t42;
SET search_path = t42;
\getenv abs_builddir PG_ABS_BUILDDIR
\set bundle_file :abs_builddir '/results/42_bundle.bundle.sql'

-- scripts that would end a naive $m$ quote: containing $m$ and $m1$,
-- ending with "$m" (which the closing tag would complete), names with
-- quotes and backslashes, non-ASCII text, an empty down, no down, sort_as
SELECT migrate.add('1', $q$CREATE TABLE t42.a (id int, note text DEFAULT '$m$')$q$,
                   $q$DROP TABLE t42.a$q$, name => 'it''s a \ name');
SELECT migrate.add('2', $q$INSERT INTO t42.a VALUES (1, '$m$ and $m1$')$q$,
                   '', name => 'café');
SELECT migrate.add('3', E'INSERT INTO t42.a VALUES (2, ''x'');\n-- ends with $m', NULL,
                   sort_as => '2.5');
SELECT migrate.add('4', 'CREATE INDEX CONCURRENTLY a_id ON t42.a (id)',
                   'DROP INDEX CONCURRENTLY t42.a_id', transactional => false,
                   environments => ARRAY['production', 'it''s']);
SELECT migrate.add_seed('1_rows', $q$INSERT INTO t42.a VALUES (3, '$m$')$q$,
                        repeatable => true, environments => ARRAY['dev']);
SELECT migrate.add_seed('2_more', 'INSERT INTO t42.a VALUES (4)');
SELECT version FROM migrate.latest();

\pset format unaligned
\pset tuples_only on
SELECT migrate.bundle();
SELECT migrate.bundle() \g :bundle_file
\pset format aligned
\pset tuples_only off

-- what it must recreate
CREATE TEMP TABLE before_migrations AS
SELECT version, name, up, down, transactional, sort_as, checksum, environments FROM migrate.migrations;
CREATE TEMP TABLE before_seeds AS
SELECT name, sql, repeatable, environments, checksum FROM migrate.seeds;
CREATE TEMP TABLE before_status AS
SELECT version, name, reversible, transactional, environments FROM migrate.status;

-- into a fresh registry
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
\set ECHO none
\i :bundle_file
\set ECHO all
\set ON_ERROR_STOP off
SELECT version, name, up, down, transactional, sort_as, checksum, environments FROM migrate.migrations
EXCEPT SELECT * FROM before_migrations;
SELECT * FROM before_migrations
EXCEPT SELECT version, name, up, down, transactional, sort_as, checksum, environments FROM migrate.migrations;
SELECT name, sql, repeatable, environments, checksum FROM migrate.seeds
EXCEPT SELECT * FROM before_seeds;
SELECT * FROM before_seeds
EXCEPT SELECT name, sql, repeatable, environments, checksum FROM migrate.seeds;
SELECT count(*) FROM before_status;
SELECT version, name, state, reversible, transactional, environments FROM migrate.status;
SELECT name, state FROM migrate.seed_status;

-- running it again changes nothing
\set ECHO none
\i :bundle_file
\set ECHO all
\set ON_ERROR_STOP off
SELECT count(*) FROM migrate.migrations;

-- not for PUBLIC: it shows every script
CREATE ROLE regress_bundle_nobody;
SET ROLE regress_bundle_nobody;
SELECT migrate.bundle();
RESET ROLE;
DROP ROLE regress_bundle_nobody;

SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
RESET search_path;
DROP SCHEMA t42 CASCADE;
