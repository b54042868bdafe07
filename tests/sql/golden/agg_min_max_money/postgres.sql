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
  MAX("o"."paid_amount") >= :p1 AND MIN("o"."paid_amount") <= :p2

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the number 50000
--   p2: the number 100
