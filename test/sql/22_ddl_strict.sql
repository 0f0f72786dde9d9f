-- Strict mode (migrate.strict): DDL outside a migration fails before it
-- runs, with a hint that says how to apply it as a migration.  Migrations,
-- temporary objects, extension scripts and migrate itself are exempt.
-- Only a superuser changes the setting; a DBA sets it per database or
-- role.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;
SELECT current_user AS superuser \gset
CREATE SCHEMA t22;
CREATE ROLE regress_t22_app LOGIN;
GRANT ALL ON SCHEMA t22 TO regress_t22_app;
GRANT EXECUTE ON FUNCTION migrate.apply(text, text, text, text, boolean, text, text[]),
                          migrate.rollback(text, boolean) TO regress_t22_app;
SET search_path = t22, public;
CREATE TABLE fixture (a int);
CREATE TABLE other_fixture (a int);
CREATE MATERIALIZED VIEW fixture_count AS SELECT count(*) FROM fixture;
CREATE FUNCTION make_table() RETURNS void LANGUAGE plpgsql
    AS $$BEGIN CREATE TABLE from_function (a int); END$$;
CREATE TEMP TABLE scratch (a int);

SHOW migrate.strict;
SET migrate.strict = on;
SELECT coalesce(max(id), 0) AS mark FROM migrate.ddl_log \gset

-- DDL outside a migration fails, whoever runs it and however
CREATE TABLE refused (a int);
SELECT to_regclass('refused') IS NULL AS not_created;
DO $$BEGIN CREATE TABLE refused_in_do (a int); END$$;
SELECT make_table();
CREATE TABLE refused_long (column_with_a_long_name_1 int, column_with_a_long_name_2 int,
    column_with_a_long_name_3 int, column_with_a_long_name_4 int, column_with_a_long_name_5 int,
    column_with_a_long_name_6 int);
\set VERBOSITY terse
ALTER TABLE fixture ADD COLUMN b int;
CREATE INDEX ON fixture (a);
COMMENT ON TABLE fixture IS 'changed';
GRANT SELECT ON fixture TO PUBLIC;
ALTER TABLE fixture RENAME TO renamed;
DROP TABLE fixture;
CREATE VIEW fixture_view AS SELECT a FROM fixture;
CREATE SCHEMA t22_more;
CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';
-- naming a temporary object does not help a permanent one
DROP TABLE scratch, other_fixture;
GRANT SELECT ON scratch, other_fixture TO PUBLIC;
-- a grant on migrate's own objects alone is about migrate, not refused
-- (the README's deploy grant); one that also names a table is refused
CREATE ROLE regress_t22_deploy;
GRANT EXECUTE ON ALL ROUTINES IN SCHEMA migrate TO regress_t22_deploy;
REVOKE EXECUTE ON ALL ROUTINES IN SCHEMA migrate FROM regress_t22_deploy;
GRANT SELECT ON migrate.status, other_fixture TO regress_t22_deploy;
DROP ROLE regress_t22_deploy;
\set VERBOSITY default
-- routine maintenance is neither refused nor recorded, though from 17 on
-- REINDEX fires event triggers
REINDEX TABLE other_fixture;
REINDEX TABLE scratch;

-- inside a migration it runs, and is recorded with the migration; the
-- down script of a rollback runs in the migration too
SELECT version FROM migrate.apply('0001', 'CREATE TABLE allowed (a int)', 'DROP TABLE allowed');
SELECT version FROM migrate.rollback();
-- and in CALL migrate.run(), also in the background worker that runs a
-- non-transactional migration
SELECT migrate.add('0001.1', 'CREATE TABLE run_made (a int)', 'DROP TABLE run_made');
SELECT migrate.add('0001.2', 'CREATE INDEX CONCURRENTLY fixture_a ON fixture (a)',
                   'DROP INDEX CONCURRENTLY fixture_a', transactional => false);
CALL migrate.run();
SELECT version, state FROM migrate.status;
SELECT command_tag, object_identity, migration, backend_pid = pg_backend_pid() AS this_backend,
       statement
  FROM migrate.ddl_log WHERE migration LIKE '0001%' AND id > :mark ORDER BY id;
CALL migrate.run('zero');

-- temporary objects are exempt
CREATE TEMP TABLE scratch_2 (a int);
CREATE INDEX ON scratch_2 (a);
ALTER TABLE scratch_2 ADD COLUMN b int;
COMMENT ON TABLE scratch_2 IS 'temporary';
CREATE TABLE pg_temp.explicit (a int);
CREATE VIEW implicitly_temporary AS SELECT a FROM scratch_2;
CREATE FUNCTION pg_temp.temp_fn() RETURNS int LANGUAGE sql AS 'SELECT 1';
SET search_path = pg_temp, t22;
CREATE TABLE created_in_pg_temp (a int);
SET search_path = t22, public;
DROP TABLE scratch_2 CASCADE;
DROP TABLE IF EXISTS pg_temp.never_there;
SELECT count(*) AS temporary_tables
  FROM pg_class WHERE relname IN ('explicit', 'created_in_pg_temp') AND relpersistence = 't';
-- but a temporary object that changes a permanent one is not a
-- temporary matter: inheriting from a permanent table adds a child to it,
-- OWNED BY a permanent column makes the table own the sequence
\set VERBOSITY terse
CREATE TEMP TABLE temp_child () INHERITS (fixture);
CREATE TEMP TABLE temp_loner (a int);
ALTER TABLE temp_loner INHERIT fixture;
CREATE TEMP SEQUENCE temp_owned OWNED BY fixture.a;
CREATE TEMP SEQUENCE temp_free;
ALTER SEQUENCE temp_free OWNED BY fixture.a;
\set VERBOSITY default
SELECT count(*) AS children_of_fixture FROM pg_inherits WHERE inhparent = 't22.fixture'::regclass;
-- among temporary tables it stays exempt
CREATE TEMP TABLE temp_parent (a int);
CREATE TEMP TABLE temp_child_of_temp () INHERITS (temp_parent);
ALTER TABLE temp_loner INHERIT temp_parent;
ALTER SEQUENCE temp_free OWNED BY temp_loner.a;
DROP TABLE temp_parent CASCADE;

-- extension scripts and CREATE/ALTER EXTENSION are not refused (and
-- are recorded); DROP EXTENSION of another extension is refused
CREATE EXTENSION tsm_system_rows SCHEMA t22;
\set VERBOSITY terse
DROP EXTENSION tsm_system_rows;
\set VERBOSITY default

-- REFRESH MATERIALIZED VIEW changes data, not the schema
REFRESH MATERIALIZED VIEW fixture_count;

-- session_replication_role = replica does not turn strict mode off
SET session_replication_role = replica;
\set VERBOSITY terse
CREATE TABLE in_replica_mode (a int);
\set VERBOSITY default
RESET session_replication_role;

-- a role that is not a superuser is refused too, cannot turn strict mode
-- off, and applies its DDL as migrations
SET ROLE regress_t22_app;
\set VERBOSITY terse
CREATE TABLE app_table (a int);
\set VERBOSITY default
SET migrate.strict = off;
SELECT version FROM migrate.apply('0002', 'CREATE TABLE t22.app_table (a int)',
                                  'DROP TABLE t22.app_table');
RESET ROLE;

-- a DBA sets it per role (or per database): it holds in the role's
-- sessions from the start
ALTER ROLE regress_t22_app SET migrate.strict = on;
\c - regress_t22_app
SHOW migrate.strict;
\set VERBOSITY terse
CREATE TABLE t22.in_new_session (a int);
\set VERBOSITY default
SET migrate.strict = off;
\c - :superuser
SET client_min_messages = warning;
SET search_path = t22, public;
ALTER ROLE regress_t22_app RESET migrate.strict;

-- a superuser may turn it off in a session, for a hot fix; the DDL is
-- recorded all the same
SET migrate.strict = off;
CREATE TABLE hot_fix (a int);
SET migrate.strict = on;

-- warn: DDL outside a migration runs, with a WARNING, and is recorded;
-- temporary objects stay silent
SET client_min_messages = warning;
SET migrate.strict = warn;
SHOW migrate.strict;
CREATE TABLE warned (a int);
CREATE TEMP TABLE warned_scratch (a int);
SELECT version FROM migrate.apply('0003', 'CREATE TABLE no_warning (a int)', 'DROP TABLE no_warning');
-- the setting takes the boolean spellings too, and nothing else
SET migrate.strict = true;
SHOW migrate.strict;
SET migrate.strict = 'strong';
SET migrate.strict = on;

-- what was recorded: nothing that was refused
SELECT command_tag, object_identity, migration, role = current_user AS by_superuser,
       extension
  FROM migrate.ddl_log WHERE id > :mark ORDER BY id;

-- migrate itself is not refused: dropping and creating the extension
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SELECT count(*) FROM migrate.ddl_log;
RESET migrate.strict;

RESET search_path;
DROP SCHEMA t22 CASCADE;
DROP OWNED BY regress_t22_app;
DROP ROLE regress_t22_app;
