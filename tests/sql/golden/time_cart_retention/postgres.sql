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
  MIN("ci"."added_at") >= :t1

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   t1: now - 3d
