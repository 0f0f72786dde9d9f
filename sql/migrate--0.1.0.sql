/* migrate--0.1.0.sql: install script of the migrate extension */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION migrate" to load this file. \quit

--
-- Natural version order.  version_key() is what the tables' generated
-- sort_key columns hold (of sort_as when set, else of the version), so
-- ordering costs no function call at query time.
--
CREATE FUNCTION migrate.version_key(version pg_catalog.text)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'migrate_version_key'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION migrate.version_key(pg_catalog.text) IS
'sort key of a migration version in natural order: digit runs compare as numbers, the rest byte-wise';

CREATE FUNCTION migrate.version_cmp(a pg_catalog.text, b pg_catalog.text)
RETURNS pg_catalog.int4
AS 'MODULE_PATHNAME', 'migrate_version_cmp'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION migrate.version_cmp(pg_catalog.text, pg_catalog.text) IS
'-1, 0 or 1 as version a sorts before, equal to or after version b in natural order';

--
-- Checksums.  The registry's checksum column is generated from the
-- scripts, so no edit of a migration's text can go unnoticed.
--
CREATE FUNCTION migrate.checksum(up pg_catalog.text, down pg_catalog.text DEFAULT NULL)
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'migrate_checksum_sql'
LANGUAGE C IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION migrate.checksum(pg_catalog.text, pg_catalog.text) IS
'SHA-256 checksum (hex) of a migration''s up and down scripts, as recorded by migrate';

--
-- The registry: every known migration and its scripts.
--
CREATE TABLE migrate.migrations (
    version         pg_catalog.text NOT NULL,
    name            pg_catalog.text,
    up              pg_catalog.text NOT NULL,
    down            pg_catalog.text,
    transactional   pg_catalog.bool NOT NULL DEFAULT true,
    checksum        pg_catalog.text NOT NULL
                    GENERATED ALWAYS AS (migrate.checksum(up, down)) STORED,
    added_at        pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
    added_by        pg_catalog.name NOT NULL,
    sort_as         pg_catalog.text,
    sort_key        pg_catalog.bytea NOT NULL
                    GENERATED ALWAYS AS (migrate.version_key(COALESCE(sort_as, version))) STORED,
    environments    pg_catalog.text[],
    CONSTRAINT migrations_pkey PRIMARY KEY (version),
    CONSTRAINT migrations_version_format
        CHECK (version OPERATOR(pg_catalog.~) '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
    CONSTRAINT migrations_checksum_format
        CHECK (checksum OPERATOR(pg_catalog.~) '^[0-9a-f]{64}$'),
    CONSTRAINT migrations_environments_not_empty
        CHECK (pg_catalog.cardinality(environments) OPERATOR(pg_catalog.>) 0)
);

CREATE INDEX migrations_sort_key_idx ON migrate.migrations (sort_key);

COMMENT ON TABLE migrate.migrations IS
'registered migrations: version, name, up and down scripts, checksum, environments (NULL: all); written by migrate.add()';

--
-- The applied set: one row per applied migration, with the down script
-- recorded when it was applied (rollback uses it, whatever the registry
-- says later).
--
CREATE TABLE migrate.applied (
    version         pg_catalog.text NOT NULL,
    name            pg_catalog.text,
    batch           pg_catalog.int4 NOT NULL,
    checksum        pg_catalog.text NOT NULL,
    down            pg_catalog.text,
    transactional   pg_catalog.bool NOT NULL,
    applied_at      pg_catalog.timestamptz NOT NULL,
    applied_by      pg_catalog.name NOT NULL,
    duration        pg_catalog.interval NOT NULL,
    history_id      pg_catalog.int8 NOT NULL,
    sort_as         pg_catalog.text,
    sort_key        pg_catalog.bytea NOT NULL
                    GENERATED ALWAYS AS (migrate.version_key(COALESCE(sort_as, version))) STORED,
    CONSTRAINT applied_pkey PRIMARY KEY (version),
    CONSTRAINT applied_batch_positive CHECK (batch OPERATOR(pg_catalog.>) 0)
);

CREATE INDEX applied_sort_key_idx ON migrate.applied (sort_key);
CREATE INDEX applied_history_id_idx ON migrate.applied (history_id);

COMMENT ON TABLE migrate.applied IS
'applied migrations, with the batch and the down script recorded when each was applied';

--
-- The history: append-only record of every apply and revert.
--
CREATE SEQUENCE migrate.history_id_seq;

CREATE TABLE migrate.history (
    id              pg_catalog.int8 NOT NULL
                    DEFAULT pg_catalog.nextval('migrate.history_id_seq'::pg_catalog.regclass),
    version         pg_catalog.text NOT NULL,
    name            pg_catalog.text,
    action          pg_catalog.text NOT NULL,
    batch           pg_catalog.int4 NOT NULL,
    checksum        pg_catalog.text NOT NULL,
    up              pg_catalog.text,
    down            pg_catalog.text,
    transactional   pg_catalog.bool,
    statements      pg_catalog.int4,
    started_at      pg_catalog.timestamptz NOT NULL,
    duration        pg_catalog.interval NOT NULL,
    role            pg_catalog.name NOT NULL,
    session_role    pg_catalog.name NOT NULL DEFAULT session_user,
    backend_pid     pg_catalog.int4 NOT NULL DEFAULT pg_catalog.pg_backend_pid(),
    txid            pg_catalog.xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    detail          pg_catalog.text,
    CONSTRAINT history_pkey PRIMARY KEY (id),
    CONSTRAINT history_action_check
        CHECK (action OPERATOR(pg_catalog.=) ANY
               (ARRAY['apply', 'revert', 'forget', 'adopt', 'baseline', 'capture',
                      'attempt', 'fail']))
);

ALTER SEQUENCE migrate.history_id_seq OWNED BY migrate.history.id;

CREATE INDEX history_version_idx ON migrate.history (version, id);

COMMENT ON TABLE migrate.history IS
'append-only record of every apply, revert and forget (adopt, baseline, capture: recorded without running; attempt: a lock timeout that was retried; fail: a failure of CALL migrate.run()): who, when, how long, batch, checksum and the scripts';

CREATE FUNCTION migrate.history_guard()
RETURNS trigger
AS 'MODULE_PATHNAME', 'migrate_history_guard'
LANGUAGE C
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION migrate.history_guard() IS
'trigger function that keeps migrate.history and migrate.seed_runs append-only';

CREATE TRIGGER history_append_only
    BEFORE UPDATE OR DELETE ON migrate.history
    FOR EACH ROW EXECUTE FUNCTION migrate.history_guard();

CREATE TRIGGER history_no_truncate
    BEFORE TRUNCATE ON migrate.history
    FOR EACH STATEMENT EXECUTE FUNCTION migrate.history_guard();

--
-- A generation counter bumped by every call that changes state, right
-- after it takes the migrate lock.  At REPEATABLE READ or SERIALIZABLE the
-- update fails if another run committed after the caller's snapshot.  Not
-- dumped: CREATE EXTENSION creates its one row.
--
CREATE TABLE migrate.state (
    singleton       pg_catalog.bool NOT NULL DEFAULT true,
    generation      pg_catalog.int8 NOT NULL DEFAULT 0,
    CONSTRAINT state_pkey PRIMARY KEY (singleton),
    CONSTRAINT state_singleton CHECK (singleton)
);

INSERT INTO migrate.state DEFAULT VALUES;

COMMENT ON TABLE migrate.state IS
'one row: a counter that makes concurrent migrate calls fail cleanly at REPEATABLE READ and SERIALIZABLE';

--
-- DDL history: one row per DDL command run in the database, written by
-- the event triggers at the end of this script.  The statements can hold
-- secrets (user mapping options, passwords in connection strings): the
-- log is readable only by the extension's owner, who may grant SELECT on
-- it to an auditor.  Every DDL statement pays for its row, so the table
-- has no CHECK constraint and no generated column (each costs an
-- expression set up per row): only migrate's C code writes it, with the
-- values it checked.
--
CREATE SEQUENCE migrate.ddl_log_id_seq;

CREATE TABLE migrate.ddl_log (
    id              pg_catalog.int8 NOT NULL,
    at              pg_catalog.timestamptz NOT NULL,
    role            pg_catalog.name NOT NULL,
    session_role    pg_catalog.name NOT NULL,
    txid            pg_catalog.xid8 NOT NULL,
    command_tag     pg_catalog.text NOT NULL,
    object_type     pg_catalog.text,
    schema_name     pg_catalog.text,
    object_identity pg_catalog.text,
    objects         pg_catalog.jsonb NOT NULL,
    statement       pg_catalog.text,
    migration       pg_catalog.text,
    in_extension    pg_catalog.bool NOT NULL,
    extension       pg_catalog.text,
    top_level       pg_catalog.bool NOT NULL,
    backend_pid     pg_catalog.int4 NOT NULL,
    application_name pg_catalog.text,
    client_addr     pg_catalog.inet,
    CONSTRAINT ddl_log_pkey PRIMARY KEY (id)
);

ALTER SEQUENCE migrate.ddl_log_id_seq OWNED BY migrate.ddl_log.id;

-- drift() and prune_ddl_log() look rows up by time; BRIN costs the DDL
-- being recorded next to nothing
CREATE INDEX ddl_log_at_idx ON migrate.ddl_log USING brin (at);

COMMENT ON TABLE migrate.ddl_log IS
'DDL history: one row per DDL command, with the statement''s own text, the objects it created, altered or dropped, who ran it, and the migration it ran in (NULL outside migrations)';

COMMENT ON COLUMN migrate.ddl_log.command_tag IS
'the command, as PostgreSQL names it (CREATE TABLE, ALTER TABLE, DROP INDEX, ...)';
COMMENT ON COLUMN migrate.ddl_log.object_identity IS
'the object the command is about (object_type, schema_name too); NULL when it changed nothing or names no single object (GRANT)';
COMMENT ON COLUMN migrate.ddl_log.objects IS
'every object the command dropped, created or altered, in order: dropped, command_tag, object_type, schema_name, object_identity, cascaded (dropped with an object it depends on), definition (SQL that recreates an index, view, function, trigger or constraint as it was before the command dropped or replaced it)';
COMMENT ON COLUMN migrate.ddl_log.statement IS
'the text of the statement that ran, not the whole string the client sent; for DDL in a function, procedure or DO block, the statement inside it';
COMMENT ON COLUMN migrate.ddl_log.migration IS
'the version of the migration the statement ran in, NULL outside migrations';
COMMENT ON COLUMN migrate.ddl_log.extension IS
'the extension whose CREATE or ALTER EXTENSION script ran the statement';
COMMENT ON COLUMN migrate.ddl_log.top_level IS
'the client sent the statement itself (false: a function, procedure, DO block or extension script ran it)';

-- pg_dump dumps the contents of the registry, the applied set, the
-- history and the DDL history, and their sequences' positions.
SELECT pg_catalog.pg_extension_config_dump('migrate.migrations', '');
SELECT pg_catalog.pg_extension_config_dump('migrate.applied', '');
SELECT pg_catalog.pg_extension_config_dump('migrate.history', '');
SELECT pg_catalog.pg_extension_config_dump('migrate.history_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('migrate.ddl_log', '');
SELECT pg_catalog.pg_extension_config_dump('migrate.ddl_log_id_seq', '');

--
-- Status: one row per registered or applied migration, in version order.
--
CREATE VIEW migrate.status AS
SELECT COALESCE(m.version, a.version) AS version,
       COALESCE(m.name, a.name) AS name,
       CASE
           WHEN a.version IS NULL AND m.environments IS NOT NULL
                AND NOT (COALESCE(pg_catalog.current_setting('migrate.environment', true), '')
                         OPERATOR(pg_catalog.=) ANY (m.environments)) THEN 'skipped'
           WHEN a.version IS NULL THEN 'pending'
           WHEN m.version IS NOT NULL
                AND m.checksum OPERATOR(pg_catalog.<>) a.checksum THEN 'modified'
           ELSE 'applied'
       END AS state,
       a.batch,
       a.applied_at,
       a.applied_by,
       a.duration,
       CASE
           WHEN a.version IS NULL THEN m.down IS NOT NULL
           ELSE a.down IS NOT NULL
       END AS reversible,
       COALESCE(a.transactional, m.transactional) AS transactional,
       m.version IS NOT NULL AS registered,
       m.environments
  FROM migrate.migrations m
  FULL JOIN migrate.applied a ON a.version OPERATOR(pg_catalog.=) m.version
 ORDER BY COALESCE(m.sort_key, a.sort_key);

COMMENT ON VIEW migrate.status IS
'every registered or applied migration in version order: state (applied, pending, modified, skipped in this environment), batch, when, by whom, how long, reversible';

--
-- Inspecting scripts.
--
CREATE FUNCTION migrate.statements(script pg_catalog.text,
    OUT statement pg_catalog.int4, OUT line pg_catalog.int4,
    OUT command pg_catalog.text, OUT top_level_only pg_catalog.bool,
    OUT sql pg_catalog.text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_statements'
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION migrate.statements(pg_catalog.text) IS
'how migrate splits a script: one row per statement, with its line, command and whether it cannot run in a transaction block';

CREATE FUNCTION migrate.current_version()
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'migrate_current_version'
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION migrate.current_version() IS
'the highest applied migration version, NULL when none is applied';

--
-- Registering.
--
CREATE FUNCTION migrate.add(version pg_catalog.text, up pg_catalog.text,
    down pg_catalog.text DEFAULT NULL, name pg_catalog.text DEFAULT NULL,
    transactional pg_catalog.bool DEFAULT true, sort_as pg_catalog.text DEFAULT NULL,
    environments pg_catalog.text[] DEFAULT NULL)
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'migrate_add'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION migrate.add(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.bool, pg_catalog.text, pg_catalog.text[]) IS
'register a pending migration (with environments, only for those); returns added, updated or unchanged';

CREATE FUNCTION migrate.remove(version pg_catalog.text)
RETURNS void
AS 'MODULE_PATHNAME', 'migrate_remove'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION migrate.remove(pg_catalog.text) IS
'unregister a pending migration';

--
-- Running.  These functions (and the procedure run) run migrations, which are the caller's SQL
-- and must resolve names with the caller's search_path, as psql would:
-- they do not pin search_path in their definition.  Their own queries pin
-- it (pg_catalog, pg_temp) and are schema-qualified throughout.
--
CREATE FUNCTION migrate.latest(dry_run pg_catalog.bool DEFAULT false,
    "to" pg_catalog.text DEFAULT NULL,
    OUT version pg_catalog.text, OUT name pg_catalog.text,
    OUT duration pg_catalog.interval, OUT statements pg_catalog.int4)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_latest'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION migrate.latest(pg_catalog.bool, pg_catalog.text) IS
'apply every pending migration (or those up to "to") in version order as one batch; with dry_run, run them and roll everything back';

CREATE FUNCTION migrate.apply(version pg_catalog.text, up pg_catalog.text,
    down pg_catalog.text DEFAULT NULL, name pg_catalog.text DEFAULT NULL,
    transactional pg_catalog.bool DEFAULT true, sort_as pg_catalog.text DEFAULT NULL,
    environments pg_catalog.text[] DEFAULT NULL,
    OUT version pg_catalog.text, OUT name pg_catalog.text,
    OUT duration pg_catalog.interval, OUT statements pg_catalog.int4)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_apply'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION migrate.apply(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.bool, pg_catalog.text, pg_catalog.text[]) IS
'register a migration and apply it; a no-op when it is already applied with the same text, or skipped in this environment';

CREATE FUNCTION migrate.up(version pg_catalog.text DEFAULT NULL,
    OUT version pg_catalog.text, OUT name pg_catalog.text,
    OUT duration pg_catalog.interval, OUT statements pg_catalog.int4)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_up'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION migrate.up(pg_catalog.text) IS
'apply the next pending migration, or the named one';

CREATE FUNCTION migrate.down(version pg_catalog.text DEFAULT NULL,
    OUT version pg_catalog.text, OUT name pg_catalog.text,
    OUT duration pg_catalog.interval, OUT statements pg_catalog.int4)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_down'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION migrate.down(pg_catalog.text) IS
'revert the most recently applied migration, or the named one, with the down script recorded when it was applied';

CREATE FUNCTION migrate.rollback("all" pg_catalog.bool DEFAULT false,
    "to" pg_catalog.text DEFAULT NULL,
    OUT version pg_catalog.text, OUT name pg_catalog.text,
    OUT duration pg_catalog.interval, OUT statements pg_catalog.int4)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_rollback'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION migrate.rollback(pg_catalog.bool, pg_catalog.text) IS
'revert the last batch (or, with "all", every applied migration, or with "to", those above that version), newest first';

CREATE PROCEDURE migrate.run("to" pg_catalog.text DEFAULT NULL)
AS 'MODULE_PATHNAME', 'migrate_run'
LANGUAGE C;

COMMENT ON PROCEDURE migrate.run(pg_catalog.text) IS
'apply pending migrations (or bring the database to version "to", reverting what is above it; ''zero'' reverts everything), committing after each migration and running non-transactional ones in a background worker; not inside a transaction block';

CREATE FUNCTION migrate.forget(version pg_catalog.text)
RETURNS void
AS 'MODULE_PATHNAME', 'migrate_forget'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION migrate.forget(pg_catalog.text) IS
'record an applied migration as not applied without running anything, after reverting it by hand';

--
-- Schema: the DDL of the database from the catalogs, a baseline that
-- adopts an existing database, and migrations as files for a repository.
--
CREATE FUNCTION migrate.schema(schemas pg_catalog.text[] DEFAULT NULL)
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'migrate_schema'
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION migrate.schema(pg_catalog.text[]) IS
'the DDL of every user object (or of those in the schemas named), generated from the catalogs in a deterministic, dependency-correct order';

CREATE FUNCTION migrate.baseline(version pg_catalog.text,
    name pg_catalog.text DEFAULT NULL,
    OUT version pg_catalog.text, OUT name pg_catalog.text,
    OUT statements pg_catalog.int4, OUT reversible pg_catalog.bool)
RETURNS record
AS 'MODULE_PATHNAME', 'migrate_baseline'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION migrate.baseline(pg_catalog.text, pg_catalog.text) IS
'adopt an existing database: register a migration whose up script is migrate.schema() and record it as applied without running it';

CREATE FUNCTION migrate.export(version pg_catalog.text,
    format pg_catalog.text DEFAULT 'sql')
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'migrate_export'
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION migrate.export(pg_catalog.text, pg_catalog.text) IS
'a registered migration as the contents of a file: format sql (-- migrate:up / -- migrate:down sections) or knex (a knex migration module)';

CREATE FUNCTION migrate.export_all(format pg_catalog.text DEFAULT 'sql',
    OUT filename pg_catalog.text, OUT contents pg_catalog.text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_export_all'
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION migrate.export_all(pg_catalog.text) IS
'every registered migration as a file (file name and contents), in version order: format sql or knex';

--
-- DDL history and control.  drift() and capture() read the log as its
-- owner (catalog.c); they and prune_ddl_log() are not open to PUBLIC.
--
CREATE FUNCTION migrate.drift()
RETURNS SETOF migrate.ddl_log
AS 'MODULE_PATHNAME', 'migrate_drift'
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION migrate.drift() IS
'DDL recorded outside migrations since migrate last applied, reverted or captured a migration, in order';

CREATE FUNCTION migrate.capture(version pg_catalog.text, name pg_catalog.text DEFAULT NULL,
    OUT version pg_catalog.text, OUT name pg_catalog.text,
    OUT statements pg_catalog.int4, OUT up pg_catalog.text, OUT down pg_catalog.text)
RETURNS record
AS 'MODULE_PATHNAME', 'migrate_capture'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION migrate.capture(pg_catalog.text, pg_catalog.text) IS
'register the drift as a migration marked applied, with a generated down script where the inverse of each statement is known';

CREATE FUNCTION migrate.prune_ddl_log(older_than pg_catalog.interval,
    keep_drift pg_catalog.bool DEFAULT true)
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'migrate_prune_ddl_log'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION migrate.prune_ddl_log(pg_catalog.interval, pg_catalog.bool) IS
'delete DDL history older than the given age, except (by default) the current drift; returns the number of rows deleted';

--
-- Privileges.  Functions that change state are not executable by PUBLIC:
-- a DBA grants them to a deploy role (see the README).  The tables are
-- readable and writable only by the extension's owner; the functions
-- write them on the caller's behalf.  The status view, the version order,
-- checksums and splitting are harmless and open to all.
--
GRANT USAGE ON SCHEMA migrate TO PUBLIC;
GRANT SELECT ON migrate.status TO PUBLIC;

REVOKE ALL ON FUNCTION migrate.add(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.bool, pg_catalog.text, pg_catalog.text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate.remove(pg_catalog.text) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate.latest(pg_catalog.bool, pg_catalog.text) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate.apply(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.bool, pg_catalog.text, pg_catalog.text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate.up(pg_catalog.text) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate.down(pg_catalog.text) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate.rollback(pg_catalog.bool, pg_catalog.text) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate.forget(pg_catalog.text) FROM PUBLIC;
REVOKE ALL ON PROCEDURE migrate.run(pg_catalog.text) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate.history_guard() FROM PUBLIC;

--
-- Files and adoption: load a migration directory on the server, ship the
-- registry as a psql script, take over another tool's history.
--
CREATE FUNCTION migrate.load(directory pg_catalog.text,
    OUT version pg_catalog.text, OUT name pg_catalog.text,
    OUT files pg_catalog.text[], OUT action pg_catalog.text,
    OUT transactional pg_catalog.bool, OUT reversible pg_catalog.bool,
    OUT note pg_catalog.text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_load'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION migrate.load(pg_catalog.text) IS
'register every migration of a directory on the server (golang-migrate, dbmate, Flyway, diesel, goose, VERSION.name.up.sql, VERSION_name.sql), in its tool''s order; superuser or pg_read_server_files';

CREATE FUNCTION migrate.bundle()
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'migrate_bundle'
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION migrate.bundle() IS
'a psql script of migrate.add() and migrate.add_seed() calls that registers the same migrations and seeds in another database';

-- adopt() finds the tool's history table on the caller's search_path, as
-- the tool does, and reads it with the caller's privileges: it does not
-- pin search_path in its definition.  Its own queries are qualified.
CREATE FUNCTION migrate.adopt(tool pg_catalog.text,
    table_name pg_catalog.text DEFAULT NULL,
    OUT version pg_catalog.text, OUT name pg_catalog.text,
    OUT action pg_catalog.text, OUT note pg_catalog.text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_adopt'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION migrate.adopt(pg_catalog.text, pg_catalog.text) IS
'mark the registered migrations that knex, flyway, dbmate, golang-migrate, diesel or goose recorded as applied, without running them, as one batch';

--
-- Seeds: data scripts that run once (repeatable ones again when their
-- text changes), recorded like migrations.
--
CREATE TABLE migrate.seeds (
    name            pg_catalog.text NOT NULL,
    sql             pg_catalog.text NOT NULL,
    repeatable      pg_catalog.bool NOT NULL DEFAULT false,
    environments    pg_catalog.text[],
    checksum        pg_catalog.text NOT NULL
                    GENERATED ALWAYS AS (migrate.checksum(sql)) STORED,
    added_at        pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
    added_by        pg_catalog.name NOT NULL,
    sort_key        pg_catalog.bytea NOT NULL
                    GENERATED ALWAYS AS (migrate.version_key(name)) STORED,
    CONSTRAINT seeds_pkey PRIMARY KEY (name),
    CONSTRAINT seeds_name_format
        CHECK (name OPERATOR(pg_catalog.~) '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
    CONSTRAINT seeds_environments_not_empty
        CHECK (pg_catalog.cardinality(environments) OPERATOR(pg_catalog.>) 0)
);

COMMENT ON TABLE migrate.seeds IS
'registered seeds: name, SQL, repeatable, environments (NULL: all), checksum; written by migrate.add_seed()';

CREATE SEQUENCE migrate.seed_runs_id_seq;

CREATE TABLE migrate.seed_runs (
    id              pg_catalog.int8 NOT NULL
                    DEFAULT pg_catalog.nextval('migrate.seed_runs_id_seq'::pg_catalog.regclass),
    name            pg_catalog.text NOT NULL,
    checksum        pg_catalog.text NOT NULL,
    sql             pg_catalog.text NOT NULL,
    statements      pg_catalog.int4 NOT NULL,
    ran_at          pg_catalog.timestamptz NOT NULL,
    duration        pg_catalog.interval NOT NULL,
    ran_by          pg_catalog.name NOT NULL,
    environment     pg_catalog.text,
    CONSTRAINT seed_runs_pkey PRIMARY KEY (id),
    CONSTRAINT seed_runs_statements_not_negative
        CHECK (statements OPERATOR(pg_catalog.>=) 0)
);

ALTER SEQUENCE migrate.seed_runs_id_seq OWNED BY migrate.seed_runs.id;

CREATE INDEX seed_runs_name_idx ON migrate.seed_runs (name, id);

COMMENT ON TABLE migrate.seed_runs IS
'every run of a seed: when, by whom, in which environment, how long, the checksum and text that ran';

SELECT pg_catalog.pg_extension_config_dump('migrate.seeds', '');
CREATE TRIGGER seed_runs_append_only
    BEFORE UPDATE OR DELETE ON migrate.seed_runs
    FOR EACH ROW EXECUTE FUNCTION migrate.history_guard();

CREATE TRIGGER seed_runs_no_truncate
    BEFORE TRUNCATE ON migrate.seed_runs
    FOR EACH STATEMENT EXECUTE FUNCTION migrate.history_guard();

SELECT pg_catalog.pg_extension_config_dump('migrate.seed_runs', '');
SELECT pg_catalog.pg_extension_config_dump('migrate.seed_runs_id_seq', '');

CREATE VIEW migrate.seed_status AS
SELECT s.name,
       CASE
           WHEN r.name IS NOT NULL
                AND (r.checksum OPERATOR(pg_catalog.=) s.checksum OR NOT s.repeatable)
               THEN 'ran'
           WHEN s.environments IS NOT NULL
                AND NOT (COALESCE(pg_catalog.current_setting('migrate.environment', true), '')
                         OPERATOR(pg_catalog.=) ANY (s.environments)) THEN 'skipped'
           WHEN r.name IS NULL THEN 'pending'
           ELSE 'changed'
       END AS state,
       s.repeatable,
       s.environments,
       COALESCE(r.runs, 0) AS runs,
       r.ran_at AS last_ran_at,
       r.ran_by AS last_ran_by,
       r.duration AS last_duration
  FROM migrate.seeds s
  LEFT JOIN LATERAL (
       SELECT l.name, l.checksum, l.ran_at, l.ran_by, l.duration,
              pg_catalog.count(*) OVER () AS runs
         FROM migrate.seed_runs l
        WHERE l.name OPERATOR(pg_catalog.=) s.name
        ORDER BY l.id DESC
        LIMIT 1) r ON true
 ORDER BY s.sort_key;

COMMENT ON VIEW migrate.seed_status IS
'every seed in name order: state (ran, pending, changed: repeatable and to run again, skipped in this environment), runs, last run';

CREATE FUNCTION migrate.add_seed(name pg_catalog.text, sql pg_catalog.text,
    repeatable pg_catalog.bool DEFAULT false,
    environments pg_catalog.text[] DEFAULT NULL)
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'migrate_add_seed'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION migrate.add_seed(pg_catalog.text, pg_catalog.text, pg_catalog.bool, pg_catalog.text[]) IS
'register a seed (repeatable: run again when its text changes; environments: only there); returns added, updated or unchanged';

-- seed() runs the seeds, the caller's SQL, with the caller's search_path,
-- like latest(): it does not pin search_path in its definition.
CREATE FUNCTION migrate.seed(
    OUT name pg_catalog.text, OUT duration pg_catalog.interval,
    OUT statements pg_catalog.int4)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_seed'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION migrate.seed() IS
'run every seed that never ran, and repeatable seeds whose text changed, in name order, for this environment';

GRANT SELECT ON migrate.seed_status TO PUBLIC;

-- load() and adopt() change the registry, seed() and add_seed() run and
-- register seeds, bundle() shows every script: none is for PUBLIC.
REVOKE ALL ON FUNCTION migrate.load(pg_catalog.text) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate.bundle() FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate.adopt(pg_catalog.text, pg_catalog.text) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate.add_seed(pg_catalog.text, pg_catalog.text, pg_catalog.bool, pg_catalog.text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate.seed() FROM PUBLIC;

REVOKE ALL ON FUNCTION migrate.baseline(pg_catalog.text, pg_catalog.text) FROM PUBLIC;
-- export() and export_all() change nothing, but they show migration
-- scripts, which only the extension's owner can read otherwise.
-- schema() shows what the catalogs show to everyone and stays open.
REVOKE ALL ON FUNCTION migrate.export(pg_catalog.text, pg_catalog.text) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate.export_all(pg_catalog.text) FROM PUBLIC;

-- DDL history: the log and drift() show statements, which can hold
-- secrets; capture() and prune_ddl_log() change state.
REVOKE ALL ON FUNCTION migrate.drift() FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate.capture(pg_catalog.text, pg_catalog.text) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate.prune_ddl_log(pg_catalog.interval, pg_catalog.bool) FROM PUBLIC;
REVOKE ALL ON TABLE migrate.ddl_log FROM PUBLIC;

--
-- The event triggers of DDL history, created last so that they do not
-- fire for this script.  Their functions run for every role's DDL; they
-- do not pin search_path because they look up the names in the DDL
-- statement as the statement itself does, with the caller's search_path;
-- their own queries run as the extension's owner with a pinned one.
-- ENABLE ALWAYS: session_replication_role = replica does not skip them.
--
CREATE FUNCTION migrate.ddl_command_start()
RETURNS pg_catalog.event_trigger
AS 'MODULE_PATHNAME', 'migrate_ddl_command_start'
LANGUAGE C;

COMMENT ON FUNCTION migrate.ddl_command_start() IS
'event trigger function: strict mode, and what DDL history must know before a DDL command runs';

CREATE FUNCTION migrate.sql_drop()
RETURNS pg_catalog.event_trigger
AS 'MODULE_PATHNAME', 'migrate_sql_drop'
LANGUAGE C;

COMMENT ON FUNCTION migrate.sql_drop() IS
'event trigger function: what DDL history records of the objects a DDL command dropped';

CREATE FUNCTION migrate.ddl_command_end()
RETURNS pg_catalog.event_trigger
AS 'MODULE_PATHNAME', 'migrate_ddl_command_end'
LANGUAGE C;

COMMENT ON FUNCTION migrate.ddl_command_end() IS
'event trigger function: records a DDL command in migrate.ddl_log';

REVOKE ALL ON FUNCTION migrate.ddl_command_start() FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate.sql_drop() FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate.ddl_command_end() FROM PUBLIC;

CREATE EVENT TRIGGER migrate_ddl_command_start ON ddl_command_start
    EXECUTE FUNCTION migrate.ddl_command_start();
CREATE EVENT TRIGGER migrate_sql_drop ON sql_drop
    EXECUTE FUNCTION migrate.sql_drop();
CREATE EVENT TRIGGER migrate_ddl_command_end ON ddl_command_end
    EXECUTE FUNCTION migrate.ddl_command_end();

ALTER EVENT TRIGGER migrate_ddl_command_start ENABLE ALWAYS;
ALTER EVENT TRIGGER migrate_sql_drop ENABLE ALWAYS;
ALTER EVENT TRIGGER migrate_ddl_command_end ENABLE ALWAYS;
