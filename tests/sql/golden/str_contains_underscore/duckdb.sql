SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  EXISTS(
    SELECT
      1
    FROM "customer_coupons" AS "cc"
    LEFT JOIN "coupons" AS "cd"
      ON "cd"."coupon_no" = "cc"."coupon_no"
    WHERE
      "cc"."member_id" = "c"."member_id"
      AND "cc"."used_at" IS NULL
      AND "cc"."issued_at" <= :now
      AND "cc"."expires_at" >= :now
      AND STRPOS("cd"."name", :p1) > 0
  )

-- parameters:
--   now: now (the evaluation instant)
--   p1: the substring '_'
