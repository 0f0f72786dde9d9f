-- migrate.load(): bad directories and bad histories are refused before
-- anything is registered; who may read files on the server; an applied
-- migration whose file changed is registered and reported as modified.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE SCHEMA t41;
SET search_path = t41;
\getenv abs_srcdir PG_ABS_SRCDIR
\set fixtures :abs_srcdir '/fixtures/load'
\pset null '(null)'

-- Errors name the directory, which depends on where the tests run: this
-- helper shows the error with the fixtures' path replaced.
CREATE FUNCTION try_load(base text, dir text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    msg text;
    detail text;
    hint text;
BEGIN
    PERFORM migrate.load(base || dir);
    RETURN 'loaded';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL,
                            hint = PG_EXCEPTION_HINT;
    RETURN replace(format(E'%s: %s\nDETAIL: %s\nHINT: %s', SQLSTATE, msg, detail, hint),
                   base, '<fixtures>');
END
$$;

-- the argument: given, absolute, an existing directory
\set VERBOSITY default
SELECT migrate.load(NULL);
SELECT migrate.load('');
SELECT migrate.load('fixtures/load/golang');
SELECT migrate.load('/no/such/directory');
\set VERBOSITY terse
SELECT try_load(:'fixtures', '/golang/1_create_users.up.sql');
-- a directory without migration files
SELECT try_load(:'fixtures', '/empty');
-- one history, one tool: mixed formats are refused, goose with dbmate too
SELECT try_load(:'fixtures', '/mixed');
SELECT try_load(:'fixtures', '/goose_dbmate');
-- versions the tool takes for the same (Flyway: 1 = 1.0)
SELECT try_load(:'fixtures', '/dup');
-- an order migrate cannot keep: Flyway applies 1.2 before 1.5, migrate's
-- natural order puts 1.5 before 1_2
SELECT try_load(:'fixtures', '/order');
-- a Drizzle journal that is not JSON, is for another dialect, has no
-- entries, lists a tag twice or a tag that is no file of the directory;
-- an order of its entries that migrate cannot keep
SELECT try_load(:'fixtures', '/drizzle_bad/json');
SELECT try_load(:'fixtures', '/drizzle_bad/dialect');
SELECT try_load(:'fixtures', '/drizzle_bad/entries');
SELECT try_load(:'fixtures', '/drizzle_bad/twice');
SELECT try_load(:'fixtures', '/drizzle_bad/escape');
SELECT try_load(:'fixtures', '/drizzle_bad/order');
-- nothing was registered by any of them
SELECT count(*) FROM migrate.migrations;

-- load() is not for PUBLIC, and reading server files needs superuser or
-- pg_read_server_files, as COPY FROM a file does
CREATE ROLE regress_loader;
GRANT USAGE, CREATE ON SCHEMA t41 TO regress_loader;
SET ROLE regress_loader;
SELECT count(*) FROM migrate.load(:'fixtures' || '/plain');
RESET ROLE;
GRANT EXECUTE ON FUNCTION migrate.load(text) TO regress_loader;
SET ROLE regress_loader;
\set VERBOSITY default
SELECT count(*) FROM migrate.load(:'fixtures' || '/plain');
\set VERBOSITY terse
RESET ROLE;
GRANT pg_read_server_files TO regress_loader;
SET ROLE regress_loader;
SELECT version, action FROM migrate.load(:'fixtures' || '/plain');
RESET ROLE;
SELECT version, added_by FROM migrate.migrations ORDER BY sort_key;

-- modified: migration 1 is applied, then its file changes; 2 is pending
-- and gets a down, 3 is new.  load() registers 1's new text and reports
-- it as modified, replaces 2's, adds 3; status, summary and check() then
-- show 1 as modified, as after any change of the registered text.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SELECT version, action FROM migrate.load(:'fixtures' || '/modified1');
SELECT version FROM migrate.up();
\set VERBOSITY default
SELECT * FROM migrate.load(:'fixtures' || '/modified2');
\set VERBOSITY terse
SELECT version, up, down FROM migrate.migrations ORDER BY sort_key;
SELECT version, state FROM migrate.status;
SELECT applied, pending, modified FROM migrate.summary;
-- loading the same files again reports it again
SELECT version, action FROM migrate.load(:'fixtures' || '/modified2');
-- latest() and check() refuse while 1 is modified
SELECT version FROM migrate.latest();
SELECT migrate.check(fail_on => ARRAY['modified']);
-- the first files again: 1's file is what was applied, so 1 is applied
-- again and latest() runs 2 and 3
SELECT version, action FROM migrate.load(:'fixtures' || '/modified1');
SELECT version, state FROM migrate.status;
SELECT version FROM migrate.latest();

SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
RESET search_path;
DROP SCHEMA t41 CASCADE;
DROP ROLE regress_loader;
