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
      AND EXISTS(
        SELECT
          1
        FROM "order_payments" AS "op"
        WHERE
          "op"."order_id" = "o"."order_id" AND "op"."payment_method" IN (:p1, :p2)
      )
      AND "o"."ordered_at" >= :t1
      AND "o"."ordered_at" < :t2
  )
  AND (
    SELECT
      COALESCE(SUM(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)), 0) >= :p3
    FROM "orders" AS "o"
    WHERE
      "o"."member_id" = "c"."member_id"
      AND "o"."ordered_at" >= :history_start
      AND "o"."ordered_at" <= :now
      AND "o"."ordered_at" >= :t1
      AND "o"."ordered_at" < :t2
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the string 'card'
--   p2: the string 'tcash'
--   t1: start of 2025-01-01 in the shop's zone
--   t2: start of 2025-02-01 in the shop's zone
--   p3: 50000 x 10^2 (in integer units)
