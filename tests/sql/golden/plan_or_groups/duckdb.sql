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
    GROUP BY
      "ci"."member_id"
    HAVING
      COALESCE(SUM("ci"."quantity"), 0) >= :p2
  )
  OR "c"."member_id" IN (
    SELECT
      "cc"."member_id"
    FROM "customer_coupons" AS "cc"
    LEFT JOIN "coupons" AS "cd"
      ON "cd"."coupon_no" = "cc"."coupon_no"
    WHERE
      "cc"."used_at" IS NULL
      AND "cc"."issued_at" <= :now
      AND "cc"."expires_at" >= :now
      AND "cc"."coupon_no" = :p3
    GROUP BY
      "cc"."member_id"
    HAVING
      COUNT(CASE WHEN "cd"."issue_type" = :p4 THEN 1 END) > 0
      AND COUNT(CASE WHEN NOT (
        "cd"."issue_type" = :p5
      ) THEN 1 END) = 0
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: the number 17
--   p2: the number 3
--   p3: the string 'abc'
--   p4: the string 'signup'
--   p5: the string 'signup'
