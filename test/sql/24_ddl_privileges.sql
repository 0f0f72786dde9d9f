-- Privileges of DDL history: any role's DDL is recorded, though the role
-- may neither read nor write the log; statements can hold secrets, so the
-- log, drift(), capture() and prune_ddl_log() are not open to PUBLIC; a
-- DBA may grant reading the log to an auditor.  A hostile search_path
-- does not redirect the recording.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE ROLE regress_t24_dev;
CREATE ROLE regress_t24_auditor;
CREATE SCHEMA t24_dev AUTHORIZATION regress_t24_dev;
CREATE SCHEMA t24_locked;

-- a role's DDL is recorded under its name
SELECT coalesce(max(id), 0) AS mark FROM migrate.ddl_log \gset
SET ROLE regress_t24_dev;
CREATE TABLE t24_dev.own_table (a int);
ALTER TABLE t24_dev.own_table ADD COLUMN b text;
DROP TABLE t24_dev.own_table;
-- without privileges, its DDL fails as it would without migrate
CREATE TABLE t24_locked.not_allowed (a int);
-- it cannot read or change the log, nor call the drift functions
SELECT count(*) FROM migrate.ddl_log;
INSERT INTO migrate.ddl_log (id, at, role, session_role, txid, command_tag, objects,
                             in_extension, top_level, backend_pid)
VALUES (0, now(), 'x', 'x', '1', 'x', '[]', false, true, 0);
DELETE FROM migrate.ddl_log;
SELECT count(*) FROM migrate.drift();
SELECT * FROM migrate.capture('0001');
SELECT migrate.prune_ddl_log('0 seconds');
RESET ROLE;
SELECT command_tag, object_identity, role, session_role = session_user AS session_role_kept
  FROM migrate.ddl_log WHERE id > :mark ORDER BY id;

-- a deploy role granted every routine, as the README's recipe does, runs
-- migrations but neither reads the DDL text (drift(), capture()) nor
-- destroys the DDL history (prune_ddl_log()); a count is open
CREATE ROLE regress_t24_deploy;
GRANT EXECUTE ON ALL ROUTINES IN SCHEMA migrate TO regress_t24_deploy;
GRANT CREATE ON SCHEMA t24_dev TO regress_t24_deploy;
SET ROLE regress_t24_deploy;
SELECT version FROM migrate.apply('24', 'CREATE TABLE t24_dev.deployed (a int)');
SELECT count(*) FROM migrate.drift();
SELECT * FROM migrate.capture('25');
SELECT migrate.prune_ddl_log('0 seconds', keep_drift => false);
SELECT migrate.drift_count() >= 0 AS counted;
RESET ROLE;
SELECT count(*) > 0 AS log_kept FROM migrate.ddl_log;
-- what each needs, granted by a DBA
GRANT SELECT ON migrate.ddl_log TO regress_t24_deploy;
SET ROLE regress_t24_deploy;
SELECT count(*) >= 0 AS drift_read FROM migrate.drift();
SELECT migrate.prune_ddl_log('0 seconds');
RESET ROLE;
GRANT DELETE ON migrate.ddl_log TO regress_t24_deploy;
SET ROLE regress_t24_deploy;
SELECT migrate.prune_ddl_log('100 years') AS pruned;
SELECT count(*) FROM migrate.ddl_log_prunes;
RESET ROLE;
-- the prune is recorded, and the record cannot be rewritten
SELECT role, older_than, keep_drift, rows_removed FROM migrate.ddl_log_prunes;
DELETE FROM migrate.ddl_log_prunes;
TRUNCATE migrate.ddl_log_prunes;
DROP TABLE t24_dev.deployed;
REVOKE ALL ON migrate.ddl_log FROM regress_t24_deploy;
REVOKE ALL ON SCHEMA t24_dev FROM regress_t24_deploy;
REVOKE EXECUTE ON ALL ROUTINES IN SCHEMA migrate FROM regress_t24_deploy;
DROP ROLE regress_t24_deploy;

-- DDL in a SECURITY DEFINER function is recorded as its owner's, and the
-- session's role is kept
CREATE FUNCTION t24_dev.make_table() RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = t24_dev AS $$BEGIN CREATE TABLE made_by_definer (a int); END$$;
ALTER FUNCTION t24_dev.make_table() OWNER TO regress_t24_dev;
GRANT USAGE ON SCHEMA t24_dev TO regress_t24_auditor;
SELECT coalesce(max(id), 0) AS mark FROM migrate.ddl_log \gset
SET ROLE regress_t24_auditor;
SELECT t24_dev.make_table();
RESET ROLE;
SELECT command_tag, object_identity, role, top_level
  FROM migrate.ddl_log WHERE id > :mark ORDER BY id;

-- statements can hold secrets: recorded as they were sent, readable only
-- by whom the extension's owner lets read them
CREATE FOREIGN DATA WRAPPER t24_fdw;
CREATE SERVER t24_server FOREIGN DATA WRAPPER t24_fdw;
CREATE USER MAPPING FOR regress_t24_dev SERVER t24_server OPTIONS (password 'hunter2');
SELECT statement FROM migrate.ddl_log WHERE command_tag = 'CREATE USER MAPPING';
SET ROLE regress_t24_auditor;
SELECT statement FROM migrate.ddl_log WHERE command_tag = 'CREATE USER MAPPING';
RESET ROLE;
GRANT SELECT ON migrate.ddl_log TO regress_t24_auditor;
SET ROLE regress_t24_auditor;
SELECT statement FROM migrate.ddl_log WHERE command_tag = 'CREATE USER MAPPING';
RESET ROLE;
REVOKE SELECT ON migrate.ddl_log FROM regress_t24_auditor;

-- a DBA may add triggers (to forward DDL elsewhere) or indexes of any
-- kind to the log: the rows are then written by the executor, and the
-- triggers fire and the indexes hold them
CREATE TABLE public.t24_forwarded (statement text);
CREATE FUNCTION public.t24_forward() RETURNS trigger LANGUAGE plpgsql AS
    $$BEGIN INSERT INTO public.t24_forwarded VALUES (NEW.statement); RETURN NEW; END$$;
CREATE TRIGGER forward AFTER INSERT ON migrate.ddl_log
    FOR EACH ROW EXECUTE FUNCTION public.t24_forward();
CREATE INDEX ddl_log_lower_tag ON migrate.ddl_log (lower(command_tag))
    WHERE object_identity IS NOT NULL;
CREATE TABLE t24_dev.forwarded_ddl (a int);
SELECT statement FROM public.t24_forwarded;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT object_identity FROM migrate.ddl_log
 WHERE lower(command_tag) = 'create table' AND object_identity IS NOT NULL;
SELECT object_identity FROM migrate.ddl_log
 WHERE lower(command_tag) = 'create table' AND object_identity IS NOT NULL
   AND object_identity LIKE 't24_dev.forwarded%';
RESET enable_seqscan;
RESET enable_bitmapscan;
DROP TRIGGER forward ON migrate.ddl_log;
DROP INDEX migrate.ddl_log_lower_tag;
DROP TABLE public.t24_forwarded;
DROP FUNCTION public.t24_forward();

-- a hostile search_path: look-alike tables, sequences and functions do
-- not receive the rows
CREATE SCHEMA t24_evil;
CREATE TABLE t24_evil.ddl_log (LIKE migrate.ddl_log);
CREATE SEQUENCE t24_evil.ddl_log_id_seq;
CREATE FUNCTION t24_evil.clock_timestamp() RETURNS timestamptz
    LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'hijacked'; END$$;
CREATE FUNCTION t24_evil.session_user() RETURNS name
    LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'hijacked'; END$$;
SET search_path = t24_evil, migrate, pg_catalog;
SELECT coalesce(max(id), 0) AS mark FROM migrate.ddl_log \gset
CREATE TABLE t24_dev.after_hostile_path (a int);
SELECT object_identity FROM migrate.ddl_log WHERE id > :mark;
SELECT count(*) AS hijacked_rows FROM t24_evil.ddl_log;
RESET search_path;

DROP SCHEMA t24_dev, t24_locked, t24_evil CASCADE;
DROP FOREIGN DATA WRAPPER t24_fdw CASCADE;
DROP ROLE regress_t24_dev;
DROP ROLE regress_t24_auditor;
