-- migrate.export() and migrate.export_all(): registered migrations as
-- files, in dbmate's sql format and as knex modules.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE SCHEMA t33;

SELECT migrate.add('0001', E'CREATE TABLE t33.notes (id bigint PRIMARY KEY, body text);\n-- searched by body\nCREATE INDEX notes_body ON t33.notes (body);\n',
                   'DROP TABLE t33.notes', name => 'Create notes!');
-- irreversible, with what JavaScript and knex need escaped: ` ${ \ ?
-- and a carriage return
SELECT migrate.add('0002', E'SELECT ''{"a": 1}''::jsonb ? ''a'';\r\nSELECT $x$`${y}` \\d$x$;\nSELECT ''??'' AS "why?"',
                   name => 'escapes');
-- not transactional, with a down that does nothing
SELECT migrate.add('0003', 'CREATE INDEX CONCURRENTLY notes_id ON t33.notes (id)', '',
                   name => '  spaces / and ünïcode  ', transactional => false);
-- an up that is only a comment
SELECT migrate.add('0004', '-- nothing to do yet', 'SELECT 1');

\pset format unaligned
\pset tuples_only on
SELECT migrate.export('0001');
SELECT migrate.export('0001', format => 'sql');
SELECT migrate.export('0002');
SELECT migrate.export('0003');
SELECT migrate.export('0004');
SELECT migrate.export('0001', 'knex');
SELECT migrate.export('0002', 'knex');
SELECT migrate.export('0003', 'knex');
SELECT migrate.export('0004', 'knex');
\pset format aligned
\pset tuples_only off

-- every registered migration, in version order
SELECT filename, contents = migrate.export(regexp_replace(filename, '(_.*)?\.sql$', '')) AS same
  FROM migrate.export_all();
SELECT filename FROM migrate.export_all('knex');
SELECT migrate.add('10', 'SELECT 10');
SELECT migrate.add('9', 'SELECT 9');
SELECT string_agg(filename, ', ') FROM migrate.export_all('sql');

-- an applied migration is exported as registered
CREATE TEMP TABLE t33_before AS SELECT migrate.export('0001', 'knex') AS file;
SELECT version FROM migrate.up('0001');
SELECT migrate.export('0001', 'knex') = file AS same FROM t33_before;

-- what a file cannot hold is refused, naming the migration and the line
SELECT migrate.add('11', E'SELECT 1;\n--migrate:down\nSELECT 2');
SELECT migrate.export('11');
SELECT migrate.export('11', 'knex') IS NOT NULL AS knex_can;
SELECT migrate.add('12', 'SELECT 1', E'SELECT 1;\n  -- migrate:down is fine when indented\n--   migrate:up');
SELECT migrate.export('12');
SELECT migrate.add('13', E'SELECT $$a\\?b$$');
SELECT migrate.export('13', 'knex');
SELECT migrate.export('13') IS NOT NULL AS sql_can;
SELECT * FROM migrate.export_all('sql');
SELECT * FROM migrate.export_all('knex');

-- bad arguments
SELECT migrate.export(NULL);
SELECT migrate.export('bad version');
SELECT migrate.export('99');
SELECT migrate.export('0001', 'yaml');
SELECT migrate.export('0001', NULL);
SELECT * FROM migrate.export_all('SQL');
SELECT * FROM migrate.export_all(NULL);

-- only the extension's owner (and whom it grants) may export
CREATE ROLE regress_t33;
SET ROLE regress_t33;
SELECT migrate.export('0001');
SELECT * FROM migrate.export_all();
RESET ROLE;
DROP ROLE regress_t33;

DROP SCHEMA t33 CASCADE;
