SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  "c"."member_id" IN (
    SELECT
      "ci"."member_id"
    FROM "cart_items" AS "ci"
    WHERE
      "ci"."added_at" >= :cart_start
      AND "ci"."added_at" <= :now
      AND "ci"."product_no" = :p1
  )
  AND NOT EXISTS(
    SELECT
      1
    FROM "orders" AS "o"
    WHERE
      "o"."member_id" = "c"."member_id"
      AND "o"."ordered_at" >= MAX(:history_start, :t1)
      AND "o"."ordered_at" <= :now
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: the number 17
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   t1: now - 3d
