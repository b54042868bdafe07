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
  SUM((
    "ci"."price" + "ci"."option_price"
  ) * "ci"."quantity") >= :p1 * COUNT((
    "ci"."price" + "ci"."option_price"
  ) * "ci"."quantity")
  AND SUM((
    "ci"."price" + "ci"."option_price"
  ) * "ci"."quantity") <= :p2 * COUNT((
    "ci"."price" + "ci"."option_price"
  ) * "ci"."quantity")

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: the number 12.34
--   p2: the number 100.01
