-- migrate.apply(): register and apply in one step; a release script made
-- of apply() calls can run again safely.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE SCHEMA t08;
SET search_path = t08;

SELECT version, name, statements
  FROM migrate.apply('0001', 'CREATE TABLE accounts (id bigint PRIMARY KEY)',
                     'DROP TABLE accounts', name => 'accounts');
SELECT version, name, statements
  FROM migrate.apply('0002', E'ALTER TABLE accounts ADD COLUMN email text;\nCREATE INDEX ON accounts (email)',
                     'ALTER TABLE accounts DROP COLUMN email');
-- the same script again: nothing happens
SELECT version, name, statements
  FROM migrate.apply('0001', 'CREATE TABLE accounts (id bigint PRIMARY KEY)',
                     'DROP TABLE accounts', name => 'accounts');
SELECT version, name, statements
  FROM migrate.apply('0002', E'ALTER TABLE accounts ADD COLUMN email text;\nCREATE INDEX ON accounts (email)',
                     'ALTER TABLE accounts DROP COLUMN email');
SELECT version, state, batch FROM migrate.status;

-- changed text for an applied migration is refused
SELECT * FROM migrate.apply('0001', 'CREATE TABLE accounts (id int PRIMARY KEY)');

-- a registered pending migration is replaced and applied
SELECT migrate.add('0003', 'CREATE TABLE wrong (id int)');
\set VERBOSITY terse
SELECT version FROM migrate.apply('0003', 'CREATE TABLE orders (id bigint)', 'DROP TABLE orders');
\set VERBOSITY default
SELECT version, state FROM migrate.status WHERE version = '0003';
SELECT to_regclass('wrong') IS NULL AS wrong_never_created;

-- apply() runs only the migration it names, even with others pending
SELECT migrate.add('0005', 'CREATE TABLE later (id int)', 'DROP TABLE later');
SELECT version FROM migrate.apply('0004', 'CREATE TABLE items (id int)', 'DROP TABLE items');
SELECT version, state FROM migrate.status WHERE version IN ('0004', '0005');

-- a failing apply() registers nothing and applies nothing
SELECT * FROM migrate.apply('0006', E'CREATE TABLE six (id int);\nCREATE TABLE six (id int)');
SELECT count(*) FROM migrate.status WHERE version = '0006';
SELECT to_regclass('six') IS NULL AS six_not_created;

-- a non-transactional migration is registered by apply() only to be run
-- by CALL migrate.run(); the failed call registers nothing
SELECT * FROM migrate.apply('0006', 'CREATE INDEX CONCURRENTLY ON accounts (id)',
                            transactional => false);
SELECT count(*) FROM migrate.status WHERE version = '0006';

-- bad arguments
SELECT * FROM migrate.apply(NULL, 'SELECT 1');
SELECT * FROM migrate.apply('0006', NULL);
SELECT * FROM migrate.apply('0006', 'SELEC 1');

RESET search_path;
DROP SCHEMA t08 CASCADE;
