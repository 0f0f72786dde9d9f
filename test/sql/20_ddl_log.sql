-- DDL history: every DDL command is recorded in migrate.ddl_log, one row
-- per command: the statement's own text, who ran it and when, and the
-- objects it created, altered or dropped (drops with the dropped objects'
-- identities); temporary objects not at all.  The DDL itself behaves as
-- without migrate.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;

-- the extension's own installation is not in the log
SELECT count(*) FROM migrate.ddl_log;

CREATE SCHEMA t20;
SET search_path = t20, public;
CREATE FUNCTION t20.log_since(mark bigint)
RETURNS TABLE (command_tag text, object_type text, object_identity text,
               objects text, statement text)
LANGUAGE sql AS $$
    SELECT l.command_tag, l.object_type, l.object_identity,
           (SELECT string_agg(CASE WHEN (e.o->>'dropped')::boolean THEN 'dropped ' ELSE '' END
                              || (e.o->>'object_type')
                              || coalesce(' ' || (e.o->>'object_identity'), '')
                              || CASE WHEN (e.o->>'cascaded')::boolean THEN ' (cascade)' ELSE '' END,
                              ', ' ORDER BY e.n)
              FROM jsonb_array_elements(l.objects) WITH ORDINALITY AS e(o, n)),
           l.statement
      FROM migrate.ddl_log l WHERE l.id > mark ORDER BY l.id
$$;
SELECT command_tag, object_type, object_identity, statement
  FROM migrate.ddl_log ORDER BY id;

-- one row per statement, with every object it created, in the order
-- PostgreSQL reports them, and the one it is about
SELECT coalesce(max(id), 0) AS mark FROM migrate.ddl_log \gset
SELECT clock_timestamp() AS before \gset
CREATE TABLE accounts (id bigserial PRIMARY KEY, email text NOT NULL);
SELECT * FROM log_since(:mark);
SELECT count(*) AS rows, max(jsonb_array_length(objects)) AS objects,
       bool_and(role = current_user) AS role,
       bool_and(session_role = session_user) AS session_role,
       bool_and(at BETWEEN :'before' AND clock_timestamp()) AS at,
       bool_and(backend_pid = pg_backend_pid()) AS backend_pid,
       bool_and(application_name = current_setting('application_name')) AS application_name,
       bool_and(client_addr IS NOT DISTINCT FROM inet_client_addr()) AS client_addr,
       bool_and(migration IS NULL) AS outside_migrations,
       bool_and(NOT in_extension AND extension IS NULL) AS not_in_extension,
       bool_and(top_level) AS sent_by_client
  FROM migrate.ddl_log WHERE id > :mark;
-- txid is the transaction the DDL ran in
BEGIN;
SELECT coalesce(max(id), 0) AS mark FROM migrate.ddl_log \gset
CREATE TABLE same_transaction (a int);
SELECT txid = pg_current_xact_id() AS same_txid FROM migrate.ddl_log WHERE id > :mark;
COMMIT;

-- many kinds of DDL
SELECT coalesce(max(id), 0) AS mark FROM migrate.ddl_log \gset
CREATE INDEX accounts_email ON accounts (email);
ALTER TABLE accounts ADD COLUMN name text,
    ADD CONSTRAINT accounts_name_check CHECK (name <> '');
ALTER TABLE accounts ALTER COLUMN name SET DEFAULT 'nobody';
ALTER TABLE accounts RENAME COLUMN name TO full_name;
ALTER TABLE accounts RENAME CONSTRAINT accounts_name_check TO accounts_full_name_check;
ALTER INDEX accounts_email RENAME TO accounts_email_idx;
CREATE VIEW active AS SELECT id, email FROM accounts;
CREATE OR REPLACE VIEW active AS SELECT id, email, full_name FROM accounts;
CREATE MATERIALIZED VIEW counts AS SELECT count(*) AS n FROM accounts;
CREATE SEQUENCE tickets;
ALTER SEQUENCE tickets RESTART WITH 100;
CREATE TYPE mood AS ENUM ('ok', 'meh');
ALTER TYPE mood ADD VALUE 'great';
CREATE TYPE pair AS (a int, b int);
CREATE DOMAIN positive AS int CHECK (VALUE > 0);
CREATE FUNCTION add_one(i int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT i + 1';
CREATE PROCEDURE touch() LANGUAGE sql AS 'SELECT 1';
CREATE AGGREGATE total(int) (sfunc = int4pl, stype = int);
CREATE OPERATOR === (leftarg = int, rightarg = int, function = int4eq);
CREATE TRIGGER accounts_same BEFORE UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY everyone ON accounts USING (true);
CREATE RULE keep_active AS ON DELETE TO active DO INSTEAD NOTHING;
CREATE STATISTICS accounts_stats ON id, email FROM accounts;
SET client_min_messages = error;	-- the wal_level warning depends on the server
CREATE PUBLICATION t20_pub FOR TABLE accounts;
SET client_min_messages = warning;
COMMENT ON TABLE accounts IS 'who has an account';
COMMENT ON COLUMN accounts.email IS 'where to write';
GRANT SELECT ON accounts TO PUBLIC;
REVOKE SELECT ON accounts FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA t20 GRANT SELECT ON TABLES TO PUBLIC;
CREATE FOREIGN DATA WRAPPER t20_fdw;
CREATE SERVER t20_server FOREIGN DATA WRAPPER t20_fdw;
CREATE TEXT SEARCH CONFIGURATION t20_search (COPY = simple);
CREATE COLLATION t20_collation FROM "C";
CREATE CAST (pair AS text) WITH INOUT;
ALTER FUNCTION add_one(int) RENAME TO plus_one;
ALTER TABLE accounts SET (fillfactor = 90);
SELECT * FROM log_since(:mark);
-- REFRESH MATERIALIZED VIEW changes data, not the schema: not recorded
SELECT coalesce(max(id), 0) AS mark FROM migrate.ddl_log \gset
REFRESH MATERIALIZED VIEW counts;
SELECT count(*) FROM migrate.ddl_log WHERE id > :mark;

-- CREATE SCHEMA with elements is one command: one row, with every object
SELECT coalesce(max(id), 0) AS mark FROM migrate.ddl_log \gset
CREATE SCHEMA t20_app
    CREATE TABLE items (id int PRIMARY KEY, label text)
    CREATE VIEW labels AS SELECT label FROM items
    CREATE INDEX items_label ON items (label);
SELECT * FROM log_since(:mark);

-- a statement that changes nothing is recorded without an object
SELECT coalesce(max(id), 0) AS mark FROM migrate.ddl_log \gset
CREATE TABLE IF NOT EXISTS accounts (id int);
DROP TABLE IF EXISTS no_such_table;
ALTER TABLE IF EXISTS no_such_table ADD COLUMN a int;
CREATE SCHEMA IF NOT EXISTS t20;
SELECT * FROM log_since(:mark);

-- drops: the objects named, and those dropped with them by CASCADE
-- (marked), not the parts of an object (row types, indexes of a dropped
-- table, defaults); the definitions of indexes, views, functions,
-- triggers and constraints are kept with them
SELECT coalesce(max(id), 0) AS mark FROM migrate.ddl_log \gset
DROP INDEX accounts_email_idx;
DROP FUNCTION plus_one(int);
DROP TRIGGER accounts_same ON accounts;
DROP RULE keep_active ON active;
DROP VIEW active;
ALTER TABLE accounts DROP CONSTRAINT accounts_full_name_check, DROP COLUMN full_name;
DROP TABLE accounts CASCADE;
DROP SCHEMA t20_app CASCADE;
SELECT * FROM log_since(:mark);
SELECT o->>'object_type' AS object_type, o->>'object_identity' AS object_identity,
       o->>'definition' AS definition
  FROM migrate.ddl_log, jsonb_array_elements(objects) WITH ORDINALITY AS e(o, n)
 WHERE id > :mark AND o ? 'definition' ORDER BY id, n;

-- temporary objects are not recorded, whatever makes them temporary
SELECT coalesce(max(id), 0) AS mark FROM migrate.ddl_log \gset
CREATE TEMP TABLE scratch (a int);
CREATE INDEX ON scratch (a);
ALTER TABLE scratch ADD COLUMN b int;
COMMENT ON TABLE scratch IS 'temporary';
GRANT SELECT ON scratch TO PUBLIC;
CREATE TRIGGER scratch_same BEFORE UPDATE ON scratch
    FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
CREATE POLICY scratch_all ON scratch USING (true);
CREATE TEMP VIEW scratch_view AS SELECT a FROM scratch;
CREATE VIEW implicitly_temporary AS SELECT b FROM scratch;
CREATE TABLE pg_temp.explicit (a int);
CREATE TEMP SEQUENCE scratch_seq;
CREATE FUNCTION pg_temp.scratch_fn() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE TYPE pg_temp.scratch_type AS (a int);
DROP TABLE IF EXISTS pg_temp.never_there;
DROP FUNCTION pg_temp.scratch_fn();
DROP TABLE scratch CASCADE;
DISCARD TEMP;
SELECT count(*) AS temporary_rows FROM migrate.ddl_log WHERE id > :mark;

-- session_replication_role = replica does not skip the event triggers
SELECT coalesce(max(id), 0) AS mark FROM migrate.ddl_log \gset
SET session_replication_role = replica;
CREATE TABLE replica_made (a int);
RESET session_replication_role;
SELECT * FROM log_since(:mark);
SELECT evtname, evtenabled FROM pg_event_trigger
 WHERE evtname LIKE 'migrate%' ORDER BY 1;

-- DDL that fails fails as it would without migrate, and leaves no row
SELECT coalesce(max(id), 0) AS mark FROM migrate.ddl_log \gset
\set VERBOSITY terse
CREATE TABLE replica_made (a int);
CREATE INDEX ON no_such_table (a);
ALTER TABLE replica_made ADD COLUMN a int;
DROP TABLE no_such_table;
BEGIN READ ONLY;
CREATE TABLE read_only (a int);
ROLLBACK;
BEGIN;
CREATE TABLE rolled_back (a int);
ROLLBACK;
\set VERBOSITY default
SELECT count(*) AS rows_of_failed_ddl FROM migrate.ddl_log WHERE id > :mark;

-- a row appended directly, without the executor, equals the row the
-- executor inserts (a trigger on the table makes the event triggers insert
-- through SQL): the same datums, nulls and types
CREATE TABLE t20.same_row (a int);
DROP TABLE t20.same_row;
CREATE TABLE t20.same_row (a int);
SELECT max(id) AS direct FROM migrate.ddl_log \gset
DROP TABLE t20.same_row;
CREATE FUNCTION t20.keep_row() RETURNS trigger LANGUAGE plpgsql AS
    $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER keep_row BEFORE INSERT ON migrate.ddl_log
    FOR EACH ROW EXECUTE FUNCTION t20.keep_row();
CREATE TABLE t20.same_row (a int);
SELECT max(id) AS through_sql FROM migrate.ddl_log \gset
DROP TRIGGER keep_row ON migrate.ddl_log;
SELECT d.key AS differing_column, d.value AS direct, s.value AS through_sql
  FROM jsonb_each(to_jsonb((SELECT l FROM migrate.ddl_log l WHERE id = :direct))) d
  JOIN jsonb_each(to_jsonb((SELECT l FROM migrate.ddl_log l WHERE id = :through_sql))) s
       USING (key)
 WHERE d.value IS DISTINCT FROM s.value AND d.key NOT IN ('id', 'at', 'txid');
SELECT statement, object_identity, jsonb_array_length(objects) AS objects
  FROM migrate.ddl_log WHERE id IN (:direct, :through_sql) ORDER BY id;
DROP TABLE t20.same_row;
DROP FUNCTION t20.keep_row();

-- the triggers' functions are not to be called directly
SELECT migrate.ddl_command_end();
SELECT migrate.ddl_command_start();

RESET search_path;
DROP SCHEMA t20 CASCADE;
DROP FOREIGN DATA WRAPPER t20_fdw CASCADE;
DROP PUBLICATION IF EXISTS t20_pub;
DROP CAST IF EXISTS (t20.pair AS text);
