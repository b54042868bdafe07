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
  COUNT(
    CASE
      WHEN NOT "o"."order_id" IN (
        SELECT
          "oi"."order_id"
        FROM "order_items" AS "oi"
        WHERE
          "oi"."product_no" = :p1 AND NOT "oi"."order_id" IS NULL
      )
      THEN 1
    END
  ) > 0
  AND COUNT(
    CASE
      WHEN NOT "o"."order_id" IN (
        SELECT
          "oi"."order_id"
        FROM "order_items" AS "oi"
        WHERE
          "oi"."product_no" = :p2 AND NOT "oi"."order_id" IS NULL
      )
      THEN 1
    END
  ) > 0

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the number 42
--   p2: the number 42
