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
      AND "ci"."quantity" > :p1
      AND (
        "ci"."quantity" <= :p2 OR "ci"."quantity" >= :p3
      )
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: floor of the number 2.5
--   p2: floor of the number 3.5
--   p3: ceiling of the number 3.5
