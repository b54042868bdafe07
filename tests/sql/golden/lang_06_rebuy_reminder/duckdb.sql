SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  "c"."member_id" IN (
    SELECT
      "o"."member_id"
    FROM "orders" AS "o"
    JOIN "order_items" AS "el"
      ON "el"."order_id" = "o"."order_id"
    WHERE
      "o"."ordered_at" >= :history_start
      AND "o"."ordered_at" <= :now
      AND "el"."product_no" = :p1
    GROUP BY
      "o"."member_id"
    HAVING
      MAX("o"."ordered_at") < :t1
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the number 42
--   t1: now - 90d
