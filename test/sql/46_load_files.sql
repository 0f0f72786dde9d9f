-- migrate.load_files(): the files of a migration directory sent by a
-- client.  The same fixtures as load() give the same rows, in the same
-- order; bad arrays and bad names are refused with the file named,
-- before anything is registered; a deploy role may call it without
-- pg_read_server_files.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE SCHEMA t46;
SET search_path = t46;
\getenv abs_srcdir PG_ABS_SRCDIR
\set fixtures :abs_srcdir '/fixtures/load'
\pset null '(null)'

-- the files of a directory as a client sends them (golang has a file
-- with a zero byte, which text cannot hold): the directory's own
-- files and those of its subdirectories, names relative to it
CREATE FUNCTION files_of(dir text, OUT names text[], OUT contents text[])
LANGUAGE sql AS $$
    WITH top AS (
        SELECT f, (pg_stat_file(dir || '/' || f)).isdir AS isdir
          FROM pg_ls_dir(dir) AS f
    ), files AS (
        SELECT f AS name FROM top WHERE NOT isdir
        UNION ALL
        SELECT top.f || '/' || s FROM top, pg_ls_dir(dir || '/' || top.f) AS s
         WHERE top.isdir AND NOT (pg_stat_file(dir || '/' || top.f || '/' || s)).isdir
    )
    SELECT array_agg(name ORDER BY name DESC),
           array_agg(pg_read_file(dir || '/' || name) ORDER BY name DESC)
      FROM files
$$;

-- load() of a directory, then (the registry emptied) load_files() of its
-- files: the rows, in order, with the directory in the notes replaced
CREATE FUNCTION same_as_load(base text, dir text) RETURNS text
LANGUAGE plpgsql SET client_min_messages = error AS $$
DECLARE
    f record;
    n bigint;
    differ bigint;
BEGIN
    CREATE TEMP TABLE by_load AS
        SELECT * FROM migrate.load(base || dir) WITH ORDINALITY AS l;
    PERFORM migrate.remove(version) FROM migrate.migrations;
    f := files_of(base || dir);
    CREATE TEMP TABLE by_files AS
        SELECT * FROM migrate.load_files(f.names, f.contents, base || dir) WITH ORDINALITY AS l;
    PERFORM migrate.remove(version) FROM migrate.migrations;
    SELECT count(*) INTO n FROM by_load;
    SELECT count(*) INTO differ FROM
        ((TABLE by_load EXCEPT ALL TABLE by_files) UNION ALL
         (TABLE by_files EXCEPT ALL TABLE by_load)) d;
    DROP TABLE by_load, by_files;
    RETURN format('%s: %s rows, %s differ', dir, n, differ);
END
$$;

SELECT same_as_load(:'fixtures', d)
  FROM unnest(ARRAY['/dbmate', '/flyway', '/diesel', '/prisma',
                    '/drizzle', '/goose', '/authelia', '/plain']) AS d;

-- what a client sends, row by row
SELECT version, name, files, action, transactional, reversible, note
  FROM migrate.load_files(
    ARRAY['1_create_users.up.sql', '1_create_users.down.sql',
          '2_concurrently.up.sql', 'README.md', '.gitkeep', 'seed.sql'],
    ARRAY['CREATE TABLE users (id int);', 'DROP TABLE users;',
          'CREATE INDEX CONCURRENTLY users_id ON users (id);', '# migrations',
          '', 'INSERT INTO users VALUES (1);']);
-- again: unchanged; with new text for a pending one: updated
SELECT version, action FROM migrate.load_files(
    ARRAY['1_create_users.up.sql', '1_create_users.down.sql', '2_concurrently.up.sql'],
    ARRAY['CREATE TABLE users (id int);', 'DROP TABLE users;',
          'CREATE INDEX CONCURRENTLY users_id2 ON users (id);']);
-- Prisma and Drizzle layouts: names with a directory
SELECT version, name, files, action FROM migrate.load_files(
    ARRAY['20240101000000_init/migration.sql', 'migration_lock.toml'],
    ARRAY['CREATE TABLE p (id int);', 'provider = "postgresql"']);
SELECT version, name, files, action FROM migrate.load_files(
    ARRAY['meta/_journal.json', '0000_first.sql', 'meta/0000_snapshot.json'],
    ARRAY['{"dialect": "postgresql", "entries": [{"idx": 0, "tag": "0000_first"}]}',
          'CREATE TABLE d (id int)', '{}'], directory => 'drizzle');
SELECT count(migrate.remove(version)) FROM migrate.migrations;

-- bad arrays: nothing registered
\set VERBOSITY default
SELECT * FROM migrate.load_files(NULL, ARRAY['x']);
SELECT * FROM migrate.load_files(ARRAY['1_a.up.sql'], NULL);
SELECT * FROM migrate.load_files(ARRAY['1_a.up.sql', '2_b.up.sql'], ARRAY['SELECT 1']);
SELECT * FROM migrate.load_files(ARRAY['1_a.up.sql', NULL], ARRAY['SELECT 1', 'SELECT 2']);
SELECT * FROM migrate.load_files(ARRAY['1_a.up.sql', '2_b.up.sql'], ARRAY['SELECT 1', NULL]);
SELECT * FROM migrate.load_files(ARRAY[['1_a.up.sql']], ARRAY[['SELECT 1']]);
-- bad names
SELECT * FROM migrate.load_files(ARRAY['1_a.up.sql', '1_a.up.sql'], ARRAY['SELECT 1', 'SELECT 2']);
SELECT * FROM migrate.load_files(ARRAY['/srv/app/1_a.up.sql'], ARRAY['SELECT 1']);
\set VERBOSITY terse
SELECT * FROM migrate.load_files(ARRAY['../1_a.up.sql'], ARRAY['SELECT 1']);
SELECT * FROM migrate.load_files(ARRAY['x/./up.sql'], ARRAY['SELECT 1']);
SELECT * FROM migrate.load_files(ARRAY['x//up.sql'], ARRAY['SELECT 1']);
SELECT * FROM migrate.load_files(ARRAY['x/'], ARRAY['SELECT 1']);
SELECT * FROM migrate.load_files(ARRAY[''], ARRAY['SELECT 1']);
SELECT * FROM migrate.load_files(ARRAY['1_a', '1_a/up.sql'], ARRAY['', 'SELECT 1']);
-- unknown layouts and mixed formats
\set VERBOSITY default
SELECT * FROM migrate.load_files(ARRAY['README.md'], ARRAY['# migrations'], directory => 'db/migrations');
\set VERBOSITY terse
SELECT * FROM migrate.load_files('{}', '{}');
SELECT * FROM migrate.load_files(ARRAY['1_a.up.sql', 'V2__b.sql'], ARRAY['SELECT 1', 'SELECT 2']);
SELECT * FROM migrate.load_files(ARRAY['1_a.up.sql', '01_b.up.sql'], ARRAY['SELECT 1', 'SELECT 2']);
SELECT * FROM migrate.load_files(ARRAY['meta/_journal.json'], ARRAY['not json']);
SELECT count(*) FROM migrate.migrations;

-- a deploy role: EXECUTE on every routine, as the README grants it, and
-- no pg_read_server_files: load_files() works, load() does not; PUBLIC
-- may call neither
CREATE ROLE regress_deploy46;
GRANT USAGE ON SCHEMA t46 TO regress_deploy46;
SELECT has_function_privilege('public', 'migrate.load_files(text[], text[], text)', 'EXECUTE');
GRANT EXECUTE ON ALL ROUTINES IN SCHEMA migrate TO regress_deploy46;
SET ROLE regress_deploy46;
SELECT version, action FROM migrate.load_files(ARRAY['1_a.up.sql'], ARRAY['CREATE TABLE t46.a (id int)']);
SELECT * FROM migrate.load(:'fixtures' || '/golang');
RESET ROLE;
SELECT version, added_by = 'regress_deploy46' AS by_deploy FROM migrate.migrations;

REVOKE EXECUTE ON ALL ROUTINES IN SCHEMA migrate FROM regress_deploy46;
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
RESET search_path;
DROP SCHEMA t46 CASCADE;
DROP ROLE regress_deploy46;
