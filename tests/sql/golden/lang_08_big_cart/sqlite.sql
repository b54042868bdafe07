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
      COALESCE(
        CASE
          WHEN TYPEOF(
            SUM(
              (
                CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
              ) * "ci"."quantity"
            )
          ) = 'real'
          THEN ABS(-9223372036854775807 - 1)
          ELSE SUM(
            (
              CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
            ) * "ci"."quantity"
          )
        END,
        0
      ) >= :p1
      AND COUNT(DISTINCT "ci"."product_no") >= :p2
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: 100000 x 10^2 (in integer units)
--   p2: the number 3
