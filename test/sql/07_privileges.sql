-- Privileges: nothing that changes state is open to PUBLIC; a deploy role
-- granted the functions runs migrations with its own privileges and
-- cannot touch migrate's tables; a hostile search_path changes nothing.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;

CREATE ROLE regress_deployer;
CREATE ROLE regress_nobody;
CREATE SCHEMA t07_app AUTHORIZATION regress_deployer;
CREATE SCHEMA t07_locked;

-- a role without grants can look but not touch
SET ROLE regress_nobody;
SELECT migrate.add('1', 'CREATE TABLE t07_app.a (id int)');
SELECT * FROM migrate.latest();
SELECT * FROM migrate.rollback();
SELECT migrate.forget('1');
SELECT * FROM migrate.migrations;
SELECT * FROM migrate.history;
SELECT count(*) FROM migrate.status;
SELECT migrate.current_version();
RESET ROLE;

-- the README's recipe: grant the functions to a deploy role
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA migrate TO regress_deployer;

SET ROLE regress_deployer;
SET search_path = t07_app;
SELECT migrate.add('1', 'CREATE TABLE a (id int)', 'DROP TABLE a', name => 'a');
SELECT version FROM migrate.latest();
SELECT version, state, applied_by FROM migrate.status;
-- its own privileges decide what a migration may do
SELECT migrate.add('2', 'CREATE TABLE t07_locked.b (id int)');
SELECT version FROM migrate.latest();
SELECT migrate.remove('2');
-- the extension's tables are not reachable through a migration
SELECT migrate.add('2', $$INSERT INTO migrate.history (version, action, batch, checksum, started_at, duration, role)
                         VALUES ('x', 'apply', 1, repeat('0', 64), now(), '0', 'x')$$);
SELECT version FROM migrate.latest();
SELECT migrate.remove('2');
-- nor directly
UPDATE migrate.applied SET batch = 99;
DELETE FROM migrate.history;
INSERT INTO migrate.migrations (version, up, added_by) VALUES ('3', 'SELECT 1', 'me');
SELECT version FROM migrate.rollback();
RESET search_path;
RESET ROLE;

-- the history says who did what
SELECT version, action, role, session_role FROM migrate.history ORDER BY id;

-- a hostile search_path cannot redirect migrate's own queries: look-alike
-- tables, functions and operators earlier on the path are never used
CREATE SCHEMA t07_evil;
CREATE TABLE t07_evil.applied (version text);
CREATE TABLE t07_evil.migrations (version text);
CREATE FUNCTION t07_evil.evil_eq(text, text) RETURNS boolean
    LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'hijacked'; END$$;
CREATE OPERATOR t07_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = t07_evil.evil_eq);
CREATE FUNCTION t07_evil.string_agg(text, text) RETURNS text
    LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'hijacked'; END$$;
SET search_path = t07_evil, t07_app, pg_catalog;
SELECT migrate.add('2', 'CREATE TABLE c (id int)', 'DROP TABLE c');
SELECT version FROM migrate.latest();
SELECT version FROM migrate.down('2');
SELECT version FROM migrate.up('2');
SELECT version FROM migrate.rollback();
SELECT migrate.current_version();
SELECT count(*) FROM t07_evil.applied;
RESET search_path;

DROP SCHEMA t07_app, t07_locked, t07_evil CASCADE;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA migrate FROM regress_deployer;
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
DROP ROLE regress_deployer;
DROP ROLE regress_nobody;
