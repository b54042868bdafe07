SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  NOT "c"."member_id" IN (
    SELECT
      "o"."member_id"
    FROM "orders" AS "o"
    JOIN "order_items" AS "el"
      ON "el"."order_id" = "o"."order_id"
    WHERE
      "o"."ordered_at" >= :history_start
      AND "o"."ordered_at" <= :now
      AND "el"."product_no" = :p1
      AND NOT "o"."member_id" IS NULL
    GROUP BY
      "o"."member_id"
    HAVING
      MAX("o"."ordered_at") < :t1
  )
  AND EXISTS(
    SELECT
      1
    FROM "cart_items" AS "ci"
    WHERE
      "ci"."member_id" = "c"."member_id"
      AND "ci"."added_at" >= :cart_start
      AND "ci"."added_at" <= :now
      AND "ci"."product_no" = :p2
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the number 42
--   t1: now - 90d
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   p2: the number 42
