SELECT
  `c`.`member_id` AS `member_id`
FROM `customers` AS `c`
WHERE
  NOT EXISTS(
    SELECT
      1
    FROM (
      SELECT
        `o`.`member_id` AS `k`
      FROM `orders` AS `o`
      WHERE
        `o`.`ordered_at` >= :history_start
        AND `o`.`ordered_at` <= :now
        AND `o`.`order_id` IN (
          SELECT
            `oi`.`order_id`
          FROM `order_items` AS `oi`
          WHERE
            `oi`.`product_no` = :p1 AND NOT `oi`.`order_id` IS NULL
        )
    ) AS `k`
    WHERE
      `k`.`k` = `c`.`member_id`
  )
  AND NOT EXISTS(
    SELECT
      1
    FROM (
      SELECT
        `o`.`member_id` AS `k`
      FROM `orders` AS `o`
      WHERE
        `o`.`ordered_at` >= :history_start
        AND `o`.`ordered_at` <= :now
        AND `o`.`order_id` IN (
          SELECT
            `oi`.`order_id`
          FROM `order_items` AS `oi`
          WHERE
            `oi`.`product_no` = :p2 AND NOT `oi`.`order_id` IS NULL
        )
    ) AS `k`
    WHERE
      `k`.`k` = `c`.`member_id`
  )
  AND NOT EXISTS(
    SELECT
      1
    FROM (
      SELECT
        `ci`.`member_id` AS `k`
      FROM `cart_items` AS `ci`
      WHERE
        `ci`.`added_at` >= :cart_start AND `ci`.`added_at` <= :now
      GROUP BY
        `ci`.`member_id`
      HAVING
        COUNT(*) >= :p3
    ) AS `k`
    WHERE
      `k`.`k` = `c`.`member_id`
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the number 42
--   p2: the number 43
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   p3: the number 2
