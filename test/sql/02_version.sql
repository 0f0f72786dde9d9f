-- Natural version order: digit runs compare as numbers, the rest byte-wise.

SELECT v FROM unnest(ARRAY['10', '2', '1.10', '1.9', '1.2.10', '1.2.9', 'V1_10',
                           'V1_2', '20240102', '20240101', '001', '1', '1a',
                           '1-1', '1.1', '1_1', 'a', 'A', 'b10', 'b9', '0', '00',
                           '2024-01-01-000000', '20240101000000'])
       AS t(v)
 ORDER BY migrate.version_key(v);

-- version_cmp agrees with the sort key
SELECT migrate.version_cmp('2', '10'), migrate.version_cmp('1.10', '1.9'),
       migrate.version_cmp('abc', 'abc'), migrate.version_cmp('01', '1');

-- pairwise comparison and the key give the same order on every pair
WITH v(v) AS (
    SELECT unnest(ARRAY['10', '2', '1.10', '1.9', '1.2.10', 'V1_10', 'V1_2',
                        '001', '1', '1a', '1-1', '1.1', '1_1', 'a', 'A', 'b10',
                        'b9', '0', '00', '9999999999999999999999', '99'])
)
SELECT count(*) AS disagreements
  FROM v a, v b
 WHERE sign(migrate.version_cmp(a.v, b.v)) <>
       CASE WHEN migrate.version_key(a.v) < migrate.version_key(b.v) THEN -1
            WHEN migrate.version_key(a.v) > migrate.version_key(b.v) THEN 1
            ELSE 0 END;

-- the longest allowed version, 128 characters of digits
SELECT length(migrate.version_key(repeat('9', 128))) > 0 AS ok;

-- invalid versions are refused with the rule in the message
SELECT migrate.version_key('');
SELECT migrate.version_key('-1');
SELECT migrate.version_key('1 2');
SELECT migrate.version_key('1/2');
SELECT migrate.version_key(repeat('1', 129));
SELECT migrate.version_cmp('1', 'é');
-- NULL is no version (the functions are strict)
SELECT migrate.version_key(NULL) IS NULL AS is_null;
