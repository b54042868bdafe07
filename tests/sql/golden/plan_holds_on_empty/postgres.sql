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
  COUNT(CASE WHEN "o"."status" = :p1 THEN 1 END) > 0
  AND COUNT(CASE WHEN "o"."status" = :p2 THEN 1 END) < :p3
  AND COALESCE(SUM("o"."paid_amount"), 0) <> :p4
  AND NOT COALESCE(SUM("o"."paid_amount") > :p5 * COUNT("o"."paid_amount"), FALSE)

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the string 'paid'
--   p2: the string 'paid'
--   p3: the number 3
--   p4: the number 0
--   p5: the number 1000
