SELECT
  `c`.`member_id` AS `member_id`
FROM `customers` AS `c`
WHERE
  (
    SELECT
      SUM(`o`.`order_amount`) >= :p1 * COUNT(`o`.`order_amount`)
    FROM `orders` AS `o`
    WHERE
      `o`.`member_id` = `c`.`member_id`
      AND CAST(`o`.`member_id` AS BINARY) = CAST(`c`.`member_id` AS BINARY)
      AND `o`.`ordered_at` >= :history_start
      AND `o`.`ordered_at` <= :now
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the number 33333.333333
