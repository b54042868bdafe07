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
      COUNT(
        CASE
          WHEN NOT EXISTS(
            SELECT
              1
            FROM "order_items" AS "oi"
            WHERE
              "oi"."order_id" = "o"."order_id" AND "oi"."product_no" = :p1
          )
          THEN 1
        END
      ) > 0
      AND COUNT(
        CASE
          WHEN NOT EXISTS(
            SELECT
              1
            FROM "order_items" AS "oi"
            WHERE
              "oi"."order_id" = "o"."order_id" AND "oi"."product_no" = :p2
          )
          THEN 1
        END
      ) > 0
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the number 42
--   p2: the number 42
