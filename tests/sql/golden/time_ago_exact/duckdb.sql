SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  "c"."member_id" IN (
    SELECT
      "o"."member_id"
    FROM "orders" AS "o"
    WHERE
      "o"."ordered_at" >= :history_start AND "o"."ordered_at" <= :now
    GROUP BY
      "o"."member_id"
    HAVING
      MAX("o"."ordered_at") <= :t1
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   t1: now - 3d
