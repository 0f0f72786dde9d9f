-- drift(): the DDL recorded outside migrations that no capture() or
-- dismiss_drift() settled, in order, across deploys.  capture(): that drift as a
-- migration, registered and marked applied without running anything, its
-- down script the inverses where they are known.  prune_ddl_log():
-- retention.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;

-- before any migration, everything recorded outside migrations is drift
CREATE SCHEMA t23;
SET search_path = t23;
-- a description of schema t23, to compare the schema before and after
CREATE SCHEMA t23_util;
CREATE FUNCTION t23_util.schema_of() RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(d, E'\n' ORDER BY d) FROM (
        SELECT c.relkind::text || ' ' || c.relname || ' ('
               || coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
                              FROM pg_attribute a
                             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '')
               || ')'
          FROM pg_class c WHERE c.relnamespace = 't23'::regnamespace
        UNION ALL
        SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid)
          FROM pg_constraint WHERE connamespace = 't23'::regnamespace
        UNION ALL
        SELECT 'index ' || pg_get_indexdef(indexrelid)
          FROM pg_index WHERE indrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 't23'::regnamespace)
        UNION ALL
        SELECT 'view ' || viewname || ' ' || definition FROM pg_views WHERE schemaname = 't23'
        UNION ALL
        SELECT 'function ' || oid::regprocedure || ' ' || prosrc FROM pg_proc WHERE pronamespace = 't23'::regnamespace
        UNION ALL
        SELECT 'type ' || typname || ' ' || typtype::text FROM pg_type
         WHERE typnamespace = 't23'::regnamespace AND typtype IN ('e', 'd')
        UNION ALL
        SELECT 'trigger ' || pg_get_triggerdef(oid) FROM pg_trigger
         WHERE NOT tgisinternal
           AND tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 't23'::regnamespace)
        UNION ALL
        SELECT 'schema ' || nspname FROM pg_namespace WHERE nspname LIKE 't23%') s(d)
$$;

SELECT command_tag, object_identity FROM migrate.drift();

-- applying a migration does not settle the drift: it stays until it is
-- captured or dismissed, and a deploy over it warns (0.1.0 dropped it
-- from drift() at the next deploy)
SELECT version FROM migrate.apply('0001', 'CREATE TABLE t23.base (id int PRIMARY KEY)',
                                  'DROP TABLE t23.base');
SELECT count(*) AS drift FROM migrate.drift();
SELECT migrate.add('0001.5', 'SELECT 1');
SELECT version FROM migrate.latest();
SELECT count(*) AS drift FROM migrate.drift();
-- dismissing acknowledges it, with a reason, and only what is drift
SELECT migrate.dismiss_drift('');
SELECT migrate.dismiss_drift(NULL);
SELECT migrate.dismiss_drift('setup', through_id => (SELECT max(id) + 1000 FROM migrate.ddl_log));
SELECT migrate.dismiss_drift('setup', through_id => (SELECT min(id) FROM migrate.drift()));
SELECT count(*) AS drift FROM migrate.drift();
SELECT migrate.dismiss_drift('the helper of this test is not the schema under test');
SELECT count(*) AS drift FROM migrate.drift();
SELECT migrate.dismiss_drift('nothing left');
-- DDL about an extension's own objects alone (migrate's functions granted
-- to an application role, as the README's recipe does) is recorded with
-- that extension and is not drift: it is not the application's schema
SELECT max(id) AS last_id FROM migrate.ddl_log \gset
CREATE ROLE regress_t23_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA migrate TO regress_t23_app;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA migrate FROM regress_t23_app;
GRANT SELECT ON migrate.status TO regress_t23_app;
SELECT command_tag, extension, in_extension FROM migrate.ddl_log WHERE id > :last_id ORDER BY id;
SELECT count(*) AS drift FROM migrate.drift();
REVOKE SELECT ON migrate.status FROM regress_t23_app;
DROP ROLE regress_t23_app;
SELECT through_id IS NOT NULL AS through, action, version, reason, settled_by = current_user AS by_me
  FROM migrate.drift_settled ORDER BY through_id;
SELECT t23_util.schema_of() AS before_drift \gset

-- changes made behind migrate's back
CREATE TABLE notes (id int PRIMARY KEY, body text);
ALTER TABLE notes ADD COLUMN created_at timestamptz,
    ADD CONSTRAINT notes_body_check CHECK (body <> '');
CREATE INDEX notes_created ON notes (created_at);
CREATE VIEW recent AS SELECT id, body FROM notes;
CREATE OR REPLACE VIEW recent AS SELECT id, body, created_at FROM notes;
CREATE FUNCTION note_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM t23.notes';
CREATE OR REPLACE FUNCTION note_count() RETURNS bigint LANGUAGE sql
    AS 'SELECT count(*) + 0 FROM t23.notes';
CREATE SEQUENCE note_numbers;
CREATE TYPE note_kind AS ENUM ('memo', 'todo');
CREATE DOMAIN short_text AS text CHECK (length(VALUE) < 100);
ALTER TABLE notes RENAME COLUMN body TO content;
ALTER TABLE base RENAME TO base_table;
ALTER INDEX notes_created RENAME TO notes_created_idx;
CREATE TEMP TABLE not_drift (a int);
DROP TABLE IF EXISTS nothing_here;
SELECT command_tag, object_type, object_identity, statement FROM migrate.drift();
SELECT t23_util.schema_of() AS after_drift \gset

-- capture: the statements in order up, their inverses in reverse order
-- down; nothing runs
SET client_min_messages = notice;
SELECT version, name, statements, up, down FROM migrate.capture('0002', 'captured drift');
SET client_min_messages = warning;
SELECT count(*) AS drift FROM migrate.drift();
SELECT version, name, state, batch, reversible, transactional FROM migrate.status;
SELECT version, action, batch FROM migrate.history ORDER BY id;
SELECT t23_util.schema_of() = :'after_drift' AS nothing_ran;

-- the round trip: rolling back runs the down script, which restores the
-- schema as it was before the drift; applying again runs the up script
SELECT version FROM migrate.rollback();
SELECT t23_util.schema_of() = :'before_drift' AS down_restores;
SELECT version FROM migrate.latest();
SELECT t23_util.schema_of() = :'after_drift' AS up_remakes;
-- that DDL ran in migration 0002 and is not drift
SELECT count(*) AS drift FROM migrate.drift();
SELECT DISTINCT migration FROM migrate.ddl_log
 WHERE id > (SELECT min(id) FROM migrate.ddl_log WHERE command_tag = 'DROP TABLE'
               AND statement = 'DROP TABLE IF EXISTS nothing_here')
 ORDER BY 1;

-- drops of indexes, views, functions, triggers and constraints are
-- inverted with the definitions kept before the drop
CREATE TRIGGER notes_same BEFORE UPDATE ON notes
    FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
SELECT version FROM migrate.apply('0003', 'SELECT 1 -- not a checkpoint any more');
SELECT migrate.dismiss_drift('the trigger is the set-up of the drops below');
SELECT t23_util.schema_of() AS before_drops \gset
DROP INDEX notes_created_idx;
DROP VIEW recent;
DROP FUNCTION note_count();
DROP TRIGGER notes_same ON notes;
ALTER TABLE notes DROP CONSTRAINT notes_body_check;
ALTER DOMAIN short_text DROP CONSTRAINT short_text_check;
SELECT t23_util.schema_of() AS after_drops \gset
SET client_min_messages = notice;
SELECT version, statements, down FROM migrate.capture('0004');
SET client_min_messages = warning;
SELECT version FROM migrate.rollback();
SELECT t23_util.schema_of() = :'before_drops' AS down_recreates;
SELECT version FROM migrate.latest();
SELECT t23_util.schema_of() = :'after_drops' AS up_drops_again;

-- where no inverse is known, the down script and a NOTICE say so
CREATE TABLE extra (a int);
COMMENT ON TABLE notes IS 'notes of the team';
ALTER TABLE notes ALTER COLUMN content SET NOT NULL;
ALTER TABLE notes ADD CHECK (id > 0);
DROP SEQUENCE note_numbers;
CREATE TABLE IF NOT EXISTS extra (a int);
SET client_min_messages = notice;
SELECT version, statements, down FROM migrate.capture('0005');
SET client_min_messages = warning;
SELECT reversible FROM migrate.status WHERE version = '0005';

-- more inverses: a replaced trigger, renamed functions and schemas, a
-- schema created with elements
SELECT t23_util.schema_of() AS before_more \gset
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER notes_touch BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION touch();
CREATE OR REPLACE TRIGGER notes_touch BEFORE UPDATE ON notes
    FOR EACH ROW EXECUTE FUNCTION touch();
ALTER FUNCTION touch() RENAME TO touch_row;
CREATE SCHEMA t23_extra CREATE TABLE kept (a int) CREATE VIEW kept_view AS SELECT a FROM kept;
ALTER SCHEMA t23_extra RENAME TO t23_more;
SELECT t23_util.schema_of() AS after_more \gset
SELECT version, statements, down FROM migrate.capture('0005.1');
SELECT version FROM migrate.rollback();
SELECT t23_util.schema_of() = :'before_more' AS down_restores;
SELECT version FROM migrate.latest();
SELECT t23_util.schema_of() = :'after_more' AS up_remakes;

-- a statement with no known inverse makes the migration irreversible:
-- its down script names the statement, and a rollback refuses it
GRANT SELECT ON notes TO PUBLIC;
ALTER TABLE notes DROP COLUMN created_at;
SET client_min_messages = notice;
SELECT version, statements, down FROM migrate.capture('0006');
SET client_min_messages = warning;
SELECT reversible FROM migrate.status WHERE version = '0006';

-- a statement that cannot run in a transaction block makes the captured
-- migration non-transactional
CREATE INDEX CONCURRENTLY notes_content ON notes (content);
SELECT version, up FROM migrate.capture('0007');
SELECT transactional FROM migrate.status WHERE version = '0007';

-- bad calls: an error, and nothing captured
\set VERBOSITY terse
SELECT * FROM migrate.capture(NULL);
SELECT * FROM migrate.capture('not a version');
CREATE TABLE more_drift (a int);
SELECT * FROM migrate.capture('0002');
SELECT migrate.add('0008', 'SELECT 1');
SELECT * FROM migrate.capture('0008');
\set VERBOSITY default
SELECT count(*) AS still_drift FROM migrate.drift();
SELECT version FROM migrate.capture('0009');
\set VERBOSITY terse
SELECT * FROM migrate.capture('0010');
\set VERBOSITY default

-- retention: prune_ddl_log() deletes old rows, but keeps the drift unless
-- told otherwise
CREATE TABLE drift_to_keep (a int);
SELECT migrate.prune_ddl_log('1 hour');
SELECT migrate.prune_ddl_log('0 seconds') > 0 AS pruned;
SELECT command_tag, object_identity FROM migrate.ddl_log ORDER BY id;
SELECT migrate.prune_ddl_log('0 seconds', keep_drift => false) AS pruned;
SELECT count(*) FROM migrate.ddl_log;
-- every prune is recorded, with who and the arguments
SELECT role = current_user AS by_me, older_than, keep_drift, rows_removed > 0 AS removed
  FROM migrate.ddl_log_prunes ORDER BY id;
\set VERBOSITY terse
SELECT migrate.prune_ddl_log(NULL);
SELECT migrate.prune_ddl_log('-1 day');
SELECT migrate.prune_ddl_log('1 day', NULL);
\set VERBOSITY default

RESET search_path;
DROP SCHEMA t23, t23_util CASCADE;
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
