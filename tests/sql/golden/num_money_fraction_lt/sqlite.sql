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
      AND CAST(ROUND("ci"."price" * 100) AS INTEGER) < :p1
  )
  AND EXISTS(
    SELECT
      1
    FROM "cart_items" AS "ci"
    WHERE
      "ci"."member_id" = "c"."member_id"
      AND "ci"."added_at" >= :cart_start
      AND "ci"."added_at" <= :now
      AND CAST(ROUND("ci"."price" * 100) AS INTEGER) > :p2
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: ceiling of 12.345 x 10^2 (in integer units)
--   p2: floor of 12.335 x 10^2 (in integer units)
