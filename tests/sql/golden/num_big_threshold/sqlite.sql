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
      AND CAST(ROUND("o"."paid_amount" * 100) AS INTEGER) < :p1
  )
  AND NOT EXISTS(
    SELECT
      1
    FROM "orders" AS "o"
    WHERE
      "o"."member_id" = "c"."member_id"
      AND "o"."ordered_at" >= :history_start
      AND "o"."ordered_at" <= :now
      AND CAST(ROUND("o"."paid_amount" * 100) AS INTEGER) > :p2
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: 99999999999999.99 x 10^2 (in integer units)
--   p2: floor of 999999999999999.999999 x 10^2 (in integer units)
