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
          SUM(CAST(ROUND("ci"."price" * 100) AS INTEGER)) - (
            SUM(CAST(ROUND("ci"."price" * 100) AS INTEGER)) % COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER)) + COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER))
          ) % COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER))
        ) / COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER)) - :p1
      ) + SIGN(
        (
          SUM(CAST(ROUND("ci"."price" * 100) AS INTEGER)) % COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER)) + COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER))
        ) % COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER))
      ) = 0
      OR 2 * SIGN(
        (
          SUM(CAST(ROUND("ci"."price" * 100) AS INTEGER)) - (
            SUM(CAST(ROUND("ci"."price" * 100) AS INTEGER)) % COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER)) + COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER))
          ) % COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER))
        ) / COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER)) - :p2
      ) + SIGN(
        (
          SUM(CAST(ROUND("ci"."price" * 100) AS INTEGER)) % COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER)) + COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER))
        ) % COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER))
      ) = 0
      OR 2 * SIGN(
        (
          SUM(CAST(ROUND("ci"."price" * 100) AS INTEGER)) - (
            SUM(CAST(ROUND("ci"."price" * 100) AS INTEGER)) % COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER)) + COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER))
          ) % COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER))
        ) / COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER)) - :p3
      ) + SIGN(
        (
          SUM(CAST(ROUND("ci"."price" * 100) AS INTEGER)) % COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER)) + COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER))
        ) % COUNT(CAST(ROUND("ci"."price" * 100) AS INTEGER))
      ) = 0
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: floor of 12.34 x 10^2 (in integer units)
--   p2: floor of 100 x 10^2 (in integer units)
--   p3: floor of 0.5 x 10^2 (in integer units)
