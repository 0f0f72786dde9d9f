-- The extension's objects, their privileges and their documentation.
-- (pg_regress creates the extension before the first test.)

-- everything lives in schema migrate, and the extension owns it
SELECT n.nspname, e.extrelocatable, e.extversion
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname = 'migrate';

-- the tables and the history's sequence are dumped by pg_dump
SELECT c.relname
  FROM pg_extension e, unnest(e.extconfig) AS cfg(oid)
  JOIN pg_class c ON c.oid = cfg.oid
 WHERE e.extname = 'migrate'
 ORDER BY 1;

-- no table is readable or writable by PUBLIC; the status view is readable
SELECT c.relname, c.relkind,
       has_table_privilege('public', c.oid, 'SELECT') AS public_select,
       has_table_privilege('public', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE') AS public_write
  FROM pg_class c
 WHERE c.relnamespace = 'migrate'::regnamespace AND c.relkind IN ('r', 'v', 'S')
 ORDER BY 1;

-- functions: who may run them and whether they pin search_path; the ones
-- that run migrations use the caller's search_path on purpose, and the
-- name-free ones the tables' generated columns call pin none (0.2.0)
SELECT p.oid::regprocedure AS function,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute,
       p.prosecdef AS security_definer,
       p.proconfig
  FROM pg_proc p
 WHERE p.pronamespace = 'migrate'::regnamespace
 ORDER BY p.oid::regprocedure::text;

-- every table, view and function says what it is for
SELECT c.relname AS undocumented
  FROM pg_class c
 WHERE c.relnamespace = 'migrate'::regnamespace AND c.relkind IN ('r', 'v')
   AND obj_description(c.oid, 'pg_class') IS NULL
UNION ALL
SELECT p.oid::regprocedure::text
  FROM pg_proc p
 WHERE p.pronamespace = 'migrate'::regnamespace
   AND obj_description(p.oid, 'pg_proc') IS NULL;

-- the module's settings are reserved under the migrate. prefix
LOAD 'migrate';
SHOW migrate.lock_wait;
SET migrate.no_such_setting = 1;

-- the extension cannot be moved to another schema
CREATE SCHEMA elsewhere;
ALTER EXTENSION migrate SET SCHEMA elsewhere;
DROP SCHEMA elsewhere;

-- only a superuser creates it (later versions add event triggers)
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE ROLE regress_plain LOGIN;
GRANT CREATE ON DATABASE contrib_regression TO regress_plain;
SET ROLE regress_plain;
CREATE EXTENSION migrate;
RESET ROLE;
REVOKE CREATE ON DATABASE contrib_regression FROM regress_plain;
DROP ROLE regress_plain;

-- created again, it starts with an empty registry
CREATE EXTENSION migrate;
SELECT count(*) FROM migrate.status;
