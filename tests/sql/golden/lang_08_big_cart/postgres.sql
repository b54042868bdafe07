SELECT
  "ci"."member_id" AS "member_id"
FROM "cart_items" AS "ci"
JOIN "customers" AS "c"
  ON "c"."member_id" = "ci"."member_id"
WHERE
  "ci"."added_at" >= :cart_start AND "ci"."added_at" <= :now
GROUP BY
  "ci"."member_id"
HAVING
  COALESCE(SUM((
    "ci"."price" + "ci"."option_price"
  ) * "ci"."quantity"), 0) >= :p1
  AND COUNT(DISTINCT "ci"."product_no") >= :p2

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: the number 100000
--   p2: the number 3
