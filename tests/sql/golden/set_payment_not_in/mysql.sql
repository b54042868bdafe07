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
      AND NOT EXISTS(
        SELECT
          1
        FROM `order_payments` AS `op`
        WHERE
          `op`.`order_id` = `o`.`order_id`
          AND CAST(`op`.`order_id` AS BINARY) = CAST(`o`.`order_id` AS BINARY)
          AND `op`.`payment_method` IN (:p1, :p2, :p3)
          AND CAST(`op`.`payment_method` AS BINARY) IN (CAST(:p1 AS BINARY), CAST(:p2 AS BINARY), CAST(:p3 AS BINARY))
      )
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the string 'card'
--   p2: the string 'cash'
--   p3: the string 'tcash'
