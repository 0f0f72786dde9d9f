-- DDL history records each statement's own text: not the whole string
-- the client sent, and for DDL run by functions, DO blocks, procedures,
-- extension scripts and migrations, the statement that actually ran.
-- (Sessions that load migrate only when their first DDL fires its event
-- trigger are tested in test/t/011_ddl_preload.pl.)
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE SCHEMA t21;
SET search_path = t21, public;
CREATE FUNCTION t21.log_since(mark bigint)
RETURNS TABLE (command_tag text, object_identity text, top_level boolean,
               migration text, extension text, statement text)
LANGUAGE sql AS $$
    SELECT command_tag, object_identity, top_level, migration, extension, statement
      FROM migrate.ddl_log WHERE id > mark ORDER BY id
$$;

-- several statements in one query string (psql sends the \; separated
-- statements as one string), with comments and blanks around them
SELECT coalesce(max(id), 0) AS mark FROM migrate.ddl_log \gset
CREATE TABLE first_one (a int) \; SELECT 1 AS not_ddl \; /* a comment */  CREATE TABLE second_one (b int)  -- trailing comment
\; CREATE INDEX ON second_one (b) \; COMMENT ON TABLE second_one IS 'a; b' \; CREATE TABLE "semi;colon" (c int);
SELECT * FROM log_since(:mark);

-- a DO block: each statement, static or dynamic, with its own text
SELECT coalesce(max(id), 0) AS mark FROM migrate.ddl_log \gset
DO $$
DECLARE
    n int := 2;
BEGIN
    CREATE TABLE from_do (a int);
    FOR i IN 1..n LOOP
        EXECUTE format('CREATE TABLE %I (id int)', 'from_do_' || i);
    END LOOP;
    EXECUTE 'ALTER TABLE from_do ADD COLUMN b text';
END
$$;
SELECT * FROM log_since(:mark);

-- functions in PL/pgSQL and SQL, and a procedure that commits between
-- its statements
CREATE FUNCTION make_table(name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TABLE %I (id int)', name);
    CREATE INDEX ON from_do (a);
END
$$;
CREATE FUNCTION make_view() RETURNS void LANGUAGE sql AS $$
    CREATE VIEW from_sql_function AS SELECT 1 AS one;
    COMMENT ON VIEW from_sql_function IS 'made by a SQL function';
$$;
CREATE PROCEDURE make_two() LANGUAGE plpgsql AS $$
BEGIN
    CREATE TABLE from_procedure_1 (a int);
    COMMIT;
    CREATE TABLE from_procedure_2 (a int);
END
$$;
SELECT coalesce(max(id), 0) AS mark FROM migrate.ddl_log \gset
SELECT make_table('from_function');
SELECT make_view();
CALL make_two();
SELECT * FROM log_since(:mark);
SELECT count(DISTINCT txid) AS procedure_transactions
  FROM migrate.ddl_log WHERE id > :mark AND object_identity LIKE 't21.from_procedure_%';

-- DDL inside DDL: CREATE TABLE AS runs a function that creates a table;
-- each statement gets its own rows
CREATE FUNCTION make_inner() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    CREATE TABLE inner_table (id int);
    RETURN 1;
END
$$;
SELECT coalesce(max(id), 0) AS mark FROM migrate.ddl_log \gset
CREATE TABLE outer_table AS SELECT make_inner() AS made;
SELECT * FROM log_since(:mark);

-- a failed statement caught by an exception handler, then more DDL
SELECT coalesce(max(id), 0) AS mark FROM migrate.ddl_log \gset
DO $$
BEGIN
    BEGIN
        CREATE TABLE from_do (a int);
    EXCEPTION WHEN duplicate_table THEN
        CREATE TABLE after_failure (a int);
    END;
    CREATE TABLE after_block (a int);
END
$$;
SELECT * FROM log_since(:mark);

-- an extension script's statements, with the extension's name; the
-- CREATE EXTENSION statement itself was sent by the client
SELECT coalesce(max(id), 0) AS mark FROM migrate.ddl_log \gset
CREATE EXTENSION tsm_system_rows SCHEMA t21;
DROP EXTENSION tsm_system_rows;
SELECT command_tag, object_identity, top_level, extension,
       regexp_replace(statement, E'\\s+', ' ', 'g') AS statement
  FROM log_since(:mark);
SELECT bool_and(in_extension = (extension IS NOT NULL)) AS in_extension_matches
  FROM migrate.ddl_log;

-- statements run by a migration: each with its text and the migration
SELECT coalesce(max(id), 0) AS mark FROM migrate.ddl_log \gset
SELECT version, statements FROM migrate.apply('0001', $up$
CREATE TABLE migrated (id int PRIMARY KEY);
-- a comment between the statements
ALTER TABLE migrated ADD COLUMN note text;
DO $do$ BEGIN EXECUTE 'CREATE INDEX migrated_note ON migrated (note)'; END $do$;
$up$, $down$DROP TABLE migrated$down$);
SELECT * FROM log_since(:mark);
SELECT version FROM migrate.rollback();
SELECT command_tag, object_identity, migration, statement
  FROM log_since(:mark) WHERE command_tag = 'DROP TABLE';

RESET search_path;
DROP SCHEMA t21 CASCADE;
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
