SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  EXISTS(
    SELECT
      1
    FROM (
      SELECT
        "o"."member_id" AS "k"
      FROM "orders" AS "o"
      WHERE
        "o"."ordered_at" >= :history_start
        AND "o"."ordered_at" <= :now
        AND "o"."order_id" IN (
          SELECT
            "oi"."order_id"
          FROM "order_items" AS "oi"
          WHERE
            "oi"."product_no" = :p1 AND NOT "oi"."order_id" IS NULL
        )
        AND "o"."status" = :p2
    ) AS "k"
    WHERE
      "k"."k" = "c"."member_id"
  )
  AND EXISTS(
    SELECT
      1
    FROM (
      SELECT
        "o"."member_id" AS "k"
      FROM "orders" AS "o"
      WHERE
        "o"."ordered_at" >= :history_start
        AND "o"."ordered_at" <= :now
        AND "o"."order_id" IN (
          SELECT
            "oi"."order_id"
          FROM "order_items" AS "oi"
          WHERE
            "oi"."product_no" = :p3 AND NOT "oi"."order_id" IS NULL
        )
      GROUP BY
        "o"."member_id"
      HAVING
        COUNT(*) >= :p4
    ) AS "k"
    WHERE
      "k"."k" = "c"."member_id"
  )
  AND NOT EXISTS(
    SELECT
      1
    FROM (
      SELECT
        "o"."member_id" AS "k"
      FROM "orders" AS "o"
      WHERE
        "o"."ordered_at" >= :history_start
        AND "o"."ordered_at" <= :now
        AND "o"."order_id" IN (
          SELECT
            "oi"."order_id"
          FROM "order_items" AS "oi"
          WHERE
            "oi"."product_no" = :p5 AND NOT "oi"."order_id" IS NULL
        )
        AND NOT (
          "o"."paid_amount" > :p6
        )
    ) AS "k"
    WHERE
      "k"."k" = "c"."member_id"
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the number 42
--   p2: the string 'paid'
--   p3: the number 42
--   p4: the number 2
--   p5: the number 42
--   p6: the number 100
