-- lint() and lint_sql(): every rule firing and not firing, by table size;
-- lint of registered migrations; migrate.lint_level at add(); bad input;
-- privileges.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE SCHEMA t50;
SET search_path = t50;

-- tables of four sizes; the thresholds are small so the test stays fast:
-- info below 100 rows, warning from 100, error from 2000
SET migrate.lint_rows_warning = 100;
SET migrate.lint_rows_error = 2000;
CREATE TABLE empty_t (id bigint PRIMARY KEY, name text, note varchar(20), amount int)
  WITH (autovacuum_enabled = off);
CREATE TABLE small (LIKE empty_t INCLUDING ALL) WITH (autovacuum_enabled = off);
CREATE TABLE medium (LIKE empty_t INCLUDING ALL) WITH (autovacuum_enabled = off);
CREATE TABLE big (LIKE empty_t INCLUDING ALL) WITH (autovacuum_enabled = off);
INSERT INTO small SELECT i, 'n' || i, 'x', i FROM generate_series(1, 20) i;
INSERT INTO medium SELECT i, 'n' || i, 'x', i FROM generate_series(1, 500) i;
INSERT INTO big SELECT i, 'n' || i, 'x', i FROM generate_series(1, 3000) i;
ANALYZE empty_t, small, medium, big;

-- the findings, without what depends on the machine (bytes, activity)
CREATE FUNCTION l(script text)
RETURNS TABLE (statement int, rule text, severity text, relation text,
               lock_mode text, rows bigint)
LANGUAGE sql AS $$
  SELECT statement, rule, severity, relation, lock_mode, rows
    FROM migrate.lint_sql(script)
$$;

-- CREATE INDEX without CONCURRENTLY: info on an empty or small table,
-- warning on a medium one, error on a big one
SELECT * FROM l('CREATE INDEX ON empty_t (name)');
SELECT * FROM l('CREATE INDEX ON small (name)');
SELECT * FROM l('CREATE INDEX ON medium (name)');
SELECT * FROM l('CREATE INDEX ON big (name)');
-- not firing: CONCURRENTLY, a table the script creates, a table that does not exist
SELECT * FROM l('CREATE INDEX CONCURRENTLY ON big (name)');
SELECT * FROM l('CREATE TABLE fresh (id bigint PRIMARY KEY, name text); CREATE INDEX ON fresh (name)');
SELECT * FROM l('CREATE INDEX ON no_such_table (name)');
-- the cost, the message and the safer way, written out
SELECT cost, message, safer FROM migrate.lint_sql('CREATE UNIQUE INDEX big_name ON big (name)');

-- ADD COLUMN with a volatile default rewrites; a constant or now() does not
SELECT * FROM l($$ALTER TABLE big ADD COLUMN token uuid DEFAULT gen_random_uuid()$$);
SELECT * FROM l($$ALTER TABLE small ADD COLUMN token uuid DEFAULT gen_random_uuid()$$);
SELECT * FROM l($$ALTER TABLE big ADD COLUMN seen timestamptz DEFAULT now()$$);
SELECT * FROM l($$ALTER TABLE big ADD COLUMN n int DEFAULT 0 NOT NULL$$);
SELECT * FROM l($$ALTER TABLE big ADD COLUMN counter serial$$);
SELECT safer FROM migrate.lint_sql($$ALTER TABLE big ADD COLUMN r float8 DEFAULT random()$$);
-- a stored generated column is computed for every row
SELECT * FROM l($$ALTER TABLE medium ADD COLUMN twice bigint GENERATED ALWAYS AS (id * 2) STORED$$);

-- ALTER COLUMN TYPE: not binary coercible, or shorter, rewrites; longer or
-- to text is free
SELECT * FROM l('ALTER TABLE big ALTER COLUMN amount TYPE bigint');
SELECT * FROM l('ALTER TABLE big ALTER COLUMN note TYPE varchar(10)');
SELECT * FROM l('ALTER TABLE big ALTER COLUMN name TYPE varchar(5)');
SELECT * FROM l('ALTER TABLE big ALTER COLUMN note TYPE varchar(50)');
SELECT * FROM l('ALTER TABLE big ALTER COLUMN note TYPE text');
SELECT * FROM l('ALTER TABLE empty_t ALTER COLUMN amount TYPE bigint');
SELECT message, safer FROM migrate.lint_sql('ALTER TABLE big ALTER COLUMN note TYPE varchar(10)');

-- SET NOT NULL scans, unless a validated CHECK proves it or it is NOT NULL already
SELECT * FROM l('ALTER TABLE big ALTER COLUMN name SET NOT NULL');
SELECT * FROM l('ALTER TABLE big ALTER COLUMN id SET NOT NULL');
CREATE TABLE checked (LIKE big INCLUDING ALL) WITH (autovacuum_enabled = off);
INSERT INTO checked SELECT * FROM big;
ANALYZE checked;
ALTER TABLE checked ADD CONSTRAINT checked_name_not_null CHECK (name IS NOT NULL) NOT VALID;
SELECT * FROM l('ALTER TABLE checked ALTER COLUMN name SET NOT NULL');
SELECT * FROM l('ALTER TABLE checked VALIDATE CONSTRAINT checked_name_not_null; ALTER TABLE checked ALTER COLUMN name SET NOT NULL');
ALTER TABLE checked VALIDATE CONSTRAINT checked_name_not_null;
SELECT * FROM l('ALTER TABLE checked ALTER COLUMN name SET NOT NULL');
SELECT safer FROM migrate.lint_sql('ALTER TABLE big ALTER COLUMN name SET NOT NULL');

-- ADD FOREIGN KEY / CHECK without NOT VALID
SELECT * FROM l('ALTER TABLE big ADD CONSTRAINT big_small_fk FOREIGN KEY (amount) REFERENCES small (id)');
SELECT * FROM l('ALTER TABLE big ADD CONSTRAINT big_small_fk FOREIGN KEY (amount) REFERENCES small (id) NOT VALID');
SELECT * FROM l('ALTER TABLE big ADD CONSTRAINT big_amount_positive CHECK (amount > 0)');
SELECT * FROM l('ALTER TABLE small ADD CONSTRAINT small_amount_positive CHECK (amount > 0)');
SELECT * FROM l('ALTER TABLE big ADD CONSTRAINT big_amount_positive CHECK (amount > 0) NOT VALID');
SELECT safer FROM migrate.lint_sql('ALTER TABLE big ADD CONSTRAINT big_amount_positive CHECK (amount > 0)');

-- ADD UNIQUE / PRIMARY KEY without USING INDEX; an exclusion constraint
SELECT * FROM l('ALTER TABLE big ADD CONSTRAINT big_name_key UNIQUE (name)');
CREATE UNIQUE INDEX big_name_idx ON big (name);
SELECT * FROM l('ALTER TABLE big ADD CONSTRAINT big_name_key UNIQUE USING INDEX big_name_idx');
SELECT * FROM l('ALTER TABLE medium DROP CONSTRAINT medium_pkey, ADD PRIMARY KEY (id)');
SELECT safer FROM migrate.lint_sql('ALTER TABLE big ADD CONSTRAINT big_name_key UNIQUE (name)');
SELECT * FROM l('ALTER TABLE big ADD CONSTRAINT big_no_overlap EXCLUDE USING btree (amount WITH =)');

-- RENAME of a table or column, DROP COLUMN, DROP TABLE: warning on a table
-- with rows, info on an empty one
SELECT * FROM l('ALTER TABLE big RENAME TO large');
SELECT * FROM l('ALTER TABLE empty_t RENAME TO nothing');
SELECT * FROM l('ALTER TABLE big RENAME COLUMN name TO title');
SELECT * FROM l('ALTER TABLE big DROP COLUMN note');
SELECT * FROM l('ALTER TABLE empty_t DROP COLUMN note');
SELECT * FROM l('DROP TABLE small');
SELECT safer FROM migrate.lint_sql('ALTER TABLE big RENAME TO large');
-- DROP INDEX without CONCURRENTLY
SELECT * FROM l('DROP INDEX big_name_idx');
SELECT * FROM l('DROP INDEX CONCURRENTLY big_name_idx');

-- SET LOGGED / UNLOGGED rewrite
SELECT * FROM l('ALTER TABLE big SET UNLOGGED');
SELECT * FROM l('ALTER TABLE small SET LOGGED');

-- VACUUM FULL, CLUSTER, REINDEX without CONCURRENTLY
SELECT * FROM l('VACUUM FULL big');
SELECT * FROM l('VACUUM big');
SELECT * FROM l('VACUUM (FULL, ANALYZE) medium');
SELECT * FROM l('CLUSTER big USING big_pkey');
SELECT * FROM l('REINDEX TABLE big');
SELECT * FROM l('REINDEX INDEX big_pkey');
SELECT * FROM l('REINDEX TABLE CONCURRENTLY big');
SELECT safer FROM migrate.lint_sql('REINDEX TABLE big');

-- several ACCESS EXCLUSIVE locks in one migration; one table twice is one
SELECT * FROM l('ALTER TABLE big ADD COLUMN a int; ALTER TABLE medium ADD COLUMN b int');
SELECT * FROM l('ALTER TABLE big ADD COLUMN a int; ALTER TABLE big ADD COLUMN b int');
SELECT message FROM migrate.lint_sql('ALTER TABLE big ADD COLUMN a int; ALTER TABLE medium ADD COLUMN b int');

-- DDL and a backfill in one transaction; not without DDL, not outside a
-- transaction (a script with CREATE INDEX CONCURRENTLY is not transactional)
SELECT * FROM l('ALTER TABLE big ADD COLUMN flag boolean; UPDATE big SET flag = true');
SELECT * FROM l('DELETE FROM small WHERE id > 10; ALTER TABLE small ADD COLUMN flag boolean');
SELECT * FROM l('UPDATE big SET amount = amount + 1');
SELECT * FROM l('UPDATE big SET amount = amount + 1; CREATE INDEX CONCURRENTLY ON big (amount)');

-- no lock timeout in force: migrate.lock_timeout = 0 and no lock_timeout
SET migrate.lock_timeout = 0;
SET lock_timeout = 0;
SELECT * FROM l('ALTER TABLE empty_t ADD COLUMN c int');
SELECT * FROM l($$SET LOCAL lock_timeout = '2s'; ALTER TABLE empty_t ADD COLUMN c int$$);
SELECT * FROM l($$SET lock_timeout = 0; ALTER TABLE empty_t ADD COLUMN c int$$);
SET lock_timeout = '1s';
SELECT * FROM l('ALTER TABLE empty_t ADD COLUMN c int');
RESET lock_timeout;
RESET migrate.lock_timeout;
SELECT * FROM l('ALTER TABLE empty_t ADD COLUMN c int');

-- an int column whose sequence is near the limit of its type
CREATE TABLE counters (id serial PRIMARY KEY, hits bigint);
SELECT * FROM l('ALTER TABLE counters ADD COLUMN note text');
SELECT setval('counters_id_seq', 1200000000);
SELECT * FROM l('ALTER TABLE counters ADD COLUMN note text');
SELECT setval('counters_id_seq', 1800000000);
SELECT * FROM l('ALTER TABLE counters ADD COLUMN note text');
SELECT cost, safer FROM migrate.lint_sql('ALTER TABLE counters ADD COLUMN note text');

-- the "prefer" rules, info on new tables and columns
SELECT * FROM l($$CREATE TABLE events (
    id serial PRIMARY KEY,
    payload json,
    happened timestamp,
    code char(3),
    title varchar(200),
    price money,
    other_id int
)$$);
SELECT * FROM l($$CREATE TABLE items (id int, PRIMARY KEY (id))$$);
SELECT * FROM l($$ALTER TABLE big ADD COLUMN doc json$$);
SELECT * FROM l($$CREATE TYPE mood AS ENUM ('ok', 'not ok')$$);
-- not firing: the preferred types
SELECT * FROM l($$CREATE TABLE good (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    payload jsonb,
    happened timestamptz,
    title text,
    price numeric(12, 2),
    other_id int,
    tags varchar
)$$);

-- a statement is acknowledged by a comment on it: the finding stays, with
-- the reason
SELECT statement, rule, severity, acknowledged FROM migrate.lint_sql($$
ALTER TABLE big ADD COLUMN x int;
-- migrate:lint-ok create-index-not-concurrently: the table is read-only during the release
CREATE INDEX ON big (amount);
CREATE INDEX ON big (note);   -- migrate:lint-ok create-index-not-concurrently: also fine
CREATE INDEX ON big (name);   -- migrate:lint-ok no-such-rule: not this one
-- migrate:lint-ok create-index-not-concurrently:
CREATE INDEX ON medium (name);
$$);

-- lint() of registered migrations: one, or every pending one in order
SELECT migrate.add('1', 'CREATE TABLE fresh (id int PRIMARY KEY)');
SELECT migrate.add('2', 'CREATE INDEX ON big (amount); ALTER TABLE medium ALTER COLUMN name SET NOT NULL');
SELECT migrate.add('3', 'CREATE INDEX CONCURRENTLY ON big (note)', transactional => false);
SELECT migrate.add('4', 'CREATE INDEX ON fresh (id)');
SELECT migration, statement, rule, severity, relation FROM migrate.lint('2');
SELECT migration, statement, rule, severity, relation FROM migrate.lint();
SET client_min_messages = error;
SELECT version FROM migrate.latest(target => '1');
SET client_min_messages = warning;
SELECT migration, statement, rule, severity, relation FROM migrate.lint();
SELECT count(*) FROM migrate.lint('1');
SELECT count(*) FROM migrate.lint('3');

-- lint_level = warn: one NOTICE at add(), the migration is registered
SET client_min_messages = notice;
SET migrate.lint_level = warn;
SELECT migrate.add('5', $$ALTER TABLE big ALTER COLUMN amount TYPE bigint;
CREATE INDEX ON medium (amount);
CREATE INDEX ON small (amount);
ALTER TABLE big RENAME COLUMN note TO remark;
ALTER TABLE big ADD CONSTRAINT big_amount_positive CHECK (amount > 0)$$);
-- only info: no NOTICE
SELECT migrate.add('6', 'CREATE INDEX ON small (name)');
SELECT version FROM migrate.status WHERE version IN ('5', '6') ORDER BY 1;

-- lint_level = error: a finding of severity error refuses the migration
SET migrate.lint_level = error;
SELECT migrate.add('7', $$ALTER TABLE medium ADD COLUMN c int;
CREATE INDEX ON big (name)$$);
SELECT count(*) AS registered FROM migrate.status WHERE version = '7';
-- warnings do not refuse; they are summed up
SELECT migrate.add('7', 'CREATE INDEX ON medium (name)');
-- acknowledged, it is registered, and the comment stays in the script
SELECT migrate.add('8', $$-- migrate:lint-ok create-index-not-concurrently: big is read-only until the release is out
CREATE INDEX ON big (name)$$);
SELECT statement, rule, acknowledged FROM migrate.lint('8');
-- apply() and new text for a pending migration are linted too
SELECT * FROM migrate.apply('9', 'VACUUM FULL big', transactional => false);
SELECT migrate.add('6', 'CREATE INDEX ON big (name)');
-- identical text registered before is not linted again
SELECT migrate.add('2', 'CREATE INDEX ON big (amount); ALTER TABLE medium ALTER COLUMN name SET NOT NULL');
-- its SQLSTATE
\set VERBOSITY sqlstate
SELECT migrate.add('10', 'ALTER TABLE big SET LOGGED');
\set VERBOSITY default
RESET migrate.lint_level;
SET client_min_messages = warning;
SELECT version FROM migrate.status WHERE version::int >= 7 ORDER BY version::int;

-- not firing on tables the script creates: they are new and empty
SELECT * FROM l($$CREATE TABLE fresh2 (id bigint PRIMARY KEY, name text, amount int);
ALTER TABLE fresh2 ADD CONSTRAINT fresh2_no_overlap EXCLUDE USING btree (amount WITH =);
ALTER TABLE fresh2 ADD COLUMN token uuid DEFAULT gen_random_uuid();
ALTER TABLE fresh2 ALTER COLUMN amount TYPE bigint;
ALTER TABLE fresh2 ALTER COLUMN name SET NOT NULL;
ALTER TABLE fresh2 ADD CONSTRAINT fresh2_name_key UNIQUE (name);
ALTER TABLE fresh2 SET UNLOGGED;
CLUSTER fresh2 USING fresh2_pkey;
ALTER TABLE fresh2 RENAME COLUMN name TO title;
ALTER TABLE fresh2 DROP COLUMN title;
DROP TABLE fresh2;
DROP TABLE no_such_table$$);

-- a database's or role's migrate.lint_level holds once the library loads
-- in a new session (the prefix is reserved after every setting is defined)
SELECT current_user AS me \gset
CREATE ROLE regress_lint_dba SUPERUSER LOGIN;
ALTER ROLE regress_lint_dba SET migrate.lint_level = warn;
\c - regress_lint_dba
LOAD 'migrate';
SHOW migrate.lint_level;
\c - :me
SET search_path = t50;
SET client_min_messages = warning;
SET migrate.lint_rows_warning = 100;
SET migrate.lint_rows_error = 2000;
DROP ROLE regress_lint_dba;

-- bad input
SELECT * FROM migrate.lint_sql(NULL);
SELECT * FROM migrate.lint_sql($$CREATE INDEX ON big (name);
ALTER TABLE big ADD COLUMN;
CREATE INDEX ON big (note)$$);
SELECT * FROM migrate.lint_sql('SELECT 1; \connect other');
SELECT * FROM migrate.lint('42');
SELECT * FROM migrate.lint('not a version!');
SELECT count(*) FROM migrate.lint_sql('');
SELECT count(*) FROM migrate.lint_sql('-- only a comment');

-- privileges: lint() is for roles granted it, lint_sql() for everyone;
-- only a superuser changes the lint settings
CREATE ROLE regress_lint_deploy;
GRANT USAGE ON SCHEMA t50 TO regress_lint_deploy;
SET ROLE regress_lint_deploy;
SELECT count(*) FROM migrate.lint();
SELECT rule, severity FROM migrate.lint_sql('CREATE INDEX ON big (name)');
SET migrate.lint_level = off;
SET migrate.lint_rows_error = 1000000000;
RESET ROLE;
GRANT EXECUTE ON FUNCTION migrate.lint(text) TO regress_lint_deploy;
SET ROLE regress_lint_deploy;
SELECT migration, rule, severity FROM migrate.lint('2');
RESET ROLE;
-- lint is read-only: nothing above changed the tables
SELECT count(*) FROM big;
SELECT attname FROM pg_attribute WHERE attrelid = 'big'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum;
REVOKE ALL ON FUNCTION migrate.lint(text) FROM regress_lint_deploy;
REVOKE ALL ON SCHEMA t50 FROM regress_lint_deploy;
DROP ROLE regress_lint_deploy;
