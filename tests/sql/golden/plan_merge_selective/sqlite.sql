SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  "c"."member_id" IN (
    SELECT
      "o"."member_id"
    FROM "orders" AS "o"
    WHERE
      "o"."ordered_at" >= :history_start
      AND "o"."ordered_at" <= :now
      AND "o"."order_id" IN (
        SELECT
          "oi"."order_id"
        FROM "order_items" AS "oi"
        WHERE
          "oi"."product_no" = :p1 AND "oi"."order_id" IS NOT NULL
      )
    GROUP BY
      "o"."member_id"
    HAVING
      COUNT(CASE WHEN "o"."status" = :p2 THEN 1 END) > 0
      AND COUNT(*) >= :p3
      AND COUNT(
        CASE
          WHEN NOT (
            CAST(ROUND("o"."paid_amount" * 100) AS INTEGER) > :p4
          )
          THEN 1
        END
      ) = 0
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the number 42
--   p2: the string 'paid'
--   p3: the number 2
--   p4: 100 x 10^2 (in integer units)
