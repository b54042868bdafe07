SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  (
    SELECT
      COUNT(DISTINCT "el"."payment_method") = :p1
    FROM "orders" AS "o"
    JOIN "order_payments" AS "el"
      ON "el"."order_id" = "o"."order_id"
    WHERE
      "o"."member_id" = "c"."member_id"
      AND "o"."ordered_at" >= :history_start
      AND "o"."ordered_at" <= :now
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the number 0
