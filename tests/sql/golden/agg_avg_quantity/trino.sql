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
        2 * SIGN(
          (
            SUM("ci"."quantity") - (
              SUM("ci"."quantity") % COUNT("ci"."quantity") + COUNT("ci"."quantity")
            ) % COUNT("ci"."quantity")
          ) / COUNT("ci"."quantity") - :p1
        ) + SIGN(
          (
            SUM("ci"."quantity") % COUNT("ci"."quantity") + COUNT("ci"."quantity")
          ) % COUNT("ci"."quantity") * 10 - :p2 * COUNT("ci"."quantity")
        ) > 0
    ) AS "k"
    WHERE
      "k"."k" = "c"."member_id"
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: floor of 2.5 x 10^0 (in integer units)
--   p2: 2.5 x 10^0 less its floor, x 10^1 (in integer units)
