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
      AND "ci"."product_no" = :p1
  )
  AND EXISTS(
    SELECT
      1
    FROM "orders" AS "o"
    WHERE
      "o"."member_id" = "c"."member_id"
      AND "o"."ordered_at" >= :history_start
      AND "o"."ordered_at" <= :now
      AND "o"."status" IN (:p2, :p3)
  )
  AND NOT EXISTS(
    SELECT
      1
    FROM "customer_coupons" AS "cc"
    WHERE
      "cc"."member_id" = "c"."member_id"
      AND "cc"."used_at" IS NULL
      AND "cc"."issued_at" <= :now
      AND "cc"."expires_at" >= :now
      AND "cc"."expires_at" <= :t1
  )
  AND (
    SELECT
      COUNT(DISTINCT "el"."payment_method") >= :p4
    FROM "orders" AS "o"
    JOIN "order_payments" AS "el"
      ON "el"."order_id" = "o"."order_id"
    WHERE
      "o"."member_id" = "c"."member_id"
      AND "o"."ordered_at" >= :history_start
      AND "o"."ordered_at" <= :now
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: the number 42
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   p2: the string 'paid'
--   p3: the string 'canceled'
--   t1: now + 1d
--   p4: the number 1
