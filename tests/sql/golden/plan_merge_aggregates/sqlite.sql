SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  "c"."member_id" IN (
    SELECT
      "o"."member_id"
    FROM "orders" AS "o"
    WHERE
      "o"."ordered_at" >= :history_start
      AND "o"."ordered_at" <= :now
      AND "o"."status" = :p1
    GROUP BY
      "o"."member_id"
    HAVING
      COALESCE(SUM(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)), 0) >= :p2
      AND 2 * SIGN(
        (
          SUM(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)) - (
            SUM(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)) % COUNT(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)) + COUNT(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER))
          ) % COUNT(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER))
        ) / COUNT(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)) - :p3
      ) + SIGN(
        (
          SUM(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)) % COUNT(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)) + COUNT(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER))
        ) % COUNT(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER))
      ) < 0
  )
  AND NOT COALESCE(
    (
      SELECT
        MAX("o"."ordered_at") >= :t1 AND MAX("o"."ordered_at") <= :now
      FROM "orders" AS "o"
      WHERE
        "o"."member_id" = "c"."member_id"
        AND "o"."ordered_at" >= :history_start
        AND "o"."ordered_at" <= :now
        AND "o"."status" = :p4
    ),
    FALSE
  )
  AND (
    SELECT
      MIN(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)) > :p5
      AND COUNT(DISTINCT "o"."status") <= :p6
    FROM "orders" AS "o"
    WHERE
      "o"."member_id" = "c"."member_id"
      AND "o"."ordered_at" >= :history_start
      AND "o"."ordered_at" <= :now
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the string 'paid'
--   p2: 50000 x 10^2 (in integer units)
--   p3: floor of 100000 x 10^2 (in integer units)
--   p4: the string 'canceled'
--   t1: now - 90d
--   p5: 0.5 x 10^2 (in integer units)
--   p6: the number 3
