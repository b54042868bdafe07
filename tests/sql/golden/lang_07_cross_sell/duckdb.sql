SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  EXISTS(
    SELECT
      1
    FROM "orders" AS "o"
    WHERE
      "o"."member_id" = "c"."member_id"
      AND "o"."ordered_at" >= :history_start
      AND "o"."ordered_at" <= :now
      AND EXISTS(
        SELECT
          1
        FROM "order_items" AS "oi"
        WHERE
          "oi"."order_id" = "o"."order_id" AND "oi"."product_no" = :p1
      )
      AND "o"."ordered_at" >= :t1
  )
  AND NOT EXISTS(
    SELECT
      1
    FROM "orders" AS "o"
    WHERE
      "o"."member_id" = "c"."member_id"
      AND "o"."ordered_at" >= :history_start
      AND "o"."ordered_at" <= :now
      AND EXISTS(
        SELECT
          1
        FROM "order_items" AS "oi"
        WHERE
          "oi"."order_id" = "o"."order_id" AND "oi"."product_no" = :p2
      )
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the number 42
--   t1: now - 30d
--   p2: the number 43
