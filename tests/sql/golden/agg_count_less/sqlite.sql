SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  NOT "c"."member_id" IN (
    SELECT
      "o"."member_id"
    FROM "orders" AS "o"
    WHERE
      "o"."ordered_at" >= :history_start
      AND "o"."ordered_at" <= :now
      AND "o"."status" = :p1
      AND "o"."member_id" IS NOT NULL
    GROUP BY
      "o"."member_id"
    HAVING
      NOT (
        COUNT(*) < :p2
      )
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the string 'paid'
--   p2: the number 2
