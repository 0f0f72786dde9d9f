-- Approvals: approve() approves one checksum of a migration's text, void
-- as soon as the text changes; separation of duties; the designated
-- approver role; migrate.require_approval refuses, in every entry point,
-- naming every unapproved migration, with SQLSTATE MG003 and a hint, and
-- nothing changes; revoke_approval(); the history; status, summary,
-- check('unapproved') and review; releases without pg_cron.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE SCHEMA t53;
GRANT ALL ON SCHEMA t53 TO PUBLIC;
SET search_path = t53;
SELECT migrate.dismiss_drift('the schema of this test') AS dismissed;
CREATE ROLE regress_dev;
CREATE ROLE regress_approvers;
CREATE ROLE regress_alice IN ROLE regress_approvers;
CREATE ROLE regress_bob;
GRANT USAGE ON SCHEMA migrate TO regress_dev, regress_approvers, regress_bob;
GRANT EXECUTE ON ALL ROUTINES IN SCHEMA migrate
    TO regress_dev, regress_approvers, regress_bob;
GRANT SELECT ON migrate.review TO regress_approvers;

-- registered by a developer
SET ROLE regress_dev;
SELECT migrate.add('1', 'CREATE TABLE t53.a (id int)', 'DROP TABLE t53.a', name => 'table a');
SELECT migrate.add('2', 'CREATE TABLE t53.b (id int)', 'DROP TABLE t53.b', name => 'table b');
SELECT migrate.add('3', 'ALTER TABLE t53.a ADD COLUMN note text NOT NULL DEFAULT ''''',
                   name => 'a note');
-- only a superuser changes the approval settings
SET migrate.require_approval = off;
SET migrate.approver_role = 'regress_dev';
SET migrate.allow_self_approval = on;
RESET ROLE;

-- the state of each pending migration; nothing is refused while
-- migrate.require_approval is off (the default)
SELECT version, state, approval FROM migrate.status;
SELECT pending, unapproved FROM migrate.summary;
SELECT pending FROM migrate.check(fail_on => ARRAY['modified']);
SELECT * FROM migrate.check(fail_on => ARRAY['unapproved']);
\echo :LAST_ERROR_SQLSTATE

-- every entry point refuses, naming every unapproved migration it would
-- apply, before anything runs
SET migrate.require_approval = on;
SELECT version FROM migrate.latest();
\echo :LAST_ERROR_SQLSTATE
SELECT version FROM migrate.latest(target => '1');
SELECT version FROM migrate.up();
SELECT version FROM migrate.up('2');
SELECT version FROM migrate.apply('4', 'CREATE TABLE t53.d (id int)');
CALL migrate.run(target => '2');
-- a dry run is a preview, as plan() is: it is not refused
SELECT version FROM migrate.latest(dry_run => true);
-- nothing changed: latest(), up() and apply() roll back with their
-- statement (apply()'s registration of "4" too); run() committed the
-- record of its refusal before raising it
SELECT count(*) AS applied FROM migrate.applied;
SELECT string_agg(version, ', ' ORDER BY version) AS registered FROM migrate.migrations;
SELECT count(*) AS tables FROM pg_tables WHERE schemaname = 't53';
SELECT action, version, role, detail FROM migrate.history ORDER BY id;

-- who may approve: by default superusers and the extension's owner
SET ROLE regress_bob;
SELECT migrate.approve('1');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- or the members of the role a superuser designates
SET migrate.approver_role = 'regress_approvers';
SET ROLE regress_bob;
SELECT migrate.approve('1');
RESET ROLE;
SET ROLE regress_alice;
SELECT migrate.approve('1', note => 'new table') AS approval;
-- approving the same text again changes nothing
SET client_min_messages = notice;
SELECT migrate.approve('1') AS approval;
SET client_min_messages = warning;
RESET ROLE;

-- separation of duties: an approver does not approve what it registered
GRANT regress_approvers TO regress_dev;
SET ROLE regress_dev;
SELECT migrate.approve('2');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- unless a superuser allows it (small teams)
SET migrate.allow_self_approval = on;
SET ROLE regress_dev;
SELECT migrate.approve('2', note => 'small team') AS approval;
RESET ROLE;
RESET migrate.allow_self_approval;
REVOKE regress_approvers FROM regress_dev;

-- refusals: unknown versions, NULL, a malformed version; nothing changes
SET ROLE regress_alice;
SELECT migrate.approve('9');
SELECT migrate.approve(NULL);
SELECT migrate.approve('not a version!');
SELECT migrate.revoke_approval('9', 'no such migration');
RESET ROLE;
SELECT count(*) AS approvals FROM migrate.approvals;

SELECT version, approval FROM migrate.status;
SELECT pending, unapproved FROM migrate.summary;
-- 1 and 2 are approved: latest() up to 2 applies them
SELECT version FROM migrate.latest(target => '2');
-- an applied migration is not approved or revoked
SET ROLE regress_alice;
SELECT migrate.approve('1');
\echo :LAST_ERROR_SQLSTATE
SELECT migrate.revoke_approval('2', 'too late');
RESET ROLE;

-- an approval is void as soon as the text changes
SET ROLE regress_alice;
SELECT migrate.approve('3', note => 'the default is a constant') AS approval;
RESET ROLE;
SELECT version, approval FROM migrate.status WHERE version = '3';
SET ROLE regress_dev;
\set VERBOSITY terse
SELECT migrate.add('3', 'CREATE INDEX a_id ON t53.a (id)', name => 'an index');
\set VERBOSITY default
RESET ROLE;
SELECT version, approval FROM migrate.status WHERE version = '3';
SELECT pending, unapproved FROM migrate.summary;
SELECT version FROM migrate.latest();
SELECT * FROM migrate.check(fail_on => ARRAY['unapproved']);

-- review: the text, author, lint findings, the last plan() of this very
-- text, verify() (none here), the approval state and who approved
SELECT version, outcome FROM migrate.plan();
SET ROLE regress_alice;
SELECT version, name, up, author, lint, plan_outcome, plan_statements,
       plan_locks, plan_rewritten, verify_result, approval, approved_by
  FROM migrate.review;
SELECT migrate.approve('3', note => 'a small table') AS approval;
SELECT version, approval, cardinality(approved_by) AS approvals FROM migrate.review;
RESET ROLE;

-- revoke_approval(): by an approver, with a reason
SET ROLE regress_bob;
SELECT migrate.revoke_approval('3', 'not mine to revoke');
RESET ROLE;
SET ROLE regress_alice;
SELECT migrate.revoke_approval('3', NULL);
SELECT migrate.revoke_approval('3', note => 'wait for the release window') AS revoked;
SET client_min_messages = notice;
SELECT migrate.revoke_approval('3', note => 'again') AS revoked;
SET client_min_messages = warning;
RESET ROLE;
SELECT version, approval FROM migrate.status WHERE version = '3';
SELECT version FROM migrate.latest();

-- what each approval recorded: the text's checksum, the lint findings
-- and the plan as they were, the revocation
SELECT a.id, a.version, a.checksum = m.checksum AS current_text, a.approved_by,
       a.note, a.lint, a.plan ->> 'outcome' AS plan_outcome,
       a.revoked_by, a.revoke_note
  FROM migrate.approvals a
  LEFT JOIN migrate.migrations m USING (version)
 ORDER BY a.id;
-- an audit trail: no UPDATE but a revocation, no DELETE
UPDATE migrate.approvals SET note = 'rewritten' WHERE id = 1;
DELETE FROM migrate.approvals;
TRUNCATE migrate.approvals;
SELECT count(*) AS approvals FROM migrate.approvals;

-- the history: approvals, revocations and refusals
SELECT action, version, role, detail FROM migrate.history
 WHERE action IN ('approve', 'revoke_approval', 'refuse') ORDER BY id;

-- releases: only an approved rollout is scheduled; without pg_cron the
-- release is recorded and a NOTICE gives the cron line to install
SELECT migrate.release();
\echo :LAST_ERROR_SQLSTATE
SET ROLE regress_alice;
SELECT migrate.approve('3', note => 'for the release') > 0 AS approved;
RESET ROLE;
SET ROLE regress_bob;
SELECT migrate.release();
RESET ROLE;
SELECT migrate.release(target => '9');
SELECT migrate.release(target => 'zero');
SELECT migrate.release(role => 'regress_nobody');
-- (its NOTICE says when, which varies: release_status shows the rest)
SELECT migrate.release(at => now() + interval '1 day', note => 'tomorrow') AS release;
SELECT id, target, at > now() AS later, role, state, versions, cron_job,
       regexp_replace(cron_line, '^[0-9]+ [0-9]+ [0-9]+ [0-9]+ \*', 'MIN HOUR DAY MONTH *') AS cron_line,
       note
  FROM migrate.release_status;
-- it runs at its time only, outside a transaction block only
BEGIN;
CALL migrate.run_release(1);
ROLLBACK;
\set VERBOSITY sqlstate
CALL migrate.run_release(1);
\set VERBOSITY default
CALL migrate.run_release(99);
-- cancelling is one call
SET ROLE regress_bob;
SELECT migrate.cancel_release(1);
RESET ROLE;
SELECT migrate.cancel_release(1);
SELECT migrate.cancel_release(1);
CALL migrate.run_release(1);
SELECT id, state, cancelled_by FROM migrate.release_status;
UPDATE migrate.releases SET state = 'scheduled';
SELECT version, state FROM migrate.status;

RESET migrate.require_approval;
RESET migrate.approver_role;
DROP SCHEMA t53 CASCADE;
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
DROP OWNED BY regress_dev, regress_approvers, regress_alice, regress_bob;
DROP ROLE regress_dev, regress_alice, regress_approvers, regress_bob;
CREATE EXTENSION migrate;
