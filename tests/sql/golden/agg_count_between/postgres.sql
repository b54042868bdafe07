SELECT
  "o"."member_id" AS "member_id"
FROM "orders" AS "o"
JOIN "customers" AS "c"
  ON "c"."member_id" = "o"."member_id"
WHERE
  "o"."ordered_at" >= :history_start
  AND "o"."ordered_at" <= :now
  AND "o"."status" = :p1
GROUP BY
  "o"."member_id"
HAVING
  COUNT(*) >= :p2 AND COUNT(*) <= :p3

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the string 'paid'
--   p2: the number 1
--   p3: the number 2
