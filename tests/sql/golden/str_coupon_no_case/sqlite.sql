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
      AND "cc"."coupon_no" = :p1
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
      AND CASE WHEN "cc"."coupon_no" = :p2 THEN TRUE END
  )

-- parameters:
--   now: now (the evaluation instant)
--   p1: the string 'abc'
--   p2: the string 'ABC'
