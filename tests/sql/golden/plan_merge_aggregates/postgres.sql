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
  COALESCE(SUM(CASE WHEN "o"."status" = :p1 THEN "o"."paid_amount" END), 0) >= :p2
  AND SUM(CASE WHEN "o"."status" = :p3 THEN "o"."paid_amount" END) < :p4 * COUNT(CASE WHEN "o"."status" = :p3 THEN "o"."paid_amount" END)
  AND NOT COALESCE(
    MAX(CASE WHEN "o"."status" = :p5 THEN "o"."ordered_at" END) >= :t1
    AND MAX(CASE WHEN "o"."status" = :p5 THEN "o"."ordered_at" END) <= :now,
    FALSE
  )
  AND MIN("o"."paid_amount") > :p6
  AND COUNT(DISTINCT "o"."status") <= :p7

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the string 'paid'
--   p2: the number 50000
--   p3: the string 'paid'
--   p4: the number 100000
--   p5: the string 'canceled'
--   t1: now - 90d
--   p6: the number 0.5
--   p7: the number 3
