-- migrate.baseline(): adopt an existing database.  It covers the whole
-- database, so it runs in a database of its own.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;
\set regress_db :DBNAME
CREATE DATABASE regress_t32;
\c regress_t32
SET client_min_messages = warning;
CREATE EXTENSION migrate;

-- nothing to adopt in an empty database
SELECT * FROM migrate.baseline('0000');
SELECT count(*) AS registered FROM migrate.status;

-- a database made by hand
CREATE SCHEMA app;
CREATE TYPE app.state AS ENUM ('new', 'done');
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql
    AS $$BEGIN NEW.updated_at := now(); RETURN NEW; END$$;
CREATE TABLE app.customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                            name text NOT NULL);
CREATE TABLE app.tasks (id serial PRIMARY KEY,
                        customer_id bigint REFERENCES app.customers,
                        state app.state DEFAULT 'new',
                        updated_at timestamptz);
CREATE INDEX tasks_state ON app.tasks (state);
CREATE TRIGGER tasks_touch BEFORE UPDATE ON app.tasks
    FOR EACH ROW EXECUTE FUNCTION app.touch();
CREATE VIEW app.open_tasks AS SELECT * FROM app.tasks WHERE state = 'new';
CREATE TABLE public.settings (key text PRIMARY KEY, value text);
INSERT INTO app.customers (name) VALUES ('Ann');

-- bad arguments change nothing
SELECT * FROM migrate.baseline(NULL);
SELECT * FROM migrate.baseline('not a version');

-- a pending migration that sorts before the baseline gets a warning
SELECT migrate.add('0000.1', 'CREATE TABLE app.extra (id int)', name => 'extra');
-- the version of a registered migration is refused
SELECT * FROM migrate.baseline('0000.1');

SELECT * FROM migrate.baseline('0001', 'adopt production');
SELECT version, name, state, batch, applied_by = current_user AS by_me, reversible
  FROM migrate.status ORDER BY version;
SELECT version, action, batch, statements FROM migrate.history;
-- nothing ran: the customer is still there, once
SELECT count(*) AS customers FROM app.customers;

-- its up script is schema(), its down drops what it creates
SELECT up = migrate.schema() AS up_is_schema FROM migrate.migrations WHERE version = '0001';
\pset format unaligned
\pset tuples_only on
SELECT down FROM migrate.migrations WHERE version = '0001';
\pset format aligned
\pset tuples_only off

-- once migrate tracks the database, there is no second baseline
SELECT * FROM migrate.baseline('0002');
SELECT count(*) AS registered FROM migrate.status;

-- the down refuses while a table holds rows, and changes nothing (the
-- context would show the whole DO block)
\set SHOW_CONTEXT never
SELECT migrate.remove('0000.1');
SELECT * FROM migrate.rollback();
\set SHOW_CONTEXT errors
SELECT version, state FROM migrate.status;
SELECT count(*) AS customers FROM app.customers;

-- with its tables empty it drops everything but the public schema: a
-- table made after the baseline, with rows (knex's own history, say), is
-- not the baseline's to check or to drop
DELETE FROM app.customers;
CREATE TABLE public.knex_migrations (id serial PRIMARY KEY, name text);
INSERT INTO public.knex_migrations (name) VALUES ('20240101_first.js');
SELECT migrate.dismiss_drift('knex made its table') AS dismissed;
SELECT version, statements FROM migrate.rollback();
SELECT count(*) AS knex_rows FROM public.knex_migrations;
DROP TABLE public.knex_migrations;
SELECT nspname FROM pg_namespace WHERE nspname = 'app';
SELECT count(*) AS objects_in_public FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public';

-- applied again, the up script makes the same schema
SELECT version, statements FROM migrate.latest();
SELECT up = migrate.schema() AS same_schema FROM migrate.migrations WHERE version = '0001';

-- without a name the baseline is called "baseline"; a database with
-- nothing to drop gets an irreversible baseline
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
DROP SCHEMA app CASCADE;
DROP TABLE public.settings;
CREATE EXTENSION migrate;
CREATE EXTENSION citext;
SELECT * FROM migrate.baseline('1');
SELECT up FROM migrate.migrations;

\c :regress_db
DROP DATABASE regress_t32;
