-- migrate.load(): the formats of golang-migrate, dbmate, Flyway, diesel, Prisma,
-- Drizzle, goose, VERSION.name.up.sql (authelia) and plain VERSION_name.sql, each
-- in its tool's version order, and what load() makes of empty, broken and
-- non-transactional files.  The fixtures are in test/fixtures/load; the
-- rows name files relative to the directory.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE SCHEMA t40;
SET search_path = t40;
\getenv abs_srcdir PG_ABS_SRCDIR
\set fixtures :abs_srcdir '/fixtures/load'
\pset null '(null)'

-- golang-migrate: the version is the integer before '_' (2 < 10), up and
-- down files pair by version; a 0-byte up becomes a comment, a
-- comment-only down means irreversible, a down that does not parse is
-- dropped, CONCURRENTLY makes it non-transactional, an up that cannot be
-- registered is refused, other .sql files are ignored, README.md skipped
SELECT * FROM migrate.load(:'fixtures' || '/golang');
SELECT version, name, up, down, transactional FROM migrate.migrations
 ORDER BY sort_key;
-- loading again changes nothing
SELECT version, action FROM migrate.load(:'fixtures' || '/golang');
-- the registered text is the file's text: a file without a final newline
-- too, and it runs
SELECT version FROM migrate.up('1');
SELECT version FROM migrate.up('2');
SELECT version FROM migrate.up('3');
SELECT version FROM migrate.up('4');
SELECT version, state, reversible FROM migrate.status WHERE state = 'applied';
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 't40.g_users'::regclass AND attnum > 0 ORDER BY attnum;

-- dbmate: sections; "transaction:false" makes it non-transactional; a
-- file without "-- migrate:up", or with statements before it, is refused
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SELECT * FROM migrate.load(:'fixtures' || '/dbmate');
SELECT version, up, down FROM migrate.migrations ORDER BY sort_key;

-- Flyway: V<version>__desc.sql and U<version>__desc.sql (undo is the
-- down); versions split on '.' and '_' compare as numbers (1_2 < 1_10 <
-- 2.0.1); a .sql.conf with executeInTransaction=false; placeholders and
-- repeatable migrations are refused; callbacks are ignored
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SELECT * FROM migrate.load(:'fixtures' || '/flyway');
SELECT version, down FROM migrate.migrations ORDER BY sort_key;

-- diesel: VERSION_name/ directories; the version is the name up to '_'
-- without '-', compared as text, so that 2017-08-31-230457 (20170831230457)
-- comes before 20170901000000 and 2024-02-01-000000 before
-- 2024-02-01-000000-0000; versions of different lengths sort_as a dotted
-- form that keeps that order; metadata.toml's run_in_transaction = false
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SELECT * FROM migrate.load(:'fixtures' || '/diesel');
SELECT version, sort_as, name, transactional FROM migrate.migrations ORDER BY sort_key;

-- Prisma: VERSION_name/migration.sql directories, up only (Prisma writes
-- no down), applied in name order; migration_lock.toml is no migration
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SELECT * FROM migrate.load(:'fixtures' || '/prisma');
SELECT version, name, up FROM migrate.migrations ORDER BY sort_key;
SELECT version FROM migrate.latest();

-- Drizzle: <idx>_<name>.sql files in the order of meta/_journal.json's
-- entries, not of their names (gentle_giant, a tag without a version,
-- gets its idx); up only (Drizzle writes no down); the
-- "--> statement-breakpoint" lines are kept as the comments they are, and
-- a statement before one without a semicolon gets one; a journal entry
-- without its file is refused, a .sql file the journal does not list is
-- ignored, meta/'s snapshots are no migrations
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SELECT * FROM migrate.load(:'fixtures' || '/drizzle');
SELECT version, name, up, down FROM migrate.migrations ORDER BY sort_key;
SELECT version FROM migrate.latest();
SELECT label FROM t40.d_tags;
SELECT attname FROM pg_attribute
 WHERE attrelid = 't40.d_posts'::regclass AND attnum > 0 ORDER BY attnum;
-- loading again changes nothing
SELECT version, action FROM migrate.load(:'fixtures' || '/drizzle');

-- goose: Up and Down annotations in any case, StatementBegin/End kept as
-- the comments they are, NO TRANSACTION; integer versions (4 < 10); Go
-- migrations, ENVSUB and files without annotations are refused
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SELECT * FROM migrate.load(:'fixtures' || '/goose');
SELECT version, up, down FROM migrate.migrations WHERE version IN ('00002', '00004');

-- VERSION.name.up.sql and .down.sql, as authelia names them: 0-byte up
-- and down, files without a final newline; the whole history applies
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SELECT * FROM migrate.load(:'fixtures' || '/authelia');
SELECT version FROM migrate.latest();
SELECT version, state, reversible FROM migrate.status;

-- plain VERSION_name.sql: up only, in migrate's natural order
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SELECT * FROM migrate.load(:'fixtures' || '/plain');
SELECT version FROM migrate.latest();

SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
RESET search_path;
DROP SCHEMA t40 CASCADE;
