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
        AND "o"."status" = :p1
      GROUP BY
        "o"."member_id"
      HAVING
        COALESCE(SUM("o"."paid_amount"), 0) >= :p2
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
        AND "o"."status" = :p3
      GROUP BY
        "o"."member_id"
      HAVING
        SUM("o"."paid_amount") < :p4 * COUNT("o"."paid_amount")
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
        AND "o"."status" = :p5
      GROUP BY
        "o"."member_id"
      HAVING
        MAX("o"."ordered_at") >= :t1 AND MAX("o"."ordered_at") <= :now
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
        "o"."ordered_at" >= :history_start AND "o"."ordered_at" <= :now
      GROUP BY
        "o"."member_id"
      HAVING
        MIN("o"."paid_amount") > :p6
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
        "o"."ordered_at" >= :history_start AND "o"."ordered_at" <= :now
      GROUP BY
        "o"."member_id"
      HAVING
        NOT (
          COUNT(DISTINCT "o"."status") <= :p7
        )
    ) AS "k"
    WHERE
      "k"."k" = "c"."member_id"
  )

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
