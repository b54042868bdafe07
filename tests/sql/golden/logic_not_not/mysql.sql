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
      AND `o`.`status` = :p1
      AND CAST(`o`.`status` AS BINARY) = CAST(:p1 AS BINARY)
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the string 'paid'
