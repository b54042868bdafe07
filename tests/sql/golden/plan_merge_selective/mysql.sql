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
      AND EXISTS(
        SELECT
          1
        FROM `order_items` AS `oi`
        WHERE
          `oi`.`order_id` = `o`.`order_id`
          AND CAST(`oi`.`order_id` AS BINARY) = CAST(`o`.`order_id` AS BINARY)
          AND `oi`.`product_no` = :p1
      )
      AND `o`.`status` = :p2
      AND CAST(`o`.`status` AS BINARY) = CAST(:p2 AS BINARY)
  )
  AND (
    SELECT
      COUNT(*) >= :p4
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
          AND `oi`.`product_no` = :p3
      )
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
          AND `oi`.`product_no` = :p5
      )
      AND NOT (
        `o`.`paid_amount` > :p6
      )
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the number 42
--   p2: the string 'paid'
--   p3: the number 42
--   p4: the number 2
--   p5: the number 42
--   p6: the number 100
