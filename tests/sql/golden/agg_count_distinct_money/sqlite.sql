SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  (
    SELECT
      COUNT(DISTINCT CAST(ROUND("ci"."price" * 100) AS INTEGER)) >= :p1
    FROM "cart_items" AS "ci"
    WHERE
      "ci"."member_id" = "c"."member_id"
      AND "ci"."added_at" >= :cart_start
      AND "ci"."added_at" <= :now
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: the number 2
