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
      SUM("ci"."quantity") * 10 > :p1 * COUNT("ci"."quantity")
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: 2.5 x 10^1 (in integer units)
