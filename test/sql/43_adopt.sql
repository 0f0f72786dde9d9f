-- migrate.adopt(): take over the history tables of knex, Flyway, dbmate,
-- golang-migrate, diesel, goose, Prisma, Sequelize CLI, TypeORM, Sqitch,
-- Alembic and Strapi.
-- Registered migrations the table
-- records as applied are marked applied in one new batch, without running
-- them; versions the table records that are not registered are reported.
-- The history tables are created here with the columns those tools use.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE SCHEMA t43;
SET search_path = t43;
\pset null '(null)'

-- Every migration's up would fail if it ran: adopting must not run them.
CREATE FUNCTION must_not_run() RETURNS void LANGUAGE plpgsql
AS $$BEGIN RAISE EXCEPTION 'a migration ran'; END$$;

-- knex: keyed by file name, version_name.js; a file name whose version
-- prefix is registered under another name matches by version
CREATE TABLE knex_migrations (id serial PRIMARY KEY, name varchar(255),
                              batch integer, migration_time timestamptz);
INSERT INTO knex_migrations (name, batch, migration_time) VALUES
    ('20231231000000_legacy.js', 1, now()),
    ('20240101000000_create_users.js', 1, now()),
    ('20240102000000_add_email.js', 2, now());
SELECT migrate.add('20240101000000', 'SELECT t43.must_not_run()', name => 'create_users');
SELECT migrate.add('20240102000000', 'SELECT t43.must_not_run()', name => 'add email');
SELECT migrate.add('20240103000000', 'CREATE TABLE t43.later (id int)', name => 'later');
SELECT * FROM migrate.adopt('knex');
SELECT version, state, batch FROM migrate.status;
SELECT version, action, batch, statements FROM migrate.history ORDER BY id;
-- adopting again changes nothing; latest() runs only what knex did not
SELECT * FROM migrate.adopt('knex');
SELECT version FROM migrate.latest();
SELECT version, batch FROM migrate.applied ORDER BY history_id;

-- Flyway: successful rows only, versions compared as numbers (1.1 is
-- 1_1, 2.0 is 02), an undo unapplies, failed rows are reported and ignored
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
CREATE TABLE flyway_schema_history (
    installed_rank integer NOT NULL PRIMARY KEY, version varchar(50),
    description varchar(200) NOT NULL, type varchar(20) NOT NULL,
    script varchar(1000) NOT NULL, checksum integer,
    installed_by varchar(100) NOT NULL, installed_on timestamp NOT NULL DEFAULT now(),
    execution_time integer NOT NULL, success boolean NOT NULL);
INSERT INTO flyway_schema_history (installed_rank, version, description, type, script,
                                   installed_by, execution_time, success) VALUES
    (1, '1', 'init', 'SQL', 'V1__init.sql', 'app', 5, true),
    (2, '1.1', 'second', 'SQL', 'V1_1__second.sql', 'app', 5, true),
    (3, '1.2', 'third', 'SQL', 'V1_2__third.sql', 'app', 5, false),
    (4, '1.10', 'tenth', 'SQL', 'V1_10__tenth.sql', 'app', 5, true),
    (5, '1.10', 'tenth', 'UNDO_SQL', 'U1_10__tenth.sql', 'app', 5, true),
    (6, NULL, 'views', 'SQL', 'R__views.sql', 'app', 5, true),
    (7, '3', 'three', 'SQL', 'V3__three.sql', 'app', 5, true),
    (8, '2.0', 'two', 'SQL', 'V2.0__two.sql', 'app', 5, true);
SELECT migrate.add(v, 'SELECT t43.must_not_run()') FROM unnest(ARRAY['1', '1_1', '1_2', '1_10', '02']) v;
SELECT * FROM migrate.adopt('flyway');
SELECT version, state FROM migrate.status;
-- a baseline stands for every version up to it
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
TRUNCATE flyway_schema_history;
INSERT INTO flyway_schema_history (installed_rank, version, description, type, script,
                                   installed_by, execution_time, success) VALUES
    (1, '1.2', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', 'app', 0, true),
    (2, '1.10', 'tenth', 'SQL', 'V1_10__tenth.sql', 'app', 5, true);
SELECT migrate.add(v, 'SELECT t43.must_not_run()') FROM unnest(ARRAY['1', '1_1', '1_2', '1_10', '2']) v;
SELECT * FROM migrate.adopt('Flyway');
SELECT version, state FROM migrate.status;

-- dbmate: schema_migrations(version), one row per migration
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
CREATE SCHEMA t43_dbmate;
CREATE TABLE t43_dbmate.schema_migrations (version varchar(128) PRIMARY KEY);
INSERT INTO t43_dbmate.schema_migrations VALUES ('20240101000000'), ('20240102000000');
SELECT migrate.add(v, 'SELECT t43.must_not_run()')
  FROM unnest(ARRAY['20240101000000', '20240102000000', '20240103000000']) v;
-- not on the search_path: named
SELECT * FROM migrate.adopt('dbmate');
SELECT * FROM migrate.adopt('dbmate', table_name => 't43_dbmate.schema_migrations');
SELECT version, state FROM migrate.status;

-- golang-migrate: one row, the current version; everything up to it is
-- applied
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
INSERT INTO schema_migrations VALUES (2, false);
SELECT migrate.add(v, 'SELECT t43.must_not_run()') FROM unnest(ARRAY['0001', '0002', '0010']) v;
SELECT * FROM migrate.adopt('golang-migrate');
SELECT version, state FROM migrate.status;
-- a current version that is not registered is reported; the ones below
-- it are adopted
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
UPDATE schema_migrations SET version = 5;
SELECT migrate.add(v, 'SELECT t43.must_not_run()') FROM unnest(ARRAY['1', '4', '6']) v;
SELECT * FROM migrate.adopt('golang-migrate');
-- a dirty state is refused
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SELECT migrate.add(v, 'SELECT t43.must_not_run()') FROM unnest(ARRAY['1', '4', '6']) v;
UPDATE schema_migrations SET dirty = true;
\set VERBOSITY default
SELECT * FROM migrate.adopt('golang-migrate');
\set VERBOSITY terse
SELECT count(*) FROM migrate.applied;

-- diesel: versions without '-', as load() registers them
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
CREATE TABLE __diesel_schema_migrations (version varchar(50) PRIMARY KEY NOT NULL,
                                         run_on timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP);
INSERT INTO __diesel_schema_migrations (version) VALUES
    ('00000000000000'), ('20170831230457'), ('202402010000000000');
SELECT migrate.add(v, 'SELECT t43.must_not_run()')
  FROM unnest(ARRAY['00000000000000', '20170831230457', '20240201000000']) v;
SELECT migrate.add('202402010000000000', 'SELECT t43.must_not_run()',
                   sort_as => '20240201000000.0000');
SELECT * FROM migrate.adopt('diesel');
SELECT version, state FROM migrate.status;

-- goose: a log; the latest row of a version says whether it is applied;
-- version 0 is the row goose creates with its table
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
CREATE TABLE goose_db_version (id serial PRIMARY KEY, version_id bigint NOT NULL,
                               is_applied boolean NOT NULL, tstamp timestamp DEFAULT now());
INSERT INTO goose_db_version (version_id, is_applied) VALUES
    (0, true), (1, true), (2, true), (2, false), (3, true), (20, true);
SELECT migrate.add(v, 'SELECT t43.must_not_run()') FROM unnest(ARRAY['00001', '00002', '00003']) v;
SELECT * FROM migrate.adopt('goose');
SELECT version, state FROM migrate.status;

-- bad input: a clear error, nothing adopted
SELECT count(*) FROM migrate.applied;
\set VERBOSITY default
SELECT * FROM migrate.adopt(NULL);
SELECT * FROM migrate.adopt('liquibase');
SELECT * FROM migrate.adopt('sqitch');
SELECT * FROM migrate.adopt('knex', 'no_such_table');
SELECT * FROM migrate.adopt('knex', 'not a name!');
-- a table without the tool's columns, or with another type, or another
-- tool's (golang-migrate's schema_migrations has "dirty", dbmate's not)
CREATE TABLE not_knex (id int);
SELECT * FROM migrate.adopt('knex', 'not_knex');
SELECT * FROM migrate.adopt('golang-migrate', 't43_dbmate.schema_migrations');
SELECT * FROM migrate.adopt('dbmate', 'schema_migrations');
CREATE TABLE not_flyway (installed_rank int, version text, type text, success text);
INSERT INTO not_flyway VALUES (1, '1', 'SQL', 'false');
SELECT * FROM migrate.adopt('flyway', 'not_flyway');
CREATE TABLE not_goose (version_id bigint, is_applied boolean);
SELECT * FROM migrate.adopt('goose', 'not_goose');
CREATE TABLE not_strapi (id serial, migration text);
SELECT * FROM migrate.adopt('strapi', 'not_strapi');
\set VERBOSITY terse
SELECT count(*) FROM migrate.applied;

-- not for PUBLIC; the caller must be able to read the tool's table
CREATE ROLE regress_adopter;
SET ROLE regress_adopter;
SELECT * FROM migrate.adopt('goose');
RESET ROLE;
GRANT EXECUTE ON FUNCTION migrate.adopt(text, text) TO regress_adopter;
GRANT USAGE ON SCHEMA t43 TO regress_adopter;
SET ROLE regress_adopter;
SELECT * FROM migrate.adopt('goose', 't43.goose_db_version');
RESET ROLE;
GRANT SELECT ON t43.goose_db_version TO regress_adopter;
SET ROLE regress_adopter;
SELECT * FROM migrate.adopt('goose', 't43.goose_db_version');
RESET ROLE;
DROP OWNED BY regress_adopter;
DROP ROLE regress_adopter;

-- a history table planted by another role cannot run code as the caller:
-- adopt() reads plain tables only, refusing a view (whose functions would
-- run with the caller's privileges)
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
CREATE ROLE regress_t43_planter;
CREATE SCHEMA t43_planted AUTHORIZATION regress_t43_planter;
CREATE TABLE t43_planted.stolen (who name);
GRANT INSERT ON t43_planted.stolen TO PUBLIC;
SET ROLE regress_t43_planter;
CREATE FUNCTION t43_planted.steal() RETURNS text LANGUAGE plpgsql AS
    $$BEGIN INSERT INTO t43_planted.stolen VALUES (current_user); RETURN '1_x.js'; END$$;
CREATE VIEW t43_planted.knex_migrations AS
    SELECT 1 AS id, t43_planted.steal() AS name, 1 AS batch, now() AS migration_time;
CREATE MATERIALIZED VIEW t43_planted.dbmate AS SELECT '1'::text AS version;
RESET ROLE;
SELECT migrate.add('1', 'SELECT 1', name => 'x');
\set VERBOSITY default
SELECT * FROM migrate.adopt('knex', 't43_planted.knex_migrations');
\set VERBOSITY terse
SET search_path = t43_planted, public;
SELECT * FROM migrate.adopt('knex');
RESET search_path;
SELECT * FROM migrate.adopt('dbmate', 't43_planted.dbmate');
SELECT count(*) AS code_run_as_caller FROM t43_planted.stolen;
SELECT version, state FROM migrate.status;
-- a plain table of another role is read as that role, with a pinned
-- search_path, and only by a caller who may read it
SET ROLE regress_t43_planter;
CREATE TABLE t43_planted.schema_migrations (version text);
INSERT INTO t43_planted.schema_migrations VALUES ('1');
RESET ROLE;
CREATE ROLE regress_t43_other;
GRANT EXECUTE ON ALL ROUTINES IN SCHEMA migrate TO regress_t43_other;
GRANT USAGE ON SCHEMA t43_planted TO regress_t43_other;
SET ROLE regress_t43_other;
SELECT * FROM migrate.adopt('dbmate', 't43_planted.schema_migrations');
RESET ROLE;
SELECT * FROM migrate.adopt('dbmate', 't43_planted.schema_migrations');
SELECT version, state FROM migrate.status;
REVOKE EXECUTE ON ALL ROUTINES IN SCHEMA migrate FROM regress_t43_other;
DROP SCHEMA t43_planted CASCADE;
DROP ROLE regress_t43_other;
DROP ROLE regress_t43_planter;

-- Prisma: keyed by directory name; finished rows are applied, a rolled
-- back one is ignored, and one that started and never finished (a failed
-- migration) is refused with nothing adopted
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY, checksum varchar(64) NOT NULL,
    finished_at timestamptz, migration_name varchar(255) NOT NULL, logs text,
    rolled_back_at timestamptz, started_at timestamptz NOT NULL DEFAULT now(),
    applied_steps_count integer NOT NULL DEFAULT 0);
INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, rolled_back_at, started_at) VALUES
    ('a', 'x', now(), '20240101000000_init', NULL, '2024-01-01'),
    ('b', 'x', NULL, '20240102000000_tags', now(), '2024-01-02'),
    ('c', 'x', now(), '20240103000000_users', NULL, '2024-01-03'),
    ('d', 'x', now(), '20231231000000_legacy', NULL, '2023-12-31');
SELECT migrate.add('20240101000000', 'SELECT t43.must_not_run()', name => 'init');
SELECT migrate.add('20240102000000', 'SELECT t43.must_not_run()', name => 'tags');
SELECT migrate.add('20240103000000', 'SELECT t43.must_not_run()');
SELECT * FROM migrate.adopt('prisma');
SELECT version, state FROM migrate.status;
INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at) VALUES
    ('e', 'x', NULL, '20240104000000_half', '2024-01-04');
SELECT migrate.add('20240104000000', 'SELECT t43.must_not_run()', name => 'half');
\set VERBOSITY default
SELECT * FROM migrate.adopt('prisma');
\set VERBOSITY terse
SELECT version, state FROM migrate.status WHERE version = '20240104000000';

-- Sequelize CLI: "SequelizeMeta", keyed by file name, the version before
-- its first '-'
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
CREATE TABLE "SequelizeMeta" (name varchar(255) PRIMARY KEY);
INSERT INTO "SequelizeMeta" VALUES ('20240101000000-create-users.js'), ('20240102000000-add-email.js');
SELECT migrate.add(v, 'SELECT t43.must_not_run()') FROM unnest(ARRAY['20240101000000', '20240102000000', '20240103000000']) v;
SELECT * FROM migrate.adopt('sequelize');
SELECT version, state FROM migrate.status;

-- TypeORM: migrations(id, timestamp, name), keyed by the timestamp
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
CREATE TABLE migrations (id serial PRIMARY KEY, "timestamp" bigint NOT NULL, name varchar NOT NULL);
INSERT INTO migrations ("timestamp", name) VALUES (1700000000000, 'CreateUsers1700000000000'),
    (1700000000001, 'AddEmail1700000000001');
SELECT migrate.add(v, 'SELECT t43.must_not_run()') FROM unnest(ARRAY['1700000000000', '1700000000001', '1700000000002']) v;
SELECT * FROM migrate.adopt('typeorm');
SELECT version, state FROM migrate.status;

-- Sqitch: sqitch.changes in Sqitch's registry schema, one row per
-- deployed change, keyed by change name: a registered version equal to
-- the change name, else the migration of that name; the rows of a
-- reworked change take the migrations of its name in turn
SET search_path = t43;
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
CREATE SCHEMA sqitch;
CREATE TABLE sqitch.projects (project text PRIMARY KEY, uri text UNIQUE,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    creator_name text NOT NULL, creator_email text NOT NULL);
CREATE TABLE sqitch.changes (change_id text PRIMARY KEY, script_hash text,
    change text NOT NULL,
    project text NOT NULL REFERENCES sqitch.projects (project) ON UPDATE CASCADE,
    note text NOT NULL DEFAULT '',
    committed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    committer_name text NOT NULL, committer_email text NOT NULL,
    planned_at timestamptz NOT NULL, planner_name text NOT NULL,
    planner_email text NOT NULL, UNIQUE (project, script_hash));
INSERT INTO sqitch.projects (project, creator_name, creator_email)
    VALUES ('flipr', 'Marge', 'marge@example.com');
INSERT INTO sqitch.changes (change_id, change, project, committed_at,
    committer_name, committer_email, planned_at, planner_name, planner_email)
  SELECT id, change, 'flipr', at, 'Marge', 'marge@example.com', at, 'Marge', 'marge@example.com'
    FROM (VALUES ('d4', 'users', timestamptz '2024-01-04'),
                 ('a1', 'appschema', '2024-01-01'),
                 ('b2', 'users', '2024-01-02'),
                 ('c3', 'flips', '2024-01-03'),
                 ('e5', 'legacy', '2024-01-05')) v (id, change, at);
SELECT migrate.add('appschema', 'SELECT t43.must_not_run()');
SELECT migrate.add('0002', 'SELECT t43.must_not_run()', name => 'users');
SELECT migrate.add('0003', 'SELECT t43.must_not_run()', name => 'flips');
SELECT migrate.add('0004', 'SELECT t43.must_not_run()', name => 'users');
SELECT migrate.add('0005', 'SELECT t43.must_not_run()', name => 'users');
SELECT * FROM migrate.adopt('sqitch');
SELECT version, name, state FROM migrate.status;
-- a registry that holds several projects is refused: a change name means
-- something only within its project
INSERT INTO sqitch.projects (project, creator_name, creator_email)
    VALUES ('widgets', 'Homer', 'homer@example.com');
INSERT INTO sqitch.changes (change_id, change, project, committer_name,
    committer_email, planned_at, planner_name, planner_email)
    VALUES ('f6', 'gears', 'widgets', 'Homer', 'homer@example.com', now(), 'Homer', 'homer@example.com');
SELECT migrate.add('0006', 'SELECT t43.must_not_run()', name => 'gears');
\set VERBOSITY default
SELECT * FROM migrate.adopt('sqitch');
\set VERBOSITY terse
SELECT version, state FROM migrate.status WHERE version = '0006';
-- one project's rows in a table of their own, as the hint says
CREATE TEMP TABLE changes AS SELECT * FROM sqitch.changes WHERE project = 'widgets';
SELECT version, name, action FROM migrate.adopt('sqitch', 'pg_temp.changes');
-- a table without Sqitch's columns
CREATE TABLE t43.changes (change text, project text);
\set VERBOSITY default
SELECT * FROM migrate.adopt('sqitch', 't43.changes');
\set VERBOSITY terse
DROP SCHEMA sqitch CASCADE;

-- Alembic: alembic_version holds the head revision; it is matched as a
-- registered version, else as the start of a name
-- (ae1027a6acf0_add_index), and it and everything before it in migrate's
-- order are applied
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
CREATE TABLE alembic_version (version_num varchar(32) NOT NULL,
                              CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
SELECT * FROM migrate.adopt('alembic');
INSERT INTO alembic_version VALUES ('3c9e8f1a2b4d');
SELECT migrate.add('0001', 'SELECT t43.must_not_run()', name => '1975ea83b712_create_account');
SELECT migrate.add('0002', 'SELECT t43.must_not_run()', name => '3c9e8f1a2b4d_add_email');
SELECT migrate.add('0003', 'SELECT t43.must_not_run()', name => '3c9e8f1a2b4d0_other');
SELECT migrate.add('0004', 'SELECT t43.must_not_run()', name => 'ae1027a6acf0_add_index');
SELECT * FROM migrate.adopt('alembic');
SELECT version, state FROM migrate.status;
-- revision ids as versions, ordered with sort_as
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SELECT migrate.add('1975ea83b712', 'SELECT t43.must_not_run()', sort_as => '1');
SELECT migrate.add('3c9e8f1a2b4d', 'SELECT t43.must_not_run()', sort_as => '2');
SELECT migrate.add('ae1027a6acf0', 'SELECT t43.must_not_run()', sort_as => '3');
SELECT * FROM migrate.adopt('alembic');
SELECT version, state FROM migrate.status;
-- a revision that is not registered adopts nothing; several heads are
-- refused
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SELECT migrate.add('1975ea83b712', 'SELECT t43.must_not_run()');
UPDATE alembic_version SET version_num = 'ffffffffffff';
SELECT * FROM migrate.adopt('alembic');
INSERT INTO alembic_version VALUES ('1975ea83b712');
\set VERBOSITY default
SELECT * FROM migrate.adopt('alembic');
\set VERBOSITY terse
SELECT count(*) FROM migrate.applied;

-- Strapi 4 and 5: strapi_migrations(id, name, time), keyed by file name:
-- version.name or version_name whole, else its leading date and time
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
CREATE TABLE strapi_migrations (id serial PRIMARY KEY, name varchar(255),
                                "time" timestamp without time zone);
INSERT INTO strapi_migrations (name, "time") VALUES
    ('2022.05.10T00.00.00.add-slugs.js', '2024-01-01'),
    ('2022.06.01T00.00.00.backfill.sql', '2024-01-02'),
    ('2023.01.01T00.00.00.not-here.js', '2024-01-03'),
    ('20240101_snake_case.js', '2024-01-04');
SELECT migrate.add('2022.05.10T00.00.00', 'SELECT t43.must_not_run()', name => 'add-slugs');
SELECT migrate.add('2022.06.01T00.00.00', 'SELECT t43.must_not_run()');
SELECT migrate.add('20240101', 'SELECT t43.must_not_run()', name => 'snake_case');
SELECT migrate.add('2024.07.01T00.00.00', 'SELECT t43.must_not_run()');
SELECT * FROM migrate.adopt('strapi');
SELECT version, state FROM migrate.status;
-- Strapi 5's own migrations, in strapi_migrations_internal, whose names
-- keep their dots; read in the order of "time"
CREATE TABLE strapi_migrations_internal (id serial PRIMARY KEY, name varchar(255),
                                         "time" timestamp without time zone);
INSERT INTO strapi_migrations_internal (name, "time") VALUES
    ('5.0.0-03-created-locale', '2024-06-03'),
    ('5.0.0-02-created-document-id', '2024-06-02'),
    ('5.0.0-rename-identifiers-longer-than-max-length', '2024-06-01');
SELECT migrate.add('5.0.0-rename-identifiers-longer-than-max-length', 'SELECT t43.must_not_run()');
SELECT * FROM migrate.adopt('strapi', 'strapi_migrations_internal');

SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
RESET search_path;
DROP SCHEMA t43 CASCADE;
DROP SCHEMA t43_dbmate CASCADE;
