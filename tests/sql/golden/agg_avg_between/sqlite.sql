SELECT
  "c"."member_id" AS "member_id"
FROM "customers" AS "c"
WHERE
  "c"."member_id" IN (
    SELECT
      "ci"."member_id"
    FROM "cart_items" AS "ci"
    WHERE
      "ci"."added_at" >= :cart_start AND "ci"."added_at" <= :now
    GROUP BY
      "ci"."member_id"
    HAVING
      2 * SIGN(
        (
          CASE
            WHEN TYPEOF(
              SUM(
                (
                  CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
                ) * "ci"."quantity"
              )
            ) = 'real'
            THEN ABS(-9223372036854775807 - 1)
            ELSE SUM(
              (
                CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
              ) * "ci"."quantity"
            )
          END - (
            CASE
              WHEN TYPEOF(
                SUM(
                  (
                    CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
                  ) * "ci"."quantity"
                )
              ) = 'real'
              THEN ABS(-9223372036854775807 - 1)
              ELSE SUM(
                (
                  CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
                ) * "ci"."quantity"
              )
            END % COUNT(
              (
                CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
              ) * "ci"."quantity"
            ) + COUNT(
              (
                CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
              ) * "ci"."quantity"
            )
          ) % COUNT(
            (
              CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
            ) * "ci"."quantity"
          )
        ) / COUNT(
          (
            CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
          ) * "ci"."quantity"
        ) - :p1
      ) + SIGN(
        (
          CASE
            WHEN TYPEOF(
              SUM(
                (
                  CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
                ) * "ci"."quantity"
              )
            ) = 'real'
            THEN ABS(-9223372036854775807 - 1)
            ELSE SUM(
              (
                CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
              ) * "ci"."quantity"
            )
          END % COUNT(
            (
              CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
            ) * "ci"."quantity"
          ) + COUNT(
            (
              CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
            ) * "ci"."quantity"
          )
        ) % COUNT(
          (
            CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
          ) * "ci"."quantity"
        )
      ) >= 0
      AND 2 * SIGN(
        (
          CASE
            WHEN TYPEOF(
              SUM(
                (
                  CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
                ) * "ci"."quantity"
              )
            ) = 'real'
            THEN ABS(-9223372036854775807 - 1)
            ELSE SUM(
              (
                CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
              ) * "ci"."quantity"
            )
          END - (
            CASE
              WHEN TYPEOF(
                SUM(
                  (
                    CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
                  ) * "ci"."quantity"
                )
              ) = 'real'
              THEN ABS(-9223372036854775807 - 1)
              ELSE SUM(
                (
                  CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
                ) * "ci"."quantity"
              )
            END % COUNT(
              (
                CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
              ) * "ci"."quantity"
            ) + COUNT(
              (
                CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
              ) * "ci"."quantity"
            )
          ) % COUNT(
            (
              CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
            ) * "ci"."quantity"
          )
        ) / COUNT(
          (
            CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
          ) * "ci"."quantity"
        ) - :p2
      ) + SIGN(
        (
          CASE
            WHEN TYPEOF(
              SUM(
                (
                  CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
                ) * "ci"."quantity"
              )
            ) = 'real'
            THEN ABS(-9223372036854775807 - 1)
            ELSE SUM(
              (
                CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
              ) * "ci"."quantity"
            )
          END % COUNT(
            (
              CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
            ) * "ci"."quantity"
          ) + COUNT(
            (
              CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
            ) * "ci"."quantity"
          )
        ) % COUNT(
          (
            CAST(ROUND("ci"."price" * 100) AS INTEGER) + CAST(ROUND("ci"."option_price" * 100) AS INTEGER)
          ) * "ci"."quantity"
        )
      ) <= 0
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: floor of 12.34 x 10^2 (in integer units)
--   p2: floor of 100.01 x 10^2 (in integer units)
