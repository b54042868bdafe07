SELECT
  "c"."member_id" AS "member_id"
FROM "customer_coupons" AS "cc"
JOIN "customers" AS "c"
  ON "c"."member_id" = "cc"."member_id"
WHERE
  "cc"."used_at" IS NULL
  AND "cc"."issued_at" <= :now
  AND "cc"."expires_at" >= :now
  AND "cc"."expires_at" <= :t1
GROUP BY
  "c"."member_id"

-- parameters:
--   now: now (the evaluation instant)
--   t1: now + 1d
