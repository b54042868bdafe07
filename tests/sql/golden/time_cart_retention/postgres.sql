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
        COUNT(CASE WHEN "ci"."added_at" >= :t1 THEN 1 END) > 0
        AND COUNT(CASE WHEN "ci"."added_at" < :t1 THEN 1 END) = 0
    ) AS "k"
    WHERE
      "k"."k" = "c"."member_id"
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   t1: now - 3d
