SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  EXISTS(
    SELECT
      1
    FROM (
      SELECT
        "cc"."member_id" AS "k"
      FROM "customer_coupons" AS "cc"
      LEFT JOIN "coupons" AS "cd"
        ON "cd"."coupon_no" = "cc"."coupon_no"
      WHERE
        "cc"."used_at" IS NULL
        AND "cc"."issued_at" <= :now
        AND "cc"."expires_at" >= :now
        AND "cd"."name" IN (:p1, :p2, :p3)
    ) AS "k"
    WHERE
      "k"."k" = "c"."member_id"
  )
  OR EXISTS(
    SELECT
      1
    FROM (
      SELECT
        "cc"."member_id" AS "k"
      FROM "customer_coupons" AS "cc"
      LEFT JOIN "coupons" AS "cd"
        ON "cd"."coupon_no" = "cc"."coupon_no"
      WHERE
        "cc"."used_at" IS NULL
        AND "cc"."issued_at" <= :now
        AND "cc"."expires_at" >= :now
        AND STRPOS("cd"."name", :p4) > 0
    ) AS "k"
    WHERE
      "k"."k" = "c"."member_id"
  )

-- parameters:
--   now: now (the evaluation instant)
--   p1: the string '쿠폰 10%'
--   p2: the string 'naïve'
--   p3: the string 'クーポン'
--   p4: the substring '😀'
