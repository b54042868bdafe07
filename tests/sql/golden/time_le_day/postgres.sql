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
  MIN("o"."ordered_at") < :t1 AND MAX("o"."ordered_at") >= :t1

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   t1: start of 2025-02-01 in the shop's zone
