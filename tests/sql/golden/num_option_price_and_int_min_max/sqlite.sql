SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  "c"."member_id" IN (
    SELECT
      "ci"."member_id"
    FROM "cart_items" AS "ci"
    WHERE
      "ci"."added_at" >= :cart_start
      AND "ci"."added_at" <= :now
      AND CAST(ROUND("ci"."option_price" * 100) AS INTEGER) > :p1
      AND NOT "ci"."member_id" IS NULL
  )
  OR (
    SELECT
      MIN("ci"."quantity") >= :p2
    FROM "cart_items" AS "ci"
    WHERE
      "ci"."member_id" = "c"."member_id"
      AND "ci"."added_at" >= :cart_start
      AND "ci"."added_at" <= :now
  )
  OR (
    SELECT
      MAX("ci"."quantity") = :p3
    FROM "cart_items" AS "ci"
    WHERE
      "ci"."member_id" = "c"."member_id"
      AND "ci"."added_at" >= :cart_start
      AND "ci"."added_at" <= :now
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: 0.5 x 10^2 (in integer units)
--   p2: the number 3
--   p3: the number 1
