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
      AND "ci"."added_at" >= :t1
  )
  AND NOT EXISTS(
    SELECT
      1
    FROM "cart_items" AS "ci"
    WHERE
      "ci"."member_id" = "c"."member_id"
      AND "ci"."added_at" >= :cart_start
      AND "ci"."added_at" <= :now
      AND "ci"."added_at" < :t1
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   t1: now - 3d
