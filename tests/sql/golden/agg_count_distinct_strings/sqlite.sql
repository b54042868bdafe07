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
      "cc"."used_at" IS NULL AND "cc"."issued_at" <= :now AND "cc"."expires_at" >= :now
    GROUP BY
      "cc"."member_id"
    HAVING
      COUNT(DISTINCT "cd"."name") >= :p1
  )

-- parameters:
--   now: now (the evaluation instant)
--   p1: the number 2
