SELECT
  "o"."member_id" AS "member_id"
FROM "orders" AS "o"
JOIN "customers" AS "c"
  ON "c"."member_id" = "o"."member_id"
WHERE
  "o"."ordered_at" >= :history_start
  AND "o"."ordered_at" <= :now
  AND "o"."ordered_at" >= :t1
  AND "o"."ordered_at" < :t2
GROUP BY
  "o"."member_id"
HAVING
  COUNT(
    CASE
      WHEN EXISTS(
        SELECT
          1
        FROM "order_payments" AS "op"
        WHERE
          "op"."order_id" = "o"."order_id" AND "op"."payment_method" IN (:p1, :p2)
      )
      THEN 1
    END
  ) > 0
  AND COALESCE(SUM("o"."paid_amount"), 0) >= :p3

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   t1: start of 2025-01-01 in the shop's zone
--   t2: start of 2025-02-01 in the shop's zone
--   p1: the string 'card'
--   p2: the string 'tcash'
--   p3: the number 50000
