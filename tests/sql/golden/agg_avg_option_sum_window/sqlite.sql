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
      2 * SIGN(
        (
          SUM(CAST(ROUND("ci"."option_price" * 100) AS INTEGER)) - (
            SUM(CAST(ROUND("ci"."option_price" * 100) AS INTEGER)) % COUNT(CAST(ROUND("ci"."option_price" * 100) AS INTEGER)) + COUNT(CAST(ROUND("ci"."option_price" * 100) AS INTEGER))
          ) % COUNT(CAST(ROUND("ci"."option_price" * 100) AS INTEGER))
        ) / COUNT(CAST(ROUND("ci"."option_price" * 100) AS INTEGER)) - :p1
      ) + SIGN(
        (
          SUM(CAST(ROUND("ci"."option_price" * 100) AS INTEGER)) % COUNT(CAST(ROUND("ci"."option_price" * 100) AS INTEGER)) + COUNT(CAST(ROUND("ci"."option_price" * 100) AS INTEGER))
        ) % COUNT(CAST(ROUND("ci"."option_price" * 100) AS INTEGER))
      ) < 0
  )
  AND (
    SELECT
      COALESCE(SUM("ci"."quantity"), 0) > :p2
    FROM "cart_items" AS "ci"
    WHERE
      "ci"."member_id" = "c"."member_id"
      AND "ci"."added_at" >= :cart_start
      AND "ci"."added_at" <= :now
      AND "ci"."added_at" >= :t1
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: floor of 1 x 10^2 (in integer units)
--   t1: now - 1d
--   p2: the number 1
