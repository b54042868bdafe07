SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  NOT EXISTS(
    SELECT
      1
    FROM (
      SELECT
        "cc"."member_id" AS "k"
      FROM "customer_coupons" AS "cc"
      WHERE
        "cc"."used_at" IS NULL AND "cc"."issued_at" <= :now AND "cc"."expires_at" >= :now
    ) AS "k"
    WHERE
      "k"."k" = "c"."member_id"
  )
  OR NOT EXISTS(
    SELECT
      1
    FROM (
      SELECT
        "ci"."member_id" AS "k"
      FROM "cart_items" AS "ci"
      WHERE
        "ci"."added_at" >= :cart_start
        AND "ci"."added_at" <= :now
        AND "ci"."product_no" = :p1
    ) AS "k"
    WHERE
      "k"."k" = "c"."member_id"
  )
  OR NOT EXISTS(
    SELECT
      1
    FROM (
      SELECT
        "o"."member_id" AS "k"
      FROM "orders" AS "o"
      WHERE
        "o"."ordered_at" >= :history_start AND "o"."ordered_at" <= :now
      GROUP BY
        "o"."member_id"
      HAVING
        COUNT(*) >= :p2
    ) AS "k"
    WHERE
      "k"."k" = "c"."member_id"
  )

-- parameters:
--   now: now (the evaluation instant)
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   p1: the number 17
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   p2: the number 2
