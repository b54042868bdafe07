SELECT
  `c`.`member_id` AS `member_id`
FROM `customers` AS `c`
WHERE
  (
    SELECT
      COALESCE(SUM(`o`.`order_amount`), 0) = :p2
    FROM `orders` AS `o`
    WHERE
      `o`.`member_id` = `c`.`member_id`
      AND CAST(`o`.`member_id` AS BINARY) = CAST(`c`.`member_id` AS BINARY)
      AND `o`.`ordered_at` >= :history_start
      AND `o`.`ordered_at` <= :now
      AND CAST(`o`.`status` AS BINARY) <> CAST(:p1 AS BINARY)
  )
  OR (
    SELECT
      COALESCE(SUM((
        `ci`.`price` + `ci`.`option_price`
      ) * `ci`.`quantity`), 0) > :p3
    FROM `cart_items` AS `ci`
    WHERE
      `ci`.`member_id` = `c`.`member_id`
      AND CAST(`ci`.`member_id` AS BINARY) = CAST(`c`.`member_id` AS BINARY)
      AND `ci`.`added_at` >= :cart_start
      AND `ci`.`added_at` <= :now
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the string 'canceled'
--   p2: the number 100000.01
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   p3: the number 49999.99
