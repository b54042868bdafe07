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
      AND (
        "ci"."price" + "ci"."option_price"
      ) * CAST("ci"."quantity" AS DECIMAL(38, 0)) >= :p1
  )
  OR EXISTS(
    SELECT
      1
    FROM "cart_items" AS "ci"
    WHERE
      "ci"."member_id" = "c"."member_id"
      AND "ci"."added_at" >= :cart_start
      AND "ci"."added_at" <= :now
      AND (
        "ci"."price" + "ci"."option_price"
      ) * CAST("ci"."quantity" AS DECIMAL(38, 0)) = :p2
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: the number 100000
--   p2: the number 24.70
