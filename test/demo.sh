#!/usr/bin/env bash
# test/demo.sh: migrate's main job on a throwaway local cluster.
#
# Installs what it needs (as root, on Debian), builds and installs migrate,
# starts a temporary PostgreSQL cluster as an unprivileged user, registers
# example migrations, applies them with migrate.latest(), shows the status
# and the DDL history, turns DDL made outside migrations into a migration,
# shows what a failing migration reports, rolls back, and removes the
# cluster again.
set -euo pipefail

cd "$(dirname "$0")/.."
. test/lib.sh

throwaway_cluster demo

log "a throwaway cluster is running in $WORK; here is migrate at work"
psql -X -e -v ON_ERROR_STOP=0 -d postgres <<'SQL'
CREATE EXTENSION migrate;

-- register three migrations: version, up, down, name
SELECT migrate.add('0001', $$
CREATE TABLE notes (
    id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    body text NOT NULL
)$$, 'DROP TABLE notes', name => 'create notes');

SELECT migrate.add('0002', $$
ALTER TABLE notes ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX notes_created_at ON notes (created_at)$$,
$$DROP INDEX notes_created_at;
ALTER TABLE notes DROP COLUMN created_at$$, name => 'timestamp notes');

SELECT migrate.add('0003', $$
CREATE FUNCTION note_count() RETURNS bigint LANGUAGE sql STABLE
RETURN (SELECT count(*) FROM notes)$$, 'DROP FUNCTION note_count()', name => 'count notes');

SELECT * FROM migrate.status;

-- apply everything pending, as one batch
SELECT * FROM migrate.latest();
SELECT version, name, state, batch, applied_by, reversible FROM migrate.status;
SELECT migrate.current_version();

-- every DDL statement is recorded, with the migration it ran in; DDL made
-- outside migrations is drift, which capture() turns into a migration
SELECT command_tag, object_identity, migration FROM migrate.ddl_log ORDER BY id;
CREATE INDEX notes_body ON notes (body);
SELECT command_tag, statement FROM migrate.drift();
SELECT version, up, down FROM migrate.capture('0003.1', name => 'hot fix: index on body');

-- a migration that fails: one error naming migration, statement and line;
-- nothing of the call stays applied
SELECT migrate.add('0004', $$
ALTER TABLE notes ADD COLUMN author text;
UPDATE notes SET author = 'unknown' WHERE id = 'one';
$$, 'ALTER TABLE notes DROP COLUMN author', name => 'add author');
SELECT * FROM migrate.latest();
SELECT version, state FROM migrate.status;

-- registration refuses what can never run, before anything runs
SELECT migrate.add('0005', E'BEGIN;\nCREATE TABLE tags (id int);\nCOMMIT;');

-- revert the last batch (the captured hot fix), then everything, newest
-- first, with the down scripts recorded when the migrations were applied
SELECT migrate.remove('0004');
SELECT * FROM migrate.rollback();
SELECT * FROM migrate.rollback(target => 'zero');
SELECT version, name, state FROM migrate.status;
SELECT version, action, batch, role, started_at FROM migrate.history ORDER BY id;
SQL

log "done; the cluster is removed"
