-- pgduplex.value_claims (extension 1.3): the unique values (other than the
-- key's) that local UPDATEs and DELETEs took away from a row, with the
-- commit time of the row version that held them.
CREATE TABLE claim_t (id int PRIMARY KEY, email text UNIQUE, v int);
CREATE TRIGGER pgduplex_release AFTER UPDATE ON claim_t
  FOR EACH ROW EXECUTE FUNCTION pgduplex.record_tombstone();
CREATE TRIGGER pgduplex_tombstone AFTER DELETE ON claim_t
  FOR EACH ROW EXECUTE FUNCTION pgduplex.record_tombstone();
INSERT INTO claim_t VALUES (1, 'a@', 1), (2, 'b@', 1), (3, NULL, 1);
-- an UPDATE that keeps the value claims nothing
UPDATE claim_t SET v = 2 WHERE id = 1;
SELECT count(*) AS after_unchanged FROM pgduplex.value_claims;
-- moving a value away, and deleting its holder, remember the old value
UPDATE claim_t SET email = 'c@' WHERE id = 1;
DELETE FROM claim_t WHERE id = 2;
-- NULL is no claim
DELETE FROM claim_t WHERE id = 3;
SELECT relid::regclass, indexrelid::regclass, held_at IS NOT NULL AS timed
  FROM pgduplex.value_claims ORDER BY value;
-- held_at is the commit time of the version that held the value
SELECT (SELECT held_at FROM pgduplex.value_claims c JOIN claim_t ON true WHERE claim_t.id = 1
        ORDER BY held_at LIMIT 1) < (SELECT pg_xact_commit_timestamp(xmin) FROM claim_t WHERE id = 1)
       AS held_before_the_move;
SELECT pgduplex.claim_time('claim_t'::regclass, '{id,email}', '{9,a@}') IS NOT NULL AS a_claimed,
       pgduplex.claim_time('claim_t'::regclass, '{id,email}', '{9,b@}') IS NOT NULL AS b_claimed,
       pgduplex.claim_time('claim_t'::regclass, '{id,email}', '{9,z@}') IS NULL AS z_free,
       pgduplex.claim_time('claim_t'::regclass, '{id}', '{9}') IS NULL AS no_unique_column;
-- a value held and given up inside one transaction was never held by a committed row
BEGIN;
INSERT INTO claim_t VALUES (4, 'd@', 1);
UPDATE claim_t SET email = 'e@' WHERE id = 4;
COMMIT;
SELECT pgduplex.claim_time('claim_t'::regclass, '{id,email}', '{9,d@}') IS NULL AS d_never_claimed;
-- the purge forgets claims too
SELECT pgduplex.purge_tombstones('0') >= 2 AS purged;
SELECT count(*) FROM pgduplex.value_claims;
-- a role that cannot read the table cannot ask
CREATE ROLE regress_claim_user;
SET ROLE regress_claim_user;
SELECT pgduplex.claim_time('claim_t'::regclass, '{email}', '{a@}');
RESET ROLE;
DROP ROLE regress_claim_user;
DROP TABLE claim_t;
