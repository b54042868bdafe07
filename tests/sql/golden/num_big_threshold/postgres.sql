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
  COUNT(CASE WHEN "o"."paid_amount" < :p1 THEN 1 END) > 0
  AND COUNT(CASE WHEN "o"."paid_amount" > :p2 THEN 1 END) = 0

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the number 99999999999999.99
--   p2: the number 999999999999999.999999
