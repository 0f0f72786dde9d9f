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

-- Seeds as files: export_seed(), and export_all(seeds => true) with the
-- seeds after the migrations under seeds/, in migrate's order (2 before
-- 10, which file names keep with their position); the migrations that
-- a format cannot hold are removed first
SELECT migrate.remove(v) FROM unnest(ARRAY['11', '12', '13']) v \g /dev/null
SELECT migrate.add_seed('10_settings', $$INSERT INTO t33.settings VALUES ('theme', 'dark')
  ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
-- a ` and ${x} and a ? for JavaScript and knex
SELECT '`${x}`' AS "why?", '\d' AS backslash$$, repeatable => true);
SELECT migrate.add_seed('2_countries', E'INSERT INTO t33.countries VALUES (''fr'', ''France'');\r\nINSERT INTO t33.countries VALUES (''de'', ''Germany'');\n');
-- environments whose names a comment or a JavaScript string must escape
SELECT migrate.add_seed('3_demo', 'INSERT INTO t33.notes VALUES (1)',
                        environments => ARRAY['dev', E'qa "2"\nnext', 'a\b', E'line\u2028sep']);
\pset format unaligned
\pset tuples_only on
SELECT migrate.export_seed('2_countries');
SELECT migrate.export_seed('10_settings', format => 'sql');
SELECT migrate.export_seed('3_demo');
SELECT migrate.export_seed('2_countries', 'knex');
SELECT migrate.export_seed('10_settings', 'knex');
SELECT migrate.export_seed('3_demo', 'knex');
\pset format aligned
\pset tuples_only off
SELECT filename, contents = migrate.export_seed(substring(filename from '^seeds/[0-9]+_(.*)\.js$'), 'knex') AS same
  FROM migrate.export_all('knex', seeds => true) WHERE filename LIKE 'seeds/%';
SELECT string_agg(filename, ', ') FROM migrate.export_all(format => 'sql', seeds => true);
-- without seeds (the default, and 0.1.0's call) the migrations alone
SELECT count(*) FROM migrate.export_all('sql');
SELECT count(*) FROM migrate.export_all('knex', seeds => false);
SELECT count(*) FROM migrate.export_all() WHERE filename LIKE 'seeds/%';
-- the position has one width for every file, of at least four digits
SELECT migrate.add_seed('1.' || i, 'SELECT ' || i) FROM generate_series(1, 9) i \g /dev/null
SELECT min(filename), max(filename) FROM migrate.export_all(seeds => true) WHERE filename LIKE 'seeds/%';
-- ... and a fifth digit for the ten thousandth seed
INSERT INTO migrate.seeds (name, sql, added_by)
SELECT 'z' || i, 'SELECT 1', current_user FROM generate_series(1, 9988) i;
SELECT count(*), min(filename), max(filename),
       array_agg(filename ORDER BY filename COLLATE "C") = array_agg(filename ORDER BY n)
       AS file_name_order_is_seed_order
  FROM migrate.export_all(seeds => true) WITH ORDINALITY AS e(filename, contents, n)
 WHERE filename LIKE 'seeds/%';
DELETE FROM migrate.seeds WHERE name LIKE 'z%' OR name LIKE '1.%';

-- a seed knex cannot hold is refused, naming it and the statement
SELECT migrate.add_seed('4_backslash', E'SELECT 1;\nSELECT $$a\\?b$$');
\set VERBOSITY default
SELECT migrate.export_seed('4_backslash', 'knex');
SELECT count(*) FROM migrate.export_all('knex', seeds => true);
\set VERBOSITY terse
SELECT migrate.export_seed('4_backslash') IS NOT NULL AS sql_can;

-- bad arguments: unknown seeds name the ones a typo away or next to them
\set VERBOSITY default
SELECT migrate.export_seed(NULL);
SELECT migrate.export_seed('has space');
SELECT migrate.export_seed('2_countrise');
SELECT migrate.export_seed('5_x');
SELECT migrate.export_seed('0_first');
SELECT migrate.export_seed('99_last');
SELECT migrate.export_seed('2_countries', 'yaml');
SELECT migrate.export_seed('2_countries', NULL);
SELECT * FROM migrate.export_all('sql', seeds => NULL);
SELECT * FROM migrate.export_all(NULL, seeds => true);
\set VERBOSITY terse
-- with no seed at all
CREATE TEMP TABLE t33_seeds AS SELECT * FROM migrate.seeds;
DELETE FROM migrate.seeds;
\set VERBOSITY default
SELECT migrate.export_seed('2_countries');
\set VERBOSITY terse
SELECT count(*) FROM migrate.export_all(seeds => true);
INSERT INTO migrate.seeds (name, sql, repeatable, environments, added_by)
SELECT name, sql, repeatable, environments, added_by FROM t33_seeds;

-- seeds are exported, never run: nothing changed
SELECT name, state FROM migrate.seed_status;

-- not for PUBLIC either
CREATE ROLE regress_t33_seeds;
SET ROLE regress_t33_seeds;
SELECT migrate.export_seed('2_countries');
SELECT * FROM migrate.export_all(seeds => true);
RESET ROLE;
DROP ROLE regress_t33_seeds;

DROP SCHEMA t33 CASCADE;
