SELECT
  `c`.`member_id` AS `member_id`
FROM `customers` AS `c`
WHERE
  (
    SELECT
      SUM((
        `ci`.`price` + `ci`.`option_price`
      ) * `ci`.`quantity`) >= :p1 * COUNT((
        `ci`.`price` + `ci`.`option_price`
      ) * `ci`.`quantity`)
    FROM `cart_items` AS `ci`
    WHERE
      `ci`.`member_id` = `c`.`member_id`
      AND CAST(`ci`.`member_id` AS BINARY) = CAST(`c`.`member_id` AS BINARY)
      AND `ci`.`added_at` >= :cart_start
      AND `ci`.`added_at` <= :now
  )
  AND (
    SELECT
      SUM((
        `ci`.`price` + `ci`.`option_price`
      ) * `ci`.`quantity`) <= :p2 * COUNT((
        `ci`.`price` + `ci`.`option_price`
      ) * `ci`.`quantity`)
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
--   p1: the number 12.34
--   p2: the number 100.01
