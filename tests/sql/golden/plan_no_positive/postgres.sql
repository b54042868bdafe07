SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  NOT EXISTS(
    SELECT
      1
    FROM "orders" AS "o"
    JOIN "order_items" AS "el"
      ON "el"."order_id" = "o"."order_id"
    WHERE
      "o"."member_id" = "c"."member_id"
      AND "o"."ordered_at" >= :history_start
      AND "o"."ordered_at" <= :now
      AND "el"."product_no" = :p1
  )
  AND NOT EXISTS(
    SELECT
      1
    FROM "orders" AS "o"
    JOIN "order_items" AS "el"
      ON "el"."order_id" = "o"."order_id"
    WHERE
      "o"."member_id" = "c"."member_id"
      AND "o"."ordered_at" >= :history_start
      AND "o"."ordered_at" <= :now
      AND "el"."product_no" = :p2
  )
  AND NOT EXISTS(
    SELECT
      1
    FROM (
      SELECT
        "ci"."member_id" AS "k"
      FROM "cart_items" AS "ci"
      WHERE
        "ci"."added_at" >= :cart_start AND "ci"."added_at" <= :now
      GROUP BY
        "ci"."member_id"
      HAVING
        COUNT(*) >= :p3
    ) AS "k"
    WHERE
      "k"."k" = "c"."member_id"
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the number 42
--   p2: the number 43
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   p3: the number 2
