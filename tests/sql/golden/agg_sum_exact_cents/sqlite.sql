SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  "c"."member_id" IN (
    SELECT
      "o"."member_id"
    FROM "orders" AS "o"
    WHERE
      "o"."ordered_at" >= :history_start
      AND "o"."ordered_at" <= :now
      AND "o"."status" <> :p1
    GROUP BY
      "o"."member_id"
    HAVING
      COALESCE(SUM(CAST(ROUND("o"."order_amount" * 100) AS INTEGER)), 0) = :p2
  )
  OR "c"."member_id" IN (
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
      ) > :p3
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the string 'canceled'
--   p2: 100000.01 x 10^2 (in integer units)
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   p3: 49999.99 x 10^2 (in integer units)
