-- Registering migrations with migrate.add(): checks at registration time,
-- idempotency, and that a refused registration changes nothing.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE SCHEMA t04;
SET search_path = t04;

SELECT migrate.add('0001', 'CREATE TABLE notes (id bigint PRIMARY KEY)',
                   'DROP TABLE notes', name => 'create notes');
-- the same text again: nothing to do
SELECT migrate.add('0001', 'CREATE TABLE notes (id bigint PRIMARY KEY)',
                   'DROP TABLE notes', name => 'create notes');
-- new text for a pending migration replaces it
\set VERBOSITY terse
SELECT migrate.add('0001', 'CREATE TABLE notes (id bigint PRIMARY KEY, body text)',
                   'DROP TABLE notes', name => 'create notes');
\set VERBOSITY default
-- a new name alone is an update too
\set VERBOSITY terse
SELECT migrate.add('0001', 'CREATE TABLE notes (id bigint PRIMARY KEY, body text)',
                   'DROP TABLE notes', name => 'notes');
\set VERBOSITY default
-- positional arguments and no down (irreversible)
SELECT migrate.add('0002', 'ALTER TABLE notes ADD COLUMN created_at timestamptz');
-- an empty down is a deliberate no-op, not irreversible
SELECT migrate.add('0003', '-- nothing to do here: data fixed by hand', '');

SELECT version, name, up, down, transactional, length(checksum) AS checksum_len,
       checksum = migrate.checksum(up, down) AS checksum_ok, added_by = current_user AS by_me
  FROM migrate.migrations ORDER BY sort_key;

-- the checksum covers up and down, and tells NULL from empty
SELECT migrate.checksum('a', NULL) <> migrate.checksum('a', '') AS null_vs_empty,
       migrate.checksum('a', 'b') <> migrate.checksum('ab', NULL) AS split,
       migrate.checksum('a', 'b') = migrate.checksum('a', 'b') AS stable,
       migrate.checksum('a') = migrate.checksum('a', NULL) AS default_down;
SELECT migrate.checksum(NULL, 'x');

-- bad input: each refused with a clear error, nothing registered
\set VERBOSITY default
SELECT migrate.add(NULL, 'SELECT 1');
\echo :LAST_ERROR_SQLSTATE
SELECT migrate.add('not valid!', 'SELECT 1');
\echo :LAST_ERROR_SQLSTATE
SELECT migrate.add('0010', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT migrate.add('0010', '');
\echo :LAST_ERROR_SQLSTATE
SELECT migrate.add('0010', E'  \n\t ');
\echo :LAST_ERROR_SQLSTATE
SELECT migrate.add('0010', 'SELECT 1', transactional => NULL);
\echo :LAST_ERROR_SQLSTATE
-- syntax errors name the migration, the script and the line
SELECT migrate.add('0010', E'CREATE TABLE a (id int);\n\nCREATE TABEL b (id int);');
\echo :LAST_ERROR_SQLSTATE
SELECT migrate.add('0010', 'CREATE TABLE a (id int)', E'DROP TABLE a\nDROP TABLE b;');
\echo :LAST_ERROR_SQLSTATE
-- psql meta-commands
SELECT migrate.add('0010', E'\\connect other\nCREATE TABLE a (id int);');
\echo :LAST_ERROR_SQLSTATE
SELECT migrate.add('0010', E'CREATE TABLE a (id int);\n\\ir more.sql');
SELECT migrate.add('0010', E'CREATE TABLE a (id int);\nCREATE TABLE :"table" (id int);');
-- transaction control
SELECT migrate.add('0010', E'BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;');
\echo :LAST_ERROR_SQLSTATE
SELECT migrate.add('0010', E'CREATE TABLE a (id int);\nSAVEPOINT s;\nROLLBACK TO SAVEPOINT s;');
SELECT migrate.add('0010', 'CREATE TABLE a (id int)', E'START TRANSACTION;\nDROP TABLE a;\nEND;');
-- a statement that cannot run in a transaction block needs transactional => false
SELECT migrate.add('0010', E'CREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY a_id ON a (id);');
\echo :LAST_ERROR_SQLSTATE
SELECT migrate.add('0010', 'CREATE INDEX a_id ON a (id)', 'DROP INDEX CONCURRENTLY a_id');
SELECT migrate.add('0010', 'VACUUM notes');
\set VERBOSITY terse

-- nothing of the refused calls was registered
SELECT version FROM migrate.migrations ORDER BY sort_key;

-- registered as non-transactional, the same migration is accepted
SELECT migrate.add('0010', 'CREATE INDEX CONCURRENTLY notes_id ON notes (id)',
                   'DROP INDEX CONCURRENTLY notes_id', transactional => false);
SELECT version, transactional FROM migrate.migrations WHERE version = '0010';

-- remove() unregisters a pending migration
SELECT migrate.remove('0010');
SELECT migrate.remove('0010');
SELECT migrate.remove(NULL);

-- an applied migration's text is history
SELECT version FROM migrate.latest();
\set VERBOSITY default
SELECT migrate.add('0002', 'ALTER TABLE notes ADD COLUMN created_at timestamp');
\echo :LAST_ERROR_SQLSTATE
SELECT migrate.remove('0002');
\set VERBOSITY terse
-- identical text for an applied migration is still a no-op
SELECT migrate.add('0002', 'ALTER TABLE notes ADD COLUMN created_at timestamptz');
-- the registry and the applied set are as they were
SELECT version, state FROM migrate.status;

RESET search_path;
DROP SCHEMA t04 CASCADE;

-- sort_as orders a migration as if its version were another: for tools
-- whose order is not natural order (diesel compares versions as text, so
-- 202605051800070000 comes before 20260527120000)
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SELECT migrate.add('20260527120000', 'SELECT 1');
SELECT migrate.add('202605051800070000', 'SELECT 2', sort_as => '20260505180007.0000');
SELECT migrate.add('20260101000000', 'SELECT 3');
SELECT version, state FROM migrate.status;
SELECT version FROM migrate.latest();
SELECT migrate.current_version();
-- it is part of what add() compares: the same with another sort_as is an update
SELECT migrate.add('202605051800070000', 'SELECT 2', sort_as => '20260505180007.0000');
SELECT migrate.add('202605051800070000', 'SELECT 2');
SELECT migrate.add('202605051800070000', 'SELECT 2', sort_as => 'not valid!');
SELECT sort_as FROM migrate.applied WHERE version = '202605051800070000';
