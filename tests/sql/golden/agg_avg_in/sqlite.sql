SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  "c"."member_id" IN (
    SELECT
      "ci"."member_id"
    FROM "cart_items" AS "ci"
    WHERE
      "ci"."added_at" >= :cart_start AND "ci"."added_at" <= :now
    GROUP BY
      "ci"."member_id"
    HAVING
      SUM(CAST(ROUND("ci"."price" * 100) AS INTEGER)) = :p1 * COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER))
      OR SUM(CAST(ROUND("ci"."price" * 100) AS INTEGER)) = :p2 * COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER))
      OR SUM(CAST(ROUND("ci"."price" * 100) AS INTEGER)) = :p3 * COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER))
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: 12.34 x 10^2 (in integer units)
--   p2: 100 x 10^2 (in integer units)
--   p3: 0.5 x 10^2 (in integer units)
