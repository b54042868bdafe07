SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  "c"."member_id" IN (
    SELECT
      "cc"."member_id"
    FROM "customer_coupons" AS "cc"
    LEFT JOIN "coupons" AS "cd"
      ON "cd"."coupon_no" = "cc"."coupon_no"
    WHERE
      "cc"."used_at" IS NULL
      AND "cc"."issued_at" <= :now
      AND "cc"."expires_at" >= :now
      AND (
        "cd"."name" = :p1 OR "cd"."issue_type" = :p2
      )
  )
  AND NOT "c"."member_id" IN (
    SELECT
      "cc"."member_id"
    FROM "customer_coupons" AS "cc"
    LEFT JOIN "coupons" AS "cd"
      ON "cd"."coupon_no" = "cc"."coupon_no"
    WHERE
      "cc"."used_at" IS NULL
      AND "cc"."issued_at" <= :now
      AND "cc"."expires_at" >= :now
      AND "cd"."name" = :p3
      AND "cc"."coupon_no" = :p4
      AND "cc"."member_id" IS NOT NULL
  )

-- parameters:
--   now: now (the evaluation instant)
--   p1: the string 'Welcome'
--   p2: the string 'signup'
--   p3: the string 'x'
--   p4: the string 'nodef1'
