-- pgduplex.run_as(role, key): the apply worker acts as a table owner (or a
-- DDL's author) inside a security-restricted operation, and only the holder
-- of the session's key gets back.
\pset format unaligned
CREATE ROLE regress_owner;
CREATE ROLE regress_syncer LOGIN;
CREATE SCHEMA regress_owner_schema AUTHORIZATION regress_owner;

-- the key must be long enough
SELECT pgduplex.run_as(0, 'short');
BEGIN;
SELECT pgduplex.run_as('regress_owner'::regrole, 'k-0123456789abcdef');
SELECT current_user, session_user;
-- the owner's code cannot climb back: no SET ROLE, RESET ROLE or SET SESSION AUTHORIZATION
SAVEPOINT a;
RESET ROLE;
ROLLBACK TO a;
SELECT current_user;
SET ROLE postgres;
ROLLBACK TO a;
SELECT current_user;
SET SESSION AUTHORIZATION DEFAULT;
ROLLBACK TO a;
SELECT current_user;
ALTER ROLE regress_owner SUPERUSER;
ROLLBACK TO a;
SELECT current_user;
-- nor call run_as without the key
SELECT pgduplex.run_as(0, 'k-guessguessguess');
ROLLBACK TO a;
RELEASE a;
-- settings its code changes are undone at the switch back
SET search_path = regress_owner_schema;
SET datestyle = 'SQL, DMY';
SELECT pgduplex.run_as(0, 'k-0123456789abcdef');
SELECT current_user, current_setting('search_path') AS search_path, current_setting('datestyle') AS datestyle;
COMMIT;

-- a commit while switched is refused, and the session is the worker again
BEGIN;
SELECT pgduplex.run_as('regress_owner'::regrole, 'k-0123456789abcdef');
COMMIT;
SELECT current_user;

-- a rollback to a savepoint taken before the switch returns to the worker
BEGIN;
SAVEPOINT before_switch;
SELECT pgduplex.run_as('regress_owner'::regrole, 'k-0123456789abcdef');
ROLLBACK TO before_switch;
SELECT current_user;
SELECT pgduplex.run_as(0, 'k-0123456789abcdef');
COMMIT;

-- switch back at the savepoint level of the switch
BEGIN;
SELECT pgduplex.run_as('regress_owner'::regrole, 'k-0123456789abcdef');
SAVEPOINT inner_sp;
SELECT pgduplex.run_as(0, 'k-0123456789abcdef');
ROLLBACK;
SELECT current_user;

-- a role that is not superuser acts only as roles it is a member of
\c - regress_syncer
BEGIN;
SELECT pgduplex.run_as('regress_owner'::regrole, 'k-syncer-0123456789');
ROLLBACK;
\c - postgres
GRANT regress_owner TO regress_syncer;
\c - regress_syncer
BEGIN;
SELECT pgduplex.run_as('regress_owner'::regrole, 'k-syncer-0123456789');
SELECT current_user;
SELECT pgduplex.run_as(0, 'k-syncer-0123456789');
SELECT current_user;
COMMIT;
\c - postgres
DROP SCHEMA regress_owner_schema;
DROP ROLE regress_syncer;
DROP ROLE regress_owner;
