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
          "ci"."price" + "ci"."option_price"
        ) * CAST("ci"."quantity" AS DECIMAL(38, 0))
      ) >= :p1 * COUNT(
        (
          "ci"."price" + "ci"."option_price"
        ) * CAST("ci"."quantity" AS DECIMAL(38, 0))
      )
      AND SUM(
        (
          "ci"."price" + "ci"."option_price"
        ) * CAST("ci"."quantity" AS DECIMAL(38, 0))
      ) <= :p2 * COUNT(
        (
          "ci"."price" + "ci"."option_price"
        ) * CAST("ci"."quantity" AS DECIMAL(38, 0))
      )
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: the number 12.34
--   p2: the number 100.01
