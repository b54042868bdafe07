SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  NOT "c"."member_id" IN (
    SELECT
      "cc"."member_id"
    FROM "customer_coupons" AS "cc"
    WHERE
      "cc"."used_at" IS NULL
      AND "cc"."issued_at" <= :now
      AND "cc"."expires_at" >= :now
      AND "cc"."member_id" IS NOT NULL
  )
  OR NOT "c"."member_id" IN (
    SELECT
      "ci"."member_id"
    FROM "cart_items" AS "ci"
    WHERE
      "ci"."added_at" >= :cart_start
      AND "ci"."added_at" <= :now
      AND "ci"."product_no" = :p1
      AND "ci"."member_id" IS NOT NULL
  )
  OR NOT "c"."member_id" IN (
    SELECT
      "o"."member_id"
    FROM "orders" AS "o"
    WHERE
      "o"."ordered_at" >= :history_start
      AND "o"."ordered_at" <= :now
      AND "o"."member_id" IS NOT NULL
    GROUP BY
      "o"."member_id"
    HAVING
      COUNT(*) >= :p2
  )

-- parameters:
--   now: now (the evaluation instant)
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   p1: the number 17
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   p2: the number 2
