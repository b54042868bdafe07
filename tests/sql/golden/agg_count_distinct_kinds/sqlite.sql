SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  (
    "c"."member_id" IN (
      SELECT
        "o"."member_id"
      FROM "orders" AS "o"
      WHERE
        "o"."ordered_at" >= :history_start AND "o"."ordered_at" <= :now
      GROUP BY
        "o"."member_id"
      HAVING
        COUNT(DISTINCT "o"."status") >= :p1
    )
    AND (
      SELECT
        COUNT(DISTINCT "cd"."issue_type") >= :p2
      FROM "customer_coupons" AS "cc"
      LEFT JOIN "coupons" AS "cd"
        ON "cd"."coupon_no" = "cc"."coupon_no"
      WHERE
        "cc"."member_id" = "c"."member_id"
        AND "cc"."used_at" IS NULL
        AND "cc"."issued_at" <= :now
        AND "cc"."expires_at" >= :now
    )
  )
  OR "c"."member_id" IN (
    SELECT
      "o"."member_id"
    FROM "orders" AS "o"
    WHERE
      "o"."ordered_at" >= :history_start AND "o"."ordered_at" <= :now
    GROUP BY
      "o"."member_id"
    HAVING
      COUNT(DISTINCT "o"."ordered_at") >= :p3
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the number 2
--   p2: the number 1
--   p3: the number 3
