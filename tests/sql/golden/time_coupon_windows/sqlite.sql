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
      AND "cc"."issued_at" >= :t1
      AND "cc"."expires_at" <= :t2
  )

-- parameters:
--   now: now (the evaluation instant)
--   t1: start of 2025-01-01 in the shop's zone
--   t2: now + 30d
