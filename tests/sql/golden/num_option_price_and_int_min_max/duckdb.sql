SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  EXISTS(
    SELECT
      1
    FROM "cart_items" AS "ci"
    WHERE
      "ci"."member_id" = "c"."member_id"
      AND "ci"."added_at" >= :cart_start
      AND "ci"."added_at" <= :now
      AND "ci"."option_price" > :p1
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
      MIN("ci"."quantity") >= :p2
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
      MAX("ci"."quantity") = :p3
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: the number 0.5
--   p2: the number 3
--   p3: the number 1
