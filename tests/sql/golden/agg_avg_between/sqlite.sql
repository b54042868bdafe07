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
      SUM(
        (
          CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
        ) * "ci"."quantity"
      ) >= :p1 * COUNT(
        (
          CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
        ) * "ci"."quantity"
      )
      AND SUM(
        (
          CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
        ) * "ci"."quantity"
      ) <= :p2 * COUNT(
        (
          CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
        ) * "ci"."quantity"
      )
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: 12.34 x 10^2 (in integer units)
--   p2: 100.01 x 10^2 (in integer units)
