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
      WHERE
        "cc"."used_at" IS NULL
        AND "cc"."issued_at" <= :now
        AND "cc"."expires_at" >= :now
        AND "cc"."expires_at" < :t1
    ) AS "k"
    WHERE
      "k"."k" = "c"."member_id"
  )

-- parameters:
--   now: now (the evaluation instant)
--   t1: start of tomorrow in the shop's zone
