SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  "c"."member_id" IN (
    SELECT
      "o"."member_id"
    FROM "orders" AS "o"
    WHERE
      "o"."ordered_at" >= :history_start
      AND "o"."ordered_at" <= :now
      AND "o"."status" IN (:p1, :p2)
      AND NOT (
        EXISTS(
          SELECT
            1
          FROM "order_payments" AS "op"
          WHERE
            "op"."order_id" = "o"."order_id" AND "op"."payment_method" = :p3
        )
        OR "o"."order_id" IN (
          SELECT
            "oi"."order_id"
          FROM "order_items" AS "oi"
          WHERE
            "oi"."product_no" IN (:p4, :p5) AND "oi"."order_id" IS NOT NULL
        )
      )
  )
  AND NOT (
    EXISTS(
      SELECT
        1
      FROM "customer_coupons" AS "cc"
      WHERE
        "cc"."member_id" = "c"."member_id"
        AND "cc"."used_at" IS NULL
        AND "cc"."issued_at" <= :now
        AND "cc"."expires_at" >= :now
    )
    OR EXISTS(
      SELECT
        1
      FROM "cart_items" AS "ci"
      WHERE
        "ci"."member_id" = "c"."member_id"
        AND "ci"."added_at" >= :cart_start
        AND "ci"."added_at" <= :now
    )
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the string 'paid'
--   p2: the string 'pending'
--   p3: the string 'card'
--   p4: the number 1
--   p5: the number 2
--   cart_start: now - cart retention (the oldest cart item still in the cart)
