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
          "oi"."order_id" = "o"."order_id" AND "oi"."product_no" IN (:p1, :p2)
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
          "oi"."order_id" = "o"."order_id" AND "oi"."product_no" = :p3
      )
      AND "o"."status" = :p4
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
          "oi"."order_id" = "o"."order_id" AND "oi"."product_no" = :p5
      )
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the number 42
--   p2: the number 43
--   t1: now - 90d
--   p3: the number 17
--   p4: the string 'canceled'
--   p5: the number 1
