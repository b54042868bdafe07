SELECT
  `c`.`member_id` AS `member_id`
FROM `customers` AS `c`
WHERE
  (
    SELECT
      NOT COUNT(*) IN (:p1, :p2)
    FROM `cart_items` AS `ci`
    WHERE
      `ci`.`member_id` = `c`.`member_id`
      AND CAST(`ci`.`member_id` AS BINARY) = CAST(`c`.`member_id` AS BINARY)
      AND `ci`.`added_at` >= :cart_start
      AND `ci`.`added_at` <= :now
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: the number 0
--   p2: the number 1
