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
  SUM("ci"."option_price") < :p1 * COUNT("ci"."option_price")
  AND COALESCE(SUM(CASE WHEN "ci"."added_at" >= :t1 THEN "ci"."quantity" END), 0) > :p2

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: the number 1
--   t1: now - 1d
--   p2: the number 1
