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
        "o"."ordered_at" >= :history_start AND "o"."ordered_at" <= :now
      GROUP BY
        "o"."member_id"
      HAVING
        COUNT(CASE WHEN "o"."ordered_at" <= :t1 THEN 1 END) > 0
        AND COUNT(CASE WHEN "o"."ordered_at" > :t2 THEN 1 END) > 0
    ) AS "k"
    WHERE
      "k"."k" = "c"."member_id"
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   t1: 2025-01-31T23:59:59+00:00
--   t2: 2025-01-01T00:00:00+09:00
