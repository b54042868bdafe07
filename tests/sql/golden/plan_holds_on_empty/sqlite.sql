SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  "c"."member_id" IN (
    SELECT
      "o"."member_id"
    FROM "orders" AS "o"
    WHERE
      "o"."ordered_at" >= :history_start AND "o"."ordered_at" <= :now
    GROUP BY
      "o"."member_id"
    HAVING
      COUNT(CASE WHEN "o"."status" = :p1 THEN 1 END) > 0
      AND COUNT(CASE WHEN "o"."status" = :p2 THEN 1 END) < :p3
      AND COALESCE(SUM(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)), 0) <> :p4
      AND NOT COALESCE(
        2 * SIGN(
          (
            SUM(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)) - (
              SUM(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)) % COUNT(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)) + COUNT(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER))
            ) % COUNT(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER))
          ) / COUNT(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)) - :p5
        ) + SIGN(
          (
            SUM(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)) % COUNT(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)) + COUNT(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER))
          ) % COUNT(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER))
        ) > 0,
        FALSE
      )
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the string 'paid'
--   p2: the string 'paid'
--   p3: the number 3
--   p4: 0 x 10^2 (in integer units)
--   p5: floor of 1000 x 10^2 (in integer units)
