SELECT
  "o"."member_id" AS "member_id"
FROM "orders" AS "o"
JOIN "customers" AS "c"
  ON "c"."member_id" = "o"."member_id"
WHERE
  "o"."ordered_at" >= :history_start AND "o"."ordered_at" <= :now
GROUP BY
  "o"."member_id"
HAVING
  MIN("o"."ordered_at") <= :t1 AND MAX("o"."ordered_at") > :t2

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   t1: 2025-01-31T23:59:59+00:00
--   t2: 2025-01-01T00:00:00+09:00
