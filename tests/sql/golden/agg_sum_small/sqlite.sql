SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  NOT "c"."member_id" IN (
    SELECT
      "o"."member_id"
    FROM "orders" AS "o"
    WHERE
      "o"."ordered_at" >= :history_start
      AND "o"."ordered_at" <= :now
      AND "o"."member_id" IS NOT NULL
    GROUP BY
      "o"."member_id"
    HAVING
      NOT (
        COALESCE(SUM(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)), 0) < :p1
      )
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: 1000 x 10^2 (in integer units)
