-- migrate.schema(): the DDL of schemas with every kind of object it
-- writes (test/fixtures/schema.sql), and the round trip: after the
-- objects are dropped, that DDL run as a migration gives the same DDL.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE ROLE regress_schema_reader;
CREATE ROLE regress_schema_writer;
\i test/fixtures/schema.sql

-- the DDL, as it is
\pset format unaligned
\pset tuples_only on
SELECT migrate.schema(ARRAY['t30 Shop', 't30_ref', 't30_ext']);
\pset format aligned
\pset tuples_only off

-- the same text on every call
CREATE TEMP TABLE t30_ddl AS
SELECT migrate.schema(ARRAY['t30 Shop', 't30_ref', 't30_ext']) AS ddl;
SELECT migrate.schema(ARRAY['t30 Shop', 't30_ref', 't30_ext']) = ddl AS same_text
  FROM t30_ddl;

-- the order of the names asked for does not matter
SELECT migrate.schema(ARRAY['t30_ext', 't30_ref', 't30 Shop']) = ddl AS same_text
  FROM t30_ddl;

-- only the schemas asked for: no CREATE EXTENSION for another schema
SELECT migrate.schema(ARRAY['t30_ref']) LIKE '%CREATE EXTENSION%' AS has_extension,
       migrate.schema(ARRAY['t30_ref']) LIKE '%t30 Shop%' AS has_shop;

-- drop everything, run the DDL as a migration, and dump again
DROP SCHEMA "t30 Shop", t30_ref, t30_ext CASCADE;
SELECT count(*) AS objects_left FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN ('t30 Shop', 't30_ref', 't30_ext');
SELECT version, name, statements
  FROM migrate.apply('0001', (SELECT ddl FROM t30_ddl), name => 'schema');
SELECT migrate.schema(ARRAY['t30 Shop', 't30_ref', 't30_ext']) = ddl AS round_trip
  FROM t30_ddl;
-- the lines that differ, if any
SELECT n, a.line AS before, b.line AS after
  FROM regexp_split_to_table((SELECT ddl FROM t30_ddl), E'\n') WITH ORDINALITY a(line, n)
  FULL JOIN regexp_split_to_table(migrate.schema(ARRAY['t30 Shop', 't30_ref', 't30_ext']), E'\n')
            WITH ORDINALITY b(line, n) USING (n)
 WHERE a.line IS DISTINCT FROM b.line;

-- the objects work: defaults, identity, generated columns, the domain
INSERT INTO "t30 Shop".customers (email, name) VALUES ('a@example.com', 'Ann');
SELECT id, region, mood FROM "t30 Shop".customers;
INSERT INTO t30_ref.groups (code) VALUES ('g');
INSERT INTO "t30 Shop"."order" (customer_id, "Group", amount) VALUES (1000, 'g', 50);
SELECT "select", amount, tax FROM "t30 Shop"."order";
SELECT "t30 Shop".count_orders(), "t30 Shop".customer_count();
INSERT INTO "t30 Shop"."order" (customer_id, amount) VALUES (1000, -1);

-- the check_function_bodies setting of the DDL ends with it
SHOW check_function_bodies;

DROP SCHEMA "t30 Shop", t30_ref, t30_ext CASCADE;
DROP ROLE regress_schema_reader;
DROP ROLE regress_schema_writer;
