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
      COALESCE(
        SUM(
          CASE
            WHEN "o"."status" = :p1
            THEN CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)
          END
        ),
        0
      ) >= :p2
      AND 2 * SIGN(
        (
          SUM(
            CASE
              WHEN "o"."status" = :p3
              THEN CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)
            END
          ) - (
            SUM(
              CASE
                WHEN "o"."status" = :p3
                THEN CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)
              END
            ) % COUNT(
              CASE
                WHEN "o"."status" = :p3
                THEN CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)
              END
            ) + COUNT(
              CASE
                WHEN "o"."status" = :p3
                THEN CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)
              END
            )
          ) % COUNT(
            CASE
              WHEN "o"."status" = :p3
              THEN CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)
            END
          )
        ) / COUNT(
          CASE
            WHEN "o"."status" = :p3
            THEN CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)
          END
        ) - :p4
      ) + SIGN(
        (
          SUM(
            CASE
              WHEN "o"."status" = :p3
              THEN CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)
            END
          ) % COUNT(
            CASE
              WHEN "o"."status" = :p3
              THEN CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)
            END
          ) + COUNT(
            CASE
              WHEN "o"."status" = :p3
              THEN CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)
            END
          )
        ) % COUNT(
          CASE
            WHEN "o"."status" = :p3
            THEN CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)
          END
        )
      ) < 0
      AND NOT COALESCE(
        MAX(CASE WHEN "o"."status" = :p5 THEN "o"."ordered_at" END) >= :t1
        AND MAX(CASE WHEN "o"."status" = :p5 THEN "o"."ordered_at" END) <= :now,
        FALSE
      )
      AND MIN(CAST(ROUND("o"."paid_amount" * 100) AS INTEGER)) > :p6
      AND COUNT(DISTINCT "o"."status") <= :p7
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the string 'paid'
--   p2: 50000 x 10^2 (in integer units)
--   p3: the string 'paid'
--   p4: floor of 100000 x 10^2 (in integer units)
--   p5: the string 'canceled'
--   t1: now - 90d
--   p6: 0.5 x 10^2 (in integer units)
--   p7: the number 3
