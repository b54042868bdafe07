SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  EXISTS(
    SELECT
      1
    FROM (
      SELECT
        "ci"."member_id" AS "k"
      FROM "cart_items" AS "ci"
      WHERE
        "ci"."added_at" >= :cart_start AND "ci"."added_at" <= :now
      GROUP BY
        "ci"."member_id"
      HAVING
        COALESCE(SUM((
          "ci"."price" + "ci"."option_price"
        ) * "ci"."quantity"), 0) >= :p1
        AND COUNT(DISTINCT "ci"."product_no") >= :p2
    ) AS "k"
    WHERE
      "k"."k" = "c"."member_id"
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: the number 100000
--   p2: the number 3
