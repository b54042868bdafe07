SELECT
  `c`.`member_id` AS `member_id`
FROM `customers` AS `c`
WHERE
  (
    SELECT
      SUM(`ci`.`option_price`) < :p1 * COUNT(`ci`.`option_price`)
    FROM `cart_items` AS `ci`
    WHERE
      `ci`.`member_id` = `c`.`member_id`
      AND CAST(`ci`.`member_id` AS BINARY) = CAST(`c`.`member_id` AS BINARY)
      AND `ci`.`added_at` >= :cart_start
      AND `ci`.`added_at` <= :now
  )
  AND (
    SELECT
      COALESCE(SUM(`ci`.`quantity`), 0) > :p2
    FROM `cart_items` AS `ci`
    WHERE
      `ci`.`member_id` = `c`.`member_id`
      AND CAST(`ci`.`member_id` AS BINARY) = CAST(`c`.`member_id` AS BINARY)
      AND `ci`.`added_at` >= :cart_start
      AND `ci`.`added_at` <= :now
      AND `ci`.`added_at` >= :t1
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: the number 1
--   t1: now - 1d
--   p2: the number 1
