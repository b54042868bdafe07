SELECT
  `c`.`member_id` AS `member_id`
FROM `customers` AS `c`
WHERE
  EXISTS(
    SELECT
      1
    FROM `orders` AS `o`
    WHERE
      `o`.`member_id` = `c`.`member_id`
      AND CAST(`o`.`member_id` AS BINARY) = CAST(`c`.`member_id` AS BINARY)
      AND `o`.`ordered_at` >= :history_start
      AND `o`.`ordered_at` <= :now
      AND `o`.`ordered_at` >= :t1
  )
  OR EXISTS(
    SELECT
      1
    FROM `cart_items` AS `ci`
    WHERE
      `ci`.`member_id` = `c`.`member_id`
      AND CAST(`ci`.`member_id` AS BINARY) = CAST(`c`.`member_id` AS BINARY)
      AND `ci`.`added_at` >= :cart_start
      AND `ci`.`added_at` <= :now
      AND `ci`.`added_at` >= :t1
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   t1: now - 1h
--   cart_start: now - cart retention (the oldest cart item still in the cart)
