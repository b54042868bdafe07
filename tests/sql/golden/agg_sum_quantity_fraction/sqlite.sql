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
    GROUP BY
      "ci"."member_id"
    HAVING
      COALESCE(SUM("ci"."quantity"), 0) >= :p2
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: the number 17
--   p2: ceiling of the number 2.5
