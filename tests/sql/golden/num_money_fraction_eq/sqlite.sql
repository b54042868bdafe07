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
      AND CAST(ROUND("ci"."price" * 100) AS INTEGER) > :p1
      AND CAST(ROUND("ci"."price" * 100) AS INTEGER) < :p2
  )
  OR "c"."member_id" IN (
    SELECT
      "ci"."member_id"
    FROM "cart_items" AS "ci"
    WHERE
      "ci"."added_at" >= :cart_start
      AND "ci"."added_at" <= :now
      AND (
        CAST(ROUND("ci"."price" * 100) AS INTEGER) <= :p3
        OR CAST(ROUND("ci"."price" * 100) AS INTEGER) >= :p4
      )
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: floor of 12.345 x 10^2 (in integer units)
--   p2: ceiling of 12.345 x 10^2 (in integer units)
--   p3: floor of 12.345 x 10^2 (in integer units)
--   p4: ceiling of 12.345 x 10^2 (in integer units)
