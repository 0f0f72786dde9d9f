-- The net change: capture()'s down script is the inverse of what the
-- drift left, not of each statement (no-op ALTERs, a constraint dropped
-- and added back, a table created and changed are undone as a whole);
-- a capture is reversible only when that down script is complete; roles
-- the drift grants to are reported; changes() shows the history without
-- what changed nothing or cancels out.
SET migrate.allow_drop = on;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE SCHEMA t26;
SET search_path = t26;
SELECT migrate.dismiss_drift(reason => 'the test''s schema');

-- an application's tables, made by a migration
SELECT migrate.add('0001', $$
CREATE TABLE t26.users (id serial PRIMARY KEY, name varchar(50) NOT NULL,
                        created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE t26.posts (id serial PRIMARY KEY, title varchar(255),
                        user_id integer CONSTRAINT posts_user_id_fkey REFERENCES t26.users (id));
$$, $$DROP TABLE t26.posts; DROP TABLE t26.users;$$, name => 'tables');
SELECT version FROM migrate.latest();
SELECT migrate.schema(schemas => ARRAY['t26']) AS before_boot \gset

-- an ORM's start (Sequelize's sync({alter: true})): every column set to
-- what it is, the foreign key dropped and added back unnamed
ALTER TABLE "users" ALTER COLUMN "name" SET NOT NULL;
ALTER TABLE "users" ALTER COLUMN "name" TYPE VARCHAR(50);
ALTER TABLE "users" ALTER COLUMN "created_at" SET DEFAULT now();
ALTER TABLE "posts" ALTER COLUMN "title" DROP NOT NULL;
ALTER TABLE "posts" ALTER COLUMN "title" DROP DEFAULT;
ALTER TABLE "posts" ALTER COLUMN "title" TYPE VARCHAR(255);
ALTER TABLE "posts" DROP CONSTRAINT "posts_user_id_fkey";
ALTER TABLE "posts"  ADD FOREIGN KEY ("user_id") REFERENCES "users" ("id");
-- the log has every statement, each ALTER with what it changed
SELECT statement, objects @> '[{"unchanged": true}]' AS unchanged
  FROM migrate.ddl_log WHERE migration IS NULL ORDER BY id;
-- changes() leaves out what changed nothing and what cancels out
SELECT count(*) AS changes FROM migrate.changes();
-- the capture has nothing to undo, and is reversible
SET client_min_messages = notice;
SELECT version, statements, down FROM migrate.capture('0002', name => 'orm boot');
SET client_min_messages = warning;
SELECT version, reversible FROM migrate.status WHERE version = '0002';
SELECT version FROM migrate.rollback();
SELECT migrate.schema(schemas => ARRAY['t26']) = :'before_boot' AS unchanged;
SELECT version FROM migrate.latest();

-- real changes to existing tables: the down script restores each column
-- and constraint from the state the log recorded before the statement
SELECT migrate.schema(schemas => ARRAY['t26']) AS before_change \gset
ALTER TABLE users ALTER COLUMN name TYPE text;
ALTER TABLE users ALTER COLUMN name DROP NOT NULL;
ALTER TABLE users ALTER COLUMN created_at DROP DEFAULT;
ALTER TABLE users ALTER COLUMN created_at SET DEFAULT clock_timestamp();
ALTER TABLE users ADD COLUMN email text, ADD CHECK (email LIKE '%@%');
ALTER TABLE posts ADD COLUMN IF NOT EXISTS title varchar(255);
ALTER TABLE posts DROP CONSTRAINT posts_user_id_fkey,
    ADD FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
SELECT migrate.schema(schemas => ARRAY['t26']) AS after_change \gset
SELECT statement FROM migrate.changes() WHERE migration IS NULL ORDER BY id;
SELECT version, statements, down FROM migrate.capture('0003', name => 'changes');
SELECT version, reversible FROM migrate.status WHERE version = '0003';
SELECT version FROM migrate.rollback();
SELECT migrate.schema(schemas => ARRAY['t26']) = :'before_change' AS down_restores;
SELECT version FROM migrate.latest();
SELECT migrate.schema(schemas => ARRAY['t26']) = :'after_change' AS up_remakes;

-- a table the drift created is just dropped, whatever was done to it
-- after; one it created and dropped again leaves nothing
SELECT migrate.schema(schemas => ARRAY['t26']) AS before_tables \gset
CREATE TABLE comments (id serial PRIMARY KEY, body text);
ALTER TABLE comments ADD COLUMN post_id integer REFERENCES posts (id);
ALTER TABLE comments DROP COLUMN body;
ALTER TABLE comments RENAME COLUMN post_id TO "postId";
CREATE INDEX comments_post ON comments ("postId");
COMMENT ON TABLE comments IS 'comments on posts';
COMMENT ON COLUMN comments."postId" IS 'the post';
CREATE VIEW recent AS SELECT id FROM comments;
CREATE OR REPLACE VIEW recent AS SELECT id, "postId" FROM comments;
CREATE TABLE scratch (id int);
ALTER TABLE scratch ADD COLUMN note text;
DROP TABLE scratch;
SELECT version, statements, down FROM migrate.capture('0004', name => 'comments');
SELECT version, reversible FROM migrate.status WHERE version = '0004';
SELECT version FROM migrate.rollback();
SELECT migrate.schema(schemas => ARRAY['t26']) = :'before_tables' AS down_restores;
SELECT version FROM migrate.latest();

-- a statement with no inverse (the column's data is gone): the down
-- script names it, the migration is irreversible, a rollback refuses it
-- and the knex export says so instead of running half a down
ALTER TABLE users DROP COLUMN email;
ALTER TABLE users ADD COLUMN nickname text;
SET client_min_messages = notice;
SELECT version, down FROM migrate.capture('0005', name => 'lossy');
SET client_min_messages = warning;
SELECT version, reversible FROM migrate.status WHERE version = '0005';
SELECT version FROM migrate.rollback();
SELECT version FROM migrate.status WHERE state = 'applied' ORDER BY version;
SELECT migrate.export('0005', format => 'knex');
SELECT migrate.mark_reverted('0005', reason => 'reverted by hand');
ALTER TABLE users DROP COLUMN nickname;
ALTER TABLE users ADD COLUMN email text, ADD CHECK (email LIKE '%@%');
SELECT migrate.dismiss_drift(reason => 'the columns put back by hand');

-- what is not the application's schema stays out of the drift: grants
-- on migrate's own schema and functions; grants to roles are reported,
-- the roles named in the migration's up script
CREATE ROLE t26_app;
GRANT USAGE ON SCHEMA migrate TO t26_app;
GRANT EXECUTE ON ALL ROUTINES IN SCHEMA migrate TO t26_app;
SELECT count(*) AS drift FROM migrate.drift();
SELECT statement, extension FROM migrate.ddl_log ORDER BY id DESC LIMIT 2;
GRANT SELECT ON users TO t26_app;
ALTER TABLE posts OWNER TO t26_app;
SET client_min_messages = notice;
SELECT version, up FROM migrate.capture('0006', name => 'grants');
SET client_min_messages = warning;
SELECT migrate.mark_reverted('0006', reason => 'test');
ALTER TABLE posts OWNER TO CURRENT_USER;
SELECT migrate.dismiss_drift(reason => 'owner put back');

-- GRANT and REVOKE on tables, sequences and schemas: the log keeps the
-- objects' ACLs before and after, and the down script gives back exactly
-- what was there (a privilege already held is not revoked); a default
-- ACL made explicit is the same ACL
CREATE ROLE t26_ro;
CREATE SEQUENCE t26.counter;
GRANT SELECT ON users TO t26_ro;
SELECT migrate.dismiss_drift(reason => 'the reader''s grant');
SELECT string_agg(relname || ' ' || coalesce(relacl, acldefault(CASE relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", relowner))::text, ', ' ORDER BY relname) AS acls_before
  FROM pg_class WHERE relname IN ('users', 'counter') AND relnamespace = 't26'::regnamespace \gset
SELECT coalesce(nspacl, acldefault('n'::"char", nspowner))::text AS schema_acl_before FROM pg_namespace WHERE nspname = 't26' \gset
GRANT SELECT, INSERT ON users TO t26_app, t26_ro;
GRANT USAGE ON SEQUENCE counter TO t26_app WITH GRANT OPTION;
REVOKE SELECT ON users FROM t26_ro;
GRANT USAGE ON SCHEMA t26 TO PUBLIC;
-- (the owner's own entry left out: 17 added MAINTAIN to it)
CREATE FUNCTION pg_temp.others(acl text) RETURNS text LANGUAGE sql
AS $$SELECT string_agg(a, ',') FROM unnest(string_to_array(btrim(acl, '{}'), ',')) a
     WHERE a NOT LIKE 'postgres=%'$$;
SELECT statement, pg_temp.others(objects->0->'acls'->0->>'before') AS before,
       pg_temp.others(objects->0->'acls'->0->>'after') AS after
  FROM migrate.drift() ORDER BY id;
SET client_min_messages = notice;
SELECT version, down FROM migrate.capture('0007', name => 'grants back');
SET client_min_messages = warning;
SELECT version, reversible FROM migrate.status WHERE version = '0007';
SELECT version FROM migrate.rollback();
SELECT string_agg(relname || ' ' || coalesce(relacl, acldefault(CASE relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", relowner))::text, ', ' ORDER BY relname) = :'acls_before' AS acls_restored
  FROM pg_class WHERE relname IN ('users', 'counter') AND relnamespace = 't26'::regnamespace;
SELECT coalesce(nspacl, acldefault('n'::"char", nspowner))::text = :'schema_acl_before' AS schema_acl_restored
  FROM pg_namespace WHERE nspname = 't26';
SELECT version FROM migrate.up('0007');
-- a GRANT of column privileges or on ALL TABLES IN SCHEMA is not tracked
GRANT SELECT (id) ON users TO t26_ro;
SELECT version, down FROM migrate.capture('0008', name => 'column grant');
SELECT migrate.mark_reverted('0008', reason => 'test');
REVOKE ALL ON users, t26.counter FROM t26_ro, t26_app;
REVOKE ALL ON SCHEMA t26 FROM PUBLIC;
SELECT migrate.dismiss_drift(reason => 'grants removed');

-- changes() since a time, and only for who may read the log
SELECT now() AS mark \gset
SELECT pg_sleep(0.01);
ALTER TABLE users ALTER COLUMN email TYPE text;
ALTER TABLE users ALTER COLUMN email SET DEFAULT '';
SELECT statement FROM migrate.changes(since => :'mark');
SELECT count(*) AS since_now FROM migrate.changes(since => now() + interval '1 day');
SET ROLE t26_app;
SELECT * FROM migrate.changes();
RESET ROLE;

DROP SCHEMA t26 CASCADE;
REVOKE ALL ON ALL ROUTINES IN SCHEMA migrate FROM t26_app;
REVOKE ALL ON SCHEMA migrate FROM t26_app;
DROP ROLE t26_app, t26_ro;
