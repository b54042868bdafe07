SELECT
  `c`.`member_id` AS `member_id`
FROM `customers` AS `c`
WHERE
  NOT (
    EXISTS(
      SELECT
        1
      FROM `orders` AS `o`
      WHERE
        `o`.`member_id` = `c`.`member_id`
        AND CAST(`o`.`member_id` AS BINARY) = CAST(`c`.`member_id` AS BINARY)
        AND `o`.`ordered_at` >= :history_start
        AND `o`.`ordered_at` <= :now
        AND EXISTS(
          SELECT
            1
          FROM `order_items` AS `oi`
          WHERE
            `oi`.`order_id` = `o`.`order_id`
            AND CAST(`oi`.`order_id` AS BINARY) = CAST(`o`.`order_id` AS BINARY)
            AND `oi`.`product_no` = :p1
        )
        AND `o`.`ordered_at` < :t1
    )
    AND NOT EXISTS(
      SELECT
        1
      FROM `orders` AS `o`
      WHERE
        `o`.`member_id` = `c`.`member_id`
        AND CAST(`o`.`member_id` AS BINARY) = CAST(`c`.`member_id` AS BINARY)
        AND `o`.`ordered_at` >= :history_start
        AND `o`.`ordered_at` <= :now
        AND EXISTS(
          SELECT
            1
          FROM `order_items` AS `oi`
          WHERE
            `oi`.`order_id` = `o`.`order_id`
            AND CAST(`oi`.`order_id` AS BINARY) = CAST(`o`.`order_id` AS BINARY)
            AND `oi`.`product_no` = :p2
        )
        AND `o`.`ordered_at` >= :t1
    )
  )
  AND EXISTS(
    SELECT
      1
    FROM `cart_items` AS `ci`
    WHERE
      `ci`.`member_id` = `c`.`member_id`
      AND CAST(`ci`.`member_id` AS BINARY) = CAST(`c`.`member_id` AS BINARY)
      AND `ci`.`added_at` >= :cart_start
      AND `ci`.`added_at` <= :now
      AND `ci`.`product_no` = :p3
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the number 42
--   t1: now - 90d
--   p2: the number 42
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   p3: the number 42
