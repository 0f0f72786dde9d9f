-- Upgrade from the released 0.1.0: ALTER EXTENSION migrate UPDATE keeps
-- every row of every table migrate keeps, and leaves exactly the objects
-- a fresh CREATE EXTENSION migrate makes (which runs migrate--0.1.0.sql
-- and then the upgrade scripts).  Objects are compared by name, never by
-- OID.  The 0.1.0 functions used to fill the tables run on the current
-- library: every C symbol 0.1.0 names must still do what 0.1.0 says.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate VERSION '0.1.0';
SET client_min_messages = warning;
\pset null '(null)'
SELECT extversion FROM pg_extension WHERE extname = 'migrate';

-- 0.1.0 pins search_path on the functions of the generated columns
SELECT p.oid::regprocedure::text AS function, p.proconfig
  FROM pg_proc p
 WHERE p.oid IN ('migrate.version_key(text)'::regprocedure,
                 'migrate.checksum(text,text)'::regprocedure)
 ORDER BY 1;

--
-- Rows in every table, through 0.1.0's API.
--
CREATE SCHEMA t10;
SET search_path = t10;
SET migrate.environment = 'dev';

-- the registry: applied, reverted, pending, for another environment,
-- with sort_as
SELECT migrate.add('1', 'CREATE TABLE t10.a (id int)', 'DROP TABLE t10.a', name => 'a');
SELECT migrate.add('2', 'CREATE TABLE t10.b (id int)', 'DROP TABLE t10.b', name => 'b',
                   sort_as => '2.0');
SELECT migrate.add('3', 'CREATE INDEX b_id ON t10.b (id)', 'DROP INDEX t10.b_id');
SELECT migrate.add('4', 'CREATE TABLE t10.d (id int)', environments => ARRAY['production']);
SELECT migrate.add('10', $$INSERT INTO t10.a VALUES (10)$$, transactional => false);
SELECT version FROM migrate.latest("to" => '2');
SELECT version FROM migrate.latest("to" => '3');
SELECT version FROM migrate.rollback();
SELECT version FROM migrate.latest("to" => '3');

-- DDL outside migrations: the DDL history and drift; one part captured
CREATE TABLE t10.hand (id int);
SELECT version, statements, down FROM migrate.capture('5', name => 'hand fix');
ALTER TABLE t10.hand ADD COLUMN note text;
SELECT command_tag FROM migrate.drift();

-- seeds and their runs, one for this environment only
SELECT migrate.add_seed('1_rows', $$INSERT INTO t10.a VALUES (1)$$);
SELECT migrate.add_seed('2_more', $$INSERT INTO t10.a VALUES (2)$$, repeatable => true,
                        environments => ARRAY['dev']);
SELECT name, statements FROM migrate.seed();

SELECT version, state, batch FROM migrate.status;
SELECT name, state, runs FROM migrate.seed_status;

--
-- Every row of every table migrate keeps, and where its sequences stand:
-- the tables and their columns as 0.1.0 has them, from the catalog, and
-- each row as jsonb of those columns.  Columns a later version adds are
-- left out; a column it dropped is an error.  The function reads the
-- tables by name when it runs, so nothing depends on them during the
-- update.
--
CREATE TEMP TABLE tables_before AS
SELECT c.relname::text AS tab, c.relkind,
       array_agg(a.attname::text ORDER BY a.attnum) AS columns
  FROM pg_class c
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relnamespace = 'migrate'::regnamespace AND c.relkind IN ('r', 'p', 'S')
   AND (c.relkind <> 'S' OR a.attname IN ('last_value', 'is_called'))
 GROUP BY c.relname, c.relkind;

CREATE FUNCTION pg_temp.migrate_rows(OUT tab text, OUT data jsonb)
RETURNS SETOF record
LANGUAGE plpgsql AS $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM tables_before ORDER BY 1 LOOP
        tab := t.tab;
        FOR data IN EXECUTE format('SELECT jsonb_build_object(%s) FROM migrate.%I r',
                                  (SELECT string_agg(format('%L, r.%I', c, c), ', ')
                                     FROM unnest(t.columns) AS c),
                                  t.tab) LOOP
            RETURN NEXT;
        END LOOP;
    END LOOP;
END
$$;

-- a deploy role, granted what the README's recipe granted in 0.1.0, and
-- the right to export the migrations
CREATE ROLE regress_t10_deploy;
GRANT EXECUTE ON FUNCTION migrate.latest(boolean, text),
                          migrate.rollback(boolean, text),
                          migrate.export_all(text) TO regress_t10_deploy;
-- the files of 0.1.0's export_all(), which 0.2.0 adds seeds to
CREATE TEMP TABLE export_before AS
SELECT 'sql' AS format, * FROM migrate.export_all('sql')
UNION ALL
SELECT 'knex', * FROM migrate.export_all(format => 'knex');
CREATE TEMP TABLE rows_before AS SELECT * FROM pg_temp.migrate_rows();

-- every table and sequence holds rows
SELECT b.tab, b.relkind, count(r.data) > 0 AS has_rows
  FROM tables_before b LEFT JOIN rows_before r ON r.tab = b.tab
 GROUP BY b.tab, b.relkind
 ORDER BY 1;
SELECT generation > 0 AS state_bumped FROM migrate.state;

--
-- A description of every object of the extension, by name: its members
-- and everything that makes them up (columns, defaults, constraints,
-- indexes, triggers, view definitions, sequence parameters, comments,
-- ACLs, initial privileges, the tables pg_dump dumps).
--
CREATE TEMP VIEW migrate_objects (kind, object, detail) AS
WITH ext AS (
    SELECT e.oid, e.extconfig, e.extcondition
      FROM pg_extension e WHERE e.extname = 'migrate'
), members AS (
    SELECT d.classid, d.objid, d.objsubid
      FROM pg_depend d, ext
     WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid
       AND d.deptype = 'e'
), rels AS (
    SELECT c.* FROM pg_class c
     WHERE (c.oid) IN (SELECT objid FROM members WHERE classid = 'pg_class'::regclass)
)
SELECT 'extension', e.extname::text,
       ROW(e.extversion, e.extrelocatable, e.extnamespace::regnamespace,
           pg_get_userbyid(e.extowner), obj_description(e.oid, 'pg_extension'))::text
  FROM pg_extension e, ext WHERE e.oid = ext.oid
UNION ALL
SELECT 'member', pg_describe_object(m.classid, m.objid, m.objsubid), NULL
  FROM members m
UNION ALL
SELECT 'schema', n.nspname::text,
       ROW(pg_get_userbyid(n.nspowner), n.nspacl::text,
           obj_description(n.oid, 'pg_namespace'))::text
  FROM pg_namespace n WHERE n.nspname = 'migrate'
UNION ALL
SELECT 'function', p.oid::regprocedure::text,
       ROW(p.prokind, pg_get_function_arguments(p.oid),
           pg_get_function_result(p.oid),
           (SELECT l.lanname FROM pg_language l WHERE l.oid = p.prolang),
           p.prosrc, p.probin, p.provolatile, p.proisstrict, p.prosecdef,
           p.proleakproof, p.proparallel, p.procost, p.prorows,
           p.proretset, p.proconfig,
           pg_get_userbyid(p.proowner), p.proacl,
           obj_description(p.oid, 'pg_proc'))::text
  FROM pg_proc p
 WHERE p.oid IN (SELECT objid FROM members WHERE classid = 'pg_proc'::regclass)
UNION ALL
SELECT 'relation', c.oid::regclass::text,
       ROW(c.relkind, c.relpersistence, c.relreplident,
           c.relrowsecurity, c.relforcerowsecurity, c.reloptions::text,
           pg_get_userbyid(c.relowner), c.relacl,
           obj_description(c.oid, 'pg_class'))::text
  FROM rels c
UNION ALL
SELECT 'column', c.oid::regclass::text || '.' || a.attname,
       ROW(a.attnum, format_type(a.atttypid, a.atttypmod),
           a.attnotnull, a.attgenerated, a.attidentity,
           pg_get_expr(ad.adbin, ad.adrelid),
           (SELECT co.collname FROM pg_collation co
             WHERE co.oid = a.attcollation AND a.attcollation <> 0),
           a.attacl::text, col_description(c.oid, a.attnum))::text
  FROM rels c
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
UNION ALL
SELECT 'constraint', c.oid::regclass::text || ' ' || co.conname,
       ROW(co.contype, pg_get_constraintdef(co.oid),
           co.condeferrable, co.condeferred, co.convalidated,
           obj_description(co.oid, 'pg_constraint'))::text
  FROM rels c JOIN pg_constraint co ON co.conrelid = c.oid
UNION ALL
SELECT 'index', i.indexrelid::regclass::text,
       ROW(pg_get_indexdef(i.indexrelid), i.indisprimary, i.indisunique,
           i.indisvalid, obj_description(i.indexrelid, 'pg_class'))::text
  FROM rels c JOIN pg_index i ON i.indrelid = c.oid
UNION ALL
SELECT 'trigger', c.oid::regclass::text || ' ' || t.tgname,
       ROW(pg_get_triggerdef(t.oid), t.tgenabled,
           obj_description(t.oid, 'pg_trigger'))::text
  FROM rels c JOIN pg_trigger t ON t.tgrelid = c.oid AND NOT t.tgisinternal
UNION ALL
SELECT 'rule', c.oid::regclass::text || ' ' || r.rulename,
       ROW(r.ev_type, r.ev_enabled, pg_get_ruledef(r.oid))::text
  FROM rels c JOIN pg_rewrite r ON r.ev_class = c.oid AND r.rulename <> '_RETURN'
UNION ALL
SELECT 'view', c.oid::regclass::text, pg_get_viewdef(c.oid)
  FROM rels c WHERE c.relkind IN ('v', 'm')
UNION ALL
SELECT 'policy', c.oid::regclass::text || ' ' || po.polname,
       ROW(po.polcmd, po.polpermissive, po.polroles::regrole[]::text,
           pg_get_expr(po.polqual, po.polrelid),
           pg_get_expr(po.polwithcheck, po.polrelid))::text
  FROM rels c JOIN pg_policy po ON po.polrelid = c.oid
UNION ALL
SELECT 'sequence', s.seqrelid::regclass::text,
       ROW(s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmax,
           s.seqmin, s.seqcache, s.seqcycle,
           (SELECT string_agg(o.owner, ', ' ORDER BY o.owner)
              FROM (SELECT pg_describe_object(d.refclassid, d.refobjid,
                                              d.refobjsubid) AS owner
                      FROM pg_depend d
                     WHERE d.classid = 'pg_class'::regclass
                       AND d.objid = s.seqrelid
                       AND d.deptype IN ('a', 'i')) o))::text
  FROM rels c JOIN pg_sequence s ON s.seqrelid = c.oid
UNION ALL
SELECT 'event trigger', et.evtname::text,
       ROW(et.evtevent, et.evtfoid::regprocedure, et.evtenabled,
           et.evttags::text, pg_get_userbyid(et.evtowner),
           obj_description(et.oid, 'pg_event_trigger'))::text
  FROM pg_event_trigger et
 WHERE et.oid IN (SELECT objid FROM members WHERE classid = 'pg_event_trigger'::regclass)
UNION ALL
SELECT 'type', t.oid::regtype::text,
       ROW(t.typtype, obj_description(t.oid, 'pg_type'))::text
  FROM pg_type t
 WHERE t.oid IN (SELECT objid FROM members WHERE classid = 'pg_type'::regclass)
   -- from 17 on, a table's row type and its array are members as well:
   -- they are the relation's, described with it
   AND t.typrelid = 0
   AND NOT EXISTS (SELECT FROM pg_type e
                    WHERE e.oid = t.typelem AND e.typrelid <> 0)
UNION ALL
SELECT 'config dump', cfg.rel::regclass::text, cfg.cond
  FROM ext, unnest(ext.extconfig, ext.extcondition) AS cfg(rel, cond)
UNION ALL
SELECT 'initial privileges',
       pg_describe_object(ip.classoid, ip.objoid, ip.objsubid),
       ROW(ip.privtype, ip.initprivs::text)::text
  FROM pg_init_privs ip
 WHERE (ip.classoid, ip.objoid) IN (SELECT classid, objid FROM members)
    OR (ip.classoid = 'pg_namespace'::regclass
        AND ip.objoid = 'migrate'::regnamespace);

--
-- The update.  latest(), rollback(), run() and export_all() are created
-- again with new arguments: a role granted EXECUTE on the 0.1.0 forms
-- (above) is named in a WARNING, to grant it again.
--
ALTER EXTENSION migrate UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'migrate';
SELECT has_function_privilege('regress_t10_deploy', 'migrate.latest(text, boolean)', 'EXECUTE')
       AS deploy_can_latest,
       has_function_privilege('regress_t10_deploy', 'migrate.export_all(text, boolean)', 'EXECUTE')
       AS deploy_can_export_all;
DROP ROLE regress_t10_deploy;
CREATE TEMP TABLE objects_upgraded AS SELECT * FROM migrate_objects;

-- (a) every row is kept, unchanged, and nothing was added
SELECT 'lost' AS what, tab, data
  FROM (SELECT * FROM rows_before EXCEPT ALL SELECT * FROM pg_temp.migrate_rows()) lost
UNION ALL
SELECT 'added', tab, data
  FROM (SELECT * FROM pg_temp.migrate_rows() EXCEPT ALL SELECT * FROM rows_before) added
 ORDER BY 1, 2, 3;
SELECT count(*) > 0 AS compared FROM rows_before;

-- 0.1.0's calls of export_all() return the same files, without the
-- seeds the database has
SELECT 'lost' AS what, *
  FROM (SELECT * FROM export_before
        EXCEPT ALL
        (SELECT 'sql', * FROM migrate.export_all('sql')
         UNION ALL
         SELECT 'knex', * FROM migrate.export_all(format => 'knex'))) lost
UNION ALL
SELECT 'added', *
  FROM ((SELECT 'sql', * FROM migrate.export_all('sql')
         UNION ALL
         SELECT 'knex', * FROM migrate.export_all(format => 'knex'))
        EXCEPT ALL
        SELECT * FROM export_before) added;
SELECT count(*) > 0 AS compared, count(*) FILTER (WHERE filename LIKE 'seeds/%') AS seeds
  FROM export_before;
SELECT count(*) AS seeds FROM migrate.export_all('knex', seeds => true)
 WHERE filename LIKE 'seeds/%';

-- the functions the tables' generated columns and index expressions call
-- pin no search_path any more (they look up no names)
SELECT DISTINCT p.oid::regprocedure::text AS function, p.proconfig
  FROM pg_depend d
  JOIN pg_proc p ON d.refclassid = 'pg_proc'::regclass AND d.refobjid = p.oid
 WHERE (d.classid = 'pg_attrdef'::regclass
        AND d.objid IN (SELECT ad.oid FROM pg_attrdef ad
                          JOIN pg_attribute a ON a.attrelid = ad.adrelid
                                             AND a.attnum = ad.adnum
                         WHERE a.attgenerated <> ''
                           AND ad.adrelid IN (SELECT oid FROM pg_class
                                               WHERE relnamespace = 'migrate'::regnamespace)))
    OR (d.classid = 'pg_class'::regclass
        AND d.objid IN (SELECT indexrelid FROM pg_index
                         WHERE indexprs IS NOT NULL
                           AND indrelid IN (SELECT oid FROM pg_class
                                             WHERE relnamespace = 'migrate'::regnamespace)))
 ORDER BY 1;

-- the stored keys and checksums are what the functions compute now
SELECT count(*) FILTER (WHERE sort_key <> migrate.version_key(COALESCE(sort_as, version))
                           OR checksum <> migrate.checksum(up, down)) AS wrong_migrations
  FROM migrate.migrations;
SELECT count(*) FILTER (WHERE sort_key <> migrate.version_key(name)
                           OR checksum <> migrate.checksum(sql)) AS wrong_seeds
  FROM migrate.seeds;

-- the upgraded database goes on working: state, drift, a new migration
SELECT version, state, batch FROM migrate.status;
SELECT command_tag FROM migrate.drift();
SELECT version FROM migrate.apply('11', 'CREATE TABLE t10.k (id int)', 'DROP TABLE t10.k');
SELECT version, state FROM migrate.status WHERE version = '11';
SELECT command_tag, object_identity, migration FROM migrate.ddl_log ORDER BY id DESC LIMIT 1;
SELECT name, state FROM migrate.seed_status;

-- (b) the objects of the upgraded extension, as the update left them,
-- are those of a fresh one
RESET search_path;
DROP SCHEMA t10 CASCADE;
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SELECT extversion FROM pg_extension WHERE extname = 'migrate';
CREATE TEMP TABLE objects_fresh AS SELECT * FROM migrate_objects;

SELECT 'only upgraded' AS "where", kind, object, detail
  FROM (SELECT * FROM objects_upgraded EXCEPT ALL SELECT * FROM objects_fresh) u
UNION ALL
SELECT 'only fresh', kind, object, detail
  FROM (SELECT * FROM objects_fresh EXCEPT ALL SELECT * FROM objects_upgraded) f
 ORDER BY 1, 2, 3;

-- the description covers every kind of object the extension has
SELECT kind, count(*) > 0 AS described
  FROM objects_fresh GROUP BY kind ORDER BY kind;

-- and a fresh install pins no search_path on those functions either
SELECT p.oid::regprocedure::text AS function, p.proconfig
  FROM pg_proc p
 WHERE p.oid IN ('migrate.version_key(text)'::regprocedure,
                 'migrate.checksum(text,text)'::regprocedure)
 ORDER BY 1;

-- the fresh extension starts empty (the next tests expect it)
SELECT count(*) FROM migrate.status;
RESET migrate.environment;
