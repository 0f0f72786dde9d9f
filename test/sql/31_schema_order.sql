-- migrate.schema(): dependency order, what is left out, settings that
-- must not change the text, privileges and bad arguments.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE SCHEMA t31;

-- names that sort against the dependencies: a view on a view, functions
-- used in a default, a generated column, a CHECK constraint, a domain and
-- a view, a SQL function that reads a table created after it, and two
-- tables that reference each other
CREATE FUNCTION t31.z_next_code() RETURNS text LANGUAGE plpgsql
    AS $$BEGIN RETURN 'c' || floor(random() * 1000)::int; END$$;
CREATE FUNCTION t31.z_double(x numeric) RETURNS numeric LANGUAGE sql IMMUTABLE
    BEGIN ATOMIC SELECT x * 2; END;
CREATE FUNCTION t31.z_is_even(x integer) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS 'SELECT x % 2 = 0';
CREATE DOMAIN t31.a_even AS integer CHECK (t31.z_is_even(VALUE));
-- a NOT VALID constraint with a line break in it
ALTER DOMAIN t31.a_even ADD CONSTRAINT not_odd_lines CHECK (VALUE::text <> E'1\n3') NOT VALID;
CREATE TABLE t31.m_items (
    id integer PRIMARY KEY,
    code text DEFAULT t31.z_next_code(),
    price numeric,
    doubled numeric GENERATED ALWAYS AS (t31.z_double(price)) STORED,
    pair t31.a_even,
    other_id integer,
    CONSTRAINT price_even CHECK (t31.z_is_even(price::integer))
);
CREATE TABLE t31.b_others (id integer PRIMARY KEY, item_id integer REFERENCES t31.m_items);
ALTER TABLE t31.m_items ADD FOREIGN KEY (other_id) REFERENCES t31.b_others;
CREATE FUNCTION t31.a_count() RETURNS bigint LANGUAGE sql STABLE
    AS 'SELECT count(*) FROM t31.m_items';
CREATE VIEW t31.z_base AS SELECT id, price FROM t31.m_items;
CREATE VIEW t31.m_middle AS SELECT id, t31.z_double(price) AS d FROM t31.z_base;
CREATE VIEW t31.a_top AS SELECT id, d, t31.a_count() AS n FROM t31.m_middle;
-- a view column with a default, a column with options
ALTER VIEW t31.z_base ALTER COLUMN price SET DEFAULT 0;
ALTER TABLE t31.m_items ALTER COLUMN code SET (n_distinct = -0.5);

-- constants print the same whatever the session settings
CREATE TABLE t31.settings (
    at timestamptz DEFAULT '2024-03-01 12:30:00+00',
    d date DEFAULT '2024-01-31',
    f double precision DEFAULT 0.1,
    i interval DEFAULT '1 day 02:00:00',
    b bytea DEFAULT '\x00ff'
);

-- left out: temporary objects, members of extensions (the extension
-- itself appears), and objects of schema migrate
CREATE TEMP TABLE t31_temp (id integer);
CREATE EXTENSION citext WITH SCHEMA t31;
CREATE TABLE migrate.t31_extra (id integer);

\pset format unaligned
\pset tuples_only on
SELECT migrate.schema(ARRAY['t31']);
\pset format aligned
\pset tuples_only off

SELECT migrate.schema() LIKE '%t31_extra%' AS has_migrate_table,
       migrate.schema() LIKE '%t31_temp%' AS has_temp_table,
       migrate.schema() LIKE '%citext_eq%' AS has_extension_member;
DROP TABLE migrate.t31_extra;

CREATE TEMP TABLE t31_ddl AS SELECT migrate.schema(ARRAY['t31']) AS ddl;
SET search_path = t31, public;
SET DateStyle = 'SQL, DMY';
SET IntervalStyle = 'iso_8601';
SET TimeZone = 'Asia/Tokyo';
SET extra_float_digits = -3;
SET bytea_output = 'escape';
SET quote_all_identifiers = on;
SELECT migrate.schema(ARRAY['t31']) = ddl AS same_text FROM t31_ddl;
SHOW search_path;
SHOW DateStyle;
RESET ALL;
SET client_min_messages = warning;

-- the text loads and gives itself back
DROP SCHEMA t31 CASCADE;
SELECT version, statements FROM migrate.apply('0001', (SELECT ddl FROM t31_ddl));
SELECT migrate.schema(ARRAY['t31']) = ddl AS round_trip FROM t31_ddl;
INSERT INTO t31.m_items (id, price, pair) VALUES (1, 4, 2);
SELECT id, code LIKE 'c%' AS has_code, doubled FROM t31.m_items;

-- a dependency loop: the default calls a function that takes the table's
-- row type; it is reported and the objects are written in default order
CREATE SCHEMA t31_loop;
CREATE TABLE t31_loop.t (a integer);
CREATE FUNCTION t31_loop.f(t31_loop.t) RETURNS integer LANGUAGE sql AS 'SELECT 1';
ALTER TABLE t31_loop.t ALTER COLUMN a SET DEFAULT t31_loop.f(NULL::t31_loop.t);
\pset format unaligned
\pset tuples_only on
SELECT migrate.schema(ARRAY['t31_loop']);
\pset format aligned
\pset tuples_only off

-- objects of kinds schema() does not write are reported
CREATE SCHEMA t31_other;
CREATE COLLATION t31_other.c2 FROM "C";
CREATE FUNCTION t31_other.eq(integer, integer) RETURNS boolean LANGUAGE sql
    AS 'SELECT $1 = $2';
CREATE OPERATOR t31_other.=== (LEFTARG = integer, RIGHTARG = integer,
                               FUNCTION = t31_other.eq);
CREATE TYPE t31_other.pair AS (a integer, b integer);
CREATE TABLE t31_other.typed OF t31_other.pair;
SELECT length(migrate.schema(ARRAY['t31_other'])) > 0 AS dumped;

-- an empty schema, and a schema list that names no object
CREATE SCHEMA "t31 Empty";
SELECT migrate.schema(ARRAY['t31 Empty']);

-- any role may call schema(), not baseline() or export()
CREATE ROLE regress_t31;
SELECT has_function_privilege('regress_t31', 'migrate.schema(text[])', 'EXECUTE') AS schema,
       has_function_privilege('regress_t31', 'migrate.baseline(text, text)', 'EXECUTE') AS baseline,
       has_function_privilege('regress_t31', 'migrate.export(text, text)', 'EXECUTE') AS export,
       has_function_privilege('regress_t31', 'migrate.export_all(text, boolean)', 'EXECUTE') AS export_all,
       has_function_privilege('regress_t31', 'migrate.export_seed(text, text)', 'EXECUTE') AS export_seed;
SET ROLE regress_t31;
SELECT migrate.schema(ARRAY['t31 Empty']) = E'CREATE SCHEMA "t31 Empty";\n' AS same_text;
RESET ROLE;
DROP ROLE regress_t31;

-- bad arguments
SELECT migrate.schema('{}');
SELECT migrate.schema(ARRAY[NULL]);
SELECT migrate.schema(ARRAY['t31', NULL]);
SELECT migrate.schema(ARRAY['no_such_schema']);
SELECT migrate.schema(ARRAY['T31']);
SELECT migrate.schema(ARRAY['pg_catalog']);
SELECT migrate.schema(ARRAY['migrate']);
SELECT migrate.schema(ARRAY['information_schema']);

DROP SCHEMA t31, t31_loop, t31_other, "t31 Empty" CASCADE;
