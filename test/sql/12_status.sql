-- status and summary read migrate.status_rows, which triggers on the
-- registry and the applied set keep in step (src/engine/status.c).  After
-- every kind of change the rows must be exactly what migrate.status_source
-- computes from the two tables; the view "in_step" says so.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE SCHEMA t12;
SET search_path = t12;
\pset null '(null)'

CREATE VIEW in_step AS
SELECT (SELECT count(*) FROM migrate.status_rows) AS rows,
       NOT EXISTS ((TABLE migrate.status_rows EXCEPT ALL TABLE migrate.status_source)
                   UNION ALL
                   (TABLE migrate.status_source EXCEPT ALL TABLE migrate.status_rows)) AS in_step;

-- nothing yet
SELECT * FROM in_step;

-- add(): pending rows, in version order (10 after 9)
SELECT migrate.add('10', 'CREATE TABLE ten (id int)', 'DROP TABLE ten', name => 'ten');
SELECT migrate.add('9', 'CREATE TABLE nine (id int)', 'DROP TABLE nine', name => 'nine');
SELECT migrate.add('11', 'CREATE TABLE eleven (id int)', name => 'no down');
SELECT migrate.add('12', 'SELECT 1', 'SELECT 1', environments => ARRAY['staging']);
SELECT * FROM in_step;
SELECT version, name, state, batch, reversible, registered FROM migrate.status;

-- new text for a pending migration replaces its row
SET client_min_messages = error;  -- the WARNING names the time
SELECT migrate.add('11', 'CREATE TABLE eleven (id int)', 'DROP TABLE eleven', name => 'eleven');
SET client_min_messages = warning;
SELECT version, name, reversible FROM migrate.status WHERE version = '11';

-- apply: applied rows with batch, who and how
SELECT version FROM migrate.latest(target => '10');
SELECT * FROM in_step;
SELECT version, state, batch, applied_by = current_user AS by_me, applied_as, reason
  FROM migrate.status;

-- mark_applied(): applied_as and the reason, from the applied set
SELECT migrate.mark_applied('11', 'created by hand during the incident');
SELECT version, state, applied_as, reason FROM migrate.status WHERE version = '11';
SELECT applied_as, reason FROM migrate.applied WHERE version = '11';

-- skipped is computed for the reader's environment, not stored
SELECT version, state FROM migrate.status WHERE version = '12';
SELECT state FROM migrate.status_rows WHERE version = '12';
SET migrate.environment = 'staging';
SELECT version, state FROM migrate.status WHERE version = '12';
SELECT applied, pending, modified, skipped FROM migrate.summary;
RESET migrate.environment;
SELECT applied, pending, modified, skipped FROM migrate.summary;

-- an applied migration whose registered text changes is modified
UPDATE migrate.migrations SET up = 'CREATE TABLE nine (id bigint)' WHERE version = '9';
SELECT * FROM in_step;
SELECT version, state FROM migrate.status WHERE version = '9';
SELECT applied, pending, modified, skipped FROM migrate.summary;
UPDATE migrate.migrations SET up = 'CREATE TABLE nine (id int)' WHERE version = '9';
SELECT version, state FROM migrate.status WHERE version = '9';

-- mark_reverted() and a revert: the rows are pending again, without the
-- applied columns
SELECT migrate.mark_reverted('11', 'dropped by hand');
SELECT version FROM migrate.down();
SELECT * FROM in_step;
SELECT version, state, batch, applied_at, applied_as, reason
  FROM migrate.status WHERE version IN ('10', '11');

-- forget() of an applied migration: it is pending again
SELECT version FROM migrate.up('10');
SELECT version FROM migrate.up('11');
SELECT migrate.forget('11');
SELECT * FROM in_step;
SELECT version, state, registered, reversible FROM migrate.status WHERE version = '11';

-- remove() of a pending one: the row goes
SELECT migrate.remove('12');
SELECT * FROM in_step;
SELECT version FROM migrate.status;

-- under session_replication_role = replica (a logical replica applying
-- the registry) the triggers still fire
SET session_replication_role = replica;
SELECT migrate.add('13', 'SELECT 13');
RESET session_replication_role;
SELECT * FROM in_step;
SELECT version, state FROM migrate.status WHERE version = '13';

-- an approval and its revocation rewrite the pending migration's row
SET migrate.allow_self_approval = on;
SELECT migrate.approve('13', note => 'a no-op') > 0 AS approved;
SELECT * FROM in_step;
SELECT version, approval FROM migrate.status WHERE version = '13';
SELECT migrate.revoke_approval('13', 'not yet');
SELECT * FROM in_step;
SELECT version, approval FROM migrate.status WHERE version = '13';
SELECT unapproved FROM migrate.summary;
RESET migrate.allow_self_approval;

-- a version renamed by hand moves its row; TRUNCATE rebuilds every row
BEGIN;
UPDATE migrate.migrations SET version = '14' WHERE version = '13';
SELECT * FROM in_step;
SELECT version FROM migrate.status WHERE version IN ('13', '14');
TRUNCATE migrate.migrations;
SELECT * FROM in_step;
SELECT version, registered FROM migrate.status;
ROLLBACK;

-- a data-only restore made with --disable-triggers leaves the rows out of
-- step; the README's two statements rebuild them
BEGIN;
ALTER TABLE migrate.migrations DISABLE TRIGGER migrations_status_sync;
DELETE FROM migrate.migrations WHERE version = '13';
ALTER TABLE migrate.migrations ENABLE ALWAYS TRIGGER migrations_status_sync;
SELECT * FROM in_step;
DELETE FROM migrate.status_rows;
INSERT INTO migrate.status_rows SELECT * FROM migrate.status_source;
SELECT * FROM in_step;
ROLLBACK;

-- the rows are not PUBLIC's to read or write; the view is
CREATE ROLE regress_status_reader;
SET ROLE regress_status_reader;
SELECT count(*) > 0 AS reads_status FROM migrate.status;
SELECT count(*) FROM migrate.status_rows;
RESET ROLE;
DROP ROLE regress_status_reader;

DROP SCHEMA t12 CASCADE;
