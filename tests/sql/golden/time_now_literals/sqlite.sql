SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  "c"."member_id" IN (
    SELECT
      "cc"."member_id"
    FROM "customer_coupons" AS "cc"
    WHERE
      "cc"."used_at" IS NULL
      AND "cc"."issued_at" <= :now
      AND "cc"."expires_at" >= :now
      AND "cc"."expires_at" < :t1
  )
  AND EXISTS(
    SELECT
      1
    FROM "cart_items" AS "ci"
    WHERE
      "ci"."member_id" = "c"."member_id"
      AND "ci"."added_at" >= :cart_start
      AND "ci"."added_at" <= :now
      AND "ci"."added_at" < :now
  )

-- parameters:
--   now: now (the evaluation instant)
--   t1: now + 2d
--   cart_start: now - cart retention (the oldest cart item still in the cart)
