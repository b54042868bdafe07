SELECT
  `c`.`member_id` AS `member_id`
FROM `customers` AS `c`
WHERE
  (
    SELECT
      COUNT(DISTINCT `el`.`product_no`) >= :p3
    FROM `orders` AS `o`
    JOIN `order_items` AS `el`
      ON `el`.`order_id` = `o`.`order_id`
      AND CAST(`el`.`order_id` AS BINARY) = CAST(`o`.`order_id` AS BINARY)
    WHERE
      `o`.`member_id` = `c`.`member_id`
      AND CAST(`o`.`member_id` AS BINARY) = CAST(`c`.`member_id` AS BINARY)
      AND `o`.`ordered_at` >= :history_start
      AND `o`.`ordered_at` <= :now
      AND `o`.`status` IN (:p1, :p2)
      AND CAST(`o`.`status` AS BINARY) IN (CAST(:p1 AS BINARY), CAST(:p2 AS BINARY))
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the string 'paid'
--   p2: the string 'pending'
--   p3: the number 2
