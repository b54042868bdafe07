SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  (
    SELECT
      SUM(CAST(ROUND("ci"."price" * 100) AS INTEGER)) = :p1 * COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER))
      OR SUM(CAST(ROUND("ci"."price" * 100) AS INTEGER)) = :p2 * COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER))
      OR SUM(CAST(ROUND("ci"."price" * 100) AS INTEGER)) = :p3 * COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER))
    FROM "cart_items" AS "ci"
    WHERE
      "ci"."member_id" = "c"."member_id"
      AND "ci"."added_at" >= :cart_start
      AND "ci"."added_at" <= :now
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: 12.34 x 10^2 (in integer units)
--   p2: 100 x 10^2 (in integer units)
--   p3: 0.5 x 10^2 (in integer units)
