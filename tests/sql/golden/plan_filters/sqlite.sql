SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  "c"."member_id" IN (
    SELECT
      "cc"."member_id"
    FROM "customer_coupons" AS "cc"
    WHERE
      "cc"."used_at" IS NULL AND "cc"."issued_at" <= :now AND "cc"."expires_at" >= :now
  )
  AND NOT EXISTS(
    SELECT
      1
    FROM "orders" AS "o"
    WHERE
      "o"."member_id" = "c"."member_id"
      AND "o"."ordered_at" >= MAX(:history_start, :t1)
      AND "o"."ordered_at" <= :now
  )
  AND NOT (
    SELECT
      COALESCE(SUM("ci"."quantity"), 0) >= :p1
    FROM "cart_items" AS "ci"
    WHERE
      "ci"."member_id" = "c"."member_id"
      AND "ci"."added_at" >= :cart_start
      AND "ci"."added_at" <= :now
  )
  AND (
    SELECT
      COUNT(*) < :p2
    FROM "orders" AS "o"
    WHERE
      "o"."member_id" = "c"."member_id"
      AND "o"."ordered_at" >= :history_start
      AND "o"."ordered_at" <= :now
  )

-- parameters:
--   now: now (the evaluation instant)
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   t1: now - 30d
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   p1: the number 2
--   p2: the number 4
